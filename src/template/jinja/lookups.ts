/**
 * Ansible lookup plugins for `lookup()` and `query()`/`q()`, run on the controller.
 * Files are searched as Ansible does: in `files/` (or `templates/` for template) and the
 * directory of the role or playbook the expression comes from, then as given.
 */
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { TemplateError, isUndefined, undefinedName, UndefinedVariableError } from '../undefined.js';
import { isDict, iterate, need, numOf, str, truthy, tuple, typeName, percentFormat } from './py.js';
import { pyRegex } from './regex.js';
import { evaluatePatterns, LOCALHOST_NAMES, splitHostPattern } from '../../inventory/patterns.js';
import type { Inventory } from '../../inventory/types.js';
import { UserError } from '../../errors.js';
import { parseKv } from '../../playbook/kv.js';
import { cryptHash, hashAlgorithm, randomSaltText } from './filters-more.js';

export interface LookupCtx {
  /** Directories to search for relative paths, best first (role dir, playbook dir, ...). */
  searchDirs: string[];
  /** A variable by name (Undefined when missing). */
  variable(name: string): unknown;
  /** Render a template file's text with the current variables. */
  renderTemplate(text: string, path: string, extra?: Record<string, unknown>): string;
}

type LookupFn = (ctx: LookupCtx, terms: unknown[], kw: Record<string, unknown>) => unknown[];

function findFile(ctx: LookupCtx, p: string, sub: string): string | undefined {
  if (isAbsolute(p)) return existsSync(p) ? p : undefined;
  for (const d of ctx.searchDirs) {
    for (const c of [join(d, sub, p), join(d, p)]) if (existsSync(c)) return c;
  }
  const c = resolve(p);
  return existsSync(c) ? c : undefined;
}

function flat(terms: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const t of terms) if (Array.isArray(t)) out.push(...t);
  else out.push(t);
  return out;
}

function sequence(term: string, kw: Record<string, unknown>): unknown[] {
  let start = 1;
  let end: number | undefined;
  let count: number | undefined;
  let stride = 1;
  let format = '%d';
  const num = (s: string) => {
    const n = /^0x/i.test(s) ? parseInt(s, 16) : /^0o?[0-7]+$/.test(s) && s.length > 1 ? parseInt(s.replace(/^0o?/, ''), 8) : Number(s);
    if (Number.isNaN(n)) throw new TemplateError(`can't parse arg ${s} as integer`);
    return n;
  };
  const text = term.trim();
  if (text && !text.includes('=')) {
    const m = /^(?:([0-9a-fx]+)-)?(-?[0-9a-fx]+)(?:\/([0-9a-fx]+))?(?::(.+))?$/i.exec(text);
    if (!m) throw new TemplateError(`can't parse arg ${text} as sequence shortcut`);
    if (m[1] !== undefined) start = num(m[1]);
    end = num(m[2]);
    if (m[3] !== undefined) stride = num(m[3]);
    if (m[4] !== undefined) format = m[4];
  } else if (text) {
    for (const kv of text.split(/\s+/)) {
      const [k, v] = kv.split('=');
      kw = { ...kw, [k]: v };
    }
  }
  if (kw.start !== undefined) start = num(str(kw.start));
  if (kw.end !== undefined) end = num(str(kw.end));
  if (kw.count !== undefined) count = num(str(kw.count));
  if (kw.stride !== undefined) stride = num(str(kw.stride));
  if (kw.format !== undefined) format = str(kw.format);
  if (count !== undefined) {
    if (end !== undefined) throw new TemplateError("can't specify both count and end in with_sequence");
    end = count === 0 ? start - stride : start + (count - 1) * stride;
  }
  if (end === undefined) throw new TemplateError("must specify count or end in with_sequence");
  const out: unknown[] = [];
  if (stride > 0) for (let i = start; i <= end; i += stride) out.push(percentFormat(format, i));
  else if (stride < 0) for (let i = start; i >= end; i += stride) out.push(percentFormat(format, i));
  return out;
}

/**
 * ansible.builtin.inventory_hostnames: as Ansible's plugin, an inventory rebuilt from the `groups`
 * variable (groups in its order, each with its hosts; no parent/child links) and the host patterns
 * evaluated on it with the engine's own pattern code; any pattern error gives [].
 */
