/**
 * The Jinja evaluator: walks the parsed template/expression with Python semantics. Variables
 * are read as own data only (never prototypes); a missing name or key is the Undefined sentinel,
 * which only `default`, `is defined` and friends accept.
 */
import { TemplateError, UndefinedVariableError, isUndefined, makeUndefined, undefinedName } from '../undefined.js';
import { FILTERS, type FilterCtx } from './filters.js';
import { runLookup, type LookupCtx } from './lookups.js';
import type { Expr, Stmt, SetTarget } from './parse.js';
import {
  Namespace, PyCallable, PyFloat, TUPLES, arith, cmp, contains, eq, isDict, isNumber, iterate, mkFloat, need, numOf, output, str, strFormat, truthy, tuple, typeName,
} from './py.js';
import { pySplit } from './filters.js';
import { runTest } from './tests.js';

export interface EvalOptions {
  /** Directories for lookups' relative paths (computed when a lookup first needs them). */
  searchDirs?: () => string[];
  /** Render a template file (the `template` lookup). */
  renderFile?: (text: string, path: string, vars: Record<string, unknown>) => string;
}

type Frame = Map<string, unknown>;

const MISSING = Symbol('missing');

/** Own data of a dict / element of a list or string; MISSING otherwise. */
export function own(obj: unknown, key: unknown): unknown {
  if (obj === null || obj === undefined) return MISSING;
  if (Array.isArray(obj) || typeof obj === 'string') {
    let k = key;
    if (typeof k === 'boolean') k = k ? 1 : 0;
    if (typeof k !== 'number' || !Number.isInteger(k)) return MISSING;
    const i = k < 0 ? obj.length + k : k;
    if (i < 0 || i >= obj.length) return MISSING;
    return obj[i];
  }
  if (obj instanceof Namespace) return own(obj.attrs, key);
  if (typeof obj !== 'object' || isUndefined(obj)) return MISSING;
  const name = typeof key === 'string' ? key : isNumber(key) || typeof key === 'boolean' ? str(key) : undefined;
  if (name === undefined) return MISSING;
  if (!Object.prototype.hasOwnProperty.call(obj, name)) return MISSING;
  const v = (obj as Record<string, unknown>)[name];
  return v === undefined ? MISSING : v;
}

function keyText(key: unknown): string {
  return typeof key === 'string' ? `'${key}'` : str(key);
}

/** Display name of a lookup chain (`a.b[0]`). */
function nameOf(e: Expr): string {
  switch (e.k) {
    case 'var': return e.name;
    case 'get':
      if (e.key.k === 'lit') return e.attr ? `${nameOf(e.obj)}.${str(e.key.v)}` : `${nameOf(e.obj)}[${keyText(e.key.v)}]`;
      return `${nameOf(e.obj)}[...]`;
    case 'filter': return `(${nameOf(e.x)} | ${e.name})`;
    case 'call': return `${nameOf(e.fn)}(...)`;
    case 'lit': return typeof e.v === 'string' ? `'${e.v}'` : str(e.v);
    default: return '(...)';
  }
}

function pyStrip(s: string, chars: unknown, left: boolean, right: boolean): string {
  if (chars === undefined || chars === null) {
    if (left && right) return s.trim();
    return left ? s.trimStart() : s.trimEnd();
  }
  const set = new Set(str(chars));
  let a = 0;
  let b = s.length;
  if (left) while (a < b && set.has(s[a])) a++;
  if (right) while (b > a && set.has(s[b - 1])) b--;
  return s.slice(a, b);
}

function sliceIndices(len: number, start: unknown, stop: unknown, step: unknown): number[] {
  const st = step === undefined || step === null ? 1 : numOf(step);
  if (st === 0) throw new TemplateError('slice step cannot be zero');
  const norm = (v: unknown, def: number, lo: number, hi: number) => {
    if (v === undefined || v === null) return def;
    let n = numOf(v);
    if (n < 0) n += len;
    return Math.min(Math.max(n, lo), hi);
  };
  const out: number[] = [];
  if (st > 0) {
    const a = norm(start, 0, 0, len);
    const b = norm(stop, len, 0, len);
    for (let i = a; i < b; i += st) out.push(i);
  } else {
    const a = norm(start, len - 1, -1, len - 1);
    const b = norm(stop, -1, -1, len - 1);
    for (let i = a; i > b; i += st) out.push(i);
  }
  return out;
}

