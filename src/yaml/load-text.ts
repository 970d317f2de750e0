/**
 * YAML text that reaches a template (`from_yaml`, `from_yaml_all`): read as PyYAML's SafeLoader
 * reads it (Ansible's filters call yaml.safe_load), through the same alias and nesting guard as
 * every input file, so an alias bomb in a variable is an error naming the limit, not an
 * out-of-memory crash or an internal error.
 */
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import { limit } from '../limits.js';
import { depthMessage, guardYaml, isStackOverflow, toPlain, YamlGuardError } from '../yaml-guard.js';
import { parseYamlDocument } from './fast-compose.js';
import { pyyamlTags } from './pyyaml-tags.js';
import { unsafeYamlTag } from '../template/unsafe.js';

const OPTIONS = {
  version: '1.1' as const,
  uniqueKeys: false,
  merge: true,
  prettyErrors: false,
  customTags: pyyamlTags([unsafeYamlTag]),
};

/** A YAML error in template data; the message ends with "(line L, column C)". */
export class YamlTextError extends Error {}

function value(doc: Document, lines: LineCounter, aliases?: ReturnType<typeof guardYaml>): unknown {
  const at = (offset: number) => {
    const p = lines.linePos(offset);
    return ` (line ${p.line}, column ${p.col})`;
  };
  const err = doc.errors[0];
  if (err) {
    if (isStackOverflow(err.message)) throw new YamlTextError(depthMessage(limit('yamlDepth')) + at(err.pos[0]));
    throw new YamlTextError(err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '') + at(err.pos[0]));
  }
  try {
    aliases ??= guardYaml(doc);
  } catch (e) {
    if (e instanceof YamlGuardError) throw new YamlTextError(e.message + at(e.offset));
    throw e;
  }
  return toPlain(doc, doc.contents, aliases);
}

/** One document (from_yaml). */
export function loadYamlText(text: string): unknown {
  const { doc, lineCounter, aliases } = parseYamlDocument(text, OPTIONS);
  return value(doc, lineCounter, aliases);
}

/** Every document of a stream (from_yaml_all). */
export function loadYamlTextAll(text: string): unknown[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { ...OPTIONS, lineCounter });
  if (!Array.isArray(docs)) return []; // an empty stream
  return docs.map((d) => value(d, lineCounter));
}
