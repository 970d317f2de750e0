/** YAML loading as Ansible does it (YAML 1.1, duplicate keys allowed, `<<` merges, `!unsafe`), with file:line:col errors. */
import { isAlias, type Alias, type Document, type LineCounter, type Node } from 'yaml';
import { readFileSync } from 'node:fs';
import { UserError, type SourcePos } from '../errors.js';
import { pyyamlTags } from '../yaml/pyyaml-tags.js';
import { parseYamlDocument } from '../yaml/fast-compose.js';
import { decryptIfVault, vaultYamlTag } from '../vault/index.js';
import { decodeText, limit } from '../limits.js';
import { depthMessage, guardYaml, isStackOverflow, toPlain, YamlGuardError } from '../yaml-guard.js';
import { unsafeYamlTag } from '../template/unsafe.js';

export interface LoadedYaml {
  doc: Document;
  lineCounter: LineCounter;
  file: string;
  /** every alias's target (from the guard pass) */
  aliases: Map<Alias, Node>;
}

/** A text input file (inventory, vars file): UTF-8, BOM dropped, invalid bytes a UserError. */
export function readTextFile(file: string): string {
  return decodeText(readFileSync(file), file);
}

/** Follow aliases to the node they stand for. */
export function resolveAlias(y: LoadedYaml, node: unknown): unknown {
  let n = node;
  for (let i = 0; i < 100 && isAlias(n); i++) n = y.aliases.get(n) ?? n.resolve(y.doc);
  return n;
}

export function parseYaml(file: string, text: string): LoadedYaml {
  text = decryptIfVault(text, file);
  const { doc, lineCounter, aliases: checked } = parseYamlDocument(
    text,
    {
      version: '1.1',
      uniqueKeys: false,
      merge: true,
      customTags: pyyamlTags([unsafeYamlTag, vaultYamlTag]),
    },
  );
  const err = doc.errors[0];
  if (err) {
    const lp = err.linePos?.[0] ?? lineCounter.linePos(err.pos[0]);
    if (isStackOverflow(err.message)) throw new UserError(depthMessage(limit('yamlDepth')), { file, line: lp.line, col: lp.col });
    const message = err.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '');
    throw new UserError(`YAML syntax error: ${message}`, { file, line: lp.line, col: lp.col });
  }
  let aliases: Map<Alias, Node>;
  try {
    aliases = checked ?? guardYaml(doc); // the fast path made the same checks
  } catch (e) {
    if (!(e instanceof YamlGuardError)) throw e;
    const lp = lineCounter.linePos(e.offset);
    throw new UserError(e.message, { file, line: lp.line, col: lp.col });
  }
  return { doc, lineCounter, file, aliases };
}

export function nodePos(y: LoadedYaml, node: Node | null | undefined): SourcePos {
  const offset = node?.range?.[0] ?? 0;
  const lp = y.lineCounter.linePos(offset);
  return { file: y.file, line: lp.line, col: lp.col };
}

/** Plain JS value of a node (aliases resolved); timestamps become ISO strings like Ansible's JSON output. */
export function nodeValue(y: LoadedYaml, node: unknown): unknown {
  if (node === null || node === undefined) return null;
  const js = toPlain(y.doc, node, y.aliases); // size bounded by the guard pass in parseYaml
  return normalize(js);
}

export function normalize(v: unknown): unknown {
  if (v instanceof Date) {
    const iso = v.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
  }
  if (v instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v) o[String(k)] = normalize(x);
    return o;
  }
  if (v instanceof Set) return [...v].map(normalize);
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object' && !(v instanceof Uint8Array)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = normalize(x);
    return o;
  }
  return v;
}

export function yamlTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'object') return 'dict';
  return typeof v;
}
