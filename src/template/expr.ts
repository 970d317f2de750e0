/**
 * Ansible/Jinja-style condition expressions (`when`, `until`, `changed_when`, `failed_when`,
 * `assert that`), evaluated by jexl — never eval/Function.
 *
 * An expression is tokenized and parsed here with Jinja's precedence (jexl's own `&&`/`||`
 * share one level and its `!` binds tighter than `==`, which would mis-read `not a == b` and
 * `a or b and c`), then rewritten into a fully parenthesized jexl program in which every
 * variable, attribute and index lookup, test and operator is a call into the functions below.
 * Literals travel in a constants table, so jexl never sees user text and never reads JS
 * properties of user data itself: lookups are own-property only, prototypes are unreachable.
 */
import jexlPkg from 'jexl';
import * as H from './helpers.js';
import { TemplateError, UndefinedVariableError, isUndefined, makeUndefined, undefinedName, type TemplateWhere } from './undefined.js';

export type { TemplateWhere } from './undefined.js';

// ---------------------------------------------------------------------------------------------
// Tokenizer

type TokType = 'str' | 'num' | 'name' | 'op' | 'eof';
interface Token {
  type: TokType;
  value: string;
  num?: number;
  pos: number;
}

const OPS = ['**', '//', '==', '!=', '<=', '>=', '<', '>', '+', '-', '*', '/', '%', '~', '|', '.', ',', ':', '(', ')', '[', ']', '{', '}', '='];

class ExprSyntaxError extends Error {}

