import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { isMap, isScalar, isSeq } from 'yaml';
import type { Node as YNode, Scalar, YAMLMap } from 'yaml';
import { formatPos, UserError, type SourcePos } from '../errors.js';
import { checkArgs } from '../modules/argspec.js';
import { unknownModuleMessage } from '../modules/registry.js';
import type { ModuleDef } from '../modules/types.js';
import { closest, didYouMean } from './hint.js';
import {
  BLOCK_KEYWORDS,
  IMPORT_KEYWORDS,
  IMPORT_PLAYBOOK_KEYWORDS,
  INCLUDE_KEYWORDS,
  keyword,
  INHERITED_KEYWORDS,
  ROLE_IMPORT_KEYWORDS,
  ROLE_INCLUDE_KEYWORDS,
  PLAY_KEYWORDS,
  ROLE_ENTRY_KEYWORDS,
  shortKeyword,
  TASK_KEYWORDS,
  UNSUPPORTED,
  unsupportedWith,
  withLookup,
} from './keywords.js';
import { parseFreeForm, parseKv } from './kv.js';
import { serialEntryProblem } from './serial.js';
import { displayPath, entries, readSource, type Entry, type SourceFile } from './source.js';
import type { IncludeRoleSpec, LoopControl, Play, Playbook, RoleInfo, Task } from './types.js';
import { checkTemplateFile, checkTemplates } from './template-check.js';
import { loadAdjacentPlugins } from '../template/python-plugins.js';
import { TemplateError } from '../template/undefined.js';

/** Key prefix of a templated `environment:` (rendered to a mapping per host by the runner). */
export const ENV_TEMPLATE_KEY = '__wheelwright_environment_template__';
let envTemplates = 0;

export type ModuleLookup = (name: string) => ModuleDef<any> | undefined;

export interface LoaderOptions {
  /** Directories searched for roles after `roles/` next to the playbook. */
  roleSearchPaths?: string[];
  /** Finds a module by (short or FQCN) name. */
  lookupModule: ModuleLookup;
  /** All module names, for "did you mean" hints on unknown modules. */
  moduleNames?: () => string[];
  /**
   * Called with the playbook's first play as soon as its own keywords are read, before its roles
   * and tasks load (the CLI opens its hosts' connections meanwhile); not when the playbook starts
   * with import_playbook or a problem was found. The play's task lists are empty then.
   */
  onFirstPlay?: (play: Play) => void;
}

/** Several problems found while loading; `message` has one `file:line:col: problem` line each. */
export class PlaybookError extends UserError {
  constructor(readonly problems: { message: string; pos?: SourcePos }[]) {
    super(problems[0]!.message, problems[0]!.pos);
    this.name = 'UserError';
    const lines = problems.slice(0, MAX_ERRORS).map((p) => (p.pos ? `${formatPos(p.pos)}: ${p.message}` : p.message));
    if (problems.length > MAX_ERRORS) lines.push(`... and ${problems.length - MAX_ERRORS} more problems`);
    this.message = lines.join('\n');
  }
}

