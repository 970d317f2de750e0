import { expect } from 'chai';
import { readFileSync, existsSync, rmSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, recap, totalChanged, ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const FIX = join(ROOT, 'test/fixtures/engine');

describe('engine: the real CLI against localhost', function () {
  this.timeout(120_000);
  let out: string;
  beforeEach(() => {
    out = tempDir('ww-engine-');
  });
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  it('runs every module, then a second run changes nothing; handlers fire once', async () => {
    const args = [join(FIX, 'every-module.yml'), '-e', 'target=localhost', '-e', `out=${out}`, '--output', 'jsonl', '--retry-file', 'none'];
    const first = await runCli(args);
    expect(first.code, first.stdout + first.stderr).to.equal(0);
    const s1 = recap(first).localhost!;
    expect(s1.failed).to.equal(0);
    expect(s1.rescued).to.equal(1);
    expect(s1.changed).to.be.greaterThan(5);
    const base = join(out, 'localhost');
    expect(readFileSync(join(base, 'hello.txt'), 'utf8')).to.equal('hello demo\n');
    expect(readFileSync(join(base, 'app.conf'), 'utf8')).to.equal('# managed by wheelwright\nname=demo\nhost=localhost\nport=80\nport=443\n');
    expect(readFileSync(join(base, 'settings.ini'), 'utf8')).to.match(/\[main\]\ncolor = blue/);
    // two tasks notified the handler: it ran once
    expect(readFileSync(join(base, 'handler-runs'), 'utf8')).to.equal('run\n');
    const debug = first.events.find((e) => e.type === 'host_result' && e.task === 'Show it');
    expect(debug?.result.msg).to.equal('HELLO DEMO from Debian x86_64');

    const second = await runCli(args);
    expect(second.code, second.stdout + second.stderr).to.equal(0);
    expect(totalChanged(second)).to.equal(0);
    expect(readFileSync(join(base, 'handler-runs'), 'utf8')).to.equal('run\n');
  });

  it('--check reports what would change, changes nothing, and --diff shows it', async () => {
    const base = [join(FIX, 'every-module.yml'), '-e', 'target=localhost', '-e', `out=${out}`, '--retry-file', 'none'];
    expect((await runCli(base)).code).to.equal(0);
    const hello = join(out, 'localhost', 'hello.txt');
    const r = await runCli([...base, '--check', '--diff', '-e', 'app_name=other', '--output', 'jsonl']);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(recap(r).localhost!.changed).to.be.greaterThan(0);
    expect(readFileSync(hello, 'utf8')).to.equal('hello demo\n');
    const diff = r.events.find((e) => e.type === 'host_result' && e.task === 'Content file')?.result.diff;
    expect(diff?.[0]?.after).to.equal('hello other\n');
    const text = await runCli([...base, '--check', '--diff', '-e', 'app_name=other']);
    expect(text.stdout).to.include('+hello other');
  });

  it('a failing task stops only its host: exit 2, retry file, --limit @retry', async () => {
    const retry = join(out, 'failed.retry');
    const r = await runCli([join(FIX, 'fail-one.yml'), '-i', join(FIX, 'local-hosts.ini'), '-e', `out=${out}`, '--output', 'jsonl', '--retry-file', retry]);
    expect(r.code).to.equal(2);
    const st = recap(r);
    expect(st.h1!.failed).to.equal(1);
    expect(st.h2!.failed).to.equal(0);
    expect(existsSync(join(out, 'h1.done'))).to.equal(false);
    expect(existsSync(join(out, 'h2.done'))).to.equal(true);
    expect(existsSync(join(out, 'h3.done'))).to.equal(true);
    expect(readFileSync(retry, 'utf8')).to.equal('h1\n');
    const again = await runCli([join(FIX, 'fail-one.yml'), '-i', join(FIX, 'local-hosts.ini'), '-e', `out=${out}`, '--output', 'jsonl', '--limit', `@${retry}`, '--retry-file', 'none']);
    expect(Object.keys(recap(again))).to.deep.equal(['h1']);
  });

  it('serial batches, tags and -e precedence', async () => {
    const base = [join(FIX, 'serial.yml'), '-i', join(FIX, 'local-hosts.ini'), '--output', 'jsonl', '--retry-file', 'none'];
    const r = await runCli([...base, '-e', 'who=cli']);
    expect(r.code, r.stderr).to.equal(0);
    const batches = r.events.filter((e) => e.type === 'batch_start').map((e) => e.hosts);
    expect(batches).to.deep.equal([['h1'], ['h2', 'h3']]);
    const prec = r.events.filter((e) => e.type === 'host_result' && e.task === 'precedence').map((e) => e.result.msg);
    expect(prec).to.deep.equal(['cli', 'cli', 'cli']);
    const tagged = await runCli([...base, '--tags', 'special']);
    const tasks = new Set(tagged.events.filter((e) => e.type === 'host_result').map((e) => e.task));
    expect([...tasks]).to.deep.equal(['tagged']);
    const skipped = await runCli([...base, '--skip-tags', 'special']);
    expect(skipped.events.some((e) => e.type === 'host_result' && e.task === 'tagged')).to.equal(false);
  });

  it('bad input exits 5 with file:line:col before touching any host, and no stack trace', async () => {
    const r = await runCli([join(FIX, 'bad-keyword.yml')]);
    expect(r.code).to.equal(5);
    expect(r.stderr).to.match(/bad-keyword\.yml:6:7: unknown keyword 'regsiter'.*did you mean 'register'/);
    expect(r.stderr).not.to.match(/\n\s+at /);
    const opt = await runCli([join(FIX, 'bad-keyword.yml'), '--forks', 'many']);
    expect(opt.code).to.equal(5);
    expect(opt.stderr).to.include('--forks must be a positive integer');
  });

  it('an unreachable host exits 4 while the others finish', async () => {
    const inv = join(out, 'inv.yml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(inv, `all:\n  hosts:\n    ok1: { ansible_connection: local }\n    dead: { ansible_host: 127.0.0.1, ansible_port: 1, ansible_password: x }\n`);
    const r = await runCli([join(FIX, 'fail-one.yml'), '-i', inv, '-e', `out=${out}`, '--output', 'jsonl', '--retry-file', 'none', '-l', 'all'], {});
    // fail-one targets 'web': use a pattern-free play instead
    void r;
    const pb = join(out, 'pb.yml');
    writeFileSync(pb, `- hosts: all\n  gather_facts: false\n  tasks:\n    - copy: { content: "x", dest: "${out}/{{inventory_hostname}}.done" }\n`);
    const u = await runCli([pb, '-i', inv, '--output', 'jsonl', '--retry-file', 'none', '-T', '3']);
    expect(u.code, u.stdout + u.stderr).to.equal(4);
    expect(recap(u).dead!.unreachable).to.equal(1);
    expect(existsSync(join(out, 'ok1.done'))).to.equal(true);
    const ev = u.events.find((e) => e.type === 'host_result' && e.host === 'dead');
    expect(ev?.result.msg).to.match(/refused|unreachable/i);
  });

  it('--list-hosts lists the hosts of each play', async () => {
    const r = await runCli([join(FIX, 'serial.yml'), '-i', join(FIX, 'local-hosts.ini'), '--list-hosts', '-l', 'h2:h3']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/hosts \(2\):\n\s+h2\n\s+h3/);
  });
});

describe('engine: any_errors_fatal and max_fail_percentage', function () {
  this.timeout(60_000);
  let out: string;
  beforeEach(() => {
    out = tempDir('ww-fatal-');
  });
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  it('any_errors_fatal: one host failing stops every host before the next task', async () => {
    const r = await runCli([join(FIX, 'fatal.yml'), '-i', join(FIX, 'local-hosts.ini'), '-e', `out=${out}`, '--output', 'jsonl', '--retry-file', 'none']);
    expect(r.code).to.equal(2);
    expect(readdirSync(out)).to.deep.equal([]);
    expect(recap(r).h1!.failed).to.equal(1);
  });

  it('max_fail_percentage: 1 of 3 hosts (33%) over 30% stops the play and the run', async () => {
    const r = await runCli([join(FIX, 'maxfail.yml'), '-i', join(FIX, 'local-hosts.ini'), '-e', `out=${out}`, '--output', 'jsonl', '--retry-file', 'none']);
    expect(r.code).to.equal(2);
    expect(readdirSync(out)).to.deep.equal([]);
    const ok = await runCli([join(FIX, 'maxfail.yml'), '-i', join(FIX, 'local-hosts.ini'), '-e', `out=${out}`, '--limit', 'h2:h3', '--output', 'jsonl', '--retry-file', 'none']);
    expect(ok.code).to.equal(0);
    expect(readdirSync(out).sort()).to.deep.equal(['h2.later', 'h2.maxfail', 'h3.later', 'h3.maxfail']);
  });
});
