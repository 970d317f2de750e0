/**
 * The run's side of the connection broker (src/connection/broker.ts): find or start the broker of
 * this build in the control directory, attach one host connection to it, and run commands through
 * it as RawProcesses. Everything above the raw process (become, stdin, put/get over cat, timeouts,
 * interrupt) stays in SshConnection and the exec driver.
 */
import { spawn } from 'node:child_process';
import { createConnection as netConnect, type Socket } from 'node:net';
import { join, resolve as resolvePath } from 'node:path';
import { F, frame, frameReader, PROTOCOL, type ExitMsg, type FailMsg, type ReadyMsg } from './broker-proto.js';
import type { RawProcess } from './exec-driver.js';
import { ensureControlDir } from './persist.js';
import type { ConnectionSpec } from './types.js';

/** The broker this build starts: its script and the build id its socket is named after. */
export interface BrokerBuild {
  id: string;
  script: string;
}

/** The settings the broker opens the connection with (paths absolute: the broker runs in /). */
export interface HelloMsg {
  v: number;
  key: string;
  persistMs: number;
  spec: ConnectionSpec;
  opts: {
    agentSocket?: string | null;
    defaultIdentityFiles?: string[];
    knownHostsFiles?: string[];
    sshConfigFile?: string;
    keepaliveIntervalMs?: number;
    keepaliveCountMax?: number;
    maxChannels?: number;
    channelRetries?: number;
  };
}

const KILL_GRACE_MS = 4000;
const START_TIMEOUT_MS = 5000;

export function socketPathOf(dir: string, build: BrokerBuild): string {
  return join(dir, `ww-${build.id.slice(0, 16)}.sock`);
}

const starting = new Map<string, Promise<boolean>>();

/** Start the broker for `path` (once per process); true when it says it listens. */
function startBroker(build: BrokerBuild, path: string): Promise<boolean> {
  let p = starting.get(path);
  if (!p) {
    p = new Promise<boolean>((resolve) => {
      let child;
      try {
        // its own session, no terminal, no stdio kept: it outlives this run and no signal of ours reaches it
        child = spawn(process.execPath, [build.script, path], { detached: true, stdio: ['ignore', 'pipe', 'ignore'], cwd: '/' });
      } catch {
        return resolve(false);
      }
      let said = '';
      const done = (ok: boolean) => {
        clearTimeout(timer);
        child.stdout!.destroy();
        child.unref();
        resolve(ok);
      };
      const timer = setTimeout(() => done(false), START_TIMEOUT_MS);
      child.on('error', () => done(false));
      child.stdout!.on('data', (d: Buffer) => {
        said += d.toString();
        if (said.includes('\n')) done(said.startsWith('ready'));
      });
      child.stdout!.on('end', () => done(said.startsWith('ready')));
    });
    starting.set(path, p);
    p.then(() => starting.delete(path));
  }
  return p;
}

function connectSocket(path: string): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = netConnect(path);
    s.once('connect', () => {
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', () => resolve(undefined));
  });
}

/**
 * Attach to the broker of `dir` (started when none answers) and send the hello. undefined: no
 * broker can be used (untrusted directory, path too long, start failed): connect directly.
 */
export async function attachBroker(dir: string, build: BrokerBuild, hello: HelloMsg): Promise<{ link: BrokerLink; ready: ReadyMsg } | undefined> {
  dir = resolvePath(dir);
  if (!ensureControlDir(dir)) return undefined;
  const path = socketPathOf(dir, build);
  if (Buffer.byteLength(path) > 100) return undefined; // sun_path is 108 bytes
  let sock = await connectSocket(path);
  if (!sock) {
    if (!(await startBroker(build, path))) return undefined;
    sock = await connectSocket(path);
    if (!sock) return undefined;
  }
  sock.setNoDelay(true);
  const link = new BrokerLink(sock);
  // a broker that does not answer within the connect timeout (and a margin) is given up: direct
  const timer = setTimeout(() => sock.destroy(), hello.spec.connectTimeoutMs + 5000);
  const ready = await link.hello(hello);
  clearTimeout(timer);
  if (!ready) return undefined; // the broker went away before answering
  return { link, ready };
}

interface Chan {
  proc: ChanProcess;
  opened?: (err?: FailMsg) => void;
}

/** One host connection held by the broker, as seen from the run. */
export class BrokerLink {
  private readonly chans = new Map<number, Chan>();
  private next = 1;
  private onReady: ((m: ReadyMsg | undefined) => void) | undefined;
  /** set when the broker's socket closed: the connection is gone for this run */
  gone = false;

