/** Ansible's `version` test: loose (default), strict and semver comparisons. */
import { TemplateError } from '../undefined.js';
import { str } from './py.js';

/** LooseVersion's components (ansible.module_utils.compat.version): runs of digits (ints), of a-z, and what lies between, without '.'. */
export function looseVersion(v: string): Array<number | string> {
  const out: Array<number | string> = [];
  for (const x of v.split(/(\d+|[a-z]+|\.)/)) {
    if (!x || x === '.') continue;
    out.push(/^\d+$/.test(x) ? Number(x) : x);
  }
  return out;
}
const loose = looseVersion;

/** Python list order of two LooseVersion component lists (int vs str is a TypeError, as in Python). */
export function compareLooseVersions(a: Array<number | string>, b: Array<number | string>): number {
  return compareLists(a, b);
}

function compareLists(a: Array<number | string>, b: Array<number | string>): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (typeof x !== typeof y) throw new TemplateError(`Version comparison failed: '<' not supported between instances of '${typeof x === 'number' ? 'int' : 'str'}' and '${typeof y === 'number' ? 'int' : 'str'}'`);
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

function strictParse(v: string): Array<number | string> {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:([ab])(\d+))?$/.exec(v);
  if (!m) throw new TemplateError(`Version comparison failed: invalid version number '${v}'`);
  // prerelease sorts before the release: use a high sentinel for "no prerelease"
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0), m[4] ? (m[4] === 'a' ? 0 : 1) : 2, Number(m[5] ?? 0)];
}

function semverParse(v: string): { nums: number[]; pre: Array<number | string> } {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(v);
  if (!m) throw new TemplateError(`Version comparison failed: invalid semantic version '${v}'`);
  return { nums: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] ? m[4].split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : [] };
}

export function versionCompare(a: unknown, b: unknown, op: unknown = 'eq', strict: unknown = false, type?: unknown): boolean {
  const x = str(a);
  const y = str(b);
  const kind = type !== undefined && type !== null ? str(type) : strict ? 'strict' : 'loose';
  let c: number;
  if (kind === 'strict') c = compareLists(strictParse(x), strictParse(y));
  else if (kind === 'semver' || kind === 'semantic') {
    const p = semverParse(x);
    const q = semverParse(y);
    c = compareLists(p.nums, q.nums);
    if (c === 0) {
      if (!p.pre.length || !q.pre.length) c = q.pre.length - p.pre.length;
      else c = compareLists(p.pre, q.pre);
    }
  } else if (kind === 'loose') c = compareLists(loose(x), loose(y));
  else throw new TemplateError(`Invalid version type (${kind}). Must be one of loose, strict, semver, semantic, pep440`);
  switch (str(op)) {
    case '<': case 'lt': return c < 0;
    case '<=': case 'le': return c <= 0;
    case '>': case 'gt': return c > 0;
    case '>=': case 'ge': return c >= 0;
    case '==': case '=': case 'eq': return c === 0;
    case '!=': case '<>': case 'ne': return c !== 0;
    default: throw new TemplateError(`Invalid operator type (${str(op)})`);
  }
}
