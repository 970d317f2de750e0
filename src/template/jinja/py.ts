/**
 * Python value semantics for the Jinja evaluator: truthiness, str()/repr(), equality, ordering
 * and arithmetic, as Jinja running under Python (and so Ansible) computes them.
 *
 * Values are plain JS data: strings, numbers, booleans, null (None), arrays (lists; tuples are
 * arrays marked in TUPLES), plain objects (dicts) and the Undefined sentinel. Python's int/float
 * distinction is kept for floats with an integral value by boxing them in PyFloat (3.0); other
 * non-integral numbers are floats, integral numbers are ints.
 */
import { TemplateError, UndefinedVariableError, isUndefined, undefinedName } from '../undefined.js';

export class PyFloat {
  constructor(readonly v: number) {}
  toJSON(): number {
    return this.v;
  }
  toString(): string {
    return floatRepr(this.v);
  }
}

/** Arrays that are Python tuples (printed with parentheses). */
export const TUPLES = new WeakSet<unknown[]>();
export function tuple<T>(items: T[]): T[] {
  TUPLES.add(items);
  return items;
}

/** A Jinja `namespace()`: attributes assignable with `{% set ns.x = ... %}`. */
export class Namespace {
  constructor(readonly attrs: Record<string, unknown>) {}
}

/** A bound callable (`dict.get`, a global function) as a value. */
export class PyCallable {
  constructor(
    readonly name: string,
    readonly fn: (args: unknown[], kw: Record<string, unknown>) => unknown,
  ) {}
}

export function isDict(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function isNumber(v: unknown): boolean {
  return typeof v === 'number' || v instanceof PyFloat;
}

export function isFloat(v: unknown): boolean {
  return v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v));
}

export function isInt(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v);
}

/** A float result: integral values are boxed so they print as `3.0`. */
export function mkFloat(x: number): number | PyFloat {
  return Number.isInteger(x) ? new PyFloat(x) : x;
}

/** The JS number of a Python number or bool. */
export function numOf(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v instanceof PyFloat) return v.v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new TemplateError(`expected a number, got ${typeName(v)}`);
}

export function need(v: unknown): unknown {
  const n = undefinedName(v);
  if (n !== undefined) throw new UndefinedVariableError(n);
  return v;
}

/** Python's type name, as `type_debug` and error messages show it. */
export function typeName(v: unknown): string {
  if (isUndefined(v)) return 'AnsibleUndefined';
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof PyFloat) return 'float';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (Array.isArray(v)) return TUPLES.has(v) ? 'tuple' : 'list';
  if (v instanceof Namespace) return 'Namespace';
  if (v instanceof PyCallable) return 'function';
  if (isDict(v)) return 'dict';
  return typeof v;
}

/** Python truthiness; an Undefined value is an error (Ansible's strict undefined). */
export function truthy(v: unknown): boolean {
  need(v);
  if (v === null || v === undefined) return false;
  if (typeof v === 'string') return v.length > 0;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if (v instanceof PyFloat) return v.v !== 0;
  if (typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.length > 0;
  if (isDict(v)) return Object.keys(v).length > 0;
  return true;
}

export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (Object.is(x, -0)) return '-0.0';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const a = Math.abs(x);
  let s: string;
  if (a !== 0 && (a >= 1e16 || a < 1e-4)) {
    s = x.toExponential().replace(/\.?0+e/, 'e');
  } else {
    s = String(x);
    if (/e/.test(s)) s = x.toFixed(20).replace(/0+$/, '');
    if (!/[.e]/.test(s)) s += '.0';
  }
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

export function strRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === q) out += '\\' + q;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + q;
}

/** Python repr(). */
export function repr(v: unknown): string {
  if (typeof v === 'string') return strRepr(v);
  if (Array.isArray(v)) {
    const inner = v.map(repr).join(', ');
    if (TUPLES.has(v)) return v.length === 1 ? `(${inner},)` : `(${inner})`;
    return `[${inner}]`;
  }
  if (isDict(v)) return `{${Object.keys(v).map((k) => `${strRepr(k)}: ${repr(v[k])}`).join(', ')}}`;
  return str(v);
}

/** Python str(). */
export function str(v: unknown): string {
  need(v);
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v instanceof PyFloat) return floatRepr(v.v);
  if (typeof v === 'number') return Number.isInteger(v) ? (Object.is(v, -0) ? '0' : String(v)) : floatRepr(v);
  if (Array.isArray(v) || isDict(v)) return repr(v);
  if (v instanceof Namespace) return `<Namespace ${repr(v.attrs)}>`;
  if (v instanceof PyCallable) return `<function ${v.name}>`;
  return String(v);
}

/** What `{{ x }}` prints: str(x), but None prints nothing (Ansible's finalize). */
export function output(v: unknown): string {
  need(v);
  if (v === null || v === undefined) return '';
  return str(v);
}

