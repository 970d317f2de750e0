/**
 * Connections opened ahead of their first use: which hosts, with which settings, and play 1's
 * while the playbook still loads (preconnect). Opening a connection runs nothing on the host; its
 * first use takes it when its settings still fit (else it is closed and a fresh one opened), and a
 * host that cannot be reached is reported by that first use, at the task Ansible reports it at.
 */
import { selectHosts, type Inventory } from '../inventory/index.js';
import type { Play } from '../playbook/types.js';
import { serialBatches } from '../playbook/serial.js';
import { renderString } from '../template/render.js';
import { ConnectionPool } from '../connection/factory.js';
import type { SshOptions } from '../connection/ssh.js';
import { connectionSpecFromVars, type ConnectionDefaults } from '../connection/spec.js';
import type { Connection, ConnectionSpec } from '../connection/types.js';
import { hostvarsOf } from './context.js';
import { resolvePlayKeywords } from './play-keywords.js';
import { shouldRunByTags } from './tags.js';

/** A play's connection keywords (`connection`, `remote_user`, `port`): below the host's variables. */
export type Over = { connection?: string; user?: string; port?: number };

export function overOf(play: Play): Over {
  return {
    ...(play.connection ? { connection: play.connection } : {}),
    ...(play.remoteUser !== undefined ? { user: play.remoteUser } : {}),
    ...(play.port !== undefined ? { port: play.port } : {}),
  };
}

/** ansible.cfg's `gathering` and `any_errors_fatal` for plays that do not set them. */
export function withConfigDefaults(play: Play, cfg: { gathering?: string; anyErrorsFatal?: boolean }): Play {
  const set = new Set(play.keywordsSet ?? []);
  let out = play;
  if (!set.has('gather_facts') && cfg.gathering === 'explicit') out = { ...out, gatherFacts: false };
  if (!set.has('any_errors_fatal') && cfg.anyErrorsFatal) out = { ...out, anyErrorsFatal: true };
  return out;
}

/** The play's hosts: `hosts:` (which may use extra vars, as in Ansible), within --limit. */
export function hostsOfPlay(play: Play, inventory: Inventory, extraVars: Record<string, unknown>, baseDir: string, limited: Set<string> | undefined): string[] {
  const pattern = play.hosts.includes('{{') ? renderString(play.hosts, extraVars, { file: play.pos.file, line: play.pos.line, col: play.pos.col }) : play.hosts;
  const hosts = selectHosts(inventory, pattern, { baseDir });
  return limited ? hosts.filter((h) => limited.has(h)) : hosts;
}

/** The hosts a play contacts first: its first batch's first `forks` hosts. */
export function firstContacts(play: Play, hosts: string[], forks: number): string[] {
  return (serialBatches(hosts, play.serial)[0] ?? []).slice(0, Math.max(1, forks));
}

/** Whether the play starts by gathering facts, which contacts its hosts before anything else. */
export function gathersFirst(play: Play, tags: string[], skipTags: string[]): boolean {
  return play.gatherFacts && shouldRunByTags(['always'], tags, skipTags);
}

export interface SpecSettings {
  hostKeyChecking: ConnectionSpec['hostKeyChecking'];
  knownHostsFile?: string;
  connectTimeoutMs: number;
  /** [ssh_connection] ssh_args and control_path_dir (ansible.cfg / ANSIBLE_*): below host variables */
  sshArgs?: string;
  controlPathDir?: string;
}

/** A host's connection settings from its variables, under `defaults` (the CLI's options and the play's keywords). */
export function specFromVars(host: string, vars: Record<string, unknown>, s: SpecSettings, defaults: ConnectionDefaults): ConnectionSpec {
  return connectionSpecFromVars(host, vars, {
    hostKeyChecking: s.hostKeyChecking,
    knownHostsFile: s.knownHostsFile ?? (vars.wheelwright_known_hosts_file as string | undefined),
    connectTimeoutMs: s.connectTimeoutMs,
    sshArgs: s.sshArgs,
    controlPathDir: s.controlPathDir,
    defaults,
  });
}

/** A connection opening ahead of use, for `host` under the play keywords `over`, with `spec`. */
export interface WarmConnection {
  host: string;
  over: Over;
  /** the spec it was opened with (JSON), compared with the host's at first use */
  spec: string;
  conn: Connection;
  ready: Promise<Connection>;
  failed: boolean;
}

export function openWarm(pool: ConnectionPool, host: string, over: Over, spec: ConnectionSpec): WarmConnection {
  const w: WarmConnection = { host, over, spec: JSON.stringify(spec), failed: false, ...pool.warm(spec) };
  w.ready.catch(() => (w.failed = true));
  return w;
}

/** Connections opened before the run (preconnect), handed to runPlaybook, which uses and closes them. */
export interface Preconnected {
  pool: ConnectionPool;
  warm: WarmConnection[];
  /** close them: the run does not happen (a load error) */
  close(): Promise<void>;
}

export interface PreconnectOptions extends SpecSettings {
  inventory: Inventory;
  extraVars: Record<string, unknown>;
  /** the playbook's directory (host patterns with @file are relative to it) */
  baseDir: string;
  limit?: string;
  forks: number;
  tags: string[];
  skipTags: string[];
  gathering?: string;
  connectionDefaults?: ConnectionDefaults;
  /** SSH transport options (the CLI's connection broker) */
  ssh?: SshOptions;
}

/**
 * Open play 1's first hosts' SSH connections while the rest of the playbook (its roles) loads,
 * when the play starts by gathering facts (it contacts them first thing; the caller leaves out the
 * runs that may contact no host: check mode, --step, --start-at-task, the listing options). Their
 * settings come from the inventory and extra vars, as at first use (no fact or registered variable
 * exists before the run). Undefined when there is nothing to open, or anything is in doubt.
 */
export function preconnect(rawPlay: Play, o: PreconnectOptions): Preconnected | undefined {
  try {
    const play = withConfigDefaults(resolvePlayKeywords(rawPlay, o.extraVars), o);
    if (!gathersFirst(play, o.tags, o.skipTags)) return undefined;
    const limited = o.limit ? new Set(selectHosts(o.inventory, o.limit, { baseDir: process.cwd() })) : undefined;
    const hosts = firstContacts(play, hostsOfPlay(play, o.inventory, o.extraVars, o.baseDir, limited), o.forks);
    const over = overOf(play);
    const defaults = { ...o.connectionDefaults, ...over };
    const shared = { inventory: o.inventory, extraVars: o.extraVars, states: new Map() };
    const specs = hosts.filter((h) => o.inventory.hosts.has(h)).map((h) => specFromVars(h, hostvarsOf(shared, h), o, defaults));
    const ssh = specs.filter((s) => s.connection === 'ssh');
    if (ssh.length === 0) return undefined;
    const pool = new ConnectionPool(o.ssh ?? {});
    const warm = ssh.map((s) => openWarm(pool, s.host, over, s));
    return { pool, warm, close: () => pool.closeAll() };
  } catch {
    return undefined; // the run reports the play's problems in their turn
  }
}
