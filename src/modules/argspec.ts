import type { ArgSpec, ArgSpecEntry, ArgType } from './types.js';

export interface ArgProblem {
  /** argument name, or '' for the module as a whole */
  arg: string;
  message: string;
}

const TEMPLATE = /\{\{/;
const TRUE = new Set(['yes', 'true', 'on', '1', 'y']);
const FALSE = new Set(['no', 'false', 'off', '0', 'n']);

/**
 * Validate (and at run time coerce) module arguments against the spec, as Ansible's
 * argument_spec does. At load time (`loadTime`), a value holding a template is accepted for any
 * type, since only the host knows what it renders to.
 */
export function checkArgs(
  module: string,
  spec: ArgSpec,
  args: Record<string, unknown>,
  opts: {
    loadTime: boolean;
    freeForm?: boolean;
    anyArgs?: boolean;
    requiredOneOf?: readonly (readonly string[])[];
    mutuallyExclusive?: readonly (readonly string[])[];
    requiredTogether?: readonly (readonly string[])[];
    requiredIf?: readonly (readonly [string, unknown, readonly string[], boolean?])[];
  },
): { args: Record<string, unknown>; problems: ArgProblem[] } {
  const problems: ArgProblem[] = [];
  const out: Record<string, unknown> = {};
  const byAlias = new Map<string, string>();
  for (const [name, e] of Object.entries(spec)) {
    byAlias.set(name, name);
    for (const a of e.aliases ?? []) byAlias.set(a, name);
  }
  for (const [key, value] of Object.entries(args)) {
    if (key === '_raw_params' && opts.freeForm) {
      out[key] = value;
      continue;
    }
    const canonical = byAlias.get(key);
    if (!canonical && opts.anyArgs) {
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) out[key] = value;
      else problems.push({ arg: key, message: `'${key}' is not a valid variable name for module '${module}'` });
      continue;
    }
    if (!canonical) {
      const known = Object.keys(spec).sort().join(', ');
      problems.push({ arg: key, message: `unsupported argument '${key}' for module '${module}' (supported: ${known})` });
      continue;
    }
    const entry = spec[canonical]!;
    const coerced = coerce(value, entry, opts.loadTime);
    if (coerced.error) problems.push({ arg: key, message: `argument '${key}' of module '${module}' ${coerced.error}` });
    else out[canonical] = coerced.value;
  }
  for (const [name, e] of Object.entries(spec)) {
    if (out[name] === undefined) {
      if (e.required) problems.push({ arg: name, message: `missing required argument '${name}' for module '${module}'` });
      else if (e.default !== undefined) out[name] = e.default;
    }
  }
  for (const group of opts.requiredOneOf ?? []) {
    if (!group.some((g) => out[g] !== undefined || (g === '_raw_params' && out._raw_params !== undefined))) {
      problems.push({ arg: '', message: `module '${module}' needs one of: ${group.join(', ')}` });
    }
  }
  const given = (g: string) => out[g] !== undefined;
  const explicit = new Set(Object.keys(args).map((k) => byAlias.get(k) ?? k));
  for (const group of opts.mutuallyExclusive ?? []) {
    const both = group.filter((g) => explicit.has(g) && out[g] !== undefined);
    if (both.length > 1) problems.push({ arg: both[1]!, message: `arguments are mutually exclusive for module '${module}': ${both.join(', ')}` });
  }
  for (const group of opts.requiredTogether ?? []) {
    const have = group.filter((g) => explicit.has(g) && out[g] !== undefined);
    if (have.length > 0 && have.length < group.length) {
      problems.push({ arg: have[0]!, message: `arguments must be given together for module '${module}': ${group.join(', ')}` });
    }
  }
  for (const [arg, value, needed, anyOf] of opts.requiredIf ?? []) {
    const v = out[arg];
    if (v === undefined || (opts.loadTime && typeof v === 'string' && TEMPLATE.test(v)) || v !== value) continue;
    const missing = needed.filter((n) => !given(n));
    if (anyOf ? missing.length === needed.length : missing.length > 0) {
      problems.push({ arg, message: `${arg} is ${String(value)} but ${anyOf ? 'any' : 'all'} of the following are missing for module '${module}': ${missing.join(', ')}` });
    }
  }
  return { args: out, problems };
}

function coerce(value: unknown, entry: ArgSpecEntry, loadTime: boolean): { value?: unknown; error?: string } {
  if (value === null || value === undefined) return { value: undefined };
  if (loadTime && typeof value === 'string' && TEMPLATE.test(value)) return { value };
  const r = coerceType(value, entry.type, loadTime);
  if (r.error) return r;
  if (entry.type === 'list' && entry.elements && Array.isArray(r.value)) {
    const items: unknown[] = [];
    for (const item of r.value) {
      const c = coerce(item, { type: entry.elements }, loadTime);
      if (c.error) return { error: `has an element that ${c.error.replace(/^must be/, 'is not')}` };
      items.push(c.value);
    }
    r.value = items;
  }
  if (entry.choices && Array.isArray(r.value)) {
    // a list's choices apply to each element, as in Ansible
    const bad = r.value.filter((v) => !entry.choices!.includes(String(v)));
    if (bad.length) return { error: `must be one or more of ${entry.choices.join(', ')}, got no match for ${bad.map(String).join(', ')}` };
  } else if (entry.choices && !entry.choices.includes(String(r.value))) {
    return { error: `must be one of ${entry.choices.join(', ')}, got ${JSON.stringify(r.value)}` };
  }
  return r;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function coerceType(value: unknown, type: ArgType, loadTime: boolean): { value?: unknown; error?: string } {
  switch (type) {
    case 'raw':
      return { value };
    case 'str':
    case 'path':
      if (typeof value === 'string') return { value };
      if (typeof value === 'number' || typeof value === 'boolean') return { value: String(value) };
      return { error: `must be a string, got ${describe(value)}` };
    case 'mode':
      if (typeof value === 'number') return { value: value.toString(8).padStart(4, '0') }; // YAML 0644 is read as octal-looking int
      if (typeof value === 'string' && /^[0-7]{3,4}$|^[ugoa]*[-+=][rwxXst]*(,[ugoa]*[-+=][rwxXst]*)*$/.test(value)) return { value };
      return { error: `must be an octal mode such as '0644', got ${describe(value)}` };
    case 'int':
      if (typeof value === 'number' && Number.isInteger(value)) return { value };
      if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return { value: Number(value) };
      return { error: `must be an integer, got ${describe(value)}` };
    case 'bool':
      if (typeof value === 'boolean') return { value };
      if (typeof value === 'number' && (value === 0 || value === 1)) return { value: value === 1 };
      if (typeof value === 'string') {
        const l = value.trim().toLowerCase();
        if (TRUE.has(l)) return { value: true };
        if (FALSE.has(l)) return { value: false };
      }
      return { error: `must be a boolean, got ${describe(value)}` };
    case 'list':
      if (Array.isArray(value)) return { value };
      if (typeof value === 'string') return { value: value === '' ? [] : value.split(',').map((s) => s.trim()) };
      if (typeof value === 'number') return { value: [value] };
      return { error: `must be a list, got ${describe(value)}` };
    case 'dict':
      if (value && typeof value === 'object' && !Array.isArray(value)) return { value };
      if (!loadTime && typeof value === 'string') {
        try {
          const parsed = JSON.parse(value);
          if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return { value: parsed };
        } catch {
          /* fall through */
        }
      }
      return { error: `must be a mapping, got ${describe(value)}` };
  }
}
