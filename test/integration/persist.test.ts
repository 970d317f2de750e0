/**
 * ControlPersist (connection reuse across runs) with the real CLI in the lab: the broker keeps a
 * run's SSH connections for the next run with the same settings. Which connection a run used is
 * read on the host: $SSH_CONNECTION's client port (the broker's end of the TCP connection). Each
 * test has its own control directory (ANSIBLE_SSH_CONTROL_PATH_DIR), so its broker is its own;
 * the file ends by stopping them (by their pid files).
 */
import { expect } from 'chai';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startCli, type CliResult } from '../helpers/cli.js';
import { skipWithoutLab, useLab, type Lab } from './_lab-fixture.js';
import { labHostExec } from '../../src/lab/index.js';
import { tempDir } from '../helpers/tmp.js';

describe('ControlPersist: SSH connections reused across runs (the broker)', function () {
  this.timeout(120_000);
  let lab: Lab;
  let tmp: string;
  let pb: string;
  const dirs: string[] = [];

  before(async function () {
    skipWithoutLab(this);
    this.timeout(600_000);
    lab = await useLab(6);
    tmp = tempDir('ww-persist-');
    pb = join(tmp, 'pb.yml');
    writeFileSync(pb, '- hosts: lab1\n  gather_facts: false\n  tasks:\n    - shell: echo "port=$(echo $SSH_CONNECTION | cut -d" " -f2)="\n');
  });

  after(() => {
    // stop this file's brokers (their pid files are in our own directories); they would expire anyway
    for (const d of dirs) {
      for (const f of existsSync(d) ? readdirSync(d).filter((x) => x.endsWith('.pid')) : []) {
        try {
          process.kill(Number(readFileSync(join(d, f), 'utf8')), 'SIGTERM');
        } catch {
          /* gone */
        }
      }
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const controlDir = (name: string) => {
    const d = join(tmp, name);
    dirs.push(d);
    return d;
  };
  const env = (dir: string, extra: Record<string, string> = {}) => ({ ANSIBLE_SSH_CONTROL_PATH_DIR: dir, ...extra });

  const port = (r: CliResult): number => {
    const m = /port=(\d+)=/.exec(r.stdout);
    if (r.code !== 0 || !m) throw new Error(`run failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    return Number(m[1]);
  };
  const play = (dir: string, args: string[] = [], extra: Record<string, string> = {}) =>
    runCli(['-i', lab.inventoryFile, pb, '--output', 'jsonl', ...args], { env: env(dir, extra) });
  const sockets = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.sock')) : []);

  it('two runs use one SSH connection; a concurrent pair shares it too', async () => {
    const dir = controlDir('cp-reuse');
    const p1 = port(await play(dir));
    const p2 = port(await play(dir));
    expect(p2).to.equal(p1);
    expect(sockets(dir)).to.have.length(1);
    const a = startCli(['-i', lab.inventoryFile, pb, '--output', 'jsonl'], { env: env(dir) });
    const b = startCli(['-i', lab.inventoryFile, pb, '--output', 'jsonl'], { env: env(dir) });
    expect([port(await a.done), port(await b.done)]).to.deep.equal([p1, p1]);
  });

  it('ControlPersist=no (or ControlMaster unset): a new connection each run, no broker', async () => {
    const dir = controlDir('cp-off');
    for (const args of ['-C -o ControlMaster=auto -o ControlPersist=no', '-C -o ControlPersist=60s']) {
      const p1 = port(await play(dir, [], { ANSIBLE_SSH_ARGS: args }));
      const p2 = port(await play(dir, [], { ANSIBLE_SSH_ARGS: args }));
      expect(p2, args).to.not.equal(p1);
    }
    expect(sockets(dir)).to.deep.equal([]);
    // the host variable beats the environment
    const p1 = port(await play(dir, ['-e', 'ansible_ssh_args="-o ControlPersist=no"']));
    const p2 = port(await play(dir, ['-e', 'ansible_ssh_args="-o ControlPersist=no"']));
    expect(p2).to.not.equal(p1);
  });

  it('another known_hosts content or another key file: not the same connection', async () => {
    const dir = controlDir('cp-settings');
    const kh = join(tmp, 'known_hosts');
    copyFileSync(lab.knownHostsFile, kh);
    const key = join(tmp, 'id_copy');
    copyFileSync(lab.privateKeyFile, key);
    chmodSync(key, 0o600);
    const base = port(await play(dir, ['--known-hosts', kh]));
    expect(port(await play(dir, ['--known-hosts', kh]))).to.equal(base);
    appendFileSync(kh, '# edited\n');
    const edited = port(await play(dir, ['--known-hosts', kh]));
    expect(edited).to.not.equal(base);
    expect(port(await play(dir, ['--known-hosts', kh]))).to.equal(edited);
    const otherKey = port(await play(dir, ['--known-hosts', kh, '-e', `ansible_ssh_private_key_file=${key}`]));
    expect(otherKey).to.not.equal(edited);
  });

  it('the connection killed on the host side: the next run opens a new one', async () => {
    const dir = controlDir('cp-killed');
    const p1 = port(await play(dir));
    const r = await labHostExec('lab1', `ss -tnpH "( sport = :22 and dport = :${p1} )" | grep -o 'pid=[0-9]*' | cut -d= -f2 | xargs -r kill -KILL`);
    expect(r.code, r.stderr).to.equal(0);
    const p2 = port(await play(dir));
    expect(p2).to.not.equal(p1);
    expect(port(await play(dir))).to.equal(p2);
  });

  it('a control directory others may write to is not used: direct connections', async () => {
    const dir = controlDir('cp-open');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const p1 = port(await play(dir));
    const p2 = port(await play(dir));
    expect(p2).to.not.equal(p1);
    expect(sockets(dir)).to.deep.equal([]);
  });

  it('a host key mismatch is unreachable with the same message as without the broker', async () => {
    const dir = controlDir('cp-hostkey');
    const kh = join(tmp, 'wrong_known_hosts');
    const h = lab.hosts.find((x) => x.name === 'lab1')!;
    // another key (the lab's client key) listed as lab1's host key
    writeFileSync(kh, `${h.address} ${readFileSync(`${lab.privateKeyFile}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
    const msg = (r: CliResult) => {
      const e = r.events.find((x) => x.status === 'unreachable');
      if (!e) throw new Error(`not unreachable:\n${r.stdout}\n${r.stderr}`);
      return String(e.result?.msg);
    };
    const brokered = msg(await play(dir, ['--known-hosts', kh]));
    const direct = msg(await play(dir, ['--known-hosts', kh], { ANSIBLE_SSH_ARGS: '-o ControlPersist=no' }));
    expect(brokered).to.equal(direct);
    expect(brokered).to.include("HOST KEY CHANGED");
  });
});
