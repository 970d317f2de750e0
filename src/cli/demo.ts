import { join } from 'node:path';
import { labUp } from '../lab/index.js';
import { PROJECT_ROOT } from './project-root.js';
import { EXIT } from '../errors.js';
import { helpText, type CommandDecl } from './options.js';

const DEMO = {
  name: 'demo',
  usage: ['demo [PLAYBOOK OPTIONS]'],
  about:
    'Brings up the lab (5 hosts, root needed) as the embedded fleet and runs examples/lab-demo/site.yml\n' +
    "on it: lab1 builds and serves the wheels, lab2-lab5 install the venv. Options go to the playbook\n" +
    "run (see 'wheelwright --help').",
  options: {},
} as const satisfies CommandDecl;

/** Hosts in the demo fleet (lab1-lab5, as inventories/lab names them): one repo (build) server and the rest targets. */
const DEMO_HOSTS = 5;

/**
 * The README's main job: bring up the lab (root) as the embedded fleet and run the example
 * playbook against it, ending with the recap. Extra arguments go to the playbook run: this returns
 * that run's arguments (or an exit code), the playbook command runs them.
 */
export async function demoArgs(args: string[], out: (s: string) => void): Promise<string[] | number> {
  if (args.includes('-h') || args.includes('--help')) {
    out(helpText(DEMO));
    return EXIT.ok;
  }
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const lab = await labUp(DEMO_HOSTS, { log });
  // the example's groups over the lab's hosts, and the repo URL derived from lab1's address
  const groups = join(PROJECT_ROOT, 'inventories/lab');
  const playbook = join(PROJECT_ROOT, 'examples/lab-demo/site.yml');
  process.stderr.write(`demo: wheelwright ${playbook} -i ${lab.inventoryFile} -i ${groups}\n`);
  return [playbook, '-i', lab.inventoryFile, '-i', groups, ...args];
}
