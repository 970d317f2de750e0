/**
 * Fault tests in the lab (issue 8 points 6 and 7). Each fault hits an explicit state: a process on a
 * lab host stops at a hook (test/helpers/fault-hooks.ts) and waits for the test; the fault (signal,
 * SIGKILL, host kill, link cut, full disk) comes while it waits. Each test ends with the venv in
 * service whole (the old generation, or the new one complete) and a rerun that repairs.
 *
 * The targets' venv is one small package (ww-alpha 1.0, or 2.0 for a new generation), so that the
 * whole file stays cheap.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { parse as parseYaml } from 'yaml';
import { runCli, startCli, recap, totalChanged, ROOT, type CliResult } from '../helpers/cli.js';
import { makeTestPackages, packTree, type TestPackages } from '../helpers/pypkgs.js';
import { installHooks, removeHooks, arm, disarm, reached, release } from '../helpers/fault-hooks.js';
import { skipWithoutLab, useLab, labSshArgs, type Lab } from './_lab-fixture.js';
import { labHostExec, labHostKill, labHostRestart, labLinkDown, labLinkUp } from '../../src/lab/index.js';
import { tempDir } from '../helpers/tmp.js';

const SITE = join(ROOT, 'test/fixtures/faults/site.yml');
const PKG_DIR = '/var/tmp/wheelwright-test-pypkgs';
const VENV_ROOT = '/openstack/venvs';
const VENV = `${VENV_ROOT}/fault`;
const TARGETS = ['lab2', 'lab3', 'lab4', 'lab5', 'lab6'];
/** the stop point mid-install: the first file of ww-alpha written into the new generation */
const MID_INSTALL = 'open site-packages/ww_alpha/';
/** keepalives of 1 s x 2: a dead link is declared lost after ~3 s (the default is 15 s x 4) */
const KEEPALIVE = ['-e', JSON.stringify({ ansible_ssh_common_args: '-o ServerAliveInterval=1 -o ServerAliveCountMax=2' })];

