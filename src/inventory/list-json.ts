/** `ansible-inventory --list` JSON for an Inventory. */
import type { Inventory } from './types.js';

/** Ansible's INTERNAL_VARS: hidden from `ansible-inventory` output. */
export const INTERNAL_VARS = new Set([
  'ansible_diff_mode', 'ansible_config_file', 'ansible_facts', 'ansible_forks', 'ansible_inventory_sources',
  'ansible_limit', 'ansible_playbook_python', 'ansible_run_tags', 'ansible_skip_tags', 'ansible_verbosity',
  'ansible_version', 'inventory_dir', 'inventory_file', 'inventory_hostname', 'inventory_hostname_short',
  'groups', 'group_names', 'omit', 'playbook_dir',
]);

export function listInventoryJson(inv: Inventory): object {
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  const formatGroup = (name: string): void => {
    const g = inv.groups.get(name);
    if (!g) return;
    const entry: Record<string, unknown> = {};
    if (name !== 'all') {
      const hosts = (g.directHosts ?? g.hosts).filter((h) => !inv.hosts.get(h)?.implicit);
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
    if (!Object.keys(entry).length) delete out[name];
  };
  formatGroup('all');
  const hostvars: Record<string, unknown> = {};
  for (const h of inv.groups.get('all')?.hosts ?? []) {
    const host = inv.hosts.get(h);
    if (!host || host.implicit) continue;
    const vars = Object.fromEntries(Object.entries(host.vars).filter(([k]) => !INTERNAL_VARS.has(k)));
    if (Object.keys(vars).length) hostvars[h] = vars;
  }
  out._meta = { hostvars };
  return out;
}
