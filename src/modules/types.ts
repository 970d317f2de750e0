import type { BecomeOptions, Connection } from '../connection/types.js';

/** Ansible-style argument spec: validated at load time (templated strings pass) and again at run time. */
export type ArgType = 'str' | 'int' | 'bool' | 'list' | 'dict' | 'raw' | 'path' | 'mode';

export interface ArgSpecEntry {
  type: ArgType;
  required?: boolean;
  choices?: readonly string[];
  default?: unknown;
  aliases?: readonly string[];
  /** For type 'list': the type of each element. */
  elements?: ArgType;
  /** One line for docs and `wheelwright doc` (Ansible's meaning unless it says otherwise). */
  description?: string;
  /** The value is a secret: masked in results, events and logs (Ansible's no_log on an option). */
  no_log?: boolean;
}

export type ArgSpec = Record<string, ArgSpecEntry>;

export interface FileDiff {
  path?: string;
  before: string;
  after: string;
}

export interface ModuleResult {
  changed: boolean;
  failed?: boolean;
  skipped?: boolean;
  msg?: string;
  diff?: FileDiff[];
  /** Facts to merge into the host's variables (setup, set_fact). */
  ansible_facts?: Record<string, unknown>;
  /** meta module: an instruction for the runner. */
  meta?: 'flush_handlers' | 'end_play' | 'end_host' | 'noop' | 'clear_host_errors' | 'refresh_inventory';
  stdout?: string;
  stderr?: string;
  rc?: number | null;
  [key: string]: unknown;
}

export interface ModuleContext {
  /** inventory_hostname of the host the task runs for. */
  host: string;
  /** Connection the work happens on (the delegate's when delegate_to is set). */
  conn: Connection;
  /** Gathered facts of the host (ansible_* names, plus the short names without the prefix). */
  facts: Record<string, unknown>;
  check: boolean;
  diff: boolean;
  become?: BecomeOptions;
  /** Task/play `environment`, already rendered. */
  env: Record<string, string>;
  /** The host's variables as the task sees them (lazy, templated). */
  vars: Record<string, unknown>;
  /** Render a Jinja template string with the task's variables. */
  render(text: string, extraVars?: Record<string, unknown>): string;
  /** Render a template file's text: `.j2` (and anything not `.hbs`) with Jinja, trim_blocks on; `.hbs` with Handlebars. */
  renderFile(text: string, path: string, extraVars?: Record<string, unknown>): string;
  /** Evaluate a condition expression with the task's variables (assert). */
  evaluate(expr: string): unknown;
  /** Find a local file for copy src / template src: role files|templates dir, then playbook dir. */
  findFile(kind: 'files' | 'templates', name: string): string;
  /** Verbose log line (shown with -v). Never pass secrets. */
  log(msg: string): void;
  /** The phase of a long step (`building wheels on repo1`, `installing`), shown in the live view. */
  progress?(msg: string): void;
  /** Inventory groups: group name -> host names (the `groups` magic variable). */
  groups: Record<string, string[]>;
  /** Another host's variables (inventory + facts), as `hostvars[host]`. */
  hostvars(host: string): Record<string, unknown>;
  /** Connection to another inventory host: opened once per run and shared with its own tasks. */
  connectionTo(host: string): Promise<Connection>;
  /** Another host's gathered facts, gathering them once per run if needed. */
  factsOf(host: string): Promise<Record<string, unknown>>;
  /** Run-wide memo: the first caller of `key` runs `fn`; every caller gets the same promise. */
  once<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** Project-level paths: the playbook's directory (for relative lookups). */
  playbookDir: string;
  /** The run's in-memory inventory (add_host, group_by); absent outside a playbook run. */
  inventory?: {
    addHost(name: string, hostVars: Record<string, unknown>, groups: string[]): boolean;
    addToGroup(host: string, group: string, parents: string[]): boolean;
  };
}

export interface ModuleDef<A = Record<string, unknown>> {
  name: string;
  aliases?: readonly string[];
  /**
   * Fully qualified names that resolve to this module besides `ansible.builtin.<name>` /
   * `ansible.legacy.<name>` (e.g. `ansible.posix.sysctl`, `community.general.ini_file`).
   * `collection` names the module's own collection when it is not ansible.builtin.
   */
  collection?: string;
  /** One line: what the module does (docs, `wheelwright doc`). */
  description?: string;
  /** Longer notes for docs/modules.md and `wheelwright doc` (markdown). */
  notes?: string;
  /** Return values a later task can `register` and read: name -> description. */
  returns?: Record<string, string>;
  /** Whether the module supports --check / --diff (docs; the module honours ctx.check/ctx.diff). */
  checkMode?: 'full' | 'none' | 'partial';
  diffMode?: boolean;
  argSpec: ArgSpec;
  /** command/shell/raw: `shell: echo hi` puts the string into args._raw_params. */
  freeForm?: boolean;
  /** Exactly one of these groups' members must be given. */
  requiredOneOf?: readonly (readonly string[])[];
  mutuallyExclusive?: readonly (readonly string[])[];
  /** All or none of each group's members. */
  requiredTogether?: readonly (readonly string[])[];
  /** [arg, value, [needed...], anyOf?]: when arg == value, the others are required (all, or one with anyOf). */
  requiredIf?: readonly (readonly [string, unknown, readonly string[], boolean?])[];
  /** set_fact: any argument name is accepted (names must be valid variable names). */
  anyArgs?: boolean;
  /** Runs on the controller only (debug, set_fact, assert, fail, meta): no connection needed. */
  controllerOnly?: boolean;
  /** Runs once per play batch whatever the hosts (Ansible's BYPASS_HOST_LOOP: add_host). */
  bypassHostLoop?: boolean;
  run(args: A, ctx: ModuleContext): Promise<ModuleResult>;
}
