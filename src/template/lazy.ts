/**
 * Lazy variable scopes: layered variables where later layers win and template strings are
 * rendered on first access with the scope itself, so variables can use other variables
 * (in any layer), like Ansible's lazy templating.
 */
import { renderValue, hasTemplate } from './render.js';
import { isPlainObject } from './helpers.js';
import { TemplateError, type TemplateWhere } from './undefined.js';
import { OPAQUE } from './jinja/py.js';
import { limit, LIMIT_ENV } from '../limits.js';

const scopes = new WeakSet<object>();

/** Values known to hold no template (magic variables such as groups, hostvars, play hosts). */
const plain = new WeakSet<object>();

/**
 * Marks a value (an object or array) as holding no template, so a scope does not walk it: the
 * `groups` map or `hostvars` of 100k hosts would otherwise be walked once per host and task.
 */
export function markPlain<T extends object>(value: T): T {
  plain.add(value);
  OPAQUE.add(value);
  return value;
}

/** Variables being rendered right now (across all scopes), to report reference cycles. */
const active: Array<{ scope: object; name: string }> = [];

function own(o: Record<string, unknown>, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k) && o[k] !== undefined;
}

/**
 * A read-only, plain-looking object over `layers` (lowest first). Values holding `{{` are
 * rendered on first access (deeply for lists/dicts) and memoized; a reference cycle is a
 * UserError naming the chain (`a -> b -> a`). Keys whose value is `undefined` are absent.
 */
export function createVarScope(layers: Record<string, unknown>[], where?: TemplateWhere): Record<string, unknown> {
  const memo = new Map<string, unknown>();
  const find = (name: string): { value: unknown } | undefined => {
    for (let i = layers.length - 1; i >= 0; i--) if (layers[i] && own(layers[i], name)) return { value: layers[i][name] };
    return undefined;
  };
  const resolve = (name: string): unknown => {
    if (memo.has(name)) return memo.get(name);
    const raw = find(name);
    if (!raw) return undefined;
    if ((typeof raw.value === 'object' && raw.value !== null && plain.has(raw.value)) || !hasTemplate(raw.value)) {
      memo.set(name, raw.value);
      return raw.value;
    }
    const at = active.findIndex((a) => a.scope === proxy && a.name === name);
    if (at >= 0) {
      const chain = [...active.slice(at).filter((a) => a.scope === proxy).map((a) => a.name), name];
      throw new TemplateError(`variable reference cycle: ${chain.join(' -> ')}`);
    }
    if (active.length >= limit('varDepth')) {
      const names = [...active.map((a) => a.name), name];
      const shown = names.length > 8 ? [...names.slice(0, 4), '...', ...names.slice(-3)] : names;
      throw new TemplateError(
        `variables refer to variables more than ${limit('varDepth')} deep: ${shown.join(' -> ')} (the limit is set by ${LIMIT_ENV.varDepth})`,
      );
    }
    active.push({ scope: proxy, name });
    let value: unknown;
    try {
      value = renderValue(raw.value, proxy, where);
    } finally {
      active.pop();
    }
    memo.set(name, value);
    return value;
  };
  const keys = (): string[] => {
    const seen = new Set<string>();
    for (const layer of layers) if (layer) for (const k of Object.keys(layer)) if (layer[k] !== undefined) seen.add(k);
    return [...seen];
  };
  const proxy: Record<string, unknown> = new Proxy({} as Record<string, unknown>, {
    get: (_t, key) => (typeof key === 'string' ? resolve(key) : undefined),
    has: (_t, key) => typeof key === 'string' && find(key) !== undefined,
    ownKeys: () => keys(),
    getOwnPropertyDescriptor: (_t, key) =>
      typeof key === 'string' && find(key) !== undefined
        ? { get: () => resolve(key), set: undefined, enumerable: true, configurable: true }
        : undefined,
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
    setPrototypeOf: () => false,
  });
  scopes.add(proxy);
  // the engine's results are not walked into scopes (that would render every variable)
  OPAQUE.add(proxy);
  return proxy;
}

export function isVarScope(v: unknown): boolean {
  return typeof v === 'object' && v !== null && scopes.has(v);
}

/**
 * A fully rendered plain copy of a scope (or of any value holding scopes, e.g. hostvars), for
 * `debug: var=...` output and JSON. Throws the first rendering error.
 */
export function materialize(value: unknown, seen: Set<object> = new Set()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '<recursive>';
  const isScope = scopes.has(value);
  if (!isScope && !Array.isArray(value) && !isPlainObject(value)) return value;
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => materialize(v, seen));
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) out[k] = materialize((value as Record<string, unknown>)[k], seen);
    return out;
  } finally {
    seen.delete(value);
  }
}