type Method = (self: never, args: unknown[], kw: Record<string, unknown>) => unknown;

const STR_METHODS: Record<string, (s: string, a: unknown[], kw: Record<string, unknown>) => unknown> = {
  split: (s, a, kw) => pySplit(s, a[0] ?? kw.sep ?? null, numOf(a[1] ?? kw.maxsplit ?? -1)),
  rsplit: (s, a, kw) => {
    const max = numOf(a[1] ?? kw.maxsplit ?? -1);
    const sep = a[0] ?? kw.sep ?? null;
    if (max < 0) return pySplit(s, sep, -1);
    const parts = pySplit(s, sep, -1);
    if (parts.length <= max + 1) return parts;
    const d = sep === null ? ' ' : str(sep);
    return [parts.slice(0, parts.length - max).join(d), ...parts.slice(parts.length - max)];
  },
  splitlines: (s, a) => {
    const keep = truthy(a[0] ?? false);
    const out: string[] = [];
    const re = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/g;
    let last = 0;
    for (const m of s.matchAll(re)) {
      out.push(s.slice(last, keep ? m.index! + m[0].length : m.index));
      last = m.index! + m[0].length;
    }
    if (last < s.length) out.push(s.slice(last));
    return out;
  },
  startswith: (s, a) => (Array.isArray(a[0]) ? a[0] : [a[0]]).some((p) => s.startsWith(str(p), a[1] === undefined ? 0 : numOf(a[1]))),
  endswith: (s, a) => (Array.isArray(a[0]) ? a[0] : [a[0]]).some((p) => s.endsWith(str(p))),
  // str.replace(old, new[, count]) is the replace filter's own loop (a missing or negative count: all)
  replace: (s, a) => FILTERS.replace.fn(null as unknown as FilterCtx, s, [a[0], a[1], a[2] ?? null], {}),
  format: (s, a, kw) => strFormat(s, a, kw),
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  casefold: (s) => s.toLowerCase(),
  swapcase: (s) => [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(''),
  title: (s) => s.toLowerCase().replace(/(^|[^A-Za-z])([a-z])/g, (_m, p: string, c: string) => p + c.toUpperCase()),
  capitalize: (s) => (s ? s[0].toUpperCase() + s.slice(1).toLowerCase() : s),
  strip: (s, a) => pyStrip(s, a[0], true, true),
  lstrip: (s, a) => pyStrip(s, a[0], true, false),
  rstrip: (s, a) => pyStrip(s, a[0], false, true),
  join: (s, a) => iterate(a[0]).map((x) => {
    if (typeof x !== 'string') throw new TemplateError(`sequence item: expected str instance, ${typeName(x)} found`);
    return x;
  }).join(s),
  find: (s, a) => s.indexOf(str(a[0]), a[1] === undefined ? 0 : numOf(a[1])),
  rfind: (s, a) => s.lastIndexOf(str(a[0])),
  index: (s, a) => {
    const i = s.indexOf(str(a[0]));
    if (i < 0) throw new TemplateError('substring not found');
    return i;
  },
  rindex: (s, a) => {
    const i = s.lastIndexOf(str(a[0]));
    if (i < 0) throw new TemplateError('substring not found');
    return i;
  },
  count: (s, a) => {
    const sub = str(a[0]);
    return sub === '' ? s.length + 1 : s.split(sub).length - 1;
  },
  isdigit: (s) => /^\d+$/.test(s),
  isnumeric: (s) => /^\d+$/.test(s),
  isdecimal: (s) => /^\d+$/.test(s),
  isalpha: (s) => /^\p{L}+$/u.test(s),
  isalnum: (s) => /^[\p{L}\d]+$/u.test(s),
  isspace: (s) => /^\s+$/.test(s),
  islower: (s) => /\p{Ll}/u.test(s) && s === s.toLowerCase(),
  isupper: (s) => /\p{Lu}/u.test(s) && s === s.toUpperCase(),
  isidentifier: (s) => /^[A-Za-z_]\w*$/.test(s),
  zfill: (s, a) => {
    const w = numOf(a[0]);
    const sign = /^[+-]/.test(s) ? s[0] : '';
    const body = sign ? s.slice(1) : s;
    return sign + body.padStart(w - sign.length, '0');
  },
  ljust: (s, a) => s.padEnd(numOf(a[0]), a[1] === undefined ? ' ' : str(a[1])),
  rjust: (s, a) => s.padStart(numOf(a[0]), a[1] === undefined ? ' ' : str(a[1])),
  center: (s, a) => {
    const w = numOf(a[0]);
    const f = a[1] === undefined ? ' ' : str(a[1]);
    if (s.length >= w) return s;
    const total = w - s.length;
    const left = Math.floor(total / 2) + (total & w & 1);
    return f.repeat(left) + s + f.repeat(total - left);
  },
  partition: (s, a) => {
    const sep = str(a[0]);
    const i = s.indexOf(sep);
    return tuple(i < 0 ? [s, '', ''] : [s.slice(0, i), sep, s.slice(i + sep.length)]);
  },
  rpartition: (s, a) => {
    const sep = str(a[0]);
    const i = s.lastIndexOf(sep);
    return tuple(i < 0 ? ['', '', s] : [s.slice(0, i), sep, s.slice(i + sep.length)]);
  },
  removeprefix: (s, a) => (s.startsWith(str(a[0])) ? s.slice(str(a[0]).length) : s),
  removesuffix: (s, a) => (str(a[0]) !== '' && s.endsWith(str(a[0])) ? s.slice(0, -str(a[0]).length) : s),
  encode: (s) => s,
  decode: (s) => s,
};

const LIST_METHODS: Record<string, (l: unknown[], a: unknown[]) => unknown> = {
  index: (l, a) => {
    const i = l.findIndex((x) => eq(x, a[0]));
    if (i < 0) throw new TemplateError(`${str(a[0])} is not in list`);
    return i;
  },
  count: (l, a) => l.filter((x) => eq(x, a[0])).length,
  append: (l, a) => {
    l.push(a[0]);
    return null;
  },
  extend: (l, a) => {
    l.push(...iterate(a[0]));
    return null;
  },
  insert: (l, a) => {
    l.splice(numOf(a[0]), 0, a[1]);
    return null;
  },
  pop: (l, a) => {
    if (!l.length) throw new TemplateError('pop from empty list');
    const i = a[0] === undefined ? l.length - 1 : numOf(a[0]) < 0 ? l.length + numOf(a[0]) : numOf(a[0]);
    return l.splice(i, 1)[0];
  },
  remove: (l, a) => {
    const i = l.findIndex((x) => eq(x, a[0]));
    if (i < 0) throw new TemplateError('list.remove(x): x not in list');
    l.splice(i, 1);
    return null;
  },
  copy: (l) => [...l],
  reverse: (l) => {
    l.reverse();
    return null;
  },
  sort: (l) => {
    l.sort((x, y) => cmp(x, y));
    return null;
  },
};

const DICT_METHODS: Record<string, (d: Record<string, unknown>, a: unknown[]) => unknown> = {
  items: (d) => Object.keys(d).map((k) => tuple([k, d[k]])),
  keys: (d) => Object.keys(d),
  values: (d) => Object.keys(d).map((k) => d[k]),
  get: (d, a) => {
    const v = own(d, a[0]);
    return v === MISSING ? (a[1] === undefined ? null : a[1]) : v;
  },
  copy: (d) => ({ ...d }),
  update: (d, a) => {
    Object.assign(d, a[0]);
    return null;
  },
  pop: (d, a) => {
    const k = str(a[0]);
    if (!Object.hasOwn(d, k)) {
      if (a.length > 1) return a[1];
      throw new TemplateError(`KeyError: '${k}'`);
    }
    const v = d[k];
    delete d[k];
    return v;
  },
  setdefault: (d, a) => {
    const k = str(a[0]);
    if (!Object.hasOwn(d, k)) d[k] = a[1] === undefined ? null : a[1];
    return d[k];
  },
};

function methodOf(obj: unknown, name: string): Method | undefined {
  if (typeof obj === 'string') return Object.hasOwn(STR_METHODS, name) ? (STR_METHODS[name] as unknown as Method) : undefined;
  if (Array.isArray(obj)) return Object.hasOwn(LIST_METHODS, name) ? (LIST_METHODS[name] as unknown as Method) : undefined;
  if (isDict(obj)) return Object.hasOwn(DICT_METHODS, name) ? (DICT_METHODS[name] as unknown as Method) : undefined;
  return undefined;
}

function rangeFn(args: unknown[]): number[] {
  const [a, b, c] = args.map(numOf);
  const start = args.length > 1 ? a : 0;
  const stop = args.length > 1 ? b : a;
  const step = args.length > 2 ? c : 1;
  if (step === 0) throw new TemplateError('range() arg 3 must not be zero');
  const out: number[] = [];
  if (Math.abs((stop - start) / step) > 100000) throw new TemplateError('range too big (more than 100000 items)');
  if (step > 0) for (let i = start; i < stop; i += step) out.push(i);
  else for (let i = start; i > stop; i += step) out.push(i);
  return out;
}

/** A rendering: variables, local frames and the output. */
export class Run implements FilterCtx, LookupCtx {
  private frames: Frame[] = [];
  private dirs?: string[];

  constructor(
    private readonly root: Record<string, unknown>,
    private readonly opts: EvalOptions = {},
  ) {}

  get searchDirs(): string[] {
    this.dirs ??= this.opts.searchDirs?.() ?? [];
    return this.dirs;
  }

  // ---- variables

  variable(name: string): unknown {
    for (let i = this.frames.length - 1; i >= 0; i--) if (this.frames[i].has(name)) return this.frames[i].get(name);
    const v = own(this.root, name);
    if (v !== MISSING) return v;
    const g = this.global(name);
    if (g !== undefined) return g;
    // Ansible's `vars`: every variable of the host (vars['name'], vars[computed])
    if (name === 'vars') return this.root;
    return makeUndefined(name);
  }

  private global(name: string): PyCallable | undefined {
    switch (name) {
      case 'range': return new PyCallable('range', (a) => rangeFn(a));
      case 'lookup': return new PyCallable('lookup', (a, kw) => runLookup(this, a[0], a.slice(1), kw, false));
      case 'query': case 'q': return new PyCallable('query', (a, kw) => runLookup(this, a[0], a.slice(1), kw, true));
      case 'dict': return new PyCallable('dict', (a, kw) => {
        const out: Record<string, unknown> = {};
        if (a[0] !== undefined) {
          if (isDict(a[0])) Object.assign(out, a[0]);
          else for (const pair of iterate(a[0])) out[str((pair as unknown[])[0])] = (pair as unknown[])[1];
        }
        return Object.assign(out, kw);
      });
      case 'namespace': return new PyCallable('namespace', (a, kw) => new Namespace({ ...(isDict(a[0]) ? a[0] : {}), ...kw }));
      case 'undef': return new PyCallable('undef', (a) => makeUndefined(a[0] === undefined ? 'undef()' : str(a[0])));
      case 'now': return new PyCallable('now', (a) => {
        const d = new Date();
        const iso = (truthy(a[0] ?? false) ? d.toISOString() : new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString()).replace('T', ' ').replace('Z', '');
        return iso.replace(/\.(\d{3})$/, '.$1000');
      });
      default: return undefined;
    }
  }

  private assign(name: string, value: unknown): void {
    if (!this.frames.length) this.frames.push(new Map());
    this.frames[this.frames.length - 1].set(name, value);
  }

  private inFrame<T>(fn: () => T, frame: Frame = new Map()): T {
    this.frames.push(frame);
    try {
      return fn();
    } finally {
      this.frames.pop();
    }
  }

  // ---- FilterCtx

  getattr(obj: unknown, key: unknown, name?: string): unknown {
    if (isUndefined(obj)) return obj;
    const v = own(obj, key);
    if (v !== MISSING) return v;
    return makeUndefined(name ?? `${typeName(obj)} object has no attribute ${keyText(key)}`);
  }

  filter(name: string, v: unknown, args: unknown[], kw: Record<string, unknown>): unknown {
    const def = FILTERS[name];
    if (!def) throw new TemplateError(`no filter named '${name}'`);
    if (!def.lenient) need(v);
    return def.fn(this, v, args, kw);
  }

  renderTemplate(text: string, path: string, extra?: Record<string, unknown>): string {
    if (!this.opts.renderFile) throw new TemplateError('the template lookup is not available here');
    const vars: Record<string, unknown> = extra ? overlay(this.root, extra) : this.root;
    return this.opts.renderFile(text, path, vars);
  }

  // ---- expressions

  eval(e: Expr): unknown {
    switch (e.k) {
      case 'lit': return e.v;
      case 'var': return this.variable(e.name);
      case 'get': {
        const obj = this.eval(e.obj);
        if (isUndefined(obj)) return obj;
        const key = this.eval(e.key);
        need(key);
        let v = own(obj, e.key.k === 'tuple' ? str(key) : key);
        // Jinja: obj.name falls back to obj['name'] and obj['name'] to obj.name: both are data lookups here
        if (v === MISSING && e.attr && obj instanceof Namespace) v = own(obj.attrs, key);
        if (v !== MISSING) return v;
        if (obj === null) return makeUndefined(`${nameOf(e)} (None has no attribute ${keyText(key)})`);
        return makeUndefined(nameOf(e));
      }
      case 'slice': {
        const obj = need(this.eval(e.obj));
        const idx = sliceIndices(typeof obj === 'string' || Array.isArray(obj) ? obj.length : 0, e.start && this.eval(e.start), e.stop && this.eval(e.stop), e.step && this.eval(e.step));
        if (typeof obj === 'string') return idx.map((i) => obj[i]).join('');
        if (Array.isArray(obj)) {
          const out = idx.map((i) => obj[i]);
          return TUPLES.has(obj) ? tuple(out) : out;
        }
        throw new TemplateError(`'${typeName(obj)}' object is not subscriptable`);
      }
      case 'call': return this.call(e);
      case 'list': return e.items.map((x) => this.eval(x));
      case 'tuple': return tuple(e.items.map((x) => this.eval(x)));
      case 'dict': {
        const out: Record<string, unknown> = {};
        for (const [k, v] of e.entries) out[str(need(this.eval(k)))] = this.eval(v);
        return out;
      }
      case 'bin': {
        const l = this.eval(e.l);
        const r = this.eval(e.r);
        if (e.op === '~') return str(l) + str(r);
        return arith(e.op, l, r);
      }
      case 'cmp': {
        let left = this.eval(e.operands[0]);
        for (let i = 0; i < e.ops.length; i++) {
          const right = this.eval(e.operands[i + 1]);
          if (!this.compare(e.ops[i], left, right)) return false;
          left = right;
        }
        return true;
      }
      case 'and': {
        const l = this.eval(e.l);
        return truthy(l) ? this.eval(e.r) : l;
      }
      case 'or': {
        const l = this.eval(e.l);
        return truthy(l) ? l : this.eval(e.r);
      }
      case 'not': return !truthy(this.eval(e.x));
      case 'neg': {
        const v = need(this.eval(e.x));
        if (!isNumber(v) && typeof v !== 'boolean') throw new TemplateError(`bad operand type for unary -: '${typeName(v)}'`);
        return v instanceof PyFloat ? new PyFloat(-v.v) : -numOf(v);
      }
      case 'pos': {
        const v = need(this.eval(e.x));
        if (!isNumber(v) && typeof v !== 'boolean') throw new TemplateError(`bad operand type for unary +: '${typeName(v)}'`);
        return v instanceof PyFloat ? v : numOf(v);
      }
      case 'filter': {
        const v = this.eval(e.x);
        const { args, kw } = this.evalArgs(e.args, e.kwargs);
        return this.filter(e.name, v, args, kw);
      }
      case 'test': {
        const v = this.eval(e.x);
        const { args, kw } = this.evalArgs(e.args, e.kwargs);
        const r = runTest(e.name, v, args, kw);
        return e.negate ? !r : r;
      }
      case 'cond':
        if (truthy(this.eval(e.test))) return this.eval(e.then);
        // Jinja's inline if without else gives its plain (printable as '') Undefined
        return e.else ? this.eval(e.else) : '';
      case 'splat':
        throw new TemplateError("'*' is only allowed in a call's arguments");
    }
  }

  private compare(op: string, a: unknown, b: unknown): boolean {
    need(a);
    need(b);
    switch (op) {
      case '==': return eq(a, b);
      case '!=': return !eq(a, b);
      case 'in': return contains(b, a);
      case 'not in': return !contains(b, a);
      case '<': return cmp(a, b, op) < 0;
      case '<=': return cmp(a, b, op) <= 0;
      case '>': return cmp(a, b, op) > 0;
      case '>=': return cmp(a, b, op) >= 0;
    }
    throw new TemplateError(`unknown comparison ${op}`);
  }

  private evalArgs(args: Expr[], kwargs: Array<[string, Expr]>): { args: unknown[]; kw: Record<string, unknown> } {
    const kw: Record<string, unknown> = {};
    for (const [k, v] of kwargs) {
      if (k !== '**') kw[k] = this.eval(v);
      else {
        const d = this.eval(v);
        if (!isDict(d)) throw new TemplateError(`argument after ** must be a mapping, not ${typeName(d)}`);
        Object.assign(kw, d);
      }
    }
    const out: unknown[] = [];
    for (const a of args) {
      if (a.k === 'splat') out.push(...iterate(this.eval(a.x)));
      else out.push(this.eval(a));
    }
    return { args: out, kw };
  }

  private call(e: Extract<Expr, { k: 'call' }>): unknown {
    const fn = e.fn;
    if (fn.k === 'get' && fn.attr && fn.key.k === 'lit') {
      const obj = this.eval(fn.obj);
      const name = str(fn.key.v);
      if (isUndefined(obj)) throw new UndefinedVariableError(undefinedName(obj)!);
      const data = own(obj, name);
      if (data instanceof PyCallable) {
        const { args, kw } = this.evalArgs(e.args, e.kwargs);
        return data.fn(args, kw);
      }
      const m = methodOf(obj, name);
      if (m) {
        const { args, kw } = this.evalArgs(e.args, e.kwargs);
        args.forEach(need);
        return m(obj as never, args, kw);
      }
      if (data !== MISSING) throw new TemplateError(`'${typeName(data)}' object is not callable (${nameOf(fn)})`);
      throw new TemplateError(`'${typeName(obj)}' object has no attribute '${name}' (${nameOf(fn)})`);
    }
    const f = this.eval(fn);
    if (isUndefined(f)) throw new UndefinedVariableError(undefinedName(f)!);
    if (!(f instanceof PyCallable)) throw new TemplateError(`'${typeName(f)}' object is not callable (${nameOf(fn)})`);
    const { args, kw } = this.evalArgs(e.args, e.kwargs);
    return f.fn(args, kw);
  }

  // ---- statements

  exec(stmts: Stmt[], out: string[]): void {
    for (const s of stmts) {
      switch (s.t) {
        case 'text':
          out.push(s.s);
          break;
        case 'out':
          out.push(output(this.eval(s.e)));
          break;
        case 'if': {
          let done = false;
          for (const b of s.branches) {
            if (truthy(this.eval(b.cond))) {
              this.exec(b.body, out);
              done = true;
              break;
            }
          }
          if (!done && s.else) this.exec(s.else, out);
          break;
        }
        case 'for':
          this.execFor(s, out);
          break;
        case 'set': {
          const v = this.eval(s.e);
          if (s.targets.length === 1) this.setTarget(s.targets[0], v);
          else {
            const items = iterate(v);
            if (items.length !== s.targets.length) throw new TemplateError(`cannot unpack ${items.length} values into ${s.targets.length} names`);
            s.targets.forEach((t, i) => this.setTarget(t, items[i]));
          }
          break;
        }
        case 'setblock': {
          const body: string[] = [];
          this.inFrame(() => this.exec(s.body, body));
          let v: unknown = body.join('');
          for (const f of s.filters) {
            const { args, kw } = this.evalArgs(f.args, f.kwargs);
            v = this.filter(f.name, v, args, kw);
          }
          this.setTarget(s.target, v);
          break;
        }
        case 'macro': {
          const macro = s;
          this.assign(s.name, new PyCallable(s.name, (args, kw) => {
            const frame: Frame = new Map();
            macro.params.forEach(([p, d], i) => {
              const v = i < args.length ? args[i] : Object.hasOwn(kw, p) ? kw[p] : d ? this.eval(d) : makeUndefined(p);
              frame.set(p, v);
            });
            frame.set('varargs', args.slice(macro.params.length));
            frame.set('kwargs', Object.fromEntries(Object.entries(kw).filter(([k]) => !macro.params.some(([p]) => p === k))));
            const body: string[] = [];
            this.inFrame(() => this.exec(macro.body, body), frame);
            return body.join('');
          }));
          break;
        }
        case 'with': {
          const frame: Frame = new Map();
          for (const [n, e] of s.assigns) frame.set(n, this.eval(e));
          this.inFrame(() => this.exec(s.body, out), frame);
          break;
        }
        case 'filterblock': {
          const body: string[] = [];
          this.inFrame(() => this.exec(s.body, body));
          let v: unknown = body.join('');
          for (const f of s.filters) {
            const { args, kw } = this.evalArgs(f.args, f.kwargs);
            v = this.filter(f.name, v, args, kw);
          }
          out.push(output(v));
          break;
        }
      }
    }
  }

  private setTarget(t: SetTarget, v: unknown): void {
    if (t.attr === undefined) {
      this.assign(t.name, v);
      return;
    }
    const ns = this.variable(t.name);
    if (!(ns instanceof Namespace)) throw new TemplateError(`cannot assign attribute on non-namespace object '${t.name}'`);
    ns.attrs[t.attr] = v;
  }

  private execFor(s: Extract<Stmt, { t: 'for' }>, out: string[]): void {
    let items = iterate(this.eval(s.iter));
    const bind = (frame: Frame, item: unknown) => {
      if (s.targets.length === 1) frame.set(s.targets[0], item);
      else {
        const parts = iterate(item);
        if (parts.length !== s.targets.length) throw new TemplateError(`cannot unpack ${parts.length} values into ${s.targets.length} loop variables`);
        s.targets.forEach((t, i) => frame.set(t, parts[i]));
      }
    };
    if (s.cond) {
      const cond = s.cond;
      items = items.filter((item) => {
        const f: Frame = new Map();
        bind(f, item);
        return this.inFrame(() => truthy(this.eval(cond)), f);
      });
    }
    if (!items.length) {
      if (s.else) this.exec(s.else, out);
      return;
    }
    const frame: Frame = new Map();
    const n = items.length;
    let lastChanged: unknown[] | undefined;
    this.inFrame(() => {
      items.forEach((item, i) => {
        const loop: Record<string, unknown> = {
          index: i + 1, index0: i, revindex: n - i, revindex0: n - i - 1, first: i === 0, last: i === n - 1, length: n, depth: 1, depth0: 0,
          cycle: new PyCallable('loop.cycle', (a) => {
            if (!a.length) throw new TemplateError('no items for cycling given');
            return a[i % a.length];
          }),
          changed: new PyCallable('loop.changed', (a) => {
            const changed = lastChanged === undefined || !eq(a, lastChanged);
            lastChanged = a;
            return changed;
          }),
        };
        if (i > 0) loop.previtem = items[i - 1];
        if (i < n - 1) loop.nextitem = items[i + 1];
        frame.set('loop', loop);
        bind(frame, item);
        this.exec(s.body, out);
      });
    }, frame);
  }
}

/** `base` with `extra` on top, without copying `base` (a lazy scope stays lazy). */
export function overlay(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  return new Proxy(base, {
    get: (t, k) => (typeof k === 'string' && Object.hasOwn(extra, k) ? extra[k] : Reflect.get(t, k)),
    has: (t, k) => (typeof k === 'string' && Object.hasOwn(extra, k)) || Reflect.has(t, k),
    ownKeys: (t) => [...new Set([...Reflect.ownKeys(t), ...Object.keys(extra)])],
    getOwnPropertyDescriptor: (t, k) =>
      typeof k === 'string' && Object.hasOwn(extra, k) ? { value: extra[k], enumerable: true, configurable: true, writable: false } : Reflect.getOwnPropertyDescriptor(t, k),
  });
}

export { mkFloat };