/** Python ==. */
export function eq(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isUndefined(a) || isUndefined(b)) return false;
  const na = isNumber(a) || typeof a === 'boolean';
  const nb = isNumber(b) || typeof b === 'boolean';
  if (na && nb) return numOf(a) === numOf(b);
  if (Array.isArray(a) && Array.isArray(b)) return TUPLES.has(a) === TUPLES.has(b) && a.length === b.length && a.every((x, i) => eq(x, b[i]));
  if (isDict(a) && isDict(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && eq(a[k], b[k]));
  }
  return false;
}

export function opError(op: string, a: unknown, b?: unknown): never {
  const types = b === undefined ? `'${typeName(a)}'` : `'${typeName(a)}' and '${typeName(b)}'`;
  throw new TemplateError(`unsupported operand type(s) for ${op}: ${types}`);
}

/** Python ordering (<): numbers, strings and lists; anything else is a TypeError. */
export function cmp(a: unknown, b: unknown, op = '<'): number {
  need(a);
  need(b);
  if ((isNumber(a) || typeof a === 'boolean') && (isNumber(b) || typeof b === 'boolean')) {
    const x = numOf(a);
    const y = numOf(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (!eq(a[i], b[i])) return cmp(a[i], b[i], op);
    }
    return a.length - b.length;
  }
  throw new TemplateError(`'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

export function contains(container: unknown, item: unknown): boolean {
  need(container);
  need(item);
  if (typeof container === 'string') {
    if (typeof item !== 'string') throw new TemplateError(`'in <string>' requires string as left operand, not ${typeName(item)}`);
    return container.includes(item);
  }
  if (Array.isArray(container)) return container.some((x) => eq(x, item));
  if (isDict(container)) return typeof item === 'string' || isNumber(item) ? Object.hasOwn(container, str(item)) : false;
  throw new TemplateError(`argument of type '${typeName(container)}' is not iterable`);
}

function intPair(op: string, a: unknown, b: unknown): [number, number, boolean] {
  const okA = isNumber(a) || typeof a === 'boolean';
  const okB = isNumber(b) || typeof b === 'boolean';
  if (!okA || !okB) opError(op, a, b);
  return [numOf(a), numOf(b), isFloat(a) || isFloat(b)];
}

/** Results of `*` repetition larger than this are refused (a template must not exhaust memory). */
const MAX_REPEAT = 50_000_000;

function repeat(seq: unknown, n: unknown): unknown {
  const k = Math.max(0, numOf(n));
  if (k * (seq as string | unknown[]).length > MAX_REPEAT) throw new TemplateError(`repetition too large (${k} x ${(seq as string | unknown[]).length} items)`);
  if (typeof seq === 'string') return seq.repeat(k);
  const out: unknown[] = [];
  for (let i = 0; i < k; i++) out.push(...(seq as unknown[]));
  return out;
}

export function pyMod(x: number, y: number): number {
  return x - Math.floor(x / y) * y;
}

/** Binary arithmetic with Python's rules. */
export function arith(op: string, a: unknown, b: unknown): unknown {
  need(a);
  need(b);
  switch (op) {
    case '+':
      if (typeof a === 'string' && typeof b === 'string') return a + b;
      if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
      break;
    case '*':
      if ((typeof a === 'string' || Array.isArray(a)) && (isInt(b) || typeof b === 'boolean')) return repeat(a, b);
      if ((typeof b === 'string' || Array.isArray(b)) && (isInt(a) || typeof a === 'boolean')) return repeat(b, a);
      break;
    case '%':
      if (typeof a === 'string') return percentFormat(a, b);
      break;
  }
  const [x, y, fl] = intPair(op, a, b);
  const mk = (r: number) => (fl ? mkFloat(r) : r);
  switch (op) {
    case '+': return mk(x + y);
    case '-': return mk(x - y);
    case '*': return mk(x * y);
    case '/':
      if (y === 0) throw new TemplateError('division by zero');
      return mkFloat(x / y);
    case '//':
      if (y === 0) throw new TemplateError('integer division or modulo by zero');
      return mk(Math.floor(x / y));
    case '%':
      if (y === 0) throw new TemplateError('integer division or modulo by zero');
      return mk(pyMod(x, y));
    case '**':
      if (!fl && y < 0) return x ** y;
      return mk(x ** y);
  }
  throw new TemplateError(`unknown operator ${op}`);
}

/** Python's `'%s-%d' % args`. */
export function percentFormat(fmt: string, args: unknown): string {
  const list = Array.isArray(args) && TUPLES.has(args) ? args : [args];
  const named = isDict(args) ? args : undefined;
  let i = 0;
  const out = fmt.replace(/%(?:\(([^)]*)\))?([-+ 0#]*)(\d+|\*)?(?:\.(\d+))?([sdirfFxXoeEgGc%])/g, (_m, key: string | undefined, flags: string, width: string | undefined, prec: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    const v = key !== undefined && named ? named[key] : list[i++];
    if (v === undefined) throw new TemplateError('not enough arguments for format string');
    let s: string;
    switch (conv) {
      case 's': s = str(v); break;
      case 'r': s = repr(v); break;
      case 'd': case 'i': s = String(Math.trunc(numOf(v))); break;
      case 'f': case 'F': s = numOf(v).toFixed(prec === undefined ? 6 : Number(prec)); break;
      case 'e': case 'E': s = numOf(v).toExponential(prec === undefined ? 6 : Number(prec)).replace(/e([+-])(\d)$/, 'e$10$2'); if (conv === 'E') s = s.toUpperCase(); break;
      case 'g': case 'G': s = str(mkFloat(numOf(v))); break;
      case 'x': s = Math.trunc(numOf(v)).toString(16); break;
      case 'X': s = Math.trunc(numOf(v)).toString(16).toUpperCase(); break;
      case 'o': s = Math.trunc(numOf(v)).toString(8); break;
      case 'c': s = typeof v === 'string' ? v : String.fromCodePoint(numOf(v)); break;
      default: s = str(v);
    }
    if (conv === 's' && prec !== undefined) s = s.slice(0, Number(prec));
    if (width && width !== '*') {
      const w = Number(width);
      if (flags.includes('-')) s = s.padEnd(w);
      else if (flags.includes('0') && conv !== 's') s = s.startsWith('-') ? '-' + s.slice(1).padStart(w - 1, '0') : s.padStart(w, '0');
      else s = s.padStart(w);
    }
    return s;
  });
  if (!named && i < list.length) throw new TemplateError('not all arguments converted during string formatting');
  return out;
}

/** Python's str.format(): `{}`, `{0}`, `{name}`, `{0.attr}`, `{:>10}` and friends. */
export function strFormat(fmt: string, args: unknown[], kw: Record<string, unknown>): string {
  let auto = 0;
  return fmt.replace(/\{\{|\}\}|\{([^{}!:]*)(?:!([rsa]))?(?::([^{}]*))?\}/g, (m, field: string | undefined, conv: string | undefined, spec: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const parts = (field ?? '').split('.');
    const head = parts[0].replace(/\[.*$/, '');
    let v: unknown = head === '' ? args[auto++] : /^\d+$/.test(head) ? args[Number(head)] : kw[head];
    if (v === undefined) throw new TemplateError(`str.format: no value for field '${field ?? ''}'`);
    for (const p of parts.slice(1)) v = isDict(v) ? v[p] : undefined;
    for (const idx of (field ?? '').matchAll(/\[([^\]]*)\]/g)) v = Array.isArray(v) ? v[Number(idx[1])] : isDict(v) ? v[idx[1]] : undefined;
    let s = conv === 'r' ? repr(v) : spec && /[dfeEgx%]$/.test(spec) ? formatSpecNum(v, spec) : str(v);
    if (spec) s = alignSpec(s, spec, isNumber(v));
    return s;
  });
}

function formatSpecNum(v: unknown, spec: string): string {
  const m = /(?:\.(\d+))?([dfeEgx%])$/.exec(spec)!;
  const x = numOf(v);
  switch (m[2]) {
    case 'd': return String(Math.trunc(x));
    case 'f': return x.toFixed(m[1] === undefined ? 6 : Number(m[1]));
    case '%': return (x * 100).toFixed(m[1] === undefined ? 6 : Number(m[1])) + '%';
    case 'x': return Math.trunc(x).toString(16);
    default: return str(v);
  }
}

function alignSpec(s: string, spec: string, numeric: boolean): string {
  const m = /^(?:(.)?([<>^=]))?([-+ ])?(0)?(\d+)?/.exec(spec);
  if (!m || !m[5]) return s;
  const w = Number(m[5]);
  const fill = m[1] ?? (m[4] ? '0' : ' ');
  const align = m[2] ?? (numeric || m[4] ? '>' : '<');
  if (s.length >= w) return s;
  const pad = w - s.length;
  if (align === '<') return s + fill.repeat(pad);
  if (align === '^') return fill.repeat(Math.floor(pad / 2)) + s + fill.repeat(Math.ceil(pad / 2));
  return fill.repeat(pad) + s;
}

/** Objects toPlain must not walk (lazy variable scopes: walking would render every variable). */
export const OPAQUE = new WeakSet<object>();

/** A value as it leaves the engine (module arguments, variables): PyFloat becomes a number. */
export function toPlain(v: unknown): unknown {
  if (v instanceof PyFloat) return v.v;
  if (v !== null && typeof v === 'object' && OPAQUE.has(v)) return v;
  if (Array.isArray(v)) {
    let changed = false;
    const out = v.map((x) => {
      const y = toPlain(x);
      if (y !== x) changed = true;
      return y;
    });
    return changed ? out : v;
  }
  if (v instanceof Namespace) return toPlain(v.attrs);
  if (isDict(v) && !isUndefined(v)) {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
      const x = v[k];
      const y = toPlain(x);
      if (y !== x) changed = true;
      out[k] = y;
    }
    return changed ? out : v;
  }
  return v;
}

/** Iterate a value as Python's `for x in v` does (dicts give keys, strings characters). */
export function iterate(v: unknown): unknown[] {
  need(v);
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [...v];
  if (isDict(v)) return Object.keys(v);
  if (v instanceof Namespace) return Object.keys(v.attrs);
  throw new TemplateError(`'${typeName(v)}' object is not iterable`);
}
