import type { ModuleDef } from './types.js';
import { truthy } from '../template/jinja/py.js';

export interface AssertArgs {
  that: unknown[];
  fail_msg?: string;
  success_msg?: string;
  quiet: boolean;
}

/** assert: every expression in `that` must hold. */
export const assertModule: ModuleDef<AssertArgs> = {
  name: 'assert',
  description: "Fail unless every condition in `that` holds (runs on the controller).",
  notes: "`that` (list of expressions, evaluated with the task's variables), `fail_msg` (alias `msg`),\n`success_msg`, `quiet`. Fails with `assertion` (the first false expression) and `evaluated_to: false`.",
  controllerOnly: true,
  argSpec: {
    that: { description: "condition expressions (a string or a list), all must be true", type: 'list', required: true },
    fail_msg: { description: "message when a condition fails (alias msg)", type: 'str', aliases: ['msg'] },
    success_msg: { description: "message when all hold", type: 'str' },
    quiet: { description: "shorter result", type: 'bool', default: false },
  },
  async run(args, ctx) {
    for (const cond of args.that) {
      let ok: unknown;
      if (typeof cond === 'boolean') ok = cond;
      else {
        try {
          // Python truthiness, as Ansible's conditional: [] and {} are false
          ok = truthy(ctx.evaluate(String(cond)));
        } catch (e) {
          return { changed: false, failed: true, assertion: cond, msg: `error evaluating ${JSON.stringify(cond)}: ${(e as Error).message}` };
        }
      }
      if (!ok) return { changed: false, failed: true, assertion: cond, evaluated_to: false, msg: args.fail_msg ?? 'Assertion failed' };
    }
    // quiet: nothing to show on success.
    return args.quiet ? { changed: false } : { changed: false, msg: args.success_msg ?? 'All assertions passed' };
  },
};
