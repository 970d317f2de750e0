/** Ansible YAML inventory format: top-level groups with `hosts`, `vars`, `children` (nested). */
import { isAlias, isMap, isScalar, type Node, type Pair, type YAMLMap } from 'yaml';
import { UserError, type SourcePos } from '../errors.js';
import { InventoryData, ModelError } from './model.js';
import { expandHostPattern, RangeError_ } from './ranges.js';
import { nodePos, nodeValue, parseYaml, resolveAlias, yamlTypeName, type LoadedYaml } from './yaml-load.js';
import { duplicateKeyWarnings } from './warnings.js';

const SECTIONS = ['vars', 'children', 'hosts'];

export function parseYamlInventory(inv: InventoryData, file: string, text: string): void {
  const y = parseYaml(file, text);
  for (const w of duplicateKeyWarnings(y)) inv.warn(w);
  new YamlInventoryParser(inv, y).run();
}

class YamlInventoryParser {
  constructor(private readonly inv: InventoryData, private readonly y: LoadedYaml) {}

  private resolve(node: unknown): unknown {
    return resolveAlias(this.y, node);
  }

  private isNull(node: unknown): boolean {
    return node === null || node === undefined || (isScalar(node) && node.value === null);
  }

  private pos(node: unknown): SourcePos {
    return nodePos(this.y, node as Node);
  }

  private guard<T>(node: unknown, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof ModelError || e instanceof RangeError_) throw new UserError(e.message, this.pos(node));
      throw e;
    }
  }

  private keyString(pair: Pair, what: string): string {
    const k = this.resolve(pair.key);
    const v = isScalar(k) ? k.value : nodeValue(this.y, k);
    if (typeof v !== 'string') {
      if (what === 'host') {
        throw new UserError(`Host pattern ${String(v)} must be a string. Enclose integers/floats in quotation marks.`, this.pos(pair.key));
      }
      throw new UserError(`Invalid ${what} name supplied, expected a string but got ${yamlTypeName(v)}: ${String(v)}`, this.pos(pair.key));
    }
    return v;
  }

  run(): void {
    const root = this.resolve(this.y.doc.contents);
    if (this.isNull(root) || (isScalar(root) && root.value === '')) {
      throw new UserError('Parsed empty YAML file', { file: this.y.file, line: 1, col: 1 });
    }
    if (!isMap(root)) {
      throw new UserError(
        `YAML inventory has invalid structure, it should be a dictionary, got: ${yamlTypeName(nodeValue(this.y, root))}`,
        this.pos(root),
      );
    }
    const plugin = root.items.find((p) => isScalar(p.key) && p.key.value === 'plugin');
    if (plugin && nodeValue(this.y, plugin.value)) {
      throw new UserError('Plugin configuration YAML file, not YAML inventory (inventory plugins are not supported)', this.pos(plugin.key));
    }
    for (const pair of root.items) this.parseGroup(this.keyString(pair, 'group'), pair);
  }

  /** Entries of a section: a mapping's pairs, or a lone string turned into `{string: null}`. */
  private sectionEntries(section: unknown): { key: unknown; value: unknown; pair?: Pair }[] {
    if (isScalar(section) && typeof section.value === 'string') return [{ key: section, value: null }];
    if (isMap(section)) return (section as YAMLMap).items.map((p) => ({ key: p.key, value: p.value, pair: p }));
    return [];
  }

  private parseGroup(group: string, pair: Pair): string {
    const data = this.resolve(pair.value);
    if (!isMap(data) && !this.isNull(data)) {
      this.inv.warn(`Skipping '${group}' as this is not a valid group definition`);
      return group;
    }
    group = this.guard(pair.key, () => this.inv.addGroup(group)); // the name kept (transform_invalid_group_chars)
    if (!isMap(data)) return group;
    for (const item of data.items) {
      const key = isScalar(item.key) ? String(item.key.value) : String(nodeValue(this.y, item.key));
      const value = this.resolve(item.value);
      if (SECTIONS.includes(key)) {
        const okString = isScalar(value) && typeof value.value === 'string';
        if (!okString && !isMap(value) && !this.isNull(value)) {
          throw new UserError(
            `Invalid "${key}" entry for "${group}" group, requires a dictionary, found "${yamlTypeName(nodeValue(this.y, value))}" instead.`,
            this.pos(item.value ?? item.key),
          );
        }
      } else {
        if (!isMap(value) && !this.isNull(value)) {
          this.inv.warn(`Skipping key (${key}) in group (${group}) as it is not a mapping`);
        } else if (isMap(value)) {
          this.inv.warn(
            `Skipping unexpected key (${key}) in group (${group}), only "vars", "children" and "hosts" are valid`,
          );
        }
        continue;
      }
      if (this.isNull(value)) continue;
      const entries = this.sectionEntries(value);
      if (key === 'vars') {
        for (const e of entries) {
          const k = isScalar(e.key) ? String(e.key.value) : String(nodeValue(this.y, e.key));
          this.guard(e.key, () => this.inv.setVariable(group, k, nodeValue(this.y, this.resolve(e.value))));
        }
      } else if (key === 'children') {
        for (const e of entries) {
          const p = e.pair ?? ({ key: e.key, value: null } as unknown as Pair);
          const sub = this.parseGroup(this.keyString(p, 'group'), p);
          this.guard(e.key, () => this.inv.addChild(group, sub));
        }
      } else {
        for (const e of entries) {
          const p = e.pair ?? ({ key: e.key, value: null } as unknown as Pair);
          const pattern = this.keyString(p, 'host');
          const { hostnames, port } = this.guard(e.key, () => expandHostPattern(pattern));
          const hv = this.resolve(e.value);
          let vars: Record<string, unknown> = {};
          if (!this.isNull(hv)) {
            const js = nodeValue(this.y, hv);
            if (!isMap(hv) || js === null || typeof js !== 'object' || Array.isArray(js)) {
              throw new UserError(
                `Invalid vars for host "${pattern}" in group "${group}": expected a dictionary, got "${yamlTypeName(js)}"`,
                this.pos(e.value),
              );
            }
            vars = js as Record<string, unknown>;
          }
          for (const h of hostnames) {
            this.guard(e.key, () => this.inv.addHost(h, group, port));
            for (const [k, v] of Object.entries(vars)) this.inv.setVariable(h, k, structuredClone(v));
          }
        }
      }
    }
    return group;
  }
}
