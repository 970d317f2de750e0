/**
 * YAML 1.1 plain scalars resolved exactly as PyYAML's SafeLoader (and so Ansible) resolves them,
 * for the `yaml` library's 1.1 schema. The library's own 1.1 schema differs: it reads y/n as
 * booleans, `09` and `1e3` as numbers, `2024-1-2` as a date. The regular expressions below are
 * PyYAML's (yaml/resolver.py); the constructions those of yaml/constructor.py.
 *
 * Timestamps become strings in Python's isoformat (what Ansible prints and writes as JSON):
 * `2024-01-02`, `2001-12-14T21:59:43.100000-05:00`.
 */
import type { ScalarTag, Tags } from 'yaml';

const BOOL_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const BOOL_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const NULL = /^(?:~|null|Null|NULL|)$/;
const TIMESTAMP =
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/;
const TIMESTAMP_PARTS =
  /^([0-9][0-9][0-9][0-9])-([0-9][0-9]?)-([0-9][0-9]?)(?:(?:[Tt]|[ \t]+)([0-9][0-9]?):([0-9][0-9]):([0-9][0-9])(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9][0-9]?)(?::([0-9][0-9]))?))?)?$/;

const sexagesimal = (s: string, parse: (p: string) => number): number => {
  let sign = 1;
  if (s[0] === '-') sign = -1;
  if (s[0] === '-' || s[0] === '+') s = s.slice(1);
  let value = 0;
  let base = 1;
  for (const part of s.split(':').reverse()) {
    value += parse(part) * base;
    base *= 60;
  }
  return sign * value;
};

/** PyYAML's construct_yaml_int. */
export function pyInt(text: string): number {
  let s = text.replace(/_/g, '');
  let sign = 1;
  if (s[0] === '-') sign = -1;
  if (s[0] === '-' || s[0] === '+') s = s.slice(1);
  if (s === '0') return 0;
  if (s.startsWith('0b')) return sign * parseInt(s.slice(2), 2);
  if (s.startsWith('0x')) return sign * parseInt(s.slice(2), 16);
  if (s[0] === '0') return sign * parseInt(s, 8);
  if (s.includes(':')) return sign * sexagesimal(s, (p) => parseInt(p, 10));
  return sign * parseInt(s, 10);
}

/** PyYAML's construct_yaml_float. */
export function pyFloat(text: string): number {
  let s = text.replace(/_/g, '').toLowerCase();
  let sign = 1;
  if (s[0] === '-') sign = -1;
  if (s[0] === '-' || s[0] === '+') s = s.slice(1);
  if (s === '.inf') return sign * Infinity;
  if (s === '.nan') return NaN;
  if (s.includes(':')) return sign * sexagesimal(s, (p) => parseFloat(p));
  return sign * parseFloat(s);
}

const pad = (n: number | string, w = 2) => String(n).padStart(w, '0');

/** PyYAML's construct_yaml_timestamp, then Python's isoformat(). */
export function pyTimestamp(text: string): string {
  const m = TIMESTAMP_PARTS.exec(text)!;
  const date = `${pad(m[1], 4)}-${pad(m[2])}-${pad(m[3])}`;
  if (m[4] === undefined) return date;
  let out = `${date}T${pad(m[4])}:${m[5]}:${m[6]}`;
  const micro = m[7] ? Number(m[7].slice(0, 6).padEnd(6, '0')) : 0;
  if (micro) out += `.${pad(micro, 6)}`;
  if (m[9]) out += `${m[9]}${pad(m[10])}:${pad(m[11] ?? '0')}`;
  else if (m[8]) out += '+00:00';
  return out;
}

const scalar = (tag: string, test: RegExp, resolve: (s: string) => unknown): ScalarTag => ({
  tag: `tag:yaml.org,2002:${tag}`,
  default: true,
  test,
  resolve: resolve as ScalarTag['resolve'],
});

/** PyYAML's implicit resolvers, replacing the library's for bool, int, float, null and timestamp. */
const PYYAML_SCALARS: ScalarTag[] = [
  scalar('null', NULL, () => null),
  scalar('bool', BOOL_TRUE, () => true),
  scalar('bool', BOOL_FALSE, () => false),
  scalar('int', INT, pyInt),
  scalar('float', FLOAT, pyFloat),
  scalar('timestamp', TIMESTAMP, pyTimestamp),
];

const REPLACED = new Set(['null', 'bool', 'int', 'float', 'timestamp'].map((t) => `tag:yaml.org,2002:${t}`));

/**
 * `customTags` for parseDocument({ version: '1.1' }): the library's 1.1 tags with PyYAML's scalar
 * resolution, plus `extra` (e.g. Ansible's `!unsafe`, `!vault`).
 */
export function pyyamlTags(extra: Tags = []): (tags: Tags) => Tags {
  return (tags) => {
    // explicit tags (`!!int 3`) still need a resolver for each replaced tag: ours come first
    const kept = tags.filter((t) => typeof t !== 'object' || !('test' in t) || !t.test || !REPLACED.has(t.tag));
    return [...PYYAML_SCALARS, ...kept, ...extra];
  };
}
