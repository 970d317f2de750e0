/**
 * The module oracle as a reusable suite: the same tasks run by ansible-playbook on lab hosts and by
 * wheelwright on another, from the same seeded state:
 *   --check: nothing changes on either tool's host; each task's `changed` is recorded;
 *   real:    `changed`, `failed` and each case's return fields equal Ansible's; the check pass
 *            predicted `changed`; both hosts end in the same state;
 *   again:   nothing changes.
 * Ansible runs its check and real passes in ONE ansible-playbook run over two hosts seeded alike
 * (the play's check_mode/diff are true on the check host only), so one process and one set of
 * per-task overhead checks both; wheelwright's three passes run meanwhile on a third host.
 * Not for modules that bypass the host loop (pause, add_host): Ansible runs those for one host only.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { skipWithoutLab, useLab, type Lab } from '../integration/_lab-fixture.js';
import { ansiblePassHosts, closeAnsibleMasters, hostState, pick, wheelwrightPass, writePlaybook, type PassResult } from './oracle.js';
import { labHostExec } from '../../src/lab/index.js';
import type { OracleCase } from '../fixtures/modules-oracle/cases.js';

export interface OracleSuite {
  title: string;
  cases: OracleCase[];
  /** Hosts: Ansible's check pass, Ansible's real pass, wheelwright's three passes. */
  hosts: { ansibleCheck: string; ansible: string; ww: string };
  /** Script (root, on each host) that cleans up and lays the seed. */
  seed(lab: Lab): string;
  /** Script that removes what the cases left (after the run). */
  clean: string;
  /** Script printing the state the tools must leave alike. */
  state: string;
  /** Runs before the seed: files next to the playbook, servers on other hosts... */
  prepare?(lab: Lab, dir: string): Promise<void>;
  /** Runs after the suite (servers down...). */
  finish?(lab: Lab): Promise<void>;
  /** Extra keys of the play (vars...), for both tools; called after prepare(). */
  play?(): Record<string, unknown>;
}

/** One ansible-playbook run: `check` host in check+diff mode, `run` host for real. */
export async function ansibleCheckAndRun(lab: Lab, dir: string, play: Record<string, unknown>, check: string, run: string): Promise<{ check: PassResult; run: PassResult }> {
  const cond = `{{ inventory_hostname == '${check}' }}`;
  const playbook = writePlaybook(dir, 'site-ansible.yml', stringify([{ ...play, check_mode: cond, diff: cond }]));
  const both = await ansiblePassHosts(lab, playbook, [check, run]);
  return { check: both.get(check)!, run: both.get(run)! };
}

export function defineOracleSuite(s: OracleSuite): void {
  describe(s.title, function () {
    let lab: Lab;
    let dir: string;
    const passes: Record<'check' | 'run' | 'again', { ansible?: PassResult; ww?: PassResult }> = { check: {}, run: {}, again: {} };
    const timing: Record<string, number> = {};
    const states: Record<string, { ansible?: string; ww?: string }> = {};
    const { ansibleCheck: AC, ansible: AR, ww: WW } = s.hosts;

    before(async function () {
      skipWithoutLab(this);
      this.timeout(600_000);
      lab = await useLab(6);
      dir = mkdtempSync(join(tmpdir(), 'ww-modules-oracle-'));
      // every task ignores errors, so one difference cannot hide the cases after it (failed is compared)
      const tasks = s.cases.map((c) => ({ name: c.name, ...c.task, ignore_errors: true }));
      if (s.prepare) await s.prepare(lab, dir);
      const play = { name: s.title, hosts: 'all', gather_facts: false, ...s.play?.(), tasks };
      const playbook = writePlaybook(dir, 'site.yml', stringify([play]));
      const seed = s.seed(lab);
      for (const r of await Promise.all([labHostExec(AR, seed), labHostExec(AC, seed), labHostExec(WW, seed)])) {
        if (r.code !== 0) throw new Error(`seeding the lab hosts failed (rc=${r.code}): ${r.stderr}`);
      }
      states.seed = { ansible: await hostState(AR, s.state), ww: await hostState(WW, s.state) };
      states.seedCheck = { ansible: await hostState(AC, s.state) };
      const t0 = Date.now();
      const took = <T>(what: string, p: Promise<T>) => p.then((r) => ((timing[what] = Date.now() - t0), r));
      const ww = (async () => {
        for (const pass of ['check', 'run', 'again'] as const) {
          passes[pass].ww = await took(`wheelwright ${pass}`, wheelwrightPass(lab, playbook, WW, pass === 'check' ? ['--check', '--diff'] : []));
          states[pass] = { ...states[pass], ww: await hostState(WW, s.state) };
        }
      })();
      const [a] = await Promise.all([took('ansible check+run', ansibleCheckAndRun(lab, dir, play, AC, AR)), ww]);
      passes.check.ansible = a.check;
      passes.run.ansible = a.run;
      states.check = { ...states.check, ansible: await hostState(AC, s.state) };
      states.run = { ...states.run, ansible: await hostState(AR, s.state) };
    });

    after(async function () {
      if (!lab) return;
      this.timeout(60_000);
      await closeAnsibleMasters(lab);
      if (s.finish) await s.finish(lab);
      await Promise.all([labHostExec(AR, s.clean), labHostExec(AC, s.clean), labHostExec(WW, s.clean)]);
      if (process.env.WW_ORACLE_DEBUG) for (const [k, v] of Object.entries(states)) for (const [t, text] of Object.entries(v)) writeFileSync(join(process.env.WW_ORACLE_DEBUG, `state-${k}-${t}.txt`), text ?? '');
      if (process.env.WW_ORACLE_TIMING) process.stderr.write(`oracle pass times (ms): ${JSON.stringify(timing)}\n`);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('the seeded state is the same on all hosts (the comparison starts level)', function () {
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

    for (const c of s.cases) {
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
          if (c.fields) expect(pick(w.result, c.fields, WW)).to.deep.equal(pick(a.result, c.fields, AR));
          if (c.fails) expect(w.failed, 'this case fails in Ansible').to.equal(true);
        });
        it('--check predicts changed as ansible-playbook does', function () {
          const a = get('check', 'ansible');
          const w = get('check', 'ww');
          expect({ changed: w.changed, failed: w.failed }, JSON.stringify(w.result)).to.deep.equal({ changed: a.changed, failed: a.failed });
          // a module Ansible skips in check mode predicts nothing
          if (!c.checkUnpredictable && !a.skipped) expect(w.changed).to.equal(get('run', 'ww').changed);
          if (c.checkFields) expect(pick(w.result, c.checkFields, WW)).to.deep.equal(pick(a.result, c.checkFields, AC));
        });
        it('a second run changes nothing', function () {
          const w = get('again', 'ww');
          expect(w.failed, JSON.stringify(w.result)).to.equal(get('run', 'ww').failed);
          expect(w.changed, JSON.stringify(w.result)).to.equal(!!c.alwaysChanged);
        });
      });
    }
  });
}
