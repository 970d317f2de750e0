import { mkdir, readFile, readdir, rm, writeFile, rename } from 'node:fs/promises';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LabError, sleep } from './run.js';

/** Every name the lab creates starts with this prefix (netns wwlab1, veth wwlab1v, tmpfs wwlab-...). */
export const PREFIX = 'wwlab';
export const BRIDGE = 'labbr0';
export const SUBNET_PREFIX = '10.231.0';
export const BRIDGE_ADDRESS = `${SUBNET_PREFIX}.1`;
export const MAX_HOSTS = 99;
export const SUDO_USER = 'wwsudo';

export function labDir(): string {
  const d = process.env.WHEELWRIGHT_LAB_DIR || '/var/tmp/wheelwright-lab';
  // The directory ends up in overlay mount options (":" and "," separate layers/options there).
  if (!d.startsWith('/') || /[:,\s\\]/.test(d) || d === '/') {
    throw new LabError(`WHEELWRIGHT_LAB_DIR must be an absolute path without ':', ',', '\\' or spaces: ${JSON.stringify(d)}`);
  }
  return d.replace(/\/+$/, '');
}

/** The optional systemd host (src/lab/systemd-host.ts): index 100, name labsd, netns wwlab100, 10.231.0.110. */
export const SYSTEMD_INDEX = 100;
export const SYSTEMD_NAME = 'labsd';

export function hostName(i: number): string {
  return i === SYSTEMD_INDEX ? SYSTEMD_NAME : `lab${i}`;
}
export function hostAddress(i: number): string {
  return `${SUBNET_PREFIX}.${10 + i}`;
}
export function netnsName(i: number): string {
  return `${PREFIX}${i}`;
}
export function vethName(i: number): string {
  return `${PREFIX}${i}v`;
}
export function hostIndex(name: string): number {
  if (name === SYSTEMD_NAME) return SYSTEMD_INDEX;
  const m = /^lab([1-9][0-9]?)$/.exec(name);
  if (!m) throw new LabError(`not a lab host name: ${JSON.stringify(name)} (expected lab1, lab2, ...)`);
  return Number(m[1]);
}

/** Paths inside the lab directory. */
export function paths(dir = labDir()) {
  return {
    dir,
    state: join(dir, 'state.json'),
    pids: join(dir, 'pids'),
    logs: join(dir, 'logs'),
    hosts: join(dir, 'hosts'),
    base: join(dir, 'base'),
    aptRepo: join(dir, 'apt-repo'),
    hostKeys: join(dir, 'host-keys'),
    privateKey: join(dir, 'id_ed25519'),
    publicKey: join(dir, 'id_ed25519.pub'),
    knownHosts: join(dir, 'known_hosts'),
    inventory: join(dir, 'inventory.yml'),
    systemdInventory: join(dir, 'inventory-systemd.yml'),
    sudoPassword: join(dir, 'sudo-password'),
    lock: `${dir}.lock`,
    debCache: `${dir}.cache/debs`,
  };
}

/** Host filesystem: <hosts>/<name> is a tmpfs holding up/ work/ and the overlay root/. */
export function hostPaths(name: string, dir = labDir()) {
  const p = paths(dir);
  const top = join(p.hosts, name);
  return {
    top,
    up: join(top, 'up'),
    work: join(top, 'work'),
    root: join(top, 'root'),
    pidFile: join(p.pids, name),
    log: join(p.logs, `${name}.log`),
    hostKey: join(p.hostKeys, name),
  };
}

export interface HostState {
  name: string;
  address: string;
  pid: number; // the `unshare` process: SIGKILL on it ends the host's pid namespace
  root: string;
  netns: string;
  veth: string;
  hostKeyPublic: string;
}

