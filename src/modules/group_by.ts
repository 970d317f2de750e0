import type { ModuleDef } from './types.js';

/**
 * group_by: put the host into a group named by `key` (spaces become dashes), created under
 * `parents` when missing, in the run's in-memory inventory, as Ansible's group_by action does.
 */
export const groupByModule: ModuleDef<{ key: string; parents?: string[] }> = {
  name: 'group_by',
  description: "Put the host into a group named from its variables (run's in-memory inventory), for later plays.",
  notes: 'Runs on the controller for each host; `changed` is true when the host joined the group or the group joined a new parent, as in Ansible.',
  controllerOnly: true,
  checkMode: 'full',
  argSpec: {
    key: { type: 'str', required: true, description: "the group's name (usually templated, e.g. os_{{ ansible_distribution }}); spaces become '-'" },
    parents: { type: 'list', elements: 'str', default: ['all'], description: 'parent groups (created when missing)' },
  },
  returns: { add_group: 'the group name', parent_groups: 'the parent group names' },
  async run(args, ctx) {
    const group = String(args.key).replace(/ /g, '-');
    const parents = (args.parents ?? ['all']).map((p) => String(p).replace(/ /g, '-'));
    const changed = ctx.inventory ? ctx.inventory.addToGroup(ctx.host, group, parents) : false;
    return { changed, add_group: group, parent_groups: parents };
  },
};
