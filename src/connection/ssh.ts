/**
 * The SSH transport: one ssh2 Client (one TCP connection) per host, opened once, reused for every
 * exec/put/get, closed by close(). Exec logic (become, stdin, streaming, timeouts) is the shared
 * driveProcess; this file only adapts an ssh2 channel to RawProcess.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Duplex } from 'node:stream';
import type { AnyAuthMethod, AuthenticationType, ClientChannel, ConnectConfig, ParsedKey, SFTPWrapper } from 'ssh2';
import { driveProcess, type RawProcess } from './exec-driver.js';
import { checkHostKey, defaultKnownHostsFiles, knownHostName, knownKeyTypes } from './known-hosts.js';
import type { BrokerBuild, BrokerLink, ChanProcess } from './broker-client.js';
import type { FailMsg } from './broker-proto.js';
import { defaultIdentityFiles, jumpHostSpec } from './spec.js';
import type { BecomeOptions, Connection, ConnectionSpec, ExecOptions, ExecResult, PutOptions } from './types.js';
import { UnreachableError } from './types.js';
import { shQuote } from '../shell/quote.js';

type Ssh2 = typeof import('ssh2');
type SshClient = import('ssh2').Client;
let ssh2Loaded: Promise<Ssh2> | undefined;
/** ssh2 is loaded on the first SSH connection: commands and runs that never open one start faster. */
const ssh2 = (): Promise<Ssh2> => (ssh2Loaded ??= import('ssh2').then((m) => (m as unknown as { default: Ssh2 }).default ?? m));

export interface SshOptions {
  /** Channels (execs/transfers) open at once on one connection. Default 8 (OpenSSH MaxSessions is 10). */
  maxChannels?: number;
  /** How often a channel-open refusal is retried (with backoff) before the exec fails. Default 6. */
  channelRetries?: number;
  /** SSH keepalive interval. Default 15 000 ms; 0 disables. */
  keepaliveIntervalMs?: number;
  /** Unanswered keepalives before the connection is declared lost. Default 4. */
  keepaliveCountMax?: number;
  /** ssh-agent socket. Default process.env.SSH_AUTH_SOCK; null disables the agent. */
  agentSocket?: string | null;
  /** Keys tried when the spec names none. Default ~/.ssh/id_ed25519, id_ecdsa, id_rsa (when present and usable). */
  defaultIdentityFiles?: string[];
  /** Files read for host keys. Default ~/.ssh/known_hosts, /etc/ssh/ssh_known_hosts, then spec.knownHostsFile. */
  knownHostsFiles?: string[];
  /** ~/.ssh/config used to resolve jump hosts. */
  sshConfigFile?: string;
  /** put/get over `cat` on an exec channel (default) or over SFTP (never used with become). */
  transfer?: 'exec' | 'sftp';
  /** Supplies (and may share) the connection to a jump host. Default: a private one, closed with this one. */
  jumpProvider?: (spec: ConnectionSpec) => Promise<SshConnection>;
  /**
   * The connection broker of this build (the CLI's): with it, a spec whose ControlPersist is on
   * reuses the broker's connection across runs (src/connection/broker.ts). Unset: direct only.
   */
  broker?: BrokerBuild;
  /** Called once when the connection is lost (the broker drops it). */
  onLost?: () => void;
}

const HOST_KEY_ALGOS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/** Counting semaphore with a limit that can be lowered at run time, and a "fail everyone" switch. */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<{ resolve: (release: () => void) => void; reject: (e: Error) => void }> = [];
  private failure: Error | undefined;
  constructor(public limit: number) {}

  get inUse(): number {
    return this.active;
  }

  acquire(): Promise<() => void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.active--;
      this.pump();
    };
  }

  private pump(): void {
    while (this.active < this.limit && this.waiters.length > 0) {
      this.active++;
      this.waiters.shift()!.resolve(this.releaser());
    }
  }

  /** Lower the limit (never below 1). */
  shrink(to: number): void {
    this.limit = Math.max(1, Math.min(this.limit, to));
  }

  /** Reject every waiter and every later acquire(). */
  fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiters.splice(0)) w.reject(this.failure);
  }
}

