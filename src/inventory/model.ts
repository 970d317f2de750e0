/** Mutable inventory graph mirroring Ansible's InventoryData (groups, hosts, edges), filled by the source parsers. */
import type { Vars } from './types.js';
import { safeGroupName, type GroupCharsMode } from './warnings.js';

export class ModelError extends Error {}

export interface GroupNode {
  name: string;
  hosts: string[]; // direct hosts, insertion order
  /** the same hosts, for constant-time membership tests (inventories of 100k hosts) */
  hostSet: Set<string>;
  children: string[];
  parents: string[];
  vars: Vars;
  priority: number;
}

export interface HostNode {
  name: string;
  vars: Vars;
  /** Groups the host was added to directly (ancestors are derived). */
  direct: string[];
  /** First source file the host was seen in (Ansible's inventory_file). */
  source?: string;
}

export class InventoryData {
  readonly groups = new Map<string, GroupNode>();
  readonly hosts = new Map<string, HostNode>();
  readonly warnings: string[] = [];
  currentSource?: string;
  /** transform_invalid_group_chars */
  groupChars: GroupCharsMode = 'never';
  /** group names as written → as kept (only those the transform changed) */
  private readonly renamed = new Map<string, string>();

  /** A group name as the inventory keeps it. */
  private g(name: string): string {
    return this.renamed.get(name) ?? name;
  }

  constructor() {
    this.addGroup('all');
    this.addGroup('ungrouped');
    this.addChild('all', 'ungrouped');
  }

  addGroup(written: string): string {
    if (!written) throw new ModelError(`Invalid empty/false group name provided: ${written}`);
    const name = this.groups.has(written) ? written : safeGroupName(written, this.groupChars, (w) => this.warn(w));
    if (name !== written) this.renamed.set(written, name);
    if (!this.groups.has(name)) this.groups.set(name, { name, hosts: [], hostSet: new Set(), children: [], parents: [], vars: {}, priority: 1 });
    return name;
  }

  /** A warning Ansible would print (each text once). */
  warn(msg: string): void {
    if (!this.warnings.includes(msg)) this.warnings.push(msg);
  }

  addHost(name: string, group?: string, port?: number): string {
    if (!name) throw new ModelError('Invalid empty host name provided');
    if (group) group = this.g(group);
    let g: GroupNode | undefined;
    if (group) {
      g = this.groups.get(group);
      if (!g) throw new ModelError(`Could not find group ${group} in inventory`);
    }
    let h = this.hosts.get(name);
    if (!h) {
      h = { name, vars: {}, direct: [], source: this.currentSource };
      if (port !== undefined) h.vars.ansible_port = port;
      this.hosts.set(name, h);
    }
    if (g && !g.hostSet.has(name)) {
      g.hosts.push(name);
      g.hostSet.add(name);
      h.direct.push(g.name);
    }
    return name;
  }

