/**
 * Jinja's built-in filters and Ansible's filters, with Python semantics. Every filter is also
 * registered under its `ansible.builtin.` FQCN.
 */
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { posix, resolve as pathResolve } from 'node:path';
import { loadYamlText, loadYamlTextAll, YamlTextError } from '../../yaml/load-text.js';
import { TemplateError, UndefinedVariableError, isUndefined, makeUndefined, undefinedName } from '../undefined.js';
import { pyJsonDumps, pyYamlDump } from './dump.js';
import { PyFloat, cmp, eq, isDict, isFloat, isInt, isNumber, iterate, mkFloat, need, numOf, repr, str, strFormat, percentFormat, truthy, tuple, typeName, Namespace } from './py.js';
import { expandReplacement, pyEscape, pyRegex } from './regex.js';
import { hasTest, runTest } from './tests.js';
import { ipFilterNames } from './filters-ip.js';
import { moreFilterNames } from './filters-more.js';

export interface FilterCtx {
  /** `obj.a.b` / `obj[0]` as Jinja's environment.getattr/getitem (Undefined when missing). */
  getattr(obj: unknown, attr: unknown): unknown;
  filter(name: string, v: unknown, args: unknown[], kw: Record<string, unknown>): unknown;
  /** A variable of the template being rendered (Undefined when missing), for plugins that read the context. */
  variable?(name: string): unknown;
}

export interface FilterDef {
  /** Receives Undefined input (default, mandatory, ...). */
  lenient?: boolean;
  fn: (ctx: FilterCtx, v: unknown, args: unknown[], kw: Record<string, unknown>) => unknown;
}

function arg<T = unknown>(args: unknown[], kw: Record<string, unknown>, i: number, name: string, def?: T): T {
  if (args.length > i) return args[i] as T;
  if (Object.hasOwn(kw, name)) return kw[name] as T;
  return def as T;
}

function list(v: unknown, what: string): unknown[] {
  need(v);
  if (Array.isArray(v)) return v;
  if (typeof v === 'string' || isDict(v) || v instanceof Namespace) return iterate(v);
  throw new TemplateError(`${what}: '${typeName(v)}' object is not iterable`);
}

/** Dotted attribute path (`a.b.0`) through getattr. */
function attrGetter(ctx: FilterCtx, attribute: unknown, def?: unknown): (x: unknown) => unknown {
  const parts = typeof attribute === 'number' ? [attribute] : str(attribute).split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return (x) => {
    let cur = x;
    for (const p of parts) {
      cur = ctx.getattr(cur, p);
      if (isUndefined(cur)) break;
    }
    if (isUndefined(cur) && def !== undefined) return def;
    return cur;
  };
}

function sortKey(v: unknown, caseSensitive: boolean): unknown {
  return !caseSensitive && typeof v === 'string' ? v.toLowerCase() : v;
}

function uniqueList(items: unknown[], caseSensitive: boolean, key: (x: unknown) => unknown = (x) => x): unknown[] {
  const out: unknown[] = [];
  const seen: unknown[] = [];
  for (const x of items) {
    const k = sortKey(key(x), caseSensitive);
    if (!seen.some((s) => eq(s, k))) {
      seen.push(k);
      out.push(x);
    }
  }
  return out;
}

function pySplit(s: string, sep: unknown, max: number): string[] {
  if (sep === null || sep === undefined) {
    const out: string[] = [];
    let rest = s.replace(/^\s+/, '');
    while (rest !== '') {
      if (max >= 0 && out.length === max) {
        out.push(rest);
        break;
      }
      const m = /\s+/.exec(rest);
      if (!m) {
        out.push(rest);
        break;
      }
      out.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    return out;
  }
  const d = str(sep);
  if (d === '') throw new TemplateError('empty separator');
  const parts = s.split(d);
  if (max < 0 || parts.length <= max + 1) return parts;
  return [...parts.slice(0, max), parts.slice(max).join(d)];
}

export { pySplit };

function toInt(v: unknown, def: unknown = 0, base: unknown = 10): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof PyFloat) return Math.trunc(v.v);
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : def;
  if (typeof v === 'string') {
    const s = v.trim().replace(/_/g, '');
    const b = numOf(base);
    if (b === 10 && /^[+-]?\d+$/.test(s)) return parseInt(s, 10);
    if (b === 16 && /^[+-]?(0x)?[0-9a-f]+$/i.test(s)) return parseInt(s, 16);
    if (b === 8 && /^[+-]?(0o)?[0-7]+$/i.test(s)) return parseInt(s.replace(/0o/i, ''), 8);
    if (b === 2 && /^[+-]?(0b)?[01]+$/i.test(s)) return parseInt(s.replace(/0b/i, ''), 2);
    if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) || /^[+-]?(inf|nan)/i.test(s)) {
      const f = parseFloat(s);
      return Number.isFinite(f) ? Math.trunc(f) : def;
    }
  }
  return def;
}

function toFloat(v: unknown, def: unknown = new PyFloat(0)): unknown {
  if (typeof v === 'boolean') return new PyFloat(v ? 1 : 0);
  if (isNumber(v)) return mkFloat(numOf(v));
  if (typeof v === 'string') {
    const s = v.trim();
    if (/^[+-]?(\d[\d_]*\.?[\d_]*|\.\d[\d_]*)([eE][+-]?\d+)?$/.test(s)) return mkFloat(parseFloat(s.replace(/_/g, '')));
    if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
    if (/^[+-]?nan$/i.test(s)) return NaN;
  }
  return def;
}

/** Ansible's bool filter. */
function toBool(v: unknown): boolean | null {
  if (typeof v === 'boolean' || v === null) return v;
  if (typeof v === 'string' || isNumber(v)) {
    const s = typeof v === 'string' ? v.toLowerCase() : str(v);
    return ['yes', 'on', '1', 'true'].includes(s) || (isNumber(v) && numOf(v) === 1);
  }
  return false;
}

