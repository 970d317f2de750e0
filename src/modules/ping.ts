import type { ModuleDef } from './types.js';
import { runPython } from './lib/py.js';

/** Like Ansible's: proves the host runs a module (here: its Python answers in one round trip). */
const BODY = String.raw`
def main():
    if ARGS['data'] == 'crash':
        raise Exception('boom')
    return {'changed': False, 'ping': ARGS['data']}
`;

export const pingModule: ModuleDef = {
  name: 'ping',
  description: "Try to reach the host and run a module there (Python); returns 'pong'.",
  checkMode: 'full',
  argSpec: { data: { type: 'str', default: 'pong', description: "what to return as ping; 'crash' makes the module fail" } },
  returns: { ping: 'the data argument' },
  run: (args, ctx) => runPython(ctx, 'ping', BODY, args),
};
