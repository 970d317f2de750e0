/** Connection construction and the per-run pool (one connection per host, opened once). */
import { LocalConnection } from './local.js';
import { SshConnection, type SshOptions } from './ssh.js';
import type { Connection, ConnectionSpec } from './types.js';

export function createConnection(spec: ConnectionSpec, opts: SshOptions = {}): Connection {
  if (spec.connection === 'local') return new LocalConnection(spec.host);
  return new SshConnection(spec, opts);
}

function jumpKey(spec: ConnectionSpec): string {
  return `${spec.user ?? ''}@${spec.address}:${spec.port ?? 22}|${spec.proxyJump ?? ''}|${spec.privateKeyFile ?? ''}`;
}

/**
 * One connection per host for the whole run. get() opens once; concurrent callers share the same
 * promise (a failed open stays failed: the host is unreachable for this run). Jump hosts are shared
 * between all targets that go through the same one.
 */
export class ConnectionPool {
  private readonly conns = new Map<string, Promise<Connection>>();
  private readonly jumps = new Map<string, Promise<SshConnection>>();
  private readonly opened: Connection[] = [];
  private readonly openedJumps: SshConnection[] = [];

  constructor(private readonly opts: SshOptions = {}) {}

  /** The connection for `key` (the host name, or the host and the play keywords its spec came from). */
  get(key: string, spec: ConnectionSpec): Promise<Connection> {
    let p = this.conns.get(key);
    if (!p) {
      const conn = createConnection(spec, { ...this.opts, jumpProvider: (s) => this.jump(s) });
      this.opened.push(conn);
      p = conn.connect().then(() => conn);
      p.catch(() => undefined); // the caller sees the rejection; no unhandled rejection here
      this.conns.set(key, p);
    }
    return p;
  }

  /**
   * Open a connection ahead of its first use (the next play's hosts while this play runs), outside
   * the pool until adopt() takes it: a warm connection whose spec no longer matches at first use is
   * closed instead, and a failed one is forgotten (the first use opens anew). Closed by closeAll()
   * and interrupted by interruptAll() like the others.
   */
  warm(spec: ConnectionSpec): { conn: Connection; ready: Promise<Connection> } {
    const conn = createConnection(spec, { ...this.opts, jumpProvider: (s) => this.jump(s) });
    this.opened.push(conn);
    const ready = conn.connect().then(() => conn);
    ready.catch(() => undefined);
    return { conn, ready };
  }

  /** Make a warm connection the pool's connection for `key` (unless the key already has one). */
  adopt(key: string, ready: Promise<Connection>): void {
    if (!this.conns.has(key)) this.conns.set(key, ready);
  }

  /** Close a warm connection that will not be used. */
  async discard(conn: Connection): Promise<void> {
    const i = this.opened.indexOf(conn);
    if (i >= 0) this.opened.splice(i, 1);
    await conn.close().catch(() => undefined);
  }

  private jump(spec: ConnectionSpec): Promise<SshConnection> {
    const key = jumpKey(spec);
    let p = this.jumps.get(key);
    if (!p) {
      // a jump host's connection carries other connections' channels: never the broker's
      const conn = new SshConnection(spec, { ...this.opts, broker: undefined, jumpProvider: (s) => this.jump(s) });
      this.openedJumps.push(conn);
      p = conn.connect().then(() => conn);
      p.catch(() => undefined);
      this.jumps.set(key, p);
    }
    return p;
  }

  /** Interrupt every connection opened so far (see Connection.interrupt), jump hosts included. */
  async interruptAll(reason: string): Promise<void> {
    const all: Connection[] = [...this.opened, ...this.openedJumps];
    await Promise.all(all.map((c) => c.interrupt?.(reason).catch(() => undefined)));
  }

  /** Close every connection (targets first, then the jump hosts they went through). */
  async closeAll(): Promise<void> {
    const targets = this.opened.splice(0);
    await Promise.all(targets.map((c) => c.close().catch(() => undefined)));
    // jump hosts of jump hosts were opened later: close in reverse order of opening
    const jumps = this.openedJumps.splice(0).reverse();
    for (const j of jumps) await j.close().catch(() => undefined);
    this.conns.clear();
    this.jumps.clear();
  }
}