/** Ansible's combine: merge_hash with recursive and list_merge. */
function mergeHash(x: Record<string, unknown>, y: Record<string, unknown>, recursive: boolean, listMerge: string): Record<string, unknown> {
  if (!isDict(x) || !isDict(y)) throw new TemplateError(`failed to combine variables, expected dicts but got a '${typeName(x)}' and a '${typeName(y)}'`);
  if (Object.keys(x).length === 0) return { ...y };
  const out: Record<string, unknown> = { ...x };
  for (const [k, yv] of Object.entries(y)) {
    if (!Object.hasOwn(out, k)) {
      out[k] = yv;
      continue;
    }
    const xv = out[k];
    if (isDict(xv) && isDict(yv)) {
      out[k] = recursive ? mergeHash(xv, yv, recursive, listMerge) : yv;
      continue;
    }
    if (Array.isArray(xv) && Array.isArray(yv)) {
      switch (listMerge) {
        case 'replace': out[k] = yv; break;
        case 'keep': out[k] = xv; break;
        case 'append': out[k] = [...xv, ...yv]; break;
        case 'prepend': out[k] = [...yv, ...xv]; break;
        case 'append_rp': out[k] = [...xv.filter((e) => !yv.some((z) => eq(z, e))), ...yv]; break;
        case 'prepend_rp': out[k] = [...yv, ...xv.filter((e) => !yv.some((z) => eq(z, e)))]; break;
        default: throw new TemplateError(`merge_hash: 'list_merge' argument can only be equal to 'replace', 'keep', 'append', 'prepend', 'append_rp' or 'prepend_rp'`);
      }
      continue;
    }
    out[k] = yv;
  }
  return out;
}

function flatten(l: unknown[], levels: number | null, skipNulls: boolean): unknown[] {
  const out: unknown[] = [];
  for (const e of l) {
    if (skipNulls && (e === null || e === 'None' || e === 'null')) continue;
    if (Array.isArray(e)) {
      if (levels === null) out.push(...flatten(e, null, skipNulls));
      else if (levels >= 1) out.push(...flatten(e, levels - 1, skipNulls));
      else out.push(e);
    } else out.push(e);
  }
  return out;
}

function selectOrReject(ctx: FilterCtx, v: unknown, args: unknown[], kw: Record<string, unknown>, keep: boolean, byAttr: boolean): unknown[] {
  const items = list(v, byAttr ? 'selectattr' : 'select');
  let get = (x: unknown) => x;
  let rest = args;
  if (byAttr) {
    get = attrGetter(ctx, rest[0]);
    rest = rest.slice(1);
  }
  const testName = rest.length ? str(rest[0]) : undefined;
  if (testName !== undefined && !hasTest(testName)) throw new TemplateError(`no test named '${testName}'`);
  const targs = rest.slice(1);
  return items.filter((x) => {
    const val = get(x);
    const ok = testName === undefined ? truthy(val) : runTest(testName, val, targs, kw);
    return ok === keep;
  });
}

function mapFilter(ctx: FilterCtx, v: unknown, args: unknown[], kw: Record<string, unknown>): unknown[] {
  const items = list(v, 'map');
  if (args.length === 0 && Object.hasOwn(kw, 'attribute')) {
    const get = attrGetter(ctx, kw.attribute, kw.default);
    return items.map(get);
  }
  if (args.length === 0) throw new TemplateError('map requires a filter argument');
  const name = str(args[0]);
  if (!Object.hasOwn(FILTERS, name)) throw new TemplateError(`no filter named '${name}'`);
  const rest = args.slice(1);
  return items.map((x) => ctx.filter(name, x, rest, kw));
}

function extract(ctx: FilterCtx, item: unknown, container: unknown, morekeys?: unknown): unknown {
  let v = ctx.getattr(container, item);
  if (isUndefined(v)) throw new UndefinedVariableError(undefinedName(v)!);
  if (morekeys !== undefined && morekeys !== null) {
    for (const k of Array.isArray(morekeys) ? morekeys : [morekeys]) {
      v = ctx.getattr(v, k);
      if (isUndefined(v)) return v;
    }
  }
  return v;
}

