/**
 * Fast YAML loading with the same result as the `yaml` package's `parseDocument`.
 *
 * The `yaml` package's lexer, CST parser and composer take about 20 CPU-s and 2 GB for a 50 MB
 * playbook. js-yaml's `parseEvents` reads the same text into a flat list of events that carry
 * source offsets in under a second. Here those events are turned into the very node classes the
 * `yaml` package composes (Scalar, YAMLMap, YAMLSeq, Pair, Alias, with `range` offsets and
 * scalars resolved by the document's own schema: PyYAML's YAML 1.1 resolvers, see
 * pyyaml-tags.ts), so everything downstream (the guard pass, positions, the loaders) is unchanged.
 *
 * Anything this path is not sure to read exactly as the `yaml` package does (a syntax error,
 * directives, several documents, explicit tags other than scalar ones the schema knows, a
 * position it cannot place) makes it give up and the `yaml` package parses the text: errors keep
 * their messages and positions, rare features their exact semantics. test/unit/yaml-fast.test.ts
 * compares both paths node by node.
 */
import {
  COLLECTION_STYLE,
  EVENT_ID,
  getScalarValue,
  parseEvents,
  SCALAR_STYLE,
  type Event,
  type ScalarEvent,
} from 'js-yaml';
import {
  Alias,
  Document,
  LineCounter,
  Pair,
  parseDocument,
  Scalar,
  YAMLMap,
  YAMLSeq,
  type CreateNodeOptions,
  type DocumentOptions,
  type Node,
  type ParseOptions,
  type SchemaOptions,
  type ToJSOptions,
} from 'yaml';
import { limit } from '../limits.js';
import { hasBareNul } from '../yaml-guard.js';

export type YamlOptions = ParseOptions & DocumentOptions & SchemaOptions & CreateNodeOptions & ToJSOptions;

export interface ParsedYaml {
  doc: Document.Parsed;
  lineCounter: LineCounter;
  /** true when js-yaml's events built the document, false when the `yaml` package parsed it */
  fast: boolean;
  /**
   * Fast path only: every alias's target. The fast path has then made the guard pass's checks
   * (depth, alias expansion, NUL, unique keys when asked) and found nothing; on anything found it
   * gives up, so that the slow path and guardYaml report it with their words and positions.
   */
  aliases?: Map<Alias, Node>;
}

export interface FastGuard {
  /** mapping keys must be unique (playbooks), as guardYaml's `uniqueKeys` */
  uniqueKeys?: boolean;
}

/** Thrown inside the builder when the fast path cannot be sure: the `yaml` package takes over. */
class GiveUp extends Error {}

/**
 * Parse one YAML document like `parseDocument(text, options)` (with a LineCounter). `maxDepth`
 * bounds js-yaml's recursion (the guard pass reports the depth limit itself, at the same node).
 */
export function parseYamlDocument(text: string, options: YamlOptions, guard: FastGuard = {}, force?: 'slow'): ParsedYaml {
  if (force !== 'slow') {
    const fast = tryFast(text, options, guard);
    if (fast) return fast;
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { ...options, lineCounter });
  return { doc, lineCounter, fast: false };
}

function tryFast(text: string, options: YamlOptions, guard: FastGuard): ParsedYaml | undefined {
  const maxDepth = limit('yamlDepth');
  let events: Event[];
  try {
    events = parseEvents(text, { maxDepth: maxDepth + 2 });
  } catch {
    return undefined; // syntax error, NUL, too deep: the yaml package reports it as before
  }
  let docs = 0;
  for (const e of events) {
    if (e.type === EVENT_ID.DOCUMENT) {
      docs++;
      if (e.directives.length) return undefined;
    }
  }
  if (docs !== 1) return undefined;
  const doc = new Document(undefined, options) as Document.Parsed;
  let contents: Node | null;
  let aliases: Map<Alias, Node>;
  try {
    ({ root: contents, aliases } = build(text, events, doc, { maxDepth, maxAliasNodes: limit('yamlAliasNodes'), uniqueKeys: !!guard.uniqueKeys }));
  } catch (e) {
    if (e instanceof GiveUp) return undefined;
    throw e;
  }
  doc.contents = contents as Document.Parsed['contents'];
  doc.range = [0, text.length, text.length];
  const lineCounter = new LineCounter();
  lineCounter.addNewLine(0);
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineCounter.addNewLine(i + 1);
  return { doc, lineCounter, fast: true, aliases };
}

interface Frame {
  node: YAMLMap | YAMLSeq;
  /** a mapping's key waiting for its value */
  key: Node | undefined;
  isMap: boolean;
  /** nodes in it once aliases are expanded (guardYaml's measure) */
  size: number;
  /** keys seen, when keys must be unique */
  seen: Set<unknown> | undefined;
}

const SP = 32;
const TAB = 9;
const NL = 10;
const CR = 13;

