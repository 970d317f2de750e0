/** Host range expansion (`web[01:20].example.com`, `db-[a:c]`, `[1:10:2]`) and `host:port` splitting, as Ansible does. */
import { limit, LIMIT_ENV } from '../limits.js';

export class RangeError_ extends Error {}

const ASCII_LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * Ansible's `expand_hostname_range`: expands every `[beg:end(:step)]` in `line`. Unlike Ansible,
 * an empty range (`web[05:01]`) is an error, and so is one over the host range limit.
 */
export function expandHostnameRange(line: string): string[] {
  const count = countHostRange(line);
  if (count === 0) throw new RangeError_(`host range '${line}' is empty (its begin is after its end)`);
  const max = limit('hostRange');
  if (count > max) {
    throw new RangeError_(`host range '${line}' expands to ${count} hosts, more than the limit of ${max} (set by ${LIMIT_ENV.hostRange})`);
  }
  return expand(line);
}

/** How many names `line` expands to (the product of its ranges' lengths), without expanding it. */
export function countHostRange(line: string): number {
  let total = 1;
  let rest = line;
  while (rest.includes('[')) {
    const g = parseGroup(rest);
    let n: number;
    if (g.letters) n = g.step > 0 && g.ib <= g.ie ? Math.floor((g.ie - g.ib) / g.step) + 1 : 0;
    else if (g.step > 0) n = g.b < g.e ? Math.ceil((g.e - g.b) / g.step) : 0;
    else n = g.b > g.e ? Math.ceil((g.b - g.e) / -g.step) : 0;
    total *= n;
    rest = g.tail;
  }
  return total;
}

interface Group {
  head: string;
  tail: string;
  fill: (x: string | number) => string;
  step: number;
  letters: boolean;
  ib: number;
  ie: number;
  b: number;
  e: number;
}

function parseGroup(line: string): Group {
  const open = line.indexOf('[');
  const close = line.indexOf(']');
  if (close < 0 || close < open) throw new RangeError_(`host range must be begin:end or begin:end:step`);
  const head = line.slice(0, open);
  const nrange = line.slice(open + 1, close);
  const tail = line.slice(close + 1);
  const bounds = nrange.split(':');
  if (bounds.length !== 2 && bounds.length !== 3) throw new RangeError_('host range must be begin:end or begin:end:step');
  const beg = bounds[0] || '0';
  const end = bounds[1];
  const stepText = bounds.length === 3 ? bounds[2] : '1';
  if (!end) throw new RangeError_('host range must specify end value');
  let fill = (x: string | number): string => String(x);
  if (beg[0] === '0' && beg.length > 1) {
    const rlen = beg.length;
    if (rlen !== end.length) throw new RangeError_('host range must specify equal-length begin and end formats');
    fill = (x) => String(x).padStart(rlen, '0');
  }
  const step = pyInt(stepText);
  if (step === 0) throw new RangeError_('host range step must not be zero');
  const ib = beg.length === 1 ? ASCII_LETTERS.indexOf(beg) : -1;
  const ie = end.length === 1 ? ASCII_LETTERS.indexOf(end) : -1;
  const letters = ib >= 0 && ie >= 0;
  if (letters && ib > ie) throw new RangeError_('host range must have begin <= end');
  const b = letters ? 0 : pyInt(beg);
  const e = letters ? 0 : pyInt(end) + 1;
  return { head, tail, fill, step, letters, ib, ie, b, e };
}

function expand(line: string): string[] {
  if (!line.includes('[')) return [line];
  const { head, tail, fill, step, letters, ib, ie, b, e } = parseGroup(line);
  const seq: (string | number)[] = [];
  if (letters) {
    for (let i = ib; step > 0 ? i <= ie : false; i += step) seq.push(ASCII_LETTERS[i]!);
  } else if (step > 0) for (let i = b; i < e; i += step) seq.push(i);
  else for (let i = b; i > e; i += step) seq.push(i);
  const out: string[] = [];
  for (const r of seq) {
    const name = head + fill(r) + tail;
    if (name.includes('[')) out.push(...expand(name));
    else out.push(name);
  }
  return out;
}

function pyInt(s: string): number {
  const t = s.trim();
  if (!/^[+-]?[0-9](?:_?[0-9])*$/.test(t)) throw new RangeError_(`invalid literal for int() with base 10: '${s}'`);
  return parseInt(t.replace(/_/g, ''), 10);
}

/**
 * Splits an optional `:port` off a host pattern (Ansible's `parse_address(allow_ranges=True)`, simplified):
 * `h:22`, `web[01:03]:2222`, `[::1]:22`; bare IPv6 addresses keep their colons.
 */
export function splitPort(pattern: string): { host: string; port?: number } {
  let m = /^\[([^\]]*:[^\]]*)\](?::(\d+))?$/.exec(pattern);
  if (m && !/^[0-9a-zA-Z]*:[0-9a-zA-Z]*$/.test(m[1])) {
    // bracketed IPv6 (a bracketed single range like [a:c] is not an address)
    return m[2] !== undefined ? { host: m[1], port: Number(m[2]) } : { host: pattern };
  }
  const withoutRanges = pattern.replace(/\[[^\]]*\]/g, '');
  m = /^(.+):(\d+)$/.exec(pattern);
  if (m && (withoutRanges.match(/:/g) ?? []).length === 1) return { host: m[1], port: Number(m[2]) };
  return { host: pattern };
}

/** `_expand_hostpattern`: split the port, then expand ranges. */
export function expandHostPattern(pattern: string): { hostnames: string[]; port?: number } {
  const { host, port } = splitPort(pattern);
  const hostnames = host.includes('[') ? expandHostnameRange(host) : [host];
  return port === undefined ? { hostnames } : { hostnames, port };
}
