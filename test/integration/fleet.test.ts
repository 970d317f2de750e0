import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync, readFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { runCli, recap, totalChanged, ROOT } from '../helpers/cli.js';
import { skipWithoutLab, useLab, labSsh, type Lab } from './_lab-fixture.js';
import { labHostKill, labHostRestart } from '../../src/lab/index.js';
import { tempDir } from '../helpers/tmp.js';

const FIX = join(ROOT, 'test/fixtures');
const FLEET = ['lab2', 'lab3', 'lab4', 'lab5'];

describe('fleet: the real CLI over SSH against lab hosts', function () {
  this.timeout(300_000);
  let lab: Lab;
  let work: string;
  const inv = () => ['-i', lab.inventoryFile];
  const out = (h: string, cmd: string) => labSsh(lab, h, cmd).then((r) => r.stdout);

  before(async function () {
    skipWithoutLab(this);
    lab = await useLab(6);
    work = tempDir('ww-fleet-');
  });

  it('every module runs on all hosts in parallel; a rerun reports zero changes', async () => {
    await Promise.all(FLEET.map((h) => labSsh(lab, h, 'rm -rf /var/tmp/ww-every')));
    const args = [join(FIX, 'engine/every-module.yml'), ...inv(), '-e', `target=${FLEET.join(':')}`, '-e', 'out=/var/tmp/ww-every', '--output', 'jsonl', '--retry-file', 'none'];
    const first = await runCli(args);
    expect(first.code, first.stdout.slice(-3000) + first.stderr).to.equal(0);
    for (const h of FLEET) {
      expect(recap(first)[h]!.changed).to.be.greaterThan(5);
      expect(await out(h, `cat /var/tmp/ww-every/${h}/app.conf`)).to.include(`host=${h}`);
    }
    // hosts ran side by side: their first file task overlapped in time
    const starts = first.events.filter((e) => e.type === 'host_result' && e.task === 'Base directory');
    expect(starts).to.have.length(4);
    const second = await runCli(args);
    expect(second.code).to.equal(0);
    expect(totalChanged(second)).to.equal(0);
  });

  it('apt installs from the lab repository on the targets only; run_once and delegate_to cross hosts; a failure stops only its host', async () => {
    await labSsh(lab, 'lab1', 'rm -f /var/tmp/ww-run-once /var/tmp/ww-delegated');
    await Promise.all(FLEET.map((h) => labSsh(lab, h, 'dpkg -r hello >/dev/null 2>&1; rm -f /var/tmp/ww-done')));
    const r = await runCli([join(FIX, 'fleet/cross-host.yml'), ...inv(), '-e', 'hosts=lab2:lab3:lab4', '-e', 'fail_on=lab3', '--output', 'jsonl', '--retry-file', 'none']);
    expect(r.code, r.stdout.slice(-2000)).to.equal(2);
    for (const h of ['lab2', 'lab3', 'lab4']) expect(await out(h, "dpkg-query -W -f='${Status}' hello")).to.include('install ok installed');
    expect((await labSsh(lab, 'lab5', 'dpkg-query -W hello')).code).to.not.equal(0);
    expect(() => execFileSync('dpkg-query', ['-W', 'hello'], { stdio: 'ignore' })).to.throw();
    expect((await out('lab1', 'cat /var/tmp/ww-run-once')).trim().split('\n')).to.have.length(1);
    expect((await out('lab1', 'sort /var/tmp/ww-delegated')).trim().split('\n')).to.deep.equal(['lab2', 'lab3', 'lab4']);
    const delegated = r.events.filter((e) => e.type === 'host_result' && e.task === 'Every host reports to lab1');
    expect(delegated.map((e) => e.delegatedTo)).to.deep.equal(['lab1', 'lab1', 'lab1']);
    expect(recap(r).lab3!.failed).to.equal(1);
    expect((await labSsh(lab, 'lab3', 'test -f /var/tmp/ww-done')).code).to.equal(1);
    expect((await labSsh(lab, 'lab2', 'test -f /var/tmp/ww-done')).code).to.equal(0);
  });

  it('serial batches run one batch after the other', async () => {
    const r = await runCli([join(FIX, 'fleet/serial.yml'), ...inv(), '-e', `hosts=${FLEET.join(':')}`, '--output', 'jsonl', '--retry-file', 'none']);
    expect(r.code, r.stdout.slice(-2000)).to.equal(0);
    expect(r.events.filter((e) => e.type === 'batch_start').map((e) => e.hosts)).to.deep.equal([['lab2', 'lab3'], ['lab4', 'lab5']]);
    const lastOfFirst = Math.max(...r.events.filter((e) => e.type === 'host_result' && ['lab2', 'lab3'].includes(e.host)).map((e) => Date.parse(e.time)));
    const firstOfSecond = Math.min(...r.events.filter((e) => e.type === 'host_result' && ['lab4', 'lab5'].includes(e.host)).map((e) => Date.parse(e.time)));
    expect(firstOfSecond).to.be.at.least(lastOfFirst);
  });

  it('a host whose sshd is down is unreachable (exit 4) while the others finish', async () => {
    await labHostKill('lab5');
    try {
      const r = await runCli([join(FIX, 'fleet/whoami.yml'), ...inv(), '-e', `hosts=${FLEET.join(':')}`, '--output', 'jsonl', '--retry-file', 'none', '-T', '3']);
      expect(r.code).to.equal(4);
      expect(recap(r).lab5!.unreachable).to.equal(1);
      for (const h of ['lab2', 'lab3', 'lab4']) expect(recap(r)[h]!.ok).to.equal(2);
      expect(r.events.find((e) => e.host === 'lab5' && e.status === 'unreachable')?.result.msg).to.match(/refused/i);
    } finally {
      await labHostRestart('lab5');
    }
  });

  it('host keys: a changed key is refused in strict mode and in accept-new; a new one is accepted and recorded only with accept-new', async () => {
    const changed = join(work, 'changed_known_hosts');
    const lab3 = lab.hosts.find((h) => h.name === 'lab3')!;
    const other = lab.hosts.find((h) => h.name === 'lab4')!;
    const lines = readFileSync(lab.knownHostsFile, 'utf8').split('\n').filter(Boolean);
    const key4 = lines.find((l) => l.startsWith(`${other.address} `))!.split(' ').slice(1).join(' ');
    writeFileSync(changed, lines.map((l) => (l.startsWith(`${lab3.address} `) ? `${lab3.address} ${key4}` : l)).join('\n') + '\n');
    const base = [join(FIX, 'fleet/whoami.yml'), ...inv(), '-e', 'hosts=lab3', '--output', 'jsonl', '--retry-file', 'none'];
    for (const mode of ['strict', 'accept-new']) {
      const r = await runCli([...base, '--known-hosts', changed, '--host-key-checking', mode]);
      expect(r.code, mode).to.equal(4);
      expect(r.events.find((e) => e.status === 'unreachable')?.result.msg, mode).to.include('HOST KEY CHANGED');
    }
    const empty = join(work, 'new_known_hosts');
    writeFileSync(empty, '');
    const strict = await runCli([...base, '--known-hosts', empty]);
    expect(strict.code).to.equal(4);
    expect(strict.events.find((e) => e.status === 'unreachable')?.result.msg).to.include('is not known');
    const accepted = await runCli([...base, '--known-hosts', empty, '--host-key-checking', 'accept-new']);
    expect(accepted.code, accepted.stdout).to.equal(0);
    expect(readFileSync(empty, 'utf8')).to.include(lab3.address);
    const again = await runCli([...base, '--known-hosts', empty]);
    expect(again.code).to.equal(0);
  });

  it('a jump host reaches a target through another lab host', async () => {
    const jumpInv = join(work, 'jump.yml');
    const lab2 = lab.hosts.find((h) => h.name === 'lab2')!;
    writeFileSync(jumpInv, `all:\n  hosts:\n    lab4:\n      ansible_ssh_proxy_jump: root@${lab2.address}\n`);
    const r = await runCli([join(FIX, 'fleet/whoami.yml'), ...inv(), '-i', jumpInv, '-e', 'hosts=lab4', '--output', 'jsonl', '--retry-file', 'none']);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const msg = r.events.find((e) => e.type === 'host_result' && e.module === 'debug')?.result.msg as string;
    expect(msg.split('\n')).to.deep.equal(['root', lab2.address]); // the SSH session came from lab2
  });

  it('become with a sudo password: runs as root, and the password appears in no output', async () => {
    const userInv = join(work, 'sudo.yml');
    writeFileSync(userInv, `all:\n  hosts:\n    lab2:\n      ansible_user: "{{wheelwright_lab_sudo_user}}"\n      ansible_become_password: "{{wheelwright_lab_sudo_password}}"\n`);
    for (const format of ['jsonl', 'terminal']) {
      const r = await runCli([join(FIX, 'fleet/whoami-become.yml'), ...inv(), '-i', userInv, '-e', 'hosts=lab2', '--output', format, '-vvv', '--retry-file', 'none']);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(r.stdout).to.include('root');
      expect(r.stdout + r.stderr).not.to.include(lab.sudoUser.password);
    }
  });

  it('become with su (root to another user, no password needed)', async () => {
    const r = await runCli([join(FIX, 'fleet/whoami-su.yml'), ...inv(), '-e', 'hosts=lab2', '--output', 'jsonl', '--retry-file', 'none']);
    expect(r.code, r.stdout.slice(-1500)).to.equal(0);
  });

  it('more concurrent tasks than the server allows sessions still succeed (they queue on one connection)', async () => {
    const burstInv = join(work, 'burst.ini');
    writeFileSync(burstInv, `[burst]\n${Array.from({ length: 40 }, (_, i) => `b${i} ansible_connection=local`).join('\n')}\n`);
    const r = await runCli([join(FIX, 'fleet/sessions.yml'), ...inv(), '-i', burstInv, '--output', 'jsonl', '--retry-file', 'none']);
    expect(r.code, r.stdout.slice(-2000)).to.equal(0);
    expect(Object.keys(recap(r)).filter((h) => h.startsWith('b'))).to.have.length(40);
    expect(r.events.find((e) => e.type === 'recap')!.remoteCommands.lab2).to.equal(40);
  });

  it('a 1 MiB file round-trips byte-identical (copy, then slurp)', async () => {
    const local = join(work, 'blob.bin');
    const data = randomBytes(1 << 20);
    writeFileSync(local, data);
    const pb = join(work, 'blob.yml');
    writeFileSync(pb, `- hosts: lab2\n  gather_facts: false\n  tasks:\n    - copy: { src: "${local}", dest: /var/tmp/blob.bin }\n    - slurp: { src: /var/tmp/blob.bin }\n      register: back\n`);
    const r = await runCli([pb, ...inv(), '--output', 'jsonl', '--retry-file', 'none']);
    expect(r.code, r.stdout.slice(-1000)).to.equal(0);
    const back = r.events.find((e) => e.type === 'host_result' && e.module === 'slurp')!.result.content as string;
    expect(createHash('sha256').update(Buffer.from(back, 'base64')).digest('hex')).to.equal(createHash('sha256').update(data).digest('hex'));
    void copyFileSync;
  });
});
