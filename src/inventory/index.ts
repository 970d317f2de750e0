/** Ansible-compatible inventory: loading (YAML, INI, scripts, directories, host lists), vars merge, host patterns. */
import { dirname, resolve } from 'node:path';
import { statSync } from 'node:fs';
import { UserError } from '../errors.js';
import { mergeHostVars, sortGroups, type GroupInfo } from './merge.js';
import { InventoryData, ModelError } from './model.js';
import { LOCALHOST_NAMES } from './patterns.js';
import { isHostList, parseSource } from './sources.js';
import type { Inventory, InventoryGroup, InventoryHost, Vars } from './types.js';
import { VarsFileLoader } from './vars-files.js';
import type { GroupCharsMode } from './warnings.js';
export { groupCharsMode } from './warnings.js';
import { registerDynamic } from './dynamic.js';

export type { Inventory, InventoryGroup, InventoryHost } from './types.js';
export { selectHosts, splitHostPattern } from './patterns.js';
export { listInventoryJson } from './list-json.js';
export { readsOnly } from './sources.js';

export interface LoadInventoryOptions {
  /** Directory of the playbook: its group_vars/ and host_vars/ override the inventory's. */
  playbookDir?: string;
  /** transform_invalid_group_chars (ansible.cfg force_valid_group_names): never (default), always, ignore, silently */
  transformInvalidGroupChars?: GroupCharsMode;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export async function loadInventory(sources: string[], opts: LoadInventoryOptions = {}): Promise<Inventory> {
  const data = new InventoryData();
  data.groupChars = opts.transformInvalidGroupChars ?? 'never';
  const resolved = sources.map((s) => (isHostList(s) ? s : resolve(s)));
  try {
    for (const s of resolved) await parseSource(data, s);
    data.reconcile();
  } catch (e) {
    if (e instanceof ModelError) throw new UserError(e.message);
    throw e;
  }

  const depths = data.depths();
  const info = (name: string): GroupInfo => {
    const g = data.groups.get(name)!;
    return { vars: g.vars, depth: depths.get(name) ?? 0, priority: g.priority };
  };
  const loader = new VarsFileLoader();
  const ctx = {
    inventoryDirs: resolved.filter((s) => !isHostList(s)).map((s) => (isDir(s) ? s : dirname(s))),
    playbookDir: opts.playbookDir === undefined ? undefined : resolve(opts.playbookDir),
    loader,
    group: info,
  };

  const groups = new Map<string, InventoryGroup>();
  for (const g of data.groups.values()) {
    groups.set(g.name, {
      name: g.name,
      hosts: data.groupHosts(g.name),
      children: [...g.children],
      vars: structuredClone(g.vars),
      directHosts: [...g.hosts],
      parents: [...g.parents],
      depth: depths.get(g.name) ?? 0,
      priority: g.priority,
    });
  }

  const hosts = new Map<string, InventoryHost>();
  const ownVars = new Map<string, Vars>();
  const dirOf = new Map<string, string>(); // one stat per source, not per host
  const inventoryDir = (source: string): string => {
    let d = dirOf.get(source);
    if (d === undefined) dirOf.set(source, (d = isDir(source) ? source : dirname(source)));
    return d;
  };
  for (const h of data.hosts.values()) {
    const mine = data.hostGroups(h.name);
    const own: Vars = {
      inventory_file: h.source ?? null,
      inventory_dir: h.source ? inventoryDir(h.source) : null,
      ...h.vars,
    };
    ownVars.set(h.name, own);
    hosts.set(h.name, {
      name: h.name,
      vars: mergeHostVars(ctx, h.name, own, mine),
      groups: sortGroups(mine, info),
    });
  }

  if (![...data.hosts.keys()].some((n) => LOCALHOST_NAMES.includes(n))) {
    // Ansible's implicit localhost: gets 'all' vars and host_vars/localhost, is in no group, is not matched by 'all'.
    ownVars.set('localhost', { ansible_connection: 'local' });
    hosts.set('localhost', {
      name: 'localhost',
      vars: mergeHostVars(ctx, 'localhost', { ansible_connection: 'local' }, []),
      groups: [],
      implicit: true,
    });
  }

  const filesFor = (subdir: 'group_vars' | 'host_vars', name: string): Vars => {
    let out: Vars = {};
    for (const dir of [...ctx.inventoryDirs, ...(ctx.playbookDir === undefined ? [] : [ctx.playbookDir])]) out = { ...out, ...loader.varsFor(dir, subdir, name) };
    return out;
  };
  // what `ansible-inventory --export` shows (the sources' inventory, before any add_host/group_by)
  const exportVars = {
    host: (name: string): Vars => structuredClone({ ...(data.hosts.get(name)?.vars ?? {}), ...filesFor('host_vars', name) }),
    group: (name: string): Vars => {
      const g = data.groups.get(name);
      const out: Vars = structuredClone({ ...(g?.vars ?? {}), ...filesFor('group_vars', name) });
      if (g && g.priority !== 1) out.ansible_group_priority = g.priority;
      return out;
    },
  };
  for (const w of loader.warnings) data.warn(w);
  const inv: Inventory = { hosts, groups, sources: resolved, warnings: [...data.warnings], exportVars };
  registerDynamic(inv, ctx, ownVars);
  return inv;
}

/** The `groups` magic variable: every group with all its hosts (via descendants), inventory order. */
export function groupsMap(inv: Inventory): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const g of inv.groups.values()) out[g.name] = [...g.hosts];
  return out;
}

/**
 * `group_names`: the host's groups, sorted, without 'all'. Like Ansible 2.14 (verified), an ungrouped host
 * gets ['ungrouped'].
 */
export function groupNames(inv: Inventory, host: string): string[] {
  const h = inv.hosts.get(host);
  if (!h) return [];
  return h.groups.filter((g) => g !== 'all').sort();
}
