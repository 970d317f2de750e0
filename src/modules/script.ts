import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { shQuote } from '../shell/quote.js';
import { shSplit } from '../shell/split.js';
import type { ModuleDef, ModuleResult } from './types.js';
import { lines } from './lib/exec.js';
import { extractInlineArgs } from './lib/shlex.js';

export interface ScriptArgs {
  _raw_params?: string;
  cmd?: string;
  chdir?: string;
  creates?: string;
  removes?: string;
  executable?: string;
  decrypt: boolean;
}

const INLINE = ['chdir', 'creates', 'removes', 'executable', 'decrypt'] as const;

/**
 * script: a controller file copied to a private temporary directory on the host and run there with
 * its arguments; the copy, creates/removes, chdir, the run and the clean-up are one round trip
 * (the script travels on stdin, which is at its end when the script starts, as in Ansible).
 */
export const scriptModule: ModuleDef<ScriptArgs> = {
  name: 'script',
  description: 'Copy a local script (role files/, then the playbook dir) to the host and run it with its arguments.',
  notes:
    'The free form (or `cmd`) is the script path and its arguments; inline `chdir=`, `creates=`, `removes=` and `executable=`\n' +
    'words are taken out, as in Ansible. `creates`/`removes` skip the task; `chdir` must be absolute; `executable` runs\n' +
    'the script with that interpreter, otherwise it is made executable and run by its own `#!` line. The task `environment`\n' +
    'applies. Always `changed` when it ran; `failed` with `msg: non-zero return code` when rc != 0. Check mode: skipped,\n' +
    'unless creates/removes are given (then changed, without running). Returns `rc, stdout, stdout_lines, stderr, stderr_lines`.\n\n' +
    'Differences: as with Ansible over OpenSSH (a TTY), stderr arrives in stdout, but no TTY is allocated, so lines end\n' +
    'in `\\n`, not `\\r\\n`. A vault-encrypted script is not decrypted (`decrypt` is accepted).',
  checkMode: 'partial',
  freeForm: true,
  argSpec: {
    cmd: { type: 'str', description: 'the script path and its arguments (instead of the free form)' },
    chdir: { type: 'str', description: 'absolute directory to run the script in' },
    creates: { type: 'str', description: 'skip when this path exists on the host' },
    removes: { type: 'str', description: 'skip when this path does not exist on the host' },
    executable: { type: 'str', description: 'interpreter to run the script with' },
    decrypt: { type: 'bool', default: true, description: 'accepted (vault-encrypted scripts are not supported)' },
  },
  requiredOneOf: [['_raw_params', 'cmd']],
  returns: { rc: 'exit status', stdout: 'output (stderr merged in)', stdout_lines: 'stdout split into lines', stderr: 'standard error (empty)', stderr_lines: 'stderr split into lines' },
  async run(args, ctx) {
    const opts: Record<string, string | undefined> = { chdir: args.chdir, creates: args.creates, removes: args.removes, executable: args.executable };
    let raw = String(args._raw_params ?? args.cmd ?? '').trim();
    if (args._raw_params !== undefined) {
      const ex = extractInlineArgs(raw, INLINE);
      for (const [k, v] of Object.entries(ex.opts)) opts[k] ??= v;
      raw = ex.raw;
    }
    let parts: string[];
    try {
      parts = shSplit(raw);
    } catch (e) {
      return { changed: false, failed: true, msg: (e as Error).message };
    }
    if (!parts.length) return { changed: false, failed: true, msg: 'no script given' };
    if (opts.chdir && !opts.chdir.startsWith('/')) {
      return { changed: false, failed: true, msg: `chdir ${opts.chdir} must be an absolute path for a Unix-aware remote node` };
    }
    const source = parts[0]!;
    let content: Buffer;
    try {
      content = await readFile(ctx.findFile('files', source));
    } catch (e) {
      return { changed: false, failed: true, msg: `Could not find or access '${source}': ${(e as Error).message}` };
    }
    const skip = `@@ww-skip-${randomBytes(6).toString('hex')}`;
    const checks = [
      opts.creates ? `[ -e ${shQuote(opts.creates)} ] && { printf '%s\\n' ${shQuote(`${skip} ${opts.creates} exists, matching creates option`)}; exit 0; }` : '',
      opts.removes ? `[ -e ${shQuote(opts.removes)} ] || { printf '%s\\n' ${shQuote(`${skip} ${opts.removes} does not exist, matching removes option`)}; exit 0; }` : '',
    ].filter(Boolean);
    if (ctx.check) {
      const r = checks.length ? await ctx.conn.exec(checks.join('\n'), { become: ctx.become }) : undefined;
      const m = r && r.stdout.indexOf(skip);
      if (r && m !== undefined && m >= 0) return { changed: false, skipped: true, msg: r.stdout.slice(m + skip.length + 1).split('\n')[0] };
      if (checks.length) return { changed: true };
      return { changed: false, skipped: true, msg: 'Check mode is not supported for this task.' };
    }
    // the script's own arguments keep their quoting: the raw text with the path replaced (as Ansible)
    const name = basename(source);
    const command = raw.replace(source, `"$ww_d"/${shQuote(name)}`);
    const script = [
      ...checks,
      `ww_d=$(mktemp -d "\${TMPDIR:-/tmp}/ww-script-XXXXXXXX") || exit 125`,
      `trap 'rm -rf "$ww_d"' EXIT`,
      `cat > "$ww_d"/${shQuote(name)} && chmod 0700 "$ww_d"/${shQuote(name)} || exit 125`,
      opts.chdir ? `cd ${shQuote(opts.chdir)} || exit 1` : '',
      `exec 2>&1`,
      `${opts.executable ? `${opts.executable} ` : ''}${command}`,
    ].filter(Boolean).join('\n');
    const r = await ctx.conn.exec(script, { become: ctx.become, env: ctx.env, stdin: content });
    const at = r.stdout.indexOf(skip);
    if (at >= 0) return { changed: false, skipped: true, msg: r.stdout.slice(at + skip.length + 1).split('\n')[0] };
    const res: ModuleResult = { changed: true, rc: r.code, stdout: r.stdout, stdout_lines: lines(r.stdout), stderr: r.stderr, stderr_lines: lines(r.stderr) };
    if (r.code !== 0) return { ...res, failed: true, msg: 'non-zero return code' };
    return res;
  },
};
