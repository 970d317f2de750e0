/**
 * Python-literal evaluation (a subset of `ast.literal_eval`) and POSIX `shlex.split`,
 * as used by Ansible's INI inventory plugin for variable values.
 */

class NotLiteral extends Error {}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\n': '', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
};

class LiteralParser {
  private i = 0;
  /** `json`: also `true`, `false`, `null` (Ansible's Json2Python before literal_eval) */
  constructor(private readonly s: string, private readonly json = false) {}

  parseAll(): unknown {
    const v = this.value();
    this.ws();
    if (this.i < this.s.length) throw new NotLiteral();
    return v;
  }

  private ws(): void {
    for (;;) {
      const c = this.s[this.i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') this.i++;
      else if (c === '#') {
        while (this.i < this.s.length && this.s[this.i] !== '\n') this.i++;
      } else if (c === '\\' && this.s[this.i + 1] === '\n') this.i += 2;
      else return;
    }
  }

  private value(): unknown {
    this.ws();
    const s = this.s;
    const c = s[this.i];
    if (c === undefined) throw new NotLiteral();
    if (c === '[') return this.seq(']');
    if (c === '(') return this.seq(')');
    if (c === '{') return this.braces();
    if (c === '+' || c === '-') {
      this.i++;
      this.ws();
      const n = this.number();
      return c === '-' ? -n : n;
    }
    if (/[0-9.]/.test(c)) return this.number();
    const m = /^([A-Za-z_][A-Za-z0-9_]*)/.exec(s.slice(this.i));
    if (m) {
      const word = m[1];
      const q = s[this.i + word.length];
      if ((q === "'" || q === '"') && /^(r|u|b|br|rb)$/i.test(word)) return this.strings();
      this.i += word.length;
      if (word === 'True') return true;
      if (word === 'False') return false;
      if (word === 'None') return null;
      if (this.json && word === 'true') return true;
      if (this.json && word === 'false') return false;
      if (this.json && word === 'null') return null;
      throw new NotLiteral();
    }
    if (c === "'" || c === '"') return this.strings();
    throw new NotLiteral();
  }

  private seq(close: string): unknown[] {
    this.i++;
    const out: unknown[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.i] === close) {
        this.i++;
        return out;
      }
      out.push(this.value());
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== close) throw new NotLiteral();
    }
  }

  private braces(): unknown {
    this.i++;
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return {};
    }
    const first = this.value();
    this.ws();
    if (this.s[this.i] !== ':') {
      // a set: rendered as a list
      const out: unknown[] = [first];
      for (;;) {
        this.ws();
        if (this.s[this.i] === ',') this.i++;
        this.ws();
        if (this.s[this.i] === '}') {
          this.i++;
          return out;
        }
        out.push(this.value());
        this.ws();
        if (this.s[this.i] !== ',' && this.s[this.i] !== '}') throw new NotLiteral();
      }
    }
    const out: Record<string, unknown> = {};
    let key = first;
    for (;;) {
      this.ws();
      if (this.s[this.i] !== ':') throw new NotLiteral();
      this.i++;
      if (key !== null && typeof key === 'object') throw new NotLiteral(); // unhashable
      out[pyStr(key)] = this.value();
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== '}') throw new NotLiteral();
      this.ws();
      if (this.s[this.i] === '}') {
        this.i++;
        return out;
      }
      key = this.value();
    }
  }

  private number(): number {
    const rest = this.s.slice(this.i);
    let m = /^0[xX](?:_?[0-9a-fA-F])+/.exec(rest);
    let v: number;
    if (m) v = parseInt(m[0].slice(2).replace(/_/g, ''), 16);
    else if ((m = /^0[oO](?:_?[0-7])+/.exec(rest))) v = parseInt(m[0].slice(2).replace(/_/g, ''), 8);
    else if ((m = /^0[bB](?:_?[01])+/.exec(rest))) v = parseInt(m[0].slice(2).replace(/_/g, ''), 2);
    else if ((m = /^(?:(?:[0-9](?:_?[0-9])*)?\.[0-9](?:_?[0-9])*|[0-9](?:_?[0-9])*\.?)(?:[eE][+-]?[0-9](?:_?[0-9])*)?/.exec(rest)) && m[0] !== '') {
      const txt = m[0].replace(/_/g, '');
      if (/^0[0-9]+$/.test(txt) && !/^0+$/.test(txt)) throw new NotLiteral(); // leading zeros not allowed
      v = Number(txt);
    } else throw new NotLiteral();
    this.i += m[0].length;
    if (/^[jJA-Za-z_0-9]/.test(this.s[this.i] ?? '')) throw new NotLiteral(); // complex or junk
    return v;
  }

  private strings(): string {
    let out = '';
    let any = false;
    for (;;) {
      this.ws();
      const m = /^([rRuUbB]{0,2})(['"])/.exec(this.s.slice(this.i));
      if (!m || (m[1] && !/^(r|u|b|br|rb)$/i.test(m[1]))) {
        if (!any) throw new NotLiteral();
        return out;
      }
      any = true;
      this.i += m[1].length;
      out += this.oneString(/r/i.test(m[1]));
    }
  }

  private oneString(raw: boolean): string {
    const s = this.s;
    const q = s[this.i];
    const triple = s.startsWith(q.repeat(3), this.i);
    const delim = triple ? q.repeat(3) : q;
    this.i += delim.length;
    let out = '';
    for (;;) {
      if (this.i >= s.length) throw new NotLiteral();
      if (s.startsWith(delim, this.i)) {
        this.i += delim.length;
        return out;
      }
      const c = s[this.i];
      if (!triple && c === '\n') throw new NotLiteral();
      if (c === '\\') {
        const n = s[this.i + 1];
        if (n === undefined) throw new NotLiteral();
        if (raw) {
          out += c + n;
          this.i += 2;
          continue;
        }
        if (n in SIMPLE_ESCAPES) {
          out += SIMPLE_ESCAPES[n];
          this.i += 2;
          continue;
        }
        const hex = n === 'x' ? 2 : n === 'u' ? 4 : n === 'U' ? 8 : 0;
        if (hex) {
          const h = s.slice(this.i + 2, this.i + 2 + hex);
          if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(h)) throw new NotLiteral();
          out += String.fromCodePoint(parseInt(h, 16));
          this.i += 2 + hex;
          continue;
        }
        const oct = /^[0-7]{1,3}/.exec(s.slice(this.i + 1));
        if (oct) {
          out += String.fromCodePoint(parseInt(oct[0], 8));
          this.i += 1 + oct[0].length;
          continue;
        }
        out += c + n;
        this.i += 2;
        continue;
      }
      out += c;
      this.i++;
    }
  }
}