function urlsplit(value: unknown, query: unknown): unknown {
  const s = str(value);
  const m = /^(?:([A-Za-z][A-Za-z0-9+.-]*):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(s)!;
  const netloc = m[2] ?? '';
  const at = netloc.lastIndexOf('@');
  const userinfo = at >= 0 ? netloc.slice(0, at) : '';
  const hostport = at >= 0 ? netloc.slice(at + 1) : netloc;
  const hp = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(hostport);
  const host = hp ? hp[1].replace(/^\[|\]$/g, '').toLowerCase() : '';
  const parts: Record<string, unknown> = {
    fragment: m[5] ?? '',
    hostname: host === '' ? null : host,
    netloc,
    password: userinfo.includes(':') ? userinfo.slice(userinfo.indexOf(':') + 1) : null,
    path: m[3] ?? '',
    port: hp?.[2] ? Number(hp[2]) : null,
    query: m[4] ?? '',
    scheme: (m[1] ?? '').toLowerCase(),
    username: userinfo ? userinfo.split(':')[0] : null,
  };
  if (query !== undefined && query !== '' && query !== null) {
    const q = str(query);
    if (!Object.hasOwn(parts, q)) throw new TemplateError(`urlsplit: unknown URL component: ${q}`);
    return parts[q];
  }
  return parts;
}

function hashOf(data: unknown, algo: unknown): string {
  const a = str(algo ?? 'sha1');
  try {
    return createHash(a).update(str(data), 'utf8').digest('hex');
  } catch {
    throw new TemplateError(`hash: unknown hash type '${a}'`);
  }
}

function splitext(p: string): unknown[] {
  const base = p.slice(p.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  if (dot <= 0 || /^\.+$/.test(base.slice(0, dot + 1))) return tuple([p, '']);
  const cut = p.length - (base.length - dot);
  return tuple([p.slice(0, cut), p.slice(cut)]);
}

function pyDirname(p: string): string {
  const i = p.lastIndexOf('/') + 1;
  let head = p.slice(0, i);
  if (head && !/^\/+$/.test(head)) head = head.replace(/\/+$/, '');
  return head;
}

function title(s: string): string {
  return s
    .split(/([-\s({[<]+)/)
    .filter((x) => x !== '')
    .map((w) => (/^[-\s({[<]+$/.test(w) ? w : w[0].toUpperCase() + w.slice(1).toLowerCase()))
    .join('');
}

function sortFilter(ctx: FilterCtx, v: unknown, args: unknown[], kw: Record<string, unknown>): unknown[] {
  const reverse = truthy(arg(args, kw, 0, 'reverse', false));
  const cs = truthy(arg(args, kw, 1, 'case_sensitive', false));
  const attribute = arg<unknown>(args, kw, 2, 'attribute', null);
  const keys = attribute === null ? [(x: unknown) => x] : str(attribute).split(',').map((a) => attrGetter(ctx, a.trim()));
  const items = [...list(v, 'sort')];
  const keyOf = (x: unknown) => keys.map((g) => sortKey(g(x), cs));
  const decorated = items.map((x) => ({ x, k: keyOf(x) }));
  decorated.sort((a, b) => cmp(a.k, b.k));
  if (reverse) decorated.reverse();
  return decorated.map((d) => d.x);
}

function minmax(ctx: FilterCtx, v: unknown, args: unknown[], kw: Record<string, unknown>, sign: number): unknown {
  const items = list(v, sign < 0 ? 'min' : 'max');
  if (!items.length) return makeUndefined(`${sign < 0 ? 'min' : 'max'}(empty sequence)`);
  const cs = truthy(arg(args, kw, 0, 'case_sensitive', false));
  const attribute = arg<unknown>(args, kw, 1, 'attribute', null);
  const get = attribute === null ? (x: unknown) => x : attrGetter(ctx, attribute);
  let best = items[0];
  for (const x of items.slice(1)) if (cmp(sortKey(get(x), cs), sortKey(get(best), cs)) * sign > 0) best = x;
  return best;
}

function groupby(ctx: FilterCtx, v: unknown, args: unknown[], kw: Record<string, unknown>): unknown[] {
  const get = attrGetter(ctx, arg(args, kw, 0, 'attribute'), arg(args, kw, 1, 'default'));
  const sorted = sortFilter(ctx, v, [], { attribute: arg(args, kw, 0, 'attribute') });
  const out: unknown[] = [];
  for (const x of sorted) {
    const k = get(x);
    const last = out[out.length - 1] as [unknown, unknown[]] | undefined;
    if (last && eq(last[0], k)) last[1].push(x);
    else out.push(tuple([k, [x]]));
  }
  return out;
}

function humanToBytes(v: unknown, unit: unknown, isbits: unknown): number {
  const m = /^\s*(\d+(?:\.\d*)?)\s*([KMGTPEZY]?)(i?[Bb]?|[Bb]ytes?|[Bb]its?)?\s*$/i.exec(str(v));
  if (!m) throw new TemplateError(`human_to_bytes() can't interpret following string: ${str(v)}`);
  const pow = ' KMGTPEZY'.indexOf((m[2] || (unit ? str(unit)[0] : ' ')).toUpperCase());
  return Math.round(parseFloat(m[1]) * 1024 ** Math.max(0, pow));
}

function humanReadable(v: unknown, isbits: unknown, unit: unknown): string {
  let n = numOf(v);
  const suffixes = ['', 'K', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'];
  let i = 0;
  if (unit) i = suffixes.indexOf(str(unit)[0].toUpperCase());
  else while (n >= 1024 && i < suffixes.length - 1 && Math.abs(n / 1024 ** (i + 1)) >= 1) i++;
  n = n / 1024 ** i;
  const b = truthy(isbits ?? false) ? 'b' : 'B';
  return `${n.toFixed(2)} ${suffixes[i]}${i === 0 ? (b === 'B' ? 'Bytes' : 'bits') : b}`;
}

function subelementsFilter(ctx: FilterCtx, v: unknown, args: unknown[], kw: Record<string, unknown>): unknown[] {
  const items = isDict(v) ? Object.values(v) : list(v, 'subelements');
  const path = str(args[0]).split('.');
  const skipMissing = truthy(arg(args, kw, 1, 'skip_missing', false));
  const out: unknown[] = [];
  for (const el of items) {
    let cur: unknown = el;
    let missing = false;
    for (const p of path) {
      cur = ctx.getattr(cur, p);
      if (isUndefined(cur)) {
        missing = true;
        break;
      }
    }
    if (missing) {
      if (skipMissing) continue;
      throw new TemplateError(`could not find '${path.join('.')}' key in iterated item '${repr(el)}'`);
    }
    if (!Array.isArray(cur)) throw new TemplateError('the key %s should point to a list, got %s'.replace('%s', path.join('.')).replace('%s', repr(cur)));
    for (const s of cur) out.push(tuple([el, s]));
  }
  return out;
}

function product(lists: unknown[][]): unknown[] {
  let out: unknown[][] = [[]];
  for (const l of lists) out = out.flatMap((acc) => l.map((x) => [...acc, x]));
  return out.map((x) => tuple(x));
}

function permutations(items: unknown[], r: number): unknown[] {
  if (r === 0) return [tuple([])];
  const out: unknown[] = [];
  items.forEach((x, i) => {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)], r - 1)) out.push(tuple([x, ...(rest as unknown[])]));
  });
  return out;
}

function combinations(items: unknown[], r: number): unknown[] {
  if (r === 0) return [tuple([])];
  const out: unknown[] = [];
  items.forEach((x, i) => {
    for (const rest of combinations(items.slice(i + 1), r - 1)) out.push(tuple([x, ...(rest as unknown[])]));
  });
  return out;
}

function pyRound(v: unknown, precision: unknown, method: unknown): unknown {
  const x = numOf(v);
  const p = numOf(precision ?? 0);
  const f = 10 ** p;
  const m = str(method ?? 'common');
  let r: number;
  if (m === 'ceil') r = Math.ceil(x * f) / f;
  else if (m === 'floor') r = Math.floor(x * f) / f;
  else {
    // Python's round(): halves go to the even neighbour
    const y = x * f;
    const fl = Math.floor(y);
    const diff = y - fl;
    const k = diff > 0.5 ? fl + 1 : diff < 0.5 ? fl : fl % 2 === 0 ? fl : fl + 1;
    r = k / f;
  }
  return mkFloat(r);
}

function indent(s: string, width: unknown, first: unknown, blank: unknown): string {
  const w = typeof width === 'string' ? width : ' '.repeat(numOf(width ?? 4));
  const lines = s.split('\n');
  return lines
    .map((l, i) => ((i === 0 && !truthy(first ?? false)) || (l === '' && !truthy(blank ?? false)) ? l : w + l))
    .join('\n');
}

function truncate(s: string, length: unknown, killwords: unknown, end: unknown, leeway: unknown): string {
  const len = numOf(length ?? 255);
  const e = str(end ?? '...');
  const lw = numOf(leeway ?? 5);
  if (s.length <= len + lw) return s;
  if (truthy(killwords ?? false)) return s.slice(0, len - e.length) + e;
  const cut = s.slice(0, len - e.length);
  const sp = cut.lastIndexOf(' ');
  return (sp >= 0 ? cut.slice(0, sp) : cut) + e;
}

function urlencode(v: unknown): string {
  const enc = (x: unknown) => encodeURIComponent(str(x)).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  const qs = (x: unknown) => enc(x).replace(/%20/g, '+');
  if (isDict(v)) return Object.entries(v).map(([k, x]) => `${qs(k)}=${qs(x)}`).join('&');
  if (Array.isArray(v)) return v.map((p) => `${qs((p as unknown[])[0])}=${qs((p as unknown[])[1])}`).join('&');
  return enc(v).replace(/%2F/g, '/');
}

function regexFlags(kw: Record<string, unknown>, ignorecase?: unknown, multiline?: unknown): string {
  return (truthy(ignorecase ?? kw.ignorecase ?? false) ? 'i' : '') + (truthy(multiline ?? kw.multiline ?? false) ? 'm' : '');
}

function regexSearch(v: unknown, args: unknown[], kw: Record<string, unknown>): unknown {
  const s = str(v);
  const re = pyRegex(str(args[0]), regexFlags(kw));
  const m = re.exec(s);
  if (!m) return null;
  const groups = args.slice(1);
  if (!groups.length) return m[0];
  return groups.map((g) => {
    const gs = str(g);
    const num = /^\\(\d+)$/.exec(gs);
    if (num) return m[Number(num[1])] ?? null;
    const name = /^\\g<(\w+)>$/.exec(gs);
    if (name) return m.groups?.[name[1]] ?? null;
    throw new TemplateError(`Unknown argument: ${gs}`);
  });
}

function regexFindall(v: unknown, args: unknown[], kw: Record<string, unknown>): unknown[] {
  const re = pyRegex(str(args[0]), 'g' + regexFlags(kw, args[2], args[1]));
  const out: unknown[] = [];
  for (const m of str(v).matchAll(re)) {
    if (m.length <= 1) out.push(m[0]);
    else if (m.length === 2) out.push(m[1] ?? '');
    else out.push(tuple(m.slice(1).map((g) => g ?? '')));
  }
  return out;
}

function regexReplace(v: unknown, args: unknown[], kw: Record<string, unknown>): string {
  const s = str(v);
  const pattern = str(arg(args, kw, 0, 'pattern', ''));
  const repl = str(arg(args, kw, 1, 'replacement', ''));
  const flags = regexFlags(kw, arg(args, kw, 2, 'ignorecase', false), arg(args, kw, 3, 'multiline', false));
  const count = numOf(arg(args, kw, 4, 'count', 0));
  const re = pyRegex(pattern, 'g' + flags);
  let n = 0;
  let out = '';
  let last = 0;
  for (const m of s.matchAll(re)) {
    if (count > 0 && n >= count) break;
    n++;
    out += s.slice(last, m.index) + expandReplacement(repl, m);
    last = m.index! + m[0].length;
  }
  return out + s.slice(last);
}

const F: Record<string, FilterDef> = {};
const def = (name: string, fn: FilterDef['fn'], lenient = false) => {
  F[name] = { fn, lenient };
};
const s1 = (name: string, fn: (s: string, ...a: unknown[]) => unknown) => def(name, (_c, v, a) => fn(str(v), ...a));

// ---- values, defaults
def('default', (_c, v, args, kw) => {
  const d = arg(args, kw, 0, 'default_value', '');
  const boolean = truthy(arg(args, kw, 1, 'boolean', false));
  if (isUndefined(v) || (boolean && !truthy(v))) return d;
  return v;
}, true);
F.d = F.default;
def('mandatory', (_c, v, args) => {
  if (isUndefined(v)) {
    if (args[0] !== undefined && args[0] !== null) throw new TemplateError(str(args[0]));
    throw new TemplateError(`Mandatory variable '${undefinedName(v)}' not defined.`);
  }
  return v;
}, true);
def('ternary', (_c, v, args, kw) => {
  const t = arg(args, kw, 0, 'true_val');
  const f = arg(args, kw, 1, 'false_val');
  const n = arg(args, kw, 2, 'none_val', null);
  if (n !== null && v === null) return n;
  return truthy(v) ? t : f;
});
def('bool', (_c, v) => toBool(v));
def('int', (_c, v, args, kw) => toInt(v, arg(args, kw, 0, 'default', 0), arg(args, kw, 1, 'base', 10)));
def('float', (_c, v, args, kw) => toFloat(v, arg(args, kw, 0, 'default', new PyFloat(0))));
def('string', (_c, v) => str(v));
def('list', (_c, v) => [...list(v, 'list')]);
def('type_debug', (_c, v) => typeName(v));
def('abs', (_c, v) => (isFloat(v) ? mkFloat(Math.abs(numOf(v))) : Math.abs(numOf(v))));
def('round', (_c, v, args, kw) => pyRound(v, arg(args, kw, 0, 'precision', 0), arg(args, kw, 1, 'method', 'common')));
def('length', (_c, v) => {
  if (typeof v === 'string' || Array.isArray(v)) return [...(v as string)].length;
  if (isDict(v)) return Object.keys(v).length;
  throw new TemplateError(`object of type '${typeName(v)}' has no len()`);
});
F.count = F.length;
def('attr', (c, v, args) => c.getattr(v, str(args[0])));
def('items', (_c, v) => (isUndefined(v) ? [] : isDict(v) ? Object.keys(v).map((k) => tuple([k, v[k]])) : (() => { throw new TemplateError(`items: expected a mapping, got ${typeName(v)}`); })()));
def('dictsort', (_c, v, args, kw) => {
  if (!isDict(v)) throw new TemplateError('dictsort: expected a mapping');
  const cs = truthy(arg(args, kw, 0, 'case_sensitive', false));
  const by = str(arg(args, kw, 1, 'by', 'key'));
  const rev = truthy(arg(args, kw, 2, 'reverse', false));
  const items = Object.keys(v).map((k) => tuple([k, v[k]]));
  items.sort((a, b) => cmp(sortKey(by === 'value' ? a[1] : a[0], cs), sortKey(by === 'value' ? b[1] : b[0], cs)));
  return rev ? items.reverse() : items;
});

// ---- strings
s1('lower', (s) => s.toLowerCase());
s1('upper', (s) => s.toUpperCase());
s1('capitalize', (s) => (s ? s[0].toUpperCase() + s.slice(1).toLowerCase() : s));
s1('title', title);
def('trim', (_c, v, args) => {
  const s = str(v);
  if (args[0] === undefined || args[0] === null) return s.trim();
  const set = new Set(str(args[0]));
  let a = 0;
  let b = s.length;
  while (a < b && set.has(s[a])) a++;
  while (b > a && set.has(s[b - 1])) b--;
  return s.slice(a, b);
});
def('replace', (_c, v, args, kw) => {
  const s = str(v);
  const from = str(arg(args, kw, 0, 'old'));
  const to = str(arg(args, kw, 1, 'new'));
  const count = arg<unknown>(args, kw, 2, 'count', null);
  let n = count === null ? -1 : numOf(count);
  if (from === '') {
    const chars = [...s];
    let out = '';
    for (let i = 0; i <= chars.length; i++) {
      if (n !== 0) {
        out += to;
        n--;
      }
      if (i < chars.length) out += chars[i];
    }
    return out;
  }
  let out = '';
  let rest = s;
  for (;;) {
    const i = rest.indexOf(from);
    if (i < 0 || n === 0) break;
    out += rest.slice(0, i) + to;
    rest = rest.slice(i + from.length);
    n--;
  }
  return out + rest;
});
def('split', (_c, v, args, kw) => pySplit(str(v), arg(args, kw, 0, 'sep', null), numOf(arg(args, kw, 1, 'maxsplit', -1))));
def('join', (c, v, args, kw) => {
  const attribute = arg<unknown>(args, kw, 1, 'attribute', null);
  const get = attribute === null ? (x: unknown) => x : attrGetter(c, attribute);
  return list(v, 'join').map((x) => str(get(x))).join(str(arg(args, kw, 0, 'd', '')));
});
def('format', (_c, v, args, kw) => (Object.keys(kw).length ? percentFormat(str(v), kw) : percentFormat(str(v), tuple(args))));
def('center', (_c, v, args) => {
  const s = str(v);
  const w = numOf(args[0] ?? 80);
  if (s.length >= w) return s;
  const left = Math.floor((w - s.length) / 2 + ((w - s.length) % 2 && s.length % 2 ? 1 : 0));
  return ' '.repeat(left) + s + ' '.repeat(w - s.length - left);
});
def('indent', (_c, v, args, kw) => indent(str(v), arg(args, kw, 0, 'width', 4), arg(args, kw, 1, 'first', false), arg(args, kw, 2, 'blank', false)));
def('truncate', (_c, v, args, kw) => truncate(str(v), arg(args, kw, 0, 'length'), arg(args, kw, 1, 'killwords'), arg(args, kw, 2, 'end'), arg(args, kw, 3, 'leeway')));
def('wordcount', (_c, v) => (str(v).match(/\w+/gu) ?? []).length);
def('reverse', (_c, v) => (typeof v === 'string' ? [...v].reverse().join('') : [...list(v, 'reverse')].reverse()));
def('striptags', (_c, v) => str(v).replace(/<!--[\s\S]*?-->|<[^>]*>/g, '').replace(/\s+/g, ' ').trim());
def('escape', (_c, v) => str(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;'));
F.e = F.escape;
F.forceescape = F.escape;
def('safe', (_c, v) => v);
def('urlencode', (_c, v) => urlencode(v));
def('comment', (_c, v, args, kw) => {
  const style = str(arg(args, kw, 0, 'style', 'plain'));
  const marks: Record<string, [string, string, string]> = { plain: ['', '# ', ''], c: ['', '// ', ''], cblock: ['/*', ' * ', ' */'], erlang: ['', '% ', ''], xml: ['<!--', ' - ', '-->'] };
  const [beg, dec, end] = marks[style] ?? marks.plain;
  const body = str(v).split('\n').map((l) => (dec + l).trimEnd()).join('\n');
  return `${beg ? beg + '\n' : ''}${dec.trimEnd()}\n${body}\n${dec.trimEnd()}${end ? '\n' + end : ''}`;
});
def('quote', (_c, v) => {
  // Python's shlex.quote
  const t = v === null ? 'None' : str(v);
  if (t === '') return "''";
  if (/^[\w@%+=:,./-]+$/.test(t)) return t;
  return "'" + t.replace(/'/g, `'"'"'`) + "'";
});
def('regex_replace', (_c, v, args, kw) => regexReplace(v, args, kw));
def('regex_search', (_c, v, args, kw) => regexSearch(v, args, kw));
def('regex_findall', (_c, v, args, kw) => regexFindall(v, args, kw));
def('regex_escape', (_c, v) => pyEscape(str(v)));
def('b64encode', (_c, v, args, kw) => Buffer.from(str(v), (str(arg(args, kw, 0, 'encoding', 'utf-8')).replace('-', '') as BufferEncoding)).toString('base64'));
def('b64decode', (_c, v, args, kw) => Buffer.from(str(v), 'base64').toString(str(arg(args, kw, 0, 'encoding', 'utf-8')).replace('-', '') as BufferEncoding));
def('hash', (_c, v, args) => hashOf(v, args[0] ?? 'sha1'));
def('checksum', (_c, v) => hashOf(v, 'sha1'));
def('sha1', (_c, v) => hashOf(v, 'sha1'));
def('md5', (_c, v) => hashOf(v, 'md5'));
def('to_uuid', (_c, v, args) => {
  const ns = str(args[0] ?? '361E6D51-FAEC-444A-9079-341386DA8E2E').replace(/-/g, '');
  const h = createHash('sha1').update(Buffer.concat([Buffer.from(ns, 'hex'), Buffer.from(str(v), 'utf8')])).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
});

// ---- paths
s1('basename', (s) => s.slice(s.lastIndexOf('/') + 1));
s1('dirname', pyDirname);
s1('expanduser', (s) => (s === '~' || s.startsWith('~/') ? homedir() + s.slice(1) : s));
s1('expandvars', (s) => s.replace(/\$(\w+)|\$\{(\w+)\}/g, (m, a, b) => process.env[a ?? b] ?? m));
s1('realpath', (s) => {
  try {
    return realpathSync(pathResolve(s));
  } catch {
    return pathResolve(s);
  }
});
def('relpath', (_c, v, args) => posix.relative(args[0] === undefined ? process.cwd() : str(args[0]), pathResolve(str(v))) || '.');
s1('splitext', splitext);
def('path_join', (_c, v) => {
  const parts = Array.isArray(v) ? v.map((x) => str(x)) : [str(v)];
  let out = '';
  for (const p of parts) out = p.startsWith('/') ? p : out === '' || out.endsWith('/') ? out + p : `${out}/${p}`;
  return out;
});
def('urlsplit', (_c, v, args) => urlsplit(v, args[0]));

// ---- lists and dicts
def('first', (_c, v) => {
  const l = list(v, 'first');
  return l.length ? l[0] : makeUndefined('first(empty sequence)');
});
def('last', (_c, v) => {
  const l = list(v, 'last');
  return l.length ? l[l.length - 1] : makeUndefined('last(empty sequence)');
});
def('min', (c, v, args, kw) => minmax(c, v, args, kw, -1));
def('max', (c, v, args, kw) => minmax(c, v, args, kw, 1));
def('sum', (c, v, args, kw) => {
  const attribute = arg<unknown>(args, kw, 0, 'attribute', null);
  const get = attribute === null ? (x: unknown) => x : attrGetter(c, attribute);
  let acc: unknown = arg(args, kw, 1, 'start', 0);
  for (const x of list(v, 'sum')) acc = arithAdd(acc, get(x));
  return acc;
});
def('unique', (c, v, args, kw) => {
  const attribute = arg<unknown>(args, kw, 1, 'attribute', null);
  return uniqueList(list(v, 'unique'), truthy(arg(args, kw, 0, 'case_sensitive', false)), attribute === null ? undefined : attrGetter(c, attribute));
});
def('union', (_c, v, args) => uniqueList([...list(v, 'union'), ...list(args[0], 'union')], true));
def('intersect', (_c, v, args) => {
  const b = list(args[0], 'intersect');
  return uniqueList(list(v, 'intersect').filter((x) => b.some((y) => eq(x, y))), true);
});
def('difference', (_c, v, args) => {
  const b = list(args[0], 'difference');
  return uniqueList(list(v, 'difference').filter((x) => !b.some((y) => eq(x, y))), true);
});
def('symmetric_difference', (_c, v, args) => {
  const a = list(v, 'symmetric_difference');
  const b = list(args[0], 'symmetric_difference');
  const isect = uniqueList(a.filter((x) => b.some((y) => eq(x, y))), true);
  return uniqueList([...a, ...b], true).filter((x) => !isect.some((y) => eq(x, y)));
});
def('sort', sortFilter);
def('flatten', (_c, v, args, kw) => {
  const levels = arg<unknown>(args, kw, 0, 'levels', null);
  return flatten(list(v, 'flatten'), levels === null ? null : numOf(levels), truthy(arg(args, kw, 1, 'skip_nulls', true)));
});
def('zip', (_c, v, args) => {
  const lists = [list(v, 'zip'), ...args.map((a) => list(a, 'zip'))];
  const n = Math.min(...lists.map((l) => l.length));
  return Array.from({ length: n }, (_x, i) => tuple(lists.map((l) => l[i])));
});
def('zip_longest', (_c, v, args, kw) => {
  const lists = [list(v, 'zip_longest'), ...args.map((a) => list(a, 'zip_longest'))];
  const n = Math.max(...lists.map((l) => l.length));
  const fill = kw.fillvalue ?? null;
  return Array.from({ length: n }, (_x, i) => tuple(lists.map((l) => (i < l.length ? l[i] : fill))));
});
def('combine', (_c, v, args, kw) => {
  const recursive = truthy(kw.recursive ?? false);
  const listMerge = str(kw.list_merge ?? 'replace');
  const dicts = flatten([v, ...args], null, false);
  let out: Record<string, unknown> = {};
  for (const d of dicts) out = mergeHash(out, d as Record<string, unknown>, recursive, listMerge);
  return out;
});
def('dict2items', (_c, v, args, kw) => {
  if (!isDict(v)) throw new TemplateError(`dict2items requires a dictionary, got ${typeName(v)} instead.`);
  const kn = str(arg(args, kw, 0, 'key_name', 'key'));
  const vn = str(arg(args, kw, 1, 'value_name', 'value'));
  return Object.keys(v).map((k) => ({ [kn]: k, [vn]: v[k] }));
});
def('items2dict', (_c, v, args, kw) => {
  const kn = str(arg(args, kw, 0, 'key_name', 'key'));
  const vn = str(arg(args, kw, 1, 'value_name', 'value'));
  const out: Record<string, unknown> = {};
  for (const it of list(v, 'items2dict')) {
    if (!isDict(it)) throw new TemplateError(`items2dict requires a list of dictionaries, got ${typeName(it)}`);
    if (!Object.hasOwn(it, kn) || !Object.hasOwn(it, vn)) throw new TemplateError(`items2dict requires each dictionary in the list to contain the keys '${kn}' and '${vn}'`);
    out[str(it[kn])] = it[vn];
  }
  return out;
});
def('map', mapFilter);
def('select', (c, v, a, kw) => selectOrReject(c, v, a, kw, true, false));
def('reject', (c, v, a, kw) => selectOrReject(c, v, a, kw, false, false));
def('selectattr', (c, v, a, kw) => selectOrReject(c, v, a, kw, true, true));
def('rejectattr', (c, v, a, kw) => selectOrReject(c, v, a, kw, false, true));
def('extract', (c, v, args) => extract(c, v, args[0], args[1]));
def('subelements', subelementsFilter);
def('groupby', groupby);
def('batch', (_c, v, args) => {
  const n = numOf(args[0]);
  const l = list(v, 'batch');
  const out: unknown[][] = [];
  for (let i = 0; i < l.length; i += n) {
    const row = l.slice(i, i + n);
    if (row.length < n && args[1] !== undefined) while (row.length < n) row.push(args[1]);
    out.push(row);
  }
  return out;
});
def('slice', (_c, v, args) => {
  const n = numOf(args[0]);
  const l = list(v, 'slice');
  const per = Math.floor(l.length / n);
  const extra = l.length % n;
  const out: unknown[][] = [];
  let off = 0;
  for (let i = 0; i < n; i++) {
    const size = per + (i < extra ? 1 : 0);
    const row = l.slice(off, off + size);
    off += size;
    if (args[1] !== undefined && i >= extra && extra) row.push(args[1]);
    out.push(row);
  }
  return out;
});
def('product', (_c, v, args, kw) => {
  const lists = [list(v, 'product'), ...args.map((a) => list(a, 'product'))];
  const rep = numOf(kw.repeat ?? 1);
  const all: unknown[][] = [];
  for (let i = 0; i < rep; i++) all.push(...lists);
  return product(all);
});
def('permutations', (_c, v, args) => {
  const l = list(v, 'permutations');
  return permutations(l, args[0] === undefined ? l.length : numOf(args[0]));
});
def('combinations', (_c, v, args) => combinations(list(v, 'combinations'), numOf(args[0])));
def('shuffle', (_c, v) => [...list(v, 'shuffle')].sort(() => Math.random() - 0.5));
def('random', (_c, v, args, kw) => {
  if (isNumber(v)) {
    const start = numOf(arg(args, kw, 0, 'start', 0));
    const step = numOf(arg(args, kw, 1, 'step', 1));
    const n = Math.ceil((numOf(v) - start) / step);
    return start + Math.floor(Math.random() * n) * step;
  }
  const l = list(v, 'random');
  return l[Math.floor(Math.random() * l.length)];
});

// ---- numbers
def('log', (_c, v, args) => mkFloat(args[0] === undefined ? Math.log(numOf(v)) : Math.log(numOf(v)) / Math.log(numOf(args[0]))));
def('pow', (_c, v, args) => mkFloat(numOf(v) ** numOf(args[0])));
def('root', (_c, v, args) => mkFloat(args[0] === undefined || numOf(args[0]) === 2 ? Math.sqrt(numOf(v)) : numOf(v) ** (1 / numOf(args[0]))));
def('human_readable', (_c, v, args, kw) => humanReadable(v, arg(args, kw, 0, 'isbits'), arg(args, kw, 1, 'unit')));
def('human_to_bytes', (_c, v, args, kw) => humanToBytes(v, arg(args, kw, 0, 'default_unit'), arg(args, kw, 1, 'isbits')));
def('filesizeformat', (_c, v, args) => {
  const n = numOf(v);
  const binary = truthy(args[0] ?? false);
  const base = binary ? 1024 : 1000;
  const prefixes = binary ? ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'] : ['kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  if (n === 1) return '1 Byte';
  if (n < base) return `${n} Bytes`;
  let i = 0;
  while (i < prefixes.length - 1 && n >= base ** (i + 2)) i++;
  return `${(n / base ** (i + 1)).toFixed(1)} ${prefixes[i]}`;
});

// ---- serialization
function jsonOpts(kw: Record<string, unknown>, indentDefault?: number, sortDefault = false) {
  const indentV = kw.indent ?? indentDefault;
  return {
    indent: indentV === undefined || indentV === null ? undefined : numOf(indentV),
    sortKeys: truthy(kw.sort_keys ?? sortDefault),
    ensureAscii: truthy(kw.ensure_ascii ?? true),
    separators: Array.isArray(kw.separators) ? (kw.separators.map((x) => str(x)) as [string, string]) : undefined,
  };
}
def('to_json', (_c, v, _a, kw) => pyJsonDumps(v, jsonOpts(kw)));
def('tojson', (_c, v, args, kw) => pyJsonDumps(v, { ...jsonOpts({ ...kw, indent: args[0] ?? kw.indent }), sortKeys: true }).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/'/g, '\\u0027'));
def('to_nice_json', (_c, v, args, kw) => pyJsonDumps(v, { ...jsonOpts({ ...kw, indent: args[0] ?? kw.indent }, 4, true), separators: [',', ': '] }));
def('from_json', (_c, v) => {
  try {
    return floatsFromJson(str(v));
  } catch (e) {
    throw new TemplateError(`from_json: ${(e as Error).message}`);
  }
});
def('to_yaml', (_c, v, _a, kw) => pyYamlDump(v, { indent: kw.indent === undefined ? 2 : numOf(kw.indent), flow: kw.default_flow_style === undefined ? null : (kw.default_flow_style as boolean | null), sortKeys: truthy(kw.sort_keys ?? true) }));
def('to_nice_yaml', (_c, v, args, kw) => pyYamlDump(v, { indent: numOf(args[0] ?? kw.indent ?? 4), flow: false, sortKeys: truthy(kw.sort_keys ?? true) }));
// PyYAML's reading (Ansible calls yaml.safe_load), through the input files' alias and nesting guard
def('from_yaml', (_c, v) => {
  if (typeof v !== 'string') return v;
  try {
    return loadYamlText(v);
  } catch (e) {
    if (e instanceof YamlTextError) throw new TemplateError(`from_yaml: ${e.message}`);
    throw e;
  }
});
def('from_yaml_all', (_c, v) => {
  try {
    return loadYamlTextAll(str(v));
  } catch (e) {
    if (e instanceof YamlTextError) throw new TemplateError(`from_yaml_all: ${e.message}`);
    throw e;
  }
});
def('pprint', (_c, v) => repr(v));

function floatsFromJson(text: string): unknown {
  // JSON.parse turns 1.0 into 1: keep Python's float for numbers written with '.' or 'e'
  return JSON.parse(text, (_k, val, ctx?: { source?: string }) => (typeof val === 'number' && ctx?.source && /[.eE]/.test(ctx.source) ? mkFloat(val) : val));
}

function arithAdd(a: unknown, b: unknown): unknown {
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  const fl = isFloat(a) || isFloat(b);
  const r = numOf(a) + numOf(b);
  return fl ? mkFloat(r) : r;
}

// FQCN aliases for Ansible's own filters (and Jinja's, which Ansible also exposes under the short name only).
const ANSIBLE_FILTERS = [
  'b64decode', 'b64encode', 'basename', 'bool', 'checksum', 'combinations', 'combine', 'comment', 'dict2items', 'difference', 'dirname',
  'expanduser', 'expandvars', 'extract', 'fileglob', 'flatten', 'from_json', 'from_yaml', 'from_yaml_all', 'hash', 'human_readable',
  'human_to_bytes', 'intersect', 'items2dict', 'log', 'mandatory', 'md5', 'permutations', 'pow', 'product', 'quote', 'random',
  'realpath', 'regex_escape', 'regex_findall', 'regex_replace', 'regex_search', 'relpath', 'root', 'sha1', 'shuffle', 'split', 'splitext',
  'subelements', 'symmetric_difference', 'ternary', 'to_json', 'to_nice_json', 'to_nice_yaml', 'to_uuid', 'to_yaml', 'type_debug',
  'union', 'unique', 'urlsplit', 'zip', 'zip_longest', 'path_join', 'min', 'max',
];
for (const n of ANSIBLE_FILTERS) if (F[n]) F[`ansible.builtin.${n}`] = F[n];

export const FILTERS: Record<string, FilterDef> = F;

export function hasFilter(name: string): boolean {
  return Object.hasOwn(FILTERS, name);
}

export { toBool, toInt, toFloat, isInt };

// ansible.utils' IP address filters, under their short names, ansible.utils.* and ansible.netcommon.*
for (const [n, d] of ipFilterNames()) F[n] = d;
// password_hash, community.general's json_query and version_sort
for (const [n, d] of moreFilterNames()) F[n] = d;

// community.general.dict: a list of key/value pairs as a dict (Python's dict(sequence))
F['community.general.dict'] = {
  fn: (_c, v) => {
    const out: Record<string, unknown> = {};
    for (const pair of list(v, 'dict')) {
      const kv = Array.isArray(pair) ? pair : typeof pair === 'string' ? [...pair] : undefined;
      if (!kv || kv.length !== 2) throw new TemplateError(`dictionary update sequence element has length ${kv ? kv.length : 1}; 2 is required`);
      out[str(kv[0])] = kv[1];
    }
    return out;
  },
};
