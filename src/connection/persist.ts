/**
 * Connection reuse across runs (Ansible's default `ssh_args`: ControlMaster=auto, ControlPersist=60s).
 * The pure parts (the settings from ssh_args are in spec.ts): the key that says which connections may be shared,
 * the trust check of the socket directory, and the idle expiry the broker applies.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync } from 'node:fs';
import type { ConnectionSpec } from './types.js';

/**
 * The control directory may be used only when it is ours and no one else can write to it (as the
 * remote boot cache's check): another user could otherwise put their socket in our place.
 */
export function dirTrusted(dir: string, uid = process.getuid?.() ?? -1): boolean {
  try {
    const st = lstatSync(dir);
    return st.isDirectory() && st.uid === uid && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** Create the control directory (0700) when missing; true when it can be trusted. */
export function ensureControlDir(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    return false;
  }
  return dirTrusted(dir);
}

const sha = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
/** A file's content hash ('-' when unreadable): a key or known_hosts file edited is another connection. */
function fileHash(file: string | undefined): string {
  if (!file) return '';
  try {
    return sha(readFileSync(file));
  } catch {
    return '-';
  }
}

/** What, besides the spec, decides how a connection is made and verified. */
export interface KeyInputs {
  buildId: string;
  /** known_hosts files read (in order) */
  knownHostsFiles: string[];
  /** keys tried when the spec names none */
  defaultIdentityFiles: string[];
  agentSocket?: string | null;
  sshConfigFile?: string;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  maxChannels?: number;
  /** the specs of the jump hosts, target first */
  jumps: ConnectionSpec[];
}

/**
 * The identity of a shareable connection: a hash over the build and every setting that decides
 * what the connection is and how it was authenticated and verified, file contents included. The
 * secrets go into the hash only: the key is never stored, and a hash is all the broker keeps.
 */
export function connectionKey(spec: ConnectionSpec, k: KeyInputs): string {
  const one = (s: ConnectionSpec) => ({
    address: s.address,
    port: s.port ?? 22,
    user: s.user ?? '',
    privateKeyFile: s.privateKeyFile ?? '',
    privateKey: fileHash(s.privateKeyFile),
    passphrase: s.passphrase === undefined ? null : sha(`passphrase\0${s.passphrase}`),
    password: s.password === undefined ? null : sha(`password\0${s.password}`),
    hostKeyChecking: s.hostKeyChecking,
    knownHostsFile: s.knownHostsFile ?? '',
    knownHosts: fileHash(s.knownHostsFile),
    connectTimeoutMs: s.connectTimeoutMs,
    proxyJump: s.proxyJump ?? '',
    serverAlive: [s.serverAliveIntervalMs ?? null, s.serverAliveCountMax ?? null],
  });
  const material = {
    v: 1,
    build: k.buildId,
    uid: process.getuid?.() ?? -1,
    target: one(spec),
    jumps: k.jumps.map(one),
    knownHostsFiles: k.knownHostsFiles.map((f) => [f, fileHash(f)]),
    identities: spec.privateKeyFile ? [] : k.defaultIdentityFiles.map((f) => [f, fileHash(f)]),
    agent: k.agentSocket ?? null,
    sshConfig: k.sshConfigFile ? [k.sshConfigFile, fileHash(k.sshConfigFile)] : null,
    keepalive: [k.keepaliveIntervalMs ?? null, k.keepaliveCountMax ?? null],
    maxChannels: k.maxChannels ?? null,
  };
  return sha(JSON.stringify(material));
}

/**
 * Idle expiry with an injected clock: a connection with no client attached expires `persistMs`
 * after the last one left; attached, it never does.
 */
export class IdleExpiry {
  private readonly deadlines = new Map<string, number>();
  constructor(private readonly now: () => number = Date.now) {}

  /** The last client of `key` left: it expires after `persistMs` (Infinity: never). */
  idle(key: string, persistMs: number): void {
    this.deadlines.set(key, this.now() + persistMs);
  }

  /** A client attached: no expiry while it is there. */
  busy(key: string): void {
    this.deadlines.delete(key);
  }

  forget(key: string): void {
    this.deadlines.delete(key);
  }

  /** The keys whose time is up (removed from the tracker). */
  due(): string[] {
    const t = this.now();
    const out: string[] = [];
    for (const [k, d] of this.deadlines) if (d <= t) out.push(k);
    for (const k of out) this.deadlines.delete(k);
    return out;
  }

  /** Milliseconds until the next expiry (undefined: none pending). */
  nextInMs(): number | undefined {
    let min = Infinity;
    for (const d of this.deadlines.values()) min = Math.min(min, d);
    return min === Infinity ? undefined : Math.max(0, min - this.now());
  }
}