const KILL_GRACE_MS = 3000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isChannelOpenFailure(e: unknown): boolean {
  return e instanceof Error && /Channel open failure/i.test(e.message);
}

/** Adapt an ssh2 exec channel to the RawProcess the shared exec driver expects. */
export function channelProcess(
  ch: ClientChannel,
  status: { exited: boolean } = { exited: false },
  pid?: { marker: string; kill: (pid: number) => void },
): RawProcess {
  let onOut: ((b: Buffer) => void) | undefined;
  let onErr: ((b: Buffer) => void) | undefined;
  let onExit: ((code: number | null, signal: string | null) => void) | undefined;
  const outBuf: Buffer[] = [];
  const errBuf: Buffer[] = [];
  let code: number | null = null;
  let signal: string | null = null;
  let finished = false;
  let closed = false;

  ch.on('data', (d: Buffer) => (onOut ? onOut(d) : outBuf.push(d)));
  let remotePid: number | undefined;
  let head: Buffer | undefined = pid ? Buffer.alloc(0) : undefined; // stderr until the PID line is seen
  const emitErr = (d: Buffer) => (onErr ? onErr(d) : errBuf.push(d));
  ch.stderr.on('data', (d: Buffer) => {
    if (head === undefined) return emitErr(d);
    head = Buffer.concat([head, d]);
    const nl = head.indexOf(0x0a);
    if (nl < 0 && head.length < 200) return;
    const first = head.subarray(0, nl < 0 ? head.length : nl).toString('latin1');
    let rest = head;
    if (first.startsWith(pid!.marker)) {
      remotePid = Number(first.slice(pid!.marker.length)) || undefined;
      rest = head.subarray(nl + 1);
    }
    head = undefined;
    if (rest.length) emitErr(rest);
  });
  ch.on('error', () => {}); // surfaced as a missing exit status
  ch.stderr.on('error', () => {});
  ch.on('exit', (c: number | null | undefined, sig?: string) => {
    status.exited = true;
    if (typeof c === 'number') code = c;
    else signal = sig ? (sig.startsWith('SIG') ? sig : `SIG${sig}`) : null;
  });
  const flushHead = () => {
    if (head?.length) emitErr(head);
    head = undefined;
  };
  const finish = () => {
    if (finished || !closed || !ch.stderr.readableEnded) return;
    flushHead();
    finished = true;
    onExit?.(status.exited ? code : null, signal);
  };
  ch.on('close', () => {
    closed = true;
    finish();
  });
  ch.stderr.on('end', finish);
  ch.stderr.on('close', () => {
    if (closed && !finished) {
      flushHead();
      finished = true;
      onExit?.(status.exited ? code : null, signal);
    }
  });

  return {
    onStdout(cb) {
      onOut = cb;
      for (const b of outBuf.splice(0)) cb(b);
    },
    onStderr(cb) {
      onErr = cb;
      for (const b of errBuf.splice(0)) cb(b);
    },
    onExit(cb) {
      onExit = cb;
      if (finished) cb(status.exited ? code : null, signal);
    },
    write(data) {
      if (ch.writable) ch.write(data);
    },
    end() {
      if (ch.writable) ch.end();
    },
    kill() {
      // Without a pty the session's shell leads its own process group: kill the whole group from
      // a second channel (OpenSSH refuses signal requests for root sessions).
      if (remotePid !== undefined && pid) pid.kill(remotePid);
      // ssh2's ch.signal() is a no-op once stdin is at EOF (not writable): send the request directly.
      const c = ch as unknown as {
        outgoing: { id: number; state: string };
        _client?: { _protocol?: { signal(id: number, name: string): void } };
      };
      try {
        if (c.outgoing.state === 'open' || c.outgoing.state === 'eof') c._client?._protocol?.signal(c.outgoing.id, 'KILL');
      } catch {
        /* channel already gone */
      }
      try {
        if (ch.writable) ch.end(); // a process blocked reading stdin (sudo's prompt) sees EOF
        ch.close();
      } catch {
        /* already closed */
      }
      // OpenSSH keeps the channel until the process exits: do not wait for ever.
      setTimeout(() => {
        if (finished) return;
        finished = true;
        onExit?.(null, signal);
      }, KILL_GRACE_MS).unref();
    },
  };
}

