/**
 * The fast YAML path (src/yaml/fast-compose.ts: js-yaml's events turned into the `yaml` package's
 * nodes) must give exactly what the `yaml` package's parseDocument gives: the same nodes, values,
 * scalar styles, tags, anchors and start offsets (every file:line:col comes from those). Checked
 * node by node on hand-written edge cases and on every YAML file of the repository.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Alias, isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import { parseYamlDocument, type YamlOptions } from '../../src/yaml/fast-compose.js';
import { pyyamlTags } from '../../src/yaml/pyyaml-tags.js';
import { vaultYamlTag } from '../../src/vault/index.js';
import { guardYaml, YamlGuardError } from '../../src/yaml-guard.js';
import { renderValue } from '../../src/template/render.js';
import { TemplateError } from '../../src/template/undefined.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PLAYBOOK_OPTS: YamlOptions = { version: '1.1', prettyErrors: false, customTags: pyyamlTags([vaultYamlTag]), uniqueKeys: false };
const INVENTORY_OPTS: YamlOptions = {
  version: '1.1',
  uniqueKeys: false,
  merge: true,
  customTags: pyyamlTags([{ tag: '!unsafe', resolve: (s: string) => s }, vaultYamlTag]),
};

function describeValue(v: unknown): string {
  if (typeof v === 'symbol') return `symbol:${v.description}`;
  if (v instanceof Uint8Array) return `bytes:${Buffer.from(v).toString('hex')}`;
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
  return `${typeof v}:${String(v)}`;
}

/** Every difference between two node trees, as readable lines (empty: the same). */
function diff(a: unknown, b: unknown, path = '$', out: string[] = []): string[] {
  if (out.length > 10) return out;
  if ((a === null || a === undefined) && (b === null || b === undefined)) return out;
  const kind = (n: unknown) => (isScalar(n) ? 'scalar' : isMap(n) ? 'map' : isSeq(n) ? 'seq' : isAlias(n) ? 'alias' : isPair(n) ? 'pair' : String(n));
  if (kind(a) !== kind(b) || (a as object).constructor !== (b as object).constructor) {
    out.push(`${path}: ${kind(a)} vs ${kind(b)}`);
    return out;
  }
  if (isPair(a) && isPair(b)) {
    diff(a.key, b.key, `${path}.key`, out);
    diff(a.value, b.value, `${path}.value`, out);
    return out;
  }
  const x = a as { range?: number[]; anchor?: string; tag?: string };
  const y = b as { range?: number[]; anchor?: string; tag?: string };
  if (x.range?.[0] !== y.range?.[0]) out.push(`${path}: starts at ${x.range?.[0]} vs ${y.range?.[0]}`);
  if (x.anchor !== y.anchor) out.push(`${path}: anchor ${x.anchor} vs ${y.anchor}`);
  if (x.tag !== y.tag) out.push(`${path}: tag ${x.tag} vs ${y.tag}`);
  if (isScalar(a) && isScalar(b)) {
    if (describeValue(a.value) !== describeValue(b.value)) out.push(`${path}: value ${describeValue(a.value)} vs ${describeValue(b.value)}`);
    if (a.type !== b.type) out.push(`${path}: style ${a.type} vs ${b.type}`);
    if (a.format !== b.format) out.push(`${path}: format ${a.format} vs ${b.format}`);
  } else if (isAlias(a)) {
    if (a.source !== (b as Alias).source) out.push(`${path}: alias ${a.source} vs ${(b as Alias).source}`);
  } else if ((isMap(a) || isSeq(a)) && (isMap(b) || isSeq(b))) {
    if (!!a.flow !== !!b.flow) out.push(`${path}: flow ${a.flow} vs ${b.flow}`);
    if (a.items.length !== b.items.length) out.push(`${path}: ${a.items.length} vs ${b.items.length} items`);
    else a.items.forEach((it, i) => diff(it, b.items[i], `${path}[${i}]`, out));
  }
  return out;
}

/** Compare both paths on `text`; returns whether the fast path was taken. */
function same(text: string, opts: YamlOptions = PLAYBOOK_OPTS): boolean {
  const slow = parseYamlDocument(text, opts, {}, 'slow');
  const fast = parseYamlDocument(text, opts);
  if (!fast.fast) return false;
  expect(slow.doc.errors.map((e) => e.message), `the yaml package rejects what the fast path read:\n${text}`).to.deep.equal([]);
  expect(diff(fast.doc.contents, slow.doc.contents), text).to.deep.equal([]);
  for (const off of [0, Math.floor(text.length / 2), text.length]) expect(fast.lineCounter.linePos(off)).to.deep.equal(slow.lineCounter.linePos(off));
  return true;
}

