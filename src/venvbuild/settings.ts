import { UserError } from '../errors.js';
import { shSplit } from '../shell/split.js';

/** The role's variables (OpenStack-Ansible names), validated once into typed settings. */
export interface VenvSettings {
  path: string;
  python: string;
  pipPackages: string[];
  buildConstraints: string[];
  globalConstraints: string[];
  buildRequirements: string[];
  pipBuildArgs: string[];
  pipBuildEnv: Record<string, string>;
  pipInstallArgs: string[];
  pipInstallEnv: Record<string, string>;
  installTool: 'pip';
  packageState: 'present' | 'latest' | 'absent' | 'forcereinstall';
  buildDistroPackages: string[];
  installDistroPackages: string[];
  distroPackageState: 'present' | 'latest';
  distroCacheValidTime: number;
  packagesToSymlink: string[];
  factsWhenChanged: Array<{ section: string; option: string; value: string }>;
  factsDest: string;
  rebuild: boolean;
  wheelsRebuild: boolean;
  wheelBuildEnable: boolean | 'auto';
  wheelBuildSkipCheck: boolean;
  buildGroup: string;
  transport: 'http' | 'push';
  builderVenvPath: string;
  requirementsPath: string;
  wheelPath: string;
  wheelUrl: string;
  generationsKeep: number;
  lockTimeout: number;
}

type Vars = Record<string, unknown>;

function get(vars: Vars, name: string): unknown {
  return Reflect.get(vars, name);
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null || v === undefined) return 'nothing';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function bad(name: string, expected: string, v: unknown): never {
  throw new UserError(`variable '${name}' must be ${expected}, got ${describe(v)}`);
}

function str(vars: Vars, name: string, required = true): string {
  const v = get(vars, name);
  if (typeof v === 'string' && (v !== '' || !required)) return v;
  if (typeof v === 'number') return String(v);
  if (v === undefined && !required) return '';
  return bad(name, 'a non-empty string', v);
}

/** A list of strings; a single string counts as a one-item list; empty entries are dropped. */
function list(vars: Vars, name: string): string[] {
  const v = get(vars, name);
  if (v === undefined || v === null || v === '') return [];
  const items = typeof v === 'string' ? [v] : Array.isArray(v) ? v : bad(name, 'a list of strings', v);
  return items
    .map((x) => (typeof x === 'string' || typeof x === 'number' ? String(x).trim() : bad(name, 'a list of strings', v)))
    .filter((x) => x !== '');
}

/** Extra argument strings ("--foo bar") split like a shell would (quotes respected). */
function args(vars: Vars, ...names: string[]): string[] {
  const out: string[] = [];
  for (const name of names) {
    const v = get(vars, name);
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) out.push(...v.map(String));
    else if (typeof v === 'string') out.push(...shSplit(v));
    else bad(name, 'a string of arguments', v);
  }
  return out;
}


function bool(vars: Vars, name: string): boolean {
  const v = get(vars, name);
  if (typeof v === 'boolean') return v;
  if (v === undefined) return false;
  if (typeof v === 'string' && /^(yes|true|on|1)$/i.test(v)) return true;
  if (typeof v === 'string' && /^(no|false|off|0|)$/i.test(v)) return false;
  return bad(name, 'a boolean', v);
}

function int(vars: Vars, name: string): number {
  const v = get(vars, name);
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0) return n;
  return bad(name, 'a non-negative integer', v);
}

function env(vars: Vars, name: string): Record<string, string> {
  const v = get(vars, name);
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) return bad(name, 'a mapping of environment variables', v);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) bad(name, 'a mapping with valid environment variable names', k);
    out[k] = typeof x === 'string' ? x : JSON.stringify(x);
  }
  return out;
}

function choice<T extends string>(vars: Vars, name: string, choices: readonly T[]): T {
  const v = get(vars, name);
  if (typeof v === 'string' && (choices as readonly string[]).includes(v)) return v as T;
  return bad(name, `one of ${choices.join(', ')}`, v);
}

/** Merge, trim, drop empties, dedupe (case-insensitively) and sort, as the upstream role does. */
export function mergePackages(...lists: string[][]): string[] {
  const seen = new Map<string, string>();
  for (const l of lists) for (const p of l) if (p && !seen.has(p.toLowerCase())) seen.set(p.toLowerCase(), p);
  const keyed = [...seen.values()].map((p) => ({ p, k: p.toLowerCase() }));
  const cmp = keyed.every(({ k }) => PRINTABLE.test(k)) ? compareAscii : (a: string, b: string) => a.localeCompare(b);
  return keyed.sort((a, b) => cmp(a.k, b.k)).map(({ p }) => p);
}

