/**
 * Issue 8 points 2-4 against the oracle: ansible-playbook / ansible-inventory run on the same
 * inputs as wheelwright (all runs of both started at once in before(), to keep the suite fast).
 * Covered: no_log on loops shows (item=None) and hides every value (terminal at -v..-vvvv, JSON
 * lines, retry file); a BOM is accepted; notify of a missing handler and empty playbooks are errors
 * with Ansible's words (found before any task runs here); and, as documented differences, empty
 * host ranges and invalid UTF-8 are errors where Ansible goes on or crashes.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, type CliResult } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

interface Proc {
  code: number | null;
  out: string;
  err: string;
}

function ansible(cmd: string, args: string[], cwd: string): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, {
      cwd,
      env: {
        ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0', ANSIBLE_RETRY_FILES_ENABLED: '0',
        ANSIBLE_LOCALHOST_WARNING: '0', ANSIBLE_INVENTORY_UNPARSED_WARNING: '0', ANSIBLE_DEPRECATION_WARNINGS: '0',
      },
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

const SECRETS = ['s3cr3t1', 's3cr3t2', 's3cr3t3', 's3cr3t4', 's3cr3t5'];
const NOLOG = `- hosts: localhost
  gather_facts: false
  tasks:
    - name: secret loop
      debug: msg="{{ item }}"
      loop: [s3cr3t1, s3cr3t2]
      no_log: true
    - name: secret loop cmd
      command: echo {{ item }}
      loop: [s3cr3t3]
      no_log: true
    - name: fail loop
      command: /bin/false {{ item }}
      loop: [s3cr3t4]
      no_log: true
      ignore_errors: true
    - name: label
      debug: msg="{{ item }}"
      loop: [s3cr3t5]
      loop_control: {label: "lbl-{{ item }}"}
      no_log: true
`;
/** the same, ending in an unignored failure: a retry file gets written */
const NOLOG_FAIL = NOLOG + '    - name: fail for real\n      command: /bin/false {{ item }}\n      loop: [s3cr3t1]\n      no_log: true\n';

/** (status, item) of each per-item line, e.g. ['ok', 'None'] */
function itemLines(text: string): string[][] {
  return [...text.matchAll(/^(ok|changed|failed|skipping): \[localhost\].*?\(item=([^)]*)\)/gm)].map((m) => [m[1]!, m[2]!]);
}

