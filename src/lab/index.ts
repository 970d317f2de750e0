/**
 * The lab: N isolated real hosts on this machine (network namespace + overlay root + own sshd),
 * for integration tests, benchmarks and the demo. See docs/lab.md.
 */
import { mkdir, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { UserError, EXIT } from '../errors.js';
import { helpText, parseCommand, UsageError, usageErrorText, type CommandDecl } from '../cli/options.js';
import { LabError, tcpConnects, type RunResult } from './run.js';
import {
  MAX_HOSTS, SUDO_USER, hostAddress, hostIndex, hostName, hostPaths, isLabProcess, labDir, netnsName, paths,
  readState, savedPids, findLabProcesses, vethName, withLock, writeState, type HostState, type LabState,
} from './state.js';
import { createHostNetwork, deleteLink, deleteNetns, ensureBridge, labNetnses, labVeths, linkIsUp, removeBridge, setLink } from './network.js';
import { generateHostKeys, generateKey, writeKnownHosts } from './keys.js';
import { buildAptRepo, ensureControllerPackages } from './apt-repo.js';
import { buildBase } from './base.js';
import { SSHD_OPTIONS, execInHost, hostMounted, mountHost, startHost, stopHost, waitReady } from './host.js';
import { SYSTEMD_INDEX, SYSTEMD_NAME, prepareSystemdRoot, removeSystemdCgroup } from './systemd-host.js';
import { mountsUnder, unmountAllUnder } from './mounts.js';
import { renderInventory, writeInventory } from './inventory.js';
import { run } from './run.js';

export { LabError } from './run.js';

export interface LabHost {
  name: string;
  address: string;
  pid: number;
  root: string;
}
export interface Lab {
  dir: string;
  hosts: LabHost[];
  inventoryFile: string;
  privateKeyFile: string;
  knownHostsFile: string;
  aptRepoDir: string;
  sudoUser: { name: string; password: string };
  /** Packages in the lab apt repository (absent on the controller) and the one that provides a Python module. */
  aptPackages: string[];
  pythonModulePackage: string;
}

type Log = (msg: string) => void;
const quiet: Log = () => {};

function requireRoot(): void {
  if (process.platform !== 'linux') throw new UserError('the lab needs Linux (network namespaces, overlayfs)');
  if (process.getuid?.() !== 0) {
    throw new UserError('the lab needs root: it creates network namespaces, mounts and a bridge (run `sudo wheelwright lab ...`)');
  }
}

function toLab(st: LabState, dir: string): Lab {
  const p = paths(dir);
  return {
    dir,
    hosts: st.hosts.map((h) => ({ name: h.name, address: h.address, pid: h.pid, root: h.root })),
    inventoryFile: p.inventory,
    privateKeyFile: p.privateKey,
    knownHostsFile: p.knownHosts,
    aptRepoDir: p.aptRepo,
    sudoUser: { ...st.sudoUser },
    aptPackages: [...st.aptPackages],
    pythonModulePackage: st.pythonModulePackage,
  };
}

/** Per host: its unshare process is alive and its sshd accepts TCP connections. */
export async function labHealth(): Promise<Array<{ name: string; address: string; running: boolean; reachable: boolean }>> {
  const dir = labDir();
  const st = await readState(dir);
  if (!st) return [];
  return Promise.all(
    st.hosts.map(async (h) => {
      const running = isLabProcess(h.pid, h.name, dir);
      return { name: h.name, address: h.address, running, reachable: running && (await tcpConnects(h.address, 22, 1000)) };
    }),
  );
}

async function healthy(): Promise<boolean> {
  const h = await labHealth();
  return h.length > 0 && h.every((x) => x.reachable);
}

/** Bring one host's sshd (back) up; its network and filesystem stay as they are. */
async function restartHost(st: LabState, h: HostState, dir: string): Promise<void> {
  const i = hostIndex(h.name);
  await stopHost(h.name, h.pid, dir);
  if (i === SYSTEMD_INDEX) await removeSystemdCgroup();
  if (!(await linkIsUp(i))) await setLink(i, true);
  h.pid = await startHost(i, dir);
  await waitReady(i, h.pid, dir, i === SYSTEMD_INDEX ? 60_000 : undefined);
  if (i === SYSTEMD_INDEX) await waitSystemRunning(h.pid, dir);
  await writeState(st, dir);
}

/** Undo everything a lab (complete or interrupted) may have left. Safe to run twice. */
async function teardown(dir: string, log: Log): Promise<void> {
  const procs = await savedPids(dir);
  for (const f of findLabProcesses(dir)) if (!procs.some((x) => x.pid === f.pid)) procs.push(f);
  for (const { name, pid } of procs) {
    if (await stopHost(name, pid, dir)) log(`lab: stopped ${name} (pid ${pid})`);
  }
  await removeSystemdCgroup();
  const netnses = await labNetnses();
  for (const ns of netnses) {
    const pids = (await run('ip', ['netns', 'pids', ns])).stdout.trim();
    if (pids) log(`lab: warning: processes still in ${ns} (not started by the lab's saved PIDs, left alone): ${pids.split(/\s+/).join(' ')}`);
  }
  await unmountAllUnder(dir);
  for (const ns of netnses) await deleteNetns(ns);
  for (const v of await labVeths()) await deleteLink(v);
  await removeBridge(log);
  const left = await mountsUnder(dir);
  if (left.length) throw new LabError(`lab: refusing to remove ${dir}: still mounted: ${left.join(' ')}`);
  await rm(dir, { recursive: true, force: true });
}

async function build(n: number, dir: string, outerLog: Log): Promise<LabState> {
  const p = paths(dir);
  const t0 = Date.now();
  const log: Log = (m) => outerLog(m.replace(/^lab: /, `lab: [${((Date.now() - t0) / 1000).toFixed(1)}s] `));
  await ensureControllerPackages(log);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await chmod(dir, 0o755);
  await mkdir(p.pids, { recursive: true });
  await mkdir(p.logs, { recursive: true });
  const names = Array.from({ length: n }, (_, k) => hostName(k + 1));
  log(`lab: building the apt repository and keys`);
  const [repo, publicKey, hostKeys] = await Promise.all([
    buildAptRepo(p.aptRepo, log, p.debCache),
    generateKey(p.privateKey, 'wheelwright-lab'),
    generateHostKeys(p.hostKeys, names),
    ensureBridge(),
  ]);
  const password = randomBytes(12).toString('base64url');
  await writeFile(p.sudoPassword, `${password}\n`, { mode: 0o600 });
  log(`lab: preparing the base layer (apt sources, ${SUDO_USER}, sshd config)`);
  await buildBase({ base: p.base, aptRepoDir: p.aptRepo, publicKey, sudoPassword: password, n });
  log(`lab: starting ${n} hosts`);
  const tHosts = Date.now();
  const hosts = await Promise.all(
    names.map(async (name, k): Promise<HostState> => {
      const i = k + 1;
      await createHostNetwork(i);
      await mountHost(i, dir, p.base, `${p.hostKeys}/${name}`);
      const pid = await startHost(i, dir);
      await waitReady(i, pid, dir);
      return {
        name, address: hostAddress(i), pid, root: hostPaths(name, dir).root, netns: netnsName(i), veth: vethName(i),
        hostKeyPublic: hostKeys.get(name)!,
      };
    }),
  );
  const st: LabState = {
    version: 1, n, createdAt: new Date().toISOString(), hosts, sudoUser: { name: SUDO_USER, password },
    aptPackages: repo.packages, pythonModulePackage: repo.pythonModulePackage,
  };
  await writeKnownHosts(p.knownHosts, hosts);
  await writeInventory(p.inventory, renderInventory(st, { privateKey: p.privateKey, knownHosts: p.knownHosts, sudoPasswordFile: p.sudoPassword }));
  await writeState(st, dir);
  log(`lab: ${n} hosts up in ${((Date.now() - t0) / 1000).toFixed(1)} s (hosts themselves ${((Date.now() - tHosts) / 1000).toFixed(1)} s): ${hosts.map((h) => `${h.name}=${h.address}`).join(' ')}`);
  return st;
}

/**
 * Bring up N lab hosts. Idempotent: the same N hosts up and healthy return at once; hosts whose
 * sshd died or whose link is down are restarted; anything else (other N, leftovers of an
 * interrupted run) is torn down and built again.
 */
export async function labUp(n: number, opts: { log?: Log } = {}): Promise<Lab> {
  requireRoot();
  if (!Number.isInteger(n) || n < 1 || n > MAX_HOSTS) throw new UserError(`lab size must be an integer from 1 to ${MAX_HOSTS}, not ${n}`);
  const log = opts.log ?? quiet;
  const dir = labDir();
  return withLock(async () => {
    const st = await readState(dir);
    if (st && st.n === n) {
      if (await healthy()) {
        log(`lab: ${n} hosts already up`);
        return toLab(st, dir);
      }
      // Repair in place when the network and filesystems are all there.
      const present = new Set(await labNetnses());
      const intact = (await Promise.all(st.hosts.map(async (h) => present.has(h.netns) && (await hostMounted(h.name, dir))))).every(Boolean);
      if (intact) {
        try {
          for (const h of st.hosts) {
            const i = hostIndex(h.name);
            if (!isLabProcess(h.pid, h.name, dir) || !(await linkIsUp(i)) || !(await tcpConnects(h.address, 22, 1000))) {
              log(`lab: restarting ${h.name}`);
              await restartHost(st, h, dir);
            }
          }
          if (await healthy()) return toLab(st, dir);
        } catch (e) {
          log(`lab: repair failed (${(e as Error).message}); rebuilding`);
        }
      }
    }
    const had = st || (await labNetnses()).length || (await mountsUnder(dir)).length;
    if (had) log(`lab: removing the previous lab`);
    await teardown(dir, log);
    try {
      return toLab(await build(n, dir, log), dir);
    } catch (e) {
      log(`lab: setup failed, cleaning up: ${(e as Error).message}`);
      await teardown(dir, log).catch((e2) => log(`lab: cleanup failed too: ${(e2 as Error).message}`));
      throw e;
    }
  }, log);
}

/**
 * Put one host back to the state `lab up` left: stop it, end anything still in its network
 * namespace, give it a new namespace (addresses, sysctls, firewall as new) and a new empty upper
 * layer (everything written since `lab up` is gone; the shared base layer and its host key stay),
 * and start it again.
 */
async function resetHost(st: LabState, h: HostState, dir: string): Promise<void> {
  const i = hostIndex(h.name);
  const p = paths(dir);
  await stopHost(h.name, h.pid, dir);
  const left = (await run('ip', ['netns', 'pids', h.netns])).stdout.split(/\s+/).map(Number).filter((x) => x > 0);
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
  await unmountAllUnder(hostPaths(h.name, dir).top);
  const still = await mountsUnder(hostPaths(h.name, dir).top);
  if (still.length) throw new LabError(`lab: cannot reset ${h.name}: still mounted: ${still.join(' ')}`);
  await deleteNetns(h.netns);
  await deleteLink(h.veth);
  await createHostNetwork(i);
  await mountHost(i, dir, p.base, `${p.hostKeys}/${h.name}`);
  h.pid = await startHost(i, dir);
  await waitReady(i, h.pid, dir);
}

/**
 * Reset every host of the lab that is up to the state `lab up` left (see resetHost), in place and
 * in parallel: the same addresses, keys, inventory and apt repository, for a test run that reuses
 * a lab kept from another run. Only for the one user of the lab: whatever runs on it is killed.
 */
export async function labReset(opts: { log?: Log } = {}): Promise<Lab> {
  requireRoot();
  const log = opts.log ?? quiet;
  const dir = labDir();
  return withLock(async () => {
    const st = await readState(dir);
    if (!st) throw new LabError('lab: no lab to reset (is the lab up? `wheelwright lab up`)');
    const t0 = Date.now();
    await Promise.all(st.hosts.map((h) => resetHost(st, h, dir)));
    await writeState(st, dir);
    log(`lab: ${st.hosts.length} hosts reset in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return toLab(st, dir);
  }, log);
}

/** Stop every host and remove the lab's namespaces, mounts, links and directory. Safe to run twice. */
export async function labDown(opts: { log?: Log } = {}): Promise<void> {
  requireRoot();
  const log = opts.log ?? quiet;
  const dir = labDir();
  await withLock(async () => {
    const t0 = Date.now();
    await teardown(dir, log);
    log(`lab: down in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }, log);
}

/** The lab as recorded in its state file, or undefined when no lab is up. Hosts may be unhealthy: see labHealth(). */
export async function labStatus(): Promise<Lab | undefined> {
  const dir = labDir();
  const st = await readState(dir);
  return st ? toLab(st, dir) : undefined;
}

export interface LabSystemdHost extends LabHost {
  /** An inventory with this host only (group `lab_systemd`), the same vars and key as the lab's. */
  inventoryFile: string;
  privateKeyFile: string;
  knownHostsFile: string;
}

/** systemd has finished starting up (`is-system-running --wait`): running, or a clear error naming the failed units. */
async function waitSystemRunning(pid: number, dir: string): Promise<void> {
  const r = await execInHost(SYSTEMD_INDEX, pid, dir, 'systemctl is-system-running --wait; systemctl --failed --no-legend --plain', { timeoutMs: 120_000 });
  const [state, ...failed] = r.stdout.trim().split('\n');
  if (state !== 'running') throw new LabError(`lab: systemd on ${SYSTEMD_NAME} is ${state || 'not answering'}${failed.length ? `; failed units: ${failed.join('; ')}` : ''} ${r.stderr.trim()}`);
  // the sudo user's manager (it lingers: logind starts it once up, maybe after boot has finished); wait for it
  const u = await execInHost(SYSTEMD_INDEX, pid, dir, `systemctl start "user@$(id -u ${SUDO_USER}).service"`, { timeoutMs: 60_000 });
  if (u.code !== 0) throw new LabError(`lab: the user manager of ${SUDO_USER} on ${SYSTEMD_NAME} did not start: ${u.stderr.trim()}`);
}

function toSystemdHost(h: HostState, dir: string): LabSystemdHost {
  const p = paths(dir);
  return { name: h.name, address: h.address, pid: h.pid, root: h.root, inventoryFile: p.systemdInventory, privateKeyFile: p.privateKey, knownHostsFile: p.knownHosts };
}

/** Stop the systemd host and remove its network, mounts and cgroup (the other hosts are not touched). */
async function removeSystemdHost(st: LabState, dir: string, log: Log): Promise<void> {
  const h = st.systemdHost;
  const pid = h?.pid ?? Number((await readFile(hostPaths(SYSTEMD_NAME, dir).pidFile, 'utf8').catch(() => '')).trim());
  if (pid && (await stopHost(SYSTEMD_NAME, pid, dir))) log(`lab: stopped ${SYSTEMD_NAME} (pid ${pid})`);
  await removeSystemdCgroup();
  await unmountAllUnder(hostPaths(SYSTEMD_NAME, dir).top);
  if ((await labNetnses()).includes(netnsName(SYSTEMD_INDEX))) await deleteNetns(netnsName(SYSTEMD_INDEX));
  if ((await labVeths()).includes(vethName(SYSTEMD_INDEX))) await deleteLink(vethName(SYSTEMD_INDEX));
  await rm(hostPaths(SYSTEMD_NAME, dir).top, { recursive: true, force: true });
  await rm(hostPaths(SYSTEMD_NAME, dir).pidFile, { force: true });
  await writeKnownHosts(paths(dir).knownHosts, st.hosts);
  await rm(paths(dir).systemdInventory, { force: true });
  delete st.systemdHost;
  await writeState(st, dir);
}

/**
 * The lab's optional systemd host `labsd` (10.231.0.110): systemd as its PID 1, the lab's sshd a
 * unit of it (see src/lab/systemd-host.ts). Needs the lab up (its base layer, key, bridge); leaves
 * the lab's hosts alone. Idempotent: a healthy one is returned at once, anything else rebuilt.
 */
export async function labSystemdUp(opts: { log?: Log } = {}): Promise<LabSystemdHost> {
  requireRoot();
  const log = opts.log ?? quiet;
  const dir = labDir();
  return withLock(async () => {
    const st = await readState(dir);
    if (!st) throw new LabError('lab: the systemd host needs the lab up first (`wheelwright lab up`)');
    if (!existsSync('/lib/systemd/systemd') || !existsSync('/usr/bin/dbus-daemon')) {
      throw new LabError('lab: the systemd host boots the controller\'s systemd: install the Debian packages systemd and dbus (scripts/setup.sh does)');
    }
    const h = st.systemdHost;
    if (h && isLabProcess(h.pid, h.name, dir) && (await tcpConnects(h.address, 22, 1000))) {
      const r = await execInHost(SYSTEMD_INDEX, h.pid, dir, 'systemctl is-system-running', { timeoutMs: 30_000 });
      if (r.stdout.trim() === 'running') return toSystemdHost(h, dir);
    }
    if (h || (await labNetnses()).includes(netnsName(SYSTEMD_INDEX)) || (await hostMounted(SYSTEMD_NAME, dir))) {
      log(`lab: removing the previous ${SYSTEMD_NAME}`);
      await removeSystemdHost(st, dir, log);
    }
    const t0 = Date.now();
    const p = paths(dir);
    try {
      const keys = await generateHostKeys(p.hostKeys, [SYSTEMD_NAME]);
      await createHostNetwork(SYSTEMD_INDEX);
      await mountHost(SYSTEMD_INDEX, dir, p.base, `${p.hostKeys}/${SYSTEMD_NAME}`);
      const root = hostPaths(SYSTEMD_NAME, dir).root;
      await prepareSystemdRoot(root, st.sudoUser.name, SSHD_OPTIONS);
      const pid = await startHost(SYSTEMD_INDEX, dir);
      await waitReady(SYSTEMD_INDEX, pid, dir, 60_000);
      await waitSystemRunning(pid, dir);
      const host: HostState = {
        name: SYSTEMD_NAME, address: hostAddress(SYSTEMD_INDEX), pid, root, netns: netnsName(SYSTEMD_INDEX), veth: vethName(SYSTEMD_INDEX),
        hostKeyPublic: keys.get(SYSTEMD_NAME)!,
      };
      st.systemdHost = host;
      await writeKnownHosts(p.knownHosts, [...st.hosts, host]);
      await writeInventory(p.systemdInventory, renderInventory(st, { privateKey: p.privateKey, knownHosts: p.knownHosts, sudoPasswordFile: p.sudoPassword }, { lab_systemd: [host] }));
      await writeState(st, dir);
      log(`lab: ${SYSTEMD_NAME} (systemd) up in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${host.address}`);
      return toSystemdHost(host, dir);
    } catch (e) {
      log(`lab: ${SYSTEMD_NAME} failed, cleaning it up: ${(e as Error).message}`);
      await removeSystemdHost(st, dir, log).catch((e2) => log(`lab: cleanup failed too: ${(e2 as Error).message}`));
      throw e;
    }
  }, log);
}

/** Remove the systemd host only (the lab's hosts stay up). Safe to run twice. */
export async function labSystemdDown(opts: { log?: Log } = {}): Promise<void> {
  requireRoot();
  const log = opts.log ?? quiet;
  const dir = labDir();
  await withLock(async () => {
    const st = await readState(dir);
    if (st) await removeSystemdHost(st, dir, log);
  }, log);
}

async function hostState(name: string): Promise<{ st: LabState; h: HostState; dir: string }> {
  const dir = labDir();
  const st = await readState(dir);
  const h = st?.hosts.find((x) => x.name === name) ?? (name === SYSTEMD_NAME ? st?.systemdHost : undefined);
  if (!st || !h) throw new LabError(`lab: no host ${name} (is the lab up? \`wheelwright lab up\`)`);
  return { st, h, dir };
}

/** Fault: kill the host (its sshd and every session in it). Network and filesystem stay; labHostRestart brings it back. */
export async function labHostKill(name: string): Promise<void> {
  requireRoot();
  const { h, dir } = await hostState(name);
  await stopHost(h.name, h.pid, dir);
}

/** Restart a host's sshd (a fresh /tmp and /run, like a reboot; its files stay). */
export async function labHostRestart(name: string): Promise<LabHost> {
  requireRoot();
  return withLock(async () => {
    const { st, h, dir } = await hostState(name);
    await restartHost(st, h, dir);
    return { name: h.name, address: h.address, pid: h.pid, root: h.root };
  });
}

/** Fault: take the host's link down (packets to it are dropped; connections hang rather than fail). */
export async function labLinkDown(name: string): Promise<void> {
  requireRoot();
  await hostState(name);
  await setLink(hostIndex(name), false);
}

export async function labLinkUp(name: string): Promise<void> {
  requireRoot();
  await hostState(name);
  await setLink(hostIndex(name), true);
}

/** Run a shell command as root inside a host (for assertions): its namespaces and root filesystem. */
export async function labHostExec(name: string, command: string, opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  requireRoot();
  const { h, dir } = await hostState(name);
  return execInHost(hostIndex(name), h.pid, dir, command, opts);
}

export type { RunResult } from './run.js';

const LAB = {
  name: 'lab',
  usage: ['lab up [N]', 'lab down', 'lab status', 'lab systemd [up|down]'],
  about:
    'The lab: N real hosts (default 6) in network namespaces, each with its own sshd (root needed).\n' +
    'up and status print the inventory file on stdout; status exits 4 unless every host answers.\n' +
    'systemd [up] adds the optional host labsd (systemd as init, 10.231.0.110) to a lab that is up and\n' +
    'prints its inventory file; systemd down removes it alone.',
  options: {},
} as const satisfies CommandDecl;

/** `wheelwright lab up [N]` / `lab down` / `lab status`: progress on stderr, the inventory path on stdout. */
export async function labCli(args: string[]): Promise<number> {
  const err = (m: string) => process.stderr.write(`${m}\n`);
  try {
    const { positionals, help } = parseCommand(LAB, args);
    if (help) {
      process.stdout.write(helpText(LAB));
      return EXIT.ok;
    }
    const [cmd, ...rest] = positionals;
    if (cmd === 'up') {
      if (rest.length > 1 || (rest[0] !== undefined && !/^\d+$/.test(rest[0]))) throw new UsageError('lab up takes a number of hosts', LAB);
      const lab = await labUp(rest[0] === undefined ? 6 : Number(rest[0]), { log: err });
      process.stdout.write(`${lab.inventoryFile}\n`);
      return EXIT.ok;
    }
    if (cmd === 'systemd' && rest.length <= 1 && (rest[0] === undefined || rest[0] === 'up' || rest[0] === 'down')) {
      if (rest[0] === 'down') {
        await labSystemdDown({ log: err });
        return EXIT.ok;
      }
      const h = await labSystemdUp({ log: err });
      process.stdout.write(`${h.inventoryFile}\n`);
      return EXIT.ok;
    }
    if (cmd === 'down' && rest.length === 0) {
      await labDown({ log: err });
      return EXIT.ok;
    }
    if (cmd === 'status' && rest.length === 0) {
      const lab = await labStatus();
      if (!lab) {
        err('lab: down');
        return EXIT.hostUnreachable;
      }
      const health = process.getuid?.() === 0 ? await labHealth() : [];
      for (const h of lab.hosts) {
        const x = health.find((y) => y.name === h.name);
        err(`${h.name}\t${h.address}\t${x ? (x.reachable ? 'up' : x.running ? 'unreachable' : 'down') : '?'}`);
      }
      const sd = (await readState(labDir()))?.systemdHost;
      if (sd && process.getuid?.() === 0) {
        const up = isLabProcess(sd.pid, sd.name, labDir()) && (await tcpConnects(sd.address, 22, 1000));
        err(`${sd.name}\t${sd.address}\t${up ? 'up' : 'down'} (systemd host, ${paths(labDir()).systemdInventory})`);
      }
      process.stdout.write(`${lab.inventoryFile}\n`);
      return health.length && health.every((x) => x.reachable) ? EXIT.ok : EXIT.hostUnreachable;
    }
    throw new UsageError(cmd === undefined ? 'lab needs a command' : `unknown lab command '${[cmd, ...rest].join(' ')}'`, LAB);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(usageErrorText(e, LAB));
      return EXIT.badInput;
    }
    if (e instanceof UserError) {
      err(`wheelwright: ${e.message}`);
      return EXIT.badInput;
    }
    err(`wheelwright: ${(e as Error).message}`);
    return EXIT.internal;
  }
}
