import { randomBytes } from 'node:crypto';
import type { Inventory } from '../inventory/index.js';
import { groupsMap, groupNames } from '../inventory/index.js';
import { onInventoryChange } from '../inventory/dynamic.js';
import { buildHostScope } from '../vars/precedence.js';
import { markPlain } from '../template/lazy.js';
import type { Play, Task } from '../playbook/types.js';
import type { HostState } from './host-state.js';

/** Everything shared by all hosts of one run. */
export interface RunShared {
  inventory: Inventory;
  extraVars: Record<string, unknown>;
  states: Map<string, HostState>;
  playbookDir: string;
  check: boolean;
  verbosity: number;
  omit: string;
  /** set (to the signal's name) once the run is interrupted: no new task starts */
  interrupted?: string;
  /** resolves when the run is interrupted (cuts retry delays short) */
  interruption: Promise<void>;
}

export function newOmit(): string {
  return `__omit_place_holder__${randomBytes(8).toString('hex')}`;
}

/** Inventory + facts + registered vars of a host: what `hostvars[host]` shows. */
export function hostvarsOf(shared: Pick<RunShared, 'inventory' | 'states' | 'extraVars'>, host: string): Record<string, unknown> {
  const inv = shared.inventory.hosts.get(host);
  const state = shared.states.get(host);
  return buildHostScope({
    inventory: inv?.vars ?? {},
    facts: state ? factLayer(state.facts) : {},
    hostState: state?.registered ?? {},
    extraVars: shared.extraVars,
    magic: { inventory_hostname: host, inventory_hostname_short: host.split('.')[0], group_names: groupNames(shared.inventory, host) },
  });
}

/** Facts are visible as ansible_facts.x and as ansible_x, like Ansible's INJECT_FACTS_AS_VARS. */
export function factLayer(facts: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ansible_facts: stripPrefix(facts) };
  for (const [k, v] of Object.entries(facts)) out[k.startsWith('ansible_') ? k : `ansible_${k}`] = v;
  return out;
}

function stripPrefix(facts: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(facts)) out[k.replace(/^ansible_/, '')] = v;
  return out;
}

const groupsCache = new WeakMap<Inventory, Record<string, string[]>>();
const groupsWatched = new WeakSet<Inventory>();

/** The `groups` magic variable, built once per inventory and shared (read-only) by every host. */
export function sharedGroups(inv: Inventory): Record<string, string[]> {
  let g = groupsCache.get(inv);
  if (!g) {
    if (!groupsWatched.has(inv)) {
      // add_host / group_by change the inventory during the run
      groupsWatched.add(inv);
      onInventoryChange(inv, () => groupsCache.delete(inv));
    }
    g = groupsMap(inv);
    for (const hosts of Object.values(g)) Object.freeze(markPlain(hosts));
    groupsCache.set(inv, (g = Object.freeze(markPlain(g))));
  }
  return g;
}

const hostvarsCache = new WeakMap<RunShared, Record<string, unknown>>();

/** The `hostvars` magic variable: one lazy view per run, each host's vars built on access. */
export function sharedHostvars(shared: RunShared): Record<string, unknown> {
  let hv = hostvarsCache.get(shared);
  if (!hv) {
    hv = markPlain(
      new Proxy({} as Record<string, unknown>, {
        get: (_t, name) => (typeof name === 'string' && shared.inventory.hosts.has(name) ? hostvarsOf(shared, name) : undefined),
        has: (_t, name) => typeof name === 'string' && shared.inventory.hosts.has(name),
        ownKeys: () => [...shared.inventory.hosts.keys()],
        getOwnPropertyDescriptor: (_t, name) =>
          typeof name === 'string' && shared.inventory.hosts.has(name)
            ? { configurable: true, enumerable: true, value: hostvarsOf(shared, name) }
            : undefined,
      }),
    );
    hostvarsCache.set(shared, hv);
  }
  return hv;
}

/** The scope a task sees on a host, in the documented precedence order. */
export function taskScope(
  shared: RunShared,
  play: Play,
  host: string,
  task: Task | undefined,
  extra: {
    playHosts: string[];
    batch: string[];
    loopVars?: Record<string, unknown>;
    includeVars?: Record<string, unknown>;
    /** the public roles' defaults and vars (every task of the play sees them, below its own role's) */
    playRoles?: { defaults: Record<string, unknown>; vars: Record<string, unknown> };
  },
): Record<string, unknown> {
  const inv = shared.inventory.hosts.get(host);
  const state = shared.states.get(host)!;
  const role = task?.role;
  const hostvars = sharedHostvars(shared);
  return buildHostScope({
    roleDefaults: layered(extra.playRoles?.defaults, role?.defaults),
    inventory: inv?.vars ?? {},
    facts: factLayer(state.facts),
    playVars: play.vars,
    varsFiles: play.varsFiles,
    roleVars: layered(extra.playRoles?.vars, role ? layered(role.vars, role.params) : undefined),
    hostState: state.registered,
    taskVars: { ...(task?.vars ?? {}), ...(extra.includeVars ?? {}), ...(extra.loopVars ?? {}) },
    extraVars: shared.extraVars,
    magic: {
      inventory_hostname: host,
      inventory_hostname_short: host.split('.')[0],
      groups: sharedGroups(shared.inventory),
      group_names: groupNames(shared.inventory, host),
      hostvars,
      playbook_dir: shared.playbookDir,
      role_path: role?.path,
      role_name: role?.name,
      ansible_check_mode: shared.check,
      ansible_verbosity: shared.verbosity,
      ansible_play_hosts: markPlain(extra.playHosts),
      ansible_play_batch: markPlain(extra.batch),
      ansible_play_name: play.name,
      omit: shared.omit,
    },
  });
}

const EMPTY: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/** `top` over `base`, copying only when both have something. */
function layered(base: Record<string, unknown> | undefined, top: Record<string, unknown> | undefined): Record<string, unknown> {
  const b = base && Object.keys(base).length ? base : undefined;
  const t = top && Object.keys(top).length ? top : undefined;
  if (b && t) return { ...b, ...t };
  return t ?? b ?? EMPTY;
}
