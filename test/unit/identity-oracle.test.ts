/**
 * Who runs a task, and over what, with Ansible's precedence (host variables beat play/task keywords,
 * keywords beat the CLI): play `connection`, ansible_become/_user/_method from the inventory and from
 * play vars, and the legacy ansible_ssh_host/_port/_user names. ansible-playbook and wheelwright run
 * the same files; every host's `whoami` per task must match. Local connections, become as root
 * (sudo and su need no password), and one throwaway sshd on 127.0.0.1 for the ssh variables.
 */
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
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
  hosts: ssh1,j1,j2,j3
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
    // ansible_ssh_common_args / ansible_ssh_extra_args are honoured: a ProxyJump through a closed
    // port makes a reachable host unreachable in both tools; a harmless option changes nothing
    ...(sshd
      ? [
          `j1 ansible_host=127.0.0.1 ansible_port=${sshd.port} ansible_user=root ansible_ssh_private_key_file=${key} ansible_ssh_common_args='-o ProxyJump=root@127.0.0.1:1'`,
          `j2 ansible_host=127.0.0.1 ansible_port=${sshd.port} ansible_user=root ansible_ssh_private_key_file=${key} ansible_ssh_extra_args='-o ProxyJump=root@127.0.0.1:1'`,
          `j3 ansible_host=127.0.0.1 ansible_port=${sshd.port} ansible_user=root ansible_ssh_private_key_file=${key} ansible_ssh_common_args='-o ServerAliveInterval=5' ansible_ssh_extra_args='-o ServerAliveCountMax=3'`,
        ]
      : []),
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

/** Run with -u nosuchuser -b --become-user daemon -c ssh --private-key KEY: who wins over whom. */
const CLI_PLAYBOOK = `
- name: cli defaults
  hosts: s1,s2,l1,l2,l4,k1
  gather_facts: false
  tasks:
    - name: who
      command: whoami

- name: remote_user keyword
  hosts: s3,s4
  gather_facts: false
  remote_user: root
  tasks:
    - name: who
      command: whoami

- name: become keyword
  hosts: l3
  gather_facts: false
  become: false
  tasks:
    - name: who
      command: whoami

- name: connection keyword
  hosts: c1
  gather_facts: false
  connection: local
  tasks:
    - name: who
      command: whoami
`;

/** Task and block connection keywords (issue 13 point 4): over the play's and the CLI's, below the host's variables. */
const taskPlay = (port: number) => `
- name: task and block keywords
  hosts: t1,t2,t3,t4,t5,t6
  gather_facts: false
  vars: {sshd_port: ${port}}
  tasks:
    - name: task remote_user
      command: whoami
      remote_user: root
      when: inventory_hostname in ['t1', 't2']
    - block:
        - name: block remote_user
          command: whoami
      remote_user: root
      when: inventory_hostname == 't3'
    - name: task connection local
      command: whoami
      connection: local
      become: false
      when: inventory_hostname == 't4'
    - name: task port templated
      command: whoami
      remote_user: root
      port: "{{ sshd_port }}"
      when: inventory_hostname == 't5'
    - block:
        - name: inner port wins
          command: whoami
          port: ${port}
      port: 1
      remote_user: root
      when: inventory_hostname == 't6'
    - name: async over ssh
      command: echo async-ssh
      remote_user: root
      become: false
      async: 30
      poll: 0
      register: job
      when: inventory_hostname == 't1'
    - name: async_status over ssh
      async_status: jid={{ job.ansible_job_id }}
      register: st
      until: st.finished
      retries: 30
      delay: 1
      remote_user: root
      become: false
      when: inventory_hostname == 't1'
`;

function cliInventory(sshd: Sshd, badKey: string): string {
  const at = `ansible_host=127.0.0.1 ansible_port=${sshd.port}`;
  return [
    `s1 ${at} ansible_user=root`, // the variable beats -u
    `s2 ${at}`, // -u nosuchuser: unreachable
    `s3 ${at}`, // remote_user: root beats -u
    `s4 ${at} ansible_user=nosuchuser2`, // the variable beats remote_user
    `k1 ${at} ansible_user=root ansible_ssh_private_key_file=${badKey}`, // the variable beats --private-key
    'l1 ansible_connection=local', // -b --become-user daemon
    'l2 ansible_connection=local ansible_become_user=nobody', // the variable beats --become-user
    'l3 ansible_connection=local', // become: false beats -b
    'l4 ansible_connection=local ansible_become=false', // the variable beats -b
    'c1 ansible_host=127.0.0.1 ansible_port=1', // connection: local beats -c ssh
    `t1 ${at}`, // task remote_user: root beats -u
    `t2 ${at} ansible_user=nosuchuser2`, // the variable beats the task's remote_user
    `t3 ${at}`, // block remote_user
    't4 ansible_host=127.0.0.1 ansible_port=1', // task connection: local beats -c ssh
    `t5 ansible_host=127.0.0.1`, // task port (templated) beats the default
    `t6 ansible_host=127.0.0.1`, // the task's port beats its block's
  ].join('\n') + '\n';
}

