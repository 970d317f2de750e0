/**
 * `--report FILE.html`: one self-contained page (no scripts, no external files) with the recap,
 * every failure with its output, the slowest tasks, and a timeline per host: a bar per task,
 * coloured by status, so a rollout's time is seen at a glance.
 */
import { writeFile } from 'node:fs/promises';
import type { HostStatus } from '../runner/events.js';
import type { HostTaskRecord, RunRecord, TaskRecord } from './record.js';
import { taskLabel } from './record.js';

export function htmlEscape(s: string): string {
  return s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const COLOURS: Record<HostStatus | 'ignored', string> = {
  ok: '#2e9d4f',
  changed: '#d99a00',
  failed: '#d1342f',
  unreachable: '#7b1fa2',
  skipped: '#4aa3c7',
  ignored: '#e07b39',
};

const fmt = (ms: number) => (ms >= 60_000 ? `${Math.floor(ms / 60_000)}m${((ms % 60_000) / 1000).toFixed(0).padStart(2, '0')}s` : `${(ms / 1000).toFixed(2)}s`);

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#666} table{border-collapse:collapse} td,th{padding:3px 10px;text-align:left;border-bottom:1px solid #eee}
th{background:#f5f5f5} td.n{text-align:right;font-variant-numeric:tabular-nums}
.bad td{background:#fdecea} pre{background:#f7f7f7;border:1px solid #e4e4e4;padding:8px;overflow:auto;max-height:300px;margin:4px 0 0;white-space:pre-wrap}
.failure{margin:10px 0;padding:8px;border-left:4px solid ${COLOURS.failed};background:#fffafa}
.timeline{position:relative;width:100%;margin-top:6px}
.lane{display:flex;align-items:center;height:22px} .lane .host{width:160px;flex:none;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.lane .track{position:relative;flex:1;height:16px;background:#f3f3f3;border-radius:2px}
.bar{position:absolute;top:0;height:16px;min-width:2px;border-radius:2px;opacity:.9}
.legend span{display:inline-block;margin-right:14px} .legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px;border-radius:2px}
`;

function barColour(h: HostTaskRecord): string {
  return h.status === 'failed' && h.ignored ? COLOURS.ignored : COLOURS[h.status];
}

export function htmlReport(run: RunRecord, title = 'wheelwright run report'): string {
  const tasks = run.plays.flatMap((p) => p.tasks);
  const total = Math.max(1, run.durationMs, ...tasks.map((t) => t.end));
  const hosts = [...new Set([...Object.keys(run.stats), ...tasks.flatMap((t) => t.results.map((r) => r.host))])].sort();
  const out: string[] = [];
  out.push(`<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${htmlEscape(title)}</title><style>${CSS}</style></head><body>`);
  out.push(`<h1>${htmlEscape(title)}</h1>`);
  out.push(
    `<p class="meta" id="summary">${htmlEscape(run.playbook)} · started ${htmlEscape(new Date(run.startedAt).toISOString())} · ${fmt(run.durationMs)} · ` +
      `${hosts.length} hosts · ${run.plays.length} plays · ${tasks.length} tasks${run.finished ? '' : ' · <strong>did not finish</strong>'}</p>`,
  );

  // recap
  out.push('<h2>Recap</h2><table id="recap"><thead><tr><th>host</th><th>ok</th><th>changed</th><th>unreachable</th><th>failed</th><th>skipped</th><th>rescued</th><th>ignored</th></tr></thead><tbody>');
  for (const [host, s] of Object.entries(run.stats)) {
    out.push(
      `<tr${s.failed || s.unreachable ? ' class="bad"' : ''} data-host="${htmlEscape(host)}"><td>${htmlEscape(host)}</td>` +
        [s.ok, s.changed, s.unreachable, s.failed, s.skipped, s.rescued, s.ignored].map((n) => `<td class="n">${n}</td>`).join('') +
        '</tr>',
    );
  }
  out.push('</tbody></table>');

  // failures
  const failures = tasks.flatMap((t) => t.results.filter((r) => (r.status === 'failed' && !r.ignored) || r.status === 'unreachable').map((r) => ({ t, r })));
  out.push(`<h2>Failures (${failures.length})</h2><div id="failures">`);
  if (!failures.length) out.push('<p>None.</p>');
  for (const { t, r } of failures) {
    const body = [r.msg ?? '', r.stderrTail ? `stderr:\n${r.stderrTail}` : '', r.rc !== undefined && r.rc !== 0 ? `rc=${r.rc}` : ''].filter(Boolean).join('\n');
    out.push(
      `<div class="failure" data-host="${htmlEscape(r.host)}"><strong>${r.status === 'unreachable' ? 'UNREACHABLE' : 'FAILED'}: [${htmlEscape(r.host)}]</strong> ` +
        `${htmlEscape(t.play)}: ${htmlEscape(taskLabel(t))}${t.path ? ` <span class="meta">(${htmlEscape(t.path)})</span>` : ''}<pre>${htmlEscape(body)}</pre></div>`,
    );
  }
  out.push('</div>');

  // slowest tasks
  const slowest = [...tasks].sort((a, b) => b.end - b.start - (a.end - a.start)).slice(0, 10);
  out.push('<h2>Slowest tasks</h2><table id="slowest"><thead><tr><th>task</th><th>play</th><th>time</th><th>hosts</th></tr></thead><tbody>');
  for (const t of slowest) {
    out.push(`<tr><td>${htmlEscape(taskLabel(t))}</td><td>${htmlEscape(t.play)}</td><td class="n">${fmt(t.end - t.start)}</td><td class="n">${t.results.length}</td></tr>`);
  }
  out.push('</tbody></table>');

  // timeline
  out.push('<h2>Timeline</h2><p class="legend">');
  for (const [k, c] of Object.entries(COLOURS)) out.push(`<span><i style="background:${c}"></i>${k}</span>`);
  out.push(`</p><div class="timeline" id="timeline">`);
  const pct = (ms: number) => ((100 * ms) / total).toFixed(3);
  for (const host of hosts) {
    const bars = tasks.flatMap((t: TaskRecord) =>
      t.results
        .filter((r) => r.host === host)
        .map(
          (r) =>
            `<div class="bar" data-status="${r.ignored ? 'ignored' : r.status}" style="left:${pct(r.start)}%;width:${pct(r.end - r.start)}%;background:${barColour(r)}" ` +
            `title="${htmlEscape(`${taskLabel(t)}: ${r.status}${r.ignored ? ' (ignored)' : ''}, ${fmt(r.end - r.start)}`)}"></div>`,
        ),
    );
    out.push(`<div class="lane" data-host="${htmlEscape(host)}"><div class="host">${htmlEscape(host)}</div><div class="track">${bars.join('')}</div></div>`);
  }
  out.push(`</div><p class="meta">0 … ${fmt(total)}</p></body></html>\n`);
  return out.join('\n');
}

export async function writeHtmlReport(file: string, run: RunRecord): Promise<void> {
  await writeFile(file, htmlReport(run));
}