function unescape(body: string): string {
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[\s\S])/g, (_m, e: string) => {
    switch (e[0]) {
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case '0': return '\0';
      case 'x': case 'u': return e.length > 1 ? String.fromCharCode(parseInt(e.slice(1), 16)) : e;
      default: return e; // \\ \' \" and unknown escapes keep the character
    }
  });
}

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length) throw new ExprSyntaxError(`unterminated string starting at column ${i + 1}`);
      out.push({ type: 'str', value: unescape(src.slice(i + 1, j)), pos: i });
      i = j + 1;
      continue;
    }
    const num = /^(\d+\.\d+|\d+)([eE][+-]?\d+)?/.exec(src.slice(i));
    if (num) {
      if (/[A-Za-z_]/.test(src[i + num[0].length] ?? '')) throw new ExprSyntaxError(`invalid number at column ${i + 1}`);
      out.push({ type: 'num', value: num[0], num: Number(num[0]), pos: i });
      i += num[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (name) {
      out.push({ type: 'name', value: name[0], pos: i });
      i += name[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) {
      const hint = src.startsWith('&&', i) ? " (use 'and')" : src.startsWith('||', i) ? " (use 'or')" : c === '!' ? " (use 'not')" : '';
      throw new ExprSyntaxError(`unexpected character '${c}' at column ${i + 1}${hint}`);
    }
    out.push({ type: 'op', value: op, pos: i });
    i += op.length;
  }
  out.push({ type: 'eof', value: '', pos: src.length });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parser (Jinja precedence, lowest first: if/else, or, and, not, comparisons/in, ~, + -, * / // %,
// unary -, **, filters and tests, postfix . [] ())

export type Node =
  | { k: 'lit'; v: unknown }
  | { k: 'var'; name: string }
  | { k: 'get'; obj: Node; key: Node; attr: boolean }
  | { k: 'call'; obj: Node; method: string; args: Node[] }
  | { k: 'list'; items: Node[] }
  | { k: 'dict'; entries: Array<[Node, Node]> }
  | { k: 'bin'; op: string; l: Node; r: Node }
  | { k: 'and' | 'or'; l: Node; r: Node }
  | { k: 'not' | 'neg'; x: Node }
  | { k: 'filter'; x: Node; name: string; args: Node[]; kwargs: Array<[string, Node]> }
  | { k: 'test'; x: Node; name: string; args: Node[]; kwargs: Array<[string, Node]> }
  | { k: 'cond'; test: Node; then: Node; else: Node };

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'if', 'else']);
const LITERALS: Record<string, unknown> = { true: true, True: true, false: false, False: false, none: null, None: null };
const COMPARE = new Set(['==', '!=', '<', '<=', '>', '>=']);

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(o = 0): Token {
    return this.toks[Math.min(this.i + o, this.toks.length - 1)];
  }
  private next(): Token {
    return this.toks[this.i++];
  }
  private isOp(v: string, o = 0): boolean {
    const t = this.peek(o);
    return t.type === 'op' && t.value === v;
  }
  private isWord(v: string, o = 0): boolean {
    const t = this.peek(o);
    return t.type === 'name' && t.value === v;
  }
  private describe(t: Token): string {
    return t.type === 'eof' ? 'end of expression' : t.type === 'str' ? `string at column ${t.pos + 1}` : `'${t.value}' at column ${t.pos + 1}`;
  }
  private expectOp(v: string): void {
    if (!this.isOp(v)) throw new ExprSyntaxError(`expected '${v}' but found ${this.describe(this.peek())}`);
    this.i++;
  }
  private expectName(): string {
    const t = this.next();
    if (t.type !== 'name') throw new ExprSyntaxError(`expected a name but found ${this.describe(t)}`);
    return t.value;
  }

  parseAll(): Node {
    const n = this.parseExpr();
    if (this.peek().type !== 'eof') throw new ExprSyntaxError(`unexpected ${this.describe(this.peek())}`);
    return n;
  }

  parseExpr(): Node {
    const n = this.parseOr();
    if (this.isWord('if')) {
      this.i++;
      const test = this.parseOr();
      if (!this.isWord('else')) throw new ExprSyntaxError(`expected 'else' but found ${this.describe(this.peek())}`);
      this.i++;
      return { k: 'cond', test, then: n, else: this.parseExpr() };
    }
    return n;
  }

  private parseOr(): Node {
    let l = this.parseAnd();
    while (this.isWord('or')) {
      this.i++;
      l = { k: 'or', l, r: this.parseAnd() };
    }
    return l;
  }

  private parseAnd(): Node {
    let l = this.parseNot();
    while (this.isWord('and')) {
      this.i++;
      l = { k: 'and', l, r: this.parseNot() };
    }
    return l;
  }

  private parseNot(): Node {
    if (this.isWord('not')) {
      this.i++;
      return { k: 'not', x: this.parseNot() };
    }
    return this.parseCompare();
  }

  private parseCompare(): Node {
    const first = this.parseConcat();
    const operands = [first];
    const ops: string[] = [];
    for (;;) {
      const t = this.peek();
      if (t.type === 'op' && COMPARE.has(t.value)) {
        this.i++;
        ops.push(t.value);
      } else if (this.isWord('in')) {
        this.i++;
        ops.push('in');
      } else if (this.isWord('not') && this.isWord('in', 1)) {
        this.i += 2;
        ops.push('not in');
      } else break;
      operands.push(this.parseConcat());
    }
    if (ops.length === 0) return first;
    // Python chaining: a < b < c means a < b and b < c.
    let out: Node = { k: 'bin', op: ops[0], l: operands[0], r: operands[1] };
    for (let j = 1; j < ops.length; j++) out = { k: 'and', l: out, r: { k: 'bin', op: ops[j], l: operands[j], r: operands[j + 1] } };
    return out;
  }

  private parseConcat(): Node {
    let l = this.parseAdd();
    while (this.isOp('~')) {
      this.i++;
      l = { k: 'bin', op: '~', l, r: this.parseAdd() };
    }
    return l;
  }

  private parseAdd(): Node {
    let l = this.parseMul();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.next().value;
      l = { k: 'bin', op, l, r: this.parseMul() };
    }
    return l;
  }

  private parseMul(): Node {
    let l = this.parseUnary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('//') || this.isOp('%')) {
      const op = this.next().value;
      l = { k: 'bin', op, l, r: this.parseUnary() };
    }
    return l;
  }

  private parseUnary(): Node {
    if (this.isOp('-')) {
      this.i++;
      return { k: 'neg', x: this.parseUnary() };
    }
    if (this.isOp('+')) {
      this.i++;
      return this.parseUnary();
    }
    return this.parsePow();
  }

  private parsePow(): Node {
    const l = this.parseFilters(this.parsePostfix(this.parsePrimary()));
    if (this.isOp('**')) {
      this.i++;
      return { k: 'bin', op: '**', l, r: this.parseUnary() };
    }
    return l;
  }

  private parseArgs(): { args: Node[]; kwargs: Array<[string, Node]> } {
    const args: Node[] = [];
    const kwargs: Array<[string, Node]> = [];
    this.expectOp('(');
    while (!this.isOp(')')) {
      if (this.peek().type === 'name' && this.isOp('=', 1)) {
        const name = this.next().value;
        this.i++;
        kwargs.push([name, this.parseExpr()]);
      } else {
        if (kwargs.length) throw new ExprSyntaxError(`positional argument after keyword argument at column ${this.peek().pos + 1}`);
        args.push(this.parseExpr());
      }
      if (!this.isOp(',')) break;
      this.i++;
    }
    this.expectOp(')');
    return { args, kwargs };
  }

  private parseFilters(x: Node): Node {
    for (;;) {
      if (this.isOp('|')) {
        this.i++;
        const name = this.expectName();
        if (!Object.hasOwn(FILTERS, name)) throw new ExprSyntaxError(`unknown filter '${name}'`);
        const { args, kwargs } = this.isOp('(') ? this.parseArgs() : { args: [], kwargs: [] };
        x = { k: 'filter', x, name, args, kwargs };
      } else if (this.isWord('is')) {
        this.i++;
        let negate = false;
        if (this.isWord('not')) {
          this.i++;
          negate = true;
        }
        const t = this.next();
        if (t.type !== 'name') throw new ExprSyntaxError(`expected a test name after 'is' but found ${this.describe(t)}`);
        const name = t.value === 'None' ? 'none' : t.value;
        if (!Object.hasOwn(TESTS, name)) throw new ExprSyntaxError(`unknown test '${name}'`);
        const { args, kwargs } = this.isOp('(') ? this.parseArgs() : { args: [], kwargs: [] };
        const test: Node = { k: 'test', x, name, args, kwargs };
        x = negate ? { k: 'not', x: test } : test;
      } else return x;
    }
  }

  private parsePostfix(x: Node): Node {
    for (;;) {
      if (this.isOp('.')) {
        this.i++;
        const t = this.next();
        if (t.type === 'num' && /^\d+$/.test(t.value)) {
          x = { k: 'get', obj: x, key: { k: 'lit', v: t.num }, attr: true };
          continue;
        }
        if (t.type !== 'name') throw new ExprSyntaxError(`expected an attribute name after '.' but found ${this.describe(t)}`);
        if (this.isOp('(')) {
          if (!METHODS.has(t.value)) throw new ExprSyntaxError(`unknown method '${t.value}'`);
          const { args } = this.parseArgs();
          x = { k: 'call', obj: x, method: t.value, args };
        } else x = { k: 'get', obj: x, key: { k: 'lit', v: t.value }, attr: true };
      } else if (this.isOp('[')) {
        this.i++;
        const key = this.parseExpr();
        this.expectOp(']');
        x = { k: 'get', obj: x, key, attr: false };
      } else return x;
    }
  }

  private parsePrimary(): Node {
    const t = this.next();
    if (t.type === 'str') {
      let s = t.value;
      while (this.peek().type === 'str') s += this.next().value; // 'a' 'b' is 'ab', as in Python
      return { k: 'lit', v: s };
    }
    if (t.type === 'num') return { k: 'lit', v: t.num };
    if (t.type === 'name') {
      if (Object.hasOwn(LITERALS, t.value)) return { k: 'lit', v: LITERALS[t.value] };
      if (KEYWORDS.has(t.value)) throw new ExprSyntaxError(`unexpected '${t.value}' at column ${t.pos + 1}`);
      if (this.isOp('(')) throw new ExprSyntaxError(`unknown function '${t.value}' (use a filter: x | ${t.value})`);
      return { k: 'var', name: t.value };
    }
    if (t.type === 'op' && t.value === '(') {
      const n = this.parseExpr();
      if (this.isOp(',')) {
        // tuple: treated as a list
        const items = [n];
        while (this.isOp(',')) {
          this.i++;
          if (this.isOp(')')) break;
          items.push(this.parseExpr());
        }
        this.expectOp(')');
        return { k: 'list', items };
      }
      this.expectOp(')');
      return n;
    }
    if (t.type === 'op' && t.value === '[') {
      const items: Node[] = [];
      while (!this.isOp(']')) {
        items.push(this.parseExpr());
        if (!this.isOp(',')) break;
        this.i++;
      }
      this.expectOp(']');
      return { k: 'list', items };
    }
    if (t.type === 'op' && t.value === '{') {
      const entries: Array<[Node, Node]> = [];
      while (!this.isOp('}')) {
        const key = this.parseExpr();
        this.expectOp(':');
        entries.push([key, this.parseExpr()]);
        if (!this.isOp(',')) break;
        this.i++;
      }
      this.expectOp('}');
      return { k: 'dict', entries };
    }
    throw new ExprSyntaxError(`unexpected ${this.describe(t)}`);
  }
}

