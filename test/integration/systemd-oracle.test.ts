/**
 * Issue 11: systemd_service (alias systemd) and service against a REAL systemd, as ansible-playbook
 * does them: the lab's systemd host `labsd` (systemd as PID 1, see src/lab/systemd-host.ts).
 *
 * One host, so the tools take turns on it, each from the same seeded state: ansible-playbook --check,
 * run, run again; reset and seed; wheelwright --check, run, run again. Compared per task: changed /
 * failed, the registered fields (name, state, enabled, msg and the `status` properties Ansible
 * returns: the same keys, and chosen values), --check's prediction, the second run; and the end
 * state (`systemctl is-active` / `is-enabled` / Description / NeedDaemonReload of every unit, the
 * units' own logs of start/reload/stop, the unit symlinks). Cases: started/stopped/restarted/
 * reloaded, enabled true/false, masked true/false, daemon_reload after a unit file edit, failures
 * (unknown unit, starting a masked unit), the `service` module without facts (Ansible detects
 * systemd and runs its systemd module) and `scope: user` (the sudo user's manager; it lingers).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { skipWithoutLab, useLab, type Lab } from './_lab-fixture.js';
import { ansiblePass, closeAnsibleMasters, hostState, pick, wheelwrightPass, writePlaybook, type PassResult } from '../helpers/oracle.js';
import { labHostExec, labSystemdUp } from '../../src/lab/index.js';

const HOST = 'labsd';
const W = '/srv/wwsd';
const USER = 'wwsudo';

const unitText = (name: string, description = `wwsd ${name}`) => `[Unit]
Description=${description}
[Service]
ExecStart=/bin/sh -c 'echo start >> ${W}/${name}.log; exec sleep infinity'
ExecReload=/bin/sh -c 'echo reload >> ${W}/${name}.log'
ExecStopPost=/bin/sh -c 'echo stop >> ${W}/${name}.log'
[Install]
WantedBy=multi-user.target
`;

/** System units and how they are seeded: running or not, enabled or not, masked or not. */
const UNITS: Record<string, { running?: boolean; enabled?: boolean; masked?: boolean }> = {
  'wwsd-start': {},
  'wwsd-running': { running: true },
  'wwsd-stop': { running: true },
  'wwsd-idle': {},
  'wwsd-restart': { running: true },
  'wwsd-restart-stopped': {},
  'wwsd-reload': { running: true },
  'wwsd-reload-stopped': {},
  'wwsd-en': {},
  'wwsd-en-ok': { enabled: true },
  'wwsd-dis': { enabled: true, running: true },
  'wwsd-mask': {},
  'wwsd-unmask': { masked: true },
  'wwsd-masked-start': { masked: true },
  'wwsd-both': {},
  'wwsd-dr': { running: true },
  'wwsd-svc': {},
  'wwsd-svc-stop': { running: true, enabled: true },
  'wwsd-svc-restart': { running: true },
};
const USER_UNIT = 'wwsd-user';
const USER_UNIT_DIR = `/home/${USER}/.config/systemd/user`;
const USER_ENV = `runuser -u ${USER} -- env XDG_RUNTIME_DIR=/run/user/$(id -u ${USER})`;
const NEW_DR_UNIT = unitText('wwsd-dr', 'wwsd-dr edited');

