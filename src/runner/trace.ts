/**
 * What -vv, -vvv and -vvvv add, as `verbose` events: module arguments (level 2), the connection and
 * each remote command (level 3), raw stdout/stderr of remote commands (level 4). Secrets stay out:
 * no_log tasks show nothing of their arguments, commands or output, argument names that hold
 * secrets are masked, passwords are never part of a spec line (become passwords go on stdin).
 */
import type { Connection, ConnectionSpec } from '../connection/types.js';
import type { EventSink } from './events.js';

export const MASK = '********';
const SECRET_KEY = /pass(word|wd|phrase)?$|^pass|secret|token|private_key_content|api_key/i;

/** Module arguments with values under secret-looking names masked (nested too). */
export function maskArgs(v: unknown, key = ''): unknown {
  if (key && SECRET_KEY.test(key) && v !== undefined && v !== null && v !== '') return MASK;
  if (Array.isArray(v)) return v.map((x) => maskArgs(x));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskArgs(x, k)]));
  return v;
}

/** A module's arguments for -vv: options the module declares no_log, and secret-looking names, masked. */
export function maskModuleArgs(args: Record<string, unknown>, spec: Record<string, { no_log?: boolean; aliases?: readonly string[] }>): unknown {
  const secret = new Set(Object.entries(spec).flatMap(([k, a]) => (a.no_log ? [k, ...(a.aliases ?? [])] : [])));
  return Object.fromEntries(Object.entries(args).map(([k, v]) => [k, secret.has(k) && v !== undefined && v !== null && v !== '' ? MASK : maskArgs(v, k)]));
}

/** -vvv: how a host is reached (no password, no passphrase). */
export function describeConnection(spec: ConnectionSpec): string {
  if (spec.connection === 'local') return 'ESTABLISH LOCAL CONNECTION';
  const parts = [`host=${spec.address}`, `port=${spec.port ?? 22}`, `user=${spec.user ?? '(ssh default)'}`];
  parts.push(`key=${spec.privateKeyFile ?? '(agent/default keys)'}`);
  if (spec.proxyJump) parts.push(`jump=${spec.proxyJump}`);
  parts.push(`host_key_checking=${spec.hostKeyChecking}`);
  if (spec.password) parts.push(`password=${MASK}`);
  return `ESTABLISH SSH CONNECTION ${parts.join(' ')}`;
}

function tail(s: string, max = 64 * 1024): string {
  return s.length > max ? `[... ${s.length - max} bytes before]\n${s.slice(-max)}` : s;
}

/**
 * A connection that reports what runs on it (level 3) and what comes back (level 4) for one task on
 * one host; `hidden` (no_log) reports only that something ran.
 */
export function tracedConnection(conn: Connection, o: { host: string; verbosity: number; hidden: boolean; sink: EventSink }): Connection {
  if (o.verbosity < 3) return conn;
  const log = (level: number, msg: string) => o.sink({ type: 'verbose', host: o.host, level, msg });
  const on = conn.host !== o.host ? ` (on ${conn.host})` : '';
  return {
    host: conn.host,
    transport: conn.transport,
    connect: () => conn.connect(),
    close: () => conn.close(),
    reset: () => conn.reset?.() ?? Promise.resolve(),
    async exec(command, opts) {
      const become = opts?.become ? ` [become ${opts.become.method} ${opts.become.user}]` : '';
      const stdin = opts?.stdin !== undefined ? ` <stdin ${Buffer.byteLength(opts.stdin)} bytes>` : '';
      log(3, o.hidden ? `EXEC${on} (hidden: no_log)` : `EXEC${on}${become}: ${command}${stdin}`);
      const r = await conn.exec(command, opts);
      if (o.verbosity >= 4 && !o.hidden) {
        log(4, `rc=${r.code ?? r.signal ?? 'none'}\nSTDOUT:\n${tail(r.stdout)}\nSTDERR:\n${tail(r.stderr)}`);
      }
      return r;
    },
    async put(content, path, opts) {
      log(3, o.hidden ? `PUT${on} (hidden: no_log)` : `PUT${on} ${path} (${Buffer.byteLength(content)} bytes)`);
      return conn.put(content, path, opts);
    },
    async get(path, opts) {
      log(3, o.hidden ? `FETCH${on} (hidden: no_log)` : `FETCH${on} ${path}`);
      return conn.get(path, opts);
    },
  };
}