const MAX_ERRORS = 20;
const TEMPLATE = /\{\{|\{%/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What enclosing plays, roles, blocks and imports hand down to their tasks. */
export interface Inherit {
  tags: string[];
  when: string[];
  vars: Record<string, unknown>;
  environment: Record<string, unknown>;
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: 'sudo' | 'su';
  ignoreErrors?: boolean;
  ignoreUnreachable?: boolean;
  anyErrorsFatal?: boolean;
  checkMode?: boolean;
  diff?: boolean;
  noLog?: boolean;
  delegateTo?: string;
  runOnce?: boolean;
  throttle?: number;
  timeout?: number;
  connection?: string;
  remoteUser?: string;
  port?: number;
  /** a block's notify, for its tasks without their own */
  notify?: string[];
  role?: RoleInfo;
  /** templated keywords (by keyword name) handed down */
  templated?: Record<string, string>;
  /** module_defaults of the enclosing play, roles, blocks: module → arguments (inner entries replace outer ones) */
  moduleDefaults?: Record<string, Record<string, unknown>>;
}

export function emptyInherit(): Inherit {
  return { tags: [], when: [], vars: {}, environment: {} };
}

/** What a task hands down to the tasks inside it (block, import, include). */
export function inheritFrom(t: Task, withWhen: boolean): Inherit {
  return {
    tags: [...t.tags],
    when: withWhen ? [...t.when] : [],
    vars: { ...t.vars },
    environment: { ...t.environment },
    become: t.become,
    becomeUser: t.becomeUser,
    becomeMethod: t.becomeMethod,
    ignoreErrors: t.ignoreErrors || undefined,
    ignoreUnreachable: t.ignoreUnreachable || undefined,
    anyErrorsFatal: t.anyErrorsFatal || undefined,
    checkMode: t.checkMode,
    diff: t.diff,
    noLog: t.noLog || undefined,
    delegateTo: t.delegateTo,
    runOnce: t.runOnce || undefined,
    throttle: t.throttle,
    timeout: t.timeout,
    connection: t.connection,
    remoteUser: t.remoteUser,
    port: t.port,
    ...(t.notify.length ? { notify: [...t.notify] } : {}),
    role: t.role,
    ...(t.templated ? { templated: { ...t.templated } } : {}),
    ...(t.moduleDefaults ? { moduleDefaults: t.moduleDefaults } : {}),
  };
}

/** Where the tasks being read come from. */
export interface TaskCtx {
  src: SourceFile;
  playbookDir: string;
  inherit: Inherit;
  handler: boolean;
  /** Files being loaded (import/include cycles). */
  stack: string[];
  /** The play being loaded (import_role adds its role and handlers there). */
  play?: PlayState;
}

/** Keyword values of a task, block or include as written (before inheritance). */
interface Keywords {
  name?: string;
  when?: string[];
  loop?: unknown;
  /** with_<lookup>: the lookup whose result `loop` (its terms) gives */
  loopWith?: string;
  loopControl?: LoopControl;
  register?: string;
  notify?: string[];
  delegateTo?: string;
  runOnce?: boolean;
  throttle?: number;
  timeout?: number;
  connection?: string;
  remoteUser?: string;
  port?: number;
  tags?: string[];
  retries?: number;
  delay?: number;
  until?: string[];
  async?: number;
  poll?: number;
  ignoreErrors?: boolean;
  ignoreUnreachable?: boolean;
  anyErrorsFatal?: boolean;
  delegateFacts?: boolean;
  changedWhen?: string[];
  failedWhen?: string[];
  environment?: Record<string, unknown>;
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: 'sudo' | 'su';
  vars?: Record<string, unknown>;
  checkMode?: boolean;
  diff?: boolean;
  noLog?: boolean;
  listen?: string[];
  args?: { value: Record<string, unknown>; keyPos: Record<string, SourcePos> };
  /** bool/int keywords written as templates: rendered per host at run time */
  templated?: Record<string, string>;
  /** module name (canonical, or `group/x`) → default arguments */
  moduleDefaults?: Record<string, Record<string, unknown>>;
}

/** Include tasks the loader made: what the runner's later loadTaskFile needs to know. */
export const includeInfo = new WeakMap<
  Task,
  {
    playbookDir: string;
    handler: boolean;
    stack: string[];
    roleSearchPaths?: string[];
    apply?: Keywords;
    parentChain?: RoleOwn[];
    /**
     * What the include's enclosing blocks, role and play hand down (not the include's own
     * keywords): as Ansible skips a dynamic include when its tasks look up inherited keywords,
     * only the include's vars (and `apply:`) reach the included tasks.
     */
    outer?: Inherit;
  }
>();

export interface PlayState {
  playbookDir: string;
  /** public roles (roles:, import_role): their defaults and vars are the play's */
  roles: RoleInfo[];
  roleTasks: Task[];
  roleHandlers: Task[];
  /** import_role's handlers: after the play's own */
  importHandlers: Task[];
  /** identities of roles already in the play (a duplicate runs once unless allowed) */
  seenRoles: Set<string>;
  handlersLoaded: Set<string>;
  /** Inherited by every task of the play (tags, ignore_errors, ...). */
  taskInherit: Inherit;
  /** Inherited by handlers (play-level flags, no tags). */
  handlerInherit: Inherit;
}

/** A new play state (also for include_role at run time, with the host's roles already run). */
export function newPlayState(playbookDir: string, seenRoles: Set<string>, taskInherit: Inherit, handlerInherit: Inherit): PlayState {
  return { playbookDir, roles: [], roleTasks: [], roleHandlers: [], importHandlers: [], seenRoles, handlersLoaded: new Set(), taskInherit, handlerInherit };
}

interface RoleFiles {
  path: string;
  defaults: Record<string, unknown>;
  vars: Record<string, unknown>;
  deps: { src: SourceFile; node: YNode }[];
  allowDuplicates: boolean;
}

/** A role use's own variables (Ansible's Role: _default_vars, _role_vars, vars, params), for its dependencies' chain. */
interface RoleOwn {
  defaults: Record<string, unknown>;
  vars: Record<string, unknown>;
  entryVars: Record<string, unknown>;
  params: Record<string, unknown>;
}

/** `tasks_from`, `vars_from`, `defaults_from`, `handlers_from` (file names in the role's directories). */
export interface RoleFrom {
  tasks?: string;
  vars?: string;
  defaults?: string;
  handlers?: string;
}

/** One use of a role, however it was asked for. */
export interface RoleRequest {
  at: SourcePos;
  name: string;
  params: Record<string, unknown>;
  /** `vars:` of the roles: entry, import_role or include_role */
  entryVars: Record<string, unknown>;
  /** keywords written on the entry (when, tags, become, ...), for its tasks and its identity */
  kw: Keywords;
  from: RoleFrom;
  /** import_role/include_role: run even if it ran before (their allow_duplicates, default true) */
  allowDuplicates?: boolean;
  fromInclude: boolean;
  parent: Inherit;
  extraDirs: string[];
  /** the roles this one is a dependency of, outermost first */
  chain: RoleOwn[];
  stack: string[];
}

/** Arguments of import_role/include_role (Ansible's IncludeRole.VALID_ARGS). */
const ROLE_INCLUDE_ARGS = ['name', 'role', 'tasks_from', 'vars_from', 'defaults_from', 'handlers_from', 'apply', 'public', 'allow_duplicates', 'rolespec_validate'];

/** Keywords whose strings are conditions (bare expressions), not templates. */
const CONDITION_KEYWORDS = new Set(['when', 'changed_when', 'failed_when', 'until']);

export class Loader {
  readonly problems: { message: string; pos?: SourcePos }[] = [];
  private readonly roleCache = new Map<string, Promise<RoleFiles | undefined>>();

  constructor(readonly opts: LoaderOptions) {}

  fail(message: string, pos?: SourcePos): undefined {
    this.problems.push({ message, pos });
    return undefined;
  }

  /** Record a UserError thrown by a helper (YAML syntax, missing file). */
  record(e: unknown): undefined {
    if (e instanceof PlaybookError) {
      this.problems.push(...e.problems);
      return undefined;
    }
    if (e instanceof UserError) {
      const prefix = e.pos ? `${formatPos(e.pos)}: ` : '';
      this.problems.push({ message: e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message, pos: e.pos });
      return undefined;
    }
    throw e;
  }

  throwIfFailed(): void {
    if (this.problems.length) throw new PlaybookError(this.problems);
  }

  async read(abs: string, from: SourcePos | undefined, what: string): Promise<SourceFile | undefined> {
    try {
      return await readSource(abs, from, what);
    } catch (e) {
      return this.record(e);
    }
  }

  // ---------------------------------------------------------------- playbooks

  async loadPlaybook(abs: string): Promise<Playbook> {
    const plays = await this.loadPlaybookFile(abs, undefined, [], { tags: [], vars: {}, when: [] });
    this.throwIfFailed();
    return { file: abs, baseDir: path.dirname(abs), plays };
  }

  private async loadPlaybookFile(
    abs: string,
    from: SourcePos | undefined,
    stack: string[],
    outer: { tags: string[]; vars: Record<string, unknown>; when: string[] },
  ): Promise<Play[]> {
    if (stack.includes(abs)) return this.fail(`import_playbook cycle: ${[...stack, abs].map(displayPath).join(' -> ')}`, from) ?? [];
    // as Ansible: the playbook's filter_plugins/ and test_plugins/ before its templates are checked
    this.loadPlugins(path.dirname(abs), from);
    const src = await this.read(abs, from, 'playbook');
    if (!src) return [];
    const root = src.resolve(src.doc.contents);
    // like ansible-playbook (its messages), but found before anything runs
    if (root === null || (isScalar(root) && (root as Scalar).value === null)) return this.fail(`Empty playbook, nothing to do: ${src.display}`, src.pos()) ?? [];
    if (!isSeq(root)) return this.fail(`a playbook must be a list of plays, got ${describeNode(src, root)}`, src.pos(root)) ?? [];
    if (root.items.length === 0) return this.fail(`A playbook must contain at least one play: ${src.display}`, src.pos(root)) ?? [];
    const plays: Play[] = [];
    for (const [i, item] of root.items.entries()) {
      const node = src.resolve(item);
      if (!isMap(node)) {
        this.fail(`a play must be a mapping, got ${describeNode(src, node)}`, src.pos(node ?? (item as YNode)));
        continue;
      }
      const es = entries(src, node);
      const imp = es.find((e) => shortKeyword(e.key) === 'import_playbook');
      if (imp) plays.push(...(await this.loadImportPlaybook(src, node, es, imp, stack, outer)));
      else {
        const play = await this.loadPlay(src, node, es, outer, i === 0 && stack.length === 0 ? this.opts.onFirstPlay : undefined);
        if (play) plays.push(play);
      }
    }
    return plays;
  }

  private async loadImportPlaybook(
    src: SourceFile,
    node: YAMLMap,
    es: Entry[],
    imp: Entry,
    stack: string[],
    outer: { tags: string[]; vars: Record<string, unknown>; when: string[] },
  ): Promise<Play[]> {
    const what = 'import_playbook';
    const kw: Keywords = {};
    let ok = true;
    for (const e of es) {
      const k = shortKeyword(e.key);
      if (e === imp) continue;
      if (!(IMPORT_PLAYBOOK_KEYWORDS as readonly string[]).includes(k)) {
        ok = false;
        this.unknownKeyword(src, e, what, IMPORT_PLAYBOOK_KEYWORDS);
        continue;
      }
      if (!this.readKeyword(src, e, what, kw)) ok = false;
    }
    const file = this.str(src, imp, what);
    if (file === undefined || !ok) return [];
    if (TEMPLATE.test(file)) return this.fail(`import_playbook path can't be templated: '${file}'`, src.pos(imp.value)) ?? [];
    const abs = path.resolve(src.dir, file);
    return this.loadPlaybookFile(abs, src.pos(imp.value), [...stack, src.abs], {
      tags: uniq([...outer.tags, ...(kw.tags ?? [])]),
      vars: { ...outer.vars, ...(kw.vars ?? {}) },
      when: [...outer.when, ...(kw.when ?? [])],
    });
  }

  private async loadPlay(
    src: SourceFile,
    node: YAMLMap,
    es0: Entry[],
    outer: { tags: string[]; vars: Record<string, unknown>; when: string[] },
    onHeader?: (play: Play) => void,
  ): Promise<Play | undefined> {
    // a play's `user` is the old name of `remote_user` (Ansible's Play.preprocess_data)
    const userEntry = es0.find((e) => e.key === 'user');
    if (userEntry && es0.some((e) => e.key === 'remote_user')) {
      this.fail("both 'user' and 'remote_user' are set for this play. The use of 'user' is deprecated, and should be removed", src.pos(userEntry.keyNode));
      return undefined;
    }
    const es = userEntry ? es0.map((e) => (e === userEntry ? { ...e, key: 'remote_user' } : e)) : es0;
    const byKey = new Map(es.map((e) => [e.key, e]));
    const nameEntry = byKey.get('name');
    const hostsEntry = byKey.get('hosts');
    const rawName = nameEntry ? src.js(nameEntry.value) : undefined;
    const rawHosts = hostsEntry ? src.js(hostsEntry.value) : undefined;
    const label =
      typeof rawName === 'string' || typeof rawName === 'number'
        ? String(rawName)
        : typeof rawHosts === 'string'
          ? rawHosts
          : Array.isArray(rawHosts)
            ? rawHosts.join(':')
            : '';
    const what = `play '${label}'`;
    const before = this.problems.length;
    const play: Play = {
      name: label,
      pos: src.pos(node),
      hosts: '',
      vars: { ...outer.vars },
      varsFiles: [],
      roles: [],
      preTasks: [],
      roleTasks: [],
      tasks: [],
      postTasks: [],
      handlers: [],
      serial: [],
      anyErrorsFatal: false,
      gatherFacts: true,
      become: undefined,
      environment: {},
      tags: [...outer.tags],
      baseDir: src.dir,
      keywordsSet: es.map((e) => e.key),
    };
    const kw: Keywords = {};
    for (const e of es) {
      const k = e.key;
      if (!(PLAY_KEYWORDS as readonly string[]).includes(k)) {
        this.unknownKeyword(src, e, what, PLAY_KEYWORDS);
        continue;
      }
      switch (k) {
        case 'name':
          play.name = this.str(src, e, what) ?? label;
          break;
        case 'hosts': {
          const v = src.js(e.value);
          if (typeof v === 'string' && v.trim() !== '') play.hosts = v.trim();
          else if (Array.isArray(v) && v.length > 0 && v.every((h) => typeof h === 'string' || typeof h === 'number')) play.hosts = v.join(':');
          else this.typeError(src, e, what, 'a host pattern string or a list of them');
          break;
        }
        case 'vars_prompt': {
          const v = src.js(e.value);
          const list = Array.isArray(v) ? v : [];
          if (!Array.isArray(v) || !list.every((x) => x && typeof x === 'object' && typeof (x as { name?: unknown }).name === 'string')) {
            this.typeError(src, e, what, 'a list of mappings with a name');
            break;
          }
          play.varsPrompt = list.map((x) => {
            const o = x as { name: string; default?: unknown; prompt?: unknown };
            return { name: o.name, ...('default' in o ? { default: o.default } : {}), ...(typeof o.prompt === 'string' ? { prompt: o.prompt } : {}) };
          });
          break;
        }
        case 'vars': {
          const v = this.varsMapping(src, e, what);
          // a fresh object: taken as is when nothing came before (Object.assign of a big mapping is slow)
          if (v) play.vars = Object.keys(play.vars).length ? Object.assign(play.vars, v) : v;
          this.checkTemplates(src, e.value, 'value');
          break;
        }
        case 'vars_files':
          play.varsFiles = await this.varsFiles(src, e, what);
          break;
        case 'serial':
        case 'max_fail_percentage':
        case 'any_errors_fatal':
        case 'gather_facts':
        case 'become':
        case 'strategy':
          if (this.templatedPlayKeyword(src, e, play)) break;
          if (e.key === 'serial') play.serial = this.serial(src, e, what) ?? [];
          else if (e.key === 'max_fail_percentage') this.maxFail(src, e, what, play);
          else if (e.key === 'any_errors_fatal') play.anyErrorsFatal = this.bool(src, e, what) ?? false;
          else if (e.key === 'gather_facts') play.gatherFacts = this.bool(src, e, what) ?? true;
          else if (e.key === 'become') play.become = this.bool(src, e, what);
          else this.strategy(src, e, what, play);
          break;
        case 'force_handlers':
          play.forceHandlers = this.bool(src, e, what);
          break;
        case 'become_user':
          play.becomeUser = this.str(src, e, what);
          break;
        case 'become_method':
          play.becomeMethod = this.becomeMethod(src, e, what);
          break;
        case 'environment':
          play.environment = this.environment(src, e, what) ?? {};
          break;
        case 'connection': {
          const v = src.js(e.value);
          if (v === 'local' || v === 'ssh') play.connection = v;
          else this.typeError(src, e, what, "'local' or 'ssh'");
          break;
        }
        case 'remote_user':
          play.remoteUser = this.str(src, e, what);
          break;
        case 'port': {
          const v = src.js(e.value);
          const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
          if (Number.isInteger(n) && n >= 1 && n <= 65535) play.port = n;
          else this.typeError(src, e, what, 'a port number (1 to 65535)');
          break;
        }
        case 'tags':
          play.tags = uniq([...outer.tags, ...(this.tags(src, e, what) ?? [])]);
          break;
        case 'ignore_errors':
        case 'ignore_unreachable':
        case 'check_mode':
        case 'diff':
        case 'no_log':
        case 'run_once':
        case 'throttle':
        case 'timeout':
        case 'module_defaults':
          this.readKeyword(src, e, what, kw);
          break;
        // roles and task lists are read below, in Ansible's order
      }
    }
    if (!hostsEntry) this.fail(`${what} has no 'hosts'`, src.pos(node));
    if (onHeader && this.problems.length === 0) onHeader({ ...play });

    const flags: Inherit = {
      tags: [],
      when: [],
      vars: {},
      environment: {},
      ignoreErrors: kw.ignoreErrors,
      ignoreUnreachable: kw.ignoreUnreachable,
      runOnce: kw.runOnce,
      throttle: kw.throttle,
      timeout: kw.timeout,
      checkMode: kw.checkMode,
      diff: kw.diff,
      noLog: kw.noLog,
      ...(kw.templated ? { templated: kw.templated } : {}),
      ...(kw.moduleDefaults ? { moduleDefaults: kw.moduleDefaults } : {}),
    };
    const taskInherit: Inherit = { ...flags, tags: [...play.tags], when: [...outer.when] };
    const state = newPlayState(src.dir, new Set(), taskInherit, flags);
    const ctx = (): TaskCtx => ({ src, playbookDir: src.dir, inherit: taskInherit, handler: false, stack: [src.abs], play: state });
    const list = async (key: string, c: TaskCtx) => {
      const e = byKey.get(key);
      return e ? this.loadTaskList(c, e, what) : [];
    };
    play.preTasks = await list('pre_tasks', ctx());
    const rolesEntry = byKey.get('roles');
    const roleTasks: Task[] = [];
    if (rolesEntry) roleTasks.push(...(await this.loadRoles(state, src, rolesEntry, what)));
    play.roleTasks = roleTasks;
    play.tasks = await list('tasks', ctx());
    play.postTasks = await list('post_tasks', ctx());
    const playHandlers = await list('handlers', { src, playbookDir: src.dir, inherit: flags, handler: true, stack: [src.abs] });
    play.roles = state.roles;
    play.roleKeys = [...state.seenRoles];
    play.roleHandlerKeys = [...state.handlersLoaded];
    play.handlers = [...state.roleHandlers, ...playHandlers, ...state.importHandlers];
    // a handler that failed to load would make every notify of it a second, misleading problem
    if (this.problems.length === before) this.checkNotify(play);
    return this.problems.length > before ? undefined : play;
  }

  /**
   * Every `notify` names a handler of the play (its name, `role : name` or a `listen` topic).
   * ansible-playbook fails on a missing one too, but only when the task notifies it, after the
   * task changed the host; here it is found before the first connection. Templated names are
   * left to run time.
   */
  private checkNotify(play: Play): void {
    const known = new Set<string>();
    // include_role brings its role's handlers at run time: its notifies are checked then
    let dynamicHandlers = false;
    const scan = (tasks: Task[] | undefined): void => {
      for (const t of tasks ?? []) {
        if (t.includeRole) dynamicHandlers = true;
        scan(t.block);
        scan(t.rescue);
        scan(t.always);
      }
    };
    for (const l of [play.preTasks, play.roleTasks, play.tasks, play.postTasks]) scan(l);
    if (dynamicHandlers) return;
    for (const h of play.handlers) {
      if (h.name !== undefined) {
        if (TEMPLATE.test(h.name)) return;
        known.add(h.name);
        if (h.role) known.add(`${h.role.name} : ${h.name}`);
      }
      for (const l of h.listen) known.add(l);
    }
    const visit = (tasks: Task[] | undefined): void => {
      for (const t of tasks ?? []) {
        for (const topic of t.notify) {
          if (!TEMPLATE.test(topic) && !known.has(topic)) {
            this.fail(`The requested handler '${topic}' was not found in either the main handlers list nor in the listening handlers list`, t.pos);
          }
        }
        visit(t.block);
        visit(t.rescue);
        visit(t.always);
      }
    };
    for (const list of [play.preTasks, play.roleTasks, play.tasks, play.postTasks, play.handlers]) visit(list);
  }

  private async varsFiles(src: SourceFile, e: Entry, what: string): Promise<Record<string, unknown>[]> {
    const v = src.resolve(e.value);
    const items: YNode[] = isSeq(v) ? (v.items as YNode[]) : v && isScalar(v) ? [v] : [];
    if (!isSeq(v) && !(v && isScalar(v) && typeof (v as Scalar).value === 'string')) {
      this.typeError(src, e, what, 'a list of file names');
      return [];
    }
    const out: Record<string, unknown>[] = [];
    for (const item of items) {
      const node = src.resolve(item);
      // a list inside the list: the first file that exists
      const choices = isSeq(node) ? (node.items as YNode[]).map((n) => src.resolve(n)) : [node];
      const names: string[] = [];
      for (const c of choices) {
        const s = c && isScalar(c) ? (c as Scalar).value : undefined;
        if (typeof s !== 'string' || s === '') {
          this.fail(`keyword 'vars_files' in ${what} must be a list of file names, got ${describeNode(src, c)}`, src.pos(c ?? item));
          continue;
        }
        if (TEMPLATE.test(s)) {
          this.fail(`vars file names can't be templated: '${s}'`, src.pos(c));
          continue;
        }
        names.push(s);
      }
      if (names.length !== choices.length) continue;
      let chosen = names[0]!;
      if (names.length > 1) {
        for (const n of names) {
          if (await isFile(path.resolve(src.dir, n))) {
            chosen = n;
            break;
          }
        }
      }
      const file = await this.read(path.resolve(src.dir, chosen), src.pos(node), 'vars file');
      if (!file) continue;
      const data = file.js(file.doc.contents);
      this.checkTemplates(file, file.doc.contents, 'value');
      if (data === null || data === undefined) out.push({});
      else if (typeof data === 'object' && !Array.isArray(data)) out.push(data as Record<string, unknown>);
      else this.fail(`a vars file must hold a mapping, got ${describe(data)}`, file.pos(file.doc.contents as YNode));
    }
    return out;
  }

  private serial(src: SourceFile, e: Entry, what: string): Array<number | string> | undefined {
    const expected = "a number, a percentage such as '30%', or a list of them";
    const v = src.resolve(e.value);
    if (v && isSeq(v)) {
      const out: Array<number | string> = [];
      for (const item of v.items) {
        const val = src.js(item);
        const problem = serialEntryProblem(val);
        if (problem) return this.fail(`keyword 'serial' in ${what} must be ${expected}, ${problem}`, src.pos(src.resolve(item)));
        out.push(normalizeSerial(val as number | string));
      }
      return out;
    }
    const val = src.js(v);
    const problem = serialEntryProblem(val);
    if (problem) return this.fail(`keyword 'serial' in ${what} must be ${expected}, ${problem}`, src.pos(v ?? e.keyNode));
    return [normalizeSerial(val as number | string)];
  }

  // ---------------------------------------------------------------- roles

  /** The play's `roles:` list: the tasks of each role (dependencies first), in order. */
  private async loadRoles(state: PlayState, src: SourceFile, e: Entry, what: string): Promise<Task[]> {
    const v = src.resolve(e.value);
    if (v === null || (isScalar(v) && (v as Scalar).value === null)) return [];
    if (!isSeq(v)) {
      this.typeError(src, e, what, 'a list of roles');
      return [];
    }
    const out: Task[] = [];
    for (const item of v.items) {
      const used = await this.loadRoleEntry(state, src, item as YNode, state.taskInherit, [], [], []);
      if (!used) continue;
      out.push(...used.tasks);
      state.roles.push(used.role);
    }
    return out;
  }

  /** A `roles:` entry or a meta dependency: a name, or a mapping with `role:`/`name:`, keywords, `vars:` and parameters. */
  private async loadRoleEntry(
    state: PlayState,
    src: SourceFile,
    item: YNode,
    parent: Inherit,
    extraDirs: string[],
    chain: RoleOwn[],
    stack: string[],
  ): Promise<{ tasks: Task[]; role: RoleInfo } | undefined> {
    const node = src.resolve(item);
    let name: string | undefined;
    let nameNode: YNode | null = node;
    const kw: Keywords = {};
    const params: Record<string, unknown> = {};
    let entryVars: Record<string, unknown> = {};
    if (node && isScalar(node) && typeof (node as Scalar).value === 'string') name = (node as Scalar).value as string;
    else if (node && isMap(node)) {
      const es = entries(src, node);
      const roleKey = es.find((x) => x.key === 'role') ?? es.find((x) => x.key === 'name');
      if (!roleKey) {
        this.fail(`a role entry needs 'role' (the role's name)`, src.pos(node));
        return;
      }
      name = this.str(src, roleKey, 'role entry');
      nameNode = roleKey.value;
      const what = `role '${name ?? ''}'`;
      for (const x of es) {
        if (x === roleKey) continue;
        if (x.key === 'vars') {
          entryVars = this.varsMapping(src, x, what) ?? {};
          this.checkTemplates(src, x.value, 'value');
        } else if ((ROLE_ENTRY_KEYWORDS as readonly string[]).includes(x.key) && x.key !== 'role' && x.key !== 'name') {
          this.readKeyword(src, x, what, kw);
        } else {
          params[x.key] = src.js(x.value);
          this.checkTemplates(src, x.value, 'value');
        }
      }
    } else {
      this.fail(`a role entry must be a role name or a mapping with 'role', got ${describeNode(src, node)}`, src.pos(node ?? item));
      return;
    }
    if (name === undefined) return;
    const at = src.pos(nameNode);
    if (TEMPLATE.test(name)) {
      this.fail(`role names can't be templated: '${name}'`, at);
      return;
    }
    return this.useRole(state, { at, name, params, entryVars, kw, from: {}, fromInclude: false, parent, extraDirs, chain, stack });
  }

  /**
   * One use of a role: its dependencies (each once per play unless duplicates are allowed), then
   * its own tasks (unless the same role with the same parameters already ran and the role does not
   * allow duplicates), its handlers once per role and handlers file. Returns undefined when the
   * role could not be loaded (reported).
   */
  async useRole(state: PlayState, req: RoleRequest): Promise<{ tasks: Task[]; role: RoleInfo } | undefined> {
    const dir = await this.findRole(req.name, state.playbookDir, req.extraDirs, req.at);
    if (!dir) return;
    if (req.stack.includes(dir)) {
      this.fail(`role dependency cycle: ${[...req.stack, dir].map((d) => path.basename(d)).join(' -> ')}`, req.at);
      return;
    }
    const files = await this.roleFiles(dir, req.from, req.at);
    if (!files) return;
    // Ansible's identity of a role use (Role.load's cache key)
    const key = `${dir}\0${stableJson({ params: req.params, when: req.kw.when, tags: req.kw.tags, from: req.from, vars: req.entryVars, inc: req.fromInclude })}`;
    const duplicate = state.seenRoles.has(key) && !(req.allowDuplicates ?? files.allowDuplicates);
    state.seenRoles.add(key);

    const own: RoleOwn = { defaults: files.defaults, vars: files.vars, entryVars: req.entryVars, params: req.params };
    const inherit = mergeInherit(req.parent, req.kw);
    const tasks: Task[] = [];
    const deps: RoleInfo[] = [];
    for (const dep of files.deps) {
      const used = await this.loadRoleEntry(state, dep.src, dep.node, inherit, [path.dirname(dir)], [...req.chain, own], [...req.stack, dir]);
      if (!used) continue;
      tasks.push(...used.tasks);
      deps.push(used.role);
    }
    const role = roleInfo(path.basename(dir), dir, own, deps, req.chain);
    if (duplicate) return { tasks, role };
    for (const f of await this.roleFile(dir, 'tasks', req.from.tasks, req.at)) {
      tasks.push(...(await this.loadTaskFileAbs(f, { playbookDir: state.playbookDir, inherit: { ...inherit, role }, handler: false, stack: [], play: state }, req.at)));
    }
    // one copy of the handlers per role use (with that use's variables), as Ansible's Role
    // instances: the same use twice (same parameters and vars) shares them
    const handlersKey = `${key}\0${req.from.handlers ?? ''}`;
    if (!state.handlersLoaded.has(handlersKey)) {
      state.handlersLoaded.add(handlersKey);
      for (const f of await this.roleFile(dir, 'handlers', req.from.handlers, req.at)) {
        const t = await this.loadTaskFileAbs(f, { playbookDir: state.playbookDir, inherit: { ...state.handlerInherit, role }, handler: true, stack: [] }, req.at);
        state.roleHandlers.push(...t);
      }
    }
    return { tasks, role };
  }

  /**
   * Where a role is, as Ansible looks: `roles/` next to the playbook, the roles path (roles_path,
   * ANSIBLE_ROLES_PATH, by default ~/.ansible/roles, /usr/share/ansible/roles, /etc/ansible/roles),
   * the directory of the role that depends on it, the playbook's directory; then the name as a path.
   */
  private async findRole(name: string, playbookDir: string, extraDirs: string[], at: SourcePos): Promise<string | undefined> {
    const dirs = uniq([path.join(playbookDir, 'roles'), ...(this.opts.roleSearchPaths ?? []).map((d) => path.resolve(d)), ...extraDirs, playbookDir]);
    const candidates = dirs.map((d) => path.resolve(d, name));
    candidates.push(path.resolve(name));
    for (const c of candidates) {
      if (!(await isDir(c))) continue;
      this.loadPlugins(c, at);
      return c;
    }
    return this.fail(`role '${name}' not found (searched: ${dirs.map(displayPath).join(', ')})`, at);
  }

  private roleFiles(dir: string, from: RoleFrom, at: SourcePos): Promise<RoleFiles | undefined> {
    const key = `${dir}\0${from.defaults ?? ''}\0${from.vars ?? ''}`;
    let p = this.roleCache.get(key);
    if (!p) {
      p = this.readRoleFiles(dir, from, at);
      this.roleCache.set(key, p);
    }
    return p;
  }

  /**
   * The files of `<role>/<sub>/` Ansible reads: `main` (main.yml, main.yaml, main.json, main, or
   * every file of a main/ directory), or the `*_from` file (as written, or with .yml, .yaml, .json).
   * A `*_from` file that is not there is an error, as in Ansible.
   */
  private async roleFile(dir: string, sub: string, from: string | undefined, at: SourcePos): Promise<string[]> {
    if (from === undefined) return findMain(path.join(dir, sub));
    const base = path.basename(from);
    for (const ext of ['', '.yml', '.yaml', '.json']) {
      const f = path.join(dir, sub, base + ext);
      if (await isFile(f)) return [f];
    }
    this.fail(`Could not find specified file in role: ${sub}/${base} (role ${displayPath(dir)})`, at);
    return [];
  }

  private async readRoleFiles(dir: string, from: RoleFrom, at: SourcePos): Promise<RoleFiles | undefined> {
    const before = this.problems.length;
    const vars = async (sub: string, fromFile: string | undefined): Promise<Record<string, unknown>> => {
      const out: Record<string, unknown> = {};
      for (const f of await this.roleFile(dir, sub, fromFile, at)) {
        const file = await this.read(f, undefined, 'file');
        if (!file) continue;
        const data = file.js(file.doc.contents);
        this.checkTemplates(file, file.doc.contents, 'value');
        if (data === null || data === undefined) continue;
        if (typeof data === 'object' && !Array.isArray(data)) Object.assign(out, data);
        else this.fail(`role ${sub} must be a mapping, got ${describe(data)}`, file.pos(file.doc.contents as YNode));
      }
      return out;
    };
    const defaults = await vars('defaults', from.defaults);
    const roleVars = await vars('vars', from.vars);
    const deps: { src: SourceFile; node: YNode }[] = [];
    let allowDuplicates = false;
    for (const f of await findMain(path.join(dir, 'meta'))) {
      const file = await this.read(f, undefined, 'file');
      if (!file) continue;
      const root = file.resolve(file.doc.contents);
      if (root === null || (isScalar(root) && (root as Scalar).value === null)) continue;
      if (!isMap(root)) {
        this.fail(`role meta must be a mapping, got ${describeNode(file, root)}`, file.pos(root));
        continue;
      }
      for (const e of entries(file, root)) {
        if (e.key === 'dependencies') {
          const v = file.resolve(e.value);
          if (v === null || (isScalar(v) && (v as Scalar).value === null)) continue;
          if (!isSeq(v)) this.typeError(file, e, 'role meta', 'a list of roles');
          else for (const item of v.items) deps.push({ src: file, node: item as YNode });
        } else if (e.key === 'allow_duplicates') allowDuplicates = this.bool(file, e, 'role meta') ?? false;
        // galaxy_info and the rest are documentation
      }
    }
    if (this.problems.length > before) return undefined;
    return { path: dir, defaults, vars: roleVars, deps, allowDuplicates };
  }

  /**
   * import_role / include_role arguments (a mapping or `k=v` text): the role's name, the `*_from`
   * files, `public`, `allow_duplicates`, `apply` (include_role only, as Ansible).
   */
  private roleIncludeArgs(
    ctx: TaskCtx,
    e: Entry,
    action: 'import_role' | 'include_role',
  ): { spec: IncludeRoleSpec; apply?: Keywords; nameNode: YNode | null } | undefined {
    const { src } = ctx;
    const v = src.resolve(e.value);
    let args: Record<string, unknown>;
    const keyPos: Record<string, SourcePos> = {};
    let applyEntry: Entry | undefined;
    if (v && isMap(v)) {
      args = {};
      for (const x of entries(src, v)) {
        args[x.key] = src.js(x.value);
        keyPos[x.key] = src.pos(x.keyNode);
        if (x.key === 'apply') applyEntry = x;
      }
    } else {
      const text = src.js(v);
      if (typeof text !== 'string') return this.fail(`${action} needs the role's name ('name: ...')`, src.pos(v ?? e.keyNode));
      const kv = parseKv(text);
      args = kv.args;
      if (kv.rest.length) return this.fail(`${action} takes key=value arguments ('name=ROLE'), got '${kv.rest.map((t) => t.text).join(' ')}'`, src.pos(v ?? e.keyNode));
    }
    const at = src.pos(v ?? e.keyNode);
    const bad = Object.keys(args).filter((k) => !ROLE_INCLUDE_ARGS.includes(k) || (action === 'import_role' && (k === 'public' || k === 'apply')));
    if (bad.length) return this.fail(`Invalid options for ${action}: ${bad.join(',')}`, keyPos[bad[0]!] ?? at);
    const name = args.name ?? args.role;
    if (typeof name !== 'string' || name.trim() === '') return this.fail(`'name' is a required field for ${action}.`, at);
    const from: Record<string, string> = {};
    for (const k of ['tasks_from', 'vars_from', 'defaults_from', 'handlers_from']) {
      if (args[k] === undefined) continue;
      if (typeof args[k] !== 'string') return this.fail(`Expected a string for ${k} but got ${describe(args[k])} instead`, keyPos[k] ?? at);
      from[k] = args[k] as string;
    }
    const flag = (k: string, dflt: boolean): boolean | undefined => {
      const x = args[k];
      if (x === undefined) return dflt;
      if (typeof x === 'boolean') return x;
      const l = String(x).trim().toLowerCase();
      if (['yes', 'true', 'on', '1', 'y'].includes(l)) return true;
      if (['no', 'false', 'off', '0', 'n'].includes(l)) return false;
      return this.fail(`argument '${k}' of ${action} must be a boolean, got ${describe(x)}`, keyPos[k] ?? at);
    };
    const pub = flag('public', false);
    const dup = flag('allow_duplicates', true);
    if (pub === undefined || dup === undefined) return;
    let apply: Keywords | undefined;
    if (applyEntry) {
      const av = src.resolve(applyEntry.value);
      if (!av || !isMap(av)) return this.fail(`Expected a dict for apply but got ${describeNode(src, av)} instead`, src.pos(applyEntry.value ?? applyEntry.keyNode));
      apply = this.keywords(src, entries(src, av), INHERITED_KEYWORDS, `apply of ${action}`, () => false);
      if (!apply) return;
    } else if (args.apply !== undefined && args.apply !== null) return this.fail(`Expected a dict for apply but got ${describe(args.apply)} instead`, at);
    return {
      spec: {
        name: name.trim(),
        ...(from.tasks_from !== undefined ? { tasksFrom: from.tasks_from } : {}),
        ...(from.vars_from !== undefined ? { varsFrom: from.vars_from } : {}),
        ...(from.defaults_from !== undefined ? { defaultsFrom: from.defaults_from } : {}),
        ...(from.handlers_from !== undefined ? { handlersFrom: from.handlers_from } : {}),
        public: pub,
        allowDuplicates: dup,
      },
      apply,
      nameNode: v && isMap(v) ? (entries(src, v).find((x) => x.key === 'name' || x.key === 'role')?.value ?? v) : v,
    };
  }

  /** import_role: the role's tasks in place, loaded now; its handlers, defaults and vars are the play's. */
  private async loadImportRole(ctx: TaskCtx, node: YAMLMap, es: Entry[], imp: Entry): Promise<Task[]> {
    const { src } = ctx;
    const what = `import_role '${this.labelOf(src, es, String(src.js(imp.value) ?? ''))}'`;
    if (ctx.handler) return this.fail(`Using 'import_role' as a handler is not supported.`, src.pos(imp.keyNode)) ?? [];
    const extra: Entry[] = [];
    const kw = this.keywords(src, es, ROLE_IMPORT_KEYWORDS, what, (e) => e === imp, extra);
    for (const e of extra) {
      if (e.key === 'loop' || e.key.startsWith('with_')) this.fail(`You cannot use loops on 'import_role' statements. You should use 'include_role' instead.`, src.pos(e.keyNode));
      else if ((TASK_KEYWORDS as readonly string[]).includes(e.key)) this.fail(`keyword '${e.key}' is not allowed on import_role (${what})`, src.pos(e.keyNode));
      else this.unknownKeyword(src, e, what, ROLE_IMPORT_KEYWORDS);
    }
    const parsed = this.roleIncludeArgs(ctx, imp, 'import_role');
    if (!kw || extra.length || !parsed) return [];
    const { spec } = parsed;
    const at = src.pos(parsed.nameNode ?? imp.keyNode);
    if (TEMPLATE.test(spec.name) || [spec.tasksFrom, spec.varsFrom, spec.defaultsFrom, spec.handlersFrom].some((f) => f !== undefined && TEMPLATE.test(f))) {
      return this.fail(`import_role is resolved when the playbook loads: its name and *_from files can't be templated ('${spec.name}'); use include_role`, at) ?? [];
    }
    const holder = makeTask('block', src.pos(node), kw, ctx.inherit, ctx.handler);
    const inherit = inheritFrom(holder, true);
    const state = ctx.play ?? newPlayState(ctx.playbookDir, new Set(), emptyInherit(), emptyInherit());
    const loadedBefore = state.roleHandlers.length;
    const used = await this.useRole(state, {
      at, name: spec.name, params: {}, entryVars: kw.vars ?? {}, kw: {}, from: fromOf(spec), allowDuplicates: spec.allowDuplicates,
      fromInclude: true, parent: inherit, extraDirs: [], chain: [], stack: [],
    });
    // as Ansible's IncludeRole, an imported role's handlers (its dependencies' too) come after the
    // play's own handlers (roles: entries' come before them)
    state.importHandlers.push(...state.roleHandlers.splice(loadedBefore));
    if (!used) return [];
    state.roles.push(used.role);
    return used.tasks;
  }

  /** include_role: checked now when its name is static; loaded and run per host at run time. */
  private async loadIncludeRole(ctx: TaskCtx, node: YAMLMap, es: Entry[], inc: Entry): Promise<Task[]> {
    const { src } = ctx;
    const what = `include_role '${this.labelOf(src, es, String(src.js(inc.value) ?? ''))}'`;
    if (ctx.handler) return this.fail(`Using 'include_role' as a handler is not supported.`, src.pos(inc.keyNode)) ?? [];
    const extra: Entry[] = [];
    const kw = this.keywords(src, es, ROLE_INCLUDE_KEYWORDS, what, (e) => e === inc, extra);
    for (const e of extra) {
      if ((TASK_KEYWORDS as readonly string[]).includes(e.key)) this.fail(`keyword '${e.key}' is not allowed on include_role (${what})`, src.pos(e.keyNode));
      else this.unknownKeyword(src, e, what, ROLE_INCLUDE_KEYWORDS);
    }
    const parsed = this.roleIncludeArgs(ctx, inc, 'include_role');
    if (!kw || extra.length || !parsed) return [];
    const { spec } = parsed;
    const task = makeTask('include', src.pos(node), kw, ctx.inherit, ctx.handler);
    task.includeRole = spec;
    includeInfo.set(task, { playbookDir: ctx.playbookDir, handler: false, stack: ctx.stack, roleSearchPaths: this.opts.roleSearchPaths, apply: parsed.apply, outer: ctx.inherit });
    if (![spec.name, spec.tasksFrom, spec.varsFrom, spec.defaultsFrom, spec.handlersFrom].some((f) => f !== undefined && TEMPLATE.test(f))) {
      // static name: find and check the role now (in a scratch play: nothing is added to this one)
      const scratch = newPlayState(ctx.playbookDir, new Set(), emptyInherit(), emptyInherit());
      await this.useRole(scratch, {
        at: src.pos(parsed.nameNode ?? inc.keyNode), name: spec.name, params: {}, entryVars: {}, kw: {}, from: fromOf(spec),
        allowDuplicates: true, fromInclude: true, parent: emptyInherit(), extraDirs: [], chain: [], stack: [],
      });
    }
    return [task];
  }

  /** `apply:` keywords of include_role on what the include hands down. */
  applied(base: Inherit, apply: Keywords): Inherit {
    const m = mergeInherit(base, apply);
    m.vars = { ...base.vars, ...(apply.vars ?? {}) };
    return m;
  }

  // ---------------------------------------------------------------- task files

  /** Load a tasks file (import/include/role), resolving nothing: `abs` is the file. */
  async loadTaskFileAbs(abs: string, c: Omit<TaskCtx, 'src'>, from: SourcePos | undefined): Promise<Task[]> {
    if (c.stack.includes(abs)) return this.fail(`tasks file includes itself: ${[...c.stack, abs].map(displayPath).join(' -> ')}`, from) ?? [];
    const src = await this.read(abs, from, 'tasks file');
    if (!src) return [];
    const root = src.resolve(src.doc.contents);
    if (root === null || (isScalar(root) && (root as Scalar).value === null)) return [];
    if (!isSeq(root)) return this.fail(`a tasks file must be a list of tasks, got ${describeNode(src, root)}`, src.pos(root)) ?? [];
    const ctx: TaskCtx = { ...c, src, stack: [...c.stack, abs] };
    const out: Task[] = [];
    for (const item of root.items) out.push(...(await this.loadTaskEntry(ctx, item as YNode)));
    return out;
  }

  /** Resolve an import/include path: the current file's directory, the role's tasks dir, the playbook dir. */
  async resolveTaskFile(file: string, baseDir: string, role: RoleInfo | undefined, playbookDir: string): Promise<{ abs?: string; tried: string[] }> {
    if (path.isAbsolute(file)) return { abs: file, tried: [file] };
    const dirs = uniq([baseDir, ...(role ? [path.join(role.path, 'tasks')] : []), playbookDir]);
    const tried = dirs.map((d) => path.resolve(d, file));
    for (const t of tried) if (await isFile(t)) return { abs: t, tried };
    return { tried };
  }

  private async loadTaskList(ctx: TaskCtx, e: Entry, what: string): Promise<Task[]> {
    const v = ctx.src.resolve(e.value);
    if (v === null || (isScalar(v) && (v as Scalar).value === null)) return [];
    if (!isSeq(v)) {
      this.typeError(ctx.src, e, what, 'a list of tasks');
      return [];
    }
    const out: Task[] = [];
    for (const item of v.items) out.push(...(await this.loadTaskEntry(ctx, item as YNode)));
    return out;
  }

  async loadTaskEntry(ctx: TaskCtx, item: YNode): Promise<Task[]> {
    const { src } = ctx;
    const node = src.resolve(item);
    if (!isMap(node)) return this.fail(`a task must be a mapping, got ${describeNode(src, node)}`, src.pos(node ?? item)) ?? [];
    const es = entries(src, node);
    const keys = es.map((e) => shortKeyword(e.key));
    if (keys.some((k) => k === 'block' || k === 'rescue' || k === 'always')) return this.loadBlock(ctx, node, es);
    const roleAction = es.find((e) => shortKeyword(e.key) === 'import_role' || shortKeyword(e.key) === 'include_role');
    if (roleAction) {
      return shortKeyword(roleAction.key) === 'import_role' ? this.loadImportRole(ctx, node, es, roleAction) : this.loadIncludeRole(ctx, node, es, roleAction);
    }
    // the old `include:` (deprecated in Ansible 2.14): static (import_tasks) unless its file is
    // templated or it loops, as Ansible's load_list_of_tasks decides
    const legacy = es.find((e) => e.key === 'include' || e.key === 'ansible.builtin.include');
    if (legacy) {
      const file = src.js(legacy.value);
      const dynamic = typeof file !== 'string' || TEMPLATE.test(file) || keys.includes('loop') || keys.includes('with_items');
      const renamed = es.map((e) => (e === legacy ? { ...e, key: dynamic ? 'include_tasks' : 'import_tasks' } : e));
      return dynamic ? this.loadInclude(ctx, node, renamed) : this.loadImport(ctx, node, renamed);
    }
    if (keys.includes('import_tasks')) return this.loadImport(ctx, node, es);
    if (keys.includes('include_tasks')) return this.loadInclude(ctx, node, es);
    const task = this.loadModuleTask(ctx, node, es);
    return task ? [task] : [];
  }

  /** Read the keywords of `es` listed in `allowed`; report the others unless `rest` collects them. */
  private keywords(src: SourceFile, es: Entry[], allowed: readonly string[], what: string, skip: (e: Entry) => boolean, rest?: Entry[]): Keywords | undefined {
    const kw: Keywords = {};
    let ok = true;
    for (const e of es) {
      if (skip(e)) continue;
      if (allowed.includes(e.key) || (withLookup(e.key) && allowed.includes('loop'))) {
        if (!this.readKeyword(src, e, what, kw)) ok = false;
      } else if (rest) rest.push(e);
      else {
        ok = false;
        this.unknownKeyword(src, e, what, allowed);
      }
    }
    return ok ? kw : undefined;
  }

  private labelOf(src: SourceFile, es: Entry[], fallback: string): string {
    const n = es.find((e) => e.key === 'name');
    const v = n ? src.js(n.value) : undefined;
    return typeof v === 'string' || typeof v === 'number' ? String(v) : fallback;
  }

  private async loadBlock(ctx: TaskCtx, node: YAMLMap, es: Entry[]): Promise<Task[]> {
    const { src } = ctx;
    const label = this.labelOf(src, es, '');
    const what = label ? `block '${label}'` : 'block';
    const extra: Entry[] = [];
    const kw = this.keywords(src, es, BLOCK_KEYWORDS, what, (e) => ['block', 'rescue', 'always'].includes(e.key), extra);
    for (const e of extra) {
      if ((TASK_KEYWORDS as readonly string[]).includes(e.key)) this.fail(`keyword '${e.key}' is not allowed on a block (${what})`, src.pos(e.keyNode));
      else if (this.opts.lookupModule(e.key)) this.fail(`a block can't call a module ('${e.key}'); put the task inside 'block' (${what})`, src.pos(e.keyNode));
      else this.unknownKeyword(src, e, what, BLOCK_KEYWORDS);
    }
    const get = (k: string) => es.find((e) => e.key === k);
    const blockEntry = get('block');
    if (!blockEntry) {
      const other = get('rescue') ?? get('always')!;
      return this.fail(`'${other.key}' needs a 'block' next to it (${what})`, src.pos(other.keyNode)) ?? [];
    }
    if (!kw || extra.length) return [];
    const task = makeTask('block', src.pos(node), kw, ctx.inherit, ctx.handler);
    const child: TaskCtx = { ...ctx, inherit: inheritFrom(task, true) };
    task.block = await this.loadTaskList(child, blockEntry, what);
    const rescue = get('rescue');
    if (rescue) task.rescue = await this.loadTaskList(child, rescue, what);
    const always = get('always');
    if (always) task.always = await this.loadTaskList(child, always, what);
    return [task];
  }

  /** `import_tasks: file` or `import_tasks: {file: x}` → the path string and its node. */
  private taskFileArg(src: SourceFile, e: Entry, what: string): { file: string; node: YNode | null; apply?: Entry } | undefined {
    const v = src.resolve(e.value);
    if (v && isMap(v)) {
      let file: { file: string; node: YNode | null; apply?: Entry } | undefined;
      let apply: Entry | undefined;
      for (const x of entries(src, v)) {
        if (x.key === 'file') {
          const s = this.str(src, x, what);
          if (s !== undefined) file = { file: s, node: x.value };
        } else if (x.key === 'apply' && shortKeyword(e.key) === 'include_tasks') apply = x;
        else if (x.key === 'apply') this.fail(`Invalid options for ${shortKeyword(e.key)}: apply`, src.pos(x.keyNode));
        else this.fail(`unknown argument '${x.key}' of ${e.key}; expected 'file'`, src.pos(x.keyNode));
      }
      if (!file) return this.fail(`${e.key} needs a file name`, src.pos(v));
      return apply ? { ...file, apply } : file;
    }
    const s = src.js(v);
    if (typeof s !== 'string' || s.trim() === '') return this.fail(`${e.key} needs a file name, got ${describe(s)}`, src.pos(v ?? e.keyNode));
    return { file: s.trim(), node: v };
  }

  private async loadImport(ctx: TaskCtx, node: YAMLMap, es: Entry[]): Promise<Task[]> {
    const { src } = ctx;
    const imp = es.find((e) => shortKeyword(e.key) === 'import_tasks')!;
    const what = `import_tasks '${this.labelOf(src, es, String(src.js(imp.value) ?? ''))}'`;
    const extra: Entry[] = [];
    const kw = this.keywords(src, es, IMPORT_KEYWORDS, what, (e) => e === imp, extra);
    for (const e of extra) {
      if (e.key === 'loop' || e.key === 'with_items') this.fail(`import_tasks can't loop; use include_tasks (${what})`, src.pos(e.keyNode));
      else if ((TASK_KEYWORDS as readonly string[]).includes(e.key)) this.fail(`keyword '${e.key}' is not allowed on import_tasks (${what})`, src.pos(e.keyNode));
      else this.unknownKeyword(src, e, what, IMPORT_KEYWORDS);
    }
    const arg = this.taskFileArg(src, imp, 'import_tasks');
    if (!kw || extra.length || !arg) return [];
    if (TEMPLATE.test(arg.file)) return this.fail(`import_tasks path can't be templated ('${arg.file}'); use include_tasks`, src.pos(arg.node)) ?? [];
    const found = await this.resolveTaskFile(arg.file, src.dir, ctx.inherit.role, ctx.playbookDir);
    if (!found.abs) return this.fail(`tasks file not found: ${arg.file} (looked in ${found.tried.map((t) => displayPath(path.dirname(t))).join(', ')})`, src.pos(arg.node)) ?? [];
    const holder = makeTask('block', src.pos(node), kw, ctx.inherit, ctx.handler);
    return this.loadTaskFileAbs(found.abs, { ...ctx, inherit: inheritFrom(holder, true) }, src.pos(arg.node));
  }

  private async loadInclude(ctx: TaskCtx, node: YAMLMap, es: Entry[]): Promise<Task[]> {
    const { src } = ctx;
    const inc = es.find((e) => shortKeyword(e.key) === 'include_tasks')!;
    const what = `include_tasks '${this.labelOf(src, es, String(src.js(inc.value) ?? ''))}'`;
    // `apply:` (under include_tasks or `args:`): keywords given to the included tasks, which
    // otherwise inherit none of the include's own keywords (Ansible's include_tasks apply)
    let applyEntry: Entry | undefined;
    const argsEntry = es.find((e) => e.key === 'args');
    if (argsEntry) {
      es = es.filter((e) => e !== argsEntry);
      const v = src.resolve(argsEntry.value);
      if (v && isMap(v)) {
        for (const x of entries(src, v)) {
          if (x.key === 'apply') applyEntry = x;
          else this.fail(`include_tasks 'args' takes only 'apply', got '${x.key}' (${what})`, src.pos(x.keyNode));
        }
      } else this.fail(`include_tasks 'args' must be a mapping with 'apply' (${what})`, src.pos(argsEntry.keyNode));
    }
    const extra: Entry[] = [];
    const kw = this.keywords(src, es, INCLUDE_KEYWORDS, what, (e) => e === inc, extra);
    for (const e of extra) {
      if ((TASK_KEYWORDS as readonly string[]).includes(e.key)) this.fail(`keyword '${e.key}' is not allowed on include_tasks (${what})`, src.pos(e.keyNode));
      else this.unknownKeyword(src, e, what, INCLUDE_KEYWORDS);
    }
    const arg = this.taskFileArg(src, inc, 'include_tasks');
    applyEntry = arg?.apply ?? applyEntry;
    let apply: Keywords | undefined;
    if (applyEntry) {
      const av = src.resolve(applyEntry.value);
      if (!av || !isMap(av)) return this.fail(`Expected a dict for apply but got ${describeNode(src, av)} instead`, src.pos(applyEntry.value ?? applyEntry.keyNode)) ?? [];
      apply = this.keywords(src, entries(src, av), INHERITED_KEYWORDS, 'apply of include_tasks', () => false);
      if (!apply) return [];
    }
    if (!kw || extra.length || !arg) return [];
    const task = makeTask('include', src.pos(node), kw, ctx.inherit, ctx.handler);
    task.include = { file: arg.file, baseDir: src.dir, written: arg.file };
    includeInfo.set(task, { playbookDir: ctx.playbookDir, handler: ctx.handler, stack: ctx.stack, apply, outer: ctx.inherit });
    if (!TEMPLATE.test(arg.file)) {
      const found = await this.resolveTaskFile(arg.file, src.dir, ctx.inherit.role, ctx.playbookDir);
      if (!found.abs) return this.fail(`tasks file not found: ${arg.file} (looked in ${found.tried.map((t) => displayPath(path.dirname(t))).join(', ')})`, src.pos(arg.node)) ?? [];
      task.include.file = found.abs;
      // a file including itself (kubespray's retry loop, ended by a `when`/`fail`): Ansible includes
      // it anew each time it runs, so it is loaded at run time like a templated name
      if (ctx.stack.includes(found.abs)) return [task];
      const base: Inherit = { ...ctx.inherit, when: [...ctx.inherit.when], vars: { ...task.vars } };
      task.block = await this.loadTaskFileAbs(found.abs, { ...ctx, inherit: apply ? this.applied(base, apply) : base }, src.pos(arg.node));
    }
    return [task];
  }

  private loadModuleTask(ctx: TaskCtx, node: YAMLMap, es: Entry[]): Task | undefined {
    const { src } = ctx;
    const lookup = this.opts.lookupModule;
    const allowed: readonly string[] = ctx.handler ? TASK_KEYWORDS : TASK_KEYWORDS.filter((k) => k !== 'listen');
    // `action: copy src=a dest=b` / `local_action: ...`: the module and its arguments in one keyword
    const acts = es.filter((e) => e.key === 'action' || e.key === 'local_action');
    const candidates = es.filter((e) => !acts.includes(e) && !allowed.includes(e.key) && !withLookup(e.key));
    const modules = candidates.filter((e) => !UNSUPPORTED[e.key] && !unsupportedWith(e.key) && lookup(e.key));
    const act = acts.length ? this.actionKeyword(src, acts[0]!) : undefined;
    const label = this.labelOf(src, es, modules[0]?.key ?? act?.module ?? candidates[0]?.key ?? 'unnamed');
    const what = `task '${label}'`;
    const before = this.problems.length;
    const kw = this.keywords(src, es, allowed, what, (e) => candidates.includes(e) || acts.includes(e)) ?? {};
    if (acts.length > 1 || (acts.length && modules.length)) {
      const names = [...acts.map((a) => a.key), ...modules.map((m) => m.key)];
      this.fail(`conflicting action statements: ${names.join(', ')} (${what})`, src.pos((acts[1] ?? modules[0] ?? acts[0])!.keyNode));
    }
    if (acts[0]?.key === 'local_action' && kw.delegateTo !== undefined) {
      this.fail(`'local_action' and 'delegate_to' can't be used together (${what})`, src.pos(acts[0].keyNode));
    }
    if (act && this.problems.length === before) {
      const def = lookup(act.module);
      if (!def) return this.fail(unknownModuleMessage(act.module, this.opts.moduleNames?.() ?? [], what), act.pos);
      const inline = act.text !== undefined ? this.argsFromString(src, act.text, act.node, def, what) : act.args;
      if (!inline) return undefined;
      if (acts[0]!.key === 'local_action') kw.delegateTo = 'localhost';
      return this.finishModuleTask(ctx, node, kw, def, inline, src.pos(acts[0]!.keyNode), what, before, act.module);
    }
    if (act === undefined && acts.length) return undefined;

    let moduleTypo = false;
    for (const e of candidates) {
      if (modules.includes(e)) continue;
      const unsupported = UNSUPPORTED[e.key] ?? unsupportedWith(e.key);
      if (unsupported) {
        this.fail(`${unsupported} (${what})`, src.pos(e.keyNode));
        continue;
      }
      if (e.key === 'listen' && !ctx.handler) {
        this.fail(`keyword 'listen' is only allowed in handlers (${what})`, src.pos(e.keyNode));
        continue;
      }
      const hint = closest(e.key, allowed);
      if (hint || modules.length > 0 || moduleTypo) {
        this.fail(`unknown keyword '${e.key}' in ${what}${hint ? `; did you mean '${hint}'?` : ''}`, src.pos(e.keyNode));
      } else {
        moduleTypo = true;
        const names = this.opts.moduleNames?.() ?? [];
        this.fail(unknownModuleMessage(e.key, names, what), src.pos(e.keyNode));
      }
    }
    if (modules.length === 0 && !moduleTypo && this.problems.length === before) {
      this.fail(`${what} has no module (a task needs exactly one, e.g. 'command: ...')`, src.pos(node));
    }
    if (modules.length > 1) {
      this.fail(`${what} has more than one module: ${modules.map((m) => m.key).join(', ')}`, src.pos(modules[1]!.keyNode));
    }
    if (this.problems.length > before || modules.length !== 1) return undefined;

    const modEntry = modules[0]!;
    const def = lookup(modEntry.key)!;
    const inline = this.moduleArgs(src, modEntry, def, what);
    if (!inline) return undefined;
    return this.finishModuleTask(ctx, node, kw, def, inline, src.pos(modEntry.keyNode), what, before, modEntry.key);
  }

  /**
   * `action:` / `local_action:` as Ansible's ModArgsParser reads them: a string `module args...`,
   * or a mapping with `module:` and the arguments.
   */
  private actionKeyword(src: SourceFile, e: Entry): { module: string; text?: string; node: Scalar; args: { args: Record<string, unknown>; keyPos: Record<string, SourcePos> }; pos: SourcePos } | undefined {
    const v = src.resolve(e.value);
    const pos = src.pos(e.value ?? e.keyNode);
    if (v && isScalar(v) && typeof (v as Scalar).value === 'string') {
      const text = ((v as Scalar).value as string).trim();
      const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(text);
      if (!m) return this.fail(`'${e.key}' needs a module name`, pos);
      return { module: m[1]!, text: m[2] ?? '', node: v as Scalar, args: { args: {}, keyPos: {} }, pos };
    }
    if (v && isMap(v)) {
      const args: Record<string, unknown> = {};
      const keyPos: Record<string, SourcePos> = {};
      let module: string | undefined;
      for (const x of entries(src, v)) {
        if (x.key === 'module') module = this.str(src, x, e.key);
        else {
          args[x.key] = src.js(x.value);
          keyPos[x.key] = src.pos(x.keyNode);
        }
      }
      this.checkTemplates(src, e.value, 'value');
      if (!module) return this.fail(`'${e.key}' as a mapping needs 'module' (the module's name)`, pos);
      return { module, node: v as unknown as Scalar, args: { args, keyPos }, pos };
    }
    return this.fail(`'${e.key}' must be a string ('module arg=value ...') or a mapping with 'module', got ${describeNode(src, v)}`, pos);
  }

  private finishModuleTask(
    ctx: TaskCtx,
    node: YAMLMap,
    kw: Keywords,
    def: ModuleDef<any>,
    inline: { args: Record<string, unknown>; keyPos: Record<string, SourcePos> },
    modPos: SourcePos,
    what: string,
    before: number,
    written: string,
  ): Task | undefined {
    const { src } = ctx;
    // module_defaults (Ansible's get_action_args_with_defaults): the task's own arguments win
    const defaults = { ...ctx.inherit.moduleDefaults, ...kw.moduleDefaults }[def.name] ?? {};
    const args = { ...defaults, ...(kw.args?.value ?? {}), ...inline.args };
    const keyPos = { ...(kw.args?.keyPos ?? {}), ...inline.keyPos };
    // set_fact-like modules (`anyArgs: true`) take any key: only their declared args are checked
    let toCheck = args;
    if ((def as { anyArgs?: boolean }).anyArgs) {
      const known = new Set(['_raw_params']);
      for (const [k, a] of Object.entries(def.argSpec)) [k, ...(a.aliases ?? [])].forEach((n) => known.add(n));
      toCheck = Object.fromEntries(Object.entries(args).filter(([k]) => known.has(k)));
      for (const k of Object.keys(args)) {
        if (!known.has(k) && !IDENT.test(k)) this.fail(`'${k}' is not a valid variable name for module '${def.name}' (${what})`, keyPos[k] ?? modPos);
      }
    }
    const checked = checkArgs(def.name, def.argSpec, toCheck, {
      loadTime: true,
      freeForm: def.freeForm,
      requiredOneOf: def.requiredOneOf,
      mutuallyExclusive: def.mutuallyExclusive,
      requiredTogether: def.requiredTogether,
      requiredIf: def.requiredIf,
    });
    for (const p of checked.problems) this.fail(`${p.message} (${what})`, (p.arg && keyPos[p.arg]) || modPos);
    if (this.problems.length > before) return undefined;

    const task = makeTask('task', src.pos(node), kw, ctx.inherit, ctx.handler);
    task.module = def.name;
    if (written !== def.name) task.action = written;
    task.args = args;
    if (def.name === 'template') checkTemplateFile(args.src, ctx.inherit.role?.path, ctx.playbookDir, (m, p) => this.fail(`${m} (${what})`, { ...p, file: displayPath(p.file) }));
    return task;
  }

  /** The module key's own value as args, with each argument's position. */
  private moduleArgs(src: SourceFile, e: Entry, def: ModuleDef<any>, what: string): { args: Record<string, unknown>; keyPos: Record<string, SourcePos> } | undefined {
    const v = src.resolve(e.value);
    const keyPos: Record<string, SourcePos> = {};
    this.checkTemplates(src, e.value, 'value');
    if (v === null || (isScalar(v) && (v as Scalar).value === null)) return { args: {}, keyPos };
    if (isMap(v)) {
      const args: Record<string, unknown> = {};
      for (const x of entries(src, v)) {
        args[x.key] = src.js(x.value);
        keyPos[x.key] = src.pos(x.keyNode);
      }
      return { args, keyPos };
    }
    if (isScalar(v) && ['string', 'number', 'boolean'].includes(typeof (v as Scalar).value)) {
      return this.argsFromString(src, String((v as Scalar).value), v as Scalar, def, what);
    }
    return this.fail(`arguments of module '${e.key}' must be a mapping or a key=value string, got ${describeNode(src, v)} (${what})`, src.pos(v));
  }

  /** A module's arguments written as one string (free form or key=value), with each argument's position. */
  private argsFromString(src: SourceFile, s: string, v: Scalar, def: ModuleDef<any>, what: string): { args: Record<string, unknown>; keyPos: Record<string, SourcePos> } | undefined {
    const keyPos: Record<string, SourcePos> = {};
    {
      const offsetPos = this.offsetMapper(src, v, s);
      if (def.freeForm) {
        const known = new Set<string>();
        for (const [k, a] of Object.entries(def.argSpec)) [k, ...(a.aliases ?? [])].forEach((n) => known.add(n));
        const parsed = parseFreeForm(s, (k) => known.has(k));
        for (const [k, off] of Object.entries(parsed.keyOffsets)) keyPos[k] = offsetPos(off);
        return { args: parsed.args, keyPos };
      }
      const parsed = parseKv(s);
      if (parsed.rest.length) {
        return this.fail(
          `module '${def.name}' takes key=value arguments, got '${parsed.rest[0]!.text}' (${what})`,
          offsetPos(parsed.rest[0]!.start),
        );
      }
      for (const [k, off] of Object.entries(parsed.keyOffsets)) keyPos[k] = offsetPos(off);
      return { args: parsed.args, keyPos };
    }
  }

  /** Parse every template string (or condition) of `node` now: errors at file:line:col, before any host is contacted. */
  /** A playbook's or role's Python filter/test plugins (python-plugins.ts). */
  private loadPlugins(dir: string, at: SourcePos | undefined): void {
    try {
      loadAdjacentPlugins(dir);
    } catch (e) {
      if (e instanceof TemplateError) this.fail(e.message, at);
      else throw e;
    }
  }

  private checkTemplates(src: SourceFile, node: unknown, kind: 'value' | 'expr'): void {
    checkTemplates(src, node, kind, (message, pos) => this.fail(message, pos));
  }

  /** Map an offset in a scalar's value to a file position (exact for single-line scalars). */
  private offsetMapper(src: SourceFile, node: Scalar, value: string): (offset: number) => SourcePos {
    const start = node.range?.[0];
    const text = src.text;
    if (start !== undefined && !value.includes('\n')) {
      const q = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' ? 1 : 0;
      if (text.slice(start + q, start + q + value.length) === value) return (off) => src.posAt(start + q + off);
    }
    return () => src.pos(node);
  }

  // ---------------------------------------------------------------- keyword values

  private unknownKeyword(src: SourceFile, e: Entry, what: string, allowed: readonly string[]): void {
    const unsupported = UNSUPPORTED[e.key] ?? unsupportedWith(e.key);
    if (unsupported) this.fail(`${unsupported} (${what})`, src.pos(e.keyNode));
    else this.fail(`unknown keyword '${e.key}' in ${what}${didYouMean(e.key, allowed)}`, src.pos(e.keyNode));
  }

  /** A play keyword written as a template: kept for the runner to render when the play starts. */
  private templatedPlayKeyword(src: SourceFile, e: Entry, play: Play): boolean {
    const v = src.js(e.value);
    if (typeof v !== 'string' || !v.includes('{{')) return false;
    (play.templated ??= {})[e.key as keyof NonNullable<Play['templated']>] = v;
    this.checkTemplates(src, e.value, 'value');
    return true;
  }

  private maxFail(src: SourceFile, e: Entry, what: string, play: Play): void {
    const v = src.js(e.value);
    const n = typeof v === 'string' ? Number(v.replace(/%$/, '')) : v;
    if (typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 100) play.maxFailPercentage = n;
    else this.typeError(src, e, what, 'a number from 0 to 100');
  }

  private strategy(src: SourceFile, e: Entry, what: string, play: Play): void {
    const v = src.js(e.value);
    const name = typeof v === 'string' ? v.replace(/^ansible\.builtin\./, '') : v;
    if (name === 'linear' || name === 'free') play.strategy = name;
    else if (name === 'host_pinned' || name === 'debug') {
      this.fail(`strategy '${v}' is an Ansible strategy that wheelwright does not support: use linear or free`, src.pos(e.value ?? e.keyNode));
    } else this.typeError(src, e, what, "'linear' or 'free'");
  }

  private typeError(src: SourceFile, e: Entry, what: string, expected: string): undefined {
    const v = src.js(e.value);
    return this.fail(`keyword '${e.key}' in ${what} must be ${expected}, got ${describe(v)}`, src.pos(e.value ?? e.keyNode));
  }

  private str(src: SourceFile, e: Entry, what: string): string | undefined {
    const v = src.js(e.value);
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return this.typeError(src, e, what, 'a string');
  }

  private bool(src: SourceFile, e: Entry, what: string): boolean | undefined {
    const v = src.js(e.value);
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string') {
      const l = v.trim().toLowerCase();
      if (['yes', 'true', 'on', '1'].includes(l)) return true;
      if (['no', 'false', 'off', '0'].includes(l)) return false;
    }
    if (v === 0 || v === 1) return v === 1;
    return this.typeError(src, e, what, 'a boolean (true or false)');
  }

  /** `environment:` a mapping whose keys are valid environment variable names (checked here, before any host). */
  private environment(src: SourceFile, e: Entry, what: string): Record<string, unknown> | undefined {
    // a template (`environment: "{{ proxy_env }}"`) or a list of mappings and templates, as Ansible
    // allows: templates are kept under placeholder keys, rendered to mappings per host at run time
    const raw = src.js(e.value);
    const templ = (x: unknown) => typeof x === 'string' && x.includes('{{');
    if (templ(raw) || (Array.isArray(raw) && raw.every((x) => templ(x) || (x && typeof x === 'object' && !Array.isArray(x))))) {
      const out: Record<string, unknown> = {};
      for (const x of Array.isArray(raw) ? raw : [raw]) {
        if (typeof x === 'string') out[`${ENV_TEMPLATE_KEY}${envTemplates++}`] = x;
        else Object.assign(out, x as Record<string, unknown>);
      }
      this.checkTemplates(src, e.value, 'value');
      return out;
    }
    const v = this.mapping(src, e, what);
    const node = src.resolve(e.value);
    if (v && isMap(node)) {
      for (const x of entries(src, node)) {
        if (!TEMPLATE.test(x.key) && !IDENT.test(x.key)) {
          this.fail(`environment variable name '${x.key}' in ${what} is not valid (letters, digits and _ only, not starting with a digit)`, src.pos(x.keyNode));
        }
      }
    }
    return v;
  }

  /**
   * `module_defaults:` a mapping (or a list of them, later ones winning) of module name (short or
   * FQCN, or `group/name`) to default arguments, as Ansible's; keys are the modules' canonical names.
   */
  private moduleDefaults(src: SourceFile, e: Entry, what: string): Record<string, Record<string, unknown>> | undefined {
    const v = src.js(e.value);
    const list = v === null ? [] : Array.isArray(v) ? v : [v];
    if (!list.every((x) => x && typeof x === 'object' && !Array.isArray(x))) return this.typeError(src, e, what, 'a mapping of module names to arguments (or a list of them)');
    const out: Record<string, Record<string, unknown>> = {};
    for (const m of list as Record<string, unknown>[]) {
      for (const [k, args] of Object.entries(m)) {
        if (args !== null && (typeof args !== 'object' || Array.isArray(args))) {
          this.fail(`module_defaults for '${k}' in ${what} must be a mapping of arguments, got ${describe(args)}`, src.pos(e.value ?? e.keyNode));
          continue;
        }
        // an unknown module (one wheelwright lacks) has no task to apply to: kept under its name
        const name = k.startsWith('group/') ? k : (this.opts.lookupModule(k)?.name ?? k);
        out[name] = { ...((args as Record<string, unknown> | null) ?? {}) };
      }
    }
    return out;
  }

  /** `vars:` a mapping, or (as Ansible accepts) a list of mappings merged in order. */
  private varsMapping(src: SourceFile, e: Entry, what: string): Record<string, unknown> | undefined {
    const v = src.js(e.value);
    if (Array.isArray(v)) {
      if (v.every((x) => x && typeof x === 'object' && !Array.isArray(x))) return Object.assign({}, ...v);
      return this.typeError(src, e, what, 'a mapping or a list of mappings');
    }
    return this.mapping(src, e, what);
  }

  private mapping(src: SourceFile, e: Entry, what: string): Record<string, unknown> | undefined {
    const v = src.js(e.value);
    if (v === null) return {};
    if (typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    return this.typeError(src, e, what, 'a mapping');
  }

  private stringList(src: SourceFile, e: Entry, what: string): string[] | undefined {
    const v = src.js(e.value);
    if (v === null) return [];
    if (typeof v === 'string') return [v];
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    return this.typeError(src, e, what, 'a string or a list of strings');
  }

  private conditions(src: SourceFile, e: Entry, what: string): string[] | undefined {
    const v = src.js(e.value);
    const one = (x: unknown) => (typeof x === 'string' ? x.trim() : typeof x === 'boolean' || typeof x === 'number' ? String(x) : undefined);
    if (v === null) return [];
    if (Array.isArray(v)) {
      const out = v.map(one);
      if (out.every((x) => x !== undefined)) return out as string[];
    } else {
      const s = one(v);
      if (s !== undefined) return [s];
    }
    return this.typeError(src, e, what, 'a condition (a string or a boolean) or a list of them');
  }

  private tags(src: SourceFile, e: Entry, what: string): string[] | undefined {
    const v = src.js(e.value);
    const split = (x: unknown) => (typeof x === 'string' ? x.split(',').map((s) => s.trim()).filter(Boolean) : typeof x === 'number' ? [String(x)] : undefined);
    if (v === null) return [];
    if (Array.isArray(v)) {
      const parts = v.map(split);
      if (parts.every((p) => p !== undefined)) return uniq(parts.flat() as string[]);
    } else {
      const s = split(v);
      if (s) return uniq(s);
    }
    return this.typeError(src, e, what, 'a string (comma-separated tags) or a list of strings');
  }

  private int(src: SourceFile, e: Entry, what: string, min = 0): number | undefined {
    const v = src.js(e.value);
    if (typeof v === 'number' && Number.isInteger(v) && v >= min) return v;
    if (typeof v === 'string' && /^\s*\d+\s*$/.test(v) && Number(v) >= min) return Number(v);
    return this.typeError(src, e, what, min > 0 ? `a positive integer` : 'an integer (0 or more)');
  }

  private becomeMethod(src: SourceFile, e: Entry, what: string): 'sudo' | 'su' | undefined {
    const v = src.js(e.value);
    if (v === 'sudo' || v === 'su') return v;
    return this.typeError(src, e, what, "'sudo' or 'su'");
  }

  private loopControl(src: SourceFile, e: Entry, what: string): LoopControl | undefined {
    const v = src.resolve(e.value);
    if (!v || !isMap(v)) return this.typeError(src, e, what, 'a mapping');
    const lc: LoopControl = {};
    let ok = true;
    for (const x of entries(src, v)) {
      const sub = `loop_control of ${what}`;
      if (x.key === 'label') lc.label = this.str(src, x, sub);
      else if (x.key === 'loop_var' || x.key === 'index_var') {
        const s = this.str(src, x, sub);
        if (s !== undefined && !IDENT.test(s)) {
          ok = false;
          this.fail(`keyword '${x.key}' in ${sub} must be a variable name, got '${s}'`, src.pos(x.value));
        } else if (x.key === 'loop_var') lc.loopVar = s;
        else lc.indexVar = s;
      } else if (x.key === 'extended' || x.key === 'extended_allitems') {
        const b = src.js(x.value);
        if (typeof b === 'boolean' || (typeof b === 'string' && b.includes('{{'))) lc[x.key === 'extended' ? 'extended' : 'extendedAllitems'] = b;
        else {
          ok = false;
          this.fail(`keyword '${x.key}' in ${sub} must be a boolean, got ${JSON.stringify(b)}`, src.pos(x.value));
        }
      } else if (x.key === 'pause') {
        const n = src.js(x.value);
        if ((typeof n === 'number' && n >= 0) || (typeof n === 'string' && n.includes('{{'))) lc.pause = n;
        else {
          ok = false;
          this.fail(`keyword 'pause' in ${sub} must be a number of seconds, got ${JSON.stringify(n)}`, src.pos(x.value));
        }
      } else {
        ok = false;
        this.fail(`unknown keyword '${x.key}' in ${sub} (supported: label, loop_var, index_var, extended, extended_allitems, pause)`, src.pos(x.keyNode));
      }
    }
    return ok ? lc : undefined;
  }

  /** Read one task/block/role-entry keyword into `kw`; false when its value is wrong (reported). */
  readKeyword(src: SourceFile, e: Entry, what: string, kw: Keywords): boolean {
    const n = this.problems.length;
    const decl = keyword(e.key);
    if (decl?.field) {
      // declared once in KEYWORDS: its type says how to read it
      const v = src.js(e.value);
      const field = decl.field as keyof Keywords;
      if (decl.type !== 'string' && decl.templated && typeof v === 'string' && TEMPLATE.test(v)) (kw.templated ??= {})[e.key] = v;
      else (kw as Record<string, unknown>)[field] = decl.type === 'bool' ? this.bool(src, e, what) : decl.type === 'int' ? this.int(src, e, what) : this.str(src, e, what);
      if (this.problems.length === n) this.checkTemplates(src, e.value, 'value');
      return this.problems.length === n;
    }
    const lookup = withLookup(e.key);
    if (lookup) {
      // with_<lookup>: the terms are templated and given to the lookup per host when the task runs
      if (kw.loop !== undefined) this.fail(`only one of 'loop' and with_* may be used (${what})`, src.pos(e.keyNode));
      else {
        const v = src.js(e.value);
        kw.loop = v === null ? [] : v;
        kw.loopWith = lookup === 'ansible.builtin.items' ? 'items' : lookup;
        this.checkTemplates(src, e.value, 'value');
      }
      return this.problems.length === n;
    }
    switch (e.key) {
      case 'name':
        kw.name = this.str(src, e, what);
        break;
      case 'when':
        kw.when = this.conditions(src, e, what);
        break;
      case 'changed_when':
        kw.changedWhen = this.conditions(src, e, what);
        break;
      case 'failed_when':
        kw.failedWhen = this.conditions(src, e, what);
        break;
      case 'until':
        kw.until = this.conditions(src, e, what);
        break;
      case 'loop': {
        const v = src.js(e.value);
        if (kw.loop !== undefined) this.fail(`'loop' and '${kw.loopWith ? `with_${kw.loopWith}` : 'loop'}' can't be used together (${what})`, src.pos(e.keyNode));
        else if (Array.isArray(v)) kw.loop = v;
        else if (typeof v === 'string' && TEMPLATE.test(v)) kw.loop = v;
        else this.typeError(src, e, what, 'a list or a template (a string holding {{ }})');
        break;
      }
      case 'loop_control':
        kw.loopControl = this.loopControl(src, e, what);
        break;
      case 'register': {
        const s = this.str(src, e, what);
        if (s !== undefined && !IDENT.test(s)) this.fail(`keyword 'register' in ${what} must be a variable name, got '${s}'`, src.pos(e.value));
        else kw.register = s;
        break;
      }
      case 'notify':
        kw.notify = this.stringList(src, e, what);
        break;
      case 'listen':
        kw.listen = this.stringList(src, e, what);
        break;
      case 'tags':
        kw.tags = this.tags(src, e, what);
        break;
      case 'delay': {
        const v = src.js(e.value);
        if (typeof v === 'string' && TEMPLATE.test(v)) {
          (kw.templated ??= {}).delay = v;
          break;
        }
        const d = typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v;
        if (typeof d === 'number' && d >= 0) kw.delay = d;
        else this.typeError(src, e, what, 'a number of seconds');
        break;
      }
      case 'environment':
        kw.environment = this.environment(src, e, what);
        break;
      case 'become_method': {
        const v = src.js(e.value);
        if (typeof v === 'string' && TEMPLATE.test(v)) (kw.templated ??= {}).become_method = v;
        else kw.becomeMethod = this.becomeMethod(src, e, what);
        break;
      }
      case 'vars':
        kw.vars = this.varsMapping(src, e, what);
        break;
      case 'module_defaults':
        kw.moduleDefaults = this.moduleDefaults(src, e, what);
        break;
      case 'args': {
        const v = src.resolve(e.value);
        if (v && isMap(v)) {
          const value: Record<string, unknown> = {};
          const keyPos: Record<string, SourcePos> = {};
          for (const x of entries(src, v)) {
            value[x.key] = src.js(x.value);
            keyPos[x.key] = src.pos(x.keyNode);
          }
          kw.args = { value, keyPos };
        } else if (!(v === null || (isScalar(v) && (v as Scalar).value === null))) this.typeError(src, e, what, 'a mapping');
        break;
      }
      default:
        this.fail(`unknown keyword '${e.key}' in ${what}`, src.pos(e.keyNode));
    }
    if (this.problems.length === n) this.checkTemplates(src, e.value, CONDITION_KEYWORDS.has(e.key) ? 'expr' : 'value');
    return this.problems.length === n;
  }
}

// ---------------------------------------------------------------- helpers

function makeTask(kind: Task['kind'], pos: SourcePos, kw: Keywords, inh: Inherit, _handler: boolean): Task {
  const task: Task = {
    kind,
    pos,
    args: {},
    when: [...inh.when, ...(kw.when ?? [])],
    notify: kw.notify ?? inh.notify ?? [],
    runOnce: kw.runOnce ?? inh.runOnce ?? false,
    // handlers keep their own tags: their Inherit starts with none
    tags: uniq([...inh.tags, ...(kw.tags ?? [])]),
    ignoreErrors: kw.ignoreErrors ?? inh.ignoreErrors ?? false,
    ignoreUnreachable: kw.ignoreUnreachable ?? inh.ignoreUnreachable ?? false,
    ...((kw.anyErrorsFatal ?? inh.anyErrorsFatal) !== undefined ? { anyErrorsFatal: kw.anyErrorsFatal ?? inh.anyErrorsFatal } : {}),
    ...(kw.delegateFacts !== undefined ? { delegateFacts: kw.delegateFacts } : {}),
    environment: { ...inh.environment, ...(kw.environment ?? {}) },
    vars: { ...inh.vars, ...(kw.vars ?? {}) },
    listen: kw.listen ?? [],
    noLog: kw.noLog ?? inh.noLog ?? false,
  };
  const set = <K extends keyof Task>(k: K, v: Task[K] | undefined) => {
    if (v !== undefined) task[k] = v;
  };
  set('name', kw.name);
  set('loop', kw.loop);
  set('loopWith', kw.loopWith);
  set('loopControl', kw.loopControl);
  set('register', kw.register);
  set('delegateTo', kw.delegateTo ?? inh.delegateTo);
  set('retries', kw.retries);
  set('throttle', kw.throttle ?? inh.throttle);
  set('timeout', kw.timeout ?? inh.timeout);
  set('connection', kw.connection ?? inh.connection);
  set('remoteUser', kw.remoteUser ?? inh.remoteUser);
  set('port', kw.port ?? inh.port);
  set('delay', kw.delay);
  set('async', kw.async);
  set('poll', kw.poll);
  set('until', kw.until);
  set('changedWhen', kw.changedWhen);
  set('failedWhen', kw.failedWhen);
  set('become', kw.become ?? inh.become);
  set('becomeUser', kw.becomeUser ?? inh.becomeUser);
  set('becomeMethod', kw.becomeMethod ?? inh.becomeMethod);
  set('checkMode', kw.checkMode ?? inh.checkMode);
  set('diff', kw.diff ?? inh.diff);
  set('role', inh.role);
  set('templated', mergeTemplated(inh.templated, kw));
  if (inh.moduleDefaults || kw.moduleDefaults) task.moduleDefaults = { ...inh.moduleDefaults, ...kw.moduleDefaults };
  return task;
}

/** A role entry's keywords on top of what the play hands down. */
function mergeInherit(parent: Inherit, kw: Keywords): Inherit {
  return {
    ...parent,
    tags: uniq([...parent.tags, ...(kw.tags ?? [])]),
    when: [...parent.when, ...(kw.when ?? [])],
    vars: { ...parent.vars },
    environment: { ...parent.environment, ...(kw.environment ?? {}) },
    become: kw.become ?? parent.become,
    becomeUser: kw.becomeUser ?? parent.becomeUser,
    becomeMethod: kw.becomeMethod ?? parent.becomeMethod,
    ignoreErrors: kw.ignoreErrors ?? parent.ignoreErrors,
    ignoreUnreachable: kw.ignoreUnreachable ?? parent.ignoreUnreachable,
    anyErrorsFatal: kw.anyErrorsFatal ?? parent.anyErrorsFatal,
    checkMode: kw.checkMode ?? parent.checkMode,
    diff: kw.diff ?? parent.diff,
    noLog: kw.noLog ?? parent.noLog,
    throttle: kw.throttle ?? parent.throttle,
    timeout: kw.timeout ?? parent.timeout,
    connection: kw.connection ?? parent.connection,
    remoteUser: kw.remoteUser ?? parent.remoteUser,
    port: kw.port ?? parent.port,
    notify: kw.notify ?? parent.notify,
    ...(parent.templated || kw.templated ? { templated: mergeTemplated(parent.templated, kw) } : {}),
    ...(parent.moduleDefaults || kw.moduleDefaults ? { moduleDefaults: { ...parent.moduleDefaults, ...kw.moduleDefaults } } : {}),
  };
}

/**
 * The templated keywords a task (or block) has: its own, and those handed down unless it sets
 * the keyword itself (as a plain value), as Ansible's inheritance.
 */
function mergeTemplated(inh: Record<string, string> | undefined, kw: Keywords): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(inh ?? {})) {
    const field = keyword(k)?.field ?? (k === 'delay' ? 'delay' : k === 'become_method' ? 'becomeMethod' : undefined);
    if (field === undefined || (kw as Record<string, unknown>)[field] === undefined) out[k] = v;
  }
  Object.assign(out, kw.templated ?? {});
  return Object.keys(out).length ? out : undefined;
}

/** The *_from files of an import/include_role. */
function fromOf(spec: IncludeRoleSpec): RoleFrom {
  const f: RoleFrom = {};
  if (spec.tasksFrom !== undefined) f.tasks = spec.tasksFrom;
  if (spec.varsFrom !== undefined) f.vars = spec.varsFrom;
  if (spec.defaultsFrom !== undefined) f.defaults = spec.defaultsFrom;
  if (spec.handlersFrom !== undefined) f.handlers = spec.handlersFrom;
  return f;
}

/**
 * A role use's variables as Ansible's Role computes them (get_default_vars, get_vars,
 * get_role_params with the dependency chain): what its tasks see, and what it gives the play.
 */
function roleInfo(name: string, dir: string, own: RoleOwn, deps: RoleInfo[], chain: RoleOwn[]): RoleInfo {
  const depDefaults = Object.assign({}, ...deps.map((d) => d.exportDefaults ?? {}));
  const depVars = Object.assign({}, ...deps.map((d) => d.exportVars ?? {}));
  return {
    name,
    path: dir,
    defaults: Object.assign({}, depDefaults, ...chain.map((p) => p.defaults), own.defaults),
    vars: Object.assign({}, ...chain.flatMap((p) => [p.entryVars, p.vars]), depVars, own.entryVars, own.vars),
    params: Object.assign({}, ...chain.map((p) => p.params), own.params),
    exportDefaults: { ...depDefaults, ...own.defaults },
    exportVars: { ...depVars, ...own.entryVars, ...own.vars },
  };
}

function normalizeSerial(v: number | string): number | string {
  if (typeof v === 'string' && /^\s*\d+\s*$/.test(v)) return Number(v);
  return typeof v === 'string' ? v.trim() : v;
}

function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

export function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null || v === undefined) return 'nothing';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function describeNode(src: SourceFile, node: YNode | null): string {
  return describe(node ? src.js(node) : null);
}

function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** `<dir>/main.yml`, `<dir>/main.yaml`, or every YAML file of `<dir>/main/` (sorted). */
export async function findMain(dir: string): Promise<string[]> {
  for (const f of ['main.yml', 'main.yaml']) if (await isFile(path.join(dir, f))) return [path.join(dir, f)];
  const sub = path.join(dir, 'main');
  if (await isDir(sub)) {
    const names = (await readdir(sub)).filter((n) => /\.ya?ml$/.test(n)).sort();
    return names.map((n) => path.join(sub, n));
  }
  return [];
}
