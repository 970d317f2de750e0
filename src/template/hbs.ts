/**
 * Handlebars rendering of `.hbs` template files (the project's own roles keep a few), with
 * Jinja-like undefined handling. YAML values, conditions and `.j2` files use Jinja (./jinja/).
 *
 * Templates see the variables through read-only "tracking" proxies that know their path
 * (`a.b[0]`), expose own data properties only (never prototypes: `{{constructor}}` is just an
 * undefined variable) and return the Undefined sentinel for missing names.
 *
 * Handlebars itself is loaded on the first `.hbs` render (a run without one never pays for it).
 */
import { createRequire } from 'node:module';
import type Handlebars from 'handlebars';
import * as H from './helpers.js';
import { TemplateError, UndefinedVariableError, isUndefined, locate, makeUndefined, undefinedName, type TemplateWhere } from './undefined.js';


// ---------------------------------------------------------------------------------------------
// Tracking proxies

const rawOf = new WeakMap<object, unknown>();

function childPath(path: string, key: string, isList: boolean): string {
  if (isList) return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

/** Wrap lists and dicts so templates see own data only and missing keys become Undefined. */
export function track(value: unknown, path: string): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (rawOf.has(value) || isUndefined(value)) return value;
  const isList = Array.isArray(value);
  if (!isList && !H.isPlainObject(value)) return value;
  const raw = value as Record<string, unknown>;
  const dummy = isList ? [] : {};
  const lookup = (key: string): unknown => {
    if (isList && key === 'length') return (raw as unknown as unknown[]).length;
    const v = H.safeGet(raw, key);
    return v === H.MISSING ? makeUndefined(childPath(path, key, isList)) : track(v, childPath(path, key, isList));
  };
  const proxy = new Proxy(dummy, {
    get(_t, key) {
      if (key === Symbol.toPrimitive) return () => H.toText(raw);
      if (typeof key === 'symbol') return Reflect.get(isList ? Array.prototype : Object.prototype, key);
      return lookup(key);
    },
    has(_t, key) {
      if (typeof key !== 'string') return false;
      return (isList && key === 'length') || H.safeGet(raw, key) !== H.MISSING;
    },
    ownKeys: () => [...Reflect.ownKeys(raw).filter((k) => typeof k === 'string' && k !== 'length'), ...(isList ? ['length'] : [])],
    getOwnPropertyDescriptor(_t, key) {
      if (typeof key !== 'string') return undefined;
      if (isList && key === 'length') return { value: (raw as unknown as unknown[]).length, writable: true, enumerable: false, configurable: false };
      const present = H.safeGet(raw, key) !== H.MISSING;
      // Missing names are reported too (non-enumerable), so Handlebars' own-property check lets the Undefined through.
      return { value: lookup(key), writable: false, enumerable: present, configurable: true };
    },
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
    setPrototypeOf: () => false,
  });
  rawOf.set(proxy, raw);
  return proxy;
}

/** The plain value behind a tracking proxy (other values unchanged). */
export function unwrap(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && rawOf.has(v)) return rawOf.get(v);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Handlebars environment

let hb!: typeof Handlebars;
/** The Handlebars environment with our helpers, made on first use. */
function env(): typeof Handlebars {
  if (!hb) {
    hb = (createRequire(import.meta.url)('handlebars') as typeof Handlebars).create();
    registerHelpers();
  }
  return hb;
}
type Options = Handlebars.HelperOptions & { name: string; hash: Record<string, unknown>; lookupProperty?: unknown };

interface HelperSpec {
  /** Accept Undefined arguments (default, comparisons, boolean logic). */
  lenient?: boolean;
  fn: (args: unknown[], hash: Record<string, unknown>) => unknown;
}

function register(name: string, spec: HelperSpec): void {
  hb.registerHelper(name, function (this: unknown, ...all: unknown[]) {
    const options = all.pop() as Options;
    // `{{ first }}` with no arguments: a variable that happens to share a helper's name.
    if (all.length === 0 && Object.keys(options.hash ?? {}).length === 0) {
      return (this as Record<string, unknown> | null)?.[options.name] ?? makeUndefined(options.name);
    }
    const args = all.map(unwrap);
    const hash: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(options.hash ?? {})) hash[k] = unwrap(v);
    if (!spec.lenient) {
      for (const a of [...args, ...Object.values(hash)]) {
        const n = undefinedName(a);
        if (n !== undefined) throw new UndefinedVariableError(n);
      }
    }
    return track(spec.fn(args, hash), `${options.name}(...)`);
  });
}

