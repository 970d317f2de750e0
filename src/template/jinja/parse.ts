/**
 * Jinja2 lexer and parser: template text with `{{ }}`, `{% %}`, `{# #}`, `{% raw %}`,
 * whitespace control (`{%-`, `-%}`, `+%}`), trim_blocks/lstrip_blocks, and expressions with
 * Jinja's grammar and precedence. Every node keeps its offset in the source for error columns.
 */
import { mkFloat } from './py.js';

export class JinjaSyntaxError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// AST

export type Expr =
  | { k: 'lit'; v: unknown; at: number }
  | { k: 'var'; name: string; at: number }
  | { k: 'get'; obj: Expr; key: Expr; attr: boolean; at: number }
  | { k: 'slice'; obj: Expr; start?: Expr; stop?: Expr; step?: Expr; at: number }
  | { k: 'call'; fn: Expr; args: Expr[]; kwargs: Array<[string, Expr]>; at: number }
  | { k: 'list' | 'tuple'; items: Expr[]; at: number }
  | { k: 'dict'; entries: Array<[Expr, Expr]>; at: number }
  | { k: 'bin'; op: string; l: Expr; r: Expr; at: number }
  | { k: 'cmp'; ops: string[]; operands: Expr[]; at: number }
  | { k: 'and' | 'or'; l: Expr; r: Expr; at: number }
  | { k: 'not' | 'neg' | 'pos'; x: Expr; at: number }
  | { k: 'filter'; x: Expr; name: string; args: Expr[]; kwargs: Array<[string, Expr]>; at: number }
  | { k: 'test'; x: Expr; name: string; args: Expr[]; kwargs: Array<[string, Expr]>; negate: boolean; at: number }
  | { k: 'cond'; test: Expr; then: Expr; else?: Expr; at: number }
  /** `*x` in a call's arguments (its items as positional arguments); `**x` is a kwargs entry named '**' */
  | { k: 'splat'; x: Expr; at: number };

export type SetTarget = { name: string; attr?: string };

export type Stmt =
  | { t: 'text'; s: string }
  | { t: 'out'; e: Expr; at: number }
  | { t: 'if'; branches: Array<{ cond: Expr; body: Stmt[] }>; else?: Stmt[] }
  | { t: 'for'; targets: string[]; iter: Expr; cond?: Expr; body: Stmt[]; else?: Stmt[]; recursive: boolean; at: number }
  | { t: 'set'; targets: SetTarget[]; e: Expr; at: number }
  | { t: 'setblock'; target: SetTarget; body: Stmt[]; filters: Array<{ name: string; args: Expr[]; kwargs: Array<[string, Expr]>; at: number }>; at: number }
  | { t: 'macro'; name: string; params: Array<[string, Expr | undefined]>; body: Stmt[]; at: number }
  | { t: 'with'; assigns: Array<[string, Expr]>; body: Stmt[] }
  | { t: 'filterblock'; filters: Array<{ name: string; args: Expr[]; kwargs: Array<[string, Expr]>; at: number }>; body: Stmt[] };

export interface LexOptions {
  trimBlocks?: boolean;
  lstripBlocks?: boolean;
  /** Ansible's escape_backslashes for YAML strings: backslashes in `{{ }}` string literals are literal. */
  rawStrings?: boolean;
}

/** Names the parser must know to report unknown ones at parse time. */
export interface Known {
  filter(name: string): boolean;
  test(name: string): boolean;
  /** More words for an unknown name (a plugin file that failed to load). */
  hint?(kind: 'filter' | 'test'): string;
}

// ---------------------------------------------------------------------------------------------
// Tokens inside tags

type TokType = 'str' | 'int' | 'float' | 'name' | 'op' | 'end';
export interface Token {
  type: TokType;
  value: string;
  num?: number;
  pos: number;
}

const OPS = ['**', '//', '==', '!=', '<=', '>=', '<', '>', '+', '-', '*', '/', '%', '~', '|', '.', ',', ':', ';', '(', ')', '[', ']', '{', '}', '='];

