/**
 * The Jinja engine's front: compile (cached) and run templates and expressions.
 *
 * Three kinds of source:
 *  - 'value': a YAML string (variables, task arguments): Jinja's defaults, backslashes in
 *    `{{ }}` string literals are literal (Ansible's escape_backslashes); a value that is exactly
 *    one `{{ expr }}` yields the expression's native value.
 *  - 'file': a `.j2` template file: trim_blocks on, as Ansible's template module sets it.
 *  - 'expr': a bare expression (`when`, `until`, `failed_when`, `assert.that`).
 */
import { dirname } from 'node:path';
import { TemplateError, UndefinedVariableError, isUndefined, undefinedName, type TemplateWhere } from '../undefined.js';
import { Run, type EvalOptions } from './eval.js';
import { hasFilter } from './filters.js';
import { hbsHint } from './hbs-hint.js';
import { hasLookup, runLookup } from './lookups.js';
import { JinjaSyntaxError, looksLikeTemplate, parseExpression, parseTemplate, position, type Expr, type Known, type Stmt } from './parse.js';
import { toPlain, truthy } from './py.js';
import { literalEvalOutput } from '../../inventory/pyliteral.js';
import { hasTest } from './tests.js';
import { pluginLoadFailures } from '../python-plugins.js';

export type Kind = 'value' | 'file' | 'expr';

export interface Compiled {
  kind: Kind;
  src: string;
  stmts?: Stmt[];
  /** The single expression of a native value / an expression source. */
  expr?: Expr;
}

const KNOWN: Known = { filter: hasFilter, test: hasTest, hint: pluginLoadFailures };

const caches: Record<Kind, Map<string, Compiled>> = { value: new Map(), file: new Map(), expr: new Map() };
const CACHE_MAX = 20000;

function short(src: string): string {
  const one = src.replace(/\s+/g, ' ').trim();
  return one.length > 80 ? `${one.slice(0, 77)}...` : one;
}

/** Check lookup names that are literal (`lookup('env', ...)`) at compile time. */
function checkLookups(node: unknown): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    node.forEach(checkLookups);
    return;
  }
  const n = node as Record<string, unknown> & { k?: string };
  if (n.k === 'call') {
    const fn = n.fn as Expr;
    const args = n.args as Expr[];
    if (fn.k === 'var' && ['lookup', 'query', 'q'].includes(fn.name) && args[0]?.k === 'lit' && typeof args[0].v === 'string' && !hasLookup(args[0].v)) {
      throw new JinjaSyntaxError(`no lookup plugin named '${args[0].v}'`, args[0].at);
    }
  }
  for (const [k, v] of Object.entries(n)) if (k !== 'at' && v && typeof v === 'object') checkLookups(v);
}

/** A template or expression that does not parse; `offset` is where, in the source string. */
export class TemplateSyntaxError extends TemplateError {
  constructor(
    detail: string,
    readonly offset: number,
    where?: TemplateWhere,
  ) {
    super(detail, where);
  }

  protected override relocate(where: TemplateWhere): TemplateError {
    return new TemplateSyntaxError(this.detail, this.offset, where);
  }
}

function syntaxError(src: string, e: JinjaSyntaxError, kind: Kind, where?: TemplateWhere, base = 0): TemplateError {
  const pos = position(src, e.at);
  const what = kind === 'expr' ? 'invalid expression' : 'template syntax error';
  const hint = kind === 'expr' ? undefined : hbsHint(src);
  const more = hint ? `; Handlebars syntax is not supported in YAML and .j2 templates: write ${hint}` : '';
  const quoted = kind === 'expr' ? `"${short(src)}"` : `in '${short(src)}'`;
  return new TemplateSyntaxError(`${what} ${quoted}: ${e.message} (${pos.text} of the ${kind === 'expr' ? 'expression' : 'template'})${more}`, base + e.at, where);
}

/** Braces of a condition written as `"{{ expr }}"` are dropped, as Ansible does (with a warning). */
function unwrapBraces(expr: string): string {
  const m = /^\s*\{\{([\s\S]*)\}\}\s*$/.exec(expr);
  return m && !m[1].includes('{{') && !m[1].includes('}}') ? m[1] : expr;
}

export function compile(src: string, kind: Kind, where?: TemplateWhere): Compiled {
  const cache = caches[kind];
  const hit = cache.get(src);
  if (hit) return hit;
  let c: Compiled;
  try {
    if (kind === 'expr' && looksLikeTemplate(src) && unwrapBraces(src) === src) {
      // a condition with templates inside: checked as a template, evaluated after rendering
      const stmts = parseTemplate(src, KNOWN, { rawStrings: true, trimBlocks: true });
      checkLookups(stmts);
      c = { kind, src, stmts };
    } else if (kind === 'expr') {
      const body = unwrapBraces(src);
      const expr = parseExpression(body, KNOWN);
      checkLookups(expr);
      c = { kind, src: body, expr };
    } else {
      // Jinja drops one trailing newline of the source (keep_trailing_newline=False); renderText puts back Ansible's count
      const body = src.replace(/\r?\n$/, '');
      // Ansible's environment has trim_blocks on for YAML strings too
      const stmts = parseTemplate(body, KNOWN, kind === 'file' ? { trimBlocks: true } : { rawStrings: true, trimBlocks: true });
      checkLookups(stmts);
      c = { kind, src, stmts };
      if (kind === 'value') {
        const trimmed = src.trim();
        const single = trimmed === body ? stmts : parseTemplate(trimmed, KNOWN, { rawStrings: true, trimBlocks: true });
        if (single.length === 1 && single[0].t === 'out') c.expr = single[0].e;
      }
    }
  } catch (e) {
    if (e instanceof JinjaSyntaxError) {
      const body = kind === 'expr' ? unwrapBraces(src) : src;
      throw syntaxError(body, e, kind, where, body === src ? 0 : src.indexOf(body));
    }
    if (e instanceof RangeError) throw new TemplateSyntaxError(`template syntax error in '${short(src)}': nested too deeply`, 0, where);
    throw e;
  }
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(src, c);
  return c;
}

