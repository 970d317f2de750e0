/**
 * Inventory variables (Ansible's names) → ConnectionSpec. Inventory variables win over ~/.ssh/config.
 * Secrets are never echoed in error messages.
 */
import { shSplit } from '../shell/split.js';
import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import type { ConnectionSpec } from './types.js';
import type { HostKeyChecking } from './known-hosts.js';
import { expandPath, lookupSshConfig } from './ssh-config.js';

export interface SpecOptions {
  hostKeyChecking: HostKeyChecking;
  knownHostsFile?: string;
  /** Default 10 000 (Ansible's `timeout` default is 10 s). */
  connectTimeoutMs?: number;
  /** Default ~/.ssh/config. */
  sshConfigFile?: string;
  /**
   * Play keywords and CLI options (`connection`/-c, `remote_user`/-u, `port`, --private-key): defaults
   * that the host's variables override, as in Ansible (variables beat keywords).
   */
  defaults?: ConnectionDefaults;
  /** ssh_args from ansible.cfg / ANSIBLE_SSH_ARGS (default Ansible's: ControlPersist=60s); ansible_ssh_args beats it. */
  sshArgs?: string;
  /** control_path_dir from ansible.cfg / ANSIBLE_SSH_CONTROL_PATH_DIR; ansible_control_path_dir beats it. */
  controlPathDir?: string;
}

export interface ConnectionDefaults {
  connection?: string;
  user?: string;
  port?: number;
  privateKeyFile?: string;
  /** -k / -K answers: below ansible_password / ansible_become_password */
  password?: string;
  becomePassword?: string;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

function str(host: string, vars: Record<string, unknown>, names: string[], secret = false): string | undefined {
  for (const name of names) {
    const v = vars[name];
    if (v === undefined || v === null) continue;
    if (typeof v === 'string') return v;
    if (!secret && (typeof v === 'number' || typeof v === 'boolean')) return String(v);
    if (secret && typeof v === 'number') return String(v);
    throw new UserError(`host ${host}: variable ${name} must be a string, got ${secret ? typeof v : JSON.stringify(v)}`);
  }
  return undefined;
}

function portFrom(host: string, name: string, v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new UserError(`host ${host}: variable ${name} must be a port number (an integer from 1 to 65535), got ${JSON.stringify(v)}`);
  }
  return n;
}


/**
 * ProxyJump from ansible_ssh_common_args (then ansible_ssh_extra_args): `-J x`, `-Jx`, `-o ProxyJump=x`, `-oProxyJump=x`, `-o "ProxyJump x"`,
 * and the classic `-o ProxyCommand="ssh -W %h:%p [-p port] [user@]jump"`. Other ProxyCommands are refused.
 */
export function proxyJumpFromCommonArgs(host: string, args: string): string | undefined {
  const words = shSplit(args);
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === '-J' && i + 1 < words.length) return words[i + 1];
    if (w.startsWith('-J') && w.length > 2) return w.slice(2);
    let opt: string | undefined;
    if (w === '-o' && i + 1 < words.length) opt = words[++i];
    else if (w.startsWith('-o') && w.length > 2) opt = w.slice(2);
    if (opt === undefined) continue;
    const m = /^\s*(\w+)\s*(?:=|\s)\s*(.*)$/.exec(opt);
    if (!m) continue;
    const key = m[1].toLowerCase();
    if (key === 'proxyjump') return m[2].trim();
    if (key === 'proxycommand') {
      const pw = shSplit(m[2]);
      const wi = pw.indexOf('-W');
      if (pw[0]?.endsWith('ssh') && wi >= 0 && pw[wi + 1] === '%h:%p') {
        let port: string | undefined;
        let user: string | undefined;
        let dest: string | undefined;
        for (let j = 1; j < pw.length; j++) {
          if (j === wi || j === wi + 1) continue;
          if (pw[j] === '-p') port = pw[++j];
          else if (pw[j] === '-l') user = pw[++j];
          else if (/^-[oiJFc]$/.test(pw[j])) j++; // option with an argument: skipped
          else if (!pw[j].startsWith('-')) dest = pw[j];
        }
        if (dest) return `${user && !dest.includes('@') ? `${user}@` : ''}${dest}${port ? `:${port}` : ''}`;
      }
      throw new UserError(
        `host ${host}: ansible_ssh_common_args ProxyCommand is not supported (only "ssh -W %h:%p [user@]jumphost"); use ansible_ssh_proxy_jump`,
      );
    }
  }
  return undefined;
}

