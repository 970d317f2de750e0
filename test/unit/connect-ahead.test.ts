/**
 * Connections opened ahead of their first use (src/runner/run.ts): a play that gathers facts opens
 * its hosts' connections when it starts, the next play's hosts connect while it runs. Checked with
 * a counting TCP proxy per host in front of a throwaway sshd (or in front of nothing: a host that
 * closes every connection at once is unreachable): no connection reaches a host that no play
 * targets, each reachable host is connected once (its first use takes the connection opened
 * ahead), and an unreachable host is reported at the task where ansible-playbook reports it.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { loadInventory } from '../../src/inventory/index.js';
import { loadPlaybook } from '../../src/playbook/index.js';
import { runPlaybook, type RunOptions } from '../../src/runner/run.js';
import type { RunEvent } from '../../src/runner/events.js';
import '../../src/modules/index.js';
import { ansiblePlaybook } from '../helpers/ansible.js';
import { runCli, startCli } from '../helpers/cli.js';
import { clientKeys, sshdAvailable, startSshd, type Sshd } from '../helpers/sshd.js';
import { tempDir } from '../helpers/tmp.js';

/** A TCP port that counts the connections it accepts and passes them to `to` (none: closes them at once). */
interface Counter {
  port: number;
  count: number;
  /** resolves at the next connection accepted */
  next(): Promise<void>;
  /** every connection made to it so far has been counted (a probe of ours, not counted, is accepted after them) */
  settled(): Promise<void>;
  close(): Promise<void>;
}

