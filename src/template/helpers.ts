/**
 * Value functions of the Handlebars helpers (`.hbs` template files, ./hbs.ts).
 * They work on plain data: callers unwrap template proxies first and check for Undefined.
 */
import YAML from 'yaml';
import { loadYamlText, YamlTextError } from '../yaml/load-text.js';
import { shQuote } from '../shell/quote.js';
import { TemplateError, isUndefined } from './undefined.js';

export type Plain = unknown;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Python truthiness: empty strings, lists and dicts are false; Undefined is false. */
export function truthy(v: unknown): boolean {
  if (isUndefined(v)) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isPlainObject(v)) return Object.keys(v).length > 0;
  return !!v;
}

/** Text form of a value: strings as is, null as '', lists and dicts as JSON. */
export function toText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Deep equality on plain data (numbers and numeric strings are not equal, like Python). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

function fail(msg: string): never {
  throw new TemplateError(msg);
}

function asList(v: unknown, fn: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [...v];
  if (isPlainObject(v)) return Object.keys(v);
  fail(`${fn}: expected a list, got ${typeName(v)}`);
}

export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'list';
  if (isPlainObject(v)) return 'dict';
  return typeof v;
}

/** `value`, or `fallback` when value is undefined/null (or any falsy value when `onFalsy`). */
export function fDefault(value: unknown, fallback: unknown, onFalsy = false): unknown {
  if (isUndefined(value) || value === undefined || value === null) return fallback;
  if (onFalsy && !truthy(value)) return fallback;
  return value;
}

export function fJoin(list: unknown, sep: unknown = ''): string {
  return asList(list, 'join').map(toText).join(toText(sep));
}

/** Python's os.path.basename: the part after the last '/'. */
export function fBasename(p: unknown): string {
  const s = toText(p);
  return s.slice(s.lastIndexOf('/') + 1);
}

/** Python's os.path.dirname: the part before the last '/', trailing slashes removed. */
export function fDirname(p: unknown): string {
  const s = toText(p);
  const i = s.lastIndexOf('/');
  if (i < 0) return '';
  const head = s.slice(0, i + 1);
  return /^\/+$/.test(head) ? head : head.replace(/\/+$/, '');
}

export function fLength(v: unknown): number {
  if (typeof v === 'string' || Array.isArray(v)) return v.length;
  if (isPlainObject(v)) return Object.keys(v).length;
  fail(`length: expected a string, list or dict, got ${typeName(v)}`);
}

export function fFirst(v: unknown): unknown {
  const l = asList(v, 'first');
  return l[0];
}

export function fLast(v: unknown): unknown {
  const l = asList(v, 'last');
  return l[l.length - 1];
}

export function fUnique(v: unknown): unknown[] {
  const out: unknown[] = [];
  for (const x of asList(v, 'unique')) if (!out.some((y) => deepEqual(x, y))) out.push(x);
  return out;
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = toText(a);
  const sb = toText(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

export function fSort(v: unknown, reverse: unknown = false): unknown[] {
  const out = [...asList(v, 'sort')].sort(compare);
  return truthy(reverse) ? out.reverse() : out;
}

export function fUnion(a: unknown, b: unknown): unknown[] {
  return fUnique([...asList(a, 'union'), ...asList(b, 'union')]);
}

export function fDifference(a: unknown, b: unknown): unknown[] {
  const lb = asList(b, 'difference');
  return fUnique(asList(a, 'difference').filter((x) => !lb.some((y) => deepEqual(x, y))));
}

export function fIntersect(a: unknown, b: unknown): unknown[] {
  const lb = asList(b, 'intersect');
  return fUnique(asList(a, 'intersect').filter((x) => lb.some((y) => deepEqual(x, y))));
}

/** Ansible's bool filter: true, 'yes', 'on', 'true', '1', 1 (case-insensitive) are true. */
export function fBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1;
  if (typeof v === 'string') return ['yes', 'on', 'true', '1', 'y', 't'].includes(v.trim().toLowerCase());
  return false;
}

/** Jinja's int filter: integer part of a number or numeric string, else `fallback` (0). */
export function fInt(v: unknown, fallback: unknown = 0): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : fallback;
  if (typeof v === 'string') {
    const s = v.trim();
    if (/^[+-]?\d+$/.test(s)) return parseInt(s, 10);
    if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Math.trunc(parseFloat(s));
    if (/^0x[0-9a-f]+$/i.test(s)) return parseInt(s, 16);
  }
  return fallback;
}

export function fFloat(v: unknown, fallback: unknown = 0): unknown {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v.trim())) return parseFloat(v);
  return fallback;
}

export function fLower(v: unknown): string {
  return toText(v).toLowerCase();
}
export function fUpper(v: unknown): string {
  return toText(v).toUpperCase();
}
export function fTrim(v: unknown): string {
  return toText(v).trim();
}

/** Replace every occurrence of `from` (plain text) with `to`. */
export function fReplace(s: unknown, from: unknown, to: unknown): string {
  const f = toText(from);
  if (f === '') return toText(s);
  return toText(s).split(f).join(toText(to));
}

export function fSplit(s: unknown, sep?: unknown): string[] {
  const str = toText(s);
  if (sep === undefined || sep === null) return str.split(/\s+/).filter((x) => x !== '');
  return str.split(toText(sep));
}