export function parse(src: string): Node {
  return new Parser(tokenize(src)).parseAll();
}

// ---------------------------------------------------------------------------------------------
// Runtime functions (called from the generated jexl program)

function check(v: unknown): unknown {
  const n = undefinedName(v);
  if (n !== undefined) throw new UndefinedVariableError(n);
  return v;
}

function opError(op: string, a: unknown, b: unknown): never {
  const hint = (typeof a === 'string') !== (typeof b === 'string') ? " (convert with '| int' or '| string')" : '';
  throw new TemplateError(`cannot apply '${op}' to ${H.typeName(a)} and ${H.typeName(b)}${hint}`);
}

function isDict(v: unknown): v is Record<string, unknown> {
  return H.isPlainObject(v);
}

function contains(container: unknown, item: unknown): boolean {
  if (typeof container === 'string') {
    if (typeof item !== 'string') opError('in', item, container);
    return container.includes(item);
  }
  if (Array.isArray(container)) return container.some((x) => H.deepEqual(x, item));
  if (isDict(container)) return H.safeGet(container, item) !== H.MISSING;
  opError('in', item, container);
}

function num(op: string, a: unknown, b: unknown): [number, number] {
  if (typeof a !== 'number' || typeof b !== 'number') opError(op, a, b);
  return [a, b];
}