async function counter(to?: number): Promise<Counter> {
  const socks = new Set<Socket>();
  const c = { port: 0, count: 0 } as Counter;
  let waiters: Array<() => void> = [];
  let probes = 0;
  const srv: Server = createServer((s) => {
    if (probes > 0) {
      probes--;
      s.destroy();
      for (const w of waiters.splice(0)) w();
      return;
    }
    c.count++;
    for (const w of waiters.splice(0)) w();
    socks.add(s);
    s.on('close', () => socks.delete(s));
    s.on('error', () => s.destroy());
    if (to === undefined) return void s.destroy();
    const up = connect(to, '127.0.0.1');
    socks.add(up);
    up.on('close', () => (socks.delete(up), s.destroy()));
    up.on('error', () => up.destroy());
    s.on('close', () => up.destroy());
    s.pipe(up).pipe(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  c.port = (srv.address() as { port: number }).port;
  c.next = () => new Promise((r) => waiters.push(r));
  c.settled = () => {
    probes++;
    const accepted = c.next();
    connect(c.port, '127.0.0.1').on('error', () => undefined);
    return accepted;
  };
  c.close = () => {
    for (const s of socks) s.destroy();
    return new Promise((r) => srv.close(() => r()));
  };
  return c;
}

/** play 1 gathers facts on s1, dead1 and a local host; play 2 runs two tasks on s2, dead2 and the local host; idle is in no play */
const PLAYBOOK = `
- name: first
  hosts: s1:dead1:loc
  gather_facts: true
  tasks:
    - name: one
      command: "true"
- name: second
  hosts: s2:dead2:loc
  gather_facts: false
  tasks:
    - name: two
      command: "true"
    - name: three
      command: "true"
`;

type Outcome = Record<string, Record<string, string>>;

describe('connections opened ahead of use', function () {
  this.timeout(120_000);
  let sshd: Sshd | undefined;
  let dir: string;
  /** wheelwright's hosts' counters, and ansible-playbook's (the two run side by side) */
  const counters: Record<string, Counter> = {};
  const theirCounters: Record<string, Counter> = {};

  before(async function () {
    if (!sshdAvailable()) this.skip();
    sshd = await startSshd();
    dir = tempDir('ww-ahead-');
    const key = clientKeys().key;
    for (const [set, file] of [[counters, 'hosts'], [theirCounters, 'ansible-hosts']] as const) {
      for (const h of ['s1', 's2', 'idle']) set[h] = await counter(sshd.port);
      for (const h of ['dead1', 'dead2']) set[h] = await counter();
      const ssh = (h: string) => `${h} ansible_host=127.0.0.1 ansible_port=${set[h]!.port} ansible_user=root ansible_ssh_private_key_file=${key}`;
      writeFileSync(join(dir, file), ['s1', 's2', 'idle', 'dead1', 'dead2'].map(ssh).join('\n') + '\nloc ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n');
    }
    writeFileSync(join(dir, 'site.yml'), PLAYBOOK);
  });
  after(async () => {
    for (const c of [...Object.values(counters), ...Object.values(theirCounters)]) await c.close();
    await sshd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const zero = () => Object.values(counters).forEach((c) => (c.count = 0));
  const counts = () => Object.fromEntries(Object.entries(counters).map(([h, c]) => [h, c.count]));

  async function wheelwright(flags: Partial<RunOptions> = {}): Promise<{ code: number; outcome: Outcome; order: string[] }> {
    const events: RunEvent[] = [];
    const summary = await runPlaybook(
      {
        playbook: await loadPlaybook(join(dir, 'site.yml')),
        inventory: await loadInventory([join(dir, 'hosts')], { playbookDir: dir }),
        extraVars: {}, forks: 10, verbosity: 0, check: false, diff: false, tags: [], skipTags: [],
        hostKeyChecking: 'off', connectTimeoutMs: 10_000, retryFile: false, ...flags,
      },
      (e) => events.push(e),
    );
    const outcome: Outcome = {};
    const order: string[] = [];
    for (const e of events) {
      if (e.type !== 'host_result') continue;
      (outcome[e.task] ??= {})[e.host] = e.status === 'changed' ? 'ok' : e.status;
      order.push(`${e.task} ${e.host} ${e.status === 'changed' ? 'ok' : e.status}`);
    }
    return { code: summary.exitCode, outcome, order };
  }

  it('reaches only the hosts of the plays, each once, and reports unreachable hosts where ansible-playbook does', async () => {
    zero();
    const oracle = ansiblePlaybook(['-i', 'ansible-hosts', '-f', '10', 'site.yml'], { cwd: dir });
    const ww = await wheelwright();
    const ansible = await oracle;
    const theirs: Outcome = {};
    for (const p of ansible.json!.plays) for (const t of p.tasks) for (const [h, r] of Object.entries(t.hosts)) (theirs[t.task.name] ??= {})[h] = r._status === 'changed' ? 'ok' : String(r._status);
    expect(theirCounters.idle!.count, 'ansible-playbook contacted a host of no play').to.equal(0);
    expect(ww.code).to.equal(ansible.code);
    expect(ww.outcome).to.deep.equal(theirs);
    expect(ww.outcome['Gathering Facts']).to.deep.equal({ s1: 'ok', dead1: 'unreachable', loc: 'ok' });
    expect(ww.outcome.two).to.deep.equal({ s2: 'ok', dead2: 'unreachable', loc: 'ok' });
    const n = counts();
    expect(n.idle, 'a host of no play was contacted').to.equal(0);
    // s2's connection was opened during play 1 and taken by its first task: one connection each
    expect(n.s1).to.equal(1);
    expect(n.s2).to.equal(1);
    expect(n.dead1).to.be.at.least(1);
    expect(n.dead2).to.be.at.least(1);
  });

  it('check mode opens nothing ahead: each host is contacted once, at its first use', async () => {
    zero();
    const ww = await wheelwright({ check: true });
    expect(ww.code).to.equal(4);
    expect(ww.outcome['Gathering Facts']).to.deep.equal({ s1: 'ok', dead1: 'unreachable', loc: 'ok' });
    expect(ww.outcome.two).to.deep.equal({ s2: 'skipped', dead2: 'unreachable', loc: 'skipped' }); // command skips in check mode
    expect(counts()).to.deep.equal({ s1: 1, s2: 1, idle: 0, dead1: 1, dead2: 1 });
  });

  const cli = ['-i', 'hosts', '--output', 'jsonl', '--retry-file', 'none', '--host-key-checking', 'off', '-f', '10'];

  it("the CLI opens play 1's connections while the playbook still loads, and takes them for the run", async () => {
    // play 2's vars file is a FIFO: the playbook finishes loading once the test writes it, which it
    // does when s1 has been connected to (a run that did not connect early would wait for ever: the
    // test gives up after a minute)
    const gate = join(dir, 'gate.yml');
    rmSync(gate, { force: true });
    execFileSync('mkfifo', [gate]);
    writeFileSync(join(dir, 'gated.yml'), PLAYBOOK.replace('  gather_facts: false\n', '  gather_facts: false\n  vars_files: [gate.yml]\n'));
    zero();
    const run = startCli(['gated.yml', ...cli], { cwd: dir });
    const early = await Promise.race([counters.s1!.next().then(() => true), run.done.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(false), 60_000).unref())]);
    await writeFile(gate, 'gated: true\n');
    const r = await run.done;
    expect(early, `s1 was not connected to while the playbook loaded:\n${r.stderr}`).to.equal(true);
    expect(r.code, r.stderr).to.equal(4);
    const outcome: Outcome = {};
    for (const e of r.events) if (e.type === 'host_result') (outcome[e.task] ??= {})[e.host] = e.status === 'changed' ? 'ok' : e.status;
    expect(outcome).to.deep.equal({
      'Gathering Facts': { s1: 'ok', dead1: 'unreachable', loc: 'ok' },
      one: { s1: 'ok', loc: 'ok' },
      two: { s2: 'ok', dead2: 'unreachable', loc: 'ok' },
      three: { s2: 'ok', loc: 'ok' },
    });
    for (const c of Object.values(counters)) await c.settled();
    expect(counts().idle).to.equal(0);
    expect(counts().s1, 'the early connection was not the one the run used').to.equal(1);
    expect(counts().s2).to.equal(1);
  });

  for (const flag of ['--syntax-check', '--list-hosts', '--list-tasks', '--list-tags']) {
    it(`${flag} contacts no host`, async () => {
      zero();
      const r = await runCli(['site.yml', ...cli, flag], { cwd: dir });
      expect(r.code, r.stderr).to.equal(0);
      for (const c of Object.values(counters)) await c.settled();
      expect(counts()).to.deep.equal({ s1: 0, s2: 0, idle: 0, dead1: 0, dead2: 0 });
    });
  }

  it('a play whose first hosts are all unreachable opens nothing for the next play', async () => {
    zero();
    writeFileSync(join(dir, 'dead.yml'), '- hosts: dead1\n  tasks: [{command: "true"}]\n- hosts: s2\n  gather_facts: false\n  tasks: [{command: "true"}]\n');
    const events: RunEvent[] = [];
    const summary = await runPlaybook(
      {
        playbook: await loadPlaybook(join(dir, 'dead.yml')),
        inventory: await loadInventory([join(dir, 'hosts')], { playbookDir: dir }),
        extraVars: {}, forks: 10, verbosity: 0, check: false, diff: false, tags: [], skipTags: [],
        hostKeyChecking: 'off', connectTimeoutMs: 10_000, retryFile: false,
      },
      (e) => events.push(e),
    );
    // as Ansible: every host of the batch unreachable ends the run
    expect(summary.exitCode).to.equal(4);
    expect(events.filter((e) => e.type === 'host_result').map((e) => (e as { host: string }).host)).to.deep.equal(['dead1']);
    expect(counts().s2).to.equal(0);
  });
});