describe('input and secrets vs ansible-playbook / ansible-inventory', function () {
  this.timeout(120_000);
  let dir: string;
  const A: Record<string, Proc> = {};
  const W: Record<string, CliResult> = {};

  before(async () => {
    dir = tempDir('ww-oracle-');
    const f = (name: string, content: string | Buffer) => writeFileSync(join(dir, name), content);
    f('nolog.yml', NOLOG);
    f('nolog-fail.yml', NOLOG_FAIL);
    f('bom-inv.yml', '\ufeffall:\n  hosts:\n    a1:\n      x: 1\n  children:\n    g:\n      hosts:\n        a2:\n');
    f('bom-inv.ini', '\ufeff[g]\nb1 y=2\n');
    f('bom.yml', '\ufeff- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug: msg=hi\n');
    f('notify.yml', '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - name: t1\n      command: /bin/true\n      notify: nope\n  handlers:\n    - name: real\n      debug: msg=x\n');
    mkdirSync(join(dir, 'roles/r/handlers'), { recursive: true });
    mkdirSync(join(dir, 'roles/r/tasks'), { recursive: true });
    f('roles/r/handlers/main.yml', '- name: restart\n  debug: msg=handler-ran\n');
    f('roles/r/tasks/main.yml', '- command: /bin/true\n  notify: "r : restart"\n');
    f('role-notify.yml', '- hosts: localhost\n  gather_facts: false\n  roles: [r]\n');
    f('empty.yml', '');
    f('noplays.yml', '[]\n');
    f('range.ini', '[web]\nweb[05:01]\n[db]\ndb1\n');
    f('badutf.yml', Buffer.concat([Buffer.from('- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug: msg="h'), Buffer.from([0xff]), Buffer.from('i"\n')]));
    const ww = (key: string, args: string[]) => runCli(args, { cwd: dir }).then((r) => (W[key] = r));
    const an = (key: string, cmd: string, args: string[]) => ansible(cmd, args, dir).then((r) => (A[key] = r));
    await Promise.all([
      an('nolog', 'ansible-playbook', ['-i', 'localhost,', '-c', 'local', 'nolog.yml']),
      an('bom-inv', 'ansible-inventory', ['-i', 'bom-inv.yml', '--list']),
      an('bom-ini', 'ansible-inventory', ['-i', 'bom-inv.ini', '--list']),
      an('bom', 'ansible-playbook', ['-i', 'localhost,', '-c', 'local', 'bom.yml']),
      an('notify', 'ansible-playbook', ['-i', 'localhost,', '-c', 'local', 'notify.yml']),
      an('role-notify', 'ansible-playbook', ['-i', 'localhost,', '-c', 'local', 'role-notify.yml']),
      an('empty', 'ansible-playbook', ['-i', 'localhost,', 'empty.yml']),
      an('noplays', 'ansible-playbook', ['-i', 'localhost,', 'noplays.yml']),
      an('range', 'ansible-inventory', ['-i', 'range.ini', '--list']),
      an('badutf', 'ansible-playbook', ['-i', 'localhost,', '-c', 'local', 'badutf.yml']),
      ww('nolog', ['nolog.yml', '-i', 'localhost,']),
      ...['-v', '-vv', '-vvv', '-vvvv'].map((v) => ww(`nolog${v}`, ['nolog.yml', '-i', 'localhost,', v])),
      ww('nolog-jsonl', ['nolog.yml', '-i', 'localhost,', '--output', 'jsonl', '-vvvv']),
      ww('nolog-fail', ['nolog-fail.yml', '-i', 'localhost,', '--retry-file', join(dir, 'failed.retry')]),
      ww('bom-inv', ['inventory', '-i', 'bom-inv.yml', '--list']),
      ww('bom-ini', ['inventory', '-i', 'bom-inv.ini', '--list']),
      ww('bom', ['bom.yml', '-i', 'localhost,']),
      ww('notify', ['notify.yml', '-i', 'localhost,']),
      ww('role-notify', ['role-notify.yml', '-i', 'localhost,']),
      ww('empty', ['empty.yml', '-i', 'localhost,']),
      ww('noplays', ['noplays.yml', '-i', 'localhost,']),
      ww('range', ['inventory', '-i', 'range.ini', '--list']),
      ww('badutf', ['badutf.yml', '-i', 'localhost,']),
    ]);
  });

  it('no_log on a loop: every item line shows (item=None), as ansible-playbook prints', () => {
    const theirs = itemLines(A.nolog!.out);
    expect(theirs, A.nolog!.out).to.have.length(5);
    expect(theirs.every(([, item]) => item === 'None')).to.equal(true);
    expect(itemLines(W.nolog!.stdout), W.nolog!.stdout).to.deep.equal(theirs);
    expect(W.nolog!.code).to.equal(0);
  });

  it('no_log values appear nowhere: terminal at -v..-vvvv, JSON lines, retry file (Ansible hides them too)', () => {
    for (const s of SECRETS) {
      expect(A.nolog!.out, 'ansible').not.to.include(s);
      for (const key of ['nolog', 'nolog-v', 'nolog-vv', 'nolog-vvv', 'nolog-vvvv', 'nolog-jsonl', 'nolog-fail']) {
        expect(W[key]!.stdout + W[key]!.stderr, key).not.to.include(s);
      }
    }
    const items = W['nolog-jsonl']!.events.filter((e) => e.type === 'host_result' && 'item' in e);
    expect(items).to.have.length(5);
    for (const e of items) {
      expect(e.item).to.equal(null);
      expect(e.label).to.equal('None');
      expect(e.result.censored).to.equal("the output has been hidden due to the fact that 'no_log: true' was specified for this result");
    }
    expect(W['nolog-fail']!.code).to.equal(2);
    const retry = readFileSync(join(dir, 'failed.retry'), 'utf8');
    expect(retry).to.equal('localhost\n');
  });

  it('a byte order mark at the start of a YAML file is accepted, as by Ansible (and of an INI file, where Ansible skips the source)', () => {
    expect(A['bom-inv']!.code, A['bom-inv']!.err).to.equal(0);
    expect(W['bom-inv']!.code, W['bom-inv']!.stderr).to.equal(0);
    expect(JSON.parse(W['bom-inv']!.stdout)).to.deep.equal(JSON.parse(A['bom-inv']!.out));
    expect(A.bom!.code).to.equal(0);
    expect(W.bom!.code, W.bom!.stderr).to.equal(0);
    // Ansible's INI plugin reads the BOM as part of a host pattern and skips the file with a warning
    expect(A['bom-ini']!.err).to.include('Unable to parse');
    expect(W['bom-ini']!.code, W['bom-ini']!.stderr).to.equal(0);
    expect(JSON.parse(W['bom-ini']!.stdout).g.hosts).to.deep.equal(['b1']);
    expect(W.bom!.stdout).to.include('hi');
  });

  it("notify of a missing handler: Ansible's error, but before any task runs (ansible-playbook runs the task first)", () => {
    const msg = "The requested handler 'nope' was not found in either the main handlers list nor in the listening handlers list";
    expect(A.notify!.code).to.not.equal(0);
    expect(A.notify!.err).to.include(msg);
    expect(A.notify!.out).to.include('TASK [t1]');
    expect(W.notify!.code).to.equal(5);
    expect(W.notify!.stderr).to.include(`notify.yml:4:7: ${msg}`);
    expect(W.notify!.stdout).not.to.include('TASK');
  });

  it("notify: 'role : handler' names a role's handler, as in Ansible", () => {
    for (const out of [A['role-notify']!.out, W['role-notify']!.stdout]) {
      expect(out).to.include('RUNNING HANDLER [r : restart]');
      expect(out).to.include('handler-ran');
    }
    expect(W['role-notify']!.code).to.equal(0);
  });

  it("an empty playbook and one without plays are errors with Ansible's words (exit 5 here, 4 there)", () => {
    expect(A.empty!.code).to.equal(4);
    expect(A.empty!.err).to.include('Empty playbook, nothing to do');
    expect(W.empty!.code).to.equal(5);
    expect(W.empty!.stderr).to.match(/empty\.yml:1:1: Empty playbook, nothing to do: empty\.yml/);
    expect(A.noplays!.code).to.equal(4);
    expect(A.noplays!.err).to.include('A playbook must contain at least one play');
    expect(W.noplays!.code).to.equal(5);
    expect(W.noplays!.stderr).to.match(/noplays\.yml:1:1: A playbook must contain at least one play/);
  });

  it('differences on purpose: an empty host range and invalid UTF-8 are errors (Ansible: silent empty group; crash)', () => {
    // Ansible: web exists with no hosts, exit 0
    const theirs = JSON.parse(A.range!.out);
    expect(theirs.all.children).to.include('web');
    expect(theirs.web).to.equal(undefined);
    expect(W.range!.code).to.equal(5);
    expect(W.range!.stderr).to.match(/range\.ini:2:1: host range 'web\[05:01\]' is empty/);
    // Ansible: "Unexpected Exception, this is probably a bug", exit 250
    expect(A.badutf!.code).to.equal(250);
    expect(A.badutf!.err).to.include('Unexpected Exception');
    expect(W.badutf!.code).to.equal(5);
    expect(W.badutf!.stderr).to.match(/badutf\.yml:4:20: invalid UTF-8 \(byte 0xff/);
    expect(existsSync(join(dir, 'badutf.retry'))).to.equal(false);
  });
});
