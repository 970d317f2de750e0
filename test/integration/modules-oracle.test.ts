/**
 * Issue 11 point 4: every module against ansible-playbook in the lab. The same tasks run by
 * ansible-playbook on one lab host and by wheelwright on another, from the same seeded state:
 *   pass 1 --check: nothing changes on either host; each task's `changed` is recorded;
 *   pass 2 real:   `changed`, `failed` and each case's return fields equal Ansible's; the check
 *                  pass predicted `changed`; both hosts end in the same state;
 *   pass 3 real:   nothing changes.
 * All cases run as one playbook per pass; both tools run at the same time, on different hosts.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { skipWithoutLab, useLab, type Lab } from './_lab-fixture.js';
import { ansiblePass, closeAnsibleMasters, hostState, pick, wheelwrightPass, writePlaybook, type PassResult } from '../helpers/oracle.js';
import { labHostExec } from '../../src/lab/index.js';
import { CASES, RESET, STATE, WEB_START, WEB_STOP } from '../fixtures/modules-oracle/cases.js';

const ANSIBLE_HOST = 'lab5';
const ANSIBLE_CHECK_HOST = 'lab4';
const WW_HOST = 'lab6';

describe('modules: oracle against ansible-playbook (lab)', function () {
  let lab: Lab;
  let dir: string;
  // Ansible runs the check and real passes; a third Ansible pass would only confirm what the
  // assertions below require of wheelwright's (nothing changes), so it is not run (test time).
  const passes: Record<'check' | 'run' | 'again', { ansible?: PassResult; ww?: PassResult }> = { check: {}, run: {}, again: {} };
  const timing: Record<string, number> = {};
  const states: Record<string, { ansible?: string; ww?: string }> = {};

  before(async function () {
    skipWithoutLab(this);
    this.timeout(600_000);
    lab = await useLab(6);
    dir = mkdtempSync(join(tmpdir(), 'ww-modules-oracle-'));
    // every task ignores errors, so one difference cannot hide the cases after it (failed is compared)
    const tasks = CASES.map((c) => ({ name: c.name, ...c.task, ignore_errors: true }));
    // the controller-side archive unarchive sends (files/ next to the playbook, as Ansible looks it up)
    mkdirSync(join(dir, 'files/local/conf'), { recursive: true });
    writeFileSync(join(dir, 'files/local/conf/app.ini'), '[app]\nx = 1\n');
    execFileSync('tar', ['--owner=0', '--group=0', '--mtime=2024-01-02 03:04:05', '-czf', join(dir, 'files/local.tar.gz'), '-C', join(dir, 'files'), 'local']);
    const playbook = writePlaybook(dir, 'site.yml', stringify([{ name: 'modules oracle', hosts: 'all', gather_facts: false, tasks }]));
    const lab1 = lab.hosts.find((h) => h.name === 'lab1')!.address;
    const reset = RESET(lab1);
    // the lab's own web server for get_url, uri and unarchive: nginx on lab1
    const web = await labHostExec('lab1', WEB_START);
    if (web.code !== 0) throw new Error(`nginx on lab1 did not start: ${web.stderr}`);
    for (const r of await Promise.all([labHostExec(ANSIBLE_HOST, reset), labHostExec(ANSIBLE_CHECK_HOST, reset), labHostExec(WW_HOST, reset)])) {
      if (r.code !== 0) throw new Error(`seeding the lab hosts failed (rc=${r.code}): ${r.stderr}`);
    }
    states.seed = { ansible: await hostState(ANSIBLE_HOST, STATE), ww: await hostState(WW_HOST, STATE) };
    states.seedCheck = { ansible: await hostState(ANSIBLE_CHECK_HOST, STATE) };
    // Ansible's check and real passes run at the same time on two hosts seeded alike (a check
    // pass changes nothing); wheelwright's three passes run meanwhile on a third host.
    const t0 = Date.now();
    const took = <T>(what: string, p: Promise<T>) => p.then((r) => ((timing[what] = Date.now() - t0), r));
    const ww = (async () => {
      for (const pass of ['check', 'run', 'again'] as const) {
        passes[pass].ww = await took(`wheelwright ${pass}`, wheelwrightPass(lab, playbook, WW_HOST, pass === 'check' ? ['--check', '--diff'] : []));
        states[pass] = { ...states[pass], ww: await hostState(WW_HOST, STATE) };
      }
    })();
    const [ac, ar] = await Promise.all([
      took('ansible check', ansiblePass(lab, playbook, ANSIBLE_CHECK_HOST, ['--check', '--diff'])),
      took('ansible run', ansiblePass(lab, playbook, ANSIBLE_HOST)),
      ww,
    ]);
    passes.check.ansible = ac;
    passes.run.ansible = ar;
    states.check = { ...states.check, ansible: await hostState(ANSIBLE_CHECK_HOST, STATE) };
    states.run = { ...states.run, ansible: await hostState(ANSIBLE_HOST, STATE) };
  });

  after(async function () {
    if (!lab) return;
    this.timeout(60_000);
    await closeAnsibleMasters(lab);
    await labHostExec('lab1', WEB_STOP);
    const clean = RESET('').replace(/^#SEED[\s\S]*$/m, '');
    await Promise.all([labHostExec(ANSIBLE_HOST, clean), labHostExec(ANSIBLE_CHECK_HOST, clean), labHostExec(WW_HOST, clean)]);
    if (process.env.WW_ORACLE_DEBUG) for (const [k, v] of Object.entries(states)) for (const [t, text] of Object.entries(v)) writeFileSync(join(process.env.WW_ORACLE_DEBUG, `state-${k}-${t}.txt`), text ?? '');
    if (process.env.WW_ORACLE_TIMING) process.stderr.write(`oracle pass times (ms): ${JSON.stringify(timing)}\n`);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the seeded state is the same on both hosts (the comparison starts level)', function () {
    expect(states.seed!.ww).to.equal(states.seed!.ansible);
    expect(states.seedCheck!.ansible).to.equal(states.seed!.ansible);
  });

  it('--check changes nothing on either host', function () {
    expect(states.check!.ansible).to.equal(states.seedCheck!.ansible);
    expect(states.check!.ww).to.equal(states.seed!.ww);
  });

  it('both hosts end in the same state', function () {
    expect(states.run!.ww).to.equal(states.run!.ansible);
    expect(states.again!.ww, 'the second run changed the state').to.equal(states.run!.ww);
  });

  for (const c of CASES) {
    describe(c.name, function () {
      const get = (pass: 'check' | 'run' | 'again', tool: 'ansible' | 'ww') => {
        const r = passes[pass][tool]?.get(c.name);
        if (!r) throw new Error(`no ${tool} result for '${c.name}' in the ${pass} pass`);
        return r;
      };
      it('changed/failed and return fields as ansible-playbook', function () {
        const a = get('run', 'ansible');
        const w = get('run', 'ww');
        expect({ changed: w.changed, failed: w.failed }, JSON.stringify(w.result)).to.deep.equal({ changed: a.changed, failed: a.failed });
        if (c.fields) expect(pick(w.result, c.fields, WW_HOST)).to.deep.equal(pick(a.result, c.fields, ANSIBLE_HOST));
        if (c.fails) expect(w.failed, 'this case fails in Ansible').to.equal(true);
      });
      it('--check predicts changed as ansible-playbook does', function () {
        const a = get('check', 'ansible');
        const w = get('check', 'ww');
        expect({ changed: w.changed, failed: w.failed }, JSON.stringify(w.result)).to.deep.equal({ changed: a.changed, failed: a.failed });
        // a module Ansible skips in check mode predicts nothing
        if (!c.checkUnpredictable && !a.skipped) expect(w.changed).to.equal(get('run', 'ww').changed);
        if (c.checkFields) expect(pick(w.result, c.checkFields, WW_HOST)).to.deep.equal(pick(a.result, c.checkFields, ANSIBLE_CHECK_HOST));
      });
      it('a second run changes nothing', function () {
        const w = get('again', 'ww');
        expect(w.failed, JSON.stringify(w.result)).to.equal(get('run', 'ww').failed);
        expect(w.changed, JSON.stringify(w.result)).to.equal(!!c.alwaysChanged);
      });
    });
  }
});
