import type { ModuleDef } from './types.js';
import { execFailure, run } from './lib/exec.js';
import { composeFactsScript, filterFacts, parseFactsOutput, subsetOptions } from './lib/facts.js';

export interface SetupArgs {
  gather_subset?: string[];
  filter?: string[];
  gather_timeout: number;
}

/** setup: gather facts in one remote /bin/sh script. */
export const setupModule: ModuleDef<SetupArgs> = {
  name: 'setup',
  aliases: ['gather_facts'],
  argSpec: {
    gather_subset: { type: 'list', elements: 'str' },
    filter: { type: 'list', elements: 'str' },
    gather_timeout: { type: 'int', default: 10 },
  },
  async run(args, ctx) {
    // Facts are read-only: gather them in check mode too.
    const r = await run(ctx, composeFactsScript(subsetOptions(args.gather_subset)), undefined, args.gather_timeout * 1000);
    if (r.code !== 0) return execFailure('gathering facts', r);
    const facts = parseFactsOutput(r.stdout);
    return { changed: false, ansible_facts: filterFacts(facts, args.filter ?? []) };
  },
};
