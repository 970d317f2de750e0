/**
 * Shapes of the public corpus (docs/compatibility.md) that wheelwright refused, checked against
 * ansible-playbook on the same files:
 * - a play's `user` keyword: the old name of `remote_user`, as Ansible's Play.preprocess_data takes
 *   it (the upstream python_venv_build role's examples/playbook.yml); both at once is an error;
 * - a tasks file that include_tasks itself from a rescue, a retry loop ended by a `when`
 *   (kubespray's calico route-reflector update-node.yml): Ansible includes it anew each time;
 * - `notify` on a block (kubespray's kubeadm-setup.yml): its tasks without a notify of their own
 *   notify it; a task's own or an inner block's wins.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadPlaybook } from '../../src/playbook/index.js';
import { ANSIBLE_ENV, ansiblePlaybooks, type AnsibleRun } from '../helpers/ansible.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);

async function ansibleSyntax(file: string): Promise<{ code: number; out: string }> {
  try {
    const r = await run('ansible-playbook', ['--syntax-check', '-i', 'localhost,', file], { env: { ...process.env, ...ANSIBLE_ENV } });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout + x.stderr };
  }
}

describe('corpus shapes as in ansible-playbook: play user, a self-including tasks file', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = tempDir('ww-play-user-');
    writeFileSync(join(dir, 'user.yml'), '- hosts: localhost\n  user: deploy\n  gather_facts: false\n  tasks:\n    - debug: { msg: hi }\n');
    writeFileSync(join(dir, 'both.yml'), '- hosts: localhost\n  user: deploy\n  remote_user: other\n  gather_facts: false\n  tasks: []\n');
  });

  it('is remote_user; with remote_user too it is an error, in both tools', async () => {
    const [a1, a2] = await Promise.all([ansibleSyntax(join(dir, 'user.yml')), ansibleSyntax(join(dir, 'both.yml'))]);
    expect(a1.code, a1.out).to.equal(0);
    expect(a2.code, a2.out).to.not.equal(0);
    expect(a2.out).to.include("both 'user' and 'remote_user' are set for this play");
    const pb = await loadPlaybook(join(dir, 'user.yml'));
    expect(pb.plays[0]!.remoteUser).to.equal('deploy');
    let err: Error | undefined;
    try {
      await loadPlaybook(join(dir, 'both.yml'));
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/both\.yml:2:3: both 'user' and 'remote_user' are set for this play/);
  });

  it('runs a tasks file that includes itself until its when stops it, as ansible-playbook', async () => {
    writeFileSync(
      join(dir, 'retry.yml'),
      [
        '- name: Configure with retries',
        '  block:',
        '    - name: Set the retry count',
        '      set_fact:',
        '        retry_count: "{{ 0 if retry_count is undefined else retry_count | int + 1 }}"',
        '    - name: Step that fails the first times',
        '      fail: { msg: not yet }',
        '      when: retry_count | int < 3',
        '  rescue:',
        '    - name: Fail if retry limit is reached',
        '      fail: { msg: Ended after 10 retries }',
        '      when: retry_count | int == 10',
        '    - name: Retry',
        '      include_tasks: retry.yml',
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'recurse.yml'), '- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n    - include_tasks: retry.yml\n    - name: done\n      debug: { msg: "done after {{ retry_count }}" }\n');
    writeFileSync(join(dir, 'hosts'), 'localhost ansible_connection=local\n');
    const [theirs, ours] = await Promise.all([
      ansiblePlaybooks([{ id: 'r', argv: ['-i', 'hosts', 'recurse.yml'], cwd: dir }]),
      runCli(['-i', 'hosts', 'recurse.yml', '--output', 'jsonl', '--retry-file', 'none'], { cwd: dir }),
    ]);
    const a: AnsibleRun = theirs.r!;
    expect(a.code, a.stdout.slice(-2000)).to.equal(0);
    let expected: unknown;
    for (const p of a.json?.plays ?? []) for (const t of p.tasks) if (t.task.name === 'done') expected = t.hosts.localhost?.msg;
    expect(expected).to.equal('done after 3');
    const r: CliResult = ours;
    expect(r.code, r.stderr + r.stdout.slice(-2000)).to.equal(0);
    expect(r.events.find((e) => e.type === 'host_result' && e.task === 'done')?.result?.msg).to.equal(expected);
  });

  it("takes a block's notify for its tasks, the nearest one winning, as ansible-playbook", async () => {
    writeFileSync(
      join(dir, 'blocknotify.yml'),
      [
        '- hosts: localhost',
        '  connection: local',
        '  gather_facts: false',
        '  handlers:',
        '    - { name: h1, debug: { msg: H1 ran } }',
        '    - { name: h2, debug: { msg: H2 ran } }',
        '    - { name: h3, debug: { msg: H3 ran } }',
        '    - { name: h4, debug: { msg: H4 ran } }',
        '  tasks:',
        '    - name: outer',
        '      notify: h1',
        '      block:',
        '        - name: own notify only',
        '          command: "true"',
        '          notify: h2',
        '        - name: unchanged',
        '          command: "true"',
        '          changed_when: false',
        '        - block:',
        '            - name: nested changed',
        '              command: "true"',
        '          notify: h3',
        '    - name: second',
        '      notify: h4',
        '      block:',
        '        - name: inherits',
        '          command: "true"',
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'hosts'), 'localhost ansible_connection=local\n');
    const [theirs, ours] = await Promise.all([
      ansiblePlaybooks([{ id: 'b', argv: ['-i', 'hosts', 'blocknotify.yml'], cwd: dir }]),
      runCli(['-i', 'hosts', 'blocknotify.yml', '--output', 'jsonl', '--retry-file', 'none'], { cwd: dir }),
    ]);
    const a: AnsibleRun = theirs.b!;
    expect(a.code, a.stdout.slice(-2000)).to.equal(0);
    const ran = (names: string[]) => ['h1', 'h2', 'h3', 'h4'].filter((h) => names.includes(h));
    const expected = ran((a.json?.plays ?? []).flatMap((p) => p.tasks.map((t) => t.task.name)));
    expect(expected).to.deep.equal(['h2', 'h3', 'h4']);
    expect(ours.code, ours.stderr + ours.stdout.slice(-2000)).to.equal(0);
    expect(ran(ours.events.filter((e) => e.type === 'host_result').map((e) => String(e.task)))).to.deep.equal(expected);
  });
});
