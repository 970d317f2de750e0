import type { ModuleDef } from './types.js';

/** 'host:port', '[v6]:port' or a bare name (Ansible's parse_address, without ranges). */
function splitAddress(text: string): { name: string; port?: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (v6) return { name: v6[1]!, port: v6[2] ? Number(v6[2]) : undefined };
  const m = /^([^:]+):(\d+)$/.exec(text);
  if (m) return { name: m[1]!, port: Number(m[2]) };
  return { name: text };
}

/**
 * add_host: add a host (and its groups and variables) to the run's in-memory inventory, as
 * Ansible's add_host action does: it runs once per play (not per host), later tasks and plays see
 * the host, its groups and variables; `changed` says whether the inventory changed.
 */
export const addHostModule: ModuleDef<Record<string, unknown>> = {
  name: 'add_host',
  description: "Add a host (with groups and variables) to the run's in-memory inventory, for later plays.",
  notes:
    'Runs on the controller, once per play batch (as Ansible\'s BYPASS_HOST_LOOP; use a loop for several hosts). Every argument besides `name` and `groups` becomes a host variable (`ansible_host`, `ansible_port`, `ansible_user`, anything); `name: host:2222` sets `ansible_ssh_port`. A host joining a group gets that group\'s variables (inventory and group_vars) below its own.',
  controllerOnly: true,
  bypassHostLoop: true,
  anyArgs: true,
  checkMode: 'full',
  argSpec: {
    // Ansible's aliases are read by the action itself: `hostname`/`host` for name, `groupname`/`group`
    // for groups; `host` and `group` also become host variables, as there
    name: { type: 'str', description: 'the host name (an optional :port sets ansible_ssh_port); also `hostname` or `host`' },
    groups: { type: 'raw', description: 'groups to add the host to (created when missing): a list or a comma-separated string; also `groupname` or `group`' },
  },
  returns: { add_host: '{host_name, groups, host_vars}: what was added' },
  async run(args, ctx) {
    const raw = args.name ?? args.hostname ?? args.host;
    if (raw === undefined || raw === null) return { changed: false, failed: true, msg: 'name, host or hostname needs to be provided' };
    const { name, port } = splitAddress(String(raw));
    const hostVars: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(args)) {
      if (['name', 'hostname', 'groups', 'groupname', '_raw_params'].includes(k)) continue;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) return { changed: false, failed: true, msg: `invalid variable name '${k}': only letters, digits and underscores, not starting with a digit` };
      hostVars[k] = v;
    }
    if (port !== undefined) hostVars.ansible_ssh_port = port;
    const g = args.groupname ?? args.groups ?? args.group ?? '';
    let list: unknown[];
    if (Array.isArray(g)) list = g;
    else if (typeof g === 'string') list = g === '' ? [] : g.split(',');
    else return { changed: false, failed: true, msg: 'Groups must be specified as a list.' };
    const groups: string[] = [];
    for (const x of list) {
      const s = String(x);
      if (!groups.includes(s)) groups.push(s.trim());
    }
    const addHost = { host_name: name, groups, host_vars: hostVars };
    if (!ctx.inventory) return { changed: false, add_host: addHost };
    const changed = ctx.inventory.addHost(name, hostVars, groups);
    return { changed, add_host: addHost };
  },
};