/** The value of `-o Name=value` / `-oName=value` / `-o "Name value"` in ssh arguments (the first one given wins, as with ssh). */
export function sshOptionFromArgs(args: string, name: string): string | undefined {
  const words = shSplit(args);
  let found: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    let opt: string | undefined;
    if (w === '-o' && i + 1 < words.length) opt = words[++i];
    else if (w.startsWith('-o') && w.length > 2) opt = w.slice(2);
    if (opt === undefined) continue;
    const m = /^\s*(\w+)\s*(?:=|\s)\s*(.*)$/.exec(opt);
    if (m && m[1].toLowerCase() === name.toLowerCase()) found ??= m[2].trim(); // ssh: the first value given wins
  }
  return found;
}

/**
 * Keepalives from ServerAliveInterval / ServerAliveCountMax in ansible_ssh_common_args or
 * ansible_ssh_extra_args: how soon a connection whose link died (no RST, packets dropped) is
 * declared lost. Unset: the transport's defaults.
 */
function keepaliveFromArgs(host: string, vars: Record<string, unknown>): { serverAliveIntervalMs?: number; serverAliveCountMax?: number } {
  // Ansible's ssh command line has the common args before the extra ones (plugins/connection/ssh.py)
  const args = [str(host, vars, ['ansible_ssh_common_args']), str(host, vars, ['ansible_ssh_extra_args'])].filter(Boolean).join(' ');
  if (!args) return {};
  const out: { serverAliveIntervalMs?: number; serverAliveCountMax?: number } = {};
  const interval = sshOptionFromArgs(args, 'ServerAliveInterval');
  if (interval !== undefined) {
    if (!/^\d+$/.test(interval)) throw new UserError(`host ${host}: ServerAliveInterval must be a whole number of seconds, got ${JSON.stringify(interval)}`);
    out.serverAliveIntervalMs = Number(interval) * 1000;
  }
  const count = sshOptionFromArgs(args, 'ServerAliveCountMax');
  if (count !== undefined) {
    if (!/^\d+$/.test(count) || Number(count) < 1) throw new UserError(`host ${host}: ServerAliveCountMax must be a positive integer, got ${JSON.stringify(count)}`);
    out.serverAliveCountMax = Number(count);
  }
  return out;
}

/** Ansible's default ssh_args (plugins/connection/ssh.py). */
export const DEFAULT_SSH_ARGS = '-C -o ControlMaster=auto -o ControlPersist=60s';
/** Ansible's default control_path_dir; our sockets in it start with `ww-`. */
export const DEFAULT_CONTROL_PATH_DIR = join(homedir(), '.ansible', 'cp');

/** The keys tried when neither the spec nor the options name one, as OpenSSH's defaults. */
export const defaultIdentityFiles = (): string[] => ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((n) => join(homedir(), '.ssh', n));

/** An OpenSSH time value (`60`, `60s`, `10m`, `1h30m`, ...) in seconds; undefined when malformed. */
export function sshTimeSeconds(value: string): number | undefined {
  const v = value.trim().toLowerCase();
  if (/^\d+$/.test(v)) return Number(v);
  if (!/^(\d+[smhdw])+$/.test(v)) return undefined;
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  let total = 0;
  for (const m of v.matchAll(/(\d+)([smhdw])/g)) total += Number(m[1]) * unit[m[2]!]!;
  return total;
}

/**
 * How long a connection outlives its last use, from ssh arguments as OpenSSH reads them: 0 when
 * none is kept (ControlMaster unset or `no`, ControlPersist unset, `no` or 0, ControlPath `none`),
 * Infinity for ControlPersist=yes (kept until the connection closes).
 */
