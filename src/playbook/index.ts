/**
 * Playbook loading: YAML → the typed model of ./types.ts, validated before any host is contacted.
 * Every problem is a UserError at file:line:col (several problems: one line each, see PlaybookError).
 */
import * as path from 'node:path';
import { UserError } from '../errors.js';
import { getModule, moduleNames } from '../modules/registry.js';
import { emptyInherit, includeInfo, inheritFrom, Loader, newPlayState, type Inherit, type ModuleLookup, type RoleFrom } from './loader.js';
import { displayPath } from './source.js';
import type { Play, Playbook, RoleInfo, Task } from './types.js';

export { PlaybookError, type ModuleLookup } from './loader.js';
export { serialBatches } from './serial.js';
export type * from './types.js';

export interface LoadPlaybookOptions {
  /** Directories searched for roles after `roles/` next to the playbook (the CLI passes the project's `roles/`). */
  roleSearchPaths?: string[];
  /** Module lookup by short or FQCN name; defaults to the module registry (`getModule`). */
  lookupModule?: ModuleLookup;
  /** Module names for "did you mean" hints; defaults to the registry's when lookupModule is not given. */
  moduleNames?: () => string[];
  /** Called with the first play once its own keywords are read, before its roles load (see LoaderOptions). */
  onFirstPlay?: (play: Play) => void;
}

let builtinsLoaded: Promise<void> | undefined;

