import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { copyFile, chmod, mkdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { HOST_ENV, LabError, run, must, sleep, tcpConnects, type RunResult } from './run.js';
import { bindDev, isMountPoint } from './mounts.js';
import { HOST_KEY_PATH, SSHD_CONFIG_PATH } from './base.js';
import { SYSTEMD_INDEX, hostAddress, hostName, hostPaths, isLabProcess, netnsName, paths } from './state.js';
import { systemdHostScript } from './systemd-host.js';
import { sshdListening } from './network.js';
import { shQuote } from '../shell/quote.js';

/** sshd load limits: tests open many sessions and connections at once. */
export const SSHD_OPTIONS = ['-o', 'MaxSessions=20', '-o', 'MaxStartups=100:30:200', '-o', 'UseDNS=no', '-o', 'LoginGraceTime=30'];

function hostTmpfsSize(): string {
  const s = process.env.WHEELWRIGHT_LAB_HOST_SIZE || '2g';
  if (!/^\d+[kmg]?$/i.test(s)) throw new LabError(`WHEELWRIGHT_LAB_HOST_SIZE must look like 512m or 2g, not ${JSON.stringify(s)}`);
  return s;
}

/**
 * The host's filesystem: a tmpfs (size-limited, so "fill the disk" faults stay inside it) holding
 * the overlay's upper and work dirs; the overlay over the base layer and the controller's `/`;
 * /dev bound in. Then the per-host files: hostname, machine-id, sshd host key.
 */
export async function mountHost(i: number, dir: string, base: string, hostKeyFile: string): Promise<void> {
  const name = hostName(i);
  const hp = hostPaths(name, dir);
  await mkdir(hp.top, { recursive: true });
  await must('mount', ['-t', 'tmpfs', '-o', `size=${hostTmpfsSize()},mode=0755`, `wwlab-${name}`, hp.top]);
  await Promise.all([hp.up, hp.work, hp.root].map((d) => mkdir(d)));
  await must('mount', ['-t', 'overlay', `wwlab-${name}-root`, '-o', `lowerdir=${base}/up:/,upperdir=${hp.up},workdir=${hp.work}`, hp.root]);
  await bindDev(hp.root);
  await writeFile(`${hp.root}/etc/hostname`, `${name}\n`);
  await writeFile(`${hp.root}/etc/machine-id`, `${randomBytes(16).toString('hex')}\n`);
  await copyFile(hostKeyFile, `${hp.root}${HOST_KEY_PATH}`);
  await chmod(`${hp.root}${HOST_KEY_PATH}`, 0o600);
  await copyFile(`${hostKeyFile}.pub`, `${hp.root}${HOST_KEY_PATH}.pub`);
}

export async function hostMounted(name: string, dir: string): Promise<boolean> {
  return isMountPoint(hostPaths(name, dir).root);
}

/**
 * Start the host's sshd: in its netns, in new mount/uts/pid namespaces, chrooted into its root
 * (the systemd host, labsd: systemd instead, which starts sshd; see systemd-host.ts).
 * Returns the PID of `unshare` (saved at once in <labdir>/pids/<name>): SIGKILL on it ends the
 * whole host (its pid namespace's init is sshd, killed with unshare through --kill-child).
 */
export async function startHost(i: number, dir: string): Promise<number> {
  const name = hostName(i);
  const hp = hostPaths(name, dir);
  const p = paths(dir);
  await mkdir(p.pids, { recursive: true });
  await mkdir(p.logs, { recursive: true });
  const r = shQuote(hp.root);
  const script = i === SYSTEMD_INDEX ? systemdHostScript(name, hp.root) : [
    'set -e',
    `hostname ${name}`,
    `mount -t proc proc ${r}/proc`,
    `mount -t sysfs sysfs ${r}/sys`,
    `mount -t tmpfs -o mode=1777 tmpfs ${r}/tmp`,
    `mount -t tmpfs -o mode=0755 tmpfs ${r}/run`,
    `mkdir -p ${r}/run/sshd ${r}/run/lock && chmod 1777 ${r}/run/lock`,
    `exec chroot ${r} /usr/sbin/sshd -D -e -f ${SSHD_CONFIG_PATH} -h ${HOST_KEY_PATH} ${SSHD_OPTIONS.join(' ')}`,
  ].join('\n');
  const logFd = openSync(hp.log, 'a');
  try {
    const child = spawn(
      'ip',
      ['netns', 'exec', netnsName(i), 'unshare', '--mount', '--uts', '--pid', '--fork', '--kill-child', '--propagation', 'private', 'sh', '-c', script],
      { detached: true, stdio: ['ignore', logFd, logFd], env: HOST_ENV },
    );
    child.on('error', () => {});
    child.unref();
    if (!child.pid) throw new LabError(`lab: could not start ${name}`);
    writeFileSync(hp.pidFile, `${child.pid}\n`); // at once: an interrupted run's teardown needs it
    return child.pid;
  } finally {
    closeSync(logFd);
  }
}

/** Ready: `ss -ltn` in the namespace shows :22 and the controller can open a TCP connection to it. */
export async function waitReady(i: number, pid: number, dir: string, timeoutMs = 30_000): Promise<void> {
  const name = hostName(i);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // cmdline reads empty for an instant while `ip` execs `unshare`: only a gone or zombie process is dead
    if (!isLabProcess(pid, name, dir) && !processAlive(pid)) throw new LabError(`lab: ${name} exited during startup; log:\n${logTail(name, dir)}`);
    if ((await sshdListening(i)) && (await tcpConnects(hostAddress(i), 22, 1000))) return;
    if (Date.now() > deadline) throw new LabError(`lab: ${name} not ready after ${timeoutMs} ms; log:\n${logTail(name, dir)}`);
    await sleep(50);
  }
}

function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export function logTail(name: string, dir: string): string {
  try {
    return readFileSync(hostPaths(name, dir).log, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

/** The host's init (sshd, PID 1 in its pid namespace): the child of the saved `unshare`. */
export function initPid(pid: number): number | undefined {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    return kids.find((k) => k > 0);
  } catch {
    return undefined;
  }
}

function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

/** SIGKILL the saved unshare PID (only if it is still this lab's), and wait until the host's init is gone. */
export async function stopHost(name: string, pid: number, dir: string): Promise<boolean> {
  if (!isLabProcess(pid, name, dir)) return false;
  const init = initPid(pid);
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !(gone(pid) && (init === undefined || gone(init)))) await sleep(20);
  return true;
}

/**
 * Run a shell command inside a host, as root: with nsenter into its namespaces and root when the
 * host is running, else (host killed) chrooted into its filesystem in its netns.
 */
export async function execInHost(i: number, pid: number | undefined, dir: string, command: string, opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const name = hostName(i);
  const hp = hostPaths(name, dir);
  const init = pid !== undefined && isLabProcess(pid, name, dir) ? initPid(pid) : undefined;
  const envArgs = ['/usr/bin/env', '-i', ...Object.entries(HOST_ENV).map(([k, v]) => `${k}=${v}`), '/bin/sh', '-c', command];
  const ro = { input: opts.input, timeoutMs: opts.timeoutMs ?? 300_000, env: HOST_ENV };
  if (init) {
    return run('nsenter', ['-t', String(init), '-m', '-u', '-n', '-p', '-r', '-w', '--', ...envArgs], ro);
  }
  if (!(await isMountPoint(hp.root))) throw new LabError(`lab: ${name} has no mounted root (is the lab up?)`);
  return run('ip', ['netns', 'exec', netnsName(i), 'chroot', hp.root, ...envArgs], ro);
}