/**
 * The order localeCompare (ICU's root collation) gives printable lower-case ASCII: each character
 * has its own primary weight, so strings of them compare character by character in this order
 * (a prefix first). The first localeCompare of a process loads ICU's collation data: ~15 ms of
 * every run's start, for a few package names. test/unit/venvbuild.test.ts checks it against ICU.
 */
export const ICU_ASCII_ORDER = ' _-,;:!?.\'"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz';
const RANK = new Map([...ICU_ASCII_ORDER].map((c, i) => [c.charCodeAt(0), i]));
const PRINTABLE = /^[ -@[-~]*$/; // printable ASCII without upper case

/** localeCompare's answer's sign for strings of ICU_ASCII_ORDER's characters. */
export function compareAscii(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = RANK.get(a.charCodeAt(i))! - RANK.get(b.charCodeAt(i))!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export function readSettings(vars: Vars): VenvSettings {
  const path = str(vars, 'venv_install_destination_path');
  if (!path.startsWith('/')) bad('venv_install_destination_path', 'an absolute path', path);
  const facts = get(vars, 'venv_facts_when_changed') ?? [];
  if (!Array.isArray(facts)) bad('venv_facts_when_changed', 'a list of {section, option, value}', facts);
  const factsWhenChanged = facts.map((f) => {
    const o = f as Record<string, unknown>;
    if (!o || typeof o !== 'object' || typeof o.section !== 'string' || typeof o.option !== 'string' || o.value === undefined) {
      return bad('venv_facts_when_changed', 'a list of {section, option, value}', f);
    }
    return { section: o.section, option: o.option, value: typeof o.value === 'string' ? o.value : JSON.stringify(o.value) };
  });
  const enable = get(vars, 'venv_wheel_build_enable');
  const tool = str(vars, 'venv_install_tool');
  if (tool !== 'pip') throw new UserError(`variable 'venv_install_tool' is '${tool}': only 'pip' is supported (uv cannot be installed offline here)`);
  return {
    path: path.replace(/\/+$/, ''),
    python: str(vars, 'venv_python_executable'),
    pipPackages: mergePackages(list(vars, 'venv_default_pip_packages'), list(vars, 'venv_pip_packages')),
    buildConstraints: list(vars, 'venv_build_constraints'),
    globalConstraints: list(vars, 'venv_build_global_constraints'),
    buildRequirements: mergePackages(list(vars, 'venv_build_requirements'), list(vars, 'venv_build_requirements_extra')),
    pipBuildArgs: args(vars, 'venv_default_pip_build_args', 'venv_pip_build_args'),
    pipBuildEnv: env(vars, 'venv_pip_build_env'),
    pipInstallArgs: args(vars, 'venv_default_pip_install_args', 'venv_pip_install_args'),
    pipInstallEnv: env(vars, 'venv_pip_install_env'),
    installTool: 'pip',
    packageState: choice(vars, 'venv_pip_package_state', ['present', 'latest', 'absent', 'forcereinstall'] as const),
    buildDistroPackages: list(vars, 'venv_build_distro_package_list'),
    installDistroPackages: list(vars, 'venv_install_distro_package_list'),
    distroPackageState: choice(vars, 'venv_distro_package_state', ['present', 'latest'] as const),
    distroCacheValidTime: int(vars, 'venv_distro_cache_valid_time'),
    packagesToSymlink: list(vars, 'venv_packages_to_symlink'),
    factsWhenChanged,
    factsDest: str(vars, 'venv_facts_dest'),
    rebuild: bool(vars, 'venv_rebuild'),
    wheelsRebuild: bool(vars, 'venv_wheels_rebuild'),
    wheelBuildEnable: enable === 'auto' || enable === undefined ? 'auto' : bool(vars, 'venv_wheel_build_enable'),
    wheelBuildSkipCheck: bool(vars, 'venv_wheel_build_skip_check'),
    buildGroup: str(vars, 'venv_build_group'),
    transport: choice(vars, 'venv_wheel_transport', ['http', 'push'] as const),
    builderVenvPath: str(vars, 'venv_build_host_venv_path'),
    requirementsPath: str(vars, 'venv_build_host_requirements_path'),
    wheelPath: str(vars, 'venv_build_host_wheel_path'),
    wheelUrl: str(vars, 'venv_build_host_wheel_url'),
    generationsKeep: Math.max(1, int(vars, 'venv_generations_keep')),
    lockTimeout: int(vars, 'venv_lock_timeout'),
  };
}

/** Paths and URLs in the defaults carry {distro_key}, filled per build host. */
export function forKey(template: string, key: string): string {
  return template.split('{distro_key}').join(key);
}