interface AuthPlan {
  methods: AnyAuthMethod[];
  labels: string[];
}

export class SshConnection implements Connection {
  readonly transport = 'ssh';
  readonly host: string;
  private client: SshClient | undefined;
  private connecting: Promise<void> | undefined;
  private slots: Semaphore;
  private lostReason: string | undefined;
  private closedByUs = false;
  private socketClosed = false;
  private hostKeyFailure: string | undefined;
  private ownedJump: SshConnection | undefined;
  private jumpName: string | undefined;
  private readonly secrets: string[];
  /** set when the connection is the broker's (reused across runs) */
  private link: BrokerLink | undefined;
  private linkLost: string | undefined;
  /** 'known' | 'added' | 'unchecked' once connected (for the caller's warning with hostKeyChecking off). */
  hostKeyStatus: string | undefined;

  constructor(
    readonly spec: ConnectionSpec,
    private readonly opts: SshOptions = {},
  ) {
    this.host = spec.host;
    this.slots = new Semaphore(Math.max(1, opts.maxChannels ?? 8));
    this.secrets = [spec.password, spec.passphrase, spec.becomePassword].filter((s): s is string => !!s && s.length >= 3);
  }

  private get port(): number {
    return this.spec.port ?? 22;
  }

  private get endpoint(): string {
    return `${this.spec.address}:${this.port}`;
  }

  private get user(): string {
    return this.spec.user ?? process.env.USER ?? 'root';
  }