/** Random but seeded (deterministic) YAML texts: odd layouts, comments, empty values, tags, anchors, CRLF. */
function randomYaml(seed: number, count: number): string[] {
  const rnd = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)]!;
  const SCALARS = ['a', 'y', 'n', 'yes', 'Off', '~', 'null', '', '0o17', '017', '0x1f', '1_000', '1:30', '.inf', '-.Inf', '.nan', '1.5', '1e3', '2024-01-02',
    '2024-1-2 3:04:05', 'true', 'x y z', 'a#b', 'a: b', '- x', '"q"', "'s'", '{{ v }}', 'é😀', '<<', '=', '!x', '%p', '@a', '`b', '*c', '&d', '? e', ': f', 'g:',
    'h #c', '  lead', 'trail  ', 'multi\nline', 'tab\tin', 'back\\slash', '"', "'", '0', '-0', '+1', '09', '0b101', '190:20:30'];
  const quoteD = (s: string) => '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, pick(['\\t', '\t'])) + '"';
  const quoteS = (s: string) => "'" + s.replace(/'/g, "''").replace(/\n/g, '\n\n') + "'";
  const scalar = (ind: string, flow: boolean): string => {
    const s = pick(SCALARS);
    const r = rnd();
    if (r < 0.3) return quoteD(s);
    if (r < 0.45) return quoteS(s);
    if (!flow && r < 0.55 && !s.startsWith(' '))
      return pick(['|', '>', '|-', '>+', '|2', '>-']) + pick(['', ' # c']) + '\n' + s.split('\n').map((l) => ind + '  ' + l).join('\n');
    if (r < 0.6) return pick(['!!str ', '!unsafe ', '!!int ', `&an${Math.floor(rnd() * 3)} `]) + quoteD(s);
    return s; // as it is: sometimes not valid YAML, which is fine
  };
  const node = (depth: number, ind: string, flow: boolean): string => {
    const r = rnd();
    if (depth > 3 || r < 0.45) return r < 0.05 ? `*an${Math.floor(rnd() * 3)}` : scalar(ind, flow);
    if (flow || r < 0.6) {
      if (rnd() < 0.5) return '[' + Array.from({ length: Math.floor(rnd() * 4) }, () => node(depth + 1, ind, true)).join(pick([', ', ',', ' , ', ',\n' + ind + ' '])) + ']';
      const pairs = Array.from({ length: Math.floor(rnd() * 4) }, () => pick(['k', '"k x"', 'k2', '1', '<<']) + Math.floor(rnd() * 5) + ': ' + node(depth + 1, ind, true));
      return '{' + pairs.join(pick([', ', ',\n' + ind + ' '])) + '}';
    }
    const ci = ind + pick(['  ', '    ', ' ']);
    const sep = () => '\n' + pick(['', '\n', ci + '# x\n']);
    if (rnd() < 0.5) return '\n' + Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => ci + '- ' + pick(['', '', '# c\n' + ci + '  ']) + node(depth + 1, ci + '  ', false)).join(sep());
    const keys = ['key', '"q key"', "'s'", 'k', '<<', '? k'];
    return '\n' + Array.from({ length: 1 + Math.floor(rnd() * 4) }, (_, i) => ci + pick(keys) + i + pick([':', ': ', ':  ', ': # c\n' + ci + ' ']) + pick(['', ' ']) + node(depth + 1, ci, false)).join(sep());
  };
  return Array.from({ length: count }, () => {
    const t = (rnd() < 0.2 ? '---\n' : '') + (rnd() < 0.5 ? 'root:' + node(0, '', false) : node(0, '', false).replace(/^\n/, '')) + '\n';
    return rnd() < 0.1 ? t.replace(/\n/g, '\r\n') : t;
  });
}

