import { shQuote } from '../shell/quote.js';
import type { ModuleDef } from './types.js';
import { lines } from './lib/exec.js';

/** raw: the text goes to the host's shell as it is (no Python needed, e.g. to install Python). */
export const rawModule: ModuleDef<{ _raw_params?: string; executable?: string }> = {
  name: 'raw',
  description: 'Run a command through the remote shell as it is, without any module machinery (no Python needed).',
  notes: 'Always `changed`; `failed` with `msg: non-zero return code` when rc != 0; skipped in check mode, as in Ansible.\nAs with Ansible over OpenSSH (a TTY), stderr arrives in stdout; unlike it, no TTY is allocated, so lines end in `\\n`, not `\\r\\n`.',
  checkMode: 'none',
  freeForm: true,
  argSpec: { executable: { type: 'str', description: 'the shell to run the text with (default: the login shell, /bin/sh -c)' } },
  requiredOneOf: [['_raw_params']],
  returns: { rc: 'exit status', stdout: 'standard output', stdout_lines: 'stdout split into lines', stderr: 'standard error', stderr_lines: 'stderr split into lines' },
  async run(args, ctx) {
    if (ctx.check) return { changed: false, skipped: true };
    const text = String(args._raw_params ?? '');
    // Ansible runs raw on a TTY (ssh -tt), where stderr arrives in stdout: so does ours
    const command = args.executable ? `exec 2>&1 ${shQuote(args.executable)} -c ${shQuote(text)}` : `exec 2>&1\n${text}`;
    const r = await ctx.conn.exec(command, { become: ctx.become });
    const res = { changed: true, rc: r.code, stdout: r.stdout, stdout_lines: lines(r.stdout), stderr: r.stderr, stderr_lines: lines(r.stderr) };
    if (r.code !== 0) return { ...res, failed: true, msg: 'non-zero return code' };
    return res;
  },
};
