/**
 * Issue 11: systemd_service (alias systemd) and service against a REAL systemd, as ansible-playbook
 * does them: the lab's systemd host `labsd` (systemd as PID 1, see src/lab/systemd-host.ts).
 *
 * One host, so the tools take turns on it, each from the same seeded state: ansible-playbook --check,
 * run, run again; reset and seed; wheelwright --check, run, run again. Compared per task: changed /
 * failed, the registered fields (name, state, enabled, msg and the `status` properties Ansible
 * returns: the same keys, and chosen values), --check's prediction, the second run; and the end
 * state (`systemctl is-active` / `is-enabled` / Description / NeedDaemonReload of every unit, the
 * units' own logs of start/reload/stop, the unit symlinks, `systemctl --global is-enabled` of the
 * global units, whether PID 1 re-executed). Cases: started/stopped/restarted/reloaded, enabled
 * true/false, masked true/false, daemon_reload after a unit file edit, failures (unknown unit,
 * starting a masked unit), the `service` module without facts (Ansible detects systemd and runs its
 * systemd module), `scope: user` (the sudo user's manager; it lingers), `scope: global` (enable,
 * disable, mask, unmask for every user; starting fails) and daemon_reexec (PID 1 re-executes).
 * The per-case tests are defineCaseTests' (test/helpers/oracle-suite.ts) with this suite's extras.
 */
import { expect } from 'chai';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { skipWithoutLab, useLab, type Lab } from './_lab-fixture.js';
import { ansiblePass, closeAnsibleMasters, hostState, pick, wheelwrightPass, writePlaybook, type TaskOutcome } from '../helpers/oracle.js';
import { defineCaseTests, type CasePass, type OraclePasses } from '../helpers/oracle-suite.js';
import { labHostExec, labSystemdUp } from '../../src/lab/index.js';
import { CASES, RESET, STATE, USER, USER_UNIT, W, type Case } from '../fixtures/systemd-oracle/cases.js';
import { tempDir } from '../helpers/tmp.js';

const HOST = 'labsd';

