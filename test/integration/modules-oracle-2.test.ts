/**
 * Issue 11 point 4 for reboot, wait_for_connection across a lost connection, service, systemd_service,
 * cron, getent, script and stat: the same tasks run by ansible-playbook on one lab host and by
 * wheelwright on another (see modules-oracle.test.ts for the passes and what they assert).
 *
 * Three plays, run side by side on six hosts: stat/getent/script/cron (tag main) on three (Ansible
 * --check, Ansible, wheelwright); service/systemd (tag services) then reboot (tag reboot) on three
 * more. wheelwright runs services twice before rebooting, so a reboot never falls between the two
 * runs of a service case. A reboot host whose sshd (its PID 1) ended is restarted by this test, as a
 * machine boots again. Ansible runs each check pass with its real pass (two ansible-playbook runs in
 * all, at the same time as wheelwright's); the per-case checks are oracle-suite.ts's defineCaseTests.
 */
import { expect } from 'chai';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { skipWithoutLab, useLab, type Lab } from './_lab-fixture.js';
import { ansiblePassHosts, closeAnsibleMasters, hostState, wheelwrightPass, writePlaybook, type PassResult } from '../helpers/oracle.js';
import { defineCaseTests, type OraclePasses } from '../helpers/oracle-suite.js';
import { labHealth, labHostExec, labHostRestart } from '../../src/lab/index.js';
import { ACTION_LOGS, CASES, REBOOT_CASES, RESET, SCRIPTS, SERVICE_CASES, STATE } from '../fixtures/modules-oracle-2/cases.js';
import { tempDir } from '../helpers/tmp.js';

// Three plays: stat/getent/script/cron (tag main), service/systemd (tag services), reboot (tag reboot).
// main runs on three hosts (Ansible --check, Ansible, wheelwright); services then reboot on three more.
const ANSIBLE_HOST = 'lab2';
const ANSIBLE_CHECK_HOST = 'lab3';
const WW_HOST = 'lab1';
const ANSIBLE_REBOOT_HOST = 'lab4';
const ANSIBLE_REBOOT_CHECK_HOST = 'lab6';
const WW_REBOOT_HOST = 'lab5';
const HOSTS = [ANSIBLE_HOST, ANSIBLE_CHECK_HOST, WW_HOST, ANSIBLE_REBOOT_HOST, ANSIBLE_REBOOT_CHECK_HOST, WW_REBOOT_HOST];