function inventoryHostnames(ctx: LookupCtx, terms: unknown[]): string[] {
  const groups = ctx.variable('groups');
  const inv: Inventory = { hosts: new Map(), groups: new Map(), sources: [] };
  const group = (name: string) => {
    let g = inv.groups.get(name);
    if (!g) inv.groups.set(name, (g = { name, hosts: [], children: [], vars: {} }));
    return g;
  };
  group('all');
  group('ungrouped');
  if (isDict(groups)) {
    for (const [name, hosts] of Object.entries(groups)) {
      const g = group(name);
      for (const h of Array.isArray(hosts) ? hosts : []) {
        const hn = str(h);
        if (!inv.hosts.has(hn)) inv.hosts.set(hn, { name: hn, vars: {}, groups: [] });
        if (!g.hosts.includes(hn)) g.hosts.push(hn);
      }
    }
  }
  // 'ungrouped' is a child of 'all' in Ansible's fresh inventory
  for (const h of inv.groups.get('ungrouped')!.hosts) if (!inv.groups.get('all')!.hosts.includes(h)) inv.groups.get('all')!.hosts.push(h);
  if (![...inv.hosts.keys()].some((h) => LOCALHOST_NAMES.includes(h))) inv.hosts.set('localhost', { name: 'localhost', vars: {}, groups: [], implicit: true });
  for (const t of terms) {
    if (typeof t !== 'string') throw new TemplateError(`An unhandled exception occurred while running the lookup plugin 'inventory_hostnames'. Error was a <class 'TypeError'>, original message: unhashable type: '${typeName(t)}'`);
  }
  const patterns = terms.flatMap((t) => splitHostPattern(t as string));
  try {
    return evaluatePatterns(inv, patterns);
  } catch (e) {
    if (e instanceof UserError) return [];
    throw e;
  }
}

// ---- ansible.builtin.password: a random password stored in a file on the controller

const PY_STRING: Record<string, string> = {
  ascii_letters: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ',
  ascii_lowercase: 'abcdefghijklmnopqrstuvwxyz',
  ascii_uppercase: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  digits: '0123456789',
  hexdigits: '0123456789abcdefABCDEF',
  octdigits: '01234567',
  punctuation: '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~',
  whitespace: ' \t\n\r\x0b\x0c',
};
PY_STRING.printable = PY_STRING.digits + PY_STRING.ascii_letters + PY_STRING.punctuation + PY_STRING.whitespace;
const PASSWORD_PARAMS = ['length', 'encrypt', 'chars', 'ident', 'seed'];

