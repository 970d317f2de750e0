import { closest } from '../playbook/hint.js';
import type { ModuleDef } from './types.js';

const modules = new Map<string, ModuleDef<any>>();
/** Fully qualified name -> module (ansible.builtin.copy, ansible.posix.sysctl, community.general.ini_file). */
const byFqcn = new Map<string, ModuleDef<any>>();

/** Collections whose FQCN prefix `ansible.builtin.` stands for; `ansible.legacy` resolves like the short name. */
const BUILTIN = ['ansible.builtin', 'ansible.legacy'];

/** ansible-core 2.14's own modules (ansible.builtin), to tell "Ansible has it, wheelwright not yet" from a typo. */
export const ANSIBLE_BUILTIN_MODULES = [
  'add_host', 'apt', 'apt_key', 'apt_repository', 'assemble', 'assert', 'async_status', 'blockinfile', 'command',
  'copy', 'cron', 'deb822_repository', 'debconf', 'debug', 'dnf', 'dnf5', 'dpkg_selections', 'expect', 'fail', 'fetch', 'file',
  'find', 'gather_facts', 'get_url', 'getent', 'git', 'group', 'group_by', 'hostname', 'import_playbook', 'import_role',
  'import_tasks', 'include_role', 'include_tasks', 'include_vars', 'iptables', 'known_hosts', 'lineinfile', 'meta',
  'mount_facts', 'package', 'package_facts', 'pause', 'ping', 'pip', 'raw', 'reboot', 'replace', 'rpm_key', 'script',
  'service', 'service_facts', 'set_fact', 'set_stats', 'setup', 'shell', 'slurp', 'stat', 'subversion', 'systemd',
  'systemd_service', 'sysvinit', 'tempfile', 'template', 'unarchive', 'uri', 'user', 'validate_argument_spec',
  'wait_for', 'wait_for_connection', 'yum', 'yum_repository',
];

/**
 * Old FQCNs a collection's meta/runtime.yml redirects to a module wheelwright has (community.general
 * 6.x still routes its pre-flattening `files.` names).
 */
const REDIRECTS: Record<string, string> = {
  'community.general.files.ini_file': 'community.general.ini_file',
};

export function registerModule(def: ModuleDef<any>): void {
  for (const name of [def.name, ...(def.aliases ?? [])]) {
    modules.set(name, def);
    // ansible.builtin.X also reaches the modules ansible-core redirects to a collection
    // (ansible.builtin.sysctl -> ansible.posix.sysctl), as its runtime routing does
    if (def.collection === 'wheelwright') continue;
    for (const c of BUILTIN) byFqcn.set(`${c}.${name}`, def);
    if (def.collection) byFqcn.set(`${def.collection}.${name}`, def);
  }
}

/** Remove a module registered with registerModule (a test's own module must not outlive the test). */
export function unregisterModule(name: string): void {
  const def = modules.get(name);
  if (!def) return;
  for (const [k, v] of modules) if (v === def) modules.delete(k);
  for (const [k, v] of byFqcn) if (v === def) byFqcn.delete(k);
}

/**
 * Short names and the FQCNs Ansible gives the module: `ansible.builtin.copy`,
 * `ansible.posix.sysctl`, `community.general.ini_file`; `ansible.legacy.*` too.
 */
export function getModule(name: string): ModuleDef<any> | undefined {
  if (/^[A-Za-z0-9_]+\.[A-Za-z0-9_]+\./.test(name)) return byFqcn.get(REDIRECTS[name] ?? name);
  return modules.get(name);
}

export function moduleNames(): string[] {
  return [...new Set([...modules.values()].map((m) => m.name))].sort();
}

export function allModules(): ModuleDef<any>[] {
  const seen = new Set<ModuleDef<any>>();
  for (const m of modules.values()) seen.add(m);
  return [...seen].sort((a, b) => a.name.localeCompare(b.name));
}

/** The FQCN Ansible documents the module under (wheelwright's own modules have none). */
export function fqcnOf(def: ModuleDef<any>): string | undefined {
  if (def.collection === 'wheelwright') return undefined;
  return `${def.collection ?? 'ansible.builtin'}.${def.name}`;
}

/**
 * What to tell a user who named a module wheelwright lacks: the closest module where one is
 * close, the collection when it is one wheelwright does not cover, and the list of modules it has.
 */
export function unknownModuleMessage(name: string, names: readonly string[] = moduleNames(), where = ''): string {
  const at = where ? ` in ${where}` : '';
  const m = /^([A-Za-z0-9_]+\.[A-Za-z0-9_]+)\.(.+)$/.exec(name);
  const collection = m?.[1];
  const short = m ? m[2]! : name;
  const collections = new Set<string>([...BUILTIN]);
  for (const def of modules.values()) if (def.collection && def.collection !== 'wheelwright') collections.add(def.collection);
  const list = names.length ? `; wheelwright has these modules: ${names.join(', ')}` : '';
  if (collection && !collections.has(collection)) {
    return `module '${name}'${at} is from the collection '${collection}', which wheelwright does not cover${hintFor(short, names)}${list}`;
  }
  if (collection && modules.has(short)) {
    const def = modules.get(short)!;
    return `unknown module '${name}'${at}: wheelwright's '${short}' is ${fqcnOf(def) ?? `wheelwright's own '${short}'`}, not in ${collection}${list}`;
  }
  if (ANSIBLE_BUILTIN_MODULES.includes(short) && (!collection || BUILTIN.includes(collection))) {
    return `module '${name}'${at} (ansible.builtin.${short}) is not supported by wheelwright${hintFor(short, names)}${list}`;
  }
  return `unknown module '${name}'${at}${hintFor(short, names)}${list}`;
}

function hintFor(short: string, names: readonly string[]): string {
  const c = closest(short, names);
  return c && c !== short ? `; did you mean '${c}'?` : '';
}
