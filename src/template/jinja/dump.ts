/** Python's json.dumps and PyYAML's dump (as Ansible's to_json/to_yaml call them), for plain data. */
import { TemplateError } from '../undefined.js';
import { PyFloat, TUPLES, floatRepr, isDict, need, str } from './py.js';

function jsonString(s: string, ensureAscii: boolean): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || (ensureAscii && c > 0x7e)) {
      if (c > 0xffff) {
        const hi = Math.floor((c - 0x10000) / 0x400) + 0xd800;
        const lo = ((c - 0x10000) % 0x400) + 0xdc00;
        out += `\\u${hi.toString(16).padStart(4, '0')}\\u${lo.toString(16).padStart(4, '0')}`;
      } else out += `\\u${c.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return out + '"';
}

export interface JsonOpts {
  indent?: number;
  sortKeys?: boolean;
  separators?: [string, string];
  ensureAscii?: boolean;
}

export function pyJsonDumps(v: unknown, o: JsonOpts = {}): string {
  const ensureAscii = o.ensureAscii ?? true;
  const [itemSep, keySep] = o.separators ?? (o.indent !== undefined ? [',', ': '] : [', ', ': ']);
  const walk = (x: unknown, level: number): string => {
    need(x);
    if (x === null || x === undefined) return 'null';
    if (typeof x === 'boolean') return x ? 'true' : 'false';
    if (x instanceof PyFloat) return floatRepr(x.v);
    if (typeof x === 'number') {
      if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
      return Number.isInteger(x) ? String(x) : floatRepr(x);
    }
    if (typeof x === 'string') return jsonString(x, ensureAscii);
    const nl = o.indent !== undefined ? '\n' + ' '.repeat(o.indent * (level + 1)) : '';
    const end = o.indent !== undefined ? '\n' + ' '.repeat(o.indent * level) : '';
    if (Array.isArray(x)) {
      if (!x.length) return '[]';
      return '[' + x.map((y) => nl + walk(y, level + 1)).join(itemSep) + end + ']';
    }
    if (isDict(x)) {
      let keys = Object.keys(x);
      if (!keys.length) return '{}';
      if (o.sortKeys) keys = [...keys].sort();
      return '{' + keys.map((k) => nl + jsonString(k, ensureAscii) + keySep + walk(x[k], level + 1)).join(itemSep) + end + '}';
    }
    throw new TemplateError(`Object of type ${typeof x} is not JSON serializable`);
  };
  return walk(v, 0);
}

// ---------------------------------------------------------------------------------------------
// YAML (PyYAML's emitter for plain data: sort_keys, flow style for leaf collections unless
// default_flow_style=False, quoting of strings that would read back as another type)

const YAML_SPECIAL = /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|[-+]?(?:0|[1-9][0-9_]*)|0o?[0-7_]+|0x[0-9a-fA-F_]+|[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.?[0-9_]*|\d{4}-\d\d?-\d\d?.*|=|<<)$/;

function yamlScalar(s: string, inFlow: boolean): string {
  const plainOk =
    s !== '' &&
    !YAML_SPECIAL.test(s) &&
    !/^[-?:,[\]{}#&*!|>'"%@`\s]/.test(s) &&
    !/\s$/.test(s) &&
    !/: |:$| #|[\n\r\t\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(s) &&
    !(inFlow && /[,[\]{}]/.test(s)) &&
    !(s.startsWith('-') && (s.length === 1 || /^-\s/.test(s))) &&
    !/^(?:---|\.\.\.)/.test(s);
  const leadingDash = /^-[^\s]/.test(s) && !YAML_SPECIAL.test(s) && !/: | #|[\n\r\t]/.test(s) && !/\s$/.test(s) && !(inFlow && /[,[\]{}]/.test(s));
  if (plainOk || leadingDash) return s;
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(s)) return JSON.stringify(s);
  if (s.includes('\n')) {
    // PyYAML writes line breaks in single-quoted scalars as an extra blank line
    return "'" + s.replace(/'/g, "''").replace(/\n/g, '\n\n') + "'";
  }
  return "'" + s.replace(/'/g, "''") + "'";
}

function yamlAtom(v: unknown, inFlow: boolean): string {
  need(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof PyFloat || typeof v === 'number') {
    const n = v instanceof PyFloat ? v.v : v;
    if (Number.isNaN(n)) return '.nan';
    if (!Number.isFinite(n)) return n > 0 ? '.inf' : '-.inf';
    return v instanceof PyFloat || !Number.isInteger(n) ? floatRepr(n) : String(n);
  }
  if (typeof v === 'string') return yamlScalar(v, inFlow);
  return yamlScalar(str(v), inFlow);
}

function isCollection(v: unknown): boolean {
  return Array.isArray(v) || isDict(v);
}

function flowOf(v: unknown, sortKeys: boolean): string {
  if (Array.isArray(v)) return '[' + v.map((x) => flowOf(x, sortKeys)).join(', ') + ']';
  if (isDict(v)) {
    let keys = Object.keys(v);
    if (sortKeys) keys = [...keys].sort();
    return '{' + keys.map((k) => `${yamlScalar(k, true)}: ${flowOf(v[k], sortKeys)}`).join(', ') + '}';
  }
  return yamlAtom(v, true);
}

export function pyYamlDump(v: unknown, o: { indent?: number; flow?: boolean | null; sortKeys?: boolean } = {}): string {
  const indent = o.indent ?? 2;
  const sortKeys = o.sortKeys ?? true;
  const flowAuto = o.flow === undefined || o.flow === null;
  const useFlow = (x: unknown): boolean => {
    if (Array.isArray(x) && x.length === 0) return true;
    if (isDict(x) && Object.keys(x).length === 0) return true;
    if (o.flow === true) return true;
    if (!flowAuto) return false;
    const kids = Array.isArray(x) ? x : Object.values(x as Record<string, unknown>);
    return !kids.some(isCollection);
  };
  const lines: string[] = [];
  // a block collection item is padded to the indent ('-   a: 1'), a scalar or flow item is not ('- 1')
  const dashFor = (item: unknown) => (isCollection(item) && !useFlow(item) ? '-' + ' '.repeat(Math.max(1, indent - 1)) : '- ');
  const block = (x: unknown, col: number, prefix: string): void => {
    // prefix: text already on the current line ("key:" or "- ")
    if (!isCollection(x) || useFlow(x)) {
      const text = isCollection(x) ? flowOf(x, sortKeys) : yamlAtom(x, false);
      lines.push(prefix === '' ? text : prefix.endsWith(' ') ? prefix + text : `${prefix} ${text}`);
      return;
    }
    if (Array.isArray(x)) {
      // sequences inside a mapping are not indented (PyYAML's indentless sequences)
      const afterDash = /(^|\s)-\s+$/.test(prefix);
      if (prefix !== '' && !afterDash) lines.push(prefix);
      let first = afterDash;
      for (const item of x) {
        const mark = dashFor(item);
        if (first) {
          block(item, col + indent, prefix + mark);
          first = false;
        } else block(item, col + indent, ' '.repeat(col) + mark);
      }
      return;
    }
    let keys = Object.keys(x as Record<string, unknown>);
    if (sortKeys) keys = [...keys].sort();
    let first = prefix.endsWith(' ') && prefix.trim() !== '';
    if (prefix !== '' && !first) lines.push(prefix);
    for (const k of keys) {
      const val = (x as Record<string, unknown>)[k];
      const keyText = yamlScalar(k, false) + ':';
      const lead = first ? prefix : ' '.repeat(col);
      first = false;
      if (Array.isArray(val) && !useFlow(val)) {
        lines.push(lead + keyText);
        block(val, col, '');
        continue;
      }
      if (isDict(val) && !useFlow(val)) {
        lines.push(lead + keyText);
        block(val, col + indent, '');
        continue;
      }
      block(val, col + indent, lead + keyText);
    }
  };
  if (Array.isArray(v) && !useFlow(v)) {
    for (const item of v) block(item, indent, dashFor(item));
  } else block(v, 0, '');
  let out = lines.join('\n') + '\n';
  if (!isCollection(v)) out += '...\n';
  return out;
}

export function isTuple(v: unknown): boolean {
  return Array.isArray(v) && TUPLES.has(v);
}
