/**
 * One linear pass over a parsed YAML document, before anything uses it: bounds nesting depth and
 * alias expansion (an "alias bomb" of a few lines expands to billions of nodes), resolves every
 * alias once, refuses NUL characters in strings, and optionally checks that mapping keys are unique (the yaml package's own check
 * compares each key with all earlier ones: quadratic in the size of a mapping).
 */
import { isAlias, isCollection, isPair, isScalar, type Alias, type Document, type Node } from 'yaml';
import { limit, LIMIT_ENV } from './limits.js';

export class YamlGuardError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
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
    if (isScalar(n) && typeof n.value === 'string' && n.value.includes('\0')) {
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