const RESET = `set -e
names="${Object.keys(UNITS).join(' ')}"
for u in $names; do systemctl unmask -q $u.service 2>/dev/null || true; systemctl disable -q $u.service 2>/dev/null || true; systemctl stop $u.service 2>/dev/null || true; rm -f /usr/lib/systemd/system/$u.service; done
${USER_ENV} systemctl --user disable -q ${USER_UNIT}.service 2>/dev/null || true
${USER_ENV} systemctl --user stop ${USER_UNIT}.service 2>/dev/null || true
rm -f ${USER_UNIT_DIR}/${USER_UNIT}.service
systemctl daemon-reload; systemctl reset-failed
${USER_ENV} systemctl --user daemon-reload
rm -rf ${W}
#SEED
mkdir -p ${W}; chmod 0777 ${W}
${Object.keys(UNITS).map((u) => `cat > /usr/lib/systemd/system/${u}.service <<'UNIT'\n${unitText(u)}UNIT`).join('\n')}
runuser -u ${USER} -- mkdir -p ${USER_UNIT_DIR}
cat > ${USER_UNIT_DIR}/${USER_UNIT}.service <<'UNIT'
${unitText(USER_UNIT).replace('multi-user.target', 'default.target')}UNIT
chown ${USER}: ${USER_UNIT_DIR}/${USER_UNIT}.service
systemctl daemon-reload
${USER_ENV} systemctl --user daemon-reload
${Object.entries(UNITS).filter(([, s]) => s.enabled).map(([u]) => `systemctl enable -q ${u}.service`).join('\n')}
${Object.entries(UNITS).filter(([, s]) => s.masked).map(([u]) => `systemctl mask -q ${u}.service`).join('\n')}
${Object.entries(UNITS).filter(([, s]) => s.running).map(([u]) => `systemctl start ${u}.service`).join('\n')}
rm -f ${W}/*.log
`;

/** The end state both tools must leave alike. */
const STATE = `for u in ${Object.keys(UNITS).join(' ')}; do
  echo "$u $(systemctl is-active $u.service) $(systemctl is-enabled $u.service 2>&1) [$(systemctl show -p Description --value $u.service)] reload=$(systemctl show -p NeedDaemonReload --value $u.service)"
done
echo "user ${USER_UNIT} $(${USER_ENV} systemctl --user is-active ${USER_UNIT}.service) $(${USER_ENV} systemctl --user is-enabled ${USER_UNIT}.service 2>&1)"
for f in ${W}/*.log; do [ -e "$f" ] && { echo "== $f"; cat "$f"; }; done
find /etc/systemd/system /home/${USER}/.config/systemd -name 'wwsd*' -printf '%p -> %l\\n' | LC_ALL=C sort
cat /usr/lib/systemd/system/wwsd-dr.service
true
`;

interface Case {
  name: string;
  task: Record<string, unknown>;
  fields: string[];
  checkFields?: string[];
  fails?: boolean;
  /** changed on every run (restarted, reloaded) */
  alwaysChanged?: boolean;
  /** a play of its own: the user scope runs as the sudo user */
  user?: boolean;
}

const STATUS = ['status.ActiveState', 'status.SubState', 'status.LoadState', 'status.UnitFileState', 'status.Description', 'status.Id', 'status.FragmentPath', 'status.NeedDaemonReload'];
const SD = ['name', 'state', 'enabled', 'msg', ...STATUS];
const sd = (name: string, args: Record<string, unknown>, extra: Partial<Case> = {}): Case => ({ name, task: { systemd_service: args }, fields: SD, checkFields: SD, ...extra });

