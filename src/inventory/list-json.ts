/** `ansible-inventory --list` (JSON or YAML shape, with or without --export) and `--graph` for an Inventory. */
import type { Inventory, Vars } from './types.js';

/** Ansible's INTERNAL_VARS: hidden from `ansible-inventory` output. */
export const INTERNAL_VARS = new Set([
  'ansible_diff_mode', 'ansible_config_file', 'ansible_facts', 'ansible_forks', 'ansible_inventory_sources',
  'ansible_limit', 'ansible_playbook_python', 'ansible_run_tags', 'ansible_skip_tags', 'ansible_verbosity',
  'ansible_version', 'inventory_dir', 'inventory_file', 'inventory_hostname', 'inventory_hostname_short',
  'groups', 'group_names', 'omit', 'playbook_dir',
]);

export interface ListOptions {
  /** --export: each group's own vars, each host's own vars (not merged down the groups) */
  export?: boolean;
}

const withoutInternal = (vars: Vars): Vars => Object.fromEntries(Object.entries(vars).filter(([k]) => !INTERNAL_VARS.has(k)));

/** A host's variables as ansible-inventory shows them: merged, or its own with --export. */
export function hostVarsShown(inv: Inventory, host: string, o: ListOptions = {}): Vars {
  return withoutInternal(o.export && inv.exportVars ? inv.exportVars.host(host) : (inv.hosts.get(host)?.vars ?? {}));
}

function groupVarsShown(inv: Inventory, group: string): Vars {
  return withoutInternal(inv.exportVars?.group(group) ?? inv.groups.get(group)?.vars ?? {});
}

/** The hosts defined directly in a group, without the implicit localhost. */
function directHosts(inv: Inventory, name: string): string[] {
  const g = inv.groups.get(name)!;
  return (g.directHosts ?? g.hosts).filter((h) => !inv.hosts.get(h)?.implicit);
}

/** Ansible's InventoryCLI.json_inventory. */
export function listInventoryJson(inv: Inventory, o: ListOptions = {}): object {
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  const formatGroup = (name: string): void => {
    const g = inv.groups.get(name);
    if (!g) return;
    const entry: Record<string, unknown> = {};
    if (name !== 'all') {
      const hosts = directHosts(inv, name);
      if (hosts.length) entry.hosts = hosts;
    }
    if (g.children.length) entry.children = [...g.children];
    out[name] = entry;
    for (const c of g.children) {
      if (!seen.has(c)) {
        formatGroup(c);
        seen.add(c);
      }
    }
    if (o.export) {
      const vars = groupVarsShown(inv, name);
      if (Object.keys(vars).length) entry.vars = vars;
    }
    if (!Object.keys(entry).length) delete out[name];
  };
  formatGroup('all');
  const hostvars: Record<string, unknown> = {};
  for (const h of inv.groups.get('all')?.hosts ?? []) {
    const host = inv.hosts.get(h);
    if (!host || host.implicit) continue;
    const vars = hostVarsShown(inv, h, o);
    if (Object.keys(vars).length) hostvars[h] = vars;
  }
  out._meta = { hostvars };
  return out;
}

/** Ansible's InventoryCLI.yaml_inventory (--list --yaml): nested groups, a host's vars where it first appears. */
export function listInventoryYamlShape(inv: Inventory, o: ListOptions = {}): object {
  const seen = new Set<string>();
  const formatGroup = (name: string): Record<string, unknown> => {
    const g = inv.groups.get(name)!;
    const entry: Record<string, unknown> = {};
    const children: Record<string, unknown> = {};
    for (const c of g.children) if (c !== 'all') Object.assign(children, formatGroup(c));
    if (Object.keys(children).length) entry.children = children;
    if (name !== 'all') {
      const hosts: Record<string, unknown> = {};
      for (const h of directHosts(inv, name)) {
        hosts[h] = seen.has(h) ? {} : hostVarsShown(inv, h, o);
        seen.add(h);
      }
      if (Object.keys(hosts).length) entry.hosts = hosts;
    }
    if (o.export) {
      const vars = groupVarsShown(inv, name);
      if (Object.keys(vars).length) entry.vars = vars;
    }
    return { [name]: entry };
  };
  return formatGroup('all');
}

/**
 * Ansible's InventoryCLI.inventory_graph: `@group:` lines, child groups then hosts, indented with
 * `  |` per level; with `vars`, `{name = value}` lines (Python's str() of the value) after each host
 * (its merged vars) and after each group's hosts (the group's own vars).
 */
export function inventoryGraph(inv: Inventory, start: string, o: { vars?: boolean; export?: boolean; str: (v: unknown) => string }): string {
  const name = (text: string, depth: number) => (depth ? `${'  |'.repeat(depth)}--${text}` : text);
  const showVars = (vars: Vars, depth: number) =>
    Object.keys(vars).sort().map((k) => name(`{${k} = ${o.str(vars[k])}}`, depth));
  const graph = (group: string, depth: number): string[] => {
    const g = inv.groups.get(group)!;
    const lines = [name(`@${group}:`, depth)];
    for (const c of g.children) lines.push(...graph(c, depth + 1));
    if (group !== 'all') {
      for (const h of directHosts(inv, group)) {
        lines.push(name(h, depth + 1));
        if (o.vars) lines.push(...showVars(hostVarsShown(inv, h, o), depth + 2));
      }
    }
    if (o.vars) lines.push(...showVars(groupVarsShown(inv, group), depth + 1));
    return lines;
  };
  return graph(start, 0).join('\n');
}

/** Python's json.dumps(sort_keys=True, indent=4, ensure_ascii=False), as ansible-inventory prints JSON. */
export function ansibleJson(v: unknown): string {
  const sorted = (x: unknown): unknown =>
    Array.isArray(x) ? x.map(sorted) : x && typeof x === 'object' ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, sorted((x as Vars)[k])])) : x;
  return JSON.stringify(sorted(v), null, 4);
}