/** Register the built-in modules (src/modules/index.ts) once, if that file exists. */
function loadBuiltinModules(): Promise<void> {
  builtinsLoaded ??= (async () => {
    // Already registered (the CLI's runner imports them): no second copy from another path (the
    // bundled CLI would otherwise load dist/modules/ beside its own).
    if (getModule('ansible.builtin.command') ?? getModule('command')) return;
    const spec = '../modules/index.js';
    try {
      await import(spec);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const missing = (err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND') && /modules[\\/]index/.test(err.message);
      if (!missing) throw e;
    }
  })();
  return builtinsLoaded;
}

async function resolveOptions(opts: LoadPlaybookOptions): Promise<{ lookupModule: ModuleLookup; moduleNames: () => string[] }> {
  if (opts.lookupModule) return { lookupModule: opts.lookupModule, moduleNames: opts.moduleNames ?? (() => []) };
  await loadBuiltinModules();
  return { lookupModule: getModule, moduleNames: opts.moduleNames ?? moduleNames };
}

/**
 * Load a playbook file with its imported playbooks, roles, vars_files and task files, and validate
 * every keyword and every module's arguments. Throws a UserError (a PlaybookError when several
 * problems were found) naming file:line:col.
 */
export async function loadPlaybook(file: string, opts: LoadPlaybookOptions = {}): Promise<Playbook> {
  const resolved = await resolveOptions(opts);
  const loader = new Loader({ roleSearchPaths: opts.roleSearchPaths, ...resolved, ...(opts.onFirstPlay ? { onFirstPlay: opts.onFirstPlay } : {}) });
  return loader.loadPlaybook(path.resolve(file));
}

export interface TaskFileContext {
  /** Directory of the file that names this one (Task.include.baseDir); relative paths start here. */
  baseDir: string;
  /** The include_tasks task: its role, tags, vars, environment, become... pass down to the tasks. */
  parent?: Task;
  /** The playbook's directory (last place relative paths are looked up); known for includes the loader made. */
  playbookDir?: string;
  /** Load the file as handlers. */
  handler?: boolean;
  lookupModule?: ModuleLookup;
  moduleNames?: () => string[];
  /** What import_role inside the file adds to the play: roles run (identities), public roles, handlers. */
  play?: RuntimePlay;
}

/** The play as roles loaded at run time see it, for one host. */
export interface RuntimePlay {
  /** identities of the roles that ran on the host (a dependency that ran is not run again) */
  seenRoles: Set<string>;
  /** receives the public roles (import_role, include_role with public: true) */
  roles: RoleInfo[];
  /** receives the handlers of the roles loaded */
  handlers: Task[];
  /** role and handlers file already loaded (their handlers are added once) */
  handlersLoaded: Set<string>;
}

/**
 * Load and validate a tasks file at run time (include_tasks with a templated path). A relative
 * `file` is looked up in ctx.baseDir, then the parent's role's tasks/ dir, then the playbook dir.
 * The tasks inherit the parent's tags, vars, environment and become settings, not its `when`
 * (the runner evaluated that before including).
 */
export async function loadTaskFile(file: string, ctx: TaskFileContext): Promise<Task[]> {
  const resolved = await resolveOptions(ctx);
  const info = ctx.parent ? includeInfo.get(ctx.parent) : undefined;
  const loader = new Loader({ ...resolved, roleSearchPaths: info?.roleSearchPaths });
  const playbookDir = ctx.playbookDir ?? info?.playbookDir ?? ctx.baseDir;
  const role = ctx.parent?.role;
  const found = await loader.resolveTaskFile(file, ctx.baseDir, role, playbookDir);
  if (!found.abs) {
    throw new UserError(`tasks file not found: ${file} (looked in ${[...new Set(found.tried.map((t) => displayPath(path.dirname(t))))].join(', ')})`, ctx.parent?.pos);
  }
  const inherit = ctx.parent ? includedInherit(ctx.parent, loader) : emptyInherit();
  const state = ctx.play ? runtimeState(playbookDir, ctx.play, emptyInherit()) : undefined;
  const tasks = await loader.loadTaskFileAbs(
    found.abs,
    // an include_tasks of a file being included (a recursion Ansible allows) starts that file afresh
    { playbookDir, inherit, handler: ctx.handler ?? info?.handler ?? false, stack: (info?.stack ?? []).filter((f) => f !== found.abs), ...(state ? { play: state } : {}) },
    ctx.parent?.pos,
  );
  loader.throwIfFailed();
  if (state && ctx.play) finishRuntime(state, ctx.play);
  return tasks;
}

/**
 * What an include_tasks hands its tasks: what its enclosing blocks, role and play hand down, its
 * vars, and its `apply:` keywords; not its own keywords (tags, ignore_errors, ...), as Ansible.
 */
function includedInherit(parent: Task, loader: Loader): Inherit {
  const info = includeInfo.get(parent);
  if (!info?.outer) return inheritFrom(parent, false);
  const base: Inherit = { ...info.outer, when: [...info.outer.when], vars: { ...parent.vars } };
  return info.apply ? loader.applied(base, info.apply) : base;
}

function runtimeState(playbookDir: string, play: RuntimePlay, handlerInherit: Inherit) {
  const state = newPlayState(playbookDir, play.seenRoles, emptyInherit(), handlerInherit);
  state.handlersLoaded = play.handlersLoaded;
  return state;
}

function finishRuntime(state: ReturnType<typeof runtimeState>, play: RuntimePlay): void {
  play.roles.push(...state.roles);
  play.handlers.push(...state.roleHandlers, ...state.importHandlers);
}

/** include_role's role, rendered: name and *_from files. */
export interface IncludedRole {
  name: string;
  from: RoleFrom;
  public: boolean;
  allowDuplicates: boolean;
}

/**
 * Load an include_role's role at run time (its name and *_from files rendered by the runner): its
 * dependencies (those not run yet on the host) and tasks, which inherit the include's keywords
 * except `when` (evaluated once, for the include) and `tags` (which select the include itself),
 * plus its `apply` keywords. Its handlers go to `play.handlers`; a public role to `play.roles`.
 */
export async function loadIncludedRole(
  parent: Task,
  role: IncludedRole,
  play: RuntimePlay,
  opts: { lookupModule?: ModuleLookup; moduleNames?: () => string[] } = {},
): Promise<{ tasks: Task[]; role: RoleInfo }> {
  const resolved = await resolveOptions(opts);
  const info = includeInfo.get(parent);
  const playbookDir = info?.playbookDir ?? path.dirname(parent.pos.file);
  const loader = new Loader({ ...resolved, roleSearchPaths: info?.roleSearchPaths });
  const base = info?.outer ? { ...info.outer, when: [...info.outer.when], vars: { ...parent.vars } } : { ...inheritFrom(parent, false), tags: [] as string[] };
  const state = runtimeState(playbookDir, play, emptyInherit());
  const used = await loader.useRole(state, {
    at: parent.pos, name: role.name, params: {}, entryVars: { ...parent.vars }, kw: {}, from: role.from,
    allowDuplicates: role.allowDuplicates, fromInclude: true, parent: info?.apply ? loader.applied(base, info.apply) : base,
    extraDirs: [], chain: [], stack: [],
  });
  loader.throwIfFailed();
  if (role.public) state.roles.push(used!.role);
  finishRuntime(state, play);
  return used!;
}
