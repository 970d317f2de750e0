/** Dispatch one inventory source (directory, host list, script, YAML or INI file) to its parser. */
import { accessSync, constants, existsSync, openSync, readSync, closeSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { UserError } from '../errors.js';
import { parseIni } from './ini-source.js';
import type { InventoryData } from './model.js';
import { expandHostPattern, RangeError_ } from './ranges.js';
import { parseScript } from './script-source.js';
import { parseYaml, readTextFile } from './yaml-load.js';
import { parseYamlInventory } from './yaml-source.js';
import { isMap } from 'yaml';

const IGNORED_ALWAYS = [/^\./, /^host_vars$/, /^group_vars$/, /^vars_plugins$/];
/** Ansible's INVENTORY_IGNORE_EXTS default (REJECT_EXTS + .orig .ini .cfg .retry). */
const IGNORED_EXTS = ['.pyc', '.pyo', '.swp', '.bak', '~', '.rpm', '.md', '.txt', '.rst', '.orig', '.ini', '.cfg', '.retry'];
const YAML_EXTS = ['.yaml', '.yml', '.json'];

export function isIgnoredInDir(name: string): boolean {
  return IGNORED_ALWAYS.some((re) => re.test(name)) || IGNORED_EXTS.some((ext) => name.endsWith(ext));
}

/** A source is a host list when it is not a path and contains a comma (`-i 'h1,h2,'`). */
export function isHostList(source: string): boolean {
  return source.includes(',') && !existsSync(source);
}

function isExecutableOrShebang(file: string): { exec: boolean; shebang: boolean } {
  let shebang = false;
  try {
    const fd = openSync(file, 'r');
    const buf = Buffer.alloc(2);
    readSync(fd, buf, 0, 2, 0);
    closeSync(fd);
    shebang = buf.toString('latin1') === '#!';
  } catch {
    /* unreadable: reported by the parser */
  }
  let exec = false;
  try {
    accessSync(file, constants.X_OK);
    exec = true;
  } catch {
    exec = false;
  }
  return { exec, shebang };
}

/**
 * Whether reading the source runs nothing: a host list, or a file that is neither executable nor
 * a script (a directory may hold scripts). The CLI reads such an inventory before the playbook.
 */
export function readsOnly(source: string): boolean {
  if (isHostList(source)) return true;
  try {
    if (!statSync(source).isFile()) return false;
  } catch {
    return true; // not found: an error, in its turn
  }
  const { exec, shebang } = isExecutableOrShebang(source);
  return !exec && !shebang;
}

function parseHostList(inv: InventoryData, source: string): void {
  for (const raw of source.split(',')) {
    const h = raw.trim();
    if (!h) continue;
    let expanded;
    try {
      expanded = expandHostPattern(h);
    } catch (e) {
      if (e instanceof RangeError_) throw new UserError(`host list '${source}': ${e.message}`);
      throw e;
    }
    const { hostnames, port } = expanded;
    for (const name of hostnames) inv.addHost(name, 'ungrouped', port);
  }
}

function parseTextFile(inv: InventoryData, file: string): void {
  const text = readTextFile(file);
  const ext = extname(file);
  if (YAML_EXTS.includes(ext)) return parseYamlInventory(inv, file, text);
  if (ext === '') {
    // Like Ansible's plugin chain (yaml, then ini): YAML only when the file is a YAML mapping.
    let yamlMapping = false;
    try {
      yamlMapping = isMap(parseYaml(file, text).doc.contents);
    } catch {
      yamlMapping = false;
    }
    if (yamlMapping) return parseYamlInventory(inv, file, text);
  }
  parseIni(inv, file, text);
}

async function parseFile(inv: InventoryData, file: string): Promise<void> {
  inv.currentSource = file;
  const { exec, shebang } = isExecutableOrShebang(file);
  if (exec || shebang) {
    try {
      await parseScript(inv, file);
      return;
    } catch (e) {
      // An executable bit alone (no shebang) may be an accident on a YAML/INI file: Ansible then tries the other parsers.
      if (shebang || !(e instanceof UserError)) throw e;
      try {
        parseTextFile(inv, file);
        return;
      } catch {
        throw e;
      }
    }
  }
  parseTextFile(inv, file);
}

/** Parses one source (absolute path or host list) into `inv`. */
export async function parseSource(inv: InventoryData, source: string): Promise<void> {
  if (isHostList(source)) {
    inv.currentSource = undefined;
    return parseHostList(inv, source);
  }
  let st;
  try {
    st = statSync(source);
  } catch {
    throw new UserError(`Inventory source not found: ${source}`);
  }
  if (st.isDirectory()) {
    for (const entry of readdirSync(source).sort()) {
      if (isIgnoredInDir(entry)) continue;
      const path = join(source, entry);
      try {
        await parseSource(inv, path);
      } catch (e) {
        // as Ansible: a source inside a directory that no parser accepts is skipped with a warning
        if (!(e instanceof UserError)) throw e;
        inv.warn(` * Failed to parse ${path}: ${e.message}`);
        inv.warn(`Unable to parse ${path} as an inventory source`);
      }
    }
    return;
  }
  await parseFile(inv, source);
}
