import { shJoin } from '../shell/quote.js';
import type { ModuleDef } from './types.js';
import { runCommand } from './lib/command.js';
import { extractInlineArgs } from './lib/shlex.js';
import { shSplit } from '../shell/split.js';

export interface CommandArgs {
  _raw_params?: string;
  cmd?: string;
  argv?: string[];
  chdir?: string;
  creates?: string;
  removes?: string;
  stdin?: string;
  stdin_add_newline: boolean;
  strip_empty_ends: boolean;
}

const INLINE = ['chdir', 'creates', 'removes', 'stdin'] as const;

/** command: run a program with arguments, no shell (words are quoted one by one). */
export const commandModule: ModuleDef<CommandArgs> = {
  name: 'command',
  freeForm: true,
  argSpec: {
    cmd: { type: 'str' },
    argv: { type: 'list', elements: 'str' },
    chdir: { type: 'path' },
    creates: { type: 'path' },
    removes: { type: 'path' },
    stdin: { type: 'str' },
    stdin_add_newline: { type: 'bool', default: true },
    strip_empty_ends: { type: 'bool', default: true },
  },
  requiredOneOf: [['_raw_params', 'cmd', 'argv']],
  mutuallyExclusive: [['_raw_params', 'cmd', 'argv']],
  async run(args, ctx) {
    let argv: string[];
    const opts: Record<string, string | undefined> = { chdir: args.chdir, creates: args.creates, removes: args.removes, stdin: args.stdin };
    try {
      if (args.argv && args.argv.length) argv = args.argv.map(String);
      else {
        let raw = String(args._raw_params ?? args.cmd ?? '');
        if (args._raw_params !== undefined) {
          const ex = extractInlineArgs(raw, INLINE);
          for (const [k, v] of Object.entries(ex.opts)) opts[k] ??= v;
          raw = ex.raw;
        }
        argv = shSplit(raw);
      }
    } catch (e) {
      return { changed: false, failed: true, msg: (e as Error).message };
    }
    if (!argv.length) return { changed: false, failed: true, msg: 'no command given' };
    return runCommand(ctx, {
      command: `exec ${shJoin(argv)}`,
      display: argv,
      chdir: opts.chdir,
      creates: opts.creates,
      removes: opts.removes,
      stdin: opts.stdin,
      stdinAddNewline: args.stdin_add_newline,
      stripEmptyEnds: args.strip_empty_ends,
    });
  },
};
