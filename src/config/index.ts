/**
 * Ansible's configuration, for the settings operators set: ansible.cfg found the way Ansible finds
 * it (ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg; the first that
 * exists), then the ANSIBLE_* environment variables over it. Unknown settings are ignored, as
 * Ansible does. Types, defaults and names are ansible-core's (config/base.yml).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../errors.js';

type SettingType = 'boolean' | 'integer' | 'string' | 'path' | 'pathlist' | 'pathspec';

interface SettingDecl {
  /** ansible-core's name (what `ansible-config dump` shows) */
  name: string;
  section: string;
  key: string;
  env: string;
  type: SettingType;
  default: unknown;
}

export const SETTINGS: readonly SettingDecl[] = [
  { name: 'DEFAULT_HOST_LIST', section: 'defaults', key: 'inventory', env: 'ANSIBLE_INVENTORY', type: 'pathlist', default: ['/etc/ansible/hosts'] },
  { name: 'DEFAULT_ROLES_PATH', section: 'defaults', key: 'roles_path', env: 'ANSIBLE_ROLES_PATH', type: 'pathspec', default: [join(homedir(), '.ansible/roles'), '/usr/share/ansible/roles', '/etc/ansible/roles'] },
  { name: 'DEFAULT_FILTER_PLUGIN_PATH', section: 'defaults', key: 'filter_plugins', env: 'ANSIBLE_FILTER_PLUGINS', type: 'pathspec', default: [join(homedir(), '.ansible/plugins/filter'), '/usr/share/ansible/plugins/filter'] },
  { name: 'DEFAULT_TEST_PLUGIN_PATH', section: 'defaults', key: 'test_plugins', env: 'ANSIBLE_TEST_PLUGINS', type: 'pathspec', default: [join(homedir(), '.ansible/plugins/test'), '/usr/share/ansible/plugins/test'] },
  { name: 'DEFAULT_REMOTE_USER', section: 'defaults', key: 'remote_user', env: 'ANSIBLE_REMOTE_USER', type: 'string', default: null },
  { name: 'DEFAULT_REMOTE_PORT', section: 'defaults', key: 'remote_port', env: 'ANSIBLE_REMOTE_PORT', type: 'integer', default: null },
  { name: 'DEFAULT_PRIVATE_KEY_FILE', section: 'defaults', key: 'private_key_file', env: 'ANSIBLE_PRIVATE_KEY_FILE', type: 'path', default: null },
  { name: 'HOST_KEY_CHECKING', section: 'defaults', key: 'host_key_checking', env: 'ANSIBLE_HOST_KEY_CHECKING', type: 'boolean', default: true },
  { name: 'DEFAULT_FORKS', section: 'defaults', key: 'forks', env: 'ANSIBLE_FORKS', type: 'integer', default: 5 },
  { name: 'DEFAULT_TIMEOUT', section: 'defaults', key: 'timeout', env: 'ANSIBLE_TIMEOUT', type: 'integer', default: 10 },
  { name: 'RETRY_FILES_ENABLED', section: 'defaults', key: 'retry_files_enabled', env: 'ANSIBLE_RETRY_FILES_ENABLED', type: 'boolean', default: false },
  { name: 'RETRY_FILES_SAVE_PATH', section: 'defaults', key: 'retry_files_save_path', env: 'ANSIBLE_RETRY_FILES_SAVE_PATH', type: 'path', default: null },
  { name: 'DEFAULT_STRATEGY', section: 'defaults', key: 'strategy', env: 'ANSIBLE_STRATEGY', type: 'string', default: 'linear' },
  { name: 'DEFAULT_GATHERING', section: 'defaults', key: 'gathering', env: 'ANSIBLE_GATHERING', type: 'string', default: 'implicit' },
  { name: 'DEFAULT_BECOME', section: 'privilege_escalation', key: 'become', env: 'ANSIBLE_BECOME', type: 'boolean', default: false },
  { name: 'DEFAULT_BECOME_USER', section: 'privilege_escalation', key: 'become_user', env: 'ANSIBLE_BECOME_USER', type: 'string', default: 'root' },
  { name: 'DEFAULT_BECOME_METHOD', section: 'privilege_escalation', key: 'become_method', env: 'ANSIBLE_BECOME_METHOD', type: 'string', default: 'sudo' },
  { name: 'BECOME_ALLOW_SAME_USER', section: 'privilege_escalation', key: 'become_allow_same_user', env: 'ANSIBLE_BECOME_ALLOW_SAME_USER', type: 'boolean', default: false },
  { name: 'DEFAULT_BECOME_ASK_PASS', section: 'privilege_escalation', key: 'become_ask_pass', env: 'ANSIBLE_BECOME_ASK_PASS', type: 'boolean', default: false },
  { name: 'DEFAULT_ASK_PASS', section: 'defaults', key: 'ask_pass', env: 'ANSIBLE_ASK_PASS', type: 'boolean', default: false },
  { name: 'DEFAULT_FORCE_HANDLERS', section: 'defaults', key: 'force_handlers', env: 'ANSIBLE_FORCE_HANDLERS', type: 'boolean', default: false },
  { name: 'ANY_ERRORS_FATAL', section: 'defaults', key: 'any_errors_fatal', env: 'ANSIBLE_ANY_ERRORS_FATAL', type: 'boolean', default: false },
  { name: 'DEFAULT_VAULT_PASSWORD_FILE', section: 'defaults', key: 'vault_password_file', env: 'ANSIBLE_VAULT_PASSWORD_FILE', type: 'path', default: null },
  { name: 'TASK_TIMEOUT', section: 'defaults', key: 'task_timeout', env: 'ANSIBLE_TASK_TIMEOUT', type: 'integer', default: 0 },
  { name: 'TRANSFORM_INVALID_GROUP_CHARS', section: 'defaults', key: 'force_valid_group_names', env: 'ANSIBLE_TRANSFORM_INVALID_GROUP_CHARS', type: 'string', default: 'never' },
];

