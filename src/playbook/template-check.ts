/**
 * Load-time template checks: every string of a YAML node that holds a template (and every
 * condition) is parsed before any host is contacted; a syntax error, an unknown filter, test or
 * lookup is reported at the file:line:col of the character (single-line scalars) or the value.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { isMap, isScalar, isSeq, type Scalar } from 'yaml';
import { checkSource, looksLikeTemplate } from '../template/jinja/index.js';
import { position } from '../template/jinja/parse.js';
import type { SourcePos } from '../errors.js';
import type { SourceFile } from './source.js';

type Report = (message: string, pos: SourcePos) => void;

/** Position of offset `off` inside a scalar's value (exact when the value is one line written as is). */
function offsetPos(src: SourceFile, node: Scalar, value: string, off: number): SourcePos {
  const start = node.range?.[0];
  if (start !== undefined && !value.includes('\n')) {
    const q = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' ? 1 : 0;
    if (src.text.slice(start + q, start + q + value.length) === value) return src.posAt(start + q + off);
  }
  return src.pos(node);
}

/** Check the strings of `node` (deeply: values of maps and items of lists) as templates or conditions. */
export function checkTemplates(src: SourceFile, node: unknown, kind: 'value' | 'expr', report: Report, depth = 0): void {
  const n = src.resolve(node);
  if (!n || depth > 64) return;
  if (isScalar(n)) {
    const v = (n as Scalar).value;
    if (typeof v !== 'string') return;
    const err = checkSource(v, kind);
    if (err) report(err.detail, offsetPos(src, n as Scalar, v, err.offset));
    return;
  }
  if (isSeq(n)) for (const item of n.items) checkTemplates(src, item, kind, report, depth + 1);
  else if (isMap(n)) for (const pair of n.items) checkTemplates(src, pair.value, kind, report, depth + 1);
}

/**
 * The `.j2` file a `template:` task names, when its name is static and the file exists where the
 * task will look (role templates/, role dir, playbook templates/, playbook dir): parsed now.
 * A missing or templated name is left to run time, as Ansible does.
 */
export function checkTemplateFile(name: unknown, rolePath: string | undefined, playbookDir: string, report: Report): void {
  if (typeof name !== 'string' || name.endsWith('.hbs') || looksLikeTemplate(name)) return;
  const candidates = isAbsolute(name)
    ? [name]
    : [...(rolePath ? [join(rolePath, 'templates', name), join(rolePath, name)] : []), join(playbookDir, 'templates', name), join(playbookDir, name)];
  const file = candidates.find((c) => existsSync(c));
  if (!file) return;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return;
  }
  const err = checkSource(text, 'file');
  if (!err) return;
  const p = position(text, err.offset);
  report(err.detail.replace(/^template syntax error in '[^']*'/, 'template syntax error'), { file, line: p.line, col: p.col });
}
