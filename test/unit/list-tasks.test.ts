/** --list-tasks and --list-tags print what ansible-playbook prints (with --tags/--skip-tags too). */
import { expect } from 'chai';
import { join } from 'node:path';
import { runCli, ROOT } from '../helpers/cli.js';
import { ansiblePlaybooks } from '../helpers/ansible.js';

const DIR = join(ROOT, 'test/fixtures/list-tasks');
const CASES = [['--list-tasks'], ['--list-tags'], ['--list-tasks', '--tags', 'x,web'], ['--list-tasks', '--skip-tags', 'web,blk'], ['--list-tags', '--list-tasks']];

describe('--list-tasks / --list-tags: as ansible-playbook', function () {
  this.timeout(60_000);
  const oracle: Record<string, string> = {};
  before(async () => {
    const answers = await ansiblePlaybooks(CASES.map((c) => ({ id: c.join(' '), argv: ['-i', 'localhost,', 'site.yml', ...c], cwd: DIR })));
    for (const [id, r] of Object.entries(answers)) oracle[id] = r.stdout;
  });
  for (const c of CASES) {
    it(c.join(' '), async () => {
      const r = await runCli(['-i', 'localhost,', 'site.yml', ...c], { cwd: DIR });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.equal(oracle[c.join(' ')]);
    });
  }
});
