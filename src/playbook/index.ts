/**
 * Playbook loading: YAML → the typed model of ./types.ts, validated before any host is contacted.
 * Every problem is a UserError at file:line:col (several problems: one line each, see PlaybookError).
 */
import * as path from 'node:path';
import { UserError } from '../errors.js';
import { getModule, moduleNames } from '../modules/registry.js';
import { emptyInherit, includeInfo, inheritFrom, Loader, type ModuleLookup } from './loader.js';
import { displayPath } from './source.js';
import type { Playbook, Task } from './types.js';

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
  const loader = new Loader({ roleSearchPaths: opts.roleSearchPaths, ...resolved });
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
}

/**
 * Load and validate a tasks file at run time (include_tasks with a templated path). A relative
 * `file` is looked up in ctx.baseDir, then the parent's role's tasks/ dir, then the playbook dir.
 * The tasks inherit the parent's tags, vars, environment and become settings, not its `when`
 * (the runner evaluated that before including).
 */
export async function loadTaskFile(file: string, ctx: TaskFileContext): Promise<Task[]> {
  const resolved = await resolveOptions(ctx);
  const loader = new Loader(resolved);
  const info = ctx.parent ? includeInfo.get(ctx.parent) : undefined;
  const playbookDir = ctx.playbookDir ?? info?.playbookDir ?? ctx.baseDir;
  const role = ctx.parent?.role;
  const found = await loader.resolveTaskFile(file, ctx.baseDir, role, playbookDir);
  if (!found.abs) {
    throw new UserError(`tasks file not found: ${file} (looked in ${[...new Set(found.tried.map((t) => displayPath(path.dirname(t))))].join(', ')})`, ctx.parent?.pos);
  }
  const inherit = ctx.parent ? inheritFrom(ctx.parent, false) : emptyInherit();
  const tasks = await loader.loadTaskFileAbs(
    found.abs,
    { playbookDir, inherit, handler: ctx.handler ?? info?.handler ?? false, stack: info?.stack ?? [] },
    ctx.parent?.pos,
  );
  loader.throwIfFailed();
  return tasks;
}
