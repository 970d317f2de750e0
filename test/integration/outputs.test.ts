import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { runCli, ROOT, type CliResult } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const FIX = join(ROOT, 'test/fixtures/outputs');

function ansiblePlaybook(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string }> {
  return new Promise((res, rej) => {
    const c = spawn('ansible-playbook', args, { cwd: FIX, env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: '0', ...env } });
    let stdout = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stdout += d));
    c.on('error', rej);
    c.on('close', (code) => res({ code, stdout }));
  });
}

interface Case {
  classname: string;
  name: string;
  outcome: 'pass' | 'failure' | 'skipped' | 'error';
}

function cases(xml: string): Case[] {
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => ['testsuite', 'testcase'].includes(n) }).parse(xml);
  return (doc.testsuites.testsuite as any[]).flatMap((s) =>
    ((s.testcase ?? []) as any[]).map((c) => ({
      classname: String(c.classname),
      name: String(c.name),
      outcome: c.failure !== undefined ? 'failure' : c.error !== undefined ? 'error' : c.skipped !== undefined ? 'skipped' : 'pass',
    })),
  );
}

describe('outputs: JUnit, --profile and the HTML report (localhost)', function () {
  this.timeout(120_000);
  let dir: string;
  let ww: CliResult;
  let ansible: { code: number | null; stdout: string };

  before(async () => {
    dir = tempDir('ww-outputs-');
    // one wheelwright run and one ansible-playbook run (with its junit callback) on the same input
    [ww, ansible] = await Promise.all([
      runCli([join(FIX, 'site.yml'), '-i', join(FIX, 'hosts.ini'), '--junit', join(dir, 'ww.xml'), '--report', join(dir, 'report.html'), '--profile', '--retry-file', 'none'], { cwd: FIX }),
      ansiblePlaybook(['-i', 'hosts.ini', 'site.yml'], { ANSIBLE_CALLBACKS_ENABLED: 'junit', JUNIT_OUTPUT_DIR: join(dir, 'ansible') }),
    ]);
  });

  it('JUnit: well-formed, a testsuite per play, and the same testcases and outcomes as Ansible\'s junit callback', () => {
    expect(ww.code, ww.stdout + ww.stderr).to.equal(2);
    expect(ansible.code, ansible.stdout).to.equal(2);
    const ours = readFileSync(join(dir, 'ww.xml'), 'utf8');
    expect(XMLValidator.validate(ours)).to.equal(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => n === 'testsuite' }).parse(ours);
    expect(doc.testsuites.testsuite.map((s: any) => s.name)).to.deep.equal(['Play one', 'Play two']);
    expect(doc.testsuites).to.include({ tests: '16', failures: '1', errors: '0', skipped: '3' });
    for (const s of doc.testsuites.testsuite) expect(Number(s.time)).to.be.at.least(0);

    const theirs = cases(readFileSync(join(dir, 'ansible', readdirSync(join(dir, 'ansible'))[0]!), 'utf8'));
    const mine = cases(ours);
    expect(mine).to.have.length(theirs.length);
    // Ansible appends the task's arguments to the name and uses absolute paths: compare what they share
    for (const t of theirs) {
      const m = mine.find((c) => (t.name === c.name || t.name.startsWith(`${c.name} `)) && t.classname.endsWith(`/${c.classname}`));
      expect(m, `${t.classname} ${t.name}`).to.not.equal(undefined);
      expect(m!.outcome, t.name).to.equal(t.outcome);
    }
    const failure = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(ours).testsuites.testsuite[0].testcase.find((c: any) => c.failure);
    expect(failure.name).to.equal('[h2] Play one: h2 fails');
    expect(failure.failure.message).to.match(/non-zero return code/);
    expect(failure.failure['#text']).to.include('oops').and.include('rc=3');
  });

  it('--profile prints ROLES RECAP and TASKS RECAP after the recap, laid out as profile_roles/profile_tasks', () => {
    const text = ww.stdout;
    const recap = text.indexOf('PLAY RECAP');
    const roles = text.indexOf('\nROLES RECAP ****');
    const tasks = text.indexOf('\nTASKS RECAP ****');
    expect(recap).to.be.greaterThan(0);
    expect(roles).to.be.greaterThan(recap);
    expect(tasks).to.be.greaterThan(roles);
    const block = (from: number, to: number) => text.slice(from, to).trim().split('\n');
    const r = block(roles, tasks);
    const t = block(tasks, text.length);
    for (const b of [r, t]) {
      expect(b[0]).to.have.length(80).and.match(/^(ROLES|TASKS) RECAP \*+$/);
      expect(b[1]).to.match(/^\w+day \d\d \w+ \d{4} {2}\d\d:\d\d:\d\d [+-]\d{4} \(\d:\d\d:\d\d\.\d{3}\) {7}\d:\d\d:\d\d\.\d{3} \*+ $/);
      expect(b[2]).to.equal(`${'='.repeat(79)} `);
    }
    const row = /^(.+?) -+ (\d+\.\d\d)s$/;
    // profile_roles: a role's tasks under its name, the others under their module's name; then the total
    const roleRows = r.slice(3, -2);
    expect(roleRows.map((l) => l.match(row)?.[1]).sort()).to.deep.equal(['command', 'debug', 'shell', 'web']);
    for (const l of [...roleRows, r[r.length - 1]!]) expect(l).to.have.length(79).and.match(row);
    expect(r[r.length - 2]).to.equal(`${'~'.repeat(79)} `);
    expect(r[r.length - 1]).to.match(/^total -+ \d+\.\d\ds$/);
    // profile_tasks: at most 10 (the run has 11), slowest first, role tasks as `role : name`
    const taskRows = t.slice(3);
    expect(taskRows).to.have.length(10);
    for (const l of taskRows) expect(l).to.have.length(79).and.match(row);
    const secs = taskRows.map((l) => Number(l.match(row)![2]));
    expect(secs).to.deep.equal([...secs].sort((a, b) => b - a));
    expect(taskRows.map((l) => l.match(row)![1])).to.include('web : web skip');
  });

  it('Ansible\'s configuration switches them on too: ANSIBLE_CALLBACKS_ENABLED=junit,profile_tasks with JUNIT_OUTPUT_DIR', async () => {
    const out = join(dir, 'junit-dir');
    const r = await runCli([join(FIX, 'site.yml'), '-i', join(FIX, 'hosts.ini'), '--retry-file', 'none', '--limit', 'h1'], {
      cwd: FIX, env: { ANSIBLE_CALLBACKS_ENABLED: 'ansible.builtin.junit, ansible.posix.profile_tasks', JUNIT_OUTPUT_DIR: out },
    });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('TASKS RECAP');
    const files = readdirSync(out);
    expect(files).to.have.length(1);
    expect(files[0]).to.match(/^site-\d+\.\d+\.xml$/); // Ansible's <playbook>-<time>.xml
    expect(XMLValidator.validate(readFileSync(join(out, files[0]!), 'utf8'))).to.equal(true);
  });

  it('and from ansible.cfg: [defaults] callbacks_enabled (the directory from JUNIT_OUTPUT_DIR, as Ansible has no ini key for it)', async () => {
    const cfgDir = join(dir, 'cfg');
    mkdirSync(cfgDir);
    writeFileSync(join(cfgDir, 'ansible.cfg'), '[defaults]\ncallbacks_enabled = ansible.builtin.junit\n');
    const env: Record<string, string> = { ANSIBLE_CONFIG: join(cfgDir, 'ansible.cfg'), JUNIT_OUTPUT_DIR: join(cfgDir, 'reports') };
    const r = await runCli([join(FIX, 'site.yml'), '-i', join(FIX, 'hosts.ini'), '--retry-file', 'none', '--limit', 'h1'], { cwd: FIX, env });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.not.include('TASKS RECAP');
    const files = readdirSync(join(cfgDir, 'reports'));
    expect(files).to.have.length(1);
    expect(files[0]).to.match(/^site-\d+\.\d+\.xml$/);
  });

  it('the HTML report renders in headless Chromium with no console errors: recap, failures, slowest tasks, timeline', async () => {
    const { chromium } = await import('playwright-core');
    const userDataDir = tempDir('ww-chromium-');
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
      await page.goto(`file://${join(dir, 'report.html')}`);
      const png = await page.screenshot({ fullPage: true });
      expect(png.subarray(0, 8).toString('hex')).to.equal('89504e470d0a1a0a');
      expect(png.length).to.be.greaterThan(5000);

      const dom = await page.evaluate(() => {
        const rows = [...document.querySelectorAll('#recap tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent));
        const lanes = [...document.querySelectorAll('#timeline .lane')].map((l) => ({
          host: l.getAttribute('data-host'),
          bars: [...l.querySelectorAll('.bar')].map((b) => ({ status: b.getAttribute('data-status'), width: b.getBoundingClientRect().width, colour: getComputedStyle(b).backgroundColor })),
        }));
        return {
          rows,
          failures: [...document.querySelectorAll('#failures .failure')].map((f) => ({ host: f.getAttribute('data-host'), text: f.textContent })),
          slowest: document.querySelectorAll('#slowest tbody tr').length,
          lanes,
          externals: document.querySelectorAll('script, link, img[src^="http"]').length,
        };
      });
      expect(problems).to.deep.equal([]);
      expect(dom.externals).to.equal(0);
      // the same numbers as the terminal's PLAY RECAP
      const recapRows = [...ww.stdout.matchAll(/^(h\d) +: ok=(\d+) +changed=(\d+) +unreachable=(\d+) +failed=(\d+) +skipped=(\d+) +rescued=(\d+) +ignored=(\d+)/gm)].map((m) => m.slice(1));
      expect(recapRows).to.have.length(2);
      expect(dom.rows).to.deep.equal(recapRows);
      expect(dom.rows[1]![4]).to.equal('1'); // h2 failed
      expect(dom.failures).to.have.length(1);
      expect(dom.failures[0]!.host).to.equal('h2');
      expect(dom.failures[0]!.text).to.include('h2 fails').and.include('oops');
      expect(dom.slowest).to.equal(10);
      expect(dom.lanes.map((l) => l.host)).to.deep.equal(['h1', 'h2']);
      expect(dom.lanes[0]!.bars).to.have.length(11);
      expect(dom.lanes[1]!.bars.map((b) => b.status)).to.deep.equal(['changed', 'skipped', 'changed', 'ignored', 'failed']);
      for (const b of dom.lanes.flatMap((l) => l.bars)) expect(b.width).to.be.at.least(1);
      const colour = (s: string) => dom.lanes[1]!.bars.find((b) => b.status === s)!.colour;
      expect(new Set(['changed', 'skipped', 'ignored', 'failed'].map(colour)).size).to.equal(4);
    } finally {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    }
  });
});