export interface Setting {
  value: unknown;
  /** the file it came from, `env: NAME`, or 'default' */
  origin: string;
}

export interface AnsibleConfig {
  file?: string;
  settings: Record<string, Setting>;
  /**
   * The ssh connection plugin's [ssh_connection] ssh_args (ANSIBLE_SSH_ARGS) and control_path_dir
   * (ANSIBLE_SSH_CONTROL_PATH_DIR): plugin options, not in `ansible-config dump`'s base list. Unset: the plugin's defaults.
   */
  ssh: { args?: string; controlPathDir?: string };
}

/** The config file Ansible would use, if any. */
export function findConfigFile(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  const candidates: string[] = [];
  const fromEnv = env.ANSIBLE_CONFIG;
  if (fromEnv) {
    const p = resolve(cwd, fromEnv.replace(/^~(?=$|\/)/, homedir()));
    candidates.push(existsSync(p) && statSync(p).isDirectory() ? join(p, 'ansible.cfg') : p);
  }
  // Ansible skips ./ansible.cfg in a world-writable directory (a security measure)
  try {
    if ((statSync(cwd).mode & 0o002) === 0) candidates.push(join(cwd, 'ansible.cfg'));
  } catch {
    /* no cwd */
  }
  candidates.push(join(homedir(), '.ansible.cfg'), '/etc/ansible/ansible.cfg');
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

/**
 * An INI file as Python's configparser reads it for Ansible: `[section]`, `key = value` or
 * `key: value`, keys lowercased, `#`/`;` comment lines, ` ;` inline comments, indented
 * continuation lines.
 */
export function parseCfg(text: string, file: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section: Record<string, string> | undefined;
  let last: string | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    if (/^\s*([#;]|$)/.test(raw)) return;
    if (/^\s/.test(raw) && section && last !== undefined) {
      section[last] += `\n${raw.trim()}`;
      return;
    }
    const line = raw.replace(/\s;.*$/, '').trim();
    const sec = /^\[([^\]]+)\]$/.exec(line);
    if (sec) {
      section = out[sec[1]!] ??= {};
      last = undefined;
      return;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (!kv || !section) throw new UserError(`${file}:${i + 1}:1: not an INI line of a section (key = value under [section])`);
    last = kv[1]!.toLowerCase();
    section[last] = kv[2]!;
  });
  return out;
}

const TRUE = ['y', 'yes', 'on', '1', 'true', 't', '1.0'];
const FALSE = ['n', 'no', 'off', '0', 'false', 'f', '0.0'];

function convert(d: SettingDecl, raw: string, base: string, origin: string): unknown {
  const path = (p: string) => {
    const e = p.trim().replace(/^~(?=$|\/)/, homedir());
    return isAbsolute(e) ? e : resolve(base, e);
  };
  switch (d.type) {
    case 'boolean': {
      const v = raw.trim().toLowerCase();
      if (TRUE.includes(v)) return true;
      if (FALSE.includes(v)) return false;
      throw new UserError(`${origin}: ${d.key} must be a boolean, got '${raw}'`);
    }
    case 'integer': {
      if (!/^\s*-?\d+\s*$/.test(raw)) throw new UserError(`${origin}: ${d.key} must be an integer, got '${raw}'`);
      return Number(raw);
    }
    case 'path':
      return raw.trim() === '' ? null : path(raw);
    case 'pathlist':
      return raw.split(',').map((s) => s.trim()).filter(Boolean).map(path);
    case 'pathspec':
      return raw.split(':').map((s) => s.trim()).filter(Boolean).map(path);
    default:
      return raw.trim();
  }
}

/** The settings in effect: defaults < the config file < ANSIBLE_* environment variables. */
export function loadAnsibleConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): AnsibleConfig {
  const file = findConfigFile(env, cwd);
  const ini = file ? parseCfg(readFileSync(file, 'utf8'), file) : {};
  const settings: Record<string, Setting> = {};
  for (const d of SETTINGS) {
    let s: Setting = { value: d.default, origin: 'default' };
    const fromFile = ini[d.section]?.[d.key];
    if (fromFile !== undefined) s = { value: convert(d, fromFile, dirname(file!), file!), origin: file! };
    const fromEnv = env[d.env];
    if (fromEnv !== undefined) s = { value: convert(d, fromEnv, cwd, `env: ${d.env}`), origin: `env: ${d.env}` };
    settings[d.name] = s;
  }
  const cfgSsh = ini.ssh_connection ?? {};
  const args = env.ANSIBLE_SSH_ARGS ?? cfgSsh.ssh_args;
  const cpd = env.ANSIBLE_SSH_CONTROL_PATH_DIR ?? cfgSsh.control_path_dir;
  const ssh = {
    ...(args !== undefined ? { args: args.trim() } : {}),
    ...(cpd !== undefined && cpd.trim() !== '' ? { controlPathDir: cpd.trim().replace(/^~(?=$|\/)/, homedir()) } : {}),
  };
  return { file, settings, ssh };
}

/** A value as Python prints it (what ansible-config dump shows). */
function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (Array.isArray(v)) return `[${v.map((x) => (typeof x === 'string' ? `'${x}'` : pyRepr(x))).join(', ')}]`;
  return String(v);
}

/** `ansible-config dump [--only-changed]` lines for the settings wheelwright reads. */
export function dumpConfig(cfg: AnsibleConfig, onlyChanged: boolean): string {
  const lines: string[] = [`CONFIG_FILE() = ${cfg.file ?? 'None'}`];
  for (const d of [...SETTINGS].sort((a, b) => a.name.localeCompare(b.name))) {
    const s = cfg.settings[d.name]!;
    if (onlyChanged && s.origin === 'default') continue;
    lines.push(`${d.name}(${s.origin}) = ${pyRepr(s.value)}`);
  }
  return lines.join('\n') + '\n';
}
