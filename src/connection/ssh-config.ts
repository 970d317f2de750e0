/**
 * ~/.ssh/config lookup (the `ssh-config` package does the parsing and Host matching).
 * Only the directives the SSH transport uses are returned: HostName, User, Port, IdentityFile, ProxyJump.
 * `Match exec` blocks are never evaluated (no shell commands run while reading config).
 * `Include` is not followed.
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import SSHConfig from 'ssh-config';
import { UserError } from '../errors.js';

export interface SshHostConfig {
  hostName?: string;
  user?: string;
  port?: number;
  /** In file order, `~` and `%d/%h/%r/%u/%%` expanded. */
  identityFiles: string[];
  /** Raw ProxyJump value; `none` is returned as undefined. */
  proxyJump?: string;
}

export function defaultSshConfigFile(): string {
  return join(homedir(), '.ssh', 'config');
}

const cache = new Map<string, { mtimeMs: number; size: number; config: SSHConfig }>();

function load(file: string): SSHConfig | undefined {
  let st;
  try {
    st = statSync(file);
  } catch {
    return undefined; // no config file: nothing configured
  }
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.config;
  let config: SSHConfig;
  try {
    config = SSHConfig.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`cannot parse ssh config ${file}: ${(e as Error).message}`);
  }
  cache.set(file, { mtimeMs: st.mtimeMs, size: st.size, config });
  return config;
}

function first(v: string | string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v[0] : v;
}

/** Expand `~` and the ssh_config tokens the transport understands. */
export function expandPath(p: string, tokens: { host?: string; remoteUser?: string } = {}): string {
  const home = homedir();
  let out = p.replace(/%([%dhru])/g, (_m, t: string) => {
    switch (t) {
      case '%':
        return '%';
      case 'd':
        return home;
      case 'h':
        return tokens.host ?? '';
      case 'r':
        return tokens.remoteUser ?? '';
      case 'u':
        return userInfo().username;
      default:
        return _m;
    }
  });
  if (out === '~') out = home;
  else if (out.startsWith('~/')) out = join(home, out.slice(2));
  return out;
}

/** Settings for `name` (the name given to ssh: ansible_host or the inventory hostname). */
export function lookupSshConfig(name: string, file: string = defaultSshConfigFile()): SshHostConfig {
  const config = load(file);
  if (!config) return { identityFiles: [] };
  const c = config.compute(name, { ignoreCase: true, matchExec: false });
  const out: SshHostConfig = { identityFiles: [] };
  const hostName = first(c.hostname);
  if (hostName) out.hostName = hostName.replace(/%h/g, name).replace(/%%/g, '%');
  const user = first(c.user);
  if (user) out.user = user;
  const port = first(c.port);
  if (port !== undefined) {
    const n = Number(port);
    if (!/^\d+$/.test(port) || n < 1 || n > 65535) {
      throw new UserError(`ssh config ${file}: Port for host ${name} must be a number from 1 to 65535, got ${JSON.stringify(port)}`);
    }
    out.port = n;
  }
  const ids = c.identityfile;
  const list = ids === undefined ? [] : Array.isArray(ids) ? ids : [ids];
  out.identityFiles = list
    .filter((p) => p.toLowerCase() !== 'none')
    .map((p) => expandPath(p.replace(/^"(.*)"$/, '$1'), { host: out.hostName ?? name, remoteUser: out.user }));
  const pj = first(c.proxyjump);
  if (pj && pj.toLowerCase() !== 'none') out.proxyJump = pj;
  return out;
}
