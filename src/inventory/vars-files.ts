/** group_vars/ and host_vars/ files (Ansible's host_group_vars plugin): `name`, `name.yml`, `name.yaml`, `name.json` or `name/`. */
import { readdirSync, statSync } from 'node:fs';
import { join, extname } from 'node:path';
import { UserError } from '../errors.js';
import { nodePos, nodeValue, parseYaml, readTextFile } from './yaml-load.js';
import type { Vars } from './types.js';
import { duplicateKeyWarnings } from './warnings.js';

const EXTENSIONS = ['.yml', '.yaml', '.json'];

function kind(path: string): 'file' | 'dir' | undefined {
  try {
    const st = statSync(path);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

/** Ansible's `_get_dir_vars_files`: sorted, skipping hidden and `~` backups, recursing into ext-less dirs. */
function dirVarsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    if (entry.startsWith('.') || entry.endsWith('~')) continue;
    const full = join(dir, entry);
    const ext = extname(entry);
    const k = kind(full);
    if (k === 'dir' && !ext) out.push(...dirVarsFiles(full));
    else if (k === 'file' && (!ext || EXTENSIONS.includes(ext))) out.push(full);
  }
  return out;
}

/** Ansible's `find_vars_files`: the first of `name`, `name.yml`, `name.yaml`, `name.json` that exists wins. */
export function findVarsFiles(dir: string, name: string): string[] {
  const base = join(dir, name);
  for (const ext of ['', ...EXTENSIONS]) {
    const p = base + ext;
    const k = kind(p);
    if (k === 'dir') return dirVarsFiles(p);
    if (k === 'file') return [p];
  }
  return [];
}

export class VarsFileLoader {
  private readonly cache = new Map<string, Vars>();
  /** warnings Ansible prints while reading these files (duplicate keys) */
  readonly warnings: string[] = [];

  load(file: string): Vars {
    const hit = this.cache.get(file);
    if (hit) return hit;
    const text = readTextFile(file);
    const y = parseYaml(file, text);
    this.warnings.push(...duplicateKeyWarnings(y));
    const contents = y.doc.contents;
    const value = contents === null ? null : nodeValue(y, contents);
    let vars: Vars = {};
    if (value !== null && value !== undefined && value !== '') {
      if (typeof value !== 'object' || Array.isArray(value)) {
        throw new UserError(`vars file must contain a mapping (dictionary), got ${Array.isArray(value) ? 'a list' : typeof value}`, nodePos(y, contents));
      }
      vars = value as Vars;
    }
    this.cache.set(file, vars);
    return vars;
  }

  /** which entries each vars directory has (read once: 100k hosts would stat it 100k times) */
  private readonly dirEntries = new Map<string, Set<string> | null>();

  private entriesOf(dir: string): Set<string> | null {
    let e = this.dirEntries.get(dir);
    if (e === undefined) {
      e = kind(dir) === 'dir' ? new Set(readdirSync(dir)) : null;
      this.dirEntries.set(dir, e);
    }
    return e;
  }

  /** Combined vars of `<baseDir>/<subdir>/<name>*` (replace semantics, files in name order). */
  varsFor(baseDir: string, subdir: 'group_vars' | 'host_vars', name: string): Vars {
    if (name.startsWith('/')) return {};
    const dir = join(baseDir, subdir);
    const present = this.entriesOf(dir);
    if (!present) return {};
    if (!name.includes('/') && !['', ...EXTENSIONS].some((ext) => present.has(name + ext))) return {};
    let out: Vars = {};
    for (const f of findVarsFiles(dir, name)) out = { ...out, ...this.load(f) };
    return out;
  }
}
