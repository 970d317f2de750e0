import type { ModuleDef } from './types.js';

/** fail: stop the host with a message. */
export const failModule: ModuleDef<{ msg: string }> = {
  name: 'fail',
  description: "Fail the task with a message (runs on the controller).",
  notes: "`msg` (default `Failed as requested from task`). Always fails.",
  controllerOnly: true,
  argSpec: { msg: { description: "the message", type: 'str', default: 'Failed as requested from task' } },
  async run(args) {
    return { changed: false, failed: true, msg: args.msg };
  },
};
