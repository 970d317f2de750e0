/**
 * Variable precedence (lowest to highest; documented in docs/variables.md):
 *
 *  1. role defaults            7. role params
 *  2. inventory vars           8. registered results and set_fact
 *  3. facts                    9. block vars
 *  4. play vars               10. task vars (incl. loop vars)
 *  5. play vars_files         11. include params
 *  6. role vars               12. magic variables (computed by the runner)
 *                             13. extra vars (-e), which always win
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { pyyamlTags } from '../yaml/pyyaml-tags.js';
import { parseYamlDocument } from '../yaml/fast-compose.js';
import { decryptIfVault, vaultYamlTag } from '../vault/index.js';
import { UserError } from '../errors.js';
import { decodeText, limit } from '../limits.js';
import { depthMessage, guardYaml, isStackOverflow, YamlGuardError } from '../yaml-guard.js';
import { createVarScope } from '../template/lazy.js';
import type { TemplateWhere } from '../template/undefined.js';
import { unsafeYamlTag } from '../template/unsafe.js';

type Vars = Record<string, unknown>;

export interface HostScopeParts {
  roleDefaults?: Vars;
  /** Inventory variables of the host, already merged by the inventory loader (groups < host). */
  inventory?: Vars;
  /** Gathered facts: raw (`os_family`) or already a layer with `ansible_facts` and `ansible_*` names. */
  facts?: Vars;
  playVars?: Vars;
  /** Loaded vars_files, in order (later files win). */
  varsFiles?: Vars[];
  roleVars?: Vars;
  roleParams?: Vars;
  /** Registered results and set_fact values. */
  hostState?: Vars;
  blockVars?: Vars;
  taskVars?: Vars;
  includeParams?: Vars;
  /** inventory_hostname, groups, group_names, hostvars, playbook_dir, role_path, ansible_check_mode, omit, ... */
  magic?: Vars;
  extraVars?: Vars;
}

/** Facts as Ansible shows them: `ansible_facts.x` and `ansible_x` (INJECT_FACTS_AS_VARS). */
export function factsLayer(facts: Vars): Vars {
  if (Object.prototype.hasOwnProperty.call(facts, 'ansible_facts')) return facts;
  const short: Vars = {};
  const out: Vars = {};
  for (const [k, v] of Object.entries(facts)) {
    short[k.replace(/^ansible_/, '')] = v;
    out[k.startsWith('ansible_') ? k : `ansible_${k}`] = v;
  }
  return { ansible_facts: short, ...out };
}

/** The layers of a host scope, lowest first. */
export function hostLayers(parts: HostScopeParts): Vars[] {
  return [
    parts.roleDefaults ?? {},
    parts.inventory ?? {},
    parts.facts ? factsLayer(parts.facts) : {},
    parts.playVars ?? {},
    ...(parts.varsFiles ?? []),
    parts.roleVars ?? {},
    parts.roleParams ?? {},
    parts.hostState ?? {},
    parts.blockVars ?? {},
    parts.taskVars ?? {},
    parts.includeParams ?? {},
    parts.magic ?? {},
    parts.extraVars ?? {},
  ];
}

/** The lazy variable scope of one host (see createVarScope). */
export function buildHostScope(parts: HostScopeParts, where?: TemplateWhere): Record<string, unknown> {
  return createVarScope(hostLayers(parts), where);
}

// ---------------------------------------------------------------------------------------------
// -e / --extra-vars

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function asMapping(value: unknown, what: string): Vars {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new UserError(`${what} must be a mapping of variable names to values`);
  return value as Vars;
}

function parseYamlText(text: string, file: string | undefined, what: string): Vars {
  text = decryptIfVault(text, file ?? what);
  // the fast path (the same document as the yaml package's parser; a JSON file of extra vars took
  // the yaml package's lexer ~15 ms at start-up); it checks what the guard pass checks
  const { doc, lineCounter, aliases } = parseYamlDocument(text, { prettyErrors: true, uniqueKeys: false, version: '1.1', customTags: pyyamlTags([unsafeYamlTag, vaultYamlTag]) }, { uniqueKeys: true });
  const fail = (msg: string, offset: number): never => {
    const lp = lineCounter.linePos(offset);
    if (file) throw new UserError(msg, { file, line: lp.line, col: lp.col });
    throw new UserError(`invalid ${what}: ${msg} (line ${lp.line}, column ${lp.col})`);
  };
  const err = doc.errors[0];
  if (err) {
    if (isStackOverflow(err.message)) fail(depthMessage(limit('yamlDepth')), err.pos[0]);
    const msg = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    fail(file ? `invalid YAML in ${what}: ${msg}` : msg, err.pos[0]);
  }
  try {
    if (!aliases) guardYaml(doc, { uniqueKeys: true });
  } catch (e) {
    if (!(e instanceof YamlGuardError)) throw e;
    fail(e.message.startsWith('Map keys') && file ? `invalid YAML in ${what}: ${e.message}` : e.message, e.offset);
  }
  return asMapping(doc.toJS({ maxAliasCount: -1 }), file ? `extra vars file ${file}` : what);
}

/**
 * Split Ansible-style `k=v k2="a b"` text into words: whitespace separates words unless quoted;
 * single quotes are literal, double quotes allow \" and \\, a backslash outside quotes escapes
 * the next character; quotes may cover the whole word or only the value.
 */
function splitWords(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new UserError(`unterminated ' quote in extra vars: ${text}`);
      cur += text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && (text[j + 1] === '"' || text[j + 1] === '\\')) j++;
        cur += text[j];
      }
      if (j >= text.length) throw new UserError(`unterminated " quote in extra vars: ${text}`);
      i = j;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
    } else cur += c;
  }
  if (inWord) words.push(cur);
  return words;
}

function parseKeyValues(text: string): Vars {
  const out: Vars = {};
  for (const word of splitWords(text)) {
    const eq = word.indexOf('=');
    if (eq < 0) throw new UserError(`invalid extra var '${word}': expected key=value, @file or a YAML/JSON mapping`);
    const key = word.slice(0, eq);
    if (!NAME.test(key)) throw new UserError(`invalid extra var name '${key}' (letters, digits and _ only, not starting with a digit)`);
    out[key] = word.slice(eq + 1);
  }
  return out;
}

/**
 * Parse one `-e` argument: `k=v k2="v 2"` (values are strings), inline YAML/JSON starting with
 * `{` (or `[`, rejected: must be a mapping), or `@file.yml` / `@file.json` relative to baseDir.
 */
export function parseExtraVars(arg: string, baseDir: string): Record<string, unknown> {
  const text = arg.trim();
  if (text === '') return {};
  if (text.startsWith('@')) {
    const rel = text.slice(1).trim();
    if (!rel) throw new UserError('extra vars: missing file name after @');
    const file = resolvePath(baseDir, rel);
    if (!existsSync(file) || !statSync(file).isFile()) throw new UserError(`extra vars file not found: ${rel} (looked in ${baseDir})`);
    return parseYamlText(decodeText(readFileSync(file), rel), rel, 'extra vars file');
  }
  if (text.startsWith('{') || text.startsWith('[')) return parseYamlText(text, undefined, 'extra vars');
  return parseKeyValues(text);
}
