import { shQuote } from '../shell/quote.js';
import type { ModuleDef } from './types.js';
import { runCommand } from './lib/command.js';
import { extractInlineArgs } from './lib/shlex.js';

export interface ShellArgs {
  _raw_params?: string;
  cmd?: string;
  chdir?: string;
  creates?: string;
  removes?: string;
  executable?: string;
  stdin?: string;
  stdin_add_newline: boolean;
  strip_empty_ends: boolean;
}

const INLINE = ['chdir', 'creates', 'removes', 'executable', 'stdin'] as const;

/** shell: run a script through /bin/sh (or `executable`), pipes and redirections allowed. */
export const shellModule: ModuleDef<ShellArgs> = {
  name: 'shell',
  description: "Run a command through the shell on the host.",
  notes: "Like `command`, but the text runs through `/bin/sh -c` (or `executable`, e.g. `/bin/bash`), so pipes,\nredirections and variables work. Arguments: free form or `cmd`, `chdir`, `creates`, `removes`,\n`executable`, `stdin`, `stdin_add_newline`, `strip_empty_ends`. Trailing `key=value` words for those\nkeys in the free form are taken as options. Same return values.",
  freeForm: true,
  argSpec: {
    cmd: { description: "the command text", type: 'str' },
    chdir: { description: "change into this directory first", type: 'path' },
    creates: { description: "skip when this path (glob) exists", type: 'path' },
    removes: { description: "skip when this path (glob) does not exist", type: 'path' },
    executable: { description: "the shell to use (default /bin/sh)", type: 'path' },
    stdin: { description: "text fed to the command", type: 'str' },
    stdin_add_newline: { description: "add a newline to stdin", type: 'bool', default: true },
    strip_empty_ends: { description: "strip trailing newlines from stdout/stderr", type: 'bool', default: true },
  },
  requiredOneOf: [['_raw_params', 'cmd']],
  mutuallyExclusive: [['_raw_params', 'cmd']],
  async run(args, ctx) {
    const opts: Record<string, string | undefined> = { chdir: args.chdir, creates: args.creates, removes: args.removes, executable: args.executable, stdin: args.stdin };
    let script = String(args._raw_params ?? args.cmd ?? '');
    if (args._raw_params !== undefined) {
      // Only a trailing run of key=value words counts as options in the shell module's free form.
      const m = /^([\s\S]*?)((?:\s+(?:chdir|creates|removes|executable|stdin)=(?:'[^']*'|"[^"]*"|\S+))+)\s*$/.exec(' ' + script);
      if (m) {
        const ex = extractInlineArgs(m[2]!, INLINE);
        for (const [k, v] of Object.entries(ex.opts)) opts[k] ??= v;
        script = m[1]!.trim();
      }
    }
    if (!script.trim()) return { changed: false, failed: true, msg: 'no command given' };
    const exe = opts.executable || '/bin/sh';
    return runCommand(ctx, {
      command: `exec ${shQuote(exe)} -c ${shQuote(script)}`,
      display: script,
      chdir: opts.chdir,
      creates: opts.creates,
      removes: opts.removes,
      stdin: opts.stdin,
      stdinAddNewline: args.stdin_add_newline,
      stripEmptyEnds: args.strip_empty_ends,
    });
  },
};
