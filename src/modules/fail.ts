import type { ModuleDef, ModuleResult } from './types.js';

/** fail: stop the host with a message. */
export const failModule: ModuleDef<{ msg: unknown }> = {
  name: 'fail',
  description: "Fail the task with a message (runs on the controller).",
  notes: "`msg` (default `Failed as requested from task`; any type, kept as given, as in Ansible). Always fails.",
  controllerOnly: true,
  argSpec: { msg: { description: "the message", type: 'raw', default: 'Failed as requested from task' } },
  async run(args) {
    return { changed: false, failed: true, msg: args.msg } as ModuleResult;
  },
};