  setVariable(entity: string, key: string, value: unknown): void {
    const g = this.groups.get(entity) ?? (this.hosts.has(entity) ? undefined : this.groups.get(this.g(entity)));
    if (g) {
      if (key === 'ansible_group_priority') {
        const n = typeof value === 'number' ? Math.trunc(value) : typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value) ? parseInt(value, 10) : NaN;
        if (!Number.isFinite(n)) throw new ModelError(`ansible_group_priority for group ${entity} must be an integer, got: ${JSON.stringify(value)}`);
        g.priority = n;
      } else g.vars[key] = value;
      return;
    }
    const h = this.hosts.get(entity);
    if (!h) throw new ModelError(`Could not identify group or host named ${entity}`);
    h.vars[key] = value;
  }

  ancestors(group: string): Set<string> {
    const seen = new Set<string>();
    const stack = [...(this.groups.get(group)?.parents ?? [])];
    while (stack.length) {
      const p = stack.pop()!;
      if (seen.has(p)) continue;
      seen.add(p);
      stack.push(...(this.groups.get(p)?.parents ?? []));
    }
    return seen;
  }

  /** Adds group `child` (or host `child`) under `group`. */
  addChild(group: string, child: string): void {
    group = this.g(group);
    if (!this.hosts.has(child)) child = this.g(child);
    const g = this.groups.get(group);
    if (!g) throw new ModelError(`${group} is not a known group`);
    const c = this.groups.get(child);
    if (c) {
      if (c === g) throw new ModelError(`can't add group to itself: ${group}`);
      if (g.children.includes(child)) return;
      if (this.ancestors(group).has(child)) {
        throw new ModelError(`Adding group '${child}' as child to '${group}' creates a recursive dependency loop.`);
      }
      g.children.push(child);
      if (!c.parents.includes(group)) c.parents.push(group);
    } else if (this.hosts.has(child)) {
      this.addHost(child, group);
    } else throw new ModelError(`${child} is not a known host nor group`);
  }

  /** Removes hosts from a group in one pass (one at a time would be quadratic). */
  removeHostsFromGroup(group: string, hosts: Set<string>): void {
    if (hosts.size === 0) return;
    const g = this.groups.get(group)!;
    g.hosts = g.hosts.filter((h) => !hosts.has(h));
    for (const host of hosts) {
      g.hostSet.delete(host);
      const h = this.hosts.get(host)!;
      h.direct = h.direct.filter((x) => x !== group);
    }
  }

  /** All groups of a host: direct ones plus their ancestors. */
  hostGroups(host: string): Set<string> {
    const out = new Set<string>();
    for (const g of this.hosts.get(host)?.direct ?? []) {
      out.add(g);
      for (const a of this.ancestors(g)) out.add(a);
    }
    return out;
  }

  /** Ansible's reconcile_inventory: top-level groups under 'all', lone hosts into 'ungrouped'. */
  reconcile(): void {
    for (const g of this.groups.values()) {
      if (g.name !== 'all' && g.parents.length === 0) this.addChild('all', g.name);
    }
    const leaveUngrouped = new Set<string>();
    for (const h of this.hosts.values()) {
      const mine = this.hostGroups(h.name);
      if (mine.has('ungrouped')) {
        if ([...mine].some((g) => g !== 'all' && g !== 'ungrouped')) leaveUngrouped.add(h.name);
      } else if (mine.size === 0 || (mine.size === 1 && mine.has('all'))) {
        this.addHost(h.name, 'ungrouped');
      }
    }
    this.removeHostsFromGroup('ungrouped', leaveUngrouped);
    for (const name of this.hosts.keys()) {
      if (this.groups.has(name)) this.warn(`Found both group and host with same name: ${name}`);
    }
  }

  /** Longest path length from 'all'. */
  depths(): Map<string, number> {
    const memo = new Map<string, number>();
    const depth = (name: string): number => {
      const known = memo.get(name);
      if (known !== undefined) return known;
      memo.set(name, 0); // cycles are rejected by addChild
      const g = this.groups.get(name)!;
      const d = g.parents.length ? Math.max(...g.parents.map((p) => depth(p) + 1)) : 0;
      memo.set(name, d);
      return d;
    };
    for (const name of this.groups.keys()) depth(name);
    return memo;
  }

  /** Group.get_descendants(include_self, preserve_ordering), level by level. */
  descendantsOrdered(name: string): string[] {
    const g = this.groups.get(name)!;
    const ordered = [name, ...g.children];
    const seen = new Set<string>();
    let unprocessed = [name, ...g.children];
    while (unprocessed.length) {
      for (const u of unprocessed) seen.add(u);
      const next: string[] = [];
      for (const u of unprocessed) {
        for (const c of this.groups.get(u)!.children) {
          if (!next.includes(c)) next.push(c);
          if (!seen.has(c) && !ordered.includes(c)) ordered.push(c);
        }
      }
      unprocessed = next.filter((c) => !seen.has(c));
    }
    return ordered;
  }

  /** Group.get_hosts(): hosts of the group and its descendants, inventory order. */
  groupHosts(name: string): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    for (const g of this.descendantsOrdered(name)) {
      for (const h of this.groups.get(g)!.hosts) {
        if (!seen.has(h)) {
          seen.add(h);
          out.push(h);
        }
      }
    }
    return out;
  }
}