export function controlPersistSeconds(sshArgs: string): number {
  const master = sshOptionFromArgs(sshArgs, 'ControlMaster')?.toLowerCase();
  if (!master || !['auto', 'yes', 'ask', 'autoask'].includes(master)) return 0;
  if (sshOptionFromArgs(sshArgs, 'ControlPath')?.toLowerCase() === 'none') return 0;
  const persist = sshOptionFromArgs(sshArgs, 'ControlPersist')?.toLowerCase();
  if (persist === undefined || persist === 'no' || persist === 'false') return 0;
  if (persist === 'yes' || persist === 'true') return Infinity;
  return sshTimeSeconds(persist) ?? 0;
}

export interface JumpHop {
  user?: string;
  host: string;
  port?: number;
}

/** `[user@]host[:port]` or `ssh://[user@]host[:port]`, comma-separated; IPv6 as `[::1]:22`. */
export function parseProxyJump(value: string, context = 'ProxyJump'): JumpHop[] {
  const hops: JumpHop[] = [];
  for (let raw of value.split(',')) {
    raw = raw.trim();
    if (!raw) continue;
    raw = raw.replace(/^ssh:\/\//, '');
    let user: string | undefined;
    const at = raw.lastIndexOf('@');
    if (at >= 0) {
      user = raw.slice(0, at);
      raw = raw.slice(at + 1);
    }
    let host = raw;
    let portStr: string | undefined;
    const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(raw);
    if (v6) {
      host = v6[1];
      portStr = v6[2];
    } else if ((raw.match(/:/g) ?? []).length === 1) {
      [host, portStr] = raw.split(':');
    }
    let port: number | undefined;
    if (portStr !== undefined) {
      port = Number(portStr);
      if (!/^\d+$/.test(portStr) || port < 1 || port > 65535) throw new UserError(`${context}: bad port in ${JSON.stringify(value)}`);
    }
    if (!host) throw new UserError(`${context}: empty host in ${JSON.stringify(value)}`);
    hops.push({ user: user || undefined, host, port });
  }
  return hops;
}

function firstExisting(files: string[]): string | undefined {
  return files.find((f) => existsSync(f));
}

/** Resolve one host's connection settings from its variables. */
export function connectionSpecFromVars(host: string, vars: Record<string, unknown>, opts: SpecOptions): ConnectionSpec {
  const connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const base = { host, hostKeyChecking: opts.hostKeyChecking, knownHostsFile: opts.knownHostsFile, connectTimeoutMs };
  const d = opts.defaults ?? {};
  // Ansible's ssh plugin takes the LAST variable of each option's list that is set
  // (host: ansible_host, ansible_ssh_host; port: ansible_port, ansible_ssh_port; ...): the legacy names win
  let connection = str(host, vars, ['ansible_connection']);
  const implicitLocal = connection === undefined && d.connection === undefined;
  connection ??= d.connection;
  const ansibleHost = str(host, vars, ['ansible_ssh_host', 'ansible_host']);
  const portVar = vars.ansible_ssh_port ?? vars.ansible_port;
  const explicitPort = portFrom(host, vars.ansible_ssh_port !== undefined && vars.ansible_ssh_port !== null ? 'ansible_ssh_port' : 'ansible_port', portVar);
  const becomePassword = str(host, vars, ['ansible_become_password', 'ansible_become_pass'], true) ?? d.becomePassword;

  if (implicitLocal && host === 'localhost' && ansibleHost === undefined && explicitPort === undefined) {
    connection = 'local'; // Ansible's implicit localhost
  }
  if (connection === 'local') {
    return { ...base, connection: 'local', address: ansibleHost ?? host, becomePassword };
  }
  if (connection !== undefined && !['ssh', 'smart', 'paramiko'].includes(connection)) {
    throw new UserError(`host ${host}: ansible_connection ${JSON.stringify(connection)} is not supported (use ssh or local)`);
  }

  const lookupName = ansibleHost ?? host;
  const cfg = lookupSshConfig(lookupName, opts.sshConfigFile);
  const user = str(host, vars, ['ansible_ssh_user', 'ansible_user']) ?? d.user ?? cfg.user ?? userInfo().username;
  let privateKeyFile = str(host, vars, ['ansible_ssh_private_key_file', 'ansible_private_key_file']) ?? d.privateKeyFile;
  if (privateKeyFile !== undefined) privateKeyFile = expandPath(privateKeyFile);
  else privateKeyFile = firstExisting(cfg.identityFiles);

  let proxyJump = str(host, vars, ['ansible_ssh_proxy_jump']);
  if (proxyJump === undefined) {
    // as Ansible's ssh command line: common args, then extra args (ssh takes the first value given)
    const args = [str(host, vars, ['ansible_ssh_common_args']), str(host, vars, ['ansible_ssh_extra_args'])].filter(Boolean).join(' ');
    if (args) proxyJump = proxyJumpFromCommonArgs(host, args);
  }
  if (proxyJump === undefined) proxyJump = cfg.proxyJump;
  if (proxyJump !== undefined && proxyJump.toLowerCase() === 'none') proxyJump = undefined;
  if (proxyJump !== undefined) parseProxyJump(proxyJump, `host ${host}: ProxyJump`); // validate early

  // ansible_ssh_timeout (the ssh plugin's `timeout` variable) beats -T, ANSIBLE_TIMEOUT and ansible.cfg
  const timeoutVar = vars.ansible_ssh_timeout;
  if (timeoutVar !== undefined && timeoutVar !== null && timeoutVar !== '') {
    const t = Number(timeoutVar);
    if (!Number.isFinite(t) || t <= 0) throw new UserError(`host ${host}: ansible_ssh_timeout must be a positive number of seconds, got ${JSON.stringify(timeoutVar)}`);
    base.connectTimeoutMs = t * 1000;
  }

  return {
    ...base,
    connection: 'ssh',
    address: cfg.hostName ?? lookupName,
    port: explicitPort ?? d.port ?? cfg.port ?? 22,
    user,
    privateKeyFile,
    passphrase: str(host, vars, ['ansible_ssh_pass_phrase'], true),
    password: str(host, vars, ['ansible_ssh_password', 'ansible_ssh_pass', 'ansible_password'], true) ?? d.password,
    becomePassword,
    proxyJump,
    ...keepaliveFromArgs(host, vars),
    controlPersistS: controlPersistSeconds(str(host, vars, ['ansible_ssh_args']) ?? opts.sshArgs ?? DEFAULT_SSH_ARGS),
    controlPathDir: expandPath(str(host, vars, ['ansible_control_path_dir']) ?? opts.controlPathDir ?? DEFAULT_CONTROL_PATH_DIR),
  };
}

/**
 * The spec of the jump host a target connects through (the last hop of its ProxyJump list; the hops
 * before it become that jump host's own ProxyJump). The jump host's ~/.ssh/config entry applies;
 * user and key fall back to the target's (its password does not: never sent to another host).
 */
export function jumpHostSpec(target: ConnectionSpec, sshConfigFile?: string): ConnectionSpec | undefined {
  if (!target.proxyJump) return undefined;
  const hops = parseProxyJump(target.proxyJump, `host ${target.host}: ProxyJump`);
  if (hops.length === 0) return undefined;
  const hop = hops[hops.length - 1];
  const cfg = lookupSshConfig(hop.host, sshConfigFile);
  const earlier = target.proxyJump
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .slice(0, -1)
    .join(',');
  const keyFromCfg = firstExisting(cfg.identityFiles);
  return {
    host: hop.host,
    connection: 'ssh',
    address: cfg.hostName ?? hop.host,
    port: hop.port ?? cfg.port ?? 22,
    user: hop.user ?? cfg.user ?? target.user,
    privateKeyFile: keyFromCfg ?? target.privateKeyFile,
    passphrase: keyFromCfg ? undefined : target.passphrase,
    hostKeyChecking: target.hostKeyChecking,
    knownHostsFile: target.knownHostsFile,
    connectTimeoutMs: target.connectTimeoutMs,
    proxyJump: earlier || undefined,
  };
}
