import type { ModuleContext, ModuleDef, ModuleResult } from './types.js';
import { isVarScope } from '../template/lazy.js';

export interface DebugArgs {
  msg?: unknown;
  var?: string;
  verbosity: number;
}

const UNDEFINED = 'VARIABLE IS NOT DEFINED!';

/** Look a dotted/indexed path (a.b[0]['c']) up in the host's variables; undefined when absent. */
export function lookupVar(vars: Record<string, unknown>, path: string): { found: boolean; value?: unknown } {
  const parts: string[] = [];
  const re = /([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[['"]([^'"]*)['"]\]|\./gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < path.length && (m = re.exec(path))) {
    pos = re.lastIndex;
    const key = m[1] ?? m[2] ?? m[3];
    if (key !== undefined) parts.push(key);
  }
  if (pos !== path.length || !parts.length) return { found: false };
  let cur: unknown = vars;
  for (const p of parts) {
    if (cur === null || typeof cur !== 'object' || !(p in (cur as Record<string, unknown>))) return { found: false };
    cur = (cur as Record<string, unknown>)[p];
  }
  return { found: cur !== undefined, value: cur };
}

/** Jinja's words for where a variable path first fails (`'x' is undefined`, `'dict object' has no attribute 'k'`). */
function undefinedWhy(vars: Record<string, unknown>, name: string): string | undefined {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z_][A-Za-z0-9_]*)*)$/.exec(name);
  if (!m) return undefined;
  if (!(m[1]! in vars) || vars[m[1]!] === undefined) return `'${m[1]}' is undefined`;
  let cur: unknown = vars[m[1]!];
  for (const k of m[2]!.split('.').slice(1)) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    if (!(k in (cur as Record<string, unknown>))) return `'dict object' has no attribute '${k}'`;
    cur = (cur as Record<string, unknown>)[k];
  }
  return undefined;
}

/** VARIABLE IS NOT DEFINED!, with (from -v on) why, in Ansible's words (its message comes twice there). */
function notDefined(ctx: ModuleContext, name: string): string {
  const why = Number(ctx.vars.ansible_verbosity ?? 0) > 0 ? undefinedWhy(ctx.vars, name) : undefined;
  return why ? `${UNDEFINED}: ${why}. ${why}` : UNDEFINED;
}

function resolveVar(ctx: ModuleContext, name: string): unknown {
  const simple = /^[A-Za-z_][A-Za-z0-9_]*((\.[A-Za-z_][A-Za-z0-9_]*)|(\[\d+\])|(\[['"][^'"]*['"]\]))*$/.test(name);
  if (simple) {
    const r = lookupVar(ctx.vars, name);
    if (!r.found) return notDefined(ctx, name);
    // a host's variable scope gives rendered values (rendered once: an !unsafe value stays as it
    // is); plain variables (a caller's own) may still hold templates
    if (isVarScope(ctx.vars)) return r.value;
    return typeof r.value === 'string' && r.value.includes('{{') ? ctx.render(r.value) : r.value;
  }
  try {
    const v = ctx.evaluate(name);
    return v === undefined ? UNDEFINED : v;
  } catch {
    const first = /^\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)/.exec(name)?.[1];
    return first ? notDefined(ctx, first) : UNDEFINED;
  }
}

/**
 * debug: print a message or a variable. `verbosity` is compared with the `ansible_verbosity`
 * variable (0 when the runner does not set it): above it, the task is skipped.
 */
export const debugModule: ModuleDef<DebugArgs> = {
  name: 'debug',
  description: "Print a message or a variable (runs on the controller).",
  notes: "`msg` (default `Hello world!`; any type: a dict, list, number or bool stays one, and is printed as\nAnsible prints it) or `var`\n(a variable path such as `app.ports[0]`, else an expression; the result key is the `var` text;\n`VARIABLE IS NOT DEFINED!` when undefined). `verbosity`: skipped unless the `ansible_verbosity`\nvariable is at least this.",
  controllerOnly: true,
  argSpec: {
    msg: { description: "the message", type: 'raw' },
    var: { description: "a variable path or expression to show", type: 'str' },
    verbosity: { description: "shown only at this -v level or above", type: 'int', default: 0 },
  },
  mutuallyExclusive: [['msg', 'var']],
  async run(args, ctx) {
    const current = Number(ctx.vars.ansible_verbosity ?? 0) || 0;
    if (args.verbosity > current) return { changed: false, skipped: true, skip_reason: 'Verbosity threshold not met.' };
    if (args.var !== undefined) return { changed: false, [args.var]: resolveVar(ctx, args.var) };
    // as Ansible: `msg` keeps its type (a dict, list, number, bool or null stays one in the
    // registered result); only an absent msg is the default text
    const msg = args.msg === undefined ? 'Hello world!' : args.msg;
    return { changed: false, msg } as ModuleResult;
  },
};