/** Restart any of `hosts` whose init (sshd) has ended, until stopped: the lab's power button. */
function bootWatcher(hosts: string[]): { stop: () => Promise<void>; boots: Record<string, number> } {
  let on = true;
  const boots: Record<string, number> = {};
  const loop = (async () => {
    while (on) {
      for (const h of await labHealth()) {
        if (hosts.includes(h.name) && !h.running) {
          await labHostRestart(h.name);
          boots[h.name] = (boots[h.name] ?? 0) + 1;
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    boots,
    stop: async () => {
      on = false;
      await loop;
    },
  };
}

describe('modules: oracle against ansible-playbook, part 2 (lab)', function () {
  let lab: Lab;
  let dir: string;
  const passes: OraclePasses = { check: {}, run: {}, again: {} };
  const states: Record<string, { ansible?: string; ww?: string }> = {};
  let boots: Record<string, number> = {};
  const timing: Record<string, number> = {};
  let seeds: string[] = [];
  const ALL = [...CASES, ...SERVICE_CASES, ...REBOOT_CASES];

  before(async function () {
    skipWithoutLab(this);
    this.timeout(600_000);
    lab = await useLab(6);
    dir = tempDir('ww-modules-oracle-2-');
    mkdirSync(join(dir, 'files'));
    for (const [name, text] of Object.entries(SCRIPTS)) writeFileSync(join(dir, 'files', name), text, { mode: 0o644 });
    const tasks = (cases: typeof CASES) => cases.map((c) => ({ name: c.name, ignore_errors: true, ...c.task }));
    const plays = [
      { name: 'modules oracle 2', hosts: 'all', gather_facts: false, tags: ['main'], tasks: tasks(CASES) },
      { name: 'services oracle', hosts: 'all', gather_facts: false, tags: ['services'], tasks: tasks(SERVICE_CASES) },
      { name: 'reboot oracle', hosts: 'all', gather_facts: false, tags: ['reboot'], tasks: tasks(REBOOT_CASES) },
    ];
    const playbook = writePlaybook(dir, 'site.yml', stringify(plays));
    // Ansible: each check pass and its real pass in one ansible-playbook run over two hosts seeded
    // alike (check_mode and diff true on the check host only), as in oracle-suite.ts
    const cond = `{{ inventory_hostname in ['${ANSIBLE_CHECK_HOST}', '${ANSIBLE_REBOOT_CHECK_HOST}'] }}`;
    const ansiblePlaybook = writePlaybook(dir, 'site-ansible.yml', stringify(plays.map((p) => ({ ...p, check_mode: cond, diff: cond }))));
    for (const r of await Promise.all(HOSTS.map((h) => labHostExec(h, RESET)))) {
      if (r.code !== 0) throw new Error(`seeding the lab hosts failed (rc=${r.code}): ${r.stderr}`);
    }
    const all = await Promise.all(HOSTS.map((h) => hostState(h, STATE)));
    states.seed = { ansible: all[0], ww: all[2] };
    seeds = all;
    const watcher = bootWatcher([ANSIBLE_REBOOT_HOST, WW_REBOOT_HOST]);
    try {
      const merge = (...m: PassResult[]) => new Map(m.flatMap((x) => [...x]));
      const t0 = Date.now();
      const took = <T>(what: string, p: Promise<T>) => p.then((r) => ((timing[what] = Date.now() - t0), r));
      const ww = async () => {
        const check = await wheelwrightPass(lab, playbook, WW_HOST, ['--check', '--diff', '--tags', 'main']);
        states.check = { ww: await hostState(WW_HOST, STATE) };
        const run = await wheelwrightPass(lab, playbook, WW_HOST, ['--tags', 'main']);
        states.run = { ww: await hostState(WW_HOST, STATE) };
        states.logs = { ww: await hostState(WW_HOST, ACTION_LOGS) };
        const again = await wheelwrightPass(lab, playbook, WW_HOST, ['--tags', 'main']);
        states.again = { ww: await hostState(WW_HOST, STATE) };
        return { check, run, again };
      };
      // services twice, then reboot twice: a reboot never falls between the two runs of a service case
      const wwReboot = async () => {
        const check = await wheelwrightPass(lab, playbook, WW_REBOOT_HOST, ['--check', '--diff', '--tags', 'services,reboot']);
        states.check2 = { ww: await hostState(WW_REBOOT_HOST, STATE) };
        const run = await wheelwrightPass(lab, playbook, WW_REBOOT_HOST, ['--tags', 'services']);
        states.run2 = { ww: await hostState(WW_REBOOT_HOST, STATE) };
        states.logs2 = { ww: await hostState(WW_REBOOT_HOST, ACTION_LOGS) };
        const again = await wheelwrightPass(lab, playbook, WW_REBOOT_HOST, ['--tags', 'services']);
        states.again2 = { ww: await hostState(WW_REBOOT_HOST, STATE) };
        const runB = await wheelwrightPass(lab, playbook, WW_REBOOT_HOST, ['--tags', 'reboot']);
        const againB = await wheelwrightPass(lab, playbook, WW_REBOOT_HOST, ['--tags', 'reboot']);
        return { check, run: merge(run, runB), again: merge(again, againB) };
      };
      const [main, reboot, w, wr] = await Promise.all([
        took('ansible check+run', ansiblePassHosts(lab, ansiblePlaybook, [ANSIBLE_CHECK_HOST, ANSIBLE_HOST], ['--tags', 'main'])),
        took('ansible services+reboot check+run', ansiblePassHosts(lab, ansiblePlaybook, [ANSIBLE_REBOOT_CHECK_HOST, ANSIBLE_REBOOT_HOST], ['--tags', 'services,reboot'])),
        took('wheelwright (3 runs)', ww()),
        took('wheelwright services+reboot (5 runs)', wwReboot()),
      ]);
      const [ac, ar, acb, arb] = [main.get(ANSIBLE_CHECK_HOST)!, main.get(ANSIBLE_HOST)!, reboot.get(ANSIBLE_REBOOT_CHECK_HOST)!, reboot.get(ANSIBLE_REBOOT_HOST)!];
      passes.check = { ansible: merge(ac, acb), ww: merge(w.check, wr.check) };
      passes.run = { ansible: merge(ar, arb), ww: merge(w.run, wr.run) };
      passes.again = { ww: merge(w.again, wr.again) };
      states.check!.ansible = await hostState(ANSIBLE_CHECK_HOST, STATE);
      states.check2!.ansible = await hostState(ANSIBLE_REBOOT_CHECK_HOST, STATE);
      states.run!.ansible = await hostState(ANSIBLE_HOST, STATE);
      states.logs!.ansible = await hostState(ANSIBLE_HOST, ACTION_LOGS);
      states.run2!.ansible = await hostState(ANSIBLE_REBOOT_HOST, STATE);
      states.logs2!.ansible = await hostState(ANSIBLE_REBOOT_HOST, ACTION_LOGS);
    } finally {
      await watcher.stop();
      boots = watcher.boots;
    }
  });

  after(async function () {
    if (!lab) return;
    this.timeout(60_000);
    await closeAnsibleMasters(lab);
    const clean = RESET.replace(/^#SEED[\s\S]*$/m, '');
    await Promise.all(HOSTS.map((h) => labHostExec(h, clean)));
    if (process.env.WW_ORACLE_DEBUG) for (const [k, v] of Object.entries(states)) for (const [t, text] of Object.entries(v)) writeFileSync(join(process.env.WW_ORACLE_DEBUG, `state2-${k}-${t}.txt`), text ?? '');
    if (process.env.WW_ORACLE_TIMING) process.stderr.write(`oracle 2 pass times (ms): ${JSON.stringify(timing)}\n`);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the seeded state is the same on all hosts', function () {
    for (const [i, h] of HOSTS.entries()) expect(seeds[i], h).to.equal(seeds[0]);
  });

  it('--check changes nothing on any host', function () {
    for (const k of ['check', 'check2']) {
      expect(states[k]!.ansible, `${k} ansible`).to.equal(seeds[0]);
      expect(states[k]!.ww, `${k} wheelwright`).to.equal(seeds[0]);
    }
  });

  it('both tools leave the same state and ran the same actions; a second run changes nothing', function () {
    // main: wheelwright's first run against Ansible's; services: the same, Ansible's host after its reboot play too
    // (the state is persistent only: a reboot ends the daemons, nothing else)
    expect(states.run!.ww).to.equal(states.run!.ansible);
    expect(states.run2!.ww).to.equal(states.run2!.ansible);
    expect(states.logs!.ww).to.equal(states.logs!.ansible);
    expect(states.logs2!.ww).to.equal(states.logs2!.ansible);
    expect(states.logs2!.ww).to.include('== wwmod2a.log\nstart\nreload\n');
    expect(states.logs!.ww).to.include('== args.log\nran\n');
    expect(states.again!.ww, 'the second run changed the state').to.equal(states.run!.ww);
    expect(states.again2!.ww, 'the second run changed the state').to.equal(states.run2!.ww);
  });

  it('each reboot host went down twice per real run (reboot, lost connection), never in --check', function () {
    expect(boots).to.deep.equal({ [ANSIBLE_REBOOT_HOST]: 2, [WW_REBOOT_HOST]: 4 });
  });

  defineCaseTests(ALL, passes, { ansibleCheck: ANSIBLE_CHECK_HOST, ansible: ANSIBLE_HOST, ww: WW_HOST }, { compareSkipped: true, sameStatKeys: true });
});
