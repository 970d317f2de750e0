/**
 * The lab for integration tests: N real hosts (see docs/lab.md), brought up once per mocha process.
 *
 *   import { useLab, skipWithoutLab, labSsh } from './_lab-fixture.js';
 *   before(async function () {
 *     skipWithoutLab(this);          // not root: skip here, throw under CI (CI must not skip lab tests)
 *     this.timeout(600_000);
 *     lab = await useLab(6);
 *   });
 *
 * Every useLab() call goes through labUp(), which returns at once when the hosts are healthy and
 * restarts any host a fault test left killed or unlinked. The lab is torn down after the whole run
 * (mocha root `after` hook) only if this process brought it up; WHEELWRIGHT_LAB_KEEP=1 keeps it.
 *
 * A lab kept from another run (WHEELWRIGHT_LAB_KEEP, a bench, a crashed run) carries what that run
 * left on the hosts. The first useLab() of a process that reuses such a lab resets every host to
 * the state `lab up` left (labReset): a run starts on fresh hosts, kept lab or not. A file that
 * must not see what earlier files of the same run left asks for useLab(6, { fresh: true }).
 * A reset happens only when safe: no other test process is registered as a user, and this process
 * holds the shared test lock (it runs under `flock ITEST_LOCK ...`) or brought the lab up itself;
 * otherwise it warns and leaves the hosts as they are.
 */
import { labDown, labStatus, labHealth, labReset, labUp, type Lab } from '../../src/lab/index.js';
import { run, type RunResult } from '../../src/lab/run.js';
import { labDir, processExists } from '../../src/lab/state.js';
import { mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';

export type { Lab } from '../../src/lab/index.js';

export function labSupported(): boolean {
  return process.platform === 'linux' && process.getuid?.() === 0;
}

function notSupportedMessage(): string {
  return 'lab tests need root on Linux (network namespaces, mounts); run the tests as root';
}

/** Call first in `before()`: skips the suite when the lab cannot run here, but fails under CI. */
export function skipWithoutLab(ctx: Mocha.Context): void {
  if (labSupported()) return;
  if (process.env.CI) throw new Error(`${notSupportedMessage()} (CI is set: lab tests must not be skipped)`);
  ctx.skip();
}

/** The lock integration test runs hold (`flock ITEST_LOCK npx mocha ...`), one run on the lab at a time. */
export const ITEST_LOCK = process.env.WHEELWRIGHT_ITEST_LOCK || '/var/tmp/wheelwright-itest.lock';

/**
 * True if this process runs under ITEST_LOCK: it or one of its ancestors has the lock file open
 * with a granted flock on it (`flock ITEST_LOCK npx mocha ...`: flock(1) holds it for the whole
 * command; npx does not pass the descriptor on, so the ancestors are checked; a waiter's lock is
 * not listed in fdinfo).
 */
export function holdsItestLock(): boolean {
  for (let pid = process.pid; pid > 1; ) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      return false;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== ITEST_LOCK) continue;
        if (/^lock:.*\bFLOCK\s+ADVISORY\s+WRITE\b/m.test(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))) return true;
      } catch {
        /* closed meanwhile */
      }
    }
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return false;
    }
  }
  return false;
}

let owns: boolean | undefined;
let inflight: Promise<Lab> | undefined;
/** The hosts are as `lab up` (or labReset) left them: no test file has used them since. */
let pristine = false;
/** labUp built the lab in this process (no lab of this size was there): no other run's hosts. */
let builtHere = false;

function labLog(): ((m: string) => void) | undefined {
  return process.env.WHEELWRIGHT_LAB_VERBOSE ? (m) => process.stderr.write(`${m}\n`) : undefined;
}

/**
 * The lab with n hosts, up and healthy. Throws when not root (use skipWithoutLab first).
 * A lab kept from another run is reset first (see above). `fresh`: this file wants hosts as
 * `lab up` left them, so if an earlier file of this run used them, they are reset (about a second).
 * A reset happens only when safe (no other test process registered, and this process holds the
 * test lock or brought the lab up itself); else a warning, and the hosts stay as they are.
 */
export async function useLab(n = 6, opts: { fresh?: boolean } = {}): Promise<Lab> {
  if (!labSupported()) throw new Error(notSupportedMessage());
  if (inflight) await inflight.catch(() => {});
  inflight = (async () => {
    let reused = false;
    if (owns === undefined) {
      const st = await labStatus();
      const health = st ? await labHealth() : [];
      owns = !(st && st.hosts.length === n && health.every((h) => h.reachable));
      reused = !!st && st.hosts.length === n;
      pristine = builtHere = !reused;
    }
    registerUser();
    let lab = await labUp(n, { log: labLog() });
    if (reused || (opts.fresh && !pristine)) {
      const others = otherLabUsers();
      if (!others.length && (holdsItestLock() || builtHere)) {
        lab = await labReset({ log: labLog() });
      } else {
        process.stderr.write(
          `lab: NOT resetting the lab hosts (${others.length ? `used by test process(es) ${others.join(' ')}` : `a lab kept from another run, and this run is not under flock ${ITEST_LOCK}`}): ` +
            'tests may meet what earlier runs left on them\n',
        );
      }
    }
    pristine = false;
    return lab;
  })();
  return inflight;
}

/** True if this process brought the lab up (and so tears it down at the end). */
export function labOwnedByThisRun(): boolean {
  return owns === true;
}

/*
 * Test processes using the lab register in <labdir>.users/<pid> (outside the lab dir, which labDown
 * removes), so that one process does not tear the lab down under another one still using it.
 */
function usersDir(): string {
  return `${labDir()}.users`;
}
function registerUser(): void {
  mkdirSync(usersDir(), { recursive: true });
  writeFileSync(`${usersDir()}/${process.pid}`, '');
}
function unregisterUser(): void {
  rmSync(`${usersDir()}/${process.pid}`, { force: true });
}
/** PIDs of other live test processes using the lab now. */
export function otherLabUsers(): number[] {
  let names: string[] = [];
  try {
    names = readdirSync(usersDir());
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const n of names) {
    const pid = Number(n);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    if (processExists(pid)) out.push(pid);
    else rmSync(`${usersDir()}/${n}`, { force: true });
  }
  return out;
}

if (typeof after === 'function') {
  after(async function () {
    if (owns === undefined) return;
    unregisterUser();
    if (!owns || process.env.WHEELWRIGHT_LAB_KEEP) return;
    const others = otherLabUsers();
    if (others.length) {
      process.stderr.write(`lab: left up: still used by test process(es) ${others.join(' ')}\n`);
      return;
    }
    this.timeout(120_000);
    await labDown();
  });
}

/** OpenSSH client options for the lab: its key, its known_hosts, strict host key checking, no user config. */
export function labSshArgs(lab: Lab): string[] {
  return [
    '-F', '/dev/null',
    '-i', lab.privateKeyFile,
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${lab.knownHostsFile}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=10',
  ];
}

/** Run a command on a lab host with the OpenSSH client (`user@address command`). */
export function labSsh(lab: Lab, host: string, command: string, opts: { user?: string; input?: string; extraArgs?: string[] } = {}): Promise<RunResult> {
  const h = lab.hosts.find((x) => x.name === host);
  if (!h) throw new Error(`no lab host ${host}`);
  return run('ssh', [...labSshArgs(lab), ...(opts.extraArgs ?? []), `${opts.user ?? 'root'}@${h.address}`, command], {
    input: opts.input,
    timeoutMs: 120_000,
  });
}