const CASES: string[] = [
  'a: 1\nb: two\nc: "three"\nd: \'four\'\n',
  // PyYAML scalars: y/n strings, yes/no/on/off booleans, octal, underscores, sexagesimal, .inf, ~, dates
  'a: [y, n, Y, N, yes, No, ON, off, true, False, ~, null, Null, ""]\n',
  'b: [0o17, 017, 0x1F, 0b101, 1_000, 1:30, -1:30, 09, 1e3, 1.5e+3, .inf, -.Inf, .nan, 1_0.5, "012"]\n',
  'c: [2024-01-02, 2024-1-2, 2001-12-14t21:59:43.10-05:00, 2001-12-14 21:59:43.10, 2002-12-14T00:00:00Z]\n',
  'd: !!str 3\ne: !!int "7"\nh: !!bool yes\ni: !!null ""\nj: !!float "1.5"\n',
  'f: !!float 3\n',
  'g: !unsafe "{{ x }}"\nh: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\n',
  // block scalars
  'a: |\n  line 1\n  line 2\nb: >\n  folded\n  text\n\n  para\nc: |-\n  strip\nd: >+\n  keep\n\ne: |2\n    indented\n',
  'a: | # comment\n  x\nb:\n  |\n  y\n- z\n'.replace('\n- z\n', '\n'),
  '- |\n  in a list\n- >-\n  folded\n- plain\n',
  // empty values in every place
  'a:\nb:   \nc: # comment\nd:\n  e:\n  f: 1\n',
  '-\n- \n- a\n-\n',
  'hosts:\n  one:\n  two:\n  three: {}\n',
  '- a:\n  b:\n-\n  - \n  -\n',
  // anchors, aliases, merge keys
  'x: &d {a: 1, b: 2}\ny:\n  <<: *d\n  b: 3\nz: [*d, *d]\nw: &s scalar\nv: *s\n',
  'base: &b\n  k: v\nlist:\n  - <<: [*b]\n    m: n\n  - &i item\n  - *i\n',
  '"<<": 1\n\'<<\': 2\n',
  // flow collections and complex keys
  'a: {b: [1, 2, {c: d}], e: "f", g: \'h\'}\nb: [ ]\nc: { }\n',
  '[a, b, c]\n',
  '{a: 1}\n',
  '? complex\n: value\n? [a, b]\n: seq key\n',
  'a: [b: c]\n',
  // multi-line plain and quoted scalars
  'a: this is\n  a multi-line\n  plain scalar\nb: "double\n  quoted \\t \\u00e9 \\x41"\nc: \'single\n  quoted \'\'\'\n',
  // comments, document markers, CRLF, unicode before the node (offsets count UTF-16 units)
  '# head\n---\n# c\na: 1 # trailing\n...\n',
  'a: 1\r\nb:\r\n  - x\r\n  - y\r\n',
  'é: "😀 ünïcödé"\nb: 2\n',
  'plain scalar document\n',
  '"quoted document"\n',
  '',
  '# only a comment\n',
  '---\n',
  // keys that are numbers, booleans, null
  '1: one\ntrue: t\n~: nothing\n0o7: oct\n',
  // ansible-like playbook
  '- hosts: all\n  gather_facts: false\n  vars:\n    x: "{{ y }}"\n  tasks:\n    - name: t\n      debug:\n        msg: hi\n      when: x is defined\n',
  // tabs and spaces after values, trailing spaces in keys
  'a: 1\t\nb: "x" \n',
  // anchors on collections, aliases as keys
  'a: &m\n  b: 1\nc: &l\n  - 1\n*l : x\n'.replace('*l : x\n', ''),
  // long lines and nested depth
  `deep: ${'['.repeat(50)}1${']'.repeat(50)}\n`,
  '- - - a\n    - b\n  - c\n',
  // found by the random texts below: an explicit key without a value, an empty key, an indentation indicator at the top
  '- ? e\n- b\n',
  'root:\n - # c\n   |\n     x\n\n - : f\n',
  '|2 # c\n  x y z\n',
  'a: |2\n    x\n',
];

