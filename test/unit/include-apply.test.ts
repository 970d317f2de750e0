/** include_tasks `args: {apply: {tags: ...}}` tags the included tasks: with --tags build they run, as in ansible-playbook. */
import { expect } from 'chai';
import { join } from 'node:path';
import { runCli, ROOT } from '../helpers/cli.js';
import { ansiblePlaybooks } from '../helpers/ansible.js';

const DIR = join(ROOT, 'test/fixtures/include-apply');
const CASES = [[], ['--tags', 'build'], ['--skip-tags', 'build']];

describe('include_tasks apply', function () {
  this.timeout(60_000);
  it('the same tasks run as in ansible-playbook, with and without --tags/--skip-tags', async () => {
    const oracle = await ansiblePlaybooks(CASES.map((c, i) => ({ id: String(i), argv: ['-i', 'hosts', 'site.yml', ...c], cwd: DIR })));
    for (const [i, c] of CASES.entries()) {
      const r = await runCli(['-i', 'hosts', 'site.yml', '--output', 'jsonl', '--retry-file', 'none', ...c], { cwd: DIR });
      expect(r.code, r.stderr).to.equal(0);
      const ours = r.events.filter((e) => e.type === 'host_result' && e.status !== 'skipped').map((e) => e.task);
      const theirs = oracle[String(i)]!.json!.order.filter((o) => o.status !== 'skipped' && o.task !== 'include with apply').map((o) => o.task); // wheelwright reports no result for the include itself
      expect(ours, c.join(' ')).to.deep.equal(theirs);
    }
  });
});