  /** Remove any secret from text that may reach a log or an error message. */
  private redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('********');
    return out;
  }

  private unreachable(reason: string): UnreachableError {
    return new UnreachableError(this.host, this.redact(reason));
  }

  connect(): Promise<void> {
    this.connecting ??= this.viaBroker().then((brokered) => (brokered ? undefined : this.open()));
    return this.connecting;
  }

  /** True when the connection is lost (the broker then drops it). */
  get lost(): boolean {
    return this.lostReason !== undefined || this.socketClosed;
  }

  /** Why the connection was lost, as the unreachable message says it. */
  get lostMessage(): string | undefined {
    return this.lostReason === undefined ? undefined : this.redact(this.lostReason);
  }

  /**
   * Attach to the broker's connection for these settings (opened there when it has none).
   * false: connect directly (persistence off, SFTP transfers, no usable broker).
   */
  private async viaBroker(): Promise<boolean> {
    const persist = this.spec.controlPersistS ?? 0;
    if (!this.opts.broker || persist <= 0 || this.opts.transfer === 'sftp') return false;
    const { brokerHello } = await import('./broker-hello.js');
    const { attachBroker } = await import('./broker-client.js');
    const hello = brokerHello(this.spec, this.opts, this.opts.broker, persist);
    if (!hello) return false;
    const got = await attachBroker(this.spec.controlPathDir ?? '', this.opts.broker, hello).catch(() => undefined);
    if (!got) return false;
    if (!got.ready.ok) {
      got.link.close();
      const f = got.ready.fail!;
      if (f.unreachable) throw new UnreachableError(this.host, f.message);
      throw new Error(f.message);
    }
    this.link = got.link;
    this.hostKeyStatus = got.ready.hostKeyStatus;
    return true;
  }

  private async open(): Promise<void> {
    const auth = await this.authPlan();
    let sock: Duplex | undefined;
    const jumpSpec = jumpHostSpec(this.spec, this.opts.sshConfigFile);
    if (jumpSpec) {
      this.jumpName = jumpSpec.host;
      let jump: SshConnection;
      try {
        if (this.opts.jumpProvider) {
          jump = await this.opts.jumpProvider(jumpSpec);
        } else {
          jump = new SshConnection(jumpSpec, { ...this.opts, jumpProvider: undefined, broker: undefined, onLost: undefined });
          this.ownedJump = jump;
          await jump.connect();
        }
      } catch (e) {
        throw this.unreachable(`jump host ${jumpSpec.host}: ${(e as Error).message}`);
      }
      try {
        sock = await jump.forwardOut(this.spec.address, this.port);
      } catch (e) {
        throw this.unreachable(`cannot reach ${this.endpoint} through jump host ${jumpSpec.host}: ${(e as Error).message}`);
      }
    }

    const { files, writeFile } = this.knownHosts();
    const known = this.spec.hostKeyChecking === 'off' ? [] : await knownKeyTypes(files, knownHostName(this.spec.address, this.port));
    const preferred = HOST_KEY_ALGOS.filter((a) => known.includes(a === 'rsa-sha2-512' || a === 'rsa-sha2-256' ? 'ssh-rsa' : a));
    const serverHostKey = [...preferred, ...HOST_KEY_ALGOS.filter((a) => !preferred.includes(a))];

    let tried = 0;
    const { Client } = await ssh2();
    const client = new Client();
    this.client = client;
    const cfg: ConnectConfig = {
      host: this.spec.address,
      port: this.port,
      username: this.user,
      sock,
      readyTimeout: this.spec.connectTimeoutMs,
      keepaliveInterval: this.spec.serverAliveIntervalMs ?? this.opts.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: this.spec.serverAliveCountMax ?? this.opts.keepaliveCountMax ?? 4,
      algorithms: { serverHostKey: serverHostKey as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] },
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        checkHostKey({ mode: this.spec.hostKeyChecking, files, writeFile }, this.spec.address, this.port, key).then(
          (v) => {
            if (v.ok) this.hostKeyStatus = v.status;
            else this.hostKeyFailure = v.reason;
            verify(v.ok);
          },
          (e: Error) => {
            this.hostKeyFailure = `cannot check the host key of ${this.endpoint}: ${e.message}`;
            verify(false);
          },
        );
      },
      authHandler: (methodsLeft: AuthenticationType[] | null, _partial: boolean | null, next) => {
        while (tried < auth.methods.length) {
          const m = auth.methods[tried++];
          const allowed = !methodsLeft || methodsLeft.includes(m.type) || (m.type === 'agent' && methodsLeft.includes('publickey'));
          if (allowed) return next(m);
        }
        return next(false as unknown as AnyAuthMethod);
      },
    };

    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (reason: string) => {
        if (settled) return;
        settled = true;
        reject(this.unreachable(reason));
        try {
          client.end();
        } catch {
          /* ignore */
        }
      };
      client.once('ready', () => {
        settled = true;
        resolve();
      });
      client.on('error', (err: Error & { level?: string; code?: string }) => {
        const reason = this.describeError(err, auth);
        if (!settled) fail(reason);
        else if (this.client === client) this.lostReason ??= `connection to ${this.endpoint} lost: ${reason}`;
      });
      client.on('close', () => {
        if (this.client !== client) {
          // a client reset() dropped: its end is not this connection's
          if (!settled) fail(`connection to ${this.endpoint} was reset`);
          return;
        }
        this.socketClosed = true;
        if (!settled) fail(this.hostKeyFailure ?? `connection to ${this.endpoint} closed before the SSH session was ready`);
        this.onLost();
      });
      try {
        client.connect(cfg);
        // Nagle's algorithm holds each small SSH packet (channel open, exec request, EOF) until
        // the previous one is ACKed, and the peer delays that ACK ~40 ms: with it on, one exec
        // costs ~90 ms instead of a few. Set before the TCP connect (Node applies it then).
        client.setNoDelay(true);
      } catch (e) {
        fail(`cannot start the SSH connection to ${this.endpoint}: ${(e as Error).message}`);
      }
    });
  }

  /**
   * Drop the SSH connection so that the next command opens a fresh one with the same settings
   * (Ansible's connection reset(): reboot and wait_for_connection use it once the host went away).
   * Commands still running on the old connection end without an exit status.
   */
  async reset(): Promise<void> {
    if (this.closedByUs) throw new Error(`connection to ${this.host} is closed`);
    if (this.interruptedBy) return;
    if (this.link) {
      this.link.reset();
      this.linkLost = undefined;
      return;
    }
    const old = this.client;
    const oldSlots = this.slots;
    this.client = undefined;
    this.connecting = undefined;
    this.lostReason = undefined;
    this.socketClosed = false;
    this.hostKeyFailure = undefined;
    this.slots = new Semaphore(Math.max(1, this.opts.maxChannels ?? 8));
    oldSlots.fail(this.unreachable(`connection to ${this.endpoint} was reset`));
    try {
      old?.destroy();
    } catch {
      /* already gone */
    }
  }

  private onLost(): void {
    if (this.closedByUs) {
      this.slots.fail(new Error(`connection to ${this.host} is closed`));
      return;
    }
    this.lostReason ??= `connection to ${this.endpoint}${this.jumpName ? ` (via ${this.jumpName})` : ''} lost`;
    this.slots.fail(this.unreachable(this.lostReason));
    this.opts.onLost?.();
  }

  private knownHosts(): { files: string[]; writeFile: string } {
    const d = defaultKnownHostsFiles(this.spec.knownHostsFile);
    if (this.opts.knownHostsFiles) {
      const files = [...this.opts.knownHostsFiles];
      if (this.spec.knownHostsFile && !files.includes(this.spec.knownHostsFile)) files.push(this.spec.knownHostsFile);
      return { files, writeFile: this.spec.knownHostsFile ?? files[0] ?? d.writeFile };
    }
    return d;
  }

  private describeError(err: Error & { level?: string; code?: string }, auth: AuthPlan): string {
    if (this.hostKeyFailure) return this.hostKeyFailure;
    const s = Math.round(this.spec.connectTimeoutMs / 100) / 10;
    switch (err.code) {
      case 'ECONNREFUSED':
        return `connection refused by ${this.endpoint}`;
      case 'ETIMEDOUT':
        return `connection to ${this.endpoint} timed out after ${s} s`;
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return `cannot resolve host name ${this.spec.address}`;
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
        return `no route to ${this.endpoint}`;
      case 'ECONNRESET':
        return `connection reset by ${this.endpoint}`;
    }
    if (err.level === 'client-authentication') {
      return `authentication failed for user ${this.user} at ${this.endpoint} (tried: ${auth.labels.join(', ') || 'nothing'})`;
    }
    if (err.level === 'client-timeout') {
      return /keepalive/i.test(err.message)
        ? `no answer from ${this.endpoint} to keepalives`
        : `connection to ${this.endpoint} timed out after ${s} s`;
    }
    if (/Connection lost before handshake/i.test(err.message)) {
      return `${this.endpoint} closed the connection before the SSH handshake (not an SSH server, or it refused us)`;
    }
    if (/Host denied/i.test(err.message)) return `host key of ${this.endpoint} was refused`;
    return `SSH connection to ${this.endpoint} failed: ${err.message}`;
  }

  /** Private key(s) → ssh-agent → password (+ keyboard-interactive answering the password). */
  private async authPlan(): Promise<AuthPlan> {
    const { utils } = await ssh2();
    const username = this.user;
    const methods: AnyAuthMethod[] = [];
    const labels: string[] = [];
    const spec = this.spec;
    if (spec.privateKeyFile) {
      let data: Buffer;
      try {
        data = await readFile(spec.privateKeyFile);
      } catch (e) {
        throw this.unreachable(`cannot read private key file ${spec.privateKeyFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      const key = utils.parseKey(data, spec.passphrase);
      if (key instanceof Error) {
        if (!spec.passphrase && /encrypt|passphrase/i.test(key.message)) {
          throw this.unreachable(`private key file ${spec.privateKeyFile} is encrypted and no passphrase was given (ansible_ssh_pass_phrase)`);
        }
        throw this.unreachable(
          spec.passphrase
            ? `cannot decrypt private key file ${spec.privateKeyFile} (wrong passphrase?)`
            : `cannot parse private key file ${spec.privateKeyFile}: ${key.message}`,
        );
      }
      methods.push({ type: 'publickey', username, key: pickKey(key) });
      labels.push(`publickey ${spec.privateKeyFile}`);
    } else {
      const defaults = this.opts.defaultIdentityFiles ?? defaultIdentityFiles();
      for (const f of defaults) {
        let data: Buffer;
        try {
          data = await readFile(f);
        } catch {
          continue;
        }
        const key = utils.parseKey(data, spec.passphrase);
        if (key instanceof Error) continue; // encrypted default key: maybe in the agent
        methods.push({ type: 'publickey', username, key: pickKey(key) });
        labels.push(`publickey ${f}`);
      }
    }
    const agent = this.opts.agentSocket === undefined ? process.env.SSH_AUTH_SOCK : this.opts.agentSocket;
    if (agent) {
      methods.push({ type: 'agent', username, agent });
      labels.push('ssh-agent');
    }
    if (spec.password !== undefined) {
      const password = spec.password;
      methods.push({ type: 'password', username, password });
      let answered = false;
      methods.push({
        type: 'keyboard-interactive',
        username,
        prompt: (_name, _instructions, _lang, prompts, finish) => {
          const hidden = prompts.filter((p) => !p.echo);
          if (answered || prompts.length !== 1 || hidden.length !== 1) return finish([]);
          answered = true;
          finish([password]);
        },
      });
      labels.push('password');
    }
    if (methods.length === 0) {
      throw this.unreachable(
        `no way to authenticate as ${username} at ${this.endpoint}: no private key (ansible_ssh_private_key_file), no ssh-agent (SSH_AUTH_SOCK), no password (ansible_password)`,
      );
    }
    return { methods, labels };
  }

  private alive(): SshClient {
    if (this.closedByUs) throw new Error(`connection to ${this.host} is closed`);
    if (this.lostReason !== undefined) throw this.unreachable(this.lostReason);
    return this.client!;
  }

  /** Open a session channel running `command`, within the channel limit, retrying refusals. */
  /**
   * Open an exec channel. `attach` runs synchronously inside ssh2's callback: a quick command's
   * `exit` (and even `close`) can be emitted from the same incoming chunk, before any awaiting
   * code would resume and listen.
   */
  private async openExec<T>(command: string, attach: (ch: ClientChannel) => T): Promise<T> {
    const retries = this.opts.channelRetries ?? 6;
    for (let attempt = 0; ; attempt++) {
      this.alive();
      const release = await this.slots.acquire();
      try {
        const client = this.alive();
        return await new Promise<T>((resolve, reject) => {
          try {
            client.exec(command, (err, stream) => {
              if (err) return reject(err);
              stream.once('close', release); // the channel's slot frees when it closes
              resolve(attach(stream));
            });
          } catch (e) {
            reject(e);
          }
        });
      } catch (e) {
        const others = this.slots.inUse - 1;
        release();
        if (this.lostReason !== undefined || this.closedByUs) this.alive();
        if (!isChannelOpenFailure(e) || attempt >= retries) {
          throw new Error(`cannot open an SSH channel to ${this.host}: ${(e as Error).message}`);
        }
        // The server refused one more session: it allows no more than the ones we have open.
        if (others >= 1) this.slots.shrink(others);
        await sleep(Math.min(2000, 50 * 2 ** attempt));
      }
    }
  }

  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    if (this.interruptedBy) throw new Error(this.interruptedBy);
    await this.connect();
    const status = { exited: false };
    let proc: RawProcess | undefined;
    let ended!: () => void;
    const end = new Promise<void>((r) => (ended = r));
    const link = this.link;
    try {
      const result = await driveProcess(
        async (cmd) => {
          proc = link ? await this.openBrokered(link, cmd) : (await this.startProcess(cmd, status)).proc;
          if (this.interruptedBy) proc.kill(); // the interrupt came while the channel opened
          this.running.set(proc, end);
          return proc;
        },
        command,
        opts,
      );
      if (link) {
        const r = (proc as ChanProcess).result;
        if (r && !r.exited && r.lost !== undefined && !this.closedByUs) {
          this.linkLost ??= r.lost;
          throw new UnreachableError(this.host, r.lost);
        }
        return result;
      }
      if (!status.exited && this.lostReason !== undefined && !this.closedByUs) throw this.unreachable(this.lostReason);
      return result;
    } finally {
      if (proc) this.running.delete(proc);
      ended();
    }
  }

  /**
   * Start `command` on an exec channel of this connection, its remote PID reported first on
   * stderr so that a kill reaches its process group (the broker runs its clients' commands so).
   */
  async startProcess(command: string, status: { exited: boolean } = { exited: false }): Promise<{ proc: RawProcess; close: () => void }> {
    await this.connect();
    const marker = `WW-PID-${randomBytes(6).toString('hex')}:`;
    let channel: ClientChannel | undefined;
    const proc = await this.openExec(`printf '%s%s\\n' ${marker} "$$" >&2; ${command}`, (ch) => {
      channel = ch;
      return channelProcess(ch, status, { marker, kill: (p) => void this.killRemote(p) });
    });
    return {
      proc,
      close: () => {
        try {
          channel?.close();
        } catch {
          /* already closed */
        }
      },
    };
  }

  /** A command through the broker; its refusals raise what a direct connection raises. */
  private async openBrokered(link: BrokerLink, command: string): Promise<RawProcess> {
    if (this.linkLost !== undefined) throw new UnreachableError(this.host, this.linkLost);
    try {
      return await link.open(command);
    } catch (e) {
      const f = e as FailMsg;
      if (f.unreachable) {
        this.linkLost ??= f.message;
        throw new UnreachableError(this.host, f.message);
      }
      throw new Error(f.message);
    }
  }

  /** Commands running now (their channels), so that interrupt() can stop them. */
  private readonly running = new Map<RawProcess, Promise<void>>();
  private interruptedBy: string | undefined;

  /**
   * Stop: refuse new commands, kill the process group of every running one (so remote locks are
   * released by the kernel), and wait until their channels have ended (bounded by the kill grace).
   */
  async interrupt(reason: string): Promise<void> {
    this.interruptedBy ??= reason;
    this.slots.fail(new Error(reason));
    const ends = [...this.running];
    for (const [p] of ends) p.kill();
    await Promise.all(ends.map(([, end]) => end));
  }

  /**
   * Best effort: SIGKILL the process group of a timed-out command (outside the channel limit).
   * Only the group: sshd makes each session's shell a session (and group) leader, so the group
   * exists while anything of the command still runs; once it is gone, the PID may already be
   * another process's, and a kill by PID alone would hit that unrelated process.
   * Resolves when the kill command has ended (callers need not wait).
   */
  killRemote(pid: number): Promise<void> {
    const client = this.client;
    if (!client || this.lostReason !== undefined || this.closedByUs || !Number.isInteger(pid) || pid <= 1) return Promise.resolve();
    return new Promise<void>((resolve) => {
      try {
        client.exec(`kill -KILL -- -${pid} 2>/dev/null; true`, (err, ch) => {
          if (err) return resolve();
          ch.on('error', () => {});
          ch.on('close', () => resolve());
          ch.resume();
          ch.stderr.resume();
        });
      } catch {
        resolve(); // connection going away
      }
    });
  }

  /** A direct-tcpip channel from this host to `address:port` (used to hop to targets behind it). */
  async forwardOut(address: string, port: number): Promise<ClientChannel> {
    await this.connect();
    const client = this.alive();
    return new Promise<ClientChannel>((resolve, reject) => {
      client.forwardOut('127.0.0.1', 0, address, port, (err, stream) => {
        if (err) reject(new Error(/Channel open failure/i.test(err.message) ? `the jump host could not connect (${err.message.replace(/^\(SSH\) Channel open failure: /, '')})` : err.message));
        else resolve(stream);
      });
    });
  }

  async put(content: string | Buffer, remotePath: string, opts: PutOptions = {}): Promise<void> {
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    if (this.opts.transfer === 'sftp' && !opts.become) return this.putSftp(data, remotePath, opts.mode);
    const dir = posix.dirname(remotePath);
    const tmp = posix.join(dir, `.${posix.basename(remotePath)}.ww-tmp-${randomBytes(4).toString('hex')}`);
    const q = shQuote;
    const create =
      opts.mode !== undefined
        ? `(umask 077 && cat > ${q(tmp)}) && chmod ${(opts.mode & 0o7777).toString(8)} ${q(tmp)}`
        : `cat > ${q(tmp)}`;
    // The size check before the rename: if the stream ends early (the connection dropped mid-transfer),
    // `cat` still exits 0; a short file must never replace the real one.
    const sizeCheck = `n=$(wc -c < ${q(tmp)}) && { [ $n -eq ${data.length} ] || { echo "short transfer: $n of ${data.length} bytes arrived" >&2; false; }; }`;
    const cmd = `mkdir -p -- ${q(dir)} && ${create} && ${sizeCheck} && mv -f -- ${q(tmp)} ${q(remotePath)} || { rc=$?; rm -f -- ${q(tmp)}; exit $rc; }`;
    const r = await this.exec(cmd, { stdin: data, become: opts.become });
    if (r.code !== 0) throw new Error(`writing ${remotePath} on ${this.host} failed: ${this.redact(r.stderr.trim()) || `exit ${r.code}`}`);
  }

  async get(remotePath: string, opts: { become?: BecomeOptions } = {}): Promise<Buffer> {
    if (this.opts.transfer === 'sftp' && !opts.become) return this.getSftp(remotePath);
    const chunks: Buffer[] = [];
    const r = await this.exec(`cat -- ${shQuote(remotePath)}`, { become: opts.become, onStdout: (c) => chunks.push(c) });
    if (r.code !== 0) throw new Error(`reading ${remotePath} on ${this.host} failed: ${this.redact(r.stderr.trim()) || `exit ${r.code}`}`);
    return Buffer.concat(chunks);
  }

  /** Run `fn` with an SFTP session (one channel, inside the channel limit). */
  private async withSftp<T>(fn: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
    await this.connect();
    const retries = this.opts.channelRetries ?? 6;
    for (let attempt = 0; ; attempt++) {
      const release = await this.slots.acquire();
      let sftp: SFTPWrapper;
      try {
        const client = this.alive();
        sftp = await new Promise<SFTPWrapper>((resolve, reject) => client.sftp((err, s) => (err ? reject(err) : resolve(s))));
      } catch (e) {
        release();
        if (!isChannelOpenFailure(e) || attempt >= retries) throw e;
        await sleep(Math.min(2000, 50 * 2 ** attempt));
        continue;
      }
      try {
        return await fn(sftp);
      } finally {
        sftp.end();
        release();
      }
    }
  }

  private putSftp(data: Buffer, remotePath: string, mode?: number): Promise<void> {
    const tmp = posix.join(posix.dirname(remotePath), `.${posix.basename(remotePath)}.ww-tmp-${randomBytes(4).toString('hex')}`);
    return this.withSftp(async (sftp) => {
      const call = (f: (cb: (err?: Error | null) => void) => void) =>
        new Promise<void>((resolve, reject) => f((err) => (err ? reject(err) : resolve())));
      try {
        await call((cb) => sftp.writeFile(tmp, data, { mode: mode ?? 0o644 }, cb));
        if (mode !== undefined) await call((cb) => sftp.chmod(tmp, mode & 0o7777, cb));
        await call((cb) => sftp.ext_openssh_rename(tmp, remotePath, cb));
      } catch (e) {
        await call((cb) => sftp.unlink(tmp, cb)).catch(() => undefined);
        throw new Error(`writing ${remotePath} on ${this.host} failed: ${(e as Error).message}`);
      }
    });
  }

  private getSftp(remotePath: string): Promise<Buffer> {
    return this.withSftp(
      (sftp) =>
        new Promise<Buffer>((resolve, reject) =>
          sftp.readFile(remotePath, (err, buf) =>
            err ? reject(new Error(`reading ${remotePath} on ${this.host} failed: ${err.message}`)) : resolve(buf),
          ),
        ),
    );
  }

  async close(): Promise<void> {
    this.closedByUs = true;
    if (this.connecting) await this.connecting.catch(() => undefined);
    if (this.link) {
      this.link.close();
      return;
    }
    const client = this.client;
    if (client && !this.socketClosed) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000);
        client.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        client.end();
      });
    }
    this.slots.fail(new Error(`connection to ${this.host} is closed`));
    if (this.ownedJump) await this.ownedJump.close();
  }
}

function pickKey(k: ParsedKey | ParsedKey[]): ParsedKey {
  return Array.isArray(k) ? k[0] : k;
}