function binary(op: string, a: unknown, b: unknown): unknown {
  check(a);
  check(b);
  switch (op) {
    case '==': return H.deepEqual(a, b);
    case '!=': return !H.deepEqual(a, b);
    case '<': case '<=': case '>': case '>=': {
      const ok = (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
      if (!ok) opError(op, a, b);
      const x = a as number | string;
      const y = b as number | string;
      return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
    }
    case 'in': return contains(b, a);
    case 'not in': return !contains(b, a);
    case '~': return H.toText(a) + H.toText(b);
    case '+':
      if (typeof a === 'string' && typeof b === 'string') return a + b;
      if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
      return num(op, a, b).reduce((x, y) => x + y);
    case '-': { const [x, y] = num(op, a, b); return x - y; }
    case '*': { const [x, y] = num(op, a, b); return x * y; }
    case '/': { const [x, y] = num(op, a, b); if (y === 0) throw new TemplateError('division by zero'); return x / y; }
    case '//': { const [x, y] = num(op, a, b); if (y === 0) throw new TemplateError('division by zero'); return Math.floor(x / y); }
    case '%': { const [x, y] = num(op, a, b); if (y === 0) throw new TemplateError('division by zero'); return ((x % y) + y) % y; }
    case '**': { const [x, y] = num(op, a, b); return x ** y; }
    default: throw new Error(`unknown operator ${op}`);
  }
}

function keyText(key: unknown): string {
  return typeof key === 'string' ? `'${key}'` : H.toText(key);
}

/** `obj.key` / `obj[key]`: own data only; missing gives Undefined named by the path. */
function getMember(obj: unknown, key: unknown, base: string, attr: boolean): unknown {
  if (isUndefined(obj)) return obj;
  check(key);
  const name = attr ? `${base}.${H.toText(key)}` : `${base}[${keyText(key)}]`;
  const v = H.safeGet(obj, key);
  return v === H.MISSING ? makeUndefined(name) : v;
}

class KwArgs {
  constructor(readonly map: Record<string, unknown>) {}
}

function splitKw(args: unknown[]): [unknown[], Record<string, unknown>] {
  const last = args[args.length - 1];
  if (last instanceof KwArgs) return [args.slice(0, -1), last.map];
  return [args, {}];
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new TemplateError(`${what} needs a string, got ${H.typeName(v)}`);
  return v;
}

function pyStrip(s: string, chars: unknown, left: boolean, right: boolean): string {
  if (chars === undefined || chars === null) return left && right ? s.trim() : left ? s.trimStart() : s.trimEnd();
  const set = new Set([...H.toText(chars)]);
  let a = 0;
  let b = s.length;
  if (left) while (a < b && set.has(s[a])) a++;
  if (right) while (b > a && set.has(s[b - 1])) b--;
  return s.slice(a, b);
}

/** Safe method calls on strings, dicts and lists (a fixed list; nothing else is callable). */
const METHOD_IMPL: Record<string, (self: unknown, ...a: unknown[]) => unknown> = {
  startswith: (s, p) => (Array.isArray(p) ? p : [p]).some((x) => str(s, 'startswith').startsWith(H.toText(x))),
  endswith: (s, p) => (Array.isArray(p) ? p : [p]).some((x) => str(s, 'endswith').endsWith(H.toText(x))),
  lower: (s) => str(s, 'lower').toLowerCase(),
  upper: (s) => str(s, 'upper').toUpperCase(),
  strip: (s, c) => pyStrip(str(s, 'strip'), c, true, true),
  lstrip: (s, c) => pyStrip(str(s, 'lstrip'), c, true, false),
  rstrip: (s, c) => pyStrip(str(s, 'rstrip'), c, false, true),
  split: (s, sep, max) => {
    const parts = H.fSplit(str(s, 'split'), sep);
    if (typeof max !== 'number' || max < 0 || parts.length <= max + 1) return parts;
    const joiner = sep === undefined || sep === null ? ' ' : H.toText(sep);
    return [...parts.slice(0, max), parts.slice(max).join(joiner)];
  },
  splitlines: (s) => str(s, 'splitlines').split(/\r?\n/).filter((l, i, a) => !(i === a.length - 1 && l === '')),
  replace: (s, a, b) => H.fReplace(str(s, 'replace'), a, b),
  find: (s, sub) => str(s, 'find').indexOf(H.toText(sub)),
  join: (s, list) => H.fJoin(list, str(s, 'join')),
  isdigit: (s) => /^\d+$/.test(str(s, 'isdigit')),
  get: (d, k, fb = null) => {
    if (!isDict(d)) throw new TemplateError(`get needs a dict, got ${H.typeName(d)}`);
    const v = H.safeGet(d, k);
    return v === H.MISSING ? fb : v;
  },
  keys: (d) => (isDict(d) ? Object.keys(d) : opError('keys', d, undefined)),
  values: (d) => (isDict(d) ? Object.keys(d).map((k) => d[k]) : opError('values', d, undefined)),
  items: (d) => (isDict(d) ? Object.keys(d).map((k) => [k, d[k]]) : opError('items', d, undefined)),
  count: (l, x) => (Array.isArray(l) ? l.filter((y) => H.deepEqual(x, y)).length : str(l, 'count').split(H.toText(x)).length - 1),
  index: (l, x) => {
    const i = Array.isArray(l) ? l.findIndex((y) => H.deepEqual(x, y)) : str(l, 'index').indexOf(H.toText(x));
    if (i < 0) throw new TemplateError(`index: ${JSON.stringify(x)} not found`);
    return i;
  },
};
const METHODS = new Set(Object.keys(METHOD_IMPL));

interface FilterDef {
  lenient?: boolean;
  fn: (v: unknown, args: unknown[], kw: Record<string, unknown>) => unknown;
}

const f1 = (fn: (v: unknown, ...a: unknown[]) => unknown): FilterDef => ({ fn: (v, a) => fn(v, ...a) });

function mapFilter(v: unknown, args: unknown[], kw: Record<string, unknown>): unknown[] {
  if (!Array.isArray(v)) throw new TemplateError(`map needs a list, got ${H.typeName(v)}`);
  if (kw.attribute !== undefined) {
    return v.map((x) => {
      let cur: unknown = x;
      for (const part of H.toText(kw.attribute).split('.')) {
        const n = H.safeGet(cur, part);
        cur = n === H.MISSING ? kw.default ?? null : n;
      }
      return cur;
    });
  }
  const name = H.toText(args[0]);
  const f = Object.hasOwn(FILTERS, name) ? FILTERS[name] : undefined;
  if (!f || name === 'map') throw new TemplateError(`map: unknown filter '${name}'`);
  return v.map((x) => f.fn(x, args.slice(1), {}));
}

const FILTERS: Record<string, FilterDef> = {
  default: { lenient: true, fn: (v, [fb = '', onFalsy]) => H.fDefault(v, fb, H.truthy(onFalsy)) },
  length: f1(H.fLength),
  bool: f1(H.fBool),
  int: { fn: (v, [fb]) => H.fInt(v, fb ?? 0) },
  float: { fn: (v, [fb]) => H.fFloat(v, fb ?? 0) },
  string: f1(H.toText),
  lower: f1(H.fLower),
  upper: f1(H.fUpper),
  trim: f1(H.fTrim),
  first: f1(H.fFirst),
  last: f1(H.fLast),
  join: { fn: (v, [sep = '']) => H.fJoin(v, sep) },
  unique: f1(H.fUnique),
  sort: { fn: (v, [rev], kw) => H.fSort(v, rev ?? kw.reverse) },
  union: f1(H.fUnion),
  difference: f1(H.fDifference),
  intersect: f1(H.fIntersect),
  min: { fn: (v) => H.fSort(v)[0] },
  max: { fn: (v) => H.fSort(v).at(-1) },
  sum: { fn: (v) => (Array.isArray(v) ? v.reduce((a, b) => binary('+', a, b), 0) : opError('sum', v, undefined)) },
  abs: { fn: (v) => Math.abs(num('abs', v, 0)[0]) },
  replace: f1(H.fReplace),
  split: f1(H.fSplit),
  regex_replace: { fn: (v, [p, r = ''], kw) => H.fRegexReplace(v, p, r, kw.ignorecase, kw.multiline) },
  regex_search: { fn: (v, [p], kw) => H.fRegexSearch(v, p, kw.ignorecase) },
  to_json: f1((v) => H.fToJson(v)),
  to_nice_json: f1((v) => H.fToJson(v, 4)),
  to_yaml: f1(H.fToYaml),
  to_nice_yaml: f1(H.fToYaml),
  from_json: f1(H.fFromJson),
  from_yaml: f1(H.fFromYaml),
  b64encode: f1(H.fB64encode),
  b64decode: f1(H.fB64decode),
  basename: f1(H.fBasename),
  dirname: f1(H.fDirname),
  quote: f1(H.fQuote),
  list: { fn: (v) => (Array.isArray(v) ? v : typeof v === 'string' ? [...v] : isDict(v) ? Object.keys(v) : opError('list', v, undefined)) },
  dict2items: { fn: (v) => (isDict(v) ? Object.keys(v).map((k) => ({ key: k, value: v[k] })) : opError('dict2items', v, undefined)) },
  map: { fn: mapFilter },
  version_compare: { fn: (v, [other, op = '==']) => H.versionCompare(v, other, op) },
};
FILTERS.d = FILTERS.default;
FILTERS.count = FILTERS.length;

function resultOf(v: unknown, what: string): Record<string, unknown> {
  if (!isDict(v)) throw new TemplateError(`the '${what}' test needs a task result (dict), got ${H.typeName(v)}`);
  return v;
}

interface TestDef {
  lenient?: boolean;
  fn: (v: unknown, args: unknown[], kw: Record<string, unknown>) => boolean;
}

const TESTS: Record<string, TestDef> = {
  defined: { lenient: true, fn: (v) => !isUndefined(v) },
  undefined: { lenient: true, fn: (v) => isUndefined(v) },
  none: { fn: (v) => v === null },
  changed: { fn: (v) => H.truthy(resultOf(v, 'changed').changed) },
  failed: { fn: (v) => H.truthy(resultOf(v, 'failed').failed) },
  succeeded: { fn: (v) => !H.truthy(resultOf(v, 'succeeded').failed) },
  skipped: { fn: (v) => H.truthy(resultOf(v, 'skipped').skipped) },
  match: { fn: (v, [p], kw) => H.pyRegex(p, H.truthy(kw.ignorecase) ? 'i' : '').exec(str(v, 'match'))?.index === 0 },
  search: { fn: (v, [p], kw) => H.pyRegex(p, H.truthy(kw.ignorecase) ? 'i' : '').test(str(v, 'search')) },
  version: { fn: (v, [other, op = '=='], kw) => H.versionCompare(v, other, kw.operator ?? op) },
  string: { fn: (v) => typeof v === 'string' },
  number: { fn: (v) => typeof v === 'number' },
  integer: { fn: (v) => typeof v === 'number' && Number.isInteger(v) },
  boolean: { fn: (v) => typeof v === 'boolean' },
  mapping: { fn: (v) => isDict(v) },
  sequence: { fn: (v) => Array.isArray(v) || typeof v === 'string' },
  iterable: { fn: (v) => Array.isArray(v) || typeof v === 'string' || isDict(v) },
  truthy: { fn: (v) => H.truthy(v) },
  falsy: { fn: (v) => !H.truthy(v) },
  eq: { fn: (v, [o]) => H.deepEqual(v, o) },
  in: { fn: (v, [c]) => contains(c, v) },
  contains: { fn: (v, [x]) => contains(v, x) },
};
TESTS.success = TESTS.succeeded;
TESTS.successful = TESTS.succeeded;
TESTS.failure = TESTS.failed;
TESTS.change = TESTS.changed;
TESTS.skip = TESTS.skipped;
TESTS.version_compare = TESTS.version;
TESTS.equalto = TESTS.eq;
TESTS.sameas = { fn: (v, [o]) => v === o };

// ---------------------------------------------------------------------------------------------
// jexl environment

const jexl = new jexlPkg.Jexl();
for (const op of ['+', '-', '*', '/', '//', '%', '^', '==', '!=', '>', '>=', '<', '<=', 'in', '!']) jexl.removeOp(op);
jexl.addBinaryOp('&&', 10, (l, r) => l.eval().then((a) => (H.truthy(check(a)) ? r.eval() : a)), true);
jexl.addBinaryOp('||', 10, (l, r) => l.eval().then((a) => (H.truthy(check(a)) ? a : r.eval())), true);

jexl.addFunction('_var', (vars, name) => {
  const v = H.safeGet(vars, name);
  return v === H.MISSING ? makeUndefined(name as string) : v;
});
jexl.addFunction('_get', (obj, key, base, attr) => getMember(obj, key, base as string, attr as boolean));
jexl.addFunction('_call', (obj, method, ...args) => {
  check(obj);
  args.forEach(check);
  return METHOD_IMPL[method as string](obj, ...args);
});
jexl.addFunction('_bin', (op, a, b) => binary(op as string, a, b));
jexl.addFunction('_not', (v) => !H.truthy(check(v)));
jexl.addFunction('_neg', (v) => -num('-', check(v), 0)[0]);
jexl.addFunction('_truthy', (v) => H.truthy(check(v)));
jexl.addFunction('_list', (...items) => items.map(check));
jexl.addFunction('_dict', (...kv) => {
  const out: Record<string, unknown> = {};
  for (let j = 0; j < kv.length; j += 2) out[H.toText(check(kv[j]))] = check(kv[j + 1]);
  return out;
});
jexl.addFunction('_kw', (...kv) => {
  const out: Record<string, unknown> = {};
  for (let j = 0; j < kv.length; j += 2) out[kv[j] as string] = check(kv[j + 1]);
  return new KwArgs(out);
});
jexl.addFunction('_test', (name, v, ...rest) => {
  const def = TESTS[name as string];
  if (!def.lenient) check(v);
  const [args, kw] = splitKw(rest);
  args.forEach(check);
  return def.fn(v, args, kw);
});
for (const [name, def] of Object.entries(FILTERS)) {
  jexl.addTransform(name, (v, ...rest) => {
    if (!def.lenient) check(v);
    const [args, kw] = splitKw(rest);
    args.forEach(check);
    const out = def.fn(v, args, kw);
    return out === undefined ? makeUndefined(`${name}(...)`) : out;
  });
}

// ---------------------------------------------------------------------------------------------
// Code generation

interface Program {
  code: string;
  consts: unknown[];
}

/** Display name of a lookup chain (`a.b[0]`), or the source-like text of other expressions. */
function nameOf(n: Node): string {
  switch (n.k) {
    case 'var': return n.name;
    case 'get': return n.key.k === 'lit' ? (n.attr ? `${nameOf(n.obj)}.${H.toText(n.key.v)}` : `${nameOf(n.obj)}[${keyText(n.key.v)}]`) : `${nameOf(n.obj)}[...]`;
    case 'filter': return `(${nameOf(n.x)} | ${n.name})`;
    case 'call': return `${nameOf(n.obj)}.${n.method}(...)`;
    case 'lit': return JSON.stringify(n.v);
    default: return '(...)';
  }
}

export function compileToJexl(ast: Node): Program {
  const consts: unknown[] = [];
  const k = (v: unknown) => {
    let i = consts.findIndex((c) => c === v);
    if (i < 0) i = consts.push(v) - 1;
    return `$k[${i}]`;
  };
  const kwargs = (kw: Array<[string, Node]>) => (kw.length ? [`_kw(${kw.map(([n, v]) => `${k(n)}, ${gen(v)}`).join(', ')})`] : []);
  const gen = (n: Node): string => {
    switch (n.k) {
      case 'lit': return k(n.v);
      case 'var': return `_var($v, ${k(n.name)})`;
      case 'get': return `_get(${gen(n.obj)}, ${gen(n.key)}, ${k(nameOf(n.obj))}, ${k(n.attr)})`;
      case 'call': return `_call(${[gen(n.obj), k(n.method), ...n.args.map(gen)].join(', ')})`;
      case 'list': return `_list(${n.items.map(gen).join(', ')})`;
      case 'dict': return `_dict(${n.entries.map(([a, b]) => `${gen(a)}, ${gen(b)}`).join(', ')})`;
      case 'bin': return `_bin(${k(n.op)}, ${gen(n.l)}, ${gen(n.r)})`;
      case 'and': return `(${gen(n.l)} && ${gen(n.r)})`;
      case 'or': return `(${gen(n.l)} || ${gen(n.r)})`;
      case 'not': return `_not(${gen(n.x)})`;
      case 'neg': return `_neg(${gen(n.x)})`;
      case 'cond': return `((_truthy(${gen(n.test)})) ? (${gen(n.then)}) : (${gen(n.else)}))`; // jexl rejects '?' right after a call
      case 'filter': return `(${gen(n.x)})|${n.name}(${[...n.args.map(gen), ...kwargs(n.kwargs)].join(', ')})`;
      case 'test': return `_test(${[k(n.name), gen(n.x), ...n.args.map(gen), ...kwargs(n.kwargs)].join(', ')})`;
    }
  };
  return { code: gen(ast), consts };
}

// ---------------------------------------------------------------------------------------------
// Public API

interface Compiled {
  run: (vars: unknown) => unknown;
}

const cache = new Map<string, Compiled>();
const CACHE_MAX = 5000;

/** The expression text without a `{{ ... }}` wrapper. */
function unwrapBraces(expr: string): string {
  const m = /^\s*\{\{([\s\S]*)\}\}\s*$/.exec(expr);
  return m && !m[1].includes('{{') && !m[1].includes('}}') ? m[1] : expr;
}

function compileExpr(expr: string, where?: TemplateWhere): Compiled {
  const hit = cache.get(expr);
  if (hit) return hit;
  const src = unwrapBraces(expr);
  let program: Program;
  try {
    if (src.trim() === '') throw new ExprSyntaxError('empty expression');
    program = compileToJexl(parse(src));
  } catch (e) {
    if (e instanceof ExprSyntaxError) throw new TemplateError(`invalid expression "${expr.trim()}": ${e.message}`, where);
    throw e;
  }
  const compiled = jexl.compile(program.code);
  const c: Compiled = { run: (vars) => compiled.evalSync({ $v: vars, $k: program.consts }) };
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(expr, c);
  return c;
}

/** Evaluate an Ansible-style expression; an Undefined result is an UndefinedVariableError. */
export function evaluate(expr: string | boolean, vars: Record<string, unknown>, where?: TemplateWhere): unknown {
  if (typeof expr === 'boolean') return expr;
  if (typeof expr === 'number') return expr;
  const c = compileExpr(String(expr), where);
  try {
    return check(c.run(vars));
  } catch (e) {
    if (e instanceof TemplateError) throw e.withWhere(where);
    throw e;
  }
}

/** Evaluate a condition; the result's truthiness follows Python (empty lists/strings are false). */
export function evaluateCondition(expr: string | boolean, vars: Record<string, unknown>, where?: TemplateWhere): boolean {
  return H.truthy(evaluate(expr, vars, where));
}
