/**
 * Every play, block, task and role keyword, declared once: the loader's keyword sets, the
 * "not supported" messages, docs/keywords.md and the JSON Schema all come from KEYWORDS.
 *
 * `ansible` is where ansible-core accepts the keyword (its FieldAttributes; checked against
 * ansible-core by test/unit/keywords.test.ts), `wheelwright` where wheelwright supports it.
 */
import { hasLookup } from '../template/jinja/lookups.js';

/** Where a keyword may appear. `include`/`import`: on include_tasks / import_tasks entries. */
export type Place = 'play' | 'block' | 'task' | 'handler' | 'role' | 'include' | 'import';

export type KeywordType = 'string' | 'bool' | 'int' | 'percent' | 'list' | 'dict' | 'tasks' | 'pattern' | 'condition' | 'any';

export interface KeywordDecl {
  name: string;
  type: KeywordType;
  /** where Ansible accepts it */
  ansible: readonly Place[];
  /** where wheelwright supports it (empty: not supported at all) */
  wheelwright: readonly Place[];
  /** Ansible renders templates in its value (not a static or structural keyword) */
  templatable: boolean;
  /** wheelwright renders templates in its value today (per host, at run time) */
  templated?: boolean;
  /** Ansible's default, when it has one */
  default?: unknown;
  /** inherited down play → role → block → task (Ansible's FieldAttribute inheritance) */
  inherited: boolean;
  doc: string;
  /** for an Ansible keyword wheelwright lacks (somewhere): what to do instead */
  instead?: string;
  /**
   * Simple task/block/role-entry keywords: the loader reads them from this declaration alone
   * (its `type`: bool, int or string) into this property of the task model; a bool or int
   * written as a template is kept and rendered per host (per loop item) at run time.
   */
  field?: string;
}

const ALL: readonly Place[] = ['play', 'block', 'task', 'handler', 'role'];
const PBTH: readonly Place[] = ['play', 'block', 'task', 'handler', 'include', 'import'];
const TH: readonly Place[] = ['task', 'handler'];
const BLOCKISH: readonly Place[] = ['block', 'task', 'handler', 'include', 'import'];
const INHERITING: readonly Place[] = ['play', 'block', 'task', 'handler', 'role', 'include', 'import'];

const kw = (name: string, type: KeywordType, ansible: readonly Place[], wheelwright: readonly Place[], o: Partial<KeywordDecl> & { doc: string }): KeywordDecl => ({
  name, type, ansible, wheelwright, templatable: true, inherited: false, ...o,
});

