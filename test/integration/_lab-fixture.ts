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
 */
import { labDown, labStatus, labHealth, labUp, type Lab } from '../../src/lab/index.js';
import { run, type RunResult } from '../../src/lab/run.js';
import { labDir, processExists } from '../../src/lab/state.js';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';

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

let owns: boolean | undefined;
let inflight: Promise<Lab> | undefined;

/** The lab with n hosts, up and healthy. Throws when not root (use skipWithoutLab first). */
export async function useLab(n = 6): Promise<Lab> {
  if (!labSupported()) throw new Error(notSupportedMessage());
  if (inflight) await inflight.catch(() => {});
  inflight = (async () => {
    if (owns === undefined) {
      const st = await labStatus();
      const health = st ? await labHealth() : [];
      owns = !(st && st.hosts.length === n && health.every((h) => h.reachable));
    }
    registerUser();
    return labUp(n, { log: process.env.WHEELWRIGHT_LAB_VERBOSE ? (m) => process.stderr.write(`${m}\n`) : undefined });
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
