/**
 * Ansible's `key=value` argument strings (`copy: src=a dest='b c'`), split the way Ansible's
 * split_args/parse_kv do: whitespace separates tokens except inside quotes or `{{ }}` / `{% %}`.
 */

export interface Token {
  text: string;
  start: number;
  end: number;
}

/** Split on whitespace, keeping quoted strings and template blocks whole. */
export function splitArgs(s: string): Token[] {
  const tokens: Token[] = [];
  let start = -1;
  let quote: string | null = null;
  let depth = 0; // inside {{ }}, {% %}, {# #}
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (start < 0) {
      if (/\s/.test(c)) continue;
      start = i;
    }
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
      continue;
    }
    const two = s.slice(i, i + 2);
    if (two === '{{' || two === '{%' || two === '{#') {
      depth++;
      i++;
      continue;
    }
    if (depth > 0 && (two === '}}' || two === '%}' || two === '#}')) {
      depth--;
      i++;
      continue;
    }
    if (depth > 0) continue;
    if (c === '"' || c === "'") {
      quote = c;
      continue;
    }
    if (/\s/.test(c)) {
      tokens.push({ text: s.slice(start, i), start, end: i });
      start = -1;
    }
  }
  if (start >= 0) tokens.push({ text: s.slice(start), start, end: s.length });
  return tokens;
}

/** Strip one pair of matching outer quotes (and, for double quotes, backslash escapes). */
export function unquote(v: string): string {
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) {
    const inner = v.slice(1, -1);
    return v[0] === '"' ? inner.replace(/\\(["\\])/g, '$1') : inner;
  }
  return v;
}

/** `key=value` token → [key, value], or undefined when the token is not one. */
export function splitKv(token: string): [string, string] | undefined {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(token);
  if (!m) return undefined;
  return [m[1]!, unquote(token.slice(m[0].length))];
}

export interface ParsedKv {
  args: Record<string, unknown>;
  /** Tokens that are not key=value, with their offsets in the string. */
  rest: Token[];
  /** Offsets of each key in the string. */
  keyOffsets: Record<string, number>;
}

/** Parse a whole `k=v k2='v 2'` string. */
export function parseKv(s: string): ParsedKv {
  const args: Record<string, unknown> = {};
  const rest: Token[] = [];
  const keyOffsets: Record<string, number> = {};
  for (const t of splitArgs(s)) {
    const kv = splitKv(t.text);
    if (kv) {
      args[kv[0]] = kv[1];
      keyOffsets[kv[0]] = t.start;
    } else rest.push(t);
  }
  return { args, rest, keyOffsets };
}

/**
 * Free-form modules (`shell: echo hi chdir=/tmp`): `key=value` tokens whose key is one of the
 * module's own arguments are taken out; the rest, untouched (spacing and newlines kept), is
 * `_raw_params`.
 */
export function parseFreeForm(s: string, isArg: (key: string) => boolean): ParsedKv {
  const args: Record<string, unknown> = {};
  const keyOffsets: Record<string, number> = {};
  const taken: Token[] = [];
  for (const t of splitArgs(s)) {
    const kv = splitKv(t.text);
    if (kv && kv[0] !== '_raw_params' && isArg(kv[0])) {
      args[kv[0]] = kv[1];
      keyOffsets[kv[0]] = t.start;
      taken.push(t);
    }
  }
  let raw = s;
  if (taken.length) {
    let out = '';
    let at = 0;
    for (const t of taken) {
      out += s.slice(at, t.start).replace(/[ \t]+$/, '');
      at = t.end;
    }
    out += s.slice(at);
    raw = out.trim();
  }
  if (raw !== '') args._raw_params = raw;
  return { args, rest: [], keyOffsets };
}
