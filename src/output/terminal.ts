import type { RunEvent, EventSink } from '../runner/events.js';
import type { ModuleResult } from '../modules/types.js';
import { maskArgs } from '../runner/trace.js';
import { pyJsonDumps } from '../template/jinja/dump.js';

export interface TerminalOptions {
  verbosity: number;
  color: boolean;
  write: (text: string) => void;
}

const C = { green: 32, yellow: 33, red: 31, cyan: 36, magenta: 35, gray: 90 } as const;

/**
 * Ansible-like human output. Under `linear` every result comes while its task's header is the last
 * one shown; under `free` a host's result can come after another task's header: then, as Ansible's
 * default callback does, the result's task header is shown again above it.
 */
export function terminalSink(o: TerminalOptions): EventSink {
  const paint = (c: keyof typeof C, s: string) => (o.color ? `\x1b[${C[c]}m${s}\x1b[0m` : s);
  const line = (s = '') => o.write(s + '\n');
  /** the task whose header was shown last (its file:line, else its name) */
  let lastTask = '';
  const header = (task: string, role: string | undefined, handler: boolean) => {
    const label = `${handler ? 'RUNNING HANDLER' : 'TASK'} [${role ? `${role} : ` : ''}${task}]`;
    line(`\n${label} ${'*'.repeat(Math.max(3, 70 - label.length))}`);
  };
  return (e: RunEvent) => {
    switch (e.type) {
      case 'play_start':
        line(`\nPLAY [${e.play}] ${'*'.repeat(Math.max(3, 60 - e.play.length))}`);
        break;
      case 'batch_start':
        line(paint('gray', `batch: ${e.hosts.join(', ')}`));
        break;
      case 'task_start': {
        header(e.task, e.role, e.handler);
        if (o.verbosity >= 2 && e.file) line(paint('gray', `task path: ${e.file}${e.line ? `:${e.line}` : ''}`));
        lastTask = taskKey(e.file ? `${e.file}:${e.line}` : undefined, e.task, e.handler);
        break;
      }
      case 'host_result': {
        if (e.aggregate && e.status !== 'failed') break; // items were already shown
        const where = `[${e.host}${e.delegatedTo ? ` -> ${e.delegatedTo}` : ''}]`;
        const item = e.item !== undefined ? ` => (item=${e.label ?? short(e.item)})` : '';
        const key = taskKey(e.path, e.task, e.handler);
        if (key !== lastTask) {
          // strategy free: another task's header came in between
          header(e.task, e.role, e.handler);
          lastTask = key;
        }
        const r = e.result;
        let text: string;
        switch (e.status) {
          case 'ok':
            text = paint('green', `ok: ${where}${item}`);
            break;
          case 'changed':
            text = paint('yellow', `changed: ${where}${item}`);
            break;
          case 'skipped':
            text = paint('cyan', `skipping: ${where}${item}`);
            break;
          case 'unreachable':
            text = paint('red', `fatal: ${where}: UNREACHABLE! ${r.msg ?? ''}`);
            break;
          case 'failed':
            // as Ansible's default callback: `failed:` for a loop item, `fatal:` for a task (ignored or not)
            text = paint('red', `${e.item !== undefined ? 'failed' : 'fatal'}: ${where}${item}: FAILED! ${failureText(r)}`) + (e.ignored ? paint('cyan', '\n...ignoring') : '');
            break;
        }
        // debug's output is always shown, as Ansible's default callback shows it (at any -v)
        if (isDebug(e.module) && e.status === 'ok') text = paint('green', `ok: ${where}${item} => ${debugText(r)}`);
        line(text);
        // values under secret-looking names are masked, as in -vv's module arguments
        if (o.verbosity > 0 && e.status !== 'failed' && !(isDebug(e.module) && e.status === 'ok')) line(paint('gray', JSON.stringify(maskArgs(r), null, 2)));
        if (r.diff && r.diff.length) for (const d of r.diff) line(renderDiff(d.path ?? '', d.before, d.after));
        break;
      }
      case 'warning':
        line(paint('magenta', `[WARNING]: ${e.host ? `[${e.host}] ` : ''}${e.msg}`));
        break;
      case 'interrupt':
        line(paint('magenta', `\n[WARNING]: interrupted by ${e.signal}: no new task starts; stopping the steps still running${e.running.length ? ` (${e.running.join(', ')})` : ''}`));
        break;
      case 'verbose':
        if (o.verbosity >= e.level) line(paint('gray', `${e.host ? `<${e.host}> ` : ''}${e.msg}`));
        break;
      case 'recap': {
        line(`\nPLAY RECAP ${'*'.repeat(60)}`);
        const width = Math.max(10, ...Object.keys(e.stats).map((h) => h.length));
        for (const [host, s] of Object.entries(e.stats)) {
          const bad = s.failed || s.unreachable;
          const hostText = paint(bad ? 'red' : s.changed ? 'yellow' : 'green', host.padEnd(width));
          line(
            `${hostText} : ok=${s.ok}  changed=${s.changed}  unreachable=${s.unreachable}  failed=${s.failed}  ` +
              `skipped=${s.skipped}  rescued=${s.rescued}  ignored=${s.ignored}`,
          );
        }
        if (e.interrupted) {
          const i = e.interrupted;
          line(paint('red', `\nINTERRUPTED by ${i.signal}: ${i.hosts.length} host(s) did not finish: ${i.hosts.join(', ') || '-'}`));
          for (const [host, task] of Object.entries(i.running)) line(paint('red', `  ${host}: stopped in '${task}'`));
        }
        const cmds = Object.values(e.remoteCommands).reduce((a, b) => a + b, 0);
        line(paint('gray', `\nfinished in ${(e.durationMs / 1000).toFixed(1)}s, ${cmds} remote commands${e.retryFile ? `; to retry: --limit @${e.retryFile}` : ''}`));
        break;
      }
      default:
        break;
    }
  };
}

