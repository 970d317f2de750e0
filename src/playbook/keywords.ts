/** Keyword sets of plays, tasks, blocks, includes and role entries. */

export const PLAY_KEYWORDS = [
  'name',
  'hosts',
  'vars',
  'vars_files',
  'roles',
  'pre_tasks',
  'tasks',
  'post_tasks',
  'handlers',
  'serial',
  'max_fail_percentage',
  'any_errors_fatal',
  'gather_facts',
  'become',
  'become_user',
  'become_method',
  'environment',
  'connection',
  'remote_user',
  'port',
  'tags',
  'strategy',
  'ignore_errors',
  'ignore_unreachable',
  'check_mode',
  'diff',
  'no_log',
] as const;

/** Keywords of a task that calls a module. */
export const TASK_KEYWORDS = [
  'name',
  'args',
  'when',
  'loop',
  'with_items',
  'loop_control',
  'register',
  'notify',
  'delegate_to',
  'run_once',
  'tags',
  'retries',
  'delay',
  'until',
  'ignore_errors',
  'ignore_unreachable',
  'changed_when',
  'failed_when',
  'environment',
  'become',
  'become_user',
  'become_method',
  'vars',
  'check_mode',
  'diff',
  'no_log',
  'listen',
] as const;

/** Keywords a block (and import_tasks) carries down to its tasks. */
export const INHERITED_KEYWORDS = [
  'name',
  'when',
  'tags',
  'become',
  'become_user',
  'become_method',
  'environment',
  'vars',
  'ignore_errors',
  'ignore_unreachable',
  'check_mode',
  'diff',
  'no_log',
  'delegate_to',
  'run_once',
] as const;

export const BLOCK_KEYWORDS = [...INHERITED_KEYWORDS, 'block', 'rescue', 'always'] as const;
export const IMPORT_KEYWORDS = [...INHERITED_KEYWORDS, 'import_tasks'] as const;
export const INCLUDE_KEYWORDS = [...INHERITED_KEYWORDS, 'include_tasks', 'loop', 'with_items', 'loop_control'] as const;

/** Keywords of a `roles:` entry; every other key is a role parameter. */
export const ROLE_ENTRY_KEYWORDS = [
  'role',
  'name',
  'vars',
  'tags',
  'when',
  'become',
  'become_user',
  'become_method',
  'environment',
  'ignore_errors',
  'ignore_unreachable',
  'check_mode',
  'diff',
  'no_log',
] as const;

export const IMPORT_PLAYBOOK_KEYWORDS = ['import_playbook', 'name', 'tags', 'vars', 'when'] as const;

/** Ansible keywords wheelwright knows but does not support, with what to do instead. */
export const UNSUPPORTED: Record<string, string> = {
  vars_prompt: "'vars_prompt' is not supported; pass variables with -e instead",
  remote_user: "'remote_user' is supported on plays only; set ansible_user for a host",
  port: "'port' is supported on plays only; set ansible_port for a host",
  local_action: "'local_action' is not supported; use delegate_to: localhost",
  action: "'action' is not supported; write the module name as the task's key",
  async: "'async' is not supported",
  poll: "'poll' is not supported",
  throttle: "'throttle' is not supported",
  timeout: "'timeout' is not supported",
  debugger: "'debugger' is not supported",
  collections: "'collections' is not supported; write module names (or ansible.builtin.* names) directly",
  module_defaults: "'module_defaults' is not supported",
  order: "'order' is not supported",
  force_handlers: "'force_handlers' is not supported",
  gather_subset: "'gather_subset' is not supported",
  gather_timeout: "'gather_timeout' is not supported",
  fact_path: "'fact_path' is not supported",
  become_flags: "'become_flags' is not supported",
  become_exe: "'become_exe' is not supported",
  include: "'include' is not supported; use import_tasks or include_tasks",
  include_role: "'include_role' is not supported; list the role under the play's 'roles'",
  import_role: "'import_role' is not supported; list the role under the play's 'roles'",
};

/** `with_*` lookups other than with_items. */
export function unsupportedWith(key: string): string | undefined {
  if (key.startsWith('with_') && key !== 'with_items') return `'${key}' is not supported; use loop`;
  return undefined;
}

const FQ = /^ansible\.(builtin|legacy)\./;

/** `ansible.builtin.import_tasks` → `import_tasks` (for the few keywords that are modules in Ansible). */
export function shortKeyword(key: string): string {
  const s = key.replace(FQ, '');
  return s === 'import_tasks' || s === 'include_tasks' || s === 'import_playbook' ? s : key;
}
