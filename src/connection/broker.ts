/**
 * The connection broker: one detached process per user and build (dist/bin/broker.cjs), started by
 * the first run that needs an SSH connection, holding the SSH connections of earlier runs so that
 * a rerun within ControlPersist pays no handshake. It listens on a Unix socket in the control
 * directory (0700, checked by the client) and runs raw commands for its clients: become, stdin,
 * transfers and timeouts stay in the client. A connection expires ControlPersist after its last
 * client left; the broker exits when it holds none. It writes no logs; secrets live in memory only.
 */
import { renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import type { HelloMsg } from './broker-client.js';
import { F, frame, frameReader, pidPathOf, PROTOCOL, type ExitMsg, type FailMsg, type ReadyMsg } from './broker-proto.js';
import type { RawProcess } from './exec-driver.js';
import { IdleExpiry } from './persist.js';
import { SshConnection } from './ssh.js';
import { UnreachableError } from './types.js';

interface Entry {
  key: string;
  conn: SshConnection;
  ready: Promise<void>;
  clients: Set<Attach>;
  persistMs: number;
}

interface Attach {
  sock: Socket;
  hello?: HelloMsg;
  entry?: Entry;
  /** the entry was there before this client came (its connection may have died unseen) */
  inherited: boolean;
  /** a command of this client ran on the entry's connection */
  used: boolean;
  procs: Map<number, { proc: RawProcess; close: () => void }>;
}

/** How long a broker nobody came to stays up (a client that started it and died). */
const FIRST_CLIENT_MS = 10_000;

export function runBroker(socketPath: string): void {
  process.umask(0o077);
  const entries = new Map<string, Entry>();
  const attaches = new Set<Attach>();
  const expiry = new IdleExpiry();
  let timer: NodeJS.Timeout | undefined;
  let ino = -1;
  const pidPath = pidPathOf(socketPath);

  const exitIfEmpty = () => {
    if (entries.size > 0 || attaches.size > 0) return;
    try {
      // only our own socket: a newer broker may have taken the name
      if (statSync(socketPath).ino === ino) {
        unlinkSync(socketPath);
        unlinkSync(pidPath);
      }
    } catch {
      /* gone already */
    }
    process.exit(0);
  };

  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const ms = expiry.nextInMs();
    if (ms !== undefined) timer = setTimeout(expire, Math.min(ms, 2 ** 31 - 1));
  };
  const expire = () => {
    for (const key of expiry.due()) {
      const e = entries.get(key);
      if (e && e.clients.size === 0) drop(e);
    }
    schedule();
    exitIfEmpty();
  };

  const drop = (e: Entry) => {
    if (entries.get(e.key) === e) entries.delete(e.key);
    expiry.forget(e.key);
    void e.conn.close().catch(() => undefined);
  };

  const create = (h: HelloMsg): Entry => {
    // eslint-disable-next-line prefer-const
    let e: Entry;
    const conn = new SshConnection(h.spec, {
      ...h.opts,
      onLost: () => {
        if (entries.get(h.key) === e) entries.delete(h.key);
        expiry.forget(h.key);
        schedule();
        setImmediate(exitIfEmpty);
      },
    });
    e = { key: h.key, conn, ready: conn.connect(), clients: new Set(), persistMs: h.persistMs };
    e.ready.catch(() => {
      if (entries.get(h.key) === e) entries.delete(h.key);
    });
    entries.set(h.key, e);
    return e;
  };

  /** The live entry for the client's key, made when missing or dead. */
  const entryFor = (a: Attach): Entry => {
    const h = a.hello!;
    let e = entries.get(h.key);
    if (e && e.conn.lost) {
      drop(e);
      e = undefined;
    }
    a.inherited = !!e;
    e ??= create(h);
    e.persistMs = h.persistMs;
    a.entry?.clients.delete(a);
    a.entry = e;
    a.used = false;
    e.clients.add(a);
    expiry.busy(e.key);
    return e;
  };

  const failOf = (err: unknown): FailMsg => ({ message: (err as Error).message, unreachable: err instanceof UnreachableError });
  const send = (a: Attach, type: F, chan: number, payload?: Buffer | string) => {
    if (!a.sock.destroyed) a.sock.write(frame(type, chan, payload));
  };

  const onHello = async (a: Attach, h: HelloMsg) => {
    if (h.v !== PROTOCOL) return a.sock.destroy();
    a.hello = h;
    const e = entryFor(a);
    let ready: ReadyMsg;
    try {
      await e.ready;
      ready = { ok: true, hostKeyStatus: e.conn.hostKeyStatus };
    } catch (err) {
      e.clients.delete(a);
      a.entry = undefined;
      ready = { ok: false, fail: failOf(err) };
    }
    send(a, F.Ready, 0, JSON.stringify(ready));
  };

  const onExec = async (a: Attach, chan: number, command: string) => {
    const status = { exited: false };
    let started: { proc: RawProcess; close: () => void };
    let e = a.entry && entries.get(a.entry.key) === a.entry && !a.entry.conn.lost ? a.entry : undefined;
    try {
      if (!e) {
        // reset, or the connection died: a client that has not used it yet gets a fresh one
        if (a.entry && a.used) throw new UnreachableError(a.hello!.spec.host, a.entry.conn.lostMessage ?? 'connection lost');
        e = entryFor(a);
      }
      await e.ready;
      try {
        started = await e.conn.startProcess(command, status);
      } catch (err) {
        // an inherited connection that died unseen (host rebooted, sshd killed): reconnect once
        if (!a.inherited || a.used || !e.conn.lost) throw err;
        e = entryFor(a);
        await e.ready;
        started = await e.conn.startProcess(command, status);
      }
    } catch (err) {
      return send(a, F.OpenFail, chan, JSON.stringify(failOf(err)));
    }
    a.used = true;
    if (a.sock.destroyed) return started.close();
    const conn = e.conn;
    a.procs.set(chan, started);
    const { proc } = started;
    // Opened first: attaching the handlers below may emit buffered output and even the exit at once
    send(a, F.Opened, chan);
    proc.onStdout((b) => send(a, F.Stdout, chan, b));
    proc.onStderr((b) => send(a, F.Stderr, chan, b));
    proc.onExit((code, signal) => {
      a.procs.delete(chan);
      const m: ExitMsg = { code, signal, exited: status.exited, ...(!status.exited && conn.lost ? { lost: conn.lostMessage } : {}) };
      send(a, F.Exit, chan, JSON.stringify(m));
    });
  };

  const onFrame = (a: Attach, type: F, chan: number, payload: Buffer) => {
    switch (type) {
      case F.Hello:
        void onHello(a, JSON.parse(payload.toString('utf8')) as HelloMsg);
        break;
      case F.Exec:
        void onExec(a, chan, payload.toString('utf8'));
        break;
      case F.Stdin:
        a.procs.get(chan)?.proc.write(Buffer.from(payload));
        break;
      case F.Eof:
        a.procs.get(chan)?.proc.end();
        break;
      case F.Kill:
        a.procs.get(chan)?.proc.kill();
        break;
      case F.Reset:
        // the connection goes (for every client of it); this client's next command opens a new one
        if (a.entry) {
          drop(a.entry);
          a.entry.clients.delete(a);
          a.entry = undefined;
          a.used = false;
        }
        break;
    }
  };

  const server = createServer((sock) => {
    sock.setNoDelay(true);
    const a: Attach = { sock, inherited: false, used: false, procs: new Map() };
    attaches.add(a);
    sock.on('data', frameReader((t, c, p) => onFrame(a, t, c, p)));
    sock.on('error', () => {});
    sock.on('close', () => {
      attaches.delete(a);
      // the run went away: its channels close as its own TCP connection's would
      for (const [, p] of a.procs) p.close();
      a.procs.clear();
      const e = a.entry;
      if (e) {
        e.clients.delete(a);
        if (e.clients.size === 0) {
          if (entries.get(e.key) !== e) void e.conn.close().catch(() => undefined); // reset or lost: not kept
          else expiry.idle(e.key, e.persistMs < 0 ? Infinity : e.persistMs);
        }
      }
      schedule();
      exitIfEmpty();
    });
  });

  // listen under a temporary name, then rename over the socket name: two brokers started at once
  // never fail each other; the later one is found by new runs and the other expires with its clients
  const tmp = `${socketPath}.${process.pid}.tmp`;
  server.on('error', () => process.exit(1));
  server.listen(tmp, () => {
    try {
      ino = statSync(tmp).ino;
      writeFileSync(`${pidPath}.${process.pid}.tmp`, `${process.pid}\n`);
      renameSync(`${pidPath}.${process.pid}.tmp`, pidPath);
      renameSync(tmp, socketPath);
    } catch {
      process.exit(1);
    }
    process.stdout.write('ready\n');
    setTimeout(exitIfEmpty, FIRST_CLIENT_MS).unref();
  });
  // a closed stdout (the starting run is gone) is no reason to die
  process.stdout.on('error', () => {});
  for (const sig of ['SIGHUP', 'SIGPIPE'] as const) process.on(sig, () => {});
}
