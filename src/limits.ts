/**
 * Bounds on what hostile or broken input can make wheelwright do (documented in docs/limits.md).
 * Each limit has a default and an environment variable to change it; a value over a limit is a
 * UserError (exit 5) naming the place, never a crash or an unbounded run.
 */
import { UserError } from './errors.js';

export interface InputLimits {
  /** YAML: nodes that aliases (`*x`, `<<: *x`) may add when expanded, per document. */
  yamlAliasNodes: number;
  /** YAML: nesting depth of collections (lists and mappings inside each other). */
  yamlDepth: number;
  /** Inventory: hosts one host range pattern (`web[001:100]`) may expand to. */
  hostRange: number;
  /** Templates: variables referring to variables, this many deep. */
  varDepth: number;
}

export const LIMIT_DEFAULTS: InputLimits = {
  yamlAliasNodes: 5_000_000,
  yamlDepth: 500,
  hostRange: 1_000_000,
  varDepth: 100,
};

export const LIMIT_ENV: Record<keyof InputLimits, string> = {
  yamlAliasNodes: 'WHEELWRIGHT_MAX_YAML_ALIAS_NODES',
  yamlDepth: 'WHEELWRIGHT_MAX_YAML_DEPTH',
  hostRange: 'WHEELWRIGHT_MAX_HOST_RANGE',
  varDepth: 'WHEELWRIGHT_MAX_VAR_DEPTH',
};

/** The limit in force: the environment variable when set (a positive integer), else the default. */
export function limit(name: keyof InputLimits): number {
  const env = LIMIT_ENV[name];
  const raw = process.env[env];
  if (raw === undefined || raw === '') return LIMIT_DEFAULTS[name];
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new UserError(`${env} must be a positive integer, got '${raw}'`);
  return n;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Text of an input file: UTF-8, a leading byte order mark dropped (as Ansible does); invalid
 * UTF-8 is a UserError at the line and column of the first bad byte (Ansible stops there too,
 * with an internal error or a skipped inventory source).
 */
export function decodeText(buf: Uint8Array, file: string): string {
  try {
    return decoder.decode(buf); // ignoreBOM: false strips the BOM
  } catch {
    const at = firstInvalidUtf8(buf);
    const before = Buffer.from(buf.subarray(0, at)).toString('utf8');
    const lines = before.split('\n');
    const line = lines.length;
    const col = [...lines[lines.length - 1]!].length + 1;
    throw new UserError(`invalid UTF-8 (byte 0x${buf[at]?.toString(16).padStart(2, '0')} at offset ${at}): files must be UTF-8 text`, { file, line, col });
  }
}

function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    let n = 0;
    let min = 0;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) (n = 1), (min = 0x80);
    else if (c >= 0xe0 && c <= 0xef) (n = 2), (min = 0x800);
    else if (c >= 0xf0 && c <= 0xf4) (n = 3), (min = 0x10000);
    else return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const x = b[i + k];
      if (x === undefined || (x & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (x & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return Math.max(0, b.length - 1);
}