function decodeEscapes(body: string, at: number): string {
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{[^}]*\}|[0-7]{1,3}|[\s\S])/g, (m, e: string) => {
    switch (e[0]) {
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case 'a': return '\x07';
      case 'b': return '\b';
      case 'f': return '\f';
      case 'v': return '\v';
      case '\n': return '';
      case '\\': case "'": case '"': return e;
      case 'x': case 'u': case 'U': return String.fromCodePoint(parseInt(e.slice(1), 16));
      case 'N': throw new JinjaSyntaxError('\\N{...} escapes are not supported', at);
      default:
        if (/^[0-7]/.test(e)) return String.fromCodePoint(parseInt(e, 8));
        return m; // unknown escapes keep the backslash, as in Python
    }
  });
}

/**
 * Tokenize a tag body starting at `i` until its closer (`}}` or `%}`, possibly with `-`/`+`)
 * at bracket depth 0. Returns tokens and the index just after the closer.
 */
function tokenizeTag(src: string, i: number, closer: '}}' | '%}' | null, opts: LexOptions, isVar: boolean): { toks: Token[]; next: number; stripAfter: boolean; plusAfter: boolean } {
  const out: Token[] = [];
  let depth = 0;
  const start = i;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (depth === 0 && closer) {
      if (src.startsWith(closer, i)) {
        out.push({ type: 'end', value: '', pos: i });
        return { toks: out, next: i + 2, stripAfter: false, plusAfter: false };
      }
      if ((c === '-' || c === '+') && src.startsWith(closer, i + 1)) {
        out.push({ type: 'end', value: '', pos: i });
        return { toks: out, next: i + 3, stripAfter: c === '-', plusAfter: c === '+' };
      }
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      const raw = opts.rawStrings && isVar;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' && !raw ? 2 : 1;
      if (j >= src.length) throw new JinjaSyntaxError('unexpected end of string', i);
      const body = src.slice(i + 1, j);
      out.push({ type: 'str', value: opts.rawStrings && isVar ? body : decodeEscapes(body, i), pos: i });
      i = j + 1;
      continue;
    }
    const num = /^(?:(\d[\d_]*)?\.\d[\d_]*(?:[eE][+-]?\d[\d_]*)?|\d[\d_]*[eE][+-]?\d[\d_]*|\d[\d_]*)/.exec(src.slice(i, i + 64));
    if (num && /\d/.test(c)) {
      const text = num[0].replace(/_/g, '');
      // `foo.0.1`: after a '.', an integer only (an attribute index), never a float
      const prev = out[out.length - 1];
      if (prev && prev.type === 'op' && prev.value === '.' && text.includes('.')) {
        const intPart = /^\d+/.exec(src.slice(i))![0];
        out.push({ type: 'int', value: intPart, num: Number(intPart), pos: i });
        i += intPart.length;
        continue;
      }
      const isFloat = /[.eE]/.test(text);
      out.push({ type: isFloat ? 'float' : 'int', value: text, num: Number(text), pos: i });
      i += num[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i, i + 256));
    if (name) {
      out.push({ type: 'name', value: name[0], pos: i });
      i += name[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) {
      const hint = src.startsWith('&&', i) ? " (use 'and')" : src.startsWith('||', i) ? " (use 'or')" : c === '!' ? " (use 'not')" : '';
      throw new JinjaSyntaxError(`unexpected char '${c}'${hint}`, i);
    }
    if (op === '(' || op === '[' || op === '{') depth++;
    if (op === ')' || op === ']' || op === '}') depth = Math.max(0, depth - 1);
    out.push({ type: 'op', value: op, pos: i });
    i += op.length;
  }
  if (!closer) {
    out.push({ type: 'end', value: '', pos: src.length });
    return { toks: out, next: src.length, stripAfter: false, plusAfter: false };
  }
  throw new JinjaSyntaxError(`unexpected end of template, expected '${closer}'`, start - 2);
}

/** Tokens of a bare expression (conditions): the whole source. */
export function tokenizeExpression(src: string, opts: LexOptions = {}): Token[] {
  return tokenizeTag(src, 0, null, { ...opts, rawStrings: false }, false).toks;
}

// ---------------------------------------------------------------------------------------------
// Template scanner

type Part =
  | { type: 'text'; s: string; at: number }
  | { type: 'var'; toks: Token[]; at: number }
  | { type: 'block'; toks: Token[]; at: number };