/** A JS RegExp from Python-style regex text ((?P<name>...) and (?P=name) are translated). */
export function pyRegex(pattern: unknown, flags = ''): RegExp {
  const src = toText(pattern).replace(/\(\?P</g, '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>');
  try {
    return new RegExp(src, flags);
  } catch (e) {
    fail(`invalid regular expression '${toText(pattern)}': ${(e as Error).message}`);
  }
}

/** Python re.sub replacement text: \1, \g<1>, \g<name> become JS $1, $<name>; `$` is literal. */
function pyReplacement(repl: string): string {
  return repl
    .replace(/\$/g, '$$$$')
    .replace(/\\g<(\d+)>/g, '$$$1')
    .replace(/\\g<(\w+)>/g, '$$<$1>')
    .replace(/\\(\d{1,2})/g, '$$$1')
    .replace(/\\\\/g, '\\');
}

export function fRegexReplace(s: unknown, pattern: unknown, repl: unknown = '', ignorecase: unknown = false, multiline: unknown = false): string {
  const re = pyRegex(pattern, 'g' + (truthy(ignorecase) ? 'i' : '') + (truthy(multiline) ? 'm' : ''));
  return toText(s).replace(re, pyReplacement(toText(repl)));
}

/** First match of `pattern` in `s` (or null). */
export function fRegexSearch(s: unknown, pattern: unknown, ignorecase: unknown = false): string | null {
  const m = pyRegex(pattern, truthy(ignorecase) ? 'i' : '').exec(toText(s));
  return m ? m[0] : null;
}

export function fQuote(v: unknown): string {
  return shQuote(toText(v));
}

export function fToJson(v: unknown, indent?: unknown): string {
  const n = typeof indent === 'number' ? indent : undefined;
  return JSON.stringify(v === undefined ? null : v, null, n);
}

export function fToYaml(v: unknown): string {
  return YAML.stringify(v === undefined ? null : v);
}

export function fFromJson(v: unknown): unknown {
  try {
    return JSON.parse(toText(v));
  } catch (e) {
    fail(`from_json: invalid JSON: ${(e as Error).message}`);
  }
}

export function fFromYaml(v: unknown): unknown {
  try {
    return loadYamlText(toText(v)); // PyYAML's reading, through the alias and nesting guard
  } catch (e) {
    if (!(e instanceof YamlTextError)) throw e;
    fail(`from_yaml: invalid YAML: ${e.message}`);
  }
}

export function fB64encode(v: unknown): string {
  return Buffer.from(toText(v), 'utf8').toString('base64');
}

export function fB64decode(v: unknown): string {
  const s = toText(v).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(s)) fail(`b64decode: not base64: '${toText(v)}'`);
  return Buffer.from(s, 'base64').toString('utf8');
}

/** Own property `key` of a dict (or index of a list), `fallback` when missing. */
export function fDictGet(obj: unknown, key: unknown, fallback?: unknown): unknown {
  const v = safeGet(obj, key);
  return v === MISSING ? fallback : v;
}

export const MISSING: unique symbol = Symbol('missing');

/**
 * Safe data lookup: own properties of plain objects (or template scopes), list indexes
 * (negative counts from the end), string characters. Never reaches prototypes.
 */
export function safeGet(obj: unknown, key: unknown): unknown {
  if (obj === null || obj === undefined) return MISSING;
  if (Array.isArray(obj) || typeof obj === 'string') {
    let k: unknown = key;
    if (typeof k === 'string' && /^-?\d+$/.test(k)) k = parseInt(k, 10);
    if (typeof k !== 'number' || !Number.isInteger(k)) return MISSING;
    const i = k < 0 ? obj.length + k : k;
    if (i < 0 || i >= obj.length) return MISSING;
    return obj[i];
  }
  if (typeof obj !== 'object') return MISSING;
  const name = typeof key === 'number' ? String(key) : key;
  if (typeof name !== 'string') return MISSING;
  if (!Object.prototype.hasOwnProperty.call(obj, name)) return MISSING;
  const v = (obj as Record<string, unknown>)[name];
  return v === undefined ? MISSING : v;
}

/** Strings concatenated, or lists concatenated when every argument is a list. */
export function fConcat(...args: unknown[]): unknown {
  if (args.length > 0 && args.every(Array.isArray)) return ([] as unknown[]).concat(...(args as unknown[][]));
  return args.map(toText).join('');
}

/** Compare dotted versions: `op` is one of <, <=, >, >=, ==, !=, lt, le, gt, ge, eq, ne. */
export function versionCompare(a: unknown, b: unknown, op: unknown = '=='): boolean {
  const pa = toText(a).split(/[.+-]/);
  const pb = toText(b).split(/[.+-]/);
  let c = 0;
  for (let i = 0; i < Math.max(pa.length, pb.length) && c === 0; i++) {
    const x = pa[i] ?? '0';
    const y = pb[i] ?? '0';
    if (/^\d+$/.test(x) && /^\d+$/.test(y)) c = parseInt(x, 10) - parseInt(y, 10);
    else c = x < y ? -1 : x > y ? 1 : 0;
  }
  switch (toText(op)) {
    case '<': case 'lt': return c < 0;
    case '<=': case 'le': return c <= 0;
    case '>': case 'gt': return c > 0;
    case '>=': case 'ge': return c >= 0;
    case '==': case '=': case 'eq': return c === 0;
    case '!=': case '<>': case 'ne': return c !== 0;
    default: fail(`version: unknown comparison operator '${toText(op)}'`);
  }
}
