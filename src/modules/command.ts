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
  description: "Run a program on the host without a shell.",
  notes: "Runs a program without a shell: the free form is split like `shlex.split` and each word is quoted.\n\nInline `chdir=\u2026 creates=\u2026 removes=\u2026 stdin=\u2026` words in the free form are recognised, as in Ansible.\n\nReturns `cmd, rc, stdout, stderr, stdout_lines, stderr_lines, start, end, delta`; always\n`changed: true` when it ran; `failed` when `rc != 0` (`msg` ends with the tail of stderr). In check\nmode: `skipped`, unless `creates`/`removes` decide (then `ok`, or `changed` \"would have run\").",
  freeForm: true,
  argSpec: {
    cmd: { description: "the command line (split like shlex)", type: 'str' },
    argv: { description: "the command as a list, used verbatim", type: 'list', elements: 'str' },
    chdir: { description: "change into this directory first", type: 'path' },
    creates: { description: "skip when this path (glob) exists", type: 'path' },
    removes: { description: "skip when this path (glob) does not exist", type: 'path' },
    stdin: { description: "text fed to the command", type: 'str' },
    stdin_add_newline: { description: "add a newline to stdin", type: 'bool', default: true },
    strip_empty_ends: { description: "strip trailing newlines from stdout/stderr", type: 'bool', default: true },
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
