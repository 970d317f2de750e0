import { expect } from 'chai';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { RunRecorder } from '../../src/output/record.js';
import { junitXml } from '../../src/output/junit.js';
import { profileText } from '../../src/output/profile.js';
import { htmlReport } from '../../src/output/html-report.js';
import type { RunEvent } from '../../src/runner/events.js';
import { emptyStats } from '../../src/runner/events.js';

/** A run as events at fixed times (ms), so timings are exact. */
function recorded(): RunRecorder {
  let t = 1_700_000_000_000;
  const rec = new RunRecorder(() => t);
  const at = (ms: number, e: RunEvent) => {
    t = 1_700_000_000_000 + ms;
    rec.sink(e);
  };
  const res = (host: string, task: string, status: any, end: number, dur: number, extra: Record<string, unknown> = {}, role?: string, module = 'command') =>
    at(end, { type: 'host_result', play: 'deploy', task, host, status, durationMs: dur, handler: false, module, role, path: `site.yml:${task.length}`, result: { changed: status === 'changed', ...extra } });
  at(0, { type: 'playbook_start', file: '/x/site.yml', check: false });
  at(0, { type: 'play_start', play: 'deploy', hosts: ['a', 'b'] });
  at(0, { type: 'task_start', play: 'deploy', task: 'build', role: 'venv', handler: false });
  res('a', 'build', 'changed', 4000, 4000, {}, 'venv');
  res('b', 'build', 'ok', 5000, 5000, {}, 'venv');
  res('a', 'restart', 'failed', 5500, 500, { msg: 'boom', rc: 3, stderr: 'line1\n\x1b[31mred error\x1b[0m \u0000nul\n' });
  res('b', 'restart', 'skipped', 5200, 200, { skipped: true, msg: 'Conditional result was False' });
  res('b', 'note', 'ok', 5300, 100, {}, undefined, 'ansible.builtin.debug');
  at(5600, { type: 'recap', stats: { a: { ...emptyStats(), changed: 1, ok: 1, failed: 1 }, b: { ...emptyStats(), ok: 2, skipped: 1 } }, durationMs: 5600, remoteCommands: {} });
  return rec;
}

describe('run record, JUnit, profile and report from events (fixed clock)', () => {
  it('JUnit: valid XML even with colour codes and NUL in stderr; outcomes, messages, times', () => {
    const xml = junitXml(recorded().record);
    expect(XMLValidator.validate(xml)).to.equal(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
    expect(doc.testsuites).to.include({ name: 'site.yml', tests: '5', failures: '1', errors: '0', skipped: '1', time: '5.600' });
    const cases = doc.testsuites.testsuite.testcase;
    expect(cases.map((c: any) => [c.name, c.time])).to.deep.equal([
      ['[a] deploy: venv : build', '4.000'],
      ['[b] deploy: venv : build', '5.000'],
      ['[a] deploy: restart', '0.500'],
      ['[b] deploy: restart', '0.200'],
      ['[b] deploy: note', '0.100'],
    ]);
    expect(cases[2].failure.message).to.equal('boom');
    expect(cases[2].failure['#text']).to.equal('boom\nstderr:\nline1\nred error nul\nrc=3');
    expect(cases[3].skipped.message).to.equal('Conditional result was False');
  });

  it('profile: time per role (others by module) and tasks slowest first, with exact figures', () => {
    const text = profileText(recorded().record, { now: new Date(2026, 0, 2, 3, 4, 5) });
    const rows = text.split('\n').filter((l) => / -+ \d+\.\d\ds$/.test(l));
    // Ansible's rows: `{name:-<70}{' 5.00s':->9}`
    const row = (name: string, v: string) => `${name} ${'-'.repeat(72 - name.length)} ${v}s`;
    expect(rows).to.deep.equal([
      row('venv', '5.00'),
      row('command', '0.50'),
      row('debug', '0.10'),
      row('total', '5.60'),
      row('venv : build', '5.00'),
      row('restart', '0.50'),
      row('note', '0.10'),
    ]);
    expect(text).to.include('Friday 02 January 2026  03:04:05 ');
  });

  it('report: bars placed by start and sized by duration, failures escaped', () => {
    const html = htmlReport(recorded().record);
    expect(html).to.include('left:0.000%;width:71.429%'); // a: build 0..4000 of 5600
    expect(html).to.include('left:89.286%;width:8.929%'); // a: restart 5000..5500
    expect(html).to.include('red error nul');
    expect(html).to.not.include('\x1b');
  });
});