function build(
  text: string,
  events: Event[],
  doc: Document,
  g: { maxDepth: number; maxAliasNodes: number; uniqueKeys: boolean },
): { root: Node | null; aliases: Map<Alias, Node> } {
  const schema = doc.schema;
  const tags = schema.tags;
  const strTag = tags.find((t) => t.tag === 'tag:yaml.org,2002:str' && !t.collection) ?? null;
  const stack: Frame[] = [];
  let root: Node | null = null;
  let rootSet = false;
  /** end offset of the last thing read: where an empty scalar or a block scalar's header is searched from */
  let lastEnd = 0;
  // guardYaml's checks, made while building (see yaml-guard.ts): on a finding, give up
  const anchors = new Map<string, Node>();
  const sizes = new Map<Node, number>();
  const open = new Set<Node>();
  const aliases = new Map<Alias, Node>();
  let aliasNodes = 0;

  const skipSpaces = (p: number): number => {
    while (p < text.length && (text.charCodeAt(p) === SP || text.charCodeAt(p) === TAB)) p++;
    return p;
  };
  /** skip spaces, line breaks and comments */
  const skipBlank = (p: number): number => {
    for (;;) {
      const c = text.charCodeAt(p);
      if (c === SP || c === TAB || c === NL || c === CR) p++;
      else if (c === 35 /* # */) {
        const nl = text.indexOf('\n', p);
        p = nl === -1 ? text.length : nl;
      } else return p;
    }
  };

  const attach = (n: Node, size: number) => {
    const top = stack[stack.length - 1];
    if (top) top.size += size;
    if (!top) {
      if (rootSet) throw new GiveUp();
      root = n;
      rootSet = true;
    } else if (top.isMap) {
      if (top.key === undefined) {
        // the yaml package refuses implicit keys whose `:` is over 1024 characters away; such keys
        // and collections as keys are rare enough to leave to it
        if (n instanceof YAMLMap || n instanceof YAMLSeq || n.range![1] - n.range![0] > 1000) throw new GiveUp();
        if (top.seen && n instanceof Scalar && typeof n.value !== 'symbol') {
          if (top.seen.has(n.value)) throw new GiveUp(); // guardYaml words it: "Map keys must be unique"
          top.seen.add(n.value);
        }
        top.key = n;
      } else {
        (top.node as YAMLMap).items.push(new Pair(top.key, n));
        top.key = undefined;
      }
    } else (top.node as YAMLSeq).items.push(n);
  };
  const atKey = () => {
    const top = stack[stack.length - 1];
    return !!top && top.isMap && top.key === undefined;
  };
  const propsEnd = (e: { anchorEnd: number; tagEnd: number }) => Math.max(e.anchorEnd, e.tagEnd);

  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    switch (e.type) {
      case EVENT_ID.DOCUMENT:
        break;
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        if (e.tagStart !== -1) throw new GiveUp(); // !!set, !!omap, !!pairs...: the package's own way
        if (stack.length >= g.maxDepth) throw new GiveUp(); // guardYaml's depth message, at this node
        const n = e.type === EVENT_ID.MAPPING ? new YAMLMap(schema) : new YAMLSeq(schema);
        const flow = e.style === COLLECTION_STYLE.FLOW;
        if (flow) {
          const c = text.charCodeAt(e.start);
          if (c !== (e.type === EVENT_ID.MAPPING ? 123 : 91)) throw new GiveUp(); // a flow pair's implicit mapping
          n.flow = true;
        }
        n.range = [e.start, e.start, e.start];
        if (e.anchorStart !== -1) {
          n.anchor = text.slice(e.anchorStart, e.anchorEnd);
          anchors.set(n.anchor, n);
          open.add(n);
        }
        attach(n, 0); // its size is added when it closes
        const isMap = e.type === EVENT_ID.MAPPING;
        stack.push({ node: n, key: undefined, isMap, size: 1, seen: isMap && g.uniqueKeys ? new Set() : undefined });
        lastEnd = flow ? e.start + 1 : e.start;
        break;
      }
      case EVENT_ID.POP:
        if (stack.length) {
          const f = stack.pop()!;
          if (f.key !== undefined) throw new GiveUp();
          if (f.node.anchor) {
            open.delete(f.node);
            sizes.set(f.node, f.size);
          }
          const parent = stack[stack.length - 1];
          if (parent) parent.size += f.size;
        }
        break;
      case EVENT_ID.ALIAS: {
        const n = new Alias(text.slice(e.anchorStart, e.anchorEnd));
        n.range = [e.anchorStart - 1, e.anchorEnd, e.anchorEnd];
        const target = anchors.get(n.source);
        if (!target || open.has(target)) throw new GiveUp();
        const size = sizes.get(target) ?? 1;
        aliasNodes += size;
        if (aliasNodes > g.maxAliasNodes) throw new GiveUp();
        aliases.set(n, target);
        attach(n, size);
        lastEnd = e.anchorEnd;
        break;
      }
      case EVENT_ID.SCALAR: {
        const n = scalar(e);
        if (typeof n.value === 'string' && hasBareNul(n.value)) throw new GiveUp();
        if (n.anchor) anchors.set(n.anchor, n);
        attach(n, 1);
        break;
      }
    }
  }
  if (stack.length) throw new GiveUp();
  return { root, aliases };

  function scalar(e: ScalarEvent): Scalar {
    const key = atKey();
    let start: number;
    let end: number;
    let type: Scalar.Type;
    let value: string;
    if (e.valueStart === -1) {
      // an empty value: the yaml package places it after the indicator (`:`, `-`) and its spaces
      if (e.anchorStart !== -1 || e.tagStart !== -1 || !stack.length || key) throw new GiveUp(); // empty keys: rare
      let p = skipBlank(lastEnd);
      // a mapping's value follows its `:`, a block sequence's item its `-` (an explicit `? key`
      // without `:` has no value node in the yaml package: left to it)
      const top = stack[stack.length - 1]!;
      if (text.charCodeAt(p) !== (top.isMap ? 58 /* : */ : 45) /* - */ || (!top.isMap && top.node.flow)) throw new GiveUp();
      p = skipSpaces(p + 1);
      start = end = p;
      type = Scalar.PLAIN;
      value = '';
    } else {
      value = e.fast ? text.slice(e.valueStart, e.valueEnd) : getScalarValue(text, e);
      switch (e.style) {
        case SCALAR_STYLE.PLAIN:
          start = e.valueStart;
          end = e.valueEnd;
          type = Scalar.PLAIN;
          break;
        case SCALAR_STYLE.DOUBLE_QUOTED:
        case SCALAR_STYLE.SINGLE_QUOTED: {
          start = e.valueStart - 1;
          end = e.valueEnd + 1;
          const q = e.style === SCALAR_STYLE.DOUBLE_QUOTED ? 34 : 39;
          if (text.charCodeAt(start) !== q || text.charCodeAt(end - 1) !== q) throw new GiveUp();
          type = q === 34 ? Scalar.QUOTE_DOUBLE : Scalar.QUOTE_SINGLE;
          break;
        }
        default: {
          // block scalar: the yaml package's range starts at the `|` or `>` header
          let p = skipBlank(Math.max(lastEnd, propsEnd(e)));
          let c = text.charCodeAt(p);
          if (c === 58 || c === 45 || c === 63) p = skipBlank(p + 1);
          c = text.charCodeAt(p);
          const literal = e.style === SCALAR_STYLE.LITERAL_BLOCK;
          if (c !== (literal ? 124 : 62) || p >= e.valueStart) throw new GiveUp();
          // an indentation indicator (`|2`): js-yaml counts it from another base than PyYAML and the
          // yaml package at the top level; rare, so left to the yaml package everywhere
          for (let q = p + 1; q < p + 3; q++) if (text.charCodeAt(q) >= 48 && text.charCodeAt(q) <= 57) throw new GiveUp();
          start = p;
          end = e.valueEnd;
          type = literal ? Scalar.BLOCK_LITERAL : Scalar.BLOCK_FOLDED;
        }
      }
    }
    lastEnd = end;

    let tagName: string | null = null;
    let tag;
    if (e.tagStart !== -1) {
      const raw = text.slice(e.tagStart, e.tagEnd);
      if (raw.startsWith('!!')) tagName = `tag:yaml.org,2002:${raw.slice(2)}`;
      else if (raw.startsWith('!<') || raw === '!' || raw.indexOf('!', 1) !== -1) throw new GiveUp();
      else tagName = raw;
      tag = byName(tagName, value);
    } else if (type === Scalar.PLAIN) {
      tag = tags.find((t) => (t.default === true || (key && t.default === 'key')) && t.test?.test(value)) ?? strTag;
    } else tag = strTag;
    if (!tag || tag.collection || typeof (tag as { resolve?: unknown }).resolve !== 'function') throw new GiveUp();

    let failed = false;
    let res: unknown;
    try {
      res = (tag as { resolve: (v: string, onError: (m: string) => void, o: unknown) => unknown }).resolve(value, () => (failed = true), doc.options);
    } catch {
      failed = true;
    }
    if (failed) throw new GiveUp(); // TAG_RESOLVE_FAILED: the yaml package words it
    const s = res instanceof Scalar ? res : new Scalar(res);
    s.range = [start, end, end];
    s.source = value;
    s.type = type;
    if (tagName) s.tag = tagName;
    const format = (tag as { format?: string }).format;
    if (format) s.format = format;
    if (e.anchorStart !== -1) s.anchor = text.slice(e.anchorStart, e.anchorEnd);
    return s;
  }

  /** The yaml package's findScalarTagByName, giving up where it would report an error. */
  function byName(tagName: string, value: string) {
    const withTest = [];
    for (const t of tags) {
      if (!t.collection && t.tag === tagName) {
        if (t.default && t.test) withTest.push(t);
        else return t;
      }
    }
    for (const t of withTest) if (t.test?.test(value)) return t;
    throw new GiveUp(); // known-but-not-default tags and unresolved tags: the package's path
  }
}
