/** delegate_facts: facts a delegated task returns go to the delegated host (loop items too), as in ansible-playbook. */
import { expect } from 'chai';
import { join } from 'node:path';
import { runCli, ROOT } from '../helpers/cli.js';
import { ansiblePlaybooks } from '../helpers/ansible.js';

const DIR = join(ROOT, 'test/fixtures/delegate-facts');

describe('delegate_facts', function () {
  this.timeout(60_000);
  it('gives the facts to the delegated host, as ansible-playbook does', async () => {
    const oracle = ansiblePlaybooks([{ id: 'd', argv: ['-i', 'hosts', 'site.yml'], cwd: DIR }]);
    const r = await runCli(['-i', 'hosts', 'site.yml', '--output', 'jsonl', '--retry-file', 'none'], { cwd: DIR });
    const theirs = (await oracle).d!;
    expect(theirs.code).to.equal(0);
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    const ours = r.events.find((e) => e.type === 'host_result' && e.task === 'show')!.result.msg;
    expect(ours).to.equal(theirs.json!.plays[0]!.tasks.find((t) => t.task.name === 'show')!.hosts.h1!.msg);
    expect(ours).to.equal('given none from-h1 none');
  });
});
