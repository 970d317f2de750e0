/** Ansible host patterns: names, groups, globs, `~regex`, `a:b`/`a,b`, `&`, `!`, `group[i]`, `group[i:j]`, `@file`. */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../errors.js';
import type { Inventory } from './types.js';

export const LOCALHOST_NAMES = ['127.0.0.1', 'localhost', '::1'];

const SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/s;

/** Ansible's split_host_pattern. */
export function splitHostPattern(pattern: string): string[] {
  let parts: string[];
  if (pattern.includes(',')) parts = pattern.split(',');
  else if (looksLikeAddress(pattern.trim())) parts = [pattern];
  else parts = pattern.match(/(?:[^\s:[\]]|\[[^\]]*\])+/g) ?? [];
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** The cases where Ansible's parse_address keeps colons: IPv6 addresses and `host:port`. */
function looksLikeAddress(p: string): boolean {
  if (/^\[[0-9a-fA-F:.]+\](?::\d+)?$/.test(p)) return true;
  if (/^[0-9a-fA-F:.]+$/.test(p) && (p.match(/:/g) ?? []).length >= 2) return true;
  const withoutRanges = p.replace(/\[[^\]]*\]/g, '');
  return /^[A-Za-z0-9._-]+:\d+$/.test(withoutRanges);
}

/** Ansible's order_patterns: plain ones first, then `&`, then `!`; only modifiers means `all` first. */
export function orderPatterns(patterns: string[]): string[] {
  const regular = patterns.filter((p) => p && p[0] !== '!' && p[0] !== '&');
  const inter = patterns.filter((p) => p && p[0] === '&');
  const excl = patterns.filter((p) => p && p[0] === '!');
  return [...(regular.length ? regular : ['all']), ...inter, ...excl];
}

/** Python fnmatch.translate, as a JS RegExp anchored at both ends. */
export function fnmatchToRegExp(pat: string): RegExp {
  let res = '';
  let i = 0;
  const n = pat.length;
  while (i < n) {
    const c = pat[i++];
    if (c === '*') {
      if (!res.endsWith('.*')) res += '.*';
    } else if (c === '?') res += '.';
    else if (c === '[') {
      let j = i;
      if (j < n && pat[j] === '!') j++;
      if (j < n && pat[j] === ']') j++;
      while (j < n && pat[j] !== ']') j++;
      if (j >= n) res += '\\[';
      else {
        let stuff = pat.slice(i, j).replace(/\\/g, '\\\\');
        i = j + 1;
        if (stuff[0] === '!') stuff = '^' + stuff.slice(1);
        else if (stuff[0] === '^' || stuff[0] === '[') stuff = '\\' + stuff;
        res += `[${stuff}]`;
      }
    } else res += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^(?:${res})$`, 's');
}

/** A Python `re.match` regex as a JS RegExp (anchored at the start only). */
function pythonRegExp(src: string): RegExp {
  const js = src.replace(/\(\?P</g, '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>').replace(/\\Z/g, '$');
  return new RegExp(`^(?:${js})`);
}

function matchList(items: Iterable<string>, pattern: string): string[] {
  let re: RegExp;
  try {
    re = pattern[0] === '~' ? pythonRegExp(pattern.slice(1)) : fnmatchToRegExp(pattern);
  } catch {
    throw new UserError(`Invalid host list pattern: ${pattern}`);
  }
  return [...items].filter((x) => re.test(x));
}

function splitSubscript(pattern: string): { expr: string; sub?: [number, number | undefined] } {
  if (pattern[0] === '~') return { expr: pattern };
  const m = SUBSCRIPT.exec(pattern);
  if (!m) return { expr: pattern };
  const [, expr, idx, start, , end] = m;
  if (idx !== undefined) return { expr, sub: [parseInt(idx, 10), undefined] };
  return { expr, sub: [parseInt(start, 10), end ? parseInt(end, 10) : -1] };
}

function applySubscript(hosts: string[], sub: [number, number | undefined] | undefined, pattern: string): string[] {
  if (!hosts.length || !sub) return hosts;
  const [start] = sub;
  let end = sub[1];
  if (end) {
    if (end === -1) end = hosts.length - 1;
    return hosts.slice(start, end + 1);
  }
  const i = start < 0 ? hosts.length + start : start;
  if (i < 0 || i >= hosts.length) throw new UserError(`No hosts matched the subscripted pattern '${pattern}'`);
  return [hosts[i]];
}

function realHosts(inv: Inventory): string[] {
  return [...inv.hosts.values()].filter((h) => !h.implicit).map((h) => h.name);
}

function enumerateMatches(inv: Inventory, pattern: string): string[] {
  const results: string[] = [];
  const groups = matchList(inv.groups.keys(), pattern);
  for (const g of groups) results.push(...inv.groups.get(g)!.hosts);
  if (!groups.length || pattern[0] === '~' || /[.?*[]/.test(pattern)) results.push(...matchList(realHosts(inv), pattern));
  if (!results.length && LOCALHOST_NAMES.includes(pattern)) {
    // Ansible's get_host: the first localhost-like host of the inventory, else the implicit localhost
    const local = [...inv.hosts.values()].find((h) => LOCALHOST_NAMES.includes(h.name));
    if (local) results.push(local.name);
  }
  return results;
}

function matchOnePattern(inv: Inventory, pattern: string): string[] {
  const p = pattern[0] === '&' || pattern[0] === '!' ? pattern.slice(1) : pattern;
  const { expr, sub } = splitSubscript(p);
  return applySubscript(enumerateMatches(inv, expr), sub, p);
}

function readLimitFile(name: string, baseDir?: string): string[] {
  const file = resolve(baseDir ?? process.cwd(), name);
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new UserError(`Unable to find limit file ${file}`);
  }
  if (!st.isFile()) throw new UserError(`Limit starting with "@" must be a file, not a directory: ${file}`);
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** Hosts matching `pattern`, in inventory order; [] when nothing matches. */
export function selectHosts(inv: Inventory, pattern: string, opts: { baseDir?: string } = {}): string[] {
  const patterns: string[] = [];
  for (const p of splitHostPattern(pattern)) {
    if (p[0] === '@') patterns.push(...readLimitFile(p.slice(1), opts.baseDir));
    else patterns.push(p);
  }
  return evaluatePatterns(inv, patterns);
}

/** Ansible's _evaluate_patterns: already split patterns (no `@file`) in order, deduplicated. */
export function evaluatePatterns(inv: Inventory, patterns: string[]): string[] {
  let hosts: string[] = [];
  for (const p of orderPatterns(patterns)) {
    const plain = inv.hosts.get(p);
    if (plain && !plain.implicit) {
      hosts.push(p);
      continue;
    }
    const that = matchOnePattern(inv, p);
    if (p[0] === '!') {
      const s = new Set(that);
      hosts = hosts.filter((h) => !s.has(h));
    } else if (p[0] === '&') {
      const s = new Set(that);
      hosts = hosts.filter((h) => s.has(h));
    } else {
      const existing = new Set(hosts);
      hosts.push(...that.filter((h) => !existing.has(h)));
    }
  }
  return [...new Set(hosts)];
}
