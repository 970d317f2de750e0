/**
 * The module oracle as a reusable suite: the same tasks run by ansible-playbook on lab hosts and by
 * wheelwright on another, from the same seeded state:
 *   --check: nothing changes on either tool's host; each task's `changed` is recorded;
 *   real:    `changed`, `failed` and each case's return fields equal Ansible's; the check pass
 *            predicted `changed`; both hosts end in the same state;
 *   again:   nothing changes.
 * Ansible runs its check and real passes in ONE ansible-playbook run over two hosts seeded alike
 * (the play's check_mode/diff are true on the check host only), so one process and one set of
 * per-task overhead checks both; wheelwright's three passes run meanwhile on a third host, or its
 * check pass on a fourth (hosts.wwCheck) while its two real passes run on the third.
 * A module that bypasses the host loop (pause, add_host) runs for one host only in such a run: a
 * suite with one sets ansibleSeparateRuns (one ansible-playbook run per pass, at the same time).
 */
import { expect } from 'chai';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { skipWithoutLab, useLab, type Lab } from '../integration/_lab-fixture.js';
import { ansiblePass, ansiblePassHosts, closeAnsibleMasters, hostState, pick, wheelwrightPass, writePlaybook, type AnsibleCommand, type PassResult, type TaskOutcome } from './oracle.js';
import { labHostExec } from '../../src/lab/index.js';
import type { OracleCase } from '../fixtures/modules-oracle/cases.js';
import { tempDir } from './tmp.js';

export interface OracleSuite {
  title: string;
  cases: OracleCase[];
  /** Hosts: Ansible's check pass, Ansible's real pass, wheelwright's passes (its check pass on wwCheck if given). */
  hosts: OracleHosts;
  /** Script (root, on each host) that cleans up and lays the seed. */
  seed(lab: Lab): string;
  /** Script that removes what the cases left (after the run). */
  clean: string;
  /** Script printing the state the tools must leave alike. */
  state: string;
  /** Runs before the seed: files next to the playbook, servers on other hosts... */
  prepare?(lab: Lab, dir: string): Promise<void>;
  /** Ansible's check and real passes as two ansible-playbook runs (for pause: it bypasses the host loop). */
  ansibleSeparateRuns?: boolean;
  /** Runs after the suite (servers down...). */
  finish?(lab: Lab): Promise<void>;
  /** Extra keys of the play (vars...), for both tools; called after prepare(). */
  play?(): Record<string, unknown>;
  /** Another ansible-playbook than the one on PATH (a newer ansible-core from source); called after prepare(). */
  ansibleCommand?(): AnsibleCommand | undefined;
}

/** One ansible-playbook run: `check` host in check+diff mode, `run` host for real. */
export async function ansibleCheckAndRun(lab: Lab, dir: string, play: Record<string, unknown>, check: string, run: string, command?: AnsibleCommand): Promise<{ check: PassResult; run: PassResult }> {
  const cond = `{{ inventory_hostname == '${check}' }}`;
  const playbook = writePlaybook(dir, 'site-ansible.yml', stringify([{ ...play, check_mode: cond, diff: cond }]));
  const both = await ansiblePassHosts(lab, playbook, [check, run], [], command);
  return { check: both.get(check)!, run: both.get(run)! };
}

export interface OracleHosts {
  ansibleCheck: string;
  ansible: string;
  ww: string;
  /** wheelwright's --check pass, at the same time as its real passes on `ww` (default: on `ww`, first). */
  wwCheck?: string;
}

export type CasePass = 'check' | 'run' | 'again';

/** Each tool's outcomes per pass (filled in a `before`); Ansible runs no `again` pass (except in suites that run it themselves). */
export type OraclePasses = Record<CasePass, { ansible?: PassResult; ww?: PassResult }>;

/**
 * The per-case tests, one `describe` per case, reading `passes` once the `before` filled them:
 *   the real run's changed/failed (and skipped, with compareSkipped) and the case's `fields`
 *   equal Ansible's; --check predicts `changed` as Ansible does (and its `checkFields`); a
 *   second run changes nothing (unless `alwaysChanged`). `hosts` names the hosts whose names
 *   read as HOST in compared fields; with sameStatKeys a result's `stat` must have Ansible's keys.
 * Optional: `extra(pass, c, get)` runs a suite's own comparisons at the end of each of the three
 * tests (pass 'run', 'check', 'again'); `checkExempt` names cases whose --check prediction is not
 * compared with their real run (as `checkUnpredictable` does per case).
 */
