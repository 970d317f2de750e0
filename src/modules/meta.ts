import type { ModuleDef, ModuleResult } from './types.js';

const ACTIONS = ['flush_handlers', 'end_play', 'end_host', 'noop', 'clear_host_errors', 'refresh_inventory'] as const;

/** meta: an instruction for the runner, returned in `result.meta`. */
export const metaModule: ModuleDef<{ _raw_params?: string }> = {
  name: 'meta',
  description: "Runner instructions: flush_handlers, end_play, end_host, noop, clear_host_errors, refresh_inventory.",
  notes: "Free form: `flush_handlers`, `end_play`, `end_host`, `noop`, `clear_host_errors`,\n`refresh_inventory` \u2192 `result.meta`, acted on by the runner.",
  controllerOnly: true,
  freeForm: true,
  argSpec: {},
  requiredOneOf: [['_raw_params']],
  async run(args) {
    const action = String(args._raw_params ?? '').trim();
    if (!(ACTIONS as readonly string[]).includes(action)) {
      return { changed: false, failed: true, msg: `invalid meta action '${action}' (one of: ${ACTIONS.join(', ')})` };
    }
    return { changed: false, meta: action as ModuleResult['meta'] };
  },
};