function scan(src: string, opts: LexOptions): Part[] {
  const parts: Part[] = [];
  let i = 0;
  let stripNext = false;
  let trimNewline = false;
  const pushText = (s: string, at: number) => {
    if (stripNext) s = s.replace(/^\s+/, '');
    else if (trimNewline) s = s.replace(/^\r?\n/, '');
    if (s) parts.push({ type: 'text', s, at });
  };
  // Strip whitespace before a tag: all of it for `{%-`, spaces/tabs on the tag's line for lstrip_blocks.
  const stripBefore = (text: string, minus: boolean, lstrip: boolean): string => {
    if (minus) return text.replace(/\s+$/, '');
    if (lstrip) {
      // only when the tag is the first non-blank thing on its line
      const lineStart = text.lastIndexOf('\n') + 1;
      if (/^[ \t]*$/.test(text.slice(lineStart)) && (lineStart > 0 || isLineStart(parts))) return text.slice(0, lineStart);
    }
    return text;
  };
  while (i < src.length) {
    const j = findOpen(src, i);
    if (j < 0) {
      pushText(src.slice(i), i);
      break;
    }
    const kind = src[j + 1];
    let k = j + 2;
    const minus = src[k] === '-';
    const plus = src[k] === '+';
    if (minus || plus) k++;
    const isBlockish = kind === '%' || kind === '#';
    let before = src.slice(i, j);
    const savedStrip = stripNext;
    const savedTrim = trimNewline;
    if (savedStrip) before = before.replace(/^\s+/, '');
    else if (savedTrim) before = before.replace(/^\r?\n/, '');
    stripNext = false;
    trimNewline = false;
    before = stripBefore(before, minus, isBlockish && !!opts.lstripBlocks && !plus);
    if (before) parts.push({ type: 'text', s: before, at: i });
    if (kind === '#') {
      const e = src.indexOf('#}', k);
      if (e < 0) throw new JinjaSyntaxError('missing end of comment tag', j);
      const minusAfter = src[e - 1] === '-' && e - 1 >= k;
      i = e + 2;
      if (minusAfter) stripNext = true;
      else if (opts.trimBlocks && src[e - 1] !== '+') trimNewline = true;
      continue;
    }
    if (kind === '%') {
      const raw = /^\s*raw\s*([-+]?)%\}/.exec(src.slice(k, k + 64));
      if (raw) {
        const bodyStart = k + raw[0].length;
        const endRe = /\{%([-+]?)\s*endraw\s*([-+]?)%\}/g;
        endRe.lastIndex = bodyStart;
        const m = endRe.exec(src);
        if (!m) throw new JinjaSyntaxError("missing '{% endraw %}'", j);
        let body = src.slice(bodyStart, m.index);
        if (raw[1] === '-') body = body.replace(/^\s+/, '');
        if (m[1] === '-') body = body.replace(/\s+$/, '');
        else if (opts.lstripBlocks && m[1] !== '+') body = body.replace(/(^|\n)[ \t]*$/, '$1');
        if (body) parts.push({ type: 'text', s: body, at: bodyStart });
        i = m.index + m[0].length;
        if (m[2] === '-') stripNext = true;
        else if (opts.trimBlocks && m[2] !== '+') trimNewline = true;
        continue;
      }
    }
    const { toks, next, stripAfter, plusAfter } = tokenizeTag(src, k, kind === '{' ? '}}' : '%}', opts, kind === '{');
    parts.push({ type: kind === '{' ? 'var' : 'block', toks, at: j });
    i = next;
    if (stripAfter) stripNext = true;
    else if (kind === '%' && opts.trimBlocks && !plusAfter) trimNewline = true;
  }
  return parts;
}

function isLineStart(parts: Part[]): boolean {
  const last = parts[parts.length - 1];
  return !last || (last.type === 'text' && last.s.endsWith('\n'));
}

function findOpen(src: string, from: number): number {
  let j = src.indexOf('{', from);
  while (j >= 0) {
    const n = src[j + 1];
    if (n === '{' || n === '%' || n === '#') return j;
    j = src.indexOf('{', j + 1);
  }
  return -1;
}

/** True if `s` contains a Jinja construct (`{{`, `{%` or `{#`), as Ansible's is_template asks. */
export function looksLikeTemplate(s: string): boolean {
  return findOpen(s, 0) >= 0;
}

