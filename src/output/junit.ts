/**
 * JUnit XML from a RunRecord: a testsuite per play, a testcase per task and host (named as
 * Ansible's junit callback names them: `[host] play: role : task`, classname the task's file:line),
 * failures with the message and stderr tail, skipped as skipped, unreachable as an error.
 */
import { writeFile } from 'node:fs/promises';
import type { HostTaskRecord, RunRecord, TaskRecord } from './record.js';
import { taskLabel } from './record.js';

/** XML 1.0 cannot carry most control characters (ANSI colours in stderr): drop them, escape the rest. */
export function xmlEscape(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

const secs = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);

function failureText(h: HostTaskRecord): string {
  const parts = [h.msg ?? ''];
  if (h.stderrTail && !(h.msg ?? '').includes(h.stderrTail)) parts.push(`stderr:\n${h.stderrTail}`);
  if (h.rc !== undefined && h.rc !== 0) parts.push(`rc=${h.rc}`);
  return parts.filter(Boolean).join('\n');
}

function testcase(t: TaskRecord, h: HostTaskRecord): string {
  const name = `[${h.host}] ${t.play}: ${taskLabel(t)}`;
  const attrs = `classname="${xmlEscape(t.path ?? t.play)}" name="${xmlEscape(name)}" time="${secs(h.end - h.start)}"`;
  if (h.status === 'failed' && !h.ignored) {
    return `    <testcase ${attrs}>\n      <failure message="${xmlEscape(h.msg ?? (h.rc !== undefined ? `rc=${h.rc}` : 'failed'))}" type="failure">${xmlEscape(failureText(h))}</failure>\n    </testcase>`;
  }
  if (h.status === 'unreachable') {
    return `    <testcase ${attrs}>\n      <error message="${xmlEscape(h.msg ?? 'unreachable')}" type="unreachable">${xmlEscape(h.msg ?? '')}</error>\n    </testcase>`;
  }
  if (h.status === 'skipped') return `    <testcase ${attrs}>\n      <skipped message="${xmlEscape(h.skipReason ?? 'skipped')}"/>\n    </testcase>`;
  return `    <testcase ${attrs}/>`;
}

export function junitXml(run: RunRecord): string {
  const suites: string[] = [];
  const total = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const play of run.plays) {
    const cases = play.tasks.flatMap((t) => t.results.map((h) => ({ t, h })));
    const n = {
      tests: cases.length,
      failures: cases.filter(({ h }) => h.status === 'failed' && !h.ignored).length,
      errors: cases.filter(({ h }) => h.status === 'unreachable').length,
      skipped: cases.filter(({ h }) => h.status === 'skipped').length,
    };
    for (const k of Object.keys(total) as Array<keyof typeof total>) total[k] += n[k];
    const timestamp = new Date(run.startedAt + play.start).toISOString().replace(/\.\d+Z$/, '');
    suites.push(
      `  <testsuite name="${xmlEscape(play.name)}" id="${play.index}" tests="${n.tests}" failures="${n.failures}" errors="${n.errors}" skipped="${n.skipped}" ` +
        `time="${secs(play.end - play.start)}" timestamp="${timestamp}">\n` +
        cases.map(({ t, h }) => testcase(t, h)).join('\n') +
        (cases.length ? '\n' : '') +
        '  </testsuite>',
    );
  }
  const name = run.playbook.split('/').pop() ?? 'wheelwright';
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites name="${xmlEscape(name)}" tests="${total.tests}" failures="${total.failures}" errors="${total.errors}" skipped="${total.skipped}" time="${secs(run.durationMs)}">\n` +
    suites.join('\n') +
    (suites.length ? '\n' : '') +
    '</testsuites>\n'
  );
}

export async function writeJunit(file: string, run: RunRecord): Promise<void> {
  await writeFile(file, junitXml(run));
}