function passwordLookup(ctx: LookupCtx, term: string, direct: Record<string, unknown>): string {
  // Ansible's _parse_parameters: the path, then key=value parameters
  const sp = term.indexOf(' ');
  let relpath = sp < 0 ? term : term.slice(0, sp);
  const params: Record<string, unknown> = {};
  if (sp >= 0) {
    const kv = parseKv(term.slice(sp + 1));
    Object.assign(params, kv.args);
    if (kv.rest.length) {
      relpath = [relpath, ...kv.rest.map((t) => t.text)].join(' ');
      if (!term.startsWith(relpath)) throw new TemplateError('Unrecognized value after key=value parameters given to password lookup');
    }
  }
  const invalid = Object.keys(params).filter((k) => !PASSWORD_PARAMS.includes(k));
  if (invalid.length) throw new TemplateError(`Unrecognized parameter(s) given to password lookup: ${invalid.join(', ')}`);
  const opt = (k: string, d: unknown) => (Object.hasOwn(params, k) ? params[k] : Object.hasOwn(direct, k) ? direct[k] : d);
  const length = Number.parseInt(str(opt('length', 20)), 10);
  if (!Number.isInteger(length)) throw new TemplateError(`invalid literal for int() with base 10: '${str(opt('length', 20))}'`);
  const encrypt = opt('encrypt', null) as string | null;
  const paramIdent = opt('ident', null) as string | null;
  if (opt('seed', null) !== null) throw new TemplateError("password lookup: 'seed' (Python's random.Random sequence) is not supported by wheelwright");
  let chars = opt('chars', ['ascii_letters', 'digits', '.,:-_']);
  if (typeof chars === 'string') {
    const list: string[] = chars.includes(',,') ? [','] : [];
    list.push(...chars.replace(/,,/g, ',').split(',').filter((c) => c));
    chars = list;
  }
  const candidates = (Array.isArray(chars) ? chars : [chars]).map((c) => PY_STRING[str(c)] ?? str(c)).join('').replace(/["']/g, '');
  const playbookDir = ctx.variable('playbook_dir');
  const file = isAbsolute(relpath) ? relpath : resolve(typeof playbookDir === 'string' ? playbookDir : process.cwd(), relpath);
  const devNull = file === '/dev/null';
  let content: string | undefined;
  if (!devNull && existsSync(file)) content = readFileSync(file, 'utf8').replace(/\s+$/, '');
  let password: string;
  let salt: string | null = null;
  let ident: string | null = null;
  let changed = false;
  if (content === undefined) {
    if (!candidates.length && length > 0) throw new TemplateError('Cannot choose from an empty sequence');
    password = Array.from({ length: Math.max(0, length) }, () => candidates[randomInt(candidates.length)]).join('');
    changed = true;
  } else {
    // "PASSWORD salt=SALT ident=IDENT", as Ansible's _parse_content
    password = content;
    const s = content.lastIndexOf(' salt=');
    if (s >= 0) {
      const rem = content.slice(s + 6);
      password = content.slice(0, s);
      const i = rem.lastIndexOf(' ident=');
      if (rem) {
        if (i >= 0) {
          ident = rem.slice(i + 7);
          salt = rem.slice(0, i);
        } else salt = rem;
      }
    }
  }
  if (encrypt && !salt) {
    changed = true;
    salt = randomSaltText(hashAlgorithm(encrypt)?.saltSize ?? 8);
  }
  ident = paramIdent;
  if (encrypt && !ident) {
    changed = true;
    ident = hashAlgorithm(encrypt)?.implicitIdent ?? null;
  }
  if (changed && !devNull) {
    const text = !encrypt && !salt ? password : ident ? `${password} salt=${salt} ident=${ident}` : `${password} salt=${salt}`;
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, text + '\n', { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return encrypt ? cryptHash(password, encrypt, salt, ident) : password;
}

function glob(pattern: string): string[] {
  const dir = dirname(pattern);
  const base = pattern.slice(dir.length + 1);
  const re = new RegExp('^' + base.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '$');
  try {
    return readdirSync(dir)
      .filter((f) => re.test(f) && !f.startsWith('.'))
      .map((f) => join(dir, f))
      .filter((f) => statSync(f).isFile())
      .sort();
  } catch {
    return [];
  }
}

const L: Record<string, LookupFn> = {
  env: (_c, terms, kw) => terms.map((t) => process.env[str(t)] ?? (kw.default !== undefined ? kw.default : '')),
  file: (c, terms, kw) =>
    terms.map((t) => {
      const p = findFile(c, str(t), 'files');
      if (!p) throw new TemplateError(`could not locate file in lookup: ${str(t)}`);
      let text = readFileSync(p, 'utf8');
      if (truthy(kw.rstrip ?? true)) text = text.replace(/\s+$/, '');
      if (truthy(kw.lstrip ?? false)) text = text.replace(/^\s+/, '');
      return text;
    }),
  template: (c, terms, kw) =>
    terms.map((t) => {
      const p = findFile(c, str(t), 'templates');
      if (!p) throw new TemplateError(`the template file ${str(t)} could not be found for the lookup`);
      return c.renderTemplate(readFileSync(p, 'utf8'), p, isDict(kw.template_vars) ? kw.template_vars : undefined);
    }),
  // the names of the variables matching each regex (Python's re.search), as ansible.builtin.varnames
  varnames: (c, terms) => {
    const all = c.variable('vars');
    const names = isDict(all) ? Object.keys(all) : [];
    return terms.flatMap((t) => {
      if (typeof t !== 'string') throw new TemplateError(`Invalid setting identifier, "${str(t)}" is not a string`);
      let re: RegExp;
      try {
        re = pyRegex(t, '');
      } catch (e) {
        throw new TemplateError(`Unable to use "${t}" as a search parameter: ${(e as Error).message}`);
      }
      return names.filter((n) => re.test(n));
    });
  },
  vars: (c, terms, kw) =>
    terms.map((t) => {
      const v = c.variable(str(t));
      if (isUndefined(v)) {
        if (Object.hasOwn(kw, 'default')) return kw.default;
        throw new UndefinedVariableError(undefinedName(v)!);
      }
      return v;
    }),
  inventory_hostnames: (c, terms) => inventoryHostnames(c, terms),
  password: (c, terms, kw) => terms.map((t) => passwordLookup(c, str(t), kw)),
  items: (_c, terms) => flat(terms),
  list: (_c, terms) => terms,
  indexed_items: (_c, terms) => flat(terms).map((x, i) => tuple([i, x])),
  dict: (_c, terms) =>
    terms.flatMap((t) => {
      if (!isDict(t)) throw new TemplateError(`with_dict expects a dict`);
      return Object.keys(t).map((k) => ({ key: k, value: t[k] }));
    }),
  nested: (_c, terms) => {
    const lists = (terms.length === 1 && Array.isArray(terms[0]) && (terms[0] as unknown[]).every(Array.isArray) ? (terms[0] as unknown[]) : terms).map((t) => (Array.isArray(t) ? t : [t]));
    if (!lists.length) throw new TemplateError('with_nested requires at least one element in the nested list');
    let out: unknown[][] = [[]];
    for (const l of lists) out = out.flatMap((acc) => l.map((x) => [...acc, x]));
    return out;
  },
  together: (_c, terms) => {
    const lists = terms.map((t) => (Array.isArray(t) ? t : [t]));
    const n = Math.max(0, ...lists.map((l) => l.length));
    return Array.from({ length: n }, (_x, i) => lists.map((l) => (i < l.length ? l[i] : null)));
  },
  subelements: (_c, terms, kw) => {
    const [items, key, flags] = terms;
    const skip = truthy((isDict(flags) ? flags.skip_missing : undefined) ?? kw.skip_missing ?? false);
    const out: unknown[] = [];
    for (const el of isDict(items) ? Object.values(items) : iterate(items)) {
      if (isDict(el) && truthy(el.skipped ?? false)) continue;
      // as Ansible's plugin: the sublist is popped from (a copy of) the item it came from
      const item0 = isDict(el) ? structuredClone(el) : el;
      let holder: unknown = item0;
      let cur: unknown = item0;
      const parts = str(key).split('.');
      for (const part of parts) {
        holder = cur;
        cur = isDict(cur) && Object.hasOwn(cur, part) ? cur[part] : undefined;
        if (cur === undefined) break;
      }
      if (cur === undefined) {
        if (skip) continue;
        throw new TemplateError(`could not find '${str(key)}' key in iterated item`);
      }
      if (!Array.isArray(cur)) throw new TemplateError(`the key ${str(key)} should point to a list`);
      delete (holder as Record<string, unknown>)[parts[parts.length - 1]!];
      for (const s of cur) out.push([item0, s]);
    }
    return out;
  },
  sequence: (_c, terms, kw) => (terms.length ? terms.flatMap((t) => sequence(str(t), kw)) : sequence('', kw)),
  lines: (_c, terms) =>
    terms.flatMap((t) => {
      const out = execFileSync('/bin/sh', ['-c', str(t)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return out.split(/\r?\n/).filter((l, i, a) => !(i === a.length - 1 && l === ''));
    }),
  pipe: (_c, terms) =>
    terms.map((t) => {
      try {
        return execFileSync('/bin/sh', ['-c', str(t)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).replace(/\s+$/, '');
      } catch (e) {
        throw new TemplateError(`lookup_plugin.pipe(${str(t)}) returned ${(e as { status?: number }).status ?? 1}`);
      }
    }),
  fileglob: (c, terms) =>
    terms.flatMap((t) => {
      const p = str(t);
      if (isAbsolute(p)) return glob(p);
      for (const d of c.searchDirs) {
        const hits = [...glob(join(d, 'files', p)), ...glob(join(d, p))];
        if (hits.length) return hits;
      }
      return glob(resolve(p));
    }),
  first_found: (c, terms, kw) => {
    const files: string[] = [];
    const paths: string[] = [];
    const add = (t: unknown) => {
      if (isDict(t)) {
        for (const f of [t.files ?? []].flat()) files.push(...str(f).split(/[,;]/));
        for (const p of [t.paths ?? []].flat()) paths.push(...str(p).split(/[,:;]/));
      } else if (Array.isArray(t)) t.forEach(add);
      else files.push(str(t));
    };
    terms.forEach(add);
    if (kw.files) add({ files: kw.files, paths: kw.paths ?? [] });
    else if (kw.paths) paths.push(...[kw.paths].flat().map((p) => str(p)));
    const candidates = paths.length ? files.flatMap((f) => paths.map((p) => join(p, f))) : files;
    for (const f of candidates) {
      const hit = findFile(c, f, 'files');
      if (hit) return [hit];
    }
    if (truthy(kw.skip ?? false)) return [];
    throw new TemplateError('No file was found when using first_found.');
  },
};
for (const n of Object.keys(L)) L[`ansible.builtin.${n}`] = L[n];
L.with_items = L.items;

export const LOOKUPS: Record<string, LookupFn> = L;

export function hasLookup(name: string): boolean {
  return Object.hasOwn(LOOKUPS, name);
}

/** `lookup(name, *terms, **kw)` (wantlist=False joins string results with ',') or `query(...)`. */
export function runLookup(ctx: LookupCtx, name: unknown, terms: unknown[], kw: Record<string, unknown>, wantlist: boolean): unknown {
  const n = str(need(name));
  const fn = LOOKUPS[n];
  if (!fn || !Object.hasOwn(LOOKUPS, n)) throw new TemplateError(`lookup plugin (${n}) not found`);
  const { wantlist: wl, errors, ...rest } = kw;
  terms.forEach(need);
  let ran: unknown[];
  try {
    ran = fn(ctx, terms, rest);
  } catch (e) {
    const mode = errors === undefined ? 'strict' : str(errors);
    if (mode === 'ignore' || mode === 'warn') return wantlist || truthy(wl ?? false) ? [] : null;
    throw e;
  }
  if (wantlist || truthy(wl ?? false)) return ran;
  if (!ran.length) return ran;
  if (ran.every((x) => typeof x === 'string')) return ran.join(',');
  return ran.length === 1 ? ran[0] : ran;
}

export { numOf };