export interface LabState {
  version: 1;
  n: number;
  createdAt: string;
  hosts: HostState[];
  sudoUser: { name: string; password: string };
  aptPackages: string[]; // packages in the lab's apt repository (names)
  pythonModulePackage: string; // one of aptPackages providing a Python module
  systemdHost?: HostState; // the optional systemd host (labSystemdUp), not one of `hosts`
}

export async function readState(dir = labDir()): Promise<LabState | undefined> {
  try {
    const s = JSON.parse(await readFile(paths(dir).state, 'utf8')) as LabState;
    return s.version === 1 && Array.isArray(s.hosts) ? s : undefined;
  } catch {
    return undefined;
  }
}

export async function writeState(s: LabState, dir = labDir()): Promise<void> {
  const f = paths(dir).state;
  await writeFile(`${f}.tmp`, JSON.stringify(s, null, 2) + '\n', { mode: 0o600 });
  await rename(`${f}.tmp`, f);
}

/** PIDs saved by hosts started so far (also by an interrupted run that never wrote state.json). */
export async function savedPids(dir = labDir()): Promise<Array<{ name: string; pid: number }>> {
  const out: Array<{ name: string; pid: number }> = [];
  const p = paths(dir);
  let names: string[] = [];
  try {
    names = await readdir(p.pids);
  } catch {
    /* none */
  }
  for (const name of names) {
    const pid = Number((await readFile(join(p.pids, name), 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 1) out.push({ name, pid });
  }
  const st = await readState(dir);
  for (const h of st?.hosts ?? []) if (!out.some((o) => o.pid === h.pid)) out.push({ name: h.name, pid: h.pid });
  return out;
}

/**
 * Is `pid` a host process this lab started? It must be a live `unshare` whose command line names
 * this lab's host root: a reused PID never matches, so we never signal anybody else's process.
 */
export function isLabProcess(pid: number, name: string, dir = labDir()): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z') return false;
    // Either `unshare ...` or, for a moment after spawn, `ip netns exec wwlabN unshare ...` (which then execs unshare).
    const first = cmdline[0] ?? '';
    const isUnshare = first.endsWith('unshare') || (/(^|\/)ip$/.test(first) && cmdline[1] === 'netns' && cmdline.includes('unshare'));
    return isUnshare && cmdline.some((a) => a.includes(hostPaths(name, dir).root));
  } catch {
    return false;
  }
}

export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Exclusive lock around lab changes (several engineers' test runs share one machine):
 * a directory created atomically, holding the owner's pid; a dead owner's lock is taken over.
 */
export async function withLock<T>(fn: () => Promise<T>, log: (m: string) => void = () => {}, dir = labDir()): Promise<T> {
  const lock = paths(dir).lock;
  const deadline = Date.now() + 20 * 60_000;
  let warned = false;
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number((await readFile(join(lock, 'pid'), 'utf8').catch(() => '')).trim());
      if (!owner) {
        // Being created right now, or left half-made: give it a moment, then take over.
        await sleep(300);
        const again = Number((await readFile(join(lock, 'pid'), 'utf8').catch(() => '')).trim());
        if (!again) await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (!processExists(owner)) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new LabError(`lab: lock ${lock} still held by pid ${owner} after 20 minutes`);
      if (!warned) {
        log(`lab: waiting for ${lock} (held by pid ${owner})`);
        warned = true;
      }
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/**
 * Host processes of this lab found by scanning /proc: `unshare` (or the `ip netns exec` about to
 * become it) whose command line names a host root of this lab dir. Catches a host whose PID an
 * interrupted run never got to save.
 */
export function findLabProcesses(dir = labDir()): Array<{ name: string; pid: number }> {
  const out: Array<{ name: string; pid: number }> = [];
  const marker = `${paths(dir).hosts}/`;
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const at = cmdline.indexOf(marker);
    if (at < 0) continue;
    const name = /^(lab\d+|labsd)\/root/.exec(cmdline.slice(at + marker.length))?.[1];
    if (name && isLabProcess(pid, name, dir)) out.push({ name, pid });
  }
  return out;
}