function searchDirs(vars: Record<string, unknown>, where?: TemplateWhere): string[] {
  const dirs: string[] = [];
  if (where?.file) {
    const d = dirname(where.file);
    dirs.push(d, dirname(d));
  }
  for (const k of ['role_path', 'playbook_dir']) {
    try {
      const v = (vars as Record<string, unknown>)[k];
      if (typeof v === 'string') dirs.push(v);
    } catch {
      // a variable that cannot be rendered is no search path
    }
  }
  return dirs;
}

function countTrailingNewlines(s: string): number {
  const m = /\n*$/.exec(s);
  return m ? m[0].length : 0;
}

function runOptions(vars: Record<string, unknown>, where?: TemplateWhere): EvalOptions {
  return {
    searchDirs: () => searchDirs(vars, where),
    renderFile: (text, path, v) => renderFile(text, v, { file: path }),
  };
}

function located(e: unknown, src: string, where?: TemplateWhere): unknown {
  if (e instanceof TemplateError) return e.withWhere(where);
  if (e instanceof RangeError) return new TemplateError(`template error in '${short(src)}': ${e.message}`, where);
  return e;
}

/** Render to text. */
export function renderText(src: string, vars: Record<string, unknown>, where?: TemplateWhere, kind: 'value' | 'file' = 'value'): string {
  const c = compile(src, kind, where);
  const out: string[] = [];
  try {
    new Run(vars, runOptions(vars, where)).exec(c.stmts!, out);
  } catch (e) {
    throw located(e, src, where);
  }
  let text = out.join('');
  // Jinja drops one trailing newline; Ansible puts back as many as the source had
  const want = countTrailingNewlines(src);
  const have = countTrailingNewlines(text);
  if (want > have) text += '\n'.repeat(want - have);
  return text;
}

/** Render a YAML value: a single `{{ expr }}` keeps its native type, anything else is text. */
export function renderNative(src: string, vars: Record<string, unknown>, where?: TemplateWhere): unknown {
  const c = compile(src, 'value', where);
  // text that looks like a dict, list or boolean becomes one, as Ansible's ansible_eval_concat does
  if (!c.expr) return literalEvalOutput(renderText(src, vars, where));
  let v: unknown;
  try {
    v = new Run(vars, runOptions(vars, where)).eval(c.expr);
  } catch (e) {
    throw located(e, src, where);
  }
  const n = undefinedName(v);
  if (n !== undefined) throw new UndefinedVariableError(n, where);
  return toPlain(v);
}

/** A `.j2` template file: trim_blocks, trailing newlines kept. */
export function renderFile(text: string, vars: Record<string, unknown>, where?: TemplateWhere): string {
  return renderText(text, vars, where, 'file');
}

/** Evaluate a bare expression to its value. */
export function evalExpression(src: string, vars: Record<string, unknown>, where?: TemplateWhere): unknown {
  const c = compile(src, 'expr', where);
  let v: unknown;
  try {
    v = new Run(vars, runOptions(vars, where)).eval(c.expr!);
  } catch (e) {
    throw located(e, src, where);
  }
  const n = undefinedName(v);
  if (n !== undefined) throw new UndefinedVariableError(n, where);
  return toPlain(v);
}

/**
 * Evaluate a condition: Python truthiness of the expression. As Ansible does, a condition with
 * templates inside (`"'{{ a }}' == 'x'"`) is rendered first and the result evaluated; a whole
 * `"{{ expr }}"` is the expression itself.
 */
export function evalCondition(src: string, vars: Record<string, unknown>, where?: TemplateWhere): boolean {
  if (looksLikeTemplate(src) && unwrapBraces(src) === src) {
    const text = renderText(src, vars, where).trim();
    if (text === '') return false;
    return evalCondition(text, vars, where);
  }
  const c = compile(src, 'expr', where);
  try {
    return truthy(new Run(vars, runOptions(vars, where)).eval(c.expr!));
  } catch (e) {
    throw located(e, src, where);
  }
}

/** Parse `src` without running it (load-time check): the syntax error, or undefined. */
export function checkSource(src: string, kind: Kind): TemplateSyntaxError | undefined {
  if (kind !== 'expr' && !looksLikeTemplate(src)) return undefined;
  try {
    compile(src, kind);
    return undefined;
  } catch (e) {
    if (e instanceof TemplateSyntaxError) return e;
    throw e;
  }
}

export { looksLikeTemplate, isUndefined };

/** `with_<name>: terms` as Ansible runs it: the lookup on the (already rendered) terms, wantlist. */
export function lookupItems(name: string, terms: unknown[], vars: Record<string, unknown>, where?: TemplateWhere): unknown[] {
  try {
    return toPlain(runLookup(new Run(vars, runOptions(vars, where)), name, terms, {}, true)) as unknown[];
  } catch (e) {
    throw e instanceof TemplateError ? e.withWhere(where) : e;
  }
}