// ---------------------------------------------------------------------------------------------
// Expression parser (Jinja's precedence)

const RESERVED = new Set(['and', 'or', 'not', 'in', 'is', 'if', 'else']);
const CONSTS: Record<string, unknown> = { true: true, True: true, false: false, False: false, none: null, None: null };
const CMP = new Set(['==', '!=', '<', '<=', '>', '>=']);

export class ExprParser {
  i = 0;
  constructor(
    private readonly toks: Token[],
    private readonly known: Known,
  ) {}

  peek(o = 0): Token {
    return this.toks[Math.min(this.i + o, this.toks.length - 1)];
  }
  next(): Token {
    const t = this.toks[this.i];
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }
  isOp(v: string, o = 0): boolean {
    const t = this.peek(o);
    return t.type === 'op' && t.value === v;
  }
  isName(v: string, o = 0): boolean {
    const t = this.peek(o);
    return t.type === 'name' && t.value === v;
  }
  atEnd(): boolean {
    return this.peek().type === 'end';
  }
  describe(t: Token): string {
    if (t.type === 'end') return 'end of expression';
    if (t.type === 'str') return 'a string';
    return `'${t.value}'`;
  }
  fail(msg: string, t: Token = this.peek()): never {
    throw new JinjaSyntaxError(msg, t.pos);
  }
  expectOp(v: string): Token {
    if (!this.isOp(v)) this.fail(`expected '${v}', got ${this.describe(this.peek())}`);
    return this.next();
  }
  expectName(what = 'a name'): Token {
    const t = this.peek();
    if (t.type !== 'name') this.fail(`expected ${what}, got ${this.describe(t)}`);
    return this.next();
  }
  expectEnd(what: string): void {
    if (!this.atEnd()) this.fail(`expected end of ${what}, got ${this.describe(this.peek())}`);
  }

  /** Top level of `{{ }}` and `set`: a tuple if commas follow. */
  parseTuple(withCond = true, stopNames: string[] = []): Expr {
    const at = this.peek().pos;
    const first = withCond ? this.parseExpression() : this.parseOr();
    if (!this.isOp(',')) return first;
    const items = [first];
    while (this.isOp(',')) {
      this.next();
      if (this.atEnd() || this.isOp(')') || stopNames.some((n) => this.isName(n)) || this.isOp('=')) break;
      items.push(withCond ? this.parseExpression() : this.parseOr());
    }
    return { k: 'tuple', items, at };
  }

  parseExpression(): Expr {
    const at = this.peek().pos;
    const n = this.parseOr();
    if (this.isName('if')) {
      this.next();
      const test = this.parseOr();
      if (this.isName('else')) {
        this.next();
        return { k: 'cond', test, then: n, else: this.parseExpression(), at };
      }
      return { k: 'cond', test, then: n, at };
    }
    return n;
  }

  parseOr(): Expr {
    let l = this.parseAnd();
    while (this.isName('or')) {
      const at = this.next().pos;
      l = { k: 'or', l, r: this.parseAnd(), at };
    }
    return l;
  }

  parseAnd(): Expr {
    let l = this.parseNot();
    while (this.isName('and')) {
      const at = this.next().pos;
      l = { k: 'and', l, r: this.parseNot(), at };
    }
    return l;
  }

  parseNot(): Expr {
    if (this.isName('not')) {
      const at = this.next().pos;
      return { k: 'not', x: this.parseNot(), at };
    }
    return this.parseCompare();
  }

  parseCompare(): Expr {
    const at = this.peek().pos;
    const first = this.parseMath1();
    const operands = [first];
    const ops: string[] = [];
    for (;;) {
      const t = this.peek();
      if (t.type === 'op' && CMP.has(t.value)) {
        this.next();
        ops.push(t.value);
      } else if (this.isName('in')) {
        this.next();
        ops.push('in');
      } else if (this.isName('not') && this.isName('in', 1)) {
        this.next();
        this.next();
        ops.push('not in');
      } else break;
      operands.push(this.parseMath1());
    }
    if (!ops.length) return first;
    return { k: 'cmp', ops, operands, at };
  }