  constructor(private readonly sock: Socket) {
    sock.on('data', frameReader((t, c, p) => this.onFrame(t, c, p)));
    sock.on('error', () => {});
    sock.on('close', () => {
      this.gone = true;
      this.onReady?.(undefined);
      for (const [, ch] of this.chans) {
        ch.opened?.({ message: 'the connection broker went away', unreachable: true });
        ch.proc.exit({ code: null, signal: null, exited: false, lost: 'the connection broker went away' });
      }
      this.chans.clear();
    });
  }

  hello(msg: HelloMsg): Promise<ReadyMsg | undefined> {
    return new Promise((resolve) => {
      this.onReady = (m) => {
        this.onReady = undefined;
        resolve(m);
      };
      this.sock.write(frame(F.Hello, 0, JSON.stringify(msg)));
    });
  }

  private onFrame(type: F, chan: number, payload: Buffer): void {
    if (type === F.Ready) return this.onReady?.(JSON.parse(payload.toString('utf8')) as ReadyMsg);
    const ch = this.chans.get(chan);
    if (!ch) return;
    switch (type) {
      case F.Opened:
        ch.opened?.();
        ch.opened = undefined;
        break;
      case F.OpenFail:
        this.chans.delete(chan);
        ch.opened?.(JSON.parse(payload.toString('utf8')) as FailMsg);
        break;
      case F.Stdout:
        ch.proc.out(payload, false);
        break;
      case F.Stderr:
        ch.proc.out(payload, true);
        break;
      case F.Exit:
        this.chans.delete(chan);
        ch.opened?.(); // (the broker sends Opened first; never leave an opener waiting)
        ch.proc.exit(JSON.parse(payload.toString('utf8')) as ExitMsg);
        break;
    }
  }

  /** Run `command` (the raw command line, PID marker added by the broker) on the host. */
  open(command: string): Promise<ChanProcess> {
    if (this.gone) return Promise.reject({ message: 'the connection broker went away', unreachable: true } satisfies FailMsg);
    const id = this.next++;
    const proc = new ChanProcess((t, p) => {
      if (!this.gone) this.sock.write(frame(t, id, p));
    });
    return new Promise((resolve, reject) => {
      this.chans.set(id, { proc, opened: (err) => (err ? reject(err) : resolve(proc)) });
      this.sock.write(frame(F.Exec, id, command));
    });
  }

  /** Drop the broker's connection for this key (Ansible's reset_connection): the next command opens a new one. */
  reset(): void {
    if (!this.gone) this.sock.write(frame(F.Reset, 0));
  }

  close(): void {
    this.sock.end();
  }
}

/** A command running through the broker, as the exec driver sees any process. */
export class ChanProcess implements RawProcess {
  private onOut: ((b: Buffer) => void) | undefined;
  private onErr: ((b: Buffer) => void) | undefined;
  private onEnd: ((code: number | null, signal: string | null) => void) | undefined;
  private readonly outBuf: Buffer[] = [];
  private readonly errBuf: Buffer[] = [];
  result: ExitMsg | undefined;

  constructor(private readonly send: (t: F, p?: Buffer | string) => void) {}

  out(b: Buffer, err: boolean): void {
    if (this.result) return;
    const cb = err ? this.onErr : this.onOut;
    if (cb) cb(b);
    else (err ? this.errBuf : this.outBuf).push(b);
  }

  exit(m: ExitMsg): void {
    if (this.result) return;
    this.result = m;
    this.onEnd?.(m.exited ? m.code : null, m.signal);
  }

  onStdout(cb: (b: Buffer) => void): void {
    this.onOut = cb;
    for (const b of this.outBuf.splice(0)) cb(b);
  }
  onStderr(cb: (b: Buffer) => void): void {
    this.onErr = cb;
    for (const b of this.errBuf.splice(0)) cb(b);
  }
  onExit(cb: (code: number | null, signal: string | null) => void): void {
    this.onEnd = cb;
    if (this.result) cb(this.result.exited ? this.result.code : null, this.result.signal);
  }
  write(data: Buffer | string): void {
    this.send(F.Stdin, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }
  end(): void {
    this.send(F.Eof);
  }
  kill(): void {
    this.send(F.Kill);
    // the broker ends the channel within its own grace; should it not answer, do not wait for ever
    setTimeout(() => this.exit({ code: null, signal: null, exited: false }), KILL_GRACE_MS).unref();
  }
}