const CASES: Case[] = [
  sd('start a stopped unit', { name: 'wwsd-start', state: 'started' }),
  sd('start a running unit', { name: 'wwsd-running.service', state: 'started' }),
  sd('stop a running unit', { name: 'wwsd-stop', state: 'stopped' }),
  sd('stop a stopped unit', { name: 'wwsd-idle', state: 'stopped' }),
  sd('restart a running unit', { name: 'wwsd-restart', state: 'restarted' }, { alwaysChanged: true }),
  sd('restart a stopped unit', { name: 'wwsd-restart-stopped', state: 'restarted' }, { alwaysChanged: true }),
  sd('reload a running unit', { name: 'wwsd-reload', state: 'reloaded' }, { alwaysChanged: true }),
  sd('reload a stopped unit (starts it)', { name: 'wwsd-reload-stopped', state: 'reloaded' }, { alwaysChanged: true }),
  sd('enable a disabled unit', { name: 'wwsd-en', enabled: true }),
  sd('enable an enabled unit', { name: 'wwsd-en-ok', enabled: true }),
  sd('disable and stop an enabled running unit', { name: 'wwsd-dis', enabled: false, state: 'stopped' }),
  sd('mask a unit', { name: 'wwsd-mask', masked: true }),
  sd('unmask a masked unit', { name: 'wwsd-unmask', masked: false }),
  sd('start and enable', { name: 'wwsd-both', state: 'started', enabled: true }),
  sd('starting a masked unit fails', { name: 'wwsd-masked-start', state: 'started' }, { fails: true }),
  sd('an unknown unit fails', { name: 'wwsd-nosuch', state: 'started' }, { fails: true }),
  { name: 'edit a unit file', task: { copy: { dest: '/usr/lib/systemd/system/wwsd-dr.service', content: NEW_DR_UNIT, mode: '0644' } }, fields: ['changed'] },
  sd('daemon_reload alone', { daemon_reload: true }, { fields: ['name', 'status', 'enabled', 'state'], checkFields: ['name', 'status'] }),
  sd('daemon_reload and restart after the edit', { name: 'wwsd-dr', state: 'restarted', daemon_reload: true }, { alwaysChanged: true }),
  { name: 'service: start and enable (no facts)', task: { service: { name: 'wwsd-svc', state: 'started', enabled: true } }, fields: SD, checkFields: SD },
  { name: 'service: stop and disable', task: { 'ansible.builtin.service': { name: 'wwsd-svc-stop', state: 'stopped', enabled: false } }, fields: SD, checkFields: SD },
  { name: 'service: restart', task: { service: { name: 'wwsd-svc-restart', state: 'restarted' } }, fields: SD, checkFields: SD, alwaysChanged: true },
  { ...sd('user scope: start and enable', { name: USER_UNIT, scope: 'user', state: 'started', enabled: true }), user: true },
  { ...sd('user scope: start again', { name: USER_UNIT, scope: 'user', state: 'started' }), user: true },
];

describe('systemd and service against a real systemd (lab host labsd)', function () {
  let lab: Lab;
  let sdLab: Lab;
  let dir: string;
  const passes: Record<'check' | 'run' | 'again', { ansible?: PassResult; ww?: PassResult }> = { check: {}, run: {}, again: {} };
  const states: Record<string, { ansible?: string; ww?: string }> = {};

  before(async function () {
    skipWithoutLab(this);
    this.timeout(600_000);
    lab = await useLab(6);
    const h = await labSystemdUp();
    sdLab = { ...lab, hosts: [{ name: h.name, address: h.address, pid: h.pid, root: h.root }], inventoryFile: h.inventoryFile };
    dir = mkdtempSync(join(tmpdir(), 'ww-systemd-oracle-'));
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
  });

  it('a second run leaves the same state as Ansible\'s second run', function () {
    expect(states.again!.ww).to.equal(states.again!.ansible);
  });

  for (const c of CASES) {
    describe(c.name, function () {
      const get = (pass: 'check' | 'run' | 'again', tool: 'ansible' | 'ww') => {
        const r = passes[pass][tool]?.get(c.name);
        if (!r) throw new Error(`no ${tool} result for '${c.name}' in the ${pass} pass`);
        return r;
      };
      const same = (pass: 'check' | 'run' | 'again', fields: string[] | undefined) => {
        const a = get(pass, 'ansible');
        const w = get(pass, 'ww');
        expect({ changed: w.changed, failed: w.failed }, JSON.stringify(w.result)).to.deep.equal({ changed: a.changed, failed: a.failed });
        if (fields) expect(pick(w.result, fields, HOST)).to.deep.equal(pick(a.result, fields, HOST));
        // status: every property Ansible returns (systemctl show), no more, no fewer
        if (a.result.status || w.result.status) expect(Object.keys(w.result.status ?? {}).sort()).to.deep.equal(Object.keys(a.result.status ?? {}).sort());
      };
      it('changed/failed and registered fields as ansible-playbook', function () {
        same('run', c.fields);
        expect(get('run', 'ww').failed, 'fails in Ansible too').to.equal(!!c.fails);
      });
      it('--check predicts changed as ansible-playbook does', function () {
        same('check', c.checkFields);
        if (!c.fails) expect(get('check', 'ww').changed).to.equal(get('run', 'ww').changed);
      });
      it('a second run changes nothing (restarted/reloaded always act, as in Ansible)', function () {
        same('again', c.fields);
        expect(get('again', 'ww').changed).to.equal(!!c.alwaysChanged);
      });
    });
  }
});
