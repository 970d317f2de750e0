/**
 * One linear pass over a parsed YAML document, before anything uses it: bounds nesting depth and
 * alias expansion (an "alias bomb" of a few lines expands to billions of nodes), resolves every
 * alias once, refuses NUL characters in strings (outside templates), and optionally checks that mapping keys are unique (the yaml package's own check
 * compares each key with all earlier ones: quadratic in the size of a mapping).
 */
import { isAlias, isCollection, isMap, isPair, isScalar, isSeq, YAMLMap, YAMLSeq, type Alias, type Document, type Node } from 'yaml';
import { UserError } from './errors.js';
import { limit, LIMIT_ENV } from './limits.js';

export class YamlGuardError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

/**
 * A NUL no command, file name or environment can take; one inside a template is a character of
 * the expression (kubespray: `regex_replace('/|\0|:', '_')`), and what the template renders is
 * checked where it is used (module arguments and environment, at run time), as Ansible loads it.
 */
export function hasBareNul(s: string): boolean {
  return s.includes('\0') && !/\{\{|\{%/.test(s);
}

export interface GuardOptions {
  uniqueKeys?: boolean;
}

/** Checks `doc`; returns each alias's target node. Throws YamlGuardError at the offending node. */
export function guardYaml(doc: Document, opts: GuardOptions = {}): Map<Alias, Node> {
  const maxDepth = limit('yamlDepth');
  const maxAliasNodes = limit('yamlAliasNodes');
  const anchors = new Map<string, Node>();
  const sizes = new Map<Node, number>();
  const open = new Set<Node>();
  const targets = new Map<Alias, Node>();
  let aliasNodes = 0;
  const at = (n: unknown) => (n as Node | null)?.range?.[0] ?? 0;

  // returns the node's size once every alias in it is expanded
  const walk = (node: unknown, depth: number): number => {
    if (node === null || node === undefined) return 0;
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (!target) throw new YamlGuardError(`alias *${node.source} has no anchor &${node.source} before it`, at(node));
      if (open.has(target)) throw new YamlGuardError(`alias *${node.source} refers to a node that contains it`, at(node));
      targets.set(node, target);
      const size = sizes.get(target) ?? 1;
      aliasNodes += size;
      if (aliasNodes > maxAliasNodes) {
        throw new YamlGuardError(
          `aliases expand to more than ${maxAliasNodes} nodes (alias *${node.source} here; a resource exhaustion attack?); ` +
            `the limit is set by ${LIMIT_ENV.yamlAliasNodes}`,
          at(node),
        );
      }
      return size;
    }
    const n = node as Node;
    if (n.anchor) {
      anchors.set(n.anchor, n);
      open.add(n);
    }
    let size = 1;
    if (isScalar(n) && typeof n.value === 'string' && hasBareNul(n.value)) {
      throw new YamlGuardError('a string holds a NUL character, which no command, file name or environment variable can take', at(n));
    }
    if (isCollection(n)) {
      if (depth >= maxDepth) throw new YamlGuardError(depthMessage(maxDepth), at(n));
      const seen = opts.uniqueKeys ? new Set<unknown>() : undefined;
      for (const item of n.items as unknown[]) {
        if (isPair(item)) {
          const key = item.key;
          if (seen && isScalar(key) && typeof key.value !== 'symbol') {
            if (seen.has(key.value)) throw new YamlGuardError('Map keys must be unique', at(key));
            seen.add(key.value);
          }
          size += walk(key, depth + 1) + walk(item.value, depth + 1);
        } else size += walk(item, depth + 1);
      }
    }
    if (n.anchor) {
      open.delete(n);
      sizes.set(n, size);
    }
    return size;
  };
  walk(doc.contents, 0);
  return targets;
}

export function depthMessage(maxDepth: number): string {
  return `YAML nested more than ${maxDepth} levels deep; the limit is set by ${LIMIT_ENV.yamlDepth}`;
}

/** The yaml parser recurses per nesting level: on a stack overflow it reports this error. */
export function isStackOverflow(message: string): boolean {
  return /Maximum call stack size exceeded/i.test(message);
}

/**
 * A node's plain JavaScript value, like the yaml package's `toJS` (merge keys, aliases shared by
 * reference), but resolving aliases through the guard's map: `toJS` looks an alias up by scanning
 * every anchor and alias of the document, once per alias, which is quadratic for an inventory
 * whose 100k hosts each merge `<<: *defaults`.
 */
export function toPlain(doc: Document, node: unknown, aliases: Map<Alias, Node>): unknown {
  const memo = new Map<Node, unknown>();
  const conv = (n: unknown): unknown => {
    if (n === null || n === undefined) return null;
    if (isAlias(n)) {
      const target = aliases.get(n);
      return target ? conv(target) : (n.resolve(doc) as Node | undefined)?.toJS(doc, { maxAliasCount: -1 });
    }
    const x = n as Node;
    if (x.anchor && memo.has(x)) return memo.get(x);
    let out: unknown;
    if (isScalar(x)) out = x.value;
    else if (isMap(x) && x.constructor === YAMLMap) {
      const obj: Record<string, unknown> = {};
      if (x.anchor) memo.set(x, obj);
      const set = (k: string, v: unknown) => {
        if (k === '__proto__') Object.defineProperty(obj, k, { value: v, writable: true, enumerable: true, configurable: true });
        else obj[k] = v;
      };
      for (const pair of x.items) {
        const key = pair.key;
        if (isScalar(key) && typeof key.value === 'symbol') {
          // merge key: a mapping or a list of mappings; keys already present win
          const src = isAlias(pair.value) ? aliases.get(pair.value) : (pair.value as Node | null);
          const sources = isSeq(src) ? src.items : [src];
          for (const s of sources) {
            const merged = conv(s);
            if (!merged || typeof merged !== 'object' || Array.isArray(merged)) throw new UserError('Merge sources must be maps or map aliases');
            for (const [k, v] of Object.entries(merged)) if (!Object.prototype.hasOwnProperty.call(obj, k)) set(k, v);
          }
          continue;
        }
        const k = isScalar(key) ? key.value : conv(key);
        set(k === null || k === undefined ? '' : typeof k === 'object' && !(k instanceof Date) ? JSON.stringify(k) : String(k), conv(pair.value));
      }
      out = obj;
    } else if (isSeq(x) && x.constructor === YAMLSeq) {
      const arr: unknown[] = [];
      if (x.anchor) memo.set(x, arr);
      for (const item of x.items) arr.push(conv(item));
      out = arr;
    } else out = x.toJS(doc, { maxAliasCount: -1 }); // !!set, !!omap, !!pairs: rare, the package's own way
    if (x.anchor) memo.set(x, out);
    return out;
  };
  return conv(node);
}
