import type { ArgSpec } from '../types.js';

/** Ansible's file common arguments (add_file_common_args), as the Python prelude's file_attrs() applies them. */
export const FILE_COMMON_ARGS: ArgSpec = {
  mode: { type: 'mode', description: "permissions: octal ('0644') or symbolic ('u+rw,g-w'); unchanged when omitted" },
  owner: { type: 'str', description: 'owner name or uid; unchanged when omitted' },
  group: { type: 'str', description: 'group name or gid; unchanged when omitted' },
  unsafe_writes: { type: 'bool', default: false, description: 'accepted for compatibility: wheelwright always writes atomically' },
};
