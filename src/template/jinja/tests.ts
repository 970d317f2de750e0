/**
 * Jinja's and Ansible's tests (`x is defined`, `r is failed`, `v is version('2.0', '>=')`, ...).
 * Names are also registered with their `ansible.builtin.` FQCN.
 */
import { existsSync, lstatSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { TemplateError, isUndefined } from '../undefined.js';
import { PyCallable, contains, eq, isDict, isFloat, isInt, isNumber, iterate, need, numOf, str, truthy, typeName, cmp } from './py.js';
import { pyRegex } from './regex.js';
import { versionCompare } from './version.js';

export interface TestDef {
  /** Receives Undefined values (defined, undefined, none, ...). */
  lenient?: boolean;
  fn: (v: unknown, args: unknown[], kw: Record<string, unknown>) => boolean;
}

function result(v: unknown, name: string): Record<string, unknown> {
  if (!isDict(v)) throw new TemplateError(`the '${name}' test expects a dictionary, got ${typeName(v)}`);
  return v;
}

function stat(fn: () => boolean): boolean {
  try {
    return fn();
  } catch {
    return false;
  }
}

function regexTest(v: unknown, pattern: unknown, kw: Record<string, unknown>, mode: 'match' | 'search' | 'fullmatch'): boolean {
  const flags = (truthy(kw.ignorecase ?? false) ? 'i' : '') + (truthy(kw.multiline ?? false) ? 'm' : '');
  const s = str(v);
  const p = str(pattern);
  if (mode === 'search') return pyRegex(p, flags).test(s);
  const re = pyRegex(mode === 'match' ? `^(?:${p})` : `^(?:${p})$`, flags.replace('m', ''));
  return re.test(s);
}

const T: Record<string, TestDef> = {
  defined: { lenient: true, fn: (v) => !isUndefined(v) },
  undefined: { lenient: true, fn: (v) => isUndefined(v) },
  none: { lenient: true, fn: (v) => v === null },
  boolean: { lenient: true, fn: (v) => typeof v === 'boolean' },
  false: { lenient: true, fn: (v) => v === false },
  true: { lenient: true, fn: (v) => v === true },
  string: { lenient: true, fn: (v) => typeof v === 'string' },
  number: { lenient: true, fn: (v) => isNumber(v) || typeof v === 'boolean' },
  integer: { lenient: true, fn: (v) => isInt(v) },
  float: { lenient: true, fn: (v) => isFloat(v) },
  mapping: { lenient: true, fn: (v) => isDict(v) },
  sequence: { lenient: true, fn: (v) => typeof v === 'string' || Array.isArray(v) || isDict(v) },
  iterable: { lenient: true, fn: (v) => typeof v === 'string' || Array.isArray(v) || isDict(v) },
  callable: { lenient: true, fn: (v) => v instanceof PyCallable },
  lower: { fn: (v) => typeof v === 'string' && v === v.toLowerCase() && v !== v.toUpperCase() },
  upper: { fn: (v) => typeof v === 'string' && v === v.toUpperCase() && v !== v.toLowerCase() },
  odd: { fn: (v) => numOf(v) % 2 !== 0 },
  even: { fn: (v) => numOf(v) % 2 === 0 },
  divisibleby: { fn: (v, [n]) => numOf(v) % numOf(n) === 0 },
  eq: { fn: (v, [o]) => eq(v, o) },
  ne: { fn: (v, [o]) => !eq(v, o) },
  lt: { fn: (v, [o]) => cmp(v, o, '<') < 0 },
  le: { fn: (v, [o]) => cmp(v, o, '<=') <= 0 },
  gt: { fn: (v, [o]) => cmp(v, o, '>') > 0 },
  ge: { fn: (v, [o]) => cmp(v, o, '>=') >= 0 },
  sameas: { fn: (v, [o]) => v === o },
  in: { fn: (v, [c]) => contains(c, v) },
  contains: { fn: (v, [x]) => contains(v, x) },
  escaped: { fn: () => false },
  truthy: { fn: (v, [conv], kw) => truthy(truthy(conv ?? kw.convert_bool ?? false) ? boolish(v) : v) },
  falsy: { fn: (v, [conv], kw) => !truthy(truthy(conv ?? kw.convert_bool ?? false) ? boolish(v) : v) },
  any: { fn: (v) => iterate(v).some((x) => truthy(x)) },
  all: { fn: (v) => iterate(v).every((x) => truthy(x)) },
  nan: { fn: (v) => Number.isNaN(numOf(v)) },
  subset: { fn: (v, [o]) => iterate(v).every((x) => contains(o, x)) },
  superset: { fn: (v, [o]) => iterate(o).every((x) => contains(v, x)) },
  match: { fn: (v, [p], kw) => regexTest(v, p, kw, 'match') },
  search: { fn: (v, [p], kw) => regexTest(v, p, kw, 'search') },
  regex: {
    fn: (v, [p, ignorecase, multiline, matchType], kw) =>
      regexTest(v, p, { ignorecase: ignorecase ?? kw.ignorecase, multiline: multiline ?? kw.multiline }, (str(matchType ?? kw.match_type ?? 'search') as 'search' | 'match' | 'fullmatch')),
  },
  version: {
    fn: (v, [other, op, strict], kw) => versionCompare(v, other, op ?? kw.operator ?? 'eq', strict ?? kw.strict, kw.version_type),
  },
  failed: { fn: (v) => truthy(result(v, 'failed').failed ?? false) },
  succeeded: { fn: (v) => !truthy(result(v, 'succeeded').failed ?? false) },
  changed: { fn: (v) => truthy(result(v, 'changed').changed ?? false) },
  skipped: { fn: (v) => truthy(result(v, 'skipped').skipped ?? false) },
  finished: { fn: (v) => truthy(result(v, 'finished').finished ?? true) },
  started: { fn: (v) => truthy(result(v, 'started').started ?? true) },
  file: { fn: (v) => stat(() => statSync(str(v)).isFile()) },
  directory: { fn: (v) => stat(() => statSync(str(v)).isDirectory()) },
  link: { fn: (v) => stat(() => lstatSync(str(v)).isSymbolicLink()) },
  exists: { fn: (v) => existsSync(str(v)) },
  link_exists: { fn: (v) => stat(() => !!lstatSync(str(v))) },
  abs: { fn: (v) => isAbsolute(str(v)) },
  same_file: { fn: (v, [o]) => stat(() => statSync(str(v)).ino === statSync(str(o)).ino && statSync(str(v)).dev === statSync(str(o)).dev) },
  vault_encrypted: { fn: (v) => typeof v === 'string' && v.startsWith('$ANSIBLE_VAULT;') },
  uri: { fn: (v) => /^[A-Za-z][A-Za-z0-9+.-]*:/.test(str(v)) },
  url: { fn: (v) => /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]/.test(str(v)) },
  urn: { fn: (v) => /^urn:/i.test(str(v)) },
};