/** Python's str() of a literal dict key. */
function pyStr(v: unknown): string {
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v === null) return 'None';
  return String(v);
}

/**
 * Ansible's INI `_parse_value`: `ast.literal_eval(v)`, falling back to the string itself.
 * Sets and tuples become arrays; complex numbers stay strings.
 */
export function parsePythonValue(v: string): unknown {
  try {
    return new LiteralParser(v.replace(/^[ \t]+/, '')).parseAll();
  } catch (e) {
    if (e instanceof NotLiteral) return v;
    throw e;
  }
}

/**
 * Ansible's ansible_eval_concat on a template's text output: when it looks like a dict, a list or
 * a boolean (`{`, `[`, `True`, `False`), `ast.literal_eval` (JSON's true/false/null allowed); the
 * text itself when that fails.
 */
export function literalEvalOutput(text: string): unknown {
  if (!(text.startsWith('{') || text.startsWith('[') || text === 'True' || text === 'False')) return text;
  try {
    return new LiteralParser(text, true).parseAll();
  } catch (e) {
    if (e instanceof NotLiteral) return text;
    throw e;
  }
}

export interface ShlexToken {
  value: string;
  /** 0-based offset of the token's first character in the input. */
  offset: number;
}

export class ShlexError extends Error {
  constructor(message: string, public readonly offset: number) {
    super(message);
  }
}

/** Python `shlex.split(s, comments=true, posix=true)`, keeping each token's start offset. */
export function shlexSplit(s: string): ShlexToken[] {
  const tokens: ShlexToken[] = [];
  const ws = ' \t\r\n';
  let state: ' ' | 'a' | '"' | "'" | '\\' = ' ';
  let escaped: 'a' | '"' = 'a';
  let token = '';
  let quoted = false;
  let start = 0;
  let quoteStart = 0;
  const emit = () => {
    if (token || quoted) tokens.push({ value: token, offset: start });
    token = '';
    quoted = false;
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (state === ' ') {
      if (ws.includes(c)) continue;
      if (c === '#') {
        const nl = s.indexOf('\n', i);
        if (nl < 0) break;
        i = nl;
        continue;
      }
      start = i;
      if (c === '\\') {
        escaped = 'a';
        state = '\\';
      } else if (c === '"' || c === "'") {
        quoteStart = i;
        state = c;
      } else {
        token = c;
        state = 'a';
      }
    } else if (state === '"' || state === "'") {
      quoted = true;
      if (c === state) state = 'a';
      else if (c === '\\' && state === '"') {
        escaped = '"';
        state = '\\';
      } else token += c;
    } else if (state === '\\') {
      if (escaped === '"' && c !== '"' && c !== '\\') token += '\\';
      token += c;
      state = escaped;
    } else {
      // state 'a'
      if (ws.includes(c)) {
        state = ' ';
        emit();
      } else if (c === '#') {
        state = ' ';
        emit();
        const nl = s.indexOf('\n', i);
        if (nl < 0) break;
        i = nl;
      } else if (c === '"' || c === "'") {
        quoteStart = i;
        state = c;
      } else if (c === '\\') {
        escaped = 'a';
        state = '\\';
      } else token += c;
    }
  }
  if (state === '"' || state === "'") throw new ShlexError('No closing quotation', quoteStart);
  if (state === '\\') throw new ShlexError('No escaped character', s.length - 1);
  if (state === 'a') emit();
  return tokens;
}