export const KEYWORDS: readonly KeywordDecl[] = [
  kw('name', 'string', ALL, INHERITING, { default: '', templated: true, doc: 'Name shown in the output; may use variables.' }),
  kw('hosts', 'pattern', ['play'], ['play'], { templated: true, doc: 'Host pattern (a list is joined with `:`); templates see extra vars.' }),
  kw('vars', 'dict', ALL, INHERITING, { templatable: false, templated: true, doc: 'Variables (their values are templated lazily, when used).' }),
  kw('vars_files', 'list', ['play'], ['play'], { templatable: false, doc: 'Variable files, loaded before the play; a list entry means the first file that exists.' }),
  kw('vars_prompt', 'list', ['play'], ['play'], { templatable: false, doc: 'Variables asked for before the play: wheelwright never asks; it takes them from -e, else their `default`, else stops with an error naming them.' }),
  kw('roles', 'list', ['play'], ['play'], { templatable: false, doc: 'Roles to run before tasks.' }),
  kw('pre_tasks', 'tasks', ['play'], ['play'], { templatable: false, doc: 'Tasks before the roles.' }),
  kw('tasks', 'tasks', ['play'], ['play'], { templatable: false, doc: 'The play\'s tasks, after the roles.' }),
  kw('post_tasks', 'tasks', ['play'], ['play'], { templatable: false, doc: 'Tasks after `tasks`.' }),
  kw('handlers', 'tasks', ['play'], ['play'], { templatable: false, doc: 'Handlers, run when notified.' }),
  kw('block', 'tasks', ['block'], ['block'], { templatable: false, doc: 'Tasks of a block.' }),
  kw('rescue', 'tasks', ['block'], ['block'], { templatable: false, doc: 'Tasks run when a task of the block failed.' }),
  kw('always', 'tasks', ['block'], ['block'], { templatable: false, doc: 'Tasks run after the block, failed or not.' }),
  kw('serial', 'list', ['play'], ['play'], { templated: true, doc: 'Batch sizes: a number, a percentage or a list of them.' }),
  kw('max_fail_percentage', 'percent', ['play'], ['play'], { templated: true, doc: 'Stop the play when more than this percentage of a batch failed.' }),
  kw('any_errors_fatal', 'bool', ALL, ['play', 'block', 'task', 'handler', 'include', 'import'], { field: 'anyErrorsFatal', templated: true, default: false, inherited: true, doc: 'A failed host stops the play for every host (on a task or block: when that task fails).', instead: 'set it on the play, block or task' }),
  kw('gather_facts', 'bool', ['play'], ['play'], { templated: true, doc: 'Gather facts first (default true, or the `gathering` setting).' }),
  kw('gather_subset', 'list', ['play'], [], { doc: 'Which facts to gather.', instead: 'facts are gathered in one fixed set' }),
  kw('gather_timeout', 'int', ['play'], [], { doc: 'Timeout of fact gathering.', instead: 'use -T for the connection timeout' }),
  kw('fact_path', 'string', ['play'], [], { doc: 'Directory of local facts.', instead: 'set facts with set_fact' }),
  kw('strategy', 'string', ['play'], ['play'], { templated: true, default: 'linear', doc: '`linear` (default) or `free`.' }),
  kw('order', 'string', ['play'], [], { doc: 'Order of the hosts.', instead: 'hosts run in inventory order' }),
  kw('force_handlers', 'bool', ['play'], ['play'], { doc: 'Run notified handlers on failed hosts too (default: --force-handlers / the force_handlers setting).' }),
  kw('connection', 'string', ALL, PBTH, { field: 'connection', templated: true, inherited: true, doc: '`ssh` or `local`; a host\'s ansible_connection wins (inner levels over outer ones, over -c).', instead: 'set it on the play, block or task' }),
  kw('remote_user', 'string', ALL, PBTH, { field: 'remoteUser', templated: true, inherited: true, doc: 'User to connect as; a host\'s ansible_user wins (inner levels over outer ones, over -u).', instead: 'set it on the play, block or task' }),
  kw('port', 'int', ALL, PBTH, { field: 'port', templated: true, inherited: true, doc: 'SSH port; a host\'s ansible_port wins (inner levels over outer ones).', instead: 'set it on the play, block or task' }),
  kw('become', 'bool', ALL, INHERITING, { field: 'become', inherited: true, templated: true, doc: 'Privilege escalation; a host\'s ansible_become wins.' }),
  kw('become_user', 'string', ALL, INHERITING, { field: 'becomeUser', inherited: true, templated: true, doc: 'User to become (default root); a host\'s ansible_become_user wins.' }),
  kw('become_method', 'string', ALL, INHERITING, { templated: true, inherited: true, doc: '`sudo` (default) or `su`; a host\'s ansible_become_method wins.' }),
  kw('become_exe', 'string', ALL, [], { inherited: true, doc: 'Become executable.', instead: 'sudo and su are run from PATH' }),
  kw('become_flags', 'string', ALL, [], { inherited: true, doc: 'Extra become flags.' }),
  kw('environment', 'dict', ALL, INHERITING, { inherited: true, templated: true, doc: 'Environment variables of the tasks (inner ones win).' }),
  kw('tags', 'list', ALL, INHERITING, { inherited: true, doc: 'Tags, for --tags/--skip-tags.' }),
  kw('ignore_errors', 'bool', ALL, INHERITING, { templated: true, field: 'ignoreErrors', inherited: true, doc: 'A failure does not stop the host.' }),
  kw('ignore_unreachable', 'bool', ALL, INHERITING, { templated: true, field: 'ignoreUnreachable', inherited: true, doc: 'An unreachable host continues with the next task.' }),
  kw('check_mode', 'bool', ALL, INHERITING, { templated: true, field: 'checkMode', inherited: true, doc: 'Force check mode on (or off) for the tasks.' }),
  kw('diff', 'bool', ALL, INHERITING, { templated: true, field: 'diff', inherited: true, doc: 'Force diff on (or off) for the tasks.' }),
  kw('no_log', 'bool', ALL, INHERITING, { templated: true, field: 'noLog', default: false, inherited: true, doc: 'Hide results from every output.' }),
  kw('run_once', 'bool', ALL, PBTH, { templated: true, field: 'runOnce', inherited: true, doc: 'Run on the first host (in inventory order) only; the others share the result.', instead: 'set it on the play or the tasks' }),
  kw('throttle', 'int', ALL, PBTH, { field: 'throttle', templated: true, inherited: true, doc: 'Limit of hosts running the task at once (below the forks limit).', instead: 'set it on the play, block or task' }),
  kw('timeout', 'int', ALL, INHERITING, { field: 'timeout', templated: true, inherited: true, default: 0, doc: 'Seconds each attempt of a task\'s module may take (0: no limit); past it the module\'s commands are killed (locally or on the host, with their process groups) and the task fails with Ansible\'s words, without retries or changed_when/failed_when.' }),
  kw('debugger', 'string', ALL, [], { inherited: true, doc: 'Task debugger.' }),
  kw('collections', 'list', ALL, [], { templatable: false, inherited: true, doc: 'Collections searched for module names.', instead: 'write module names (or ansible.builtin.* names) directly' }),
  kw('module_defaults', 'dict', ALL, PBTH, { templated: true, inherited: true, doc: 'Default arguments per module (short or FQCN name; a list of mappings merges, inner levels replace a module\'s entry); `group/...` keys are accepted and apply to no wheelwright module.', instead: 'set it on the play, block or task' }),
  kw('when', 'condition', ['block', 'task', 'handler', 'role'], ['block', 'task', 'handler', 'role', 'include', 'import'], { templated: true, inherited: true, doc: 'Run only when all these conditions hold.' }),
  kw('delegate_to', 'string', BLOCKISH, BLOCKISH, { field: 'delegateTo', inherited: true, templated: true, doc: 'Run the task on another host.' }),
  kw('delegate_facts', 'bool', BLOCKISH, TH, { templated: true, field: 'delegateFacts', inherited: true, doc: 'Give the facts a delegated task returns to the delegated host.', instead: 'set it on the tasks' }),
  kw('notify', 'list', ['block', 'task', 'handler'], ['block', 'task', 'handler'], { inherited: true, doc: 'Handlers to notify when the task changed something; on a block, for its tasks without a notify of their own (the nearest one wins).' }),
  kw('args', 'dict', TH, TH, { templated: true, doc: 'Module arguments (besides those under the module name).' }),
  kw('action', 'string', TH, TH, { doc: 'The module and its arguments as one string (`copy src=a dest=b`), or a mapping with `module` and the arguments.' }),
  kw('local_action', 'string', TH, TH, { doc: 'As `action`, run on the controller (delegate_to: localhost).' }),
  kw('loop', 'any', TH, ['task', 'handler', 'include'], { templated: true, doc: 'Run the task once per item (`item`).' }),
  kw('with_items', 'any', TH, ['task', 'handler', 'include'], { templated: true, doc: 'Loop over a list flattened one level (the `items` lookup); every `with_<lookup>` (dict, list, nested, together, indexed_items, sequence, subelements, fileglob, first_found, ...) loops over what that lookup returns.' }),
  kw('loop_control', 'dict', TH, ['task', 'handler', 'include'], { doc: '`label`, `loop_var`, `index_var`, `extended` (`ansible_loop`), `extended_allitems`, `pause`.' }),
  kw('register', 'string', TH, ['task', 'handler', 'include'], { templatable: false, doc: 'Keep the result under this variable name (on include_tasks/include_role: the include\'s result, `include`, `include_args`).' }),
  kw('retries', 'int', TH, TH, { templated: true, field: 'retries', default: 3, doc: 'Attempts for `until` (and retries on failure).' }),
  kw('delay', 'int', TH, TH, { templated: true, default: 5, doc: 'Seconds between attempts.' }),
  kw('until', 'condition', TH, TH, { templated: true, doc: 'Retry until this condition (or all of a list of them) holds.' }),
  kw('changed_when', 'condition', TH, TH, { templated: true, doc: 'When the task counts as changed.' }),
  kw('failed_when', 'condition', TH, TH, { templated: true, doc: 'When the task counts as failed.' }),
  kw('async', 'int', TH, TH, { field: 'async', templated: true, default: 0, doc: 'Run the task as a job of at most this many seconds (then it fails, killed: `Timeout exceeded`).' }),
  kw('poll', 'int', TH, TH, { field: 'poll', templated: true, default: 15, doc: 'With `async`: 0 starts the job in the background (register it; check it with `async_status: jid=...`); otherwise the task waits for the job (wheelwright needs no polling: the job reports when it ends).' }),
  kw('listen', 'list', ['handler'], TH, { templatable: false, doc: 'Topics a handler also answers to.' }),
  kw('role', 'string', ['role'], ['role'], { doc: 'Role name (in a `roles:` entry).' }),
];

