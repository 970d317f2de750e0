import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Document, isAlias, isMap, isScalar, isSeq, LineCounter } from 'yaml';
import type { Alias, Node as YNode, Pair, Scalar, YAMLMap } from 'yaml';
import { pyyamlTags } from '../yaml/pyyaml-tags.js';
import { parseYamlDocument } from '../yaml/fast-compose.js';
import { decryptIfVault, vaultYamlTag } from '../vault/index.js';
import { UserError, type SourcePos } from '../errors.js';
import { decodeText, limit } from '../limits.js';
import { depthMessage, guardYaml, isStackOverflow, toPlain, YamlGuardError } from '../yaml-guard.js';
import { unsafeYamlTag } from '../template/unsafe.js';

/** A parsed YAML file that remembers where every node came from. */
export class SourceFile {
  constructor(
    /** Absolute path. */
    readonly abs: string,
    /** Path shown in messages: relative to the working directory when inside it, else absolute. */
    readonly display: string,
    readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
    /** The file's text. */
    readonly text: string,
    /** every alias's target (from the guard pass) */
    private readonly aliases: Map<Alias, YNode> = new Map(),
  ) {}

  get dir(): string {
    return path.dirname(this.abs);
  }

  /** Position of a node (its first character), or of the file start. */
  pos(node?: YNode | Pair | null): SourcePos {
    const n = node && 'range' in node ? node : node && 'key' in node ? (node.key as YNode | null) : undefined;
    const offset = n?.range?.[0];
    if (offset === undefined) return { file: this.display, line: 1, col: 1 };
    return this.posAt(offset);
  }

  posAt(offset: number): SourcePos {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.display, line, col };
  }

  /** Follow aliases (`*anchor`) to the node they stand for. */
  resolve(node: unknown): YNode | null {
    let n = node as YNode | null | undefined;
    for (let i = 0; i < 100 && n && isAlias(n); i++) n = this.aliases.get(n) ?? (n.resolve(this.doc) as YNode | undefined);
    return n ?? null;
  }

  /** Plain JavaScript value of a node (aliases and merge keys resolved). */
  js(node: unknown): unknown {
    const n = this.resolve(node);
    if (!n) return null;
    return toPlain(this.doc, n, this.aliases); // size bounded by the guard pass in parseSource
  }
}

export interface Entry {
  key: string;
  keyNode: YNode;
  value: YNode | null;
}

/** The entries of a mapping node in order, with YAML merge keys (`<<: *x`) expanded (own keys win). */
export function entries(src: SourceFile, map: YAMLMap): Entry[] {
  const own: Entry[] = [];
  const merged: Entry[] = [];
  for (const pair of map.items) {
    const keyNode = pair.key as YNode;
    const value = (pair.value as YNode | null) ?? null;
    if (isScalar(keyNode) && typeof (keyNode as Scalar).value === 'symbol') {
      // merge key: a mapping or a list of mappings
      const target = src.resolve(value);
      const maps = isSeq(target) ? target.items.map((i) => src.resolve(i)) : [target];
      for (const m of maps) if (isMap(m)) merged.push(...entries(src, m));
      continue;
    }
    const key = isScalar(keyNode) ? String((keyNode as Scalar).value) : String(src.js(keyNode));
    own.push({ key, keyNode, value });
  }
  const seen = new Set(own.map((e) => e.key));
  const out = [...own];
  for (const e of merged) {
    if (!seen.has(e.key)) {
      seen.add(e.key);
      out.push(e);
    }
  }
  return out;
}

export function displayPath(abs: string): string {
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

/**
 * Parse YAML text; syntax errors become UserErrors at file:line:col. Duplicate keys, nesting
 * depth and alias expansion are checked in one linear pass (see yaml-guard.ts).
 */
export function parseSource(abs: string, text: string): SourceFile {
  text = decryptIfVault(text, displayPath(abs));
  const { doc, lineCounter: lines, aliases: checked } = parseYamlDocument(
    text,
    {
      version: '1.1',
      prettyErrors: false,
      customTags: pyyamlTags([unsafeYamlTag, vaultYamlTag]),
      uniqueKeys: false, // checked in linear time by guardYaml below
    },
    { uniqueKeys: true },
  );
  const first = doc.errors[0];
  if (first) {
    const pos = new SourceFile(abs, displayPath(abs), doc, lines, text).posAt(first.pos[0]);
    if (isStackOverflow(first.message)) throw new UserError(depthMessage(limit('yamlDepth')), pos);
    const message = first.message.replace(/\s+/g, ' ').trim();
    throw new UserError(`YAML syntax error: ${message}`, pos);
  }
  let aliases;
  try {
    aliases = checked ?? guardYaml(doc, { uniqueKeys: true }); // the fast path made the same checks
  } catch (e) {
    if (!(e instanceof YamlGuardError)) throw e;
    const pos = new SourceFile(abs, displayPath(abs), doc, lines, text).posAt(e.offset);
    throw new UserError(e.message.startsWith('Map keys') ? `YAML syntax error: ${e.message}` : e.message, pos);
  }
  return new SourceFile(abs, displayPath(abs), doc, lines, text, aliases);
}

/** Read and parse a YAML file; a missing file is a UserError at `from` (the place that named it). */
export async function readSource(abs: string, from?: SourcePos, what = 'file'): Promise<SourceFile> {
  let buf: Buffer;
  try {
    buf = await readFile(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UserError(`${what} not found: ${displayPath(abs)}`, from);
    if (code === 'EISDIR') throw new UserError(`${what} is a directory: ${displayPath(abs)}`, from);
    throw new UserError(`cannot read ${what} ${displayPath(abs)}: ${(e as Error).message}`, from);
  }
  return parseSource(abs, decodeText(buf, displayPath(abs)));
}
