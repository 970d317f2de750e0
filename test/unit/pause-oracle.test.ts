/**
 * pause (issue 11): seconds/minutes read as Ansible reads them (Python's int(): a float is cut, a
 * pause lasts at least a second, a non-integer string fails with Ansible's message), a prompt with
 * seconds is only shown; without seconds/minutes and without a terminal wheelwright fails where
 * Ansible warns and goes on (the deliberate difference of docs/modules.md). Both tools run the same
 * playbook on localhost (connection local, stdin not a terminal); no lab.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ansiblePlaybooks, ansibleResults } from '../helpers/ansible.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const CASES: Array<{ name: string; pause: Record<string, unknown> }> = [
  { name: 'minutes as a float', pause: { minutes: 0.01 } },
  { name: 'a negative number of seconds', pause: { seconds: -3 } },
  { name: 'seconds as a string', pause: { seconds: '1' } },
  { name: 'seconds with a prompt', pause: { seconds: 1, prompt: 'settling' } },
  { name: 'a string that is not an integer', pause: { seconds: '1.5' } },
  { name: 'a word', pause: { minutes: 'abc' } },
  { name: 'waiting for Enter without a terminal', pause: { prompt: 'continue?' } },
];

describe('pause: seconds and minutes as ansible-playbook reads them (localhost)', function () {
  this.timeout(120_000);
  const ours: Record<string, Record<string, any>> = {};
  let theirs: Record<string, Record<string, any>> = {};
  let dir: string;

  before(async function () {
    dir = tempDir('ww-pause-oracle-');
    const play = [{ hosts: 'localhost', connection: 'local', gather_facts: false, tasks: CASES.map((c) => ({ name: c.name, pause: c.pause, ignore_errors: true })) }];
    writeFileSync(join(dir, 'site.yml'), stringify(play));
    writeFileSync(join(dir, 'hosts'), 'localhost ansible_connection=local\n');
    const [a, w] = await Promise.all([
      ansiblePlaybooks([{ id: 'p', argv: ['-i', 'hosts', 'site.yml'], cwd: dir }]),
      runCli(['-i', 'hosts', 'site.yml', '--output', 'jsonl', '--retry-file', 'none'], { cwd: dir }),
    ]);
    expect(a.p!.json, a.p!.stdout).to.not.equal(undefined);
    theirs = ansibleResults(a.p!.json).localhost ?? {};
    for (const e of w.events) if (e.type === 'host_result') ours[e.task] = { ...e.result, failed: e.status === 'failed' };
    expect(Object.keys(ours), w.stderr).to.have.length(CASES.length);
  });

  // the durations are wall-clock: compared by their shape only (a pause of 1 s is Paused for 0.02 minutes / 1.0 seconds)
  const shape = (r: Record<string, any>) => ({
    // Ansible's failure is the callback's status (an action's failed result need not carry `failed`)
    failed: r._status !== undefined ? ['failed', 'ignored'].includes(r._status) : !!r.failed,
    changed: r.changed,
    rc: r.rc,
    echo: r.echo,
    user_input: r.user_input,
    stderr: r.stderr,
    stdout: typeof r.stdout === 'string' ? r.stdout.replace(/^Paused for 0\.0[1-4] minutes$/, 'Paused for ~1s (minutes)').replace(/^Paused for 1\.\d+ seconds$/, 'Paused for ~1s (seconds)') : r.stdout,
    // Ansible names the YAML string class of its parser
    msg: typeof r.msg === 'string' ? r.msg.replace(/<class '[\w.]*AnsibleUnicode'>/, "<class 'str'>") : r.msg,
  });

  for (const c of CASES.filter((x) => x.name !== 'waiting for Enter without a terminal')) {
    it(`${c.name}: the result ansible-playbook returns`, function () {
      expect(shape(ours[c.name]!)).to.deep.equal(shape(theirs[c.name]!));
    });
  }

  it('waiting for Enter without a terminal: an error in wheelwright, a warning in Ansible (documented)', function () {
    expect(theirs['waiting for Enter without a terminal']!._status).to.equal('ok');
    expect(ours['waiting for Enter without a terminal']).to.include({ failed: true });
    expect(ours['waiting for Enter without a terminal']!.msg).to.match(/needs an interactive terminal/);
  });
});
