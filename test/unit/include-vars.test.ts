/** include_vars (file, free form, dir with name / files_matching): the same variables as ansible-playbook. */
import { expect } from 'chai';
import { join } from 'node:path';
import { runCli, ROOT } from '../helpers/cli.js';
import { ansiblePlaybooks } from '../helpers/ansible.js';

const DIR = join(ROOT, 'test/fixtures/include-vars');

describe('include_vars', function () {
  this.timeout(60_000);
  it('loads what ansible-playbook loads', async () => {
    const oracle = ansiblePlaybooks([{ id: 'v', argv: ['-i', 'hosts', 'site.yml'], cwd: DIR }]);
    const r = await runCli(['-i', 'hosts', 'site.yml', '--output', 'jsonl', '--retry-file', 'none'], { cwd: DIR });
    const theirs = (await oracle).v!;
    expect(theirs.code, theirs.stdout).to.equal(0);
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    const shown = r.events.find((e) => e.type === 'host_result' && e.task === 'show')!.result.msg;
    const ours = typeof shown === 'string' ? JSON.parse(shown) : shown; // (debug's msg of a list: text here, a list in Ansible)
    expect(ours).to.deep.equal(theirs.json!.plays[0]!.tasks.find((t) => t.task.name === 'show')!.hosts.localhost!.msg);
  });
});