const arity = (name: string, n: number, args: unknown[]) => {
  if (args.length < n) throw new TemplateError(`template helper '${name}' needs ${n} argument${n === 1 ? '' : 's'}, got ${args.length}`);
};

function simple(name: string, n: number, fn: (...a: unknown[]) => unknown, lenient = false): void {
  register(name, {
    lenient,
    fn: (args) => {
      arity(name, n, args);
      return fn(...args);
    },
  });
}

// Every `{{ expr }}` is compiled as `{{__ww_text expr "name"}}` (or `{{__ww_native ...}}` for a
// single-expression value), so output is always text we control: Handlebars' own noEscape output
// would add numbers (`{{n}}{{n}}` -> 6) and print lists as `a,b`.
function missingName(value: unknown, name: unknown): string | undefined {
  const n = undefinedName(value);
  if (n !== undefined) return n;
  return value === undefined && typeof name === 'string' ? name : undefined;
}

const captures: Array<{ value: unknown; name?: unknown }> = [];

function registerHelpers(): void {
  simple('default', 2, (v, fb, onFalsy) => H.fDefault(v, fb, H.truthy(onFalsy)), true);
  simple('join', 1, (l, sep) => H.fJoin(l, sep ?? ''));
  simple('basename', 1, H.fBasename);
  simple('dirname', 1, H.fDirname);
  simple('lower', 1, H.fLower);
  simple('upper', 1, H.fUpper);
  simple('trim', 1, H.fTrim);
  simple('quote', 1, H.fQuote);
  simple('to_json', 1, (v) => H.fToJson(v));
  simple('to_nice_json', 1, (v) => H.fToJson(v, 2));
  simple('to_yaml', 1, H.fToYaml);
  simple('from_json', 1, H.fFromJson);
  simple('from_yaml', 1, H.fFromYaml);
  simple('replace', 3, H.fReplace);
  simple('split', 1, H.fSplit);
  simple('length', 1, H.fLength);
  simple('first', 1, H.fFirst);
  simple('last', 1, H.fLast);
  simple('unique', 1, H.fUnique);
  simple('sort', 1, H.fSort);
  simple('union', 2, H.fUnion);
  simple('difference', 2, H.fDifference);
  simple('intersect', 2, H.fIntersect);
  simple('bool', 1, H.fBool);
  simple('int', 1, (v, fb) => H.fInt(v, fb ?? 0));
  simple('b64encode', 1, H.fB64encode);
  simple('b64decode', 1, H.fB64decode);
  simple('concat', 1, H.fConcat);
  simple('dict_get', 2, (o, k, fb) => H.fDictGet(o, k, fb));
  register('regex_replace', {
    fn: (args, hash) => {
      arity('regex_replace', 2, args);
      return H.fRegexReplace(args[0], args[1], args[2] ?? '', hash.ignorecase, hash.multiline);
    },
  });
  register('regex_search', {
    fn: (args, hash) => {
      arity('regex_search', 2, args);
      return H.fRegexSearch(args[0], args[1], hash.ignorecase);
    },
  });
  simple('version_compare', 2, H.versionCompare);

  // Comparisons and logic for `{{#if (and a (eq b "x"))}}`: Undefined is falsy and equal to nothing.
  const defined = (v: unknown) => !isUndefined(v);
  simple('eq', 2, (a, b) => defined(a) && defined(b) && H.deepEqual(a, b), true);
  simple('ne', 2, (a, b) => !(defined(a) && defined(b) && H.deepEqual(a, b)), true);
  simple('gt', 2, (a, b) => (a as number) > (b as number));
  simple('ge', 2, (a, b) => (a as number) >= (b as number));
  simple('lt', 2, (a, b) => (a as number) < (b as number));
  simple('le', 2, (a, b) => (a as number) <= (b as number));
  register('and', { lenient: true, fn: (args) => args.every(H.truthy) });
  register('or', { lenient: true, fn: (args) => args.some(H.truthy) });
  simple('not', 1, (v) => !H.truthy(v), true);
  simple('defined', 1, (v) => defined(v), true);

  // Block helpers: Python truthiness (empty lists/dicts are false), Undefined is false.
  const builtinEach = hb.helpers.each as Handlebars.HelperDelegate;
  const builtinWith = hb.helpers.with as Handlebars.HelperDelegate;
  hb.registerHelper('if', function (this: unknown, cond: unknown, options: Options) {
    if (arguments.length !== 2) throw new TemplateError('#if needs exactly one argument');
    return H.truthy(unwrap(cond)) ? options.fn(this) : options.inverse(this);
  });
  hb.registerHelper('unless', function (this: unknown, cond: unknown, options: Options) {
    if (arguments.length !== 2) throw new TemplateError('#unless needs exactly one argument');
    return H.truthy(unwrap(cond)) ? options.inverse(this) : options.fn(this);
  });
  hb.registerHelper('each', function (this: unknown, ctx: unknown, options: Options) {
    const n = undefinedName(ctx);
    if (n !== undefined) throw new UndefinedVariableError(n);
    return builtinEach.call(this, ctx, options);
  });
  hb.registerHelper('with', function (this: unknown, ctx: unknown, options: Options) {
    if (isUndefined(ctx)) return options.inverse(this);
    return builtinWith.call(this, ctx, options);
  });
  hb.registerHelper('blockHelperMissing', function (this: unknown, ctx: unknown, options: Options) {
    const raw = unwrap(ctx);
    if (!H.truthy(raw)) return options.inverse(this);
    if (Array.isArray(raw)) return builtinEach.call(this, ctx, options);
    return options.fn(raw === true ? this : ctx);
  });
  hb.registerHelper('helperMissing', function (...all: unknown[]) {
    const options = all.pop() as Options;
    throw new TemplateError(`unknown template helper '${options.name}'`);
  });

  hb.registerHelper('__ww_text', function (value: unknown, name: unknown) {
    const n = missingName(value, name);
    if (n !== undefined) throw new UndefinedVariableError(n);
    return H.toText(unwrap(value));
  });

  hb.registerHelper('__ww_native', function (value: unknown, name: unknown) {
    const box = captures[captures.length - 1];
    box.value = value;
    box.name = name;
    return '';
  });
}

