import type { SourcePos } from '../errors.js';

/**
 * One use of a role (a `roles:` entry, a meta dependency, import_role or include_role): where its
 * files live, for templates/files lookups, and its variables as Ansible layers them.
 */
export interface RoleInfo {
  name: string;
  path: string;
  /** What the role's own tasks see: dependencies' defaults < parents' defaults < its defaults (or defaults_from). */
  defaults: Record<string, unknown>;
  /** What the role's own tasks see: parents' vars < dependencies' vars < `vars:` of the entry < its vars (or vars_from). */
  vars: Record<string, unknown>;
  /** Role parameters (`roles: [{role: x, p: 1}]`), the parents' first: above the role's vars. */
  params: Record<string, unknown>;
  /**
   * What the role gives the whole play when it is public (`roles:`, import_role, include_role
   * with `public: true`): its defaults and vars with its dependencies', without parameters.
   */
  exportDefaults?: Record<string, unknown>;
  exportVars?: Record<string, unknown>;
}

/** include_role at run time: what to load (name and *_from may be templates). */
export interface IncludeRoleSpec {
  name: string;
  tasksFrom?: string;
  varsFrom?: string;
  defaultsFrom?: string;
  handlersFrom?: string;
  /** the role's vars and defaults stay visible to the play after the include (default false) */
  public: boolean;
  /** run the role again even if it ran with the same parameters (default true, as Ansible) */
  allowDuplicates: boolean;
}

export interface LoopControl {
  label?: string;
  loopVar?: string; // default 'item'
  indexVar?: string;
  /** `ansible_loop` (index, first, last, revindex, previtem, nextitem, allitems...) defined per item; may be a template */
  extended?: boolean | string;
  /** with extended: ansible_loop.allitems too (default true); may be a template */
  extendedAllitems?: boolean | string;
  /** seconds between items; may be a template */
  pause?: number | string;
}

/** One validated task (or block). Values may still hold Jinja templates (parsed at load), rendered per host. */
export interface Task {
  kind: 'task' | 'block' | 'include';
  name?: string;
  pos: SourcePos;
  /** kind 'task': canonical module name and its raw (unrendered) args. */
  module?: string;
  args: Record<string, unknown>;
  /** kind 'block' */
  block?: Task[];
  rescue?: Task[];
  always?: Task[];
  /** kind 'include': include_tasks file (may be templated), resolved at run time. */
  include?: { file: string; baseDir: string; /** the file as written (its registered `include`) */ written?: string };
  /** kind 'include': include_role, loaded at run time (when/loop evaluated once for the include). */
  includeRole?: IncludeRoleSpec;
  when: string[]; // all must hold (strings are expressions; booleans become 'true'/'false')
  loop?: unknown; // list or a template string rendering to one (with loopWith: the lookup's terms)
  /** `with_<lookup>:` the lookup run on the (templated) terms in `loop`, giving the items */
  loopWith?: string;
  loopControl?: LoopControl;
  register?: string;
  notify: string[];
  delegateTo?: string;
  runOnce: boolean;
  /** at most this many hosts run the task at once */
  throttle?: number;
  /** `timeout:` seconds each attempt of the module may take (0/unset: no limit) */
  timeout?: number;
  /** the module's name as written, when it is not `module` (`ansible.builtin.shell`): Ansible's words name it */
  action?: string;
  /** task/block `connection`, `remote_user`, `port` (over the play's; the host's ansible_* variables win) */
  connection?: string;
  remoteUser?: string;
  port?: number;
  tags: string[]; // own + inherited (role, block, play, import)
  retries?: number;
  delay?: number; // seconds
  /** all must hold */
  until?: string[];
  /** `async:` seconds the job may run; with `poll: 0` it runs in the background */
  async?: number;
  poll?: number;
  ignoreErrors: boolean;
  ignoreUnreachable: boolean;
  /** task/block any_errors_fatal: this task failing stops the play for every host */
  anyErrorsFatal?: boolean;
  /** with delegate_to: facts the task returns go to the delegated host */
  delegateFacts?: boolean;
  changedWhen?: string[];
  failedWhen?: string[];
  environment: Record<string, unknown>; // merged play < block < task
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: 'sudo' | 'su';
  vars: Record<string, unknown>; // block + task vars
  role?: RoleInfo;
  /** handlers only */
  listen: string[];
  /** check_mode / diff overrides per task */
  checkMode?: boolean;
  diff?: boolean;
  noLog: boolean;
  /**
   * Keywords written as templates (`ignore_errors: "{{ x }}"`), by keyword name: rendered per
   * host (and loop item) when the task runs, as Ansible does; they win over the typed fields.
   */
  templated?: Record<string, string>;
  /** module_defaults in effect (blocks hand them down; module tasks have them merged into args at load) */
  moduleDefaults?: Record<string, Record<string, unknown>>;
}

export interface Play {
  name: string;
  pos: SourcePos;
  hosts: string; // pattern
  vars: Record<string, unknown>;
  /** already loaded vars_files content, in order (later wins) */
  varsFiles: Record<string, unknown>[];
  roles: RoleInfo[];
  /** pre_tasks, role tasks, tasks, post_tasks: flattened in Ansible's order, with role set on role tasks */
  preTasks: Task[];
  roleTasks: Task[];
  tasks: Task[];
  postTasks: Task[];
  /** play handlers + role handlers */
  handlers: Task[];
  /**
   * Identities of the roles that run statically in the play (roles:, meta dependencies,
   * import_role): a dependency of an include_role that already ran with the same parameters is
   * not run again (unless the role allows duplicates), as in Ansible.
   */
  roleKeys?: string[];
  /** roles (and handlers files) whose handlers are in `handlers` */
  roleHandlerKeys?: string[];
  serial: Array<number | string>; // e.g. [1, '50%']; empty = all at once
  maxFailPercentage?: number;
  anyErrorsFatal: boolean;
  gatherFacts: boolean;
  /** undefined: not set in the play (the CLI's -b then applies) */
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: 'sudo' | 'su';
  environment: Record<string, unknown>;
  connection?: 'local' | 'ssh';
  /** `remote_user:` (or the old `user:`) and `port:` of the play: below the hosts' ansible_user/ansible_port */
  remoteUser?: string;
  port?: number;
  /**
   * Play keywords written as templates (`serial: "{{ batch }}"`): rendered when the play starts,
   * with the play's vars, vars_files and extra vars, as Ansible does.
   */
  templated?: Partial<Record<'serial' | 'max_fail_percentage' | 'any_errors_fatal' | 'gather_facts' | 'become' | 'strategy', string>>;
  /** `force_handlers:` of the play; unset: --force-handlers / the force_handlers setting */
  forceHandlers?: boolean;
  /** `strategy:` of the play; unset: the configured one (ANSIBLE_STRATEGY), else linear */
  strategy?: 'linear' | 'free';
  tags: string[];
  /** Directory of the playbook file, for relative lookups. */
  baseDir: string;
  /** `vars_prompt:` entries: taken from extra vars, else their default (never asked) */
  varsPrompt?: Array<{ name: string; default?: unknown; prompt?: string }>;
  /** the keywords written on the play (configuration defaults apply to the others) */
  keywordsSet?: string[];
}

export interface Playbook {
  file: string;
  baseDir: string;
  plays: Play[];
}