describe('systemd and service against a real systemd (lab host labsd)', function () {
  let lab: Lab;
  let sdLab: Lab;
  let dir: string;
  const passes: OraclePasses = { check: {}, run: {}, again: {} };
  const states: Record<string, { ansible?: string; ww?: string }> = {};

  before(async function () {
    skipWithoutLab(this);
    this.timeout(600_000);
    lab = await useLab(6);
    const h = await labSystemdUp();
    sdLab = { ...lab, hosts: [{ name: h.name, address: h.address, pid: h.pid, root: h.root }], inventoryFile: h.inventoryFile };
    dir = tempDir('ww-systemd-oracle-');
    const tasks = (cs: Case[]) => cs.map((c) => ({ name: c.name, ignore_errors: true, ...c.task }));
    const playbook = writePlaybook(dir, 'site.yml', stringify([
      { name: 'systemd oracle', hosts: 'all', gather_facts: false, tasks: tasks(CASES.filter((c) => !c.user)) },
      { name: 'systemd oracle, user scope', hosts: 'all', gather_facts: false, become: true, become_user: USER, tasks: tasks(CASES.filter((c) => c.user)) },
    ]));
    const seed = async () => {
      const r = await labHostExec(HOST, RESET, { timeoutMs: 120_000 });
      if (r.code !== 0) throw new Error(`seeding ${HOST} failed (rc=${r.code}): ${r.stderr}`);
      return hostState(HOST, STATE);
    };
    const side = async (tool: 'ansible' | 'ww') => {
      const pass = (extra: string[]) => (tool === 'ansible' ? ansiblePass(sdLab, playbook, HOST, extra) : wheelwrightPass(sdLab, playbook, HOST, extra));
      (states.seed ??= {})[tool] = await seed();
      passes.check[tool] = await pass(['--check']);
      (states.check ??= {})[tool] = await hostState(HOST, STATE);
      passes.run[tool] = await pass([]);
      (states.run ??= {})[tool] = await hostState(HOST, STATE);
      passes.again[tool] = await pass([]);
      (states.again ??= {})[tool] = await hostState(HOST, STATE);
    };
    await side('ansible');
    await side('ww');
  });

  after(async function () {
    if (!sdLab) return;
    this.timeout(60_000);
    await closeAnsibleMasters(sdLab);
    await labHostExec(HOST, RESET.replace(/^#SEED[\s\S]*$/m, ''));
    if (process.env.WW_ORACLE_DEBUG) for (const [k, v] of Object.entries(states)) for (const [t, text] of Object.entries(v)) writeFileSync(join(process.env.WW_ORACLE_DEBUG, `systemd-${k}-${t}.txt`), text ?? '');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('systemd is PID 1 of the host and the seeded state is the same for both tools', async function () {
    const r = await labHostExec(HOST, 'cat /proc/1/comm; systemctl is-system-running');
    expect(r.stdout).to.equal('systemd\nrunning\n');
    expect(states.seed!.ww).to.equal(states.seed!.ansible);
    expect(states.seed!.ansible).to.include('wwsd-running active disabled').and.include('wwsd-unmask inactive masked');
    expect(states.seed!.ansible).to.include(`user ${USER_UNIT} inactive disabled`);
  });

  it('--check changes nothing', function () {
    expect(states.check!.ansible, 'ansible').to.equal(states.seed!.ansible);
    expect(states.check!.ww, 'wheelwright').to.equal(states.seed!.ww);
  });

  it('both tools leave the same end state (active, enabled, masked, reloaded unit files, what the units ran)', function () {
    expect(states.run!.ww).to.equal(states.run!.ansible);
    expect(states.run!.ww).to.include('wwsd-dr active disabled [wwsd-dr edited] reload=no');
    expect(states.run!.ww).to.include(`user ${USER_UNIT} active enabled`);
    expect(states.run!.ww).to.include(`== ${W}/wwsd-reload.log\nreload\n`);
    expect(states.run!.ww).to.include('global wwsd-glob-en enabled').and.include('global wwsd-glob-mask masked').and.include('PID 1 re-executed since the seed');
    expect(states.check!.ww).to.include('PID 1 not re-executed since the seed');
  });

  it('a second run leaves the same state as Ansible\'s second run', function () {
    expect(states.again!.ww).to.equal(states.again!.ansible);
  });

  // per case: defineCaseTests' comparisons, plus the `status` keys in every pass and Ansible's own second run
  const statusKeys = (pass: CasePass, get: (pass: CasePass, tool: 'ansible' | 'ww') => TaskOutcome) => {
    const a = get(pass, 'ansible').result;
    const w = get(pass, 'ww').result;
    // status: every property Ansible returns (systemctl show), no more, no fewer
    if (a.status || w.status) expect(Object.keys(w.status ?? {}).sort()).to.deep.equal(Object.keys(a.status ?? {}).sort());
  };
  defineCaseTests(CASES, passes, { ansibleCheck: HOST, ansible: HOST, ww: HOST }, {
    // a failing case predicts nothing
    checkExempt: CASES.filter((c) => c.fails).map((c) => c.name),
    extra(pass, c, get) {
      statusKeys(pass, get);
      if (pass === 'run') expect(get('run', 'ww').failed, 'fails in Ansible too').to.equal(!!c.fails);
      if (pass === 'again') {
        // Ansible ran a second pass here too: the same outcome and fields (restarted/reloaded always act, as in Ansible)
        const a = get('again', 'ansible');
        const w = get('again', 'ww');
        expect({ changed: w.changed, failed: w.failed }, JSON.stringify(w.result)).to.deep.equal({ changed: a.changed, failed: a.failed });
        if (c.fields) expect(pick(w.result, c.fields, HOST)).to.deep.equal(pick(a.result, c.fields, HOST));
      }
    },
  });
});
