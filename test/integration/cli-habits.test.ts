/**
 * Issue 13 point 7: ansible-playbook's --start-at-task, --force-handlers and --step, compared with
 * ansible-playbook on the same playbooks (localhost, connection local: no lab). Output is compared
 * as task headers with the results under each (hosts in any order within a task) and exit codes.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli, ensureBuilt } from '../helpers/cli.js';
import { ansiblePlaybooks } from '../helpers/ansible.js';
import { resultBlocks } from '../helpers/output-blocks.js';

const FIX = join(ROOT, 'test/fixtures/cli-habits');
const blocks = (text: string) => resultBlocks(text).map((b) => `${b.header}: ${[...b.results].sort().join(', ')}`);

const CASES: Record<string, string[]> = {
  'start at a role task by name': ['start.yml', '--start-at-task', 'role task two'],
  'start at role : name': ['start.yml', '--start-at-task', 'r : role task one'],
  'start at a pattern inside a block': ['start.yml', '--start-at-task', 'block*'],
  'start at a block\'s always task': ['start.yml', '--start-at-task', 'always one'],
  'start at an unnamed task by its action': ['start.yml', '--start-at-task', 'debug'],
  'start in the first play': ['start.yml', '--start-at-task', 'p1 b'],
  'start at a task of a later play (pattern)': ['start.yml', '--start-at-task', 'p?'],
  'no matching task': ['start.yml', '--start-at-task', 'nomatch'],
  'a failed host without --force-handlers': ['force.yml'],
  'a failed host with --force-handlers': ['force.yml', '--force-handlers'],
  'force_handlers from ANSIBLE_FORCE_HANDLERS': ['force.yml'],
};
const ENV: Record<string, Record<string, string>> = { 'force_handlers from ANSIBLE_FORCE_HANDLERS': { ANSIBLE_FORCE_HANDLERS: 'True' } };

describe('ansible-playbook habits: --start-at-task, --force-handlers, --step', function () {
  this.timeout(180_000);
  const ansible: Record<string, { code: number; stdout: string }> = {};
  const ww: Record<string, { code: number | null; stdout: string; stderr: string }> = {};

  before(async () => {
    ensureBuilt();
    const plain = Object.entries(CASES).filter(([id]) => !ENV[id]);
    const withEnv = Object.entries(CASES).filter(([id]) => ENV[id]);
    const [a, aEnv] = await Promise.all([
      ansiblePlaybooks(plain.map(([id, argv]) => ({ id, argv: ['-i', 'hosts.ini', ...argv], cwd: FIX })), { ANSIBLE_STDOUT_CALLBACK: 'default' }),
      ansiblePlaybooks(withEnv.map(([id, argv]) => ({ id, argv: ['-i', 'hosts.ini', ...argv], cwd: FIX })), { ANSIBLE_STDOUT_CALLBACK: 'default', ...Object.assign({}, ...withEnv.map(([id]) => ENV[id])) }),
      ...Object.entries(CASES).map(async ([id, argv]) => {
        ww[id] = await runCli(['-i', 'hosts.ini', ...argv, '--retry-file', 'none'], { cwd: FIX, env: ENV[id] ?? {} });
      }),
    ]);
    Object.assign(ansible, a, aEnv);
  });

  for (const id of Object.keys(CASES)) {
    it(`${id}: the same tasks, results and exit code as ansible-playbook`, () => {
      const a = ansible[id]!;
      const w = ww[id]!;
      expect(blocks(w.stdout), w.stdout + w.stderr).to.deep.equal(blocks(a.stdout));
      expect(w.code, w.stderr).to.equal(a.code);
    });
  }

  it('what each case runs (the oracle itself is checked, so a broken fixture cannot pass)', () => {
    expect(blocks(ww['start at role : name']!.stdout)[0]).to.equal('TASK [r : role task one]: ok h1, ok h2');
    expect(blocks(ww['start at a pattern inside a block']!.stdout)[0]).to.equal('TASK [block target]: ok h1, ok h2');
    expect(blocks(ww['start at a task of a later play (pattern)']!.stdout)).to.deep.equal(['TASK [p3]: ok h1, ok h2']);
    expect(blocks(ww['no matching task']!.stdout)).to.deep.equal([]);
    expect(ww['no matching task']!.stderr).to.include('ERROR! No matching task "nomatch" found. Note: --start-at-task can only follow static includes.');
    expect(blocks(ww['a failed host without --force-handlers']!.stdout)).to.include('RUNNING HANDLER [h one]: ok h1');
    expect(blocks(ww['a failed host with --force-handlers']!.stdout)).to.include('RUNNING HANDLER [h one]: ok h1, ok h2');
    expect(blocks(ww['a failed host with --force-handlers']!.stdout)).to.include('RUNNING HANDLER [h late]: ok h1');
  });

  it('--step without a terminal is refused before anything runs (exit 5, a short usage)', async () => {
    const r = await runCli(['-i', 'hosts.ini', 'start.yml', '--step'], { cwd: FIX });
    expect(r.code).to.equal(5);
    expect(r.stderr).to.match(/^ERROR: --step asks before each task and needs a terminal/);
    expect(r.stderr).to.include('usage: wheelwright');
    expect(r.stdout).to.equal('');
  });
});
