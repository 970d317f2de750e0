import { randomBytes } from 'node:crypto';
import { shQuote } from '../../shell/quote.js';
import type { ModuleContext, ModuleResult } from '../types.js';
import { lines, run, tail } from './exec.js';

export interface CommandSpec {
  /** The final shell text to run (already quoted as needed). */
  command: string;
  /** For the result's `cmd`. */
  display: string | string[];
  chdir?: string;
  creates?: string;
  removes?: string;
  stdin?: string;
  stdinAddNewline: boolean;
  stripEmptyEnds: boolean;
}

/** Quote a glob: everything literal except * and ? (Ansible's creates/removes are globs). */
export function quoteGlob(pattern: string): string {
  return pattern
    .split(/([*?])/)
    .map((part) => (part === '*' || part === '?' ? part : part === '' ? '' : shQuote(part)))
    .join('');
}

/**
 * One script: cd to chdir, test creates/removes (printing a marker and stopping when they say the
 * command must not run), then exec the command. Pure: unit-testable.
 */
export function composeCommandScript(spec: CommandSpec, marker: string, check: boolean): string {
  const parts: string[] = [`ww_exists() { for f in "$@"; do if [ -e "$f" ] || [ -L "$f" ]; then return 0; fi; done; return 1; }`];
  if (spec.chdir) parts.push(`cd ${shQuote(spec.chdir)} || { echo "Unable to change directory before execution: ${spec.chdir.replace(/["\\$`]/g, '\\$&')}" >&2; exit 1; }`);
  if (spec.creates) parts.push(`if ww_exists ${quoteGlob(spec.creates)}; then echo ${marker}creates; exit 0; fi`);
  if (spec.removes) parts.push(`if ! ww_exists ${quoteGlob(spec.removes)}; then echo ${marker}removes; exit 0; fi`);
  if (check) parts.push(`echo ${marker}wouldrun; exit 0`);
  else parts.push(spec.command);
  return parts.join('\n');
}

export async function runCommand(ctx: ModuleContext, spec: CommandSpec): Promise<ModuleResult> {
  const marker = `@@ww-skip-${randomBytes(6).toString('hex')}-`;
  const decides = !!(spec.creates || spec.removes);
  if (ctx.check && !decides) {
    return { changed: false, skipped: true, msg: 'Command would have run if not in check mode', rc: 0 };
  }
  let stdin = spec.stdin;
  if (stdin !== undefined && spec.stdinAddNewline && !stdin.endsWith('\n')) stdin += '\n';
  const start = new Date();
  const r = await run(ctx, composeCommandScript(spec, marker, ctx.check), stdin);
  const end = new Date();
  const out = r.stdout.trim();
  if (r.code === 0 && out.startsWith(marker)) {
    const why = out.slice(marker.length);
    if (why === 'creates') return { changed: false, rc: 0, cmd: spec.display, stdout: `skipped, since ${spec.creates} exists`, stdout_lines: [`skipped, since ${spec.creates} exists`], stderr: '', stderr_lines: [], msg: `Did not run command since '${spec.creates}' exists` };
    if (why === 'removes') return { changed: false, rc: 0, cmd: spec.display, stdout: `skipped, since ${spec.removes} does not exist`, stdout_lines: [`skipped, since ${spec.removes} does not exist`], stderr: '', stderr_lines: [], msg: `Did not run command since '${spec.removes}' does not exist` };
    return { changed: true, rc: 0, cmd: spec.display, msg: 'Command would have run if not in check mode', stdout: '', stdout_lines: [], stderr: '', stderr_lines: [] };
  }
  let stdout = r.stdout;
  let stderr = r.stderr;
  if (spec.stripEmptyEnds) {
    stdout = stdout.replace(/[\r\n]+$/, '');
    stderr = stderr.replace(/[\r\n]+$/, '');
  }
  const result: ModuleResult = {
    changed: true,
    rc: r.code,
    cmd: spec.display,
    stdout,
    stderr,
    stdout_lines: lines(stdout),
    stderr_lines: lines(stderr),
    start: start.toISOString(),
    end: end.toISOString(),
    delta: `${((end.getTime() - start.getTime()) / 1000).toFixed(3)}s`,
    msg: '', // as Ansible's command module
  };
  if (r.code !== 0) {
    result.failed = true;
    const t = tail(stderr) || tail(stdout);
    // Ansible's words (the output shows rc and the stderr tail next to them)
    result.msg = r.code === null ? `command did not complete${r.signal ? ` (signal ${r.signal})` : ''}${t ? `: ${t}` : ''}` : 'non-zero return code';
  }
  return result;
}

