/**
 * Who runs a task, and over what, with Ansible's precedence (host variables beat play/task keywords,
 * keywords beat the CLI): play `connection`, ansible_become/_user/_method from the inventory and from
 * play vars, and the legacy ansible_ssh_host/_port/_user names. ansible-playbook and wheelwright run
 * the same files; every host's `whoami` per task must match. Local connections, become as root
 * (sudo and su need no password), and one throwaway sshd on 127.0.0.1 for the ssh variables.
 */
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInventory } from '../../src/inventory/index.js';
import { loadPlaybook } from '../../src/playbook/index.js';
import { runPlaybook, type RunOptions } from '../../src/runner/run.js';
import type { RunEvent } from '../../src/runner/events.js';
import '../../src/modules/index.js';
import { ansiblePlaybooks, type AnsibleRun } from '../helpers/ansible.js';
import { clientKeys, sshdAvailable, startSshd, type Sshd } from '../helpers/sshd.js';

const PLAYBOOK = `
- name: play connection local
  hosts: a,b
  connection: local
  gather_facts: false
  tasks:
    - name: who
      command: whoami

- name: become method variable
  hosts: f
  gather_facts: false
  tasks:
    - name: plain
      command: whoami
    - name: kw become false
      command: whoami
      become: false

- name: become variables
  hosts: c,d,e
  gather_facts: false
  tasks:
    - name: plain
      command: whoami
    - name: kw become
      command: whoami
      become: true
    - name: kw become_user daemon
      command: whoami
      become: true
      become_user: daemon
    - name: kw become false
      command: whoami
      become: false

- name: play vars beat inventory
  hosts: e
  gather_facts: false
  vars:
    ansible_become: true
    ansible_become_user: daemon
  tasks:
    - name: play vars
      command: whoami

- name: play keywords
  hosts: d,g
  gather_facts: false
  become: true
  become_user: daemon
  tasks:
    - name: play become
      command: whoami
    - name: task become_user
      command: whoami
      become_user: bin

- name: legacy ssh variables
  hosts: ssh1
  gather_facts: false
  tasks:
    - name: over ssh
      command: whoami
`;

function inventory(sshd?: Sshd): string {
  const key = clientKeys().key;
  return [
    'a ansible_host=127.0.0.1 ansible_port=1',
    'b ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=1',
    'c ansible_connection=local ansible_become=true ansible_become_user=nobody',
    'd ansible_connection=local ansible_become_user=nobody',
    'e ansible_connection=local ansible_become=false',
    // (su to root: Debian's system users have nologin shells, which Ansible's su uses and wheelwright's does not)
    'f ansible_connection=local ansible_become=yes ansible_become_method=su',
    'g ansible_connection=local',
    // the legacy names win over the new ones, as in Ansible's ssh plugin
    sshd
      ? `ssh1 ansible_host=bogus.invalid ansible_ssh_host=127.0.0.1 ansible_port=1 ansible_ssh_port=${sshd.port} ansible_user=nosuchuser ansible_ssh_user=root ansible_ssh_private_key_file=${key}`
      : '',
  ].join('\n') + '\n';
}

type Outcome = Record<string, Record<string, string>>; // host → task → "status stdout"

function fromAnsible(r: AnsibleRun): Outcome {
  const out: Outcome = {};
  for (const p of r.json?.plays ?? []) {
    for (const t of p.tasks) {
      for (const [h, res] of Object.entries(t.hosts)) {
        const status = res._status === 'changed' ? 'ok' : res._status;
        (out[h] ??= {})[t.task.name] = status === 'unreachable' ? 'unreachable' : `${status} ${res.stdout ?? ''}`.trim();
      }
    }
  }
  return out;
}

function fromEvents(events: RunEvent[]): Outcome {
  const out: Outcome = {};
  for (const e of events) {
    if (e.type !== 'host_result') continue;
    const status = e.status === 'changed' ? 'ok' : e.status;
    const stdout = (e.result as { stdout?: string }).stdout ?? '';
    (out[e.host] ??= {})[e.task] = status === 'unreachable' ? 'unreachable' : `${status} ${stdout}`.trim();
  }
  return out;
}

describe('identity and connection: same as ansible-playbook', function () {
  this.timeout(120_000);
  let sshd: Sshd | undefined;
  let dir: string;
  let oracle: Outcome;
  let ours: Outcome;

  before(async function () {
    if (process.getuid?.() !== 0) return this.skip(); // become to other users without a password needs root
    if (sshdAvailable()) sshd = await startSshd();
    dir = mkdtempSync(join(tmpdir(), 'ww-identity-'));
    writeFileSync(join(dir, 'hosts'), inventory(sshd));
    writeFileSync(join(dir, 'site.yml'), PLAYBOOK);
    const pending = ansiblePlaybooks([{ id: 'site', argv: ['-i', 'hosts', 'site.yml'], cwd: dir }]);
    const events: RunEvent[] = [];
    const opts: RunOptions = {
      playbook: await loadPlaybook(join(dir, 'site.yml')),
      inventory: await loadInventory([join(dir, 'hosts')], { playbookDir: dir }),
      extraVars: {}, forks: 10, verbosity: 0, check: false, diff: false, tags: [], skipTags: [],
      hostKeyChecking: 'off', connectTimeoutMs: 10_000, retryFile: false,
    };
    await runPlaybook(opts, (e) => events.push(e));
    ours = fromEvents(events);
    oracle = fromAnsible((await pending).site!);
  });

  after(async () => {
    await sshd?.stop();
  });

  for (const host of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'ssh1']) {
    it(`host ${host}`, function () {
      if (host === 'ssh1' && !sshd) this.skip();
      expect(oracle[host], `ansible-playbook ran nothing on ${host}`).to.not.equal(undefined);
      expect(ours[host]).to.deep.equal(oracle[host]);
    });
  }
});