function ship(lab: Lab, host: string, tgz: Buffer): Promise<void> {
  const h = lab.hosts.find((x) => x.name === host)!;
  return new Promise((resolve, reject) => {
    const p = spawn('ssh', [...labSshArgs(lab), `root@${h.address}`, `rm -rf ${PKG_DIR} && mkdir -p ${PKG_DIR} && tar xzf - -C ${PKG_DIR}`]);
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ship to ${host}: ${err}`))));
    p.stdin.end(tgz);
  });
}

async function hx(host: string, cmd: string): Promise<string> {
  const r = await labHostExec(host, cmd);
  if (r.code !== 0) throw new Error(`${host}: ${cmd}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** What the venv in service imports (ww-alpha's version), read inside the host (works while its link is down). */
const inService = async (host: string, venv = VENV) => (await hx(host, `${venv}/bin/python -c "import ww_alpha; print(ww_alpha.VERSION)"`)).trim();
const generation = async (host: string, venv = VENV) => (await hx(host, `readlink ${venv}`)).trim();
/** No temp names (staging, link, transfer) left next to the venv or in its generations. */
const leftovers = async (host: string, venv = VENV) =>
  (await hx(host, `ls -a $(dirname ${venv}) ${venv}.generations 2>/dev/null | grep -E 'ww-staging|ww-link|ww-tmp' || true`)).trim();
/** Is the venv's lock free now? (flock -n fails while a live process holds it) */
const lockFree = async (host: string, venv = VENV) => (await labHostExec(host, `flock -n ${venv}.lock true`)).code === 0;
const procAlive = async (host: string, pid: number) => (await labHostExec(host, `kill -0 ${pid} 2>/dev/null`)).code === 0;

describe('faults in the lab: interrupts, kills, cut links, full disks, 128 targets', function () {
  this.timeout(300_000);
  let lab: Lab;
  let pk: TestPackages;
  let work: string;
  let groups: string;

  /** A deploy; unless told otherwise, limited to the targets (the repo server's own play is skipped: its build still runs) */
  const deployArgs = (alpha: string, hosts: string, extra: string[] = [], venv = VENV, inventory = groups) => [
    SITE, '-i', lab.inventoryFile, '-i', inventory, '--output', 'jsonl',
    '-e', JSON.stringify({ target_hosts: hosts, venv_path: venv, sdists: pk.sdists, global_pins: [`ww-alpha==${alpha}`] }),
    ...(hosts === 'targets' || extra.includes('--limit') ? [] : ['--limit', hosts]),
    ...extra,
  ];
  const deploy = (alpha: string, hosts: string, extra: string[] = [], venv = VENV): Promise<CliResult> =>
    runCli(deployArgs(alpha, hosts, ['--retry-file', 'none', ...extra], venv));
  const ok = (r: CliResult) => expect(r.code, r.stdout.slice(-3000) + r.stderr).to.equal(0);

  before(async function () {
    skipWithoutLab(this);
    lab = await useLab(6, { fresh: true }); // no venv, builder or mount left by another file or run
    pk = await makeTestPackages(PKG_DIR);
    await ship(lab, 'lab1', packTree(PKG_DIR));
    await Promise.all(lab.hosts.map((h) => installHooks(h.name)));
    work = tempDir('ww-faults-');
    groups = join(work, 'groups.yml');
    writeFileSync(
      groups,
      `all:\n  children:\n    repo_all:\n      hosts:\n        lab1: {}\n    targets:\n      hosts:\n${TARGETS.map((t) => `        ${t}: {}\n`).join('')}` +
        `  vars:\n    openstack_repo_url: http://${lab.hosts[0]!.address}:8181\n`,
    );
    // lab5's venv root is a small file system of its own (the disk-full test fills it)
    await hx('lab5', `mkdir -p ${VENV_ROOT} && mount -t tmpfs -o size=96m tmpfs ${VENV_ROOT}`);
    // the starting point of every test: alpha 1.0 in service on every target
    ok(await deploy('1.0', 'targets'));
    for (const t of TARGETS) expect(await inService(t)).to.equal('1.0');
  });

  after(async function () {
    if (!lab) return;
    await Promise.all(TARGETS.map((t) => labLinkUp(t).catch(() => undefined)));
    await labHostExec('lab5', `umount ${VENV_ROOT}`).catch(() => undefined);
    await Promise.all(lab.hosts.map((h) => removeHooks(h.name).catch(() => undefined)));
  });

  it('128 targets in one no-op run: no errors, nothing changed, one remote command each', async () => {
    // 128 inventory hosts over the 5 target hosts of the lab (the lab has at most 99 hosts): each is
    // its own target for the controller (own connection, state, recap line), all on the same venv path
    const labInv = parseYaml(readFileSync(lab.inventoryFile, 'utf8')) as { all: { children: { lab: { hosts: Record<string, Record<string, unknown>> } } } };
    const many: Record<string, Record<string, unknown>> = {};
    for (let i = 0; i < 128; i++) {
      const t = TARGETS[i % TARGETS.length]!;
      many[`t${String(i + 1).padStart(3, '0')}`] = { ...labInv.all.children.lab.hosts[t] };
    }
    const inv = join(work, 'many.yml');
    writeFileSync(inv, JSON.stringify({ all: { children: { many: { hosts: many } } } }));
    const r = await runCli(deployArgs('1.0', 'many', ['--retry-file', 'none', '--limit', 'lab1:many'], VENV, groups).concat(['-i', inv]));
    ok(r);
    expect(totalChanged(r)).to.equal(0);
    const stats = recap(r);
    const names = Object.keys(many);
    for (const n of names) expect(stats[n], n).to.include({ failed: 0, unreachable: 0, changed: 0 });
    const cmds = r.events.find((e) => e.type === 'recap')!.remoteCommands;
    for (const n of names) expect(cmds[n], `remote commands on ${n}`).to.equal(1);
  });

  it('SIGINT mid-install over SSH: remote steps killed (lock freed), old venv in service, recap + retry file, exit 130; the rerun repairs', async () => {
    const hosts = ['lab2', 'lab3'];
    for (const h of hosts) await arm(h, 'py', MID_INSTALL);
    const retry = join(work, 'int.retry');
    const run = startCli(deployArgs('2.0', 'lab2:lab3', ['--retry-file', retry]));
    const pips = await Promise.all(hosts.map((h) => reached(lab, h, 'py', 'ww-alpha written into the new generation')));
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code, r.stdout.slice(-3000) + r.stderr).to.equal(130);
    const rc = r.events.find((e) => e.type === 'recap')!;
    expect(rc.interrupted.hosts).to.have.members(hosts);
    expect(Object.keys(rc.interrupted.running)).to.have.members(hosts);
    expect(rc.interrupted.running.lab2).to.match(/^Install venv/);
    expect(readFileSync(retry, 'utf8').trim().split('\n')).to.have.members(hosts);
    for (const [i, h] of hosts.entries()) {
      expect(await procAlive(h, pips[i]!), `pip on ${h}`).to.equal(false); // killed with its process group
      expect(await lockFree(h), `lock on ${h}`).to.equal(true);
      expect(await inService(h)).to.equal('1.0');
    }
    const again = await runCli(deployArgs('2.0', 'lab2:lab3', ['--limit', `@${retry}`, '--retry-file', 'none']));
    ok(again);
    for (const h of hosts) {
      expect(await inService(h)).to.equal('2.0');
      expect(await leftovers(h)).to.equal('');
    }
  });

  it('controller SIGKILLed mid-install: old venv stays in service; the rerun repairs once the orphaned step has released its lock', async () => {
    const h = 'lab4';
    const before = await generation(h);
    await arm(h, 'py', MID_INSTALL);
    const run = startCli(deployArgs('2.0', h, ['--retry-file', 'none']));
    const pip = await reached(lab, h, 'py', 'ww-alpha written into the new generation');
    run.child.kill('SIGKILL');
    await run.done;
    // the remote step outlives the controller (nothing can kill it now); it holds the lock, and the
    // venv in service is the old one, whole
    expect(await procAlive(h, pip)).to.equal(true);
    expect(await lockFree(h)).to.equal(false);
    expect(await generation(h)).to.equal(before);
    expect(await inService(h)).to.equal('1.0');
    // the rerun starts while the orphan still holds the lock; the orphan goes on and ends by itself
    const again = runCli(deployArgs('2.0', h, ['--retry-file', 'none']));
    await release(h, 'py');
    ok(await again);
    expect(await inService(h)).to.equal('2.0');
    expect(await leftovers(h)).to.equal('');
  });

  it('target disk full mid-install (the venv root is a small tmpfs): clear failure, old venv in service; the rerun repairs once there is room', async () => {
    const h = 'lab5';
    const before = await generation(h);
    await arm(h, 'py', MID_INSTALL);
    const run = runCli(deployArgs('2.0', h, ['--retry-file', 'none']));
    await reached(lab, h, 'py', 'ww-alpha written into the new generation');
    // fill the file system, then let pip go on
    await labHostExec(h, `dd if=/dev/zero of=${VENV_ROOT}/filler bs=1M 2>/dev/null; sync`);
    expect(Number((await hx(h, `df --output=avail -B1 ${VENV_ROOT} | tail -1`)).trim())).to.be.lessThan(1 << 20);
    await release(h, 'py');
    const r = await run;
    expect(r.code, r.stdout.slice(-3000)).to.equal(2);
    const fail = r.events.find((e) => e.type === 'host_result' && e.status === 'failed' && e.host === h);
    expect(fail?.result.msg).to.match(/No space left on device/);
    expect(await generation(h)).to.equal(before);
    expect(await inService(h)).to.equal('1.0');
    await hx(h, `rm -f ${VENV_ROOT}/filler`);
    ok(await deploy('2.0', h));
    expect(await inService(h)).to.equal('2.0');
    expect(await leftovers(h)).to.equal('');
  });

  it('connection cut mid-install (link down): the host is unreachable (exit 4), old venv in service; the rerun repairs', async () => {
    const h = 'lab6';
    const before = await generation(h);
    await arm(h, 'py', MID_INSTALL);
    const run = runCli(deployArgs('2.0', h, ['--retry-file', 'none', ...KEEPALIVE]));
    await reached(lab, h, 'py', 'ww-alpha written into the new generation');
    await labLinkDown(h);
    let r: CliResult;
    try {
      r = await run;
    } finally {
      await labLinkUp(h);
    }
    expect(r.code, r.stdout.slice(-3000)).to.equal(4);
    expect(recap(r)[h]!.unreachable).to.equal(1);
    expect(await generation(h)).to.equal(before);
    expect(await inService(h)).to.equal('1.0');
    const again = runCli(deployArgs('2.0', h, ['--retry-file', 'none']));
    await release(h, 'py'); // the step cut off from its controller goes on; the rerun waits for its lock
    ok(await again);
    expect(await inService(h)).to.equal('2.0');
    expect(await leftovers(h)).to.equal('');
  });

  it('connection cut mid-push: a wheel cut short never lands in the wheelhouse; old venv in service; the rerun repairs', async () => {
    const h = 'lab2';
    const venv = '/openstack/venvs/fault-push';
    const push = ['-e', 'venv_wheel_transport=push'];
    await hx(h, 'rm -rf /var/cache/wheelwright/wheelhouse'); // every wheel is pushed afresh
    // a wheel's push (its temp file `.NAME.whl.ww-tmp-XXXX`), not a byte-code companion's (`.zip`), whichever goes first
    await arm(h, 'cat', '.whl.ww-tmp-');
    const run = runCli(deployArgs('2.0', h, ['--retry-file', 'none', ...push, ...KEEPALIVE], venv));
    const cat = await reached(lab, h, 'cat', 'the push of a wheel');
    // the wheel being pushed: its temp name is `.NAME.ww-tmp-XXXX`
    const pushed = (await hx(h, `readlink /proc/${cat}/fd/1`)).trim().replace(/^.*\/\.(.*)\.ww-tmp-[0-9a-f]+$/, '$1');
    expect(pushed).to.match(/\.whl$/);
    await labLinkDown(h);
    let r: CliResult;
    try {
      r = await run;
    } finally {
      await labLinkUp(h);
    }
    expect(r.code, r.stdout.slice(-3000)).to.equal(4);
    // the transfer's stream ends early (as when the link drops mid-file): cat passes on 100 bytes, exits 0
    await release(h, 'cat', 'truncate');
    // wait until the orphaned transfer (its shell, named by the temp file) has ended: a state
    while ((await hx(h, "pgrep -f 'ww-tm[p]-' || true")).trim()) await new Promise((res) => setTimeout(res, 25));
    const wheels = await hx(h, 'ls /var/cache/wheelwright/wheelhouse/*/ 2>/dev/null || true');
    expect(wheels).not.to.include(pushed); // the short file was not renamed into place
    expect((await labHostExec(h, `test -e ${venv}`)).code).to.equal(1); // nothing in service

    const again = await deploy('2.0', h, push, venv);
    ok(again);
    expect(await inService(h, venv)).to.equal('2.0');
    expect(await hx(h, 'ls /var/cache/wheelwright/wheelhouse/*/')).to.include(pushed);
  });

  it('build host killed mid-build: targets keep their venv, nothing half-built is published; the rerun builds and installs', async () => {
    const venv = '/openstack/venvs/fault-build';
    await arm('lab1', 'py', 'cmd -m pip wheel');
    const run = runCli(deployArgs('2.0', 'lab3', ['--retry-file', 'none', '-e', 'venv_wheels_rebuild=true'], venv));
    await reached(lab, 'lab1', 'py', 'pip wheel on the build host');
    await labHostKill('lab1');
    let r: CliResult;
    try {
      r = await run;
    } finally {
      await labHostRestart('lab1'); // like a reboot: nginx is down until the repo play starts it again
    }
    expect(r.code, r.stdout.slice(-3000)).to.be.oneOf([2, 4]);
    expect(recap(r).lab1!.unreachable + recap(r).lab3!.failed + recap(r).lab3!.unreachable).to.be.greaterThan(0);
    // the build's result (the pins targets install by) is written last: it is not there
    expect((await labHostExec('lab1', 'ls /var/www/repo/os-releases/master/*/requirements/fault-build-constraints.txt')).code).not.to.equal(0);
    expect((await labHostExec('lab3', `test -e ${venv}`)).code).to.equal(1);
    await disarm('lab1', 'py');
    const again = await deploy('2.0', 'lab3', ['--limit', 'lab1:lab3'], venv);
    ok(again);
    expect(await inService('lab3', venv)).to.equal('2.0');
  });
});
