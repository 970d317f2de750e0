/**
 * Strategies. linear (the default, as in Ansible): every host finishes a task before any host
 * starts the next, so a task can read what another host registered in the task before; checked
 * against ansible-playbook on the same files. free: hosts run ahead of each other (a host that
 * waits for another host's later task finishes), chosen by the play keyword or ANSIBLE_STRATEGY.
 * No timing is asserted: the order comes from a log each task appends to, the waits are on files.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadInventory } from '../../src/inventory/index.js';
import { loadPlaybook } from '../../src/playbook/index.js';
import { runPlaybook, type RunOptions, type RunSummary } from '../../src/runner/run.js';
import type { RunEvent } from '../../src/runner/events.js';
import '../../src/modules/index.js';
import { ansiblePlaybooks } from '../helpers/ansible.js';
import { tempDir } from '../helpers/tmp.js';

const HOSTS = ['h1', 'h2', 'h3', 'h4', 'h5'];

/** Each host logs "start T host" / "end T host"; h5 is slowest in t1 (it does more work, not a timer). */
const LINEAR = (log: string) => `
- hosts: all
  gather_facts: false
  tasks:
    - name: t1
      shell: echo "start t1 {{ inventory_hostname }}" >> ${log}; for i in $(seq {{ work }}); do :; done; echo "end t1 {{ inventory_hostname }}" >> ${log}; echo "{{ inventory_hostname }}-value"
      register: r1
    - name: t2 reads another host's result
      shell: echo "start t2 {{ inventory_hostname }}" >> ${log}; echo "{{ hostvars['h5'].r1.stdout }}"
      register: r2
    - block:
        - name: t3
          shell: echo "start t3 {{ inventory_hostname }}" >> ${log}; test {{ inventory_hostname }} != h2
      rescue:
        - name: t4 rescue
          shell: echo "start t4 {{ inventory_hostname }}" >> ${log}
    - name: t5
      shell: echo "start t5 {{ inventory_hostname }}" >> ${log}
`;

/** h1 waits (up to 60 s) for a file that h2 writes in the NEXT task: finishes only if h2 runs ahead. */
const FREE = (dir: string, keyword: string) => `
- hosts: h1,h2
  gather_facts: false
  ${keyword}
  tasks:
    - name: wait
      shell: if [ {{ inventory_hostname }} = h1 ]; then for i in $(seq 600); do [ -e ${dir}/flag ] && exit 0; sleep 0.1; done; exit 1; fi
    - name: flag
      shell: touch ${dir}/flag
`;

/** The log's "start T" / "end T" lines in order, checked for linear's rule: nothing of task n+1 before task n is done. */
function checkLinear(lines: string[]): void {
  const order = ['t1', 't2', 't3', 't4', 't5'];
  const lastEvent = new Map<string, number>();
  const firstStart = new Map<string, number>();
  lines.forEach((l, i) => {
    const [, t] = l.split(' ');
    lastEvent.set(t!, i);
    if (l.startsWith('start') && !firstStart.has(t!)) firstStart.set(t!, i);
  });
  for (let n = 0; n + 1 < order.length; n++) {
    const next = firstStart.get(order[n + 1]!);
    const done = lastEvent.get(order[n]!);
    if (next !== undefined && done !== undefined) expect(done, `${order[n]} finished before ${order[n + 1]} started:\n${lines.join('\n')}`).to.be.below(next);
  }
}

function inventory(): string {
  return HOSTS.map((h) => `${h} ansible_connection=local work=${h === 'h5' ? 200000 : 10}`).join('\n') + '\n';
}

async function wheelwright(dir: string, file: string, flags: Partial<RunOptions> = {}): Promise<{ summary: RunSummary; events: RunEvent[] }> {
  const events: RunEvent[] = [];
  const summary = await runPlaybook(
    {
      playbook: await loadPlaybook(join(dir, file)),
      inventory: await loadInventory([join(dir, 'hosts')], { playbookDir: dir }),
      extraVars: {}, forks: 2, verbosity: 0, check: false, diff: false, tags: [], skipTags: [],
      hostKeyChecking: 'strict', connectTimeoutMs: 10_000, retryFile: false, ...flags,
    },
    (e) => events.push(e),
  );
  return { summary, events };
}

const outputs = (events: RunEvent[]) => {
  const out: Record<string, Record<string, string>> = {};
  for (const e of events) if (e.type === 'host_result') (out[e.host] ??= {})[e.task] = `${e.status === 'changed' ? 'ok' : e.status} ${(e.result as { stdout?: string }).stdout ?? ''}`;
  return out;
};

describe('strategies', function () {
  this.timeout(120_000);

  it('linear is the default: tasks in lockstep (forks 2 of 5 hosts), cross-host reads work, as ansible-playbook', async () => {
    const dir = tempDir('ww-linear-');
    writeFileSync(join(dir, 'hosts'), inventory());
    writeFileSync(join(dir, 'ww.yml'), LINEAR(join(dir, 'ww.log')));
    writeFileSync(join(dir, 'ans.yml'), LINEAR(join(dir, 'ans.log')));
    const oracle = ansiblePlaybooks([{ id: 'a', argv: ['-i', 'hosts', '-f', '2', 'ans.yml'], cwd: dir }]);
    const { summary, events } = await wheelwright(dir, 'ww.yml');
    const ansible = (await oracle).a!;
    checkLinear(readFileSync(join(dir, 'ans.log'), 'utf8').trim().split('\n')); // the oracle obeys the rule too
    checkLinear(readFileSync(join(dir, 'ww.log'), 'utf8').trim().split('\n'));
    expect(summary.exitCode).to.equal(ansible.code);
    const theirs: Record<string, Record<string, string>> = {};
    for (const p of ansible.json!.plays) for (const t of p.tasks) for (const [h, r] of Object.entries(t.hosts)) (theirs[h] ??= {})[t.task.name] = `${r._status === 'changed' ? 'ok' : r._status} ${r.stdout ?? ''}`;
    expect(outputs(events)).to.deep.equal(theirs);
    // the output is grouped per task: each task announced once, its results before the next task's
    const starts = events.filter((e) => e.type === 'task_start').map((e) => (e as { task: string }).task);
    expect(starts).to.deep.equal(['t1', "t2 reads another host's result", 't3', 't4 rescue', 't5']);
  });

  for (const [how, keyword, flags] of [
    ['the play keyword', 'strategy: free', {}],
    ['the configuration (ANSIBLE_STRATEGY)', '', { strategy: 'free' }],
  ] as const) {
    it(`free, from ${how}: a host runs ahead of the others`, async () => {
      const dir = tempDir('ww-free-');
      writeFileSync(join(dir, 'hosts'), inventory());
      writeFileSync(join(dir, 'free.yml'), FREE(dir, keyword));
      rmSync(join(dir, 'flag'), { force: true });
      const { summary } = await wheelwright(dir, 'free.yml', flags as Partial<RunOptions>);
      expect(summary.exitCode).to.equal(0);
      expect(summary.stats.h1!.ok).to.equal(2);
    });
  }

  it('an Ansible strategy wheelwright lacks is named as such at load', async () => {
    const dir = tempDir('ww-strat-');
    writeFileSync(join(dir, 'p.yml'), '- hosts: all\n  strategy: host_pinned\n  tasks: []\n');
    let err: Error | undefined;
    await loadPlaybook(join(dir, 'p.yml')).catch((e: Error) => (err = e));
    expect(err?.message).to.match(/p\.yml:2:\d+: strategy 'host_pinned' is an Ansible strategy that wheelwright does not support/);
  });
});
