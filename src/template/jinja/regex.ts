/** Python `re` patterns and replacement strings translated to JS RegExp. */
import { TemplateError } from '../undefined.js';

const cache = new Map<string, RegExp>();

/** A JS RegExp from Python regex text: (?P<name>..), (?P=name), \A, \Z, inline (?i)/(?m)/(?s)/(?x) flags. */
export function pyRegex(pattern: string, flags = ''): RegExp {
  const key = `${flags}\u0000${pattern}`;
  const hit = cache.get(key);
  if (hit) {
    hit.lastIndex = 0;
    return hit;
  }
  let src = pattern;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (inline) {
    src = src.slice(inline[0].length);
    for (const f of inline[1]) if ('ims'.includes(f) && !flags.includes(f)) flags += f;
  }
  src = src
    .replace(/\(\?P</g, '(?<')
    .replace(/\(\?P=(\w+)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$(?![\\s\\S])');
  let re: RegExp;
  try {
    re = new RegExp(src, flags.includes('u') ? flags : flags + 'u');
  } catch {
    try {
      re = new RegExp(src, flags);
    } catch (e) {
      throw new TemplateError(`invalid regular expression '${pattern}': ${(e as Error).message}`);
    }
  }
  if (cache.size > 2000) cache.clear();
  cache.set(key, re);
  return re;
}

/** Expand a Python re.sub replacement (\1, \g<1>, \g<name>, \n) for one match. */
export function expandReplacement(repl: string, m: RegExpExecArray | RegExpMatchArray): string {
  return repl.replace(/\\g<(\w+)>|\\(\d{1,2})|\\([\\nrtabfv])|\\(.)/g, (all, g: string | undefined, d: string | undefined, esc: string | undefined, other: string | undefined) => {
    if (g !== undefined) return (/^\d+$/.test(g) ? m[Number(g)] : m.groups?.[g]) ?? '';
    if (d !== undefined) return m[Number(d)] ?? '';
    if (esc !== undefined) return ({ '\\': '\\', n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b', f: '\f', v: '\v' } as Record<string, string>)[esc];
    return '\\' + other;
  });
}

export function pyEscape(s: string): string {
  return s.replace(/[^A-Za-z0-9_]/g, (c) => '\\' + c);
}