const byName = new Map(KEYWORDS.map((k) => [k.name, k]));

/** The declaration of a keyword, if it is one. */
export function keyword(name: string): KeywordDecl | undefined {
  return byName.get(name);
}

const supportedAt = (place: Place) => KEYWORDS.filter((k) => k.wheelwright.includes(place)).map((k) => k.name);

/** Keywords of a play. */
export const PLAY_KEYWORDS: readonly string[] = supportedAt('play');

/** Keywords of a task that calls a module (handlers also `listen`). */
export const TASK_KEYWORDS: readonly string[] = supportedAt('task').concat('listen');

/** Keywords a block (and import_tasks) carries down to its tasks. */
export const INHERITED_KEYWORDS: readonly string[] = supportedAt('block').filter((k) => !['block', 'rescue', 'always'].includes(k));

export const BLOCK_KEYWORDS: readonly string[] = [...INHERITED_KEYWORDS, 'block', 'rescue', 'always'];
export const IMPORT_KEYWORDS: readonly string[] = [...supportedAt('import'), 'import_tasks'];
export const INCLUDE_KEYWORDS: readonly string[] = [...supportedAt('include'), 'include_tasks'];

/** Keywords of an import_role / include_role task (besides the action itself). */
export const ROLE_IMPORT_KEYWORDS: readonly string[] = supportedAt('import');
export const ROLE_INCLUDE_KEYWORDS: readonly string[] = supportedAt('include');

