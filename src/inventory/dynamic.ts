/**
 * The in-memory inventory changes of add_host and group_by (Ansible's InventoryManager
 * add_dynamic_host / add_dynamic_group): hosts and groups added during a run, seen by later tasks
 * (`groups`, `group_names`, `hostvars`) and later plays' host patterns. A host's variables are
 * merged again (group_vars of its new groups included) with the loader's own merge.
 */
import { mergeHostVars, sortGroups, type GroupInfo, type MergeContext } from './merge.js';
import type { Inventory, InventoryGroup, Vars } from './types.js';

interface DynamicContext {
  merge: MergeContext;
  /** Each host's own (host-level) variables, before the merge. */
  own: Map<string, Vars>;
}

const contexts = new WeakMap<Inventory, DynamicContext>();
const listeners = new WeakMap<Inventory, Array<() => void>>();

/** loadInventory registers how it merged, so hosts can be merged again after a change. */
export function registerDynamic(inv: Inventory, merge: MergeContext, own: Map<string, Vars>): void {
  contexts.set(inv, { merge, own });
}

/** Called after every change (caches of `groups` and host patterns). */
export function onInventoryChange(inv: Inventory, fn: () => void): void {
  const l = listeners.get(inv) ?? [];
  l.push(fn);
  listeners.set(inv, l);
}

function groupInfo(inv: Inventory, ctx: DynamicContext | undefined) {
  return (name: string): GroupInfo => {
    const g = inv.groups.get(name);
    if (ctx && g && !g.dynamic) {
      try {
        return ctx.merge.group(name);
      } catch {
        /* a group the loader did not know */
      }
    }
    return { vars: g?.vars ?? {}, depth: g?.depth ?? 1, priority: g?.priority ?? 1 };
  };
}

function ancestors(inv: Inventory, group: string, out = new Set<string>()): Set<string> {
  if (out.has(group)) return out;
  out.add(group);
  for (const p of inv.groups.get(group)?.parents ?? []) ancestors(inv, p, out);
  return out;
}

function newGroup(inv: Inventory, name: string): InventoryGroup {
  const g: InventoryGroup = { name, hosts: [], children: [], vars: {}, directHosts: [], parents: ['all'], depth: 1, priority: 1, dynamic: true };
  inv.groups.set(name, g);
  inv.groups.get('all')?.children.push(name);
  return g;
}

/** Put HOST into GROUP directly; true when it was not there. */
function join(inv: Inventory, host: string, group: string): boolean {
  const g = inv.groups.get(group)!;
  g.directHosts ??= [];
  if (g.directHosts.includes(host)) return false;
  g.directHosts.push(host);
  return true;
}

/**
 * Every group's hosts again, as Ansible's Group.get_hosts orders them: the group's own hosts, then
 * its descendants' level by level (children in order).
 */
function rebuildHosts(inv: Inventory): void {
  for (const g of inv.groups.values()) {
    const out: string[] = [];
    const seenHosts = new Set<string>();
    const seen = new Set<string>([g.name]);
    let level = [g.name];
    while (level.length) {
      const next: string[] = [];
      for (const name of level) {
        const x = inv.groups.get(name);
        if (!x) continue;
        for (const h of x.directHosts ?? []) if (!seenHosts.has(h)) (seenHosts.add(h), out.push(h));
        for (const c of x.children) if (!seen.has(c)) (seen.add(c), next.push(c));
      }
      level = next;
    }
    g.hosts = out;
  }
}

function remerge(inv: Inventory, host: string): void {
  const h = inv.hosts.get(host)!;
  const ctx = contexts.get(inv);
  const mine = new Set<string>(['all']);
  for (const g of inv.groups.values()) if (g.hosts.includes(host)) mine.add(g.name);
  if (!h.implicit) h.groups = sortGroups(mine, groupInfo(inv, ctx));
  const own = ctx?.own.get(host) ?? {};
  if (ctx) {
    const merge: MergeContext = { ...ctx.merge, group: groupInfo(inv, ctx) };
    h.vars = mergeHostVars(merge, host, own, h.implicit ? [] : mine);
  } else {
    let vars: Vars = {};
    for (const g of h.groups) vars = { ...vars, ...(inv.groups.get(g)?.vars ?? {}) };
    h.vars = { ...vars, ...own };
  }
}

function changed(inv: Inventory): void {
  for (const fn of listeners.get(inv) ?? []) fn();
}

/** add_host: add (or update) a host with host-level variables and groups; true when anything changed. */
export function addDynamicHost(inv: Inventory, name: string, hostVars: Vars, groups: string[]): boolean {
  const ctx = contexts.get(inv);
  let didChange = false;
  const existing = inv.hosts.get(name);
  if (!existing || existing.implicit) {
    // as Ansible: a new host (the implicit localhost too) becomes a member of 'all'
    if (existing) delete existing.implicit;
    else inv.hosts.set(name, { name, vars: {}, groups: ['all'] });
    didChange = true;
    const all = inv.groups.get('all');
    if (all) join(inv, name, 'all');
  }
  const own = ctx?.own.get(name) ?? {};
  const combined = { ...own, ...hostVars };
  if (JSON.stringify(Object.entries(combined).sort()) !== JSON.stringify(Object.entries(own).sort())) didChange = true;
  if (ctx) ctx.own.set(name, combined);
  else contexts.set(inv, { merge: undefined as never, own: new Map([[name, combined]]) });
  for (const g of groups) {
    if (!inv.groups.has(g)) {
      newGroup(inv, g);
      didChange = true;
    }
    if (join(inv, name, g)) didChange = true;
  }
  rebuildHosts(inv);
  remerge(inv, name);
  changed(inv);
  return didChange;
}

/** group_by: put HOST into GROUP (created under PARENTS when missing); true when anything changed. */
export function addDynamicGroup(inv: Inventory, host: string, group: string, parents: string[]): boolean {
  let didChange = false;
  if (!inv.groups.has(group)) newGroup(inv, group);
  for (const p of parents) {
    if (!inv.groups.has(p)) {
      newGroup(inv, p);
      didChange = true;
    }
  }
  const g = inv.groups.get(group)!;
  for (const p of parents) {
    const pg = inv.groups.get(p)!;
    if (!pg.children.includes(group)) {
      pg.children.push(group);
      g.parents ??= [];
      if (!g.parents.includes(p)) g.parents.push(p);
      didChange = true;
    }
  }
  if (inv.hosts.has(host) && join(inv, host, group)) didChange = true;
  rebuildHosts(inv);
  if (inv.hosts.has(host)) remerge(inv, host);
  changed(inv);
  return didChange;
}
