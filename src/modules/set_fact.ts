import type { ModuleDef } from './types.js';

/**
 * set_fact: every argument becomes a host fact. Takes ANY key, which ArgSpec cannot express:
 * `anyArgs` marks it for the loader (see docs/modules.md); `cacheable` is accepted and ignored.
 */
export const setFactModule: ModuleDef<Record<string, unknown>> & { anyArgs: true } = {
  name: 'set_fact',
  description: "Set host variables (runs on the controller).",
  notes: "Any `key: value` becomes a fact of the host (`ansible_facts`); `cacheable` is accepted and ignored.\nThe module is marked `anyArgs: true` (not part of the `ModuleDef` type): only its declared arguments\nare type-checked, every other key must be a valid variable name.",
  controllerOnly: true,
  anyArgs: true,
  argSpec: { cacheable: { description: "accepted; facts are not cached between runs", type: 'bool', default: false } },
  async run(args) {
    const facts: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(args)) {
      if (k === 'cacheable' || k === '_raw_params') continue;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) return { changed: false, failed: true, msg: `invalid variable name '${k}': only letters, digits and underscores, not starting with a digit` };
      facts[k] = v;
    }
    return { changed: false, ansible_facts: facts };
  },
};