type AnyNode = hbs.AST.Node & Record<string, unknown>;

/** `{{ path }}` / `{{ helper args }}` -> `{{ wrapper path "path" }}` / `{{ wrapper (helper args) }}` */
function wrapMustache(m: hbs.AST.MustacheStatement, wrapper: string): hbs.AST.MustacheStatement {
  const call = m.params.length > 0 || (m.hash?.pairs.length ?? 0) > 0;
  const loc = m.loc;
  const path = { type: 'PathExpression', data: false, depth: 0, parts: [wrapper], original: wrapper, loc } as unknown as hbs.AST.PathExpression;
  let params: hbs.AST.Expression[];
  if (call) {
    params = [{ type: 'SubExpression', path: m.path, params: m.params, hash: m.hash, loc } as unknown as hbs.AST.Expression];
  } else if (m.path.type === 'PathExpression') {
    const name = (m.path as hbs.AST.PathExpression).original;
    params = [m.path, { type: 'StringLiteral', value: name, original: name, loc } as unknown as hbs.AST.Expression];
  } else params = [m.path];
  return { ...m, path, params, hash: undefined as unknown as hbs.AST.Hash };
}

function wrapStatements(program: hbs.AST.Program | undefined): void {
  if (!program) return;
  program.body = program.body.map((st) => {
    if (st.type === 'MustacheStatement') return wrapMustache(st as hbs.AST.MustacheStatement, '__ww_text');
    const n = st as AnyNode;
    wrapStatements(n.program as hbs.AST.Program | undefined);
    wrapStatements(n.inverse as hbs.AST.Program | undefined);
    return st;
  });
}

// ---------------------------------------------------------------------------------------------
// Compilation (cached by source)

interface Compiled {
  native: boolean;
  run: Handlebars.TemplateDelegate;
}

const cache = new Map<string, Compiled>();
const CACHE_MAX = 5000;
const COMPILE_OPTS: CompileOptions = { noEscape: true, strict: false, preventIndent: true };
type CompileOptions = Parameters<typeof Handlebars.compile>[1];

