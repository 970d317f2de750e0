/**
 * Per-host variable merge in Ansible's order (VariableManager.get_vars, default VARIABLE_PRECEDENCE):
 *   all (inventory) < groups (inventory) < group_vars/all next to each source < group_vars/all next to the playbook
 *   < group_vars/<group> next to each source < group_vars/<group> next to the playbook
 *   < host (inventory) < host_vars/<host> next to each source < host_vars/<host> next to the playbook.
 * Groups are taken in (depth, ansible_group_priority, name) order; dicts are replaced, not merged.
 */
import type { Vars } from './types.js';
import type { VarsFileLoader } from './vars-files.js';

export interface GroupInfo {
  vars: Vars;
  depth: number;
  priority: number;
}

/** Ansible's sort_groups: (depth, priority, name). */
export function sortGroups(names: Iterable<string>, info: (name: string) => GroupInfo): string[] {
  return [...names].sort((a, b) => {
    const ia = info(a);
    const ib = info(b);
    if (ia.depth !== ib.depth) return ia.depth - ib.depth;
    if (ia.priority !== ib.priority) return ia.priority - ib.priority;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

export interface MergeContext {
  /** Directories whose group_vars/host_vars belong to the inventory (one per file/dir source, in order). */
  inventoryDirs: string[];
  /** Playbook directory (its group_vars/host_vars win over the inventory's). */
  playbookDir?: string;
  loader: VarsFileLoader;
  group: (name: string) => GroupInfo;
}

export function mergeHostVars(ctx: MergeContext, host: string, hostVars: Vars, hostGroups: Iterable<string>): Vars {
  const groups = sortGroups([...hostGroups].filter((g) => g !== 'all'), ctx.group);
  const play = ctx.playbookDir === undefined ? [] : [ctx.playbookDir];
  const fromDirs = (dirs: string[], subdir: 'group_vars' | 'host_vars', names: string[]): Vars => {
    let out: Vars = {};
    for (const dir of dirs) for (const n of names) out = { ...out, ...ctx.loader.varsFor(dir, subdir, n) };
    return out;
  };
  let all: Vars = { ...ctx.group('all').vars };
  for (const g of groups) all = { ...all, ...ctx.group(g).vars };
  all = { ...all, ...fromDirs(ctx.inventoryDirs, 'group_vars', ['all']) };
  all = { ...all, ...fromDirs(play, 'group_vars', ['all']) };
  all = { ...all, ...fromDirs(ctx.inventoryDirs, 'group_vars', groups) };
  all = { ...all, ...fromDirs(play, 'group_vars', groups) };
  all = { ...all, ...hostVars };
  all = { ...all, ...fromDirs(ctx.inventoryDirs, 'host_vars', [host]) };
  all = { ...all, ...fromDirs(play, 'host_vars', [host]) };
  return structuredClone(all);
}