describe('identity and connection: same as ansible-playbook', function () {
  this.timeout(300_000); // a loaded machine; the runs take seconds
  let sshd: Sshd | undefined;
  let dir: string;
  let oracle: Outcome;
  let ours: Outcome;
  let cliOurs: Outcome = {};
  let cliOracle: Outcome = {};

  before(async function () {
    if (process.getuid?.() !== 0) return this.skip(); // become to other users without a password needs root
    if (sshdAvailable()) sshd = await startSshd();
    dir = mkdtempSync(join(tmpdir(), 'ww-identity-'));
    writeFileSync(join(dir, 'hosts'), inventory(sshd));
    writeFileSync(join(dir, 'site.yml'), PLAYBOOK);
    const cases = [{ id: 'site', argv: ['-i', 'hosts', 'site.yml'], cwd: dir }];
    let cliOpts: Partial<RunOptions> | undefined;
    if (sshd) {
      const badKey = join(dir, 'unauthorized');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', badKey]);
      writeFileSync(join(dir, 'cli-hosts'), cliInventory(sshd, badKey));
      writeFileSync(join(dir, 'cli.yml'), CLI_PLAYBOOK + taskPlay(sshd.port));
      const key = clientKeys().key;
      cases.push({ id: 'cli', argv: ['-i', 'cli-hosts', 'cli.yml', '-u', 'nosuchuser', '-b', '--become-user', 'daemon', '-c', 'ssh', '--private-key', key], cwd: dir });
      cliOpts = {
        playbook: await loadPlaybook(join(dir, 'cli.yml')),
        inventory: await loadInventory([join(dir, 'cli-hosts')], { playbookDir: dir }),
        connectionDefaults: { connection: 'ssh', user: 'nosuchuser', privateKeyFile: key },
        become: { become: true, user: 'daemon' },
      };
    }
    const pending = ansiblePlaybooks(cases);
    const events: RunEvent[] = [];
    const opts: RunOptions = {
      playbook: await loadPlaybook(join(dir, 'site.yml')),
      inventory: await loadInventory([join(dir, 'hosts')], { playbookDir: dir }),
      extraVars: {}, forks: 10, verbosity: 0, check: false, diff: false, tags: [], skipTags: [],
      hostKeyChecking: 'off', connectTimeoutMs: 10_000, retryFile: false,
    };
    await runPlaybook(opts, (e) => events.push(e));
    ours = fromEvents(events);
    if (cliOpts) {
      const cliEvents: RunEvent[] = [];
      await runPlaybook({ ...opts, ...cliOpts }, (e) => cliEvents.push(e));
      cliOurs = fromEvents(cliEvents);
    }
    const answers = await pending;
    oracle = fromAnsible(answers.site!);
    if (answers.cli) cliOracle = fromAnsible(answers.cli);
  });

  after(async () => {
    await sshd?.stop();
  });

  for (const host of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'ssh1', 'j1', 'j2', 'j3']) {
    it(`host ${host}`, function () {
      if (/^(ssh|j)\d/.test(host) && !sshd) this.skip();
      expect(oracle[host], `ansible-playbook ran nothing on ${host}`).to.not.equal(undefined);
      expect(ours[host]).to.deep.equal(oracle[host]);
    });
  }

  for (const host of ['s1', 's2', 's3', 's4', 'k1', 'l1', 'l2', 'l3', 'l4', 'c1', 't1', 't2', 't3', 't4', 't5', 't6']) {
    it(`CLI options below keywords and variables: host ${host}`, function () {
      if (!sshd) this.skip();
      expect(cliOracle[host], `ansible-playbook ran nothing on ${host}`).to.not.equal(undefined);
      expect({ [host]: cliOurs[host] }).to.deep.equal({ [host]: cliOracle[host] });
    });
  }
});

/**
 * The connection settings of ansible.cfg act as in ansible-playbook (issue 13 point 5): remote_user,
 * private_key_file and host_key_checking = False (the throwaway sshd's host key is known to
 * nobody; HOME is empty, so no default key) reach the hosts; a host's ansible_user beats remote_user
 * (the tests run as root, so remote_user is a user that does not exist: unreachable where it acts). The
 * real CLI reads ./ansible.cfg; no -i (the file's `inventory`).
 */
describe('identity: remote_user, private_key_file, host_key_checking from ansible.cfg, as ansible-playbook', function () {
  this.timeout(300_000);
  let sshd: Sshd | undefined;
  let seen: { ansible: Outcome; ww: Outcome } | undefined;

  before(async function () {
    if (process.getuid?.() !== 0 || !sshdAvailable()) return this.skip();
    sshd = await startSshd();
    const { runCli } = await import('../helpers/cli.js');
    const { ansiblePlaybook } = await import('../helpers/ansible.js');
    const dir = mkdtempSync(join(tmpdir(), 'ww-identity-cfg-'));
    const home = mkdtempSync(join(tmpdir(), 'ww-identity-cfg-home-')); // no known_hosts, no ~/.ssh keys
    writeFileSync(join(dir, 'ansible.cfg'), `[defaults]\ninventory = ./hosts\nremote_user = nosuchuser\nprivate_key_file = ${clientKeys().key}\nhost_key_checking = False\n`);
    writeFileSync(join(dir, 'hosts'), `r1 ansible_host=127.0.0.1 ansible_port=${sshd.port}\nr2 ansible_host=127.0.0.1 ansible_port=${sshd.port} ansible_user=root\n`);
    writeFileSync(join(dir, 'site.yml'), '- hosts: all\n  gather_facts: false\n  tasks:\n    - name: over ssh\n      command: whoami\n');
    const [a, w] = await Promise.all([
      ansiblePlaybook(['site.yml'], { cwd: dir, env: { HOME: home } }),
      runCli(['site.yml', '--output', 'jsonl', '--retry-file', 'none'], { cwd: dir, env: { HOME: home } }),
    ]);
    seen = { ansible: fromAnsible(a), ww: fromEvents(w.events as RunEvent[]) };
  });

  after(async () => {
    await sshd?.stop();
  });

  it('r1 connects as remote_user (nosuchuser: unreachable); r2 ansible_user root beats it, with the configured key and no host key check', () => {
    expect(seen!.ansible, JSON.stringify(seen)).to.deep.equal({ r1: { 'over ssh': 'unreachable' }, r2: { 'over ssh': 'ok root' } });
    expect(seen!.ww).to.deep.equal(seen!.ansible);
  });
});