  parseMath1(): Expr {
    let l = this.parseConcat();
    while (this.isOp('+') || this.isOp('-')) {
      const t = this.next();
      l = { k: 'bin', op: t.value, l, r: this.parseConcat(), at: t.pos };
    }
    return l;
  }

  parseConcat(): Expr {
    let l = this.parseMath2();
    while (this.isOp('~')) {
      const t = this.next();
      l = { k: 'bin', op: '~', l, r: this.parseMath2(), at: t.pos };
    }
    return l;
  }

  parseMath2(): Expr {
    let l = this.parsePow();
    while (this.isOp('*') || this.isOp('/') || this.isOp('//') || this.isOp('%')) {
      const t = this.next();
      l = { k: 'bin', op: t.value, l, r: this.parsePow(), at: t.pos };
    }
    return l;
  }

  parsePow(): Expr {
    let l = this.parseUnary();
    while (this.isOp('**')) {
      const t = this.next();
      l = { k: 'bin', op: '**', l, r: this.parseUnary(), at: t.pos };
    }
    return l;
  }

  parseUnary(withFilter = true): Expr {
    const t = this.peek();
    let node: Expr;
    if (this.isOp('-')) {
      this.next();
      node = { k: 'neg', x: this.parseUnary(false), at: t.pos };
    } else if (this.isOp('+')) {
      this.next();
      node = { k: 'pos', x: this.parseUnary(false), at: t.pos };
    } else node = this.parsePrimary();
    node = this.parsePostfix(node);
    if (withFilter) node = this.parseFilterExpr(node);
    return node;
  }

  parsePrimary(): Expr {
    const t = this.next();
    if (t.type === 'str') {
      let s = t.value;
      while (this.peek().type === 'str') s += this.next().value; // 'a' 'b' is 'ab'
      return { k: 'lit', v: s, at: t.pos };
    }
    if (t.type === 'int') return { k: 'lit', v: t.num, at: t.pos };
    if (t.type === 'float') return { k: 'lit', v: floatLit(t.num!), at: t.pos };
    if (t.type === 'name') {
      if (Object.hasOwn(CONSTS, t.value)) return { k: 'lit', v: CONSTS[t.value], at: t.pos };
      if (RESERVED.has(t.value)) this.fail(`unexpected '${t.value}'`, t);
      return { k: 'var', name: t.value, at: t.pos };
    }
    if (t.type === 'op' && t.value === '(') {
      if (this.isOp(')')) {
        this.next();
        return { k: 'tuple', items: [], at: t.pos };
      }
      const n = this.parseTuple(true);
      this.expectOp(')');
      return n;
    }
    if (t.type === 'op' && t.value === '[') {
      const items: Expr[] = [];
      while (!this.isOp(']')) {
        if (items.length) {
          this.expectOp(',');
          if (this.isOp(']')) break;
        }
        items.push(this.parseExpression());
      }
      this.expectOp(']');
      return { k: 'list', items, at: t.pos };
    }
    if (t.type === 'op' && t.value === '{') {
      const entries: Array<[Expr, Expr]> = [];
      while (!this.isOp('}')) {
        if (entries.length) {
          this.expectOp(',');
          if (this.isOp('}')) break;
        }
        const key = this.parseExpression();
        this.expectOp(':');
        entries.push([key, this.parseExpression()]);
      }
      this.expectOp('}');
      return { k: 'dict', entries, at: t.pos };
    }
    this.fail(`unexpected ${this.describe(t)}`, t);
  }

  parsePostfix(x: Expr): Expr {
    for (;;) {
      const t = this.peek();
      if (this.isOp('.')) {
        this.next();
        const a = this.next();
        if (a.type === 'int') x = { k: 'get', obj: x, key: { k: 'lit', v: a.num, at: a.pos }, attr: false, at: a.pos };
        else if (a.type === 'name') x = { k: 'get', obj: x, key: { k: 'lit', v: a.value, at: a.pos }, attr: true, at: a.pos };
        else this.fail(`expected an attribute name after '.', got ${this.describe(a)}`, a);
      } else if (this.isOp('[')) {
        this.next();
        x = this.parseSubscript(x, t.pos);
        this.expectOp(']');
      } else if (this.isOp('(')) {
        const { args, kwargs } = this.parseArgs();
        x = { k: 'call', fn: x, args, kwargs, at: t.pos };
      } else return x;
    }
  }