/** Ansible's truthy/falsy (convert_bool): 'yes', 'on', '1', 'true' strings count as true. */
function boolish(v: unknown): unknown {
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (['yes', 'on', '1', 'true', 'y', 't'].includes(s)) return true;
    if (['no', 'off', '0', 'false', 'n', 'f'].includes(s)) return false;
  }
  return v;
}

const ALIASES: Record<string, string> = {
  '==': 'eq', equalto: 'eq', '!=': 'ne', '<': 'lt', lessthan: 'lt', '<=': 'le', '>': 'gt', greaterthan: 'gt', '>=': 'ge',
  success: 'succeeded', successful: 'succeeded', failure: 'failed', change: 'changed', skip: 'skipped',
  version_compare: 'version', is_file: 'file', is_dir: 'directory', is_link: 'link', is_abs: 'abs', is_same_file: 'same_file',
  issubset: 'subset', issuperset: 'superset', isnan: 'nan',
};
for (const [a, b] of Object.entries(ALIASES)) T[a] = T[b];
// Ansible's own tests have a FQCN; Jinja's built-in ones do not.
const ANSIBLE_TESTS = [
  'failed', 'failure', 'succeeded', 'success', 'successful', 'changed', 'change', 'skipped', 'skip', 'finished', 'started', 'match', 'search', 'regex',
  'version', 'version_compare', 'any', 'all', 'truthy', 'falsy', 'vault_encrypted', 'directory', 'is_dir', 'file', 'is_file', 'link', 'is_link', 'exists',
  'link_exists', 'abs', 'is_abs', 'same_file', 'is_same_file', 'subset', 'issubset', 'superset', 'issuperset', 'contains', 'nan', 'isnan', 'uri', 'url', 'urn',
];
for (const n of ANSIBLE_TESTS) T[`ansible.builtin.${n}`] = T[n];

export const TESTS: Record<string, TestDef> = T;

export function hasTest(name: string): boolean {
  return Object.hasOwn(TESTS, name);
}

export function runTest(name: string, v: unknown, args: unknown[], kw: Record<string, unknown>): boolean {
  const def = TESTS[name];
  if (!def) throw new TemplateError(`no test named '${name}'`);
  if (!def.lenient) need(v);
  return def.fn(v, args, kw);
}
