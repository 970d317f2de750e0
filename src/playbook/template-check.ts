/**
 * Load-time template checks: every string of a YAML node that holds a template (and every
 * condition) is parsed before any host is contacted; a syntax error, an unknown filter, test or
 * lookup is reported at the file:line:col of the character (single-line scalars) or the value.
 */
import { isMap, isScalar, isSeq, type Scalar } from 'yaml';
import { checkSource } from '../template/jinja/index.js';
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