  private parseSubscript(obj: Expr, at: number): Expr {
    const part = (): Expr | undefined => (this.isOp(':') || this.isOp(']') ? undefined : this.parseExpression());
    const start = part();
    if (!this.isOp(':')) {
      if (!start) this.fail('expected a subscript');
      if (this.isOp(',')) {
        const items = [start];
        while (this.isOp(',')) {
          this.next();
          if (this.isOp(']')) break;
          items.push(this.parseExpression());
        }
        return { k: 'get', obj, key: { k: 'tuple', items, at }, attr: false, at };
      }
      return { k: 'get', obj, key: start, attr: false, at };
    }
    this.next();
    const stop = part();
    let step: Expr | undefined;
    if (this.isOp(':')) {
      this.next();
      step = part();
    }
    return { k: 'slice', obj, start, stop, step, at };
  }

  parseArgs(): { args: Expr[]; kwargs: Array<[string, Expr]> } {
    const args: Expr[] = [];
    const kwargs: Array<[string, Expr]> = [];
    // Jinja's parse_call_args: `*x` once, after the positional arguments; `**x` once, last
    const ensure = (ok: boolean) => {
      if (!ok) this.fail('invalid syntax for function call expression');
    };
    let dynArgs = false;
    let dynKwargs = false;
    this.expectOp('(');
    while (!this.isOp(')')) {
      if (args.length || kwargs.length) {
        this.expectOp(',');
        if (this.isOp(')')) break;
      }
      if (this.isOp('**')) {
        ensure(!dynKwargs);
        this.next();
        kwargs.push(['**', this.parseExpression()]);
        dynKwargs = true;
      } else if (this.isOp('*')) {
        ensure(!dynArgs && !dynKwargs);
        const at = this.next().pos;
        args.push({ k: 'splat', x: this.parseExpression(), at });
        dynArgs = true;
      } else if (this.peek().type === 'name' && this.isOp('=', 1)) {
        ensure(!dynKwargs);
        const name = this.next().value;
        this.next();
        kwargs.push([name, this.parseExpression()]);
      } else {
        if (kwargs.length && !dynArgs && !dynKwargs) this.fail('positional argument follows keyword argument');
        ensure(!dynArgs && !dynKwargs);
        args.push(this.parseExpression());
      }
    }
    this.expectOp(')');
    return { args, kwargs };
  }

  parseFilterExpr(x: Expr): Expr {
    for (;;) {
      if (this.isOp('|')) {
        this.next();
        const f = this.parseFilterCall();
        x = { k: 'filter', x, ...f };
      } else if (this.isName('is')) {
        const at = this.next().pos;
        let negate = false;
        if (this.isName('not')) {
          this.next();
          negate = true;
        }
        const nameTok = this.expectName('a test name');
        let name = nameTok.value;
        while (this.isOp('.') && this.peek(1).type === 'name') {
          this.next();
          name += '.' + this.next().value;
        }
        if (name === 'None') name = 'none';
        if (name === 'True') name = 'true';
        if (name === 'False') name = 'false';
        if (!this.known.test(name)) this.fail(`no test named '${name}'${this.known.hint?.('test') ?? ''}`, nameTok);
        let args: Expr[] = [];
        let kwargs: Array<[string, Expr]> = [];
        if (this.isOp('(')) ({ args, kwargs } = this.parseArgs());
        else if (this.startsTestArg()) args = [this.parsePostfix(this.parsePrimary())];
        x = { k: 'test', x, name, args, kwargs, negate, at };
      } else if (this.isOp('(')) {
        const at = this.peek().pos;
        const { args, kwargs } = this.parseArgs();
        x = { k: 'call', fn: x, args, kwargs, at };
      } else return x;
    }
  }

  /** `x is divisibleby 3`: a single argument without parentheses. */
  private startsTestArg(): boolean {
    const t = this.peek();
    if (t.type === 'str' || t.type === 'int' || t.type === 'float') return true;
    if (t.type === 'name') return !['else', 'or', 'and', 'if', 'is', 'in', 'not'].includes(t.value);
    return t.type === 'op' && (t.value === '[' || t.value === '{');
  }