describe('YAML fast path (js-yaml events into the yaml package nodes)', () => {
  it('reads hand-written edge cases exactly as the yaml package does', () => {
    let fast = 0;
    for (const text of CASES) {
      if (same(text)) fast++;
      same(text, INVENTORY_OPTS);
    }
    // most cases must take the fast path, or the comparison proves nothing
    expect(fast).to.be.greaterThan(CASES.length * 0.7);
  });

  it('reads every YAML file of the repository exactly as the yaml package does', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        if (name === 'node_modules' || name.startsWith('.')) continue;
        const p = join(dir, name);
        const st = statSync(p);
        if (st.isDirectory()) walk(p);
        else if (/\.ya?ml$/.test(name)) files.push(p);
      }
    };
    for (const d of ['roles', 'examples', 'inventories', 'test', 'docs']) {
      try {
        walk(join(ROOT, d));
      } catch {
        /* folder absent */
      }
    }
    expect(files.length).to.be.greaterThan(20);
    let fast = 0;
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      try {
        if (same(text)) fast++;
      } catch (e) {
        (e as Error).message = `${f}: ${(e as Error).message}`;
        throw e;
      }
    }
    expect(fast).to.be.greaterThan(files.length * 0.8);
  });

  it('reads 600 random (seeded) texts exactly as the yaml package does, or leaves them to it', () => {
    let fast = 0;
    for (const text of randomYaml(20261202, 600)) {
      const slow = parseYamlDocument(text, INVENTORY_OPTS, {}, 'slow');
      const quick = parseYamlDocument(text, INVENTORY_OPTS);
      if (!quick.fast) continue;
      fast++;
      expect(slow.doc.errors.map((e) => e.message), `the yaml package rejects what the fast path read: ${JSON.stringify(text)}`).to.deep.equal([]);
      expect(diff(quick.doc.contents, slow.doc.contents), JSON.stringify(text)).to.deep.equal([]);
    }
    expect(fast).to.be.greaterThan(200);
  });

  it('leaves what it cannot read exactly to the yaml package (errors keep their words and positions)', () => {
    for (const text of [`${'k'.repeat(1100)}: v\n`, 'a: [1, 2\n', 'a: 1\na: 2\n'.replace('a: 2', ' b: 2'), '%YAML 1.1\n---\na: 1\n', 'a: 1\n---\nb: 2\n', 's: !!set {a, b}\n', 'a: !custom x\n', 'a: "x\0"\n']) {
      const slow = parseYamlDocument(text, PLAYBOOK_OPTS, {}, 'slow');
      const fast = parseYamlDocument(text, PLAYBOOK_OPTS);
      expect(fast.fast, text).to.equal(false);
      expect(fast.doc.errors.map((e) => e.message)).to.deep.equal(slow.doc.errors.map((e) => e.message));
    }
  });

  it('makes the guard pass checks itself, and leaves every finding to guardYaml', () => {
    const text = 'a: 1\nb: &x [1, 2]\nc: *x\nd: &y {k: *x}\ne: [*y, *x]\n';
    const fast = parseYamlDocument(text, PLAYBOOK_OPTS, { uniqueKeys: true });
    expect(fast.fast).to.equal(true);
    expect(diff(fast.doc.contents, parseYamlDocument(text, PLAYBOOK_OPTS, {}, 'slow').doc.contents)).to.deep.equal([]);
    const guarded = guardYaml(fast.doc, { uniqueKeys: true });
    expect([...fast.aliases!].map(([a, t]) => [a.range?.[0], t.range?.[0]])).to.deep.equal([...guarded].map(([a, t]) => [a.range?.[0], t.range?.[0]]));

    const dup = 'a: 1\nb: 2\na: 3\n';
    expect(parseYamlDocument(dup, PLAYBOOK_OPTS, { uniqueKeys: true }).fast).to.equal(false);
    expect(parseYamlDocument(dup, INVENTORY_OPTS).fast).to.equal(true); // inventories allow them
    expect(parseYamlDocument('a: "x\\0y"\n', PLAYBOOK_OPTS).fast).to.equal(false); // a NUL by escape
    expect(parseYamlDocument('a: &a [1]\nb: *nope\n', PLAYBOOK_OPTS).fast).to.equal(false);
    const env = { ...process.env };
    try {
      process.env.WHEELWRIGHT_MAX_YAML_ALIAS_NODES = '10';
      const bomb = 'a: &a [1, 2, 3]\nb: &b [*a, *a, *a]\nc: [*b, *b]\n';
      expect(parseYamlDocument(bomb, PLAYBOOK_OPTS).fast).to.equal(false);
      expect(() => guardYaml(parseYamlDocument(bomb, PLAYBOOK_OPTS).doc)).to.throw(YamlGuardError, /more than 10 nodes/);
      process.env.WHEELWRIGHT_MAX_YAML_DEPTH = '3';
      expect(parseYamlDocument('a: [[[1]]]\n', PLAYBOOK_OPTS).fast).to.equal(false);
      expect(parseYamlDocument('a: [[1]]\n', PLAYBOOK_OPTS).fast).to.equal(true);
    } finally {
      process.env = env;
    }
  });
});


describe('from_yaml / from_yaml_all go through the alias and nesting guard', () => {
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)].join('\n');

  for (const filter of ['from_yaml', 'from_yaml_all']) {
    it(`${filter}: an alias bomb is a template error naming the limit`, () => {
      let err: unknown;
      try {
        renderValue(`{{ doc | ${filter} }}`, { doc: bomb });
      } catch (e) {
        err = e;
      }
      expect(err, 'no error').to.be.instanceOf(Error);
      expect((err as Error).message, (err as Error).message).to.match(new RegExp(`${filter}: aliases expand to more than 5000000 nodes.*WHEELWRIGHT_MAX_YAML_ALIAS_NODES \\(line 7, column 20\\)`));
      expect(err).to.be.instanceOf(TemplateError);
    });
  }

  it('from_yaml reads as PyYAML does, and ordinary aliases still work', () => {
    const v = renderValue('{{ doc | from_yaml }}', { doc: 'a: &x [y, n, yes, off, 0o17, 017, 1_000, .inf, ~, 2024-01-02]\nb: *x\nc: {<<: {k: 1}}\n' }) as Record<string, unknown[]>;
    expect(v.a).to.deep.equal(['y', 'n', true, false, '0o17', 15, 1000, Infinity, null, '2024-01-02']);
    expect(v.b).to.deep.equal(v.a);
    expect(v.c).to.deep.equal({ k: 1 });
    expect(renderValue('{{ doc | from_yaml_all | list }}', { doc: 'a: 1\n---\nb: 2\n' })).to.deep.equal([{ a: 1 }, { b: 2 }]);
  });
});
