import type { ModuleDef } from './types.js';

/** fail: stop the host with a message. */
export const failModule: ModuleDef<{ msg: string }> = {
  name: 'fail',
  controllerOnly: true,
  argSpec: { msg: { type: 'str', default: 'Failed as requested from task' } },
  async run(args) {
    return { changed: false, failed: true, msg: args.msg };
  },
};