  parseFilterCall(): { name: string; args: Expr[]; kwargs: Array<[string, Expr]>; at: number } {
    const nameTok = this.expectName('a filter name');
    let name = nameTok.value;
    while (this.isOp('.') && this.peek(1).type === 'name') {
      this.next();
      name += '.' + this.next().value;
    }
    if (!this.known.filter(name)) this.fail(`no filter named '${name}'${this.known.hint?.('filter') ?? ''}`, nameTok);
    const { args, kwargs } = this.isOp('(') ? this.parseArgs() : { args: [], kwargs: [] };
    return { name, args, kwargs, at: nameTok.pos };
  }
}

function floatLit(n: number): unknown {
  return mkFloat(n);
}

// ---------------------------------------------------------------------------------------------
// Statement parser

type Frame = { tag: string; at: number };

export function parseTemplate(src: string, known: Known, opts: LexOptions = {}): Stmt[] {
  const parts = scan(src, opts);
  let idx = 0;
  const stack: Frame[] = [];

  const parseBody = (endTags: string[]): { body: Stmt[]; end: string; p: ExprParser; at: number } => {
    const body: Stmt[] = [];
    while (idx < parts.length) {
      const part = parts[idx++];
      if (part.type === 'text') {
        body.push({ t: 'text', s: part.s });
        continue;
      }
      const p = new ExprParser(part.toks, known);
      if (part.type === 'var') {
        if (p.atEnd()) p.fail('expected an expression, got end of print statement');
        const e = p.parseTuple(true);
        if (!p.atEnd()) p.fail(`expected end of print statement, got ${p.describe(p.peek())}`);
        body.push({ t: 'out', e, at: part.at });
        continue;
      }
      const tagTok = p.peek();
      if (tagTok.type !== 'name') p.fail(`expected a tag name, got ${p.describe(tagTok)}`);
      const tag = tagTok.value;
      if (endTags.includes(tag)) {
        p.next();
        return { body, end: tag, p, at: part.at };
      }
      p.next();
      body.push(parseTag(tag, p, part.at));
    }
    if (endTags.length) {
      const open = stack[stack.length - 1];
      throw new JinjaSyntaxError(`unexpected end of template: '{% ${open?.tag ?? ''} %}' needs '{% ${endTags.filter((t) => t.startsWith('end'))[0]} %}'`, open?.at ?? src.length);
    }
    return { body, end: '', p: new ExprParser([{ type: 'end', value: '', pos: src.length }], known), at: src.length };
  };

  const parseTag = (tag: string, p: ExprParser, at: number): Stmt => {
    switch (tag) {
      case 'if': {
        stack.push({ tag, at });
        const branches: Array<{ cond: Expr; body: Stmt[] }> = [];
        let cond = p.parseTuple(true);
        p.expectEnd("'if' tag");
        let elseBody: Stmt[] | undefined;
        for (;;) {
          const r = parseBody(['elif', 'else', 'endif']);
          branches.push({ cond, body: r.body });
          if (r.end === 'elif') {
            cond = r.p.parseTuple(true);
            r.p.expectEnd("'elif' tag");
            continue;
          }
          if (r.end === 'else') {
            r.p.expectEnd("'else' tag");
            const e = parseBody(['endif']);
            e.p.expectEnd("'endif' tag");
            elseBody = e.body;
          } else r.p.expectEnd("'endif' tag");
          break;
        }
        stack.pop();
        return { t: 'if', branches, else: elseBody };
      }
      case 'for': {
        stack.push({ tag, at });
        const targets: string[] = [];
        const paren = p.isOp('(');
        if (paren) p.next();
        do {
          if (targets.length) p.next();
          targets.push(p.expectName('a loop variable').value);
        } while (p.isOp(','));
        if (paren) p.expectOp(')');
        if (!p.isName('in')) p.fail(`expected 'in', got ${p.describe(p.peek())}`);
        p.next();
        const iter = p.parseTuple(false, ['recursive', 'if']);
        let cond: Expr | undefined;
        if (p.isName('if')) {
          p.next();
          cond = p.parseExpression();
        }
        let recursive = false;
        if (p.isName('recursive')) {
          p.next();
          recursive = true;
        }
        p.expectEnd("'for' tag");
        const r = parseBody(['else', 'endfor']);
        let elseBody: Stmt[] | undefined;
        if (r.end === 'else') {
          r.p.expectEnd("'else' tag");
          const e = parseBody(['endfor']);
          e.p.expectEnd("'endfor' tag");
          elseBody = e.body;
        } else r.p.expectEnd("'endfor' tag");
        stack.pop();
        return { t: 'for', targets, iter, cond, body: r.body, else: elseBody, recursive, at };
      }
      case 'set': {
        const targets: SetTarget[] = [];
        do {
          if (targets.length) p.next();
          const n = p.expectName('a variable name').value;
          if (p.isOp('.')) {
            p.next();
            targets.push({ name: n, attr: p.expectName('an attribute name').value });
          } else targets.push({ name: n });
        } while (p.isOp(','));
        if (p.isOp('=')) {
          p.next();
          const e = p.parseTuple(true);
          p.expectEnd("'set' tag");
          return { t: 'set', targets, e, at };
        }
        if (targets.length !== 1) p.fail("expected '='");
        const filters = [];
        while (p.isOp('|')) {
          p.next();
          filters.push(p.parseFilterCall());
        }
        p.expectEnd("'set' tag");
        stack.push({ tag, at });
        const r = parseBody(['endset']);
        r.p.expectEnd("'endset' tag");
        stack.pop();
        return { t: 'setblock', target: targets[0], body: r.body, filters, at };
      }
      case 'macro': {
        const name = p.expectName('a macro name').value;
        const params: Array<[string, Expr | undefined]> = [];
        p.expectOp('(');
        while (!p.isOp(')')) {
          if (params.length) p.expectOp(',');
          const pn = p.expectName('a parameter name').value;
          let def: Expr | undefined;
          if (p.isOp('=')) {
            p.next();
            def = p.parseExpression();
          }
          params.push([pn, def]);
        }
        p.expectOp(')');
        p.expectEnd("'macro' tag");
        stack.push({ tag, at });
        const r = parseBody(['endmacro']);
        stack.pop();
        return { t: 'macro', name, params, body: r.body, at };
      }
      case 'with': {
        const assigns: Array<[string, Expr]> = [];
        while (!p.atEnd()) {
          if (assigns.length) p.expectOp(',');
          const n = p.expectName('a variable name').value;
          p.expectOp('=');
          assigns.push([n, p.parseExpression()]);
        }
        stack.push({ tag, at });
        const r = parseBody(['endwith']);
        stack.pop();
        return { t: 'with', assigns, body: r.body };
      }
      case 'filter': {
        const filters = [p.parseFilterCall()];
        while (p.isOp('|')) {
          p.next();
          filters.push(p.parseFilterCall());
        }
        p.expectEnd("'filter' tag");
        stack.push({ tag, at });
        const r = parseBody(['endfilter']);
        stack.pop();
        return { t: 'filterblock', filters, body: r.body };
      }
      default: {
        const open = stack[stack.length - 1];
        if (['elif', 'else', 'endif', 'endfor', 'endset', 'endmacro', 'endwith', 'endfilter', 'endraw'].includes(tag)) {
          throw new JinjaSyntaxError(open ? `unexpected '{% ${tag} %}' inside '{% ${open.tag} %}'` : `unexpected '{% ${tag} %}'`, at);
        }
        throw new JinjaSyntaxError(`unknown tag '${tag}'`, at);
      }
    }
  };

  return parseBody([]).body;
}

/** A bare expression (a condition): the whole text, without braces. */
export function parseExpression(src: string, known: Known): Expr {
  const p = new ExprParser(tokenizeExpression(src), known);
  if (p.atEnd()) p.fail('empty expression');
  const e = p.parseTuple(true);
  if (!p.atEnd()) p.fail(`unexpected ${p.describe(p.peek())}`);
  return e;
}

/** `line 2, column 5` or `column 5` of offset `at` in `src`. */
export function position(src: string, at: number): { line: number; col: number; text: string } {
  const before = src.slice(0, Math.max(0, Math.min(at, src.length)));
  const line = before.split('\n').length;
  const col = at - (before.lastIndexOf('\n') + 1) + 1;
  return { line, col, text: src.includes('\n') ? `line ${line}, column ${col}` : `column ${col}` };
}
