/** Public inventory shapes (re-exported by index.ts). */

export interface InventoryHost {
  name: string;
  /** Inventory-level merged vars for this host (Ansible precedence, see docs/inventory.md). */
  vars: Record<string, unknown>;
  /** All groups the host belongs to, incl. 'all' (and 'ungrouped' if so); Ansible's group order (depth, priority, name). */
  groups: string[];
  /** True for Ansible's implicit localhost (not in any group, not matched by 'all'). */
  implicit?: boolean;
}

export interface InventoryGroup {
  name: string;
  /** All hosts incl. via descendants, inventory order. */
  hosts: string[];
  /** Direct child groups, in definition order. */
  children: string[];
  /** Vars set on the group by inventory sources (not group_vars files). */
  vars: Record<string, unknown>;
  /** Hosts defined directly in this group. */
  directHosts?: string[];
  /** Direct parent groups. */
  parents?: string[];
  /** Created during the run (add_host, group_by). */
  dynamic?: boolean;
  /** Longest distance from 'all' (all = 0). */
  depth?: number;
  /** ansible_group_priority (default 1). */
  priority?: number;
}

export interface Inventory {
  hosts: Map<string, InventoryHost>;
  groups: Map<string, InventoryGroup>;
  sources: string[];
  /**
   * What `ansible-inventory --export` shows: a host's own variables and a group's, each with its
   * host_vars/group_vars files (no merge down the groups), without Ansible's internal variables.
   */
  exportVars?: { host(name: string): Vars; group(name: string): Vars };
  /** Non-fatal problems Ansible would print as warnings (skipped YAML keys, host/group name clashes). */
  warnings?: string[];
}

export type Vars = Record<string, unknown>;