function short(src: string): string {
  const one = src.replace(/\s+/g, ' ').trim();
  return one.length > 80 ? `${one.slice(0, 77)}...` : one;
}

function syntaxError(src: string, e: unknown): TemplateError {
  const msg = ((e as Error)?.message ?? String(e))
    .split('\n')
    .filter((l) => !/^-*\^$/.test(l.trim()))
    .join(' ')
    .replace(/Expecting .*?, got/, 'got')
    .replace(/\s+/g, ' ');
  return new TemplateError(`template syntax error in '${short(src)}': ${msg}`);
}

/** Calls (with arguments) of names that are not helpers fail at compile time, not with a TypeError. */
function checkHelpers(node: unknown): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    node.forEach(checkHelpers);
    return;
  }
  const n = node as Record<string, unknown> & { type?: string };
  if (n.type === 'MustacheStatement' || n.type === 'SubExpression' || n.type === 'BlockStatement') {
    const path = n.path as hbs.AST.PathExpression;
    const params = (n.params as unknown[]) ?? [];
    const hash = n.hash as hbs.AST.Hash | undefined;
    const isCall = params.length > 0 || (hash?.pairs.length ?? 0) > 0 || n.type === 'SubExpression';
    if (isCall && path.type === 'PathExpression' && !path.data && path.parts.length === 1 && !Object.hasOwn(hb.helpers, path.parts[0])) {
      throw new TemplateError(`unknown template helper '${path.original}'`);
    }
  }
  for (const [k, v] of Object.entries(n)) if (k !== 'loc' && k !== 'strip' && typeof v === 'object') checkHelpers(v);
}

function compile(src: string): Compiled {
  const hit = cache.get(src);
  if (hit) return hit;
  const hb = env();
  let ast: hbs.AST.Program;
  try {
    ast = hb.parse(src);
  } catch (e) {
    throw syntaxError(src, e);
  }
  checkHelpers(ast);
  let compiled: Compiled;
  const trimmed = src.trim();
  const single = trimmed === src ? ast : hb.parse(trimmed);
  if (single.body.length === 1 && single.body[0].type === 'MustacheStatement') {
    single.body[0] = wrapMustache(single.body[0] as hbs.AST.MustacheStatement, '__ww_native');
    compiled = { native: true, run: hb.compile(single, COMPILE_OPTS) };
  } else {
    wrapStatements(ast);
    compiled = { native: false, run: hb.compile(ast, COMPILE_OPTS) };
  }
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(src, compiled);
  return compiled;
}

const RUNTIME_OPTS = { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false };

function fail(e: unknown, src: string, where?: TemplateWhere): never {
  if (e instanceof TemplateError) throw e.withWhere(where);
  if (e instanceof Error && e.constructor === Error && e.message) {
    // Handlebars runtime exceptions (bad partial, wrong block usage, ...).
    throw new TemplateError(`template error in '${short(src)}': ${e.message.split('\n')[0]}`, where);
  }
  throw locate(e, where);
}

function compileAt(src: string, where?: TemplateWhere): Compiled {
  try {
    return compile(src);
  } catch (e) {
    throw locate(e, where);
  }
}

function runText(c: Compiled, src: string, vars: unknown, where?: TemplateWhere): string {
  try {
    if (c.native) return H.toText(runNative(c, vars));
    return c.run(track(vars, ''), RUNTIME_OPTS);
  } catch (e) {
    fail(e, src, where);
  }
}

function runNative(c: Compiled, vars: unknown): unknown {
  const box: { value: unknown; name?: unknown } = { value: undefined };
  captures.push(box);
  try {
    c.run(track(vars, ''), RUNTIME_OPTS);
  } finally {
    captures.pop();
  }
  const n = missingName(box.value, box.name);
  if (n !== undefined) throw new UndefinedVariableError(n);
  return unwrap(box.value) ?? null;
}

// ---------------------------------------------------------------------------------------------
// Public API

/** Render a `.hbs` template file's text; always returns a string. */
export function renderHbs(text: string, vars: Record<string, unknown>, where?: TemplateWhere): string {
  if (!text.includes('{{')) return text;
  return runText(compileAt(text, where), text, vars, where);
}