/** Keywords of a `roles:` entry; every other key is a role parameter. */
export const ROLE_ENTRY_KEYWORDS: readonly string[] = supportedAt('role');

export const IMPORT_PLAYBOOK_KEYWORDS = ['import_playbook', 'name', 'tags', 'vars', 'when'] as const;

/** Ansible actions that are keywords to wheelwright's loader, and that it does not support. */
const UNSUPPORTED_ACTIONS: Record<string, string> = {};

const notSupported = (name: string, instead?: string) => `'${name}' is an Ansible keyword that wheelwright does not support${instead ? `: ${instead}` : ''}`;

/**
 * Ansible keywords wheelwright does not support (anywhere, or where they were used), with what
 * to do instead: the loader says so instead of "unknown keyword".
 */
export const UNSUPPORTED: Record<string, string> = Object.fromEntries([
  ...KEYWORDS.filter((k) => k.ansible.some((p) => !k.wheelwright.includes(p))).map((k) => [
    k.name,
    k.wheelwright.length ? `${notSupported(k.name)} on ${describePlaces(k.ansible.filter((p) => !k.wheelwright.includes(p)))}${k.instead ? `: ${k.instead}` : ''}` : notSupported(k.name, k.instead),
  ]),
  ...Object.entries(UNSUPPORTED_ACTIONS).map(([k, v]) => [k, notSupported(k, v)]),
]);

function describePlaces(places: readonly Place[]): string {
  const names = places.map((p) => (p === 'task' || p === 'handler' ? 'tasks' : `${p}s`));
  return [...new Set(names)].join(' and ');
}

/** `with_<lookup>`: a loop over what the lookup returns (Ansible's loop_with), for every lookup wheelwright has. */
export function withLookup(key: string): string | undefined {
  const m = /^with_(.+)$/.exec(key);
  return m && hasLookup(m[1]!) ? m[1] : undefined;
}

/** `with_*` loops over lookups wheelwright does not have. */
export function unsupportedWith(key: string): string | undefined {
  if (key.startsWith('with_') && !withLookup(key)) return notSupported(key, `wheelwright has no '${key.slice(5)}' lookup; use loop`);
  return undefined;
}

const FQ = /^ansible\.(builtin|legacy)\./;

/** `ansible.builtin.import_tasks` → `import_tasks` (for the few keywords that are modules in Ansible). */
export function shortKeyword(key: string): string {
  const s = key.replace(FQ, '');
  return s === 'import_tasks' || s === 'include_tasks' || s === 'import_playbook' || s === 'import_role' || s === 'include_role' ? s : key;
}
