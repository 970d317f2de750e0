/**
 * The file argument `attributes` (alias `attr`: chattr flags, Ansible's set_attributes_if_different)
 * on the modules of issue 11 that write files, against ansible-playbook on localhost (connection
 * local, no lab): the same tasks on copies of one seed directory (on the controller's ext4, where
 * lsattr/chattr work): --check, a real run and a second run; changed/failed/msg per task, the files'
 * flags and contents after each pass.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ansiblePlaybooks, ansibleResults } from '../helpers/ansible.js';
import { runCli } from '../helpers/cli.js';

const D = '{{ base }}';
const CASES: Array<{ name: string; task: Record<string, unknown>; alwaysChanged?: boolean }> = [
  { name: 'lineinfile sets nodump on a new file', task: { lineinfile: { path: `${D}/li_new`, line: 'x=1', create: true, attributes: 'd' } } },
  { name: 'lineinfile keeps the flags it finds (attr alias)', task: { lineinfile: { path: `${D}/li_keep`, line: 'x=1', attr: 'e' } } },
  // '+d' is compared with the whole flag set ('ed'), so Ansible runs chattr every time
  { name: 'lineinfile adds a flag', task: { lineinfile: { path: `${D}/li_add`, line: 'x=1', attributes: '+d' } }, alwaysChanged: true },
  { name: 'blockinfile with the flags already there', task: { blockinfile: { path: `${D}/bi`, block: 'b', attributes: 'e' } } },
  { name: 'replace removes a flag', task: { replace: { path: `${D}/rp`, regexp: 'a', replace: 'b', attributes: '-d' } }, alwaysChanged: true },
  { name: 'yum_repository with noatime', task: { yum_repository: { name: 'wwattr', description: 'attr', baseurl: 'http://x.invalid/', reposdir: D, attributes: '+A' } }, alwaysChanged: true },
  { name: 'lineinfile with an unknown flag fails', task: { lineinfile: { path: `${D}/li_keep`, line: 'x=1', attributes: '+Q' } } },
];

const SEED = (d: string) => {
  mkdirSync(d, { recursive: true });
  for (const f of ['li_keep', 'li_add', 'bi']) writeFileSync(join(d, f), 'x=1\n');
  writeFileSync(join(d, 'rp'), 'a\n');
  execFileSync('chattr', ['+d', join(d, 'rp')]);
};

/** Each file's flags and content. */
const state = (d: string) =>
  execFileSync('sh', ['-c', 'cd "$1" && for f in $(ls | LC_ALL=C sort); do printf "%s %s\\n" "$(lsattr -d "$f" | cut -d" " -f1)" "$f"; cat "$f"; done', 'sh', d], { encoding: 'utf8' });

describe('file attributes (chattr) as ansible-playbook sets them (localhost)', function () {
  this.timeout(180_000);
  let root: string;
  const out: Record<string, Record<string, Record<string, any>>> = {};
  const states: Record<string, string> = {};

  before(async function () {
    root = mkdtempSync(join(tmpdir(), 'ww-attr-oracle-'));
    const play = [{ hosts: 'localhost', connection: 'local', gather_facts: false, tasks: CASES.map((c) => ({ name: c.name, ...c.task, ignore_errors: true })) }];
    writeFileSync(join(root, 'site.yml'), stringify(play));
    writeFileSync(join(root, 'hosts'), 'localhost ansible_connection=local\n');
    for (const p of ['a-check', 'a-run', 'w-check', 'w-run']) SEED(join(root, p));
    states.seed = state(join(root, 'a-run'));
    const ww = async (pass: string, dir: string, extra: string[] = []) => {
      const r = await runCli(['-i', 'hosts', 'site.yml', '-e', `base=${join(root, dir)}`, '--output', 'jsonl', '--retry-file', 'none', ...extra], { cwd: root });
      const res: Record<string, Record<string, any>> = {};
      for (const e of r.events) if (e.type === 'host_result') res[e.task] = { ...e.result, failed: e.status === 'failed' };
      out[pass] = res;
      states[pass] = state(join(root, dir));
    };
    const [a] = await Promise.all([
      ansiblePlaybooks([
        { id: 'check', argv: ['-i', 'hosts', 'site.yml', '-e', `base=${join(root, 'a-check')}`, '--check'], cwd: root },
        { id: 'run', argv: ['-i', 'hosts', 'site.yml', '-e', `base=${join(root, 'a-run')}`], cwd: root },
      ]),
      (async () => {
        await ww('w-check', 'w-check', ['--check']);
        await ww('w-run', 'w-run');
        await ww('w-again', 'w-run');
      })(),
    ]);
    for (const p of ['check', 'run'] as const) {
      const r: Record<string, Record<string, any>> = {};
      for (const [t, v] of Object.entries(ansibleResults(a[p]!.json).localhost ?? {})) r[t] = { ...v, failed: ['failed', 'ignored'].includes(v._status) };
      out[`a-${p}`] = r;
    }
    states['a-check'] = state(join(root, 'a-check'));
    states['a-run'] = state(join(root, 'a-run'));
  });

  after(() => {
    if (process.env.WW_ATTR_DEBUG) console.log(JSON.stringify({ out, states }, null, 1));
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const shape = (r: Record<string, any> | undefined) => ({ changed: !!r?.changed, failed: !!r?.failed, msg: r?.msg, details: r?.details });

  for (const c of CASES) {
    it(`${c.name}: the real run, --check and a second run as Ansible`, function () {
      expect(shape(out['w-run']![c.name]), 'real run').to.deep.equal(shape(out['a-run']![c.name]));
      expect(shape(out['w-check']![c.name]), '--check').to.deep.equal(shape(out['a-check']![c.name]));
      expect(!!out['w-again']![c.name]!.changed, 'second run').to.equal(!!c.alwaysChanged);
    });
  }

  it('the files end with the same flags and contents; --check changes nothing', function () {
    expect(states['w-run']).to.equal(states['a-run']);
    expect(states['w-again']).to.equal(states['w-run']);
    expect(states['a-check']).to.equal(states.seed);
    expect(states['w-check']).to.equal(states.seed);
  });
});