export function defineCaseTests(
  cases: readonly OracleCase[],
  passes: OraclePasses,
  hosts: OracleHosts,
  opts: {
    compareSkipped?: boolean;
    sameStatKeys?: boolean;
    extra?: (pass: CasePass, c: OracleCase, get: (pass: CasePass, tool: 'ansible' | 'ww') => TaskOutcome) => void;
    checkExempt?: readonly string[];
  } = {},
): void {
  const checkExempt = new Set(opts.checkExempt ?? []);
  const outcome = (r: TaskOutcome) => (opts.compareSkipped ? { changed: r.changed, failed: r.failed, skipped: r.skipped } : { changed: r.changed, failed: r.failed });
  for (const c of cases) {
    describe(c.name, function () {
      const get = (pass: CasePass, tool: 'ansible' | 'ww') => {
        const r = passes[pass][tool]?.get(c.name);
        if (!r) throw new Error(`no ${tool} result for '${c.name}' in the ${pass} pass`);
        return r;
      };
      it('changed/failed and return fields as ansible-playbook', function () {
        const a = get('run', 'ansible');
        const w = get('run', 'ww');
        expect(outcome(w), JSON.stringify(w.result)).to.deep.equal(outcome(a));
        if (c.fields) expect(pick(w.result, c.fields, hosts.ww)).to.deep.equal(pick(a.result, c.fields, hosts.ansible));
        if (c.fails) expect(w.failed, 'this case fails in Ansible').to.equal(true);
        // stat: the same keys, not only the same values of the compared ones
        if (opts.sameStatKeys && w.result.stat) expect(Object.keys(w.result.stat).sort()).to.deep.equal(Object.keys(a.result.stat ?? {}).sort());
        opts.extra?.('run', c, get);
      });
      it('--check predicts changed as ansible-playbook does', function () {
        const a = get('check', 'ansible');
        const w = get('check', 'ww');
        expect(outcome(w), JSON.stringify(w.result)).to.deep.equal(outcome(a));
        // a module Ansible skips in check mode predicts nothing
        if (!c.checkUnpredictable && !checkExempt.has(c.name) && !a.skipped) expect(w.changed).to.equal(get('run', 'ww').changed);
        if (c.checkFields) expect(pick(w.result, c.checkFields, hosts.wwCheck ?? hosts.ww)).to.deep.equal(pick(a.result, c.checkFields, hosts.ansibleCheck));
        opts.extra?.('check', c, get);
      });
      it('a second run changes nothing', function () {
        const w = get('again', 'ww');
        expect(w.failed, JSON.stringify(w.result)).to.equal(get('run', 'ww').failed);
        expect(w.changed, JSON.stringify(w.result)).to.equal(!!c.alwaysChanged);
        opts.extra?.('again', c, get);
      });
    });
  }
}

export function defineOracleSuite(s: OracleSuite): void {
  describe(s.title, function () {
    let lab: Lab;
    let dir: string;
    const passes: OraclePasses = { check: {}, run: {}, again: {} };
    const timing: Record<string, number> = {};
    const states: Record<string, { ansible?: string; ww?: string }> = {};
    const { ansibleCheck: AC, ansible: AR, ww: WW } = s.hosts;
    const WC = s.hosts.wwCheck ?? WW;
    const HOSTS = [...new Set([AR, AC, WW, WC])];

    before(async function () {
      skipWithoutLab(this);
      this.timeout(600_000);
      lab = await useLab(6);
      dir = tempDir('ww-modules-oracle-');
      // every task ignores errors, so one difference cannot hide the cases after it (failed is compared)
      const tasks = s.cases.map((c) => ({ name: c.name, ...c.task, ignore_errors: true }));
      if (s.prepare) await s.prepare(lab, dir);
      const play = { name: s.title, hosts: 'all', gather_facts: false, ...s.play?.(), tasks };
      const playbook = writePlaybook(dir, 'site.yml', stringify([play]));
      const seed = s.seed(lab);
      for (const r of await Promise.all(HOSTS.map((h) => labHostExec(h, seed)))) {
        if (r.code !== 0) throw new Error(`seeding the lab hosts failed (rc=${r.code}): ${r.stderr}`);
      }
      const [sAR, sAC, sWW, sWC] = await Promise.all([AR, AC, WW, WC].map((h) => hostState(h, s.state)));
      states.seed = { ansible: sAR, ww: sWW };
      states.seedCheck = { ansible: sAC, ww: sWC };
      const t0 = Date.now();
      const took = <T>(what: string, p: Promise<T>) => p.then((r) => ((timing[what] = Date.now() - t0), r));
      const wwPass = async (pass: 'check' | 'run' | 'again', host: string) => {
        passes[pass].ww = await took(`wheelwright ${pass}`, wheelwrightPass(lab, playbook, host, pass === 'check' ? ['--check', '--diff'] : []));
        states[pass] = { ...states[pass], ww: await hostState(host, s.state) };
      };
      const wwCheck = WC === WW ? undefined : wwPass('check', WC);
      const ww = (async () => {
        if (!wwCheck) await wwPass('check', WW);
        await wwPass('run', WW);
        await wwPass('again', WW);
      })();
      const command = s.ansibleCommand?.();
      const ansible = s.ansibleSeparateRuns
        ? Promise.all([
            took('ansible check', ansiblePass(lab, playbook, AC, ['--check', '--diff'], command)),
            took('ansible run', ansiblePass(lab, playbook, AR, [], command)),
          ]).then(([check, run]) => ({ check, run }))
        : took('ansible check+run', ansibleCheckAndRun(lab, dir, play, AC, AR, command));
      const [a] = await Promise.all([ansible, ww, wwCheck]);
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
      await Promise.all(HOSTS.map((h) => labHostExec(h, s.clean)));
      if (process.env.WW_ORACLE_DEBUG) for (const [k, v] of Object.entries(states)) for (const [t, text] of Object.entries(v)) writeFileSync(join(process.env.WW_ORACLE_DEBUG, `state-${k}-${t}.txt`), text ?? '');
      if (process.env.WW_ORACLE_TIMING) process.stderr.write(`oracle pass times (ms): ${JSON.stringify(timing)}\n`);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('the seeded state is the same on all hosts (the comparison starts level)', function () {
      expect(states.seed!.ww).to.equal(states.seed!.ansible);
      expect(states.seedCheck!.ansible).to.equal(states.seed!.ansible);
      expect(states.seedCheck!.ww).to.equal(states.seed!.ansible);
    });

    it('--check changes nothing on either host', function () {
      expect(states.check!.ansible).to.equal(states.seedCheck!.ansible);
      expect(states.check!.ww).to.equal(states.seedCheck!.ww);
    });

    it('both hosts end in the same state', function () {
      expect(states.run!.ww).to.equal(states.run!.ansible);
      expect(states.again!.ww, 'the second run changed the state').to.equal(states.run!.ww);
    });

    defineCaseTests(s.cases, passes, s.hosts);
  });
}
