/** Inventory warnings Ansible prints: duplicate YAML keys, invalid group characters. */
import { isMap, isScalar, visit, type Node } from 'yaml';
import { nodePos, type LoadedYaml } from './yaml-load.js';

/**
 * PyYAML (Ansible's constructor) keeps the last of duplicate keys and warns, naming the mapping's
 * start: "While constructing a mapping from FILE, line L, column C, found a duplicate dict key (k).
 * Using last defined value only."
 */
export function duplicateKeyWarnings(y: LoadedYaml): string[] {
  const out: string[] = [];
  if (!y.doc.contents) return out;
  visit(y.doc, {
    Map(_k, map) {
      const seen = new Set<unknown>();
      for (const item of map.items) {
        if (!isScalar(item.key)) continue;
        const key = item.key.value;
        if (key === '<<') continue;
        if (seen.has(key)) {
          const p = nodePos(y, map as unknown as Node);
          out.push(`While constructing a mapping from ${y.file}, line ${p.line}, column ${p.col}, found a duplicate dict key (${String(key)}). Using last defined value only.`);
        }
        seen.add(key);
      }
    },
  });
  return out;
}

export type GroupCharsMode = 'never' | 'always' | 'ignore' | 'silently';

/** Ansible's C.INVALID_VARIABLE_NAMES (`^[\d\W]|[^\w]`, Unicode \w). */
const INVALID = /^[\p{Nd}]|[^\p{L}\p{N}_]/gu;

/**
 * Ansible's to_safe_group_name: under `always`/`silently` invalid characters become `_`; `always`
 * and `never` warn (once: Ansible's display prints a warning once).
 */
export function safeGroupName(name: string, mode: GroupCharsMode, warn: (msg: string) => void): string {
  if (!name || !new RegExp(INVALID.source, 'u').test(name)) return name;
  if (mode === 'always' || mode === 'silently') {
    if (mode === 'always') warn('Invalid characters were found in group names and automatically replaced, use -vvvv to see details');
    return name.replace(INVALID, '_');
  }
  if (mode === 'never') warn('Invalid characters were found in group names but not replaced, use -vvvv to see details');
  return name;
}

/** The configured mode (ansible.cfg force_valid_group_names / ANSIBLE_TRANSFORM_INVALID_GROUP_CHARS). */
export function groupCharsMode(value: unknown): GroupCharsMode {
  const v = String(value ?? 'never').trim().toLowerCase();
  if (v === 'always' || v === 'true' || v === 'yes') return 'always';
  if (v === 'silently' || v === 'ignore') return v;
  return 'never';
}
