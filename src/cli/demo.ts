import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { labUp } from '../lab/index.js';
import { main, PROJECT_ROOT } from './main.js';

/** Hosts in the demo fleet: one repo (build) server and the rest targets. */
const DEMO_HOSTS = 5;

/**
 * The README's main job: bring up the lab (root) as the embedded fleet and run the example
 * playbook against it, ending with the recap. Extra arguments go to the playbook run.
 */
export async function demoCli(args: string[]): Promise<number> {
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const lab = await labUp(DEMO_HOSTS, { log });
  const [repo, ...targets] = lab.hosts.map((h) => h.name);
  const groups = join(lab.dir, 'demo-groups.yml');
  await writeFile(
    groups,
    `# written by 'wheelwright demo': the example's groups over the lab's hosts\n` +
      `all:\n  children:\n    repo_all:\n      hosts:\n        ${repo}: {}\n    venv_targets:\n      hosts:\n` +
      targets.map((t) => `        ${t}: {}\n`).join('') +
      `  vars:\n    openstack_repo_url: http://${lab.hosts[0]!.address}:8181\n`,
  );
  const playbook = join(PROJECT_ROOT, 'examples/lab-demo/site.yml');
  process.stderr.write(`demo: wheelwright ${playbook} -i ${lab.inventoryFile} -i ${groups}\n`);
  return main([playbook, '-i', lab.inventoryFile, '-i', groups, ...args]);
}