/** A task's identity in the output: where it is written (a templated name differs per host), else its name. */
function taskKey(path: string | undefined, name: string, handler: boolean): string {
  return `${handler ? 'H' : 'T'}:${path ?? name}`;
}

function isDebug(module: string | undefined): boolean {
  return module !== undefined && /(^|\.)debug$/.test(module);
}

/**
 * debug's result as Ansible's default callback prints it (_clean_results, then _dump_results):
 * with `msg`, only msg (and warnings, deprecations); with `var`, all but changed/failed/skipped;
 * Python's json.dumps with indent 4, sorted keys, non-ASCII as it is.
 */
function debugText(r: ModuleResult): string {
  let shown: Record<string, unknown>;
  if ('msg' in r) shown = Object.fromEntries(Object.entries(r).filter(([k]) => k === 'msg' || k === 'warnings' || k === 'deprecations'));
  else {
    const { changed: _c, failed: _f, skipped: _s, skip_reason: _r, invocation: _i, ...rest } = r;
    shown = rest;
  }
  try {
    return pyJsonDumps(shown, { indent: 4, sortKeys: true, ensureAscii: false });
  } catch {
    return JSON.stringify(shown, null, 4);
  }
}

function short(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 80 ? s.slice(0, 77) + '...' : s;
}

function failureText(r: ModuleResult): string {
  const parts: string[] = [];
  // fail's and debug's msg may be any type (as in Ansible): a list or mapping is shown as JSON
  const msg = r.msg === undefined || r.msg === null || typeof r.msg === 'string' ? (r.msg ?? '') : JSON.stringify(r.msg);
  if (msg) parts.push(msg);
  const tail = typeof r.stderr === 'string' && r.stderr.trim() ? r.stderr.trim().split('\n').slice(-10).join('\n') : '';
  if (tail && !msg.includes(tail)) parts.push(`stderr:\n${tail}`);
  if (r.rc !== undefined && r.rc !== null && r.rc !== 0) parts.push(`(rc=${r.rc})`);
  return parts.join('\n') || JSON.stringify(r);
}

function renderDiff(path: string, before: string, after: string): string {
  const b = before.split('\n');
  const a = after.split('\n');
  const out = [`--- before: ${path}`, `+++ after: ${path}`];
  // a small line diff: common prefix/suffix, then the changed middle (enough for config files)
  let start = 0;
  while (start < b.length && start < a.length && b[start] === a[start]) start++;
  let eb = b.length - 1;
  let ea = a.length - 1;
  while (eb >= start && ea >= start && b[eb] === a[ea]) {
    eb--;
    ea--;
  }
  out.push(`@@ -${start + 1},${eb - start + 1} +${start + 1},${ea - start + 1} @@`);
  for (let i = start; i <= eb; i++) out.push(`-${b[i]}`);
  for (let i = start; i <= ea; i++) out.push(`+${a[i]}`);
  return out.join('\n');
}
