/**
 * SIGINT / SIGTERM on a playbook run (issue 8 point 6), with the real CLI and local hosts.
 *
 * Every task that matters blocks on a fifo the test holds, so the signal arrives at a known state:
 * the test waits until each host has written its "started" file (a state, not a timer), then signals.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCli, runCli, recap } from '../helpers/cli.js';
import { alive } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';

/** Wait (bounded) until every file exists: each one is a state written by the task under test. */
export async function waitForFiles(files: string[], what: string, limitMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!files.every((f) => existsSync(f))) {
    if (Date.now() - t0 > limitMs) throw new Error(`never reached: ${what} (missing ${files.filter((f) => !existsSync(f)).join(', ')})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('interrupting a playbook run (SIGINT / SIGTERM)', function () {
  this.timeout(60_000);

  /**
   * h1, h2 (forks 2) block in a task that holds a lock and has children of its own; h3 waits for a
   * fork; h4 is only in the second play. A task after the blocking one must never start.
   */
  function fixture(): { dir: string; playbook: string; inventory: string; retry: string } {
    const dir = tempDir('ww-int-');
    const inventory = join(dir, 'hosts.ini');
    writeFileSync(inventory, '[web]\nh1\nh2\nh3\n[late]\nh4\n[all:vars]\nansible_connection=local\n');
    for (const h of ['h1', 'h2', 'h3']) execFileSync('mkfifo', [join(dir, `fifo-${h}`)]);
    const playbook = join(dir, 'site.yml');
    writeFileSync(
      playbook,
      `- hosts: web
  gather_facts: false
  tasks:
    - name: hold the lock and block
      shell: >-
        [ -e ${dir}/go ] && exit 0;
        sleep 1000 & echo $! > ${dir}/{{inventory_hostname}}.child;
        exec flock ${dir}/{{inventory_hostname}}.lock sh -c 'echo $$ > ${dir}/{{inventory_hostname}}.started; cat ${dir}/fifo-{{inventory_hostname}}'
    - name: after
      shell: "echo ran > ${dir}/{{inventory_hostname}}.after"
- hosts: late
  gather_facts: false
  tasks:
    - shell: "echo ran > ${dir}/{{inventory_hostname}}.after"
`,
    );
    return { dir, playbook, inventory, retry: join(dir, 'site.retry') };
  }

  const pidsOf = (dir: string, hosts: string[]) =>
    hosts.flatMap((h) => ['child', 'started'].map((k) => Number(readFileSync(join(dir, `${h}.${k}`), 'utf8').trim())));

  async function interruptAt(signal: 'SIGINT' | 'SIGTERM', output: 'terminal' | 'jsonl') {
    const f = fixture();
    const run = startCli([f.playbook, '-i', f.inventory, '-f', '2', '--output', output]);
    await waitForFiles(['h1', 'h2'].map((h) => join(f.dir, `${h}.started`)), 'h1 and h2 blocked in their task');
    const pids = pidsOf(f.dir, ['h1', 'h2']);
    expect(pids.every(alive)).to.equal(true);
    run.child.kill(signal);
    const r = await run.done;
    return { f, r, pids };
  }

  it('SIGINT: no new task starts, running steps are killed (their children too, locks freed), recap names the hosts, retry file, exit 130; the rerun finishes', async () => {
    const { f, r, pids } = await interruptAt('SIGINT', 'jsonl');
    expect(r.code, r.stdout + r.stderr).to.equal(130);
    // nothing that the run started is still alive: shells, their background children, flock, cat
    for (const p of pids) expect(alive(p), `pid ${p}`).to.equal(false);
    // the locks the tasks held are free
    for (const h of ['h1', 'h2']) execFileSync('flock', ['-n', join(f.dir, `${h}.lock`), 'true']);
    // no task started after the signal: h3 never ran the first task, nobody ran the next ones
    expect(existsSync(join(f.dir, 'h3.started'))).to.equal(false);
    for (const h of ['h1', 'h2', 'h3', 'h4']) expect(existsSync(join(f.dir, `${h}.after`))).to.equal(false);
    const int = r.events.find((e) => e.type === 'interrupt');
    expect(int?.signal).to.equal('SIGINT');
    const rc = r.events.find((e) => e.type === 'recap')!;
    expect(rc.interrupted.signal).to.equal('SIGINT');
    expect(rc.interrupted.hosts).to.have.members(['h1', 'h2', 'h3', 'h4']);
    expect(rc.interrupted.running).to.deep.equal({ h1: 'hold the lock and block', h2: 'hold the lock and block' });
    // an interrupted step is not a failure of the host
    expect(recap(r).h1!.failed).to.equal(0);
    expect(rc.retryFile).to.equal(f.retry);
    expect(readFileSync(f.retry, 'utf8').trim().split('\n')).to.have.members(['h1', 'h2', 'h3', 'h4']);

    writeFileSync(join(f.dir, 'go'), '');
    const again = await runCli([f.playbook, '-i', f.inventory, '--limit', `@${f.retry}`, '--output', 'jsonl']);
    expect(again.code, again.stdout).to.equal(0);
    for (const h of ['h1', 'h2', 'h3', 'h4']) expect(readFileSync(join(f.dir, `${h}.after`), 'utf8')).to.equal('ran\n');
  });

  it('SIGTERM: the same clean stop, exit 143, and the terminal shows the interrupted hosts', async () => {
    const { f, r, pids } = await interruptAt('SIGTERM', 'terminal');
    expect(r.code, r.stdout + r.stderr).to.equal(143);
    for (const p of pids) expect(alive(p), `pid ${p}`).to.equal(false);
    expect(r.stdout).to.include('interrupted by SIGTERM');
    expect(r.stdout).to.include('PLAY RECAP');
    expect(r.stdout).to.match(/INTERRUPTED by SIGTERM: 4 host\(s\) did not finish: h1, h2, h3, h4/);
    expect(r.stdout).to.include("h1: stopped in 'hold the lock and block'");
    expect(r.stdout).to.include(`--limit @${f.retry}`);
    expect(readFileSync(f.retry, 'utf8').trim().split('\n')).to.have.members(['h1', 'h2', 'h3', 'h4']);
  });
});
