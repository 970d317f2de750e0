import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { SshConnection, type SshOptions } from '../../src/connection/ssh.js';
import { ConnectionPool } from '../../src/connection/factory.js';
import { fingerprint } from '../../src/connection/known-hosts.js';
import { UnreachableError, type ConnectionSpec } from '../../src/connection/types.js';
import {
  clientKeys,
  createTestUser,
  removeClientKeys,
  removeTestUser,
  sshdAvailable,
  startSshd,
  TEST_USER,
  TEST_USER_PASSWORD,
  type Sshd,
} from '../helpers/sshd.js';
import { tempDir } from '../helpers/tmp.js';

/** Options that keep the test away from the environment (no ~/.ssh, no agent). */
const ISOLATED: SshOptions = { knownHostsFiles: [], agentSocket: null, defaultIdentityFiles: [] };

async function expectReject(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

/**
 * Whether a SIGKILL has reached `pid`, decided from its state now, without waiting: gone, a zombie,
 * or SIGKILL pending (a kill(2) that returned has done one of these).
 */
function killed(pid: number): boolean {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return true;
  }
  if (/^State:\s+[ZX]/m.test(status)) return true;
  const pending = [...status.matchAll(/^(?:SigPnd|ShdPnd):\s+([0-9a-f]+)/gm)].map((m) => BigInt(`0x${m[1]}`));
  return pending.some((mask) => (mask & (1n << 8n)) !== 0n);
}

describe('SshConnection (against a throwaway sshd on 127.0.0.1)', function () {
  this.timeout(60_000);
  let sshd: Sshd;
  let dir: string;
  const open: SshConnection[] = [];

  function spec(over: Partial<ConnectionSpec> = {}): ConnectionSpec {
    return {
      host: 'target',
      connection: 'ssh',
      address: '127.0.0.1',
      port: sshd.port,
      user: 'root',
      privateKeyFile: clientKeys().key,
      hostKeyChecking: 'off',
      connectTimeoutMs: 5000,
      ...over,
    };
  }
  function conn(over: Partial<ConnectionSpec> = {}, opts: SshOptions = {}): SshConnection {
    const c = new SshConnection(spec(over), { ...ISOLATED, ...opts });
    open.push(c);
    return c;
  }
  function knownHosts(content: string): string {
    const f = join(dir, `kh-${randomBytes(4).toString('hex')}`);
    writeFileSync(f, content);
    return f;
  }

  before(async function () {
    if (!sshdAvailable()) this.skip();
    createTestUser();
    sshd = await startSshd();
    dir = tempDir('ww-sshtest-');
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close().catch(() => undefined)));
  });
  after(async () => {
    await sshd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    removeTestUser();
    removeClientKeys();
  });

  describe('exec', () => {
    it('returns stdout, stderr and exit codes', async () => {
      const c = conn();
      await c.connect();
      expect(await c.exec('echo out; echo err >&2; exit 3')).to.deep.include({ stdout: 'out\n', stderr: 'err\n', code: 3 });
      expect((await c.exec('true')).code).to.equal(0);
      expect((await c.exec('exit 255')).code).to.equal(255);
    });

    it('stdin, env, cwd', async () => {
      const c = conn();
      const bin = randomBytes(5000);
      const r = await c.exec('wc -c', { stdin: bin });
      expect(r.stdout.trim()).to.equal('5000');
      expect((await c.exec('cat', { stdin: 'hello\nworld' })).stdout).to.equal('hello\nworld');
      expect((await c.exec('echo "$A|$B"', { env: { A: "it's", B: 'x y $HOME' } })).stdout).to.equal("it's|x y $HOME\n");
      expect((await c.exec('pwd', { cwd: '/usr/share' })).stdout).to.equal('/usr/share\n');
      expect((await c.exec('pwd', { cwd: '/nonexistent-dir' })).code).to.not.equal(0);
    });

    it('a command killed by a signal has code null and the signal', async () => {
      const c = conn();
      const r = await c.exec('echo before; kill -9 $$');
      expect(r.code).to.equal(null);
      expect(r.signal).to.equal('SIGKILL');
      expect(r.stdout).to.equal('before\n');
    });

    it('streams output chunk by chunk as it arrives', async () => {
      const c = conn();
      const seen: Array<[number, string]> = [];
      const t0 = Date.now();
      const r = await c.exec('echo one; sleep 0.5; echo two >&2; sleep 0.5; echo three', {
        onStdout: (b) => seen.push([Date.now() - t0, `out:${b.toString()}`]),
        onStderr: (b) => seen.push([Date.now() - t0, `err:${b.toString()}`]),
      });
      expect(r.stdout).to.equal('one\nthree\n');
      expect(seen.map((s) => s[1])).to.deep.equal(['out:one\n', 'err:two\n', 'out:three\n']);
      expect(seen[0][0]).to.be.lessThan(seen[2][0] - 600);
    });

    it('timeoutMs kills the command and fails', async () => {
      const c = conn();
      const t0 = Date.now();
      const r = await c.exec('sleep 20', { timeoutMs: 500 });
      expect(r.code).to.equal(null);
      expect(r.stderr).to.include('timed out after 500 ms');
      expect(Date.now() - t0).to.be.lessThan(5000);
      expect((await c.exec('echo still-usable')).stdout).to.equal('still-usable\n');
    });

    it('a kill reaches the command\'s process group, never a PID alone (once the group is gone, the PID may be another process\'s)', async () => {
      const c = conn();
      // an interrupted command's child (same group) is killed with it; the interrupt comes once the
      // child's PID is on stderr, after the command's own PID line (one stream, in order)
      let child = 0;
      const r = await c.exec('sleep 30 & echo $! >&2; wait', {
        onStderr: (b) => {
          child ||= Number(b.toString().trim());
          void c.interrupt('test: stop');
        },
      });
      expect(r.code).to.equal(null);
      expect(child).to.be.greaterThan(1);
      expect(killed(child), 'the interrupted command\'s child').to.equal(true);
      // a PID that leads no group (here a process of this test, as a reused PID would be): left alone
      const other = spawn('sleep', ['30'], { stdio: 'ignore' });
      try {
        const c2 = conn();
        await c2.exec('true'); // connected: the kill goes out on it
        await c2.killRemote(other.pid!);
        expect(killed(other.pid!), 'an unrelated process with that PID').to.equal(false);
      } finally {
        other.kill('SIGKILL');
      }
    });

    it('reuses one TCP connection for every exec', async () => {
      const c = conn();
      const ports = new Set<string>();
      for (let i = 0; i < 5; i++) ports.add((await c.exec('echo $SSH_CONNECTION')).stdout.split(' ')[1]);
      await c.get('/etc/hostname');
      await c.put('x', join(dir, 'reuse'));
      ports.add((await c.exec('echo $SSH_CONNECTION')).stdout.split(' ')[1]);
      expect(ports.size).to.equal(1);
    });

    it('40 concurrent execs on one connection all succeed (server MaxSessions 10)', async () => {
      const c = conn();
      const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => c.exec(`sleep 0.2; echo ${i}`)));
      expect(rs.map((r) => r.code)).to.deep.equal(Array(40).fill(0));
      expect(rs.map((r) => r.stdout)).to.deep.equal(Array.from({ length: 40 }, (_, i) => `${i}\n`));
    });

    it('a channel limit above the server MaxSessions still succeeds (refusals are retried, limit lowered)', async () => {
      const small = await startSshd({ maxSessions: 3 });
      try {
        const c = new SshConnection(spec({ port: small.port }), { ...ISOLATED, maxChannels: 12 });
        open.push(c);
        const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => c.exec(`sleep 0.1; echo ${i}`)));
        expect(rs.every((r, i) => r.code === 0 && r.stdout === `${i}\n`)).to.equal(true);
        await c.close();
      } finally {
        await small.stop();
      }
    });

    it('without retries, too many channels fail: the limit is what makes the 40-exec test pass', async () => {
      const small = await startSshd({ maxSessions: 2 });
      try {
        const c = new SshConnection(spec({ port: small.port }), { ...ISOLATED, maxChannels: 10, channelRetries: 0 });
        open.push(c);
        const rs = await Promise.allSettled(Array.from({ length: 10 }, () => c.exec('sleep 0.3')));
        const failed = rs.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
        expect(failed.length).to.be.greaterThan(0);
        expect(String(failed[0].reason.message)).to.match(/cannot open an SSH channel to target/);
        await c.close();
      } finally {
        await small.stop();
      }
    });
  });

  describe('put / get', () => {
    for (const transfer of ['exec', 'sftp'] as const) {
      it(`a 1 MiB random binary file round-trips byte-identical (${transfer})`, async () => {
        const c = conn({}, { transfer });
        const data = randomBytes(1024 * 1024);
        const path = join(dir, `blob-${transfer}.bin`);
        await c.put(data, path, { mode: 0o600 });
        expect(readFileSync(path).equals(data)).to.equal(true);
        expect(statSync(path).mode & 0o777).to.equal(0o600);
        const back = await c.get(path);
        expect(back.length).to.equal(data.length);
        expect(back.equals(data)).to.equal(true);
        // atomic: no temp file left behind
        expect(execFileSync('ls', ['-a', dir], { encoding: 'utf8' })).to.not.include('ww-tmp');
      });
    }

    it('put replaces an existing file, creates parent dirs, applies the mode', async () => {
      const c = conn();
      const path = join(dir, 'sub', 'deeper', "it's here.txt");
      await c.put('first', path);
      await c.put('second', path, { mode: 0o640 });
      expect(readFileSync(path, 'utf8')).to.equal('second');
      expect(statSync(path).mode & 0o777).to.equal(0o640);
      expect((await c.get(path)).toString()).to.equal('second');
    });

    it('get of a missing file fails with the reason', async () => {
      const c = conn();
      const e = await expectReject(c.get(join(dir, 'missing')));
      expect(e.message).to.match(/reading .*missing on target failed: .*No such file/);
    });
  });

  describe('authentication', () => {
    it('password authentication (no key)', async () => {
      const c = conn({ user: TEST_USER, privateKeyFile: undefined, password: TEST_USER_PASSWORD });
      expect((await c.exec('id -un')).stdout).to.equal(`${TEST_USER}\n`);
    });

    it('a wrong password fails as unreachable, naming the user, without the password', async () => {
      const c = conn({ user: TEST_USER, privateKeyFile: undefined, password: 'Wrong-Password-123' });
      const e = await expectReject(c.connect());
      expect(e).to.be.instanceOf(UnreachableError);
      expect(e.message).to.include(`authentication failed for user ${TEST_USER}`);
      expect(e.message).to.not.include('Wrong-Password-123');
    });

    it('key with passphrase; missing or wrong passphrase give a clear error without secrets', async () => {
      const k = clientKeys();
      const good = conn({ privateKeyFile: k.encryptedKey, passphrase: k.passphrase });
      expect((await good.exec('echo ok')).stdout).to.equal('ok\n');
      const none = await expectReject(conn({ privateKeyFile: k.encryptedKey }).connect());
      expect(none).to.be.instanceOf(UnreachableError);
      expect(none.message).to.match(/is encrypted and no passphrase was given/);
      const wrong = await expectReject(conn({ privateKeyFile: k.encryptedKey, passphrase: 'not the passphrase' }).connect());
      expect(wrong.message).to.match(/cannot decrypt private key file .* \(wrong passphrase\?\)/);
      expect(wrong.message).to.not.include('not the passphrase');
    });

    it('falls back from an unauthorized key to the password', async () => {
      const other = join(dir, 'unauthorized');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
      const c = conn({ user: TEST_USER, privateKeyFile: other, password: TEST_USER_PASSWORD });
      expect((await c.exec('id -un')).stdout).to.equal(`${TEST_USER}\n`);
    });

    it('ssh-agent (SSH_AUTH_SOCK) is used when there is no key file', async function () {
      if (!existsSync('/usr/bin/ssh-agent')) this.skip();
      const sock = join(dir, 'agent.sock');
      const agent = spawn('/usr/bin/ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
      try {
        for (let i = 0; i < 50 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
        execFileSync('ssh-add', [clientKeys().key], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
        const c = conn({ privateKeyFile: undefined }, { agentSocket: sock });
        expect((await c.exec('id -un')).stdout).to.equal('root\n');
      } finally {
        process.kill(agent.pid!, 'SIGTERM');
      }
    });

    it('no authentication method at all is reported clearly', async () => {
      const e = await expectReject(conn({ privateKeyFile: undefined }).connect());
      expect(e).to.be.instanceOf(UnreachableError);
      expect(e.message).to.match(/no way to authenticate as root/);
    });
  });

  describe('become over SSH (sudo with a password)', () => {
    const become = { method: 'sudo' as const, user: 'root', password: TEST_USER_PASSWORD };

    it('runs as root; the password appears in no output or error', async () => {
      const c = conn({ user: TEST_USER, becomePassword: TEST_USER_PASSWORD });
      const plain = await c.exec('id -un');
      expect(plain.stdout).to.equal(`${TEST_USER}\n`);
      const r = await c.exec('id -un; echo to-stderr >&2; cat', { become, stdin: 'piped' });
      expect(r.code).to.equal(0);
      expect(r.stdout).to.equal('root\npiped');
      expect(r.stderr).to.equal('to-stderr\n');
      expect(JSON.stringify(r)).to.not.include(TEST_USER_PASSWORD);
      const path = '/root/.ww-become-test';
      await c.put('root-owned', path, { mode: 0o600, become });
      expect(statSync(path).uid).to.equal(0);
      expect((await c.get(path, { become })).toString()).to.equal('root-owned');
      rmSync(path, { force: true });
      // without become the same read is refused
      const e = await expectReject(c.get('/etc/shadow'));
      expect(e.message).to.match(/Permission denied/);
      expect(e.message).to.not.include(TEST_USER_PASSWORD);
    });

    it('a wrong become password fails (code null) and is not echoed', async () => {
      const c = conn({ user: TEST_USER });
      // timeoutMs bounds the test: see the next test for the prompt-count issue in exec-driver.ts
      const r = await c.exec('id -un', { become: { ...become, password: 'Bad-Become-Pw' }, timeoutMs: 8000 });
      expect(r.code).to.equal(null);
      expect(r.stdout).to.equal('');
      expect(JSON.stringify(r)).to.not.include('Bad-Become-Pw');
      expect(JSON.stringify(r)).to.not.include(TEST_USER_PASSWORD);
      expect((await c.exec('id -un')).stdout).to.equal(`${TEST_USER}\n`); // the connection is still usable
    });

    it('a wrong become password is reported as such, promptly', async () => {
      const c = conn({ user: TEST_USER });
      const t0 = Date.now();
      const r = await c.exec('id -un', { become: { ...become, password: 'Bad-Become-Pw' }, timeoutMs: 20_000 });
      expect(r.code).to.equal(null);
      expect(r.stderr).to.include('incorrect become password');
      expect(Date.now() - t0).to.be.lessThan(10_000);
    });
  });

  describe('host keys', () => {
    const entry = (hosts: string) => `${hosts} ${sshd.hostKey}\n`;

    it('strict: an unknown host is refused', async () => {
      const f = knownHosts('');
      const e = await expectReject(conn({ hostKeyChecking: 'strict', knownHostsFile: f }).connect());
      expect(e).to.be.instanceOf(UnreachableError);
      expect(e.message).to.include(`host key for 127.0.0.1:${sshd.port} is not known (add it to known_hosts, or use --host-key-checking accept-new)`);
      expect(readFileSync(f, 'utf8')).to.equal('');
    });

    it('strict: known hosts accepted (plain [127.0.0.1]:port in a list, and hashed)', async () => {
      const plain = knownHosts(entry(`otherhost,[127.0.0.1]:${sshd.port}`));
      await conn({ hostKeyChecking: 'strict', knownHostsFile: plain }).connect();
      const hashed = knownHosts(entry(`[127.0.0.1]:${sshd.port}`));
      execFileSync('ssh-keygen', ['-H', '-f', hashed], { stdio: 'ignore' });
      expect(readFileSync(hashed, 'utf8')).to.not.include('127.0.0.1');
      await conn({ hostKeyChecking: 'strict', knownHostsFile: hashed }).connect();
      // a plain entry without the port does not match a non-22 port
      const noPort = knownHosts(entry('127.0.0.1'));
      const e = await expectReject(conn({ hostKeyChecking: 'strict', knownHostsFile: noPort }).connect());
      expect(e.message).to.include('is not known');
    });

    it('a changed key is refused in strict and in accept-new, with the fingerprint', async () => {
      const fake = join(dir, 'fakehost');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', fake]);
      const fakeLine = readFileSync(`${fake}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
      const real = Buffer.from(sshd.hostKey.split(' ')[1], 'base64');
      for (const mode of ['strict', 'accept-new'] as const) {
        const f = knownHosts(`[127.0.0.1]:${sshd.port} ${fakeLine}\n`);
        const e = await expectReject(conn({ hostKeyChecking: mode, knownHostsFile: f }).connect());
        expect(e).to.be.instanceOf(UnreachableError);
        expect(e.message).to.include(`HOST KEY CHANGED for 127.0.0.1:${sshd.port}`);
        expect(e.message).to.include(fingerprint(real));
        expect(readFileSync(f, 'utf8').split('\n').filter(Boolean)).to.have.length(1);
      }
    });

    it('accept-new: 10 racing connections to a new host append exactly one line', async () => {
      const f = knownHosts('# mine\n');
      const cs = Array.from({ length: 10 }, () => conn({ hostKeyChecking: 'accept-new', knownHostsFile: f }));
      await Promise.all(cs.map((c) => c.connect()));
      const lines = readFileSync(f, 'utf8').split('\n').filter(Boolean);
      expect(lines).to.deep.equal(['# mine', `[127.0.0.1]:${sshd.port} ${sshd.hostKey}`]);
      expect(cs.filter((c) => c.hostKeyStatus === 'added')).to.have.length(1);
      // and now it is known in strict mode
      await conn({ hostKeyChecking: 'strict', knownHostsFile: f }).connect();
    });

    it('off accepts an unknown host and writes nothing', async () => {
      const f = knownHosts('');
      const c = conn({ hostKeyChecking: 'off', knownHostsFile: f });
      await c.connect();
      expect(c.hostKeyStatus).to.equal('unchecked');
      expect(readFileSync(f, 'utf8')).to.equal('');
    });

    for (const type of ['ecdsa', 'rsa'] as const) {
      it(`${type} host keys are checked too`, async () => {
        const s = await startSshd({ hostKeyType: type });
        try {
          const good = knownHosts(`[127.0.0.1]:${s.port} ${s.hostKey}\n`);
          const c = conn({ port: s.port, hostKeyChecking: 'strict', knownHostsFile: good });
          expect((await c.exec('echo ok')).stdout).to.equal('ok\n');
          await c.close();
          const e = await expectReject(conn({ port: s.port, hostKeyChecking: 'strict', knownHostsFile: knownHosts('') }).connect());
          expect(e.message).to.include('is not known');
        } finally {
          await s.stop();
        }
      });
    }
  });

  describe('unreachable hosts and lost connections', () => {
    it('a closed port → UnreachableError quickly, with the reason', async () => {
      const srv = createServer();
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
      const port = (srv.address() as { port: number }).port;
      await new Promise<void>((r) => srv.close(() => r()));
      const t0 = Date.now();
      const e = await expectReject(conn({ port }).connect());
      expect(Date.now() - t0).to.be.lessThan(2000);
      expect(e).to.be.instanceOf(UnreachableError);
      expect((e as UnreachableError).host).to.equal('target');
      expect(e.message).to.equal(`connection refused by 127.0.0.1:${port}`);
      // exec on an unreachable host rejects the same way
      const e2 = await expectReject(conn({ port }).exec('true'));
      expect(e2).to.be.instanceOf(UnreachableError);
    });

    it('a server that never speaks SSH times out after the connect timeout', async () => {
      const sockets: Socket[] = [];
      const srv = createServer((s) => sockets.push(s));
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
      const port = (srv.address() as { port: number }).port;
      try {
        const t0 = Date.now();
        const e = await expectReject(conn({ port, connectTimeoutMs: 700 }).connect());
        expect(Date.now() - t0).to.be.within(600, 3000);
        expect(e).to.be.instanceOf(UnreachableError);
        expect(e.message).to.include('timed out after 0.7 s');
      } finally {
        sockets.forEach((s) => s.destroy());
        srv.close();
      }
    });

    it('if the connection drops mid-run, pending and later execs fail with UnreachableError', async () => {
      // a TCP relay we can cut
      const pairs: Socket[] = [];
      const relay: Server = createServer((client) => {
        const upstream = netConnect(sshd.port, '127.0.0.1');
        pairs.push(client, upstream);
        client.pipe(upstream).pipe(client);
        client.on('error', () => {});
        upstream.on('error', () => {});
      });
      await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
      const port = (relay.address() as { port: number }).port;
      try {
        const c = conn({ port });
        expect((await c.exec('echo up')).stdout).to.equal('up\n');
        const pending = c.exec('sleep 10');
        const queued = Array.from({ length: 12 }, () => c.exec('sleep 10')); // some wait for a channel slot
        await new Promise((r) => setTimeout(r, 300));
        pairs.forEach((s) => s.destroy());
        for (const p of [pending, ...queued]) {
          const e = await expectReject(p);
          expect(e).to.be.instanceOf(UnreachableError);
          expect(e.message).to.include('lost');
        }
        const later = await expectReject(c.exec('true'));
        expect(later).to.be.instanceOf(UnreachableError);
      } finally {
        relay.close();
      }
    });
  });

  describe('reset (reboot, wait_for_connection)', () => {
    it('after a lost connection, reset() makes the next exec reconnect with the same settings', async () => {
      const pairs: Socket[] = [];
      const relay: Server = createServer((client) => {
        const upstream = netConnect(sshd.port, '127.0.0.1');
        pairs.push(client, upstream);
        client.pipe(upstream).pipe(client);
        client.on('error', () => {});
        upstream.on('error', () => {});
      });
      await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
      const port = (relay.address() as { port: number }).port;
      try {
        const c = conn({ port });
        const first = (await c.exec('echo $SSH_CONNECTION')).stdout.split(' ')[1];
        const pending = c.exec('sleep 10');
        await new Promise((r) => setTimeout(r, 200));
        pairs.splice(0).forEach((s) => s.destroy());
        expect(await expectReject(pending)).to.be.instanceOf(UnreachableError);
        expect(await expectReject(c.exec('true'))).to.be.instanceOf(UnreachableError);
        await c.reset();
        const r = await c.exec('echo $SSH_CONNECTION');
        expect(r.code).to.equal(0);
        expect(r.stdout.split(' ')[1], 'a new TCP connection').to.not.equal(first);
        // 20 execs at once on the new connection: the channel slots were renewed too
        const all = await Promise.all(Array.from({ length: 20 }, (_, i) => c.exec(`echo ${i}`)));
        expect(all.map((x) => x.stdout)).to.deep.equal(Array.from({ length: 20 }, (_, i) => `${i}\n`));
      } finally {
        relay.close();
      }
    });

    it('reset() while the host is down: connects fail as unreachable until it is back, then succeed', async () => {
      const srv = createServer();
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
      const port = (srv.address() as { port: number }).port;
      await new Promise<void>((r) => srv.close(() => r()));
      const c = conn({ port });
      expect(await expectReject(c.exec('true'))).to.be.instanceOf(UnreachableError);
      await c.reset();
      expect(await expectReject(c.exec('true'))).to.be.instanceOf(UnreachableError);
      // the "host" comes back on the same port: a relay to the sshd
      const relay: Server = createServer((client) => {
        const upstream = netConnect(sshd.port, '127.0.0.1');
        client.pipe(upstream).pipe(client);
        client.on('error', () => {});
        upstream.on('error', () => {});
      });
      await new Promise<void>((r) => relay.listen(port, '127.0.0.1', () => r()));
      try {
        await c.reset();
        expect((await c.exec('echo back')).stdout).to.equal('back\n');
      } finally {
        await c.close();
        relay.close();
      }
    });
  });

  describe('jump hosts', () => {
    let jump: Sshd;
    before(async () => {
      jump = await startSshd();
    });
    after(async () => jump?.stop());

    it('reaches the target through ProxyJump; one shared jump connection for several targets', async () => {
      const kh = knownHosts(`[127.0.0.1]:${sshd.port} ${sshd.hostKey}\n[127.0.0.1]:${jump.port} ${jump.hostKey}\n`);
      const pool = new ConnectionPool({ ...ISOLATED });
      try {
        const s = (host: string) => spec({ host, hostKeyChecking: 'strict', knownHostsFile: kh, proxyJump: `root@127.0.0.1:${jump.port}` });
        const [a, b] = await Promise.all([pool.get('t1', s('t1')), pool.get('t2', s('t2'))]);
        expect(a).to.not.equal(b);
        expect((await a.exec('echo via-jump')).stdout).to.equal('via-jump\n');
        expect((await b.exec('echo also')).stdout).to.equal('also\n');
        // the target's sshd sees the connection coming from the jump sshd, the jump sshd authenticated once
        const accepted = jump.log().match(/Accepted publickey for root/g) ?? [];
        expect(accepted).to.have.length(1);
        const data = randomBytes(200_000);
        await a.put(data, join(dir, 'via-jump.bin'));
        expect((await a.get(join(dir, 'via-jump.bin'))).equals(data)).to.equal(true);
      } finally {
        await pool.closeAll();
      }
    });

    it('a standalone connection opens (and closes) its own jump connection', async () => {
      const c = conn({ proxyJump: `127.0.0.1:${jump.port}` });
      expect((await c.exec('echo ok')).stdout).to.equal('ok\n');
      await c.close();
    });

    it('host-key checking applies to the jump host too', async () => {
      const onlyTarget = knownHosts(`[127.0.0.1]:${sshd.port} ${sshd.hostKey}\n`);
      const e = await expectReject(
        conn({ hostKeyChecking: 'strict', knownHostsFile: onlyTarget, proxyJump: `127.0.0.1:${jump.port}` }).connect(),
      );
      expect(e).to.be.instanceOf(UnreachableError);
      expect(e.message).to.include(`jump host 127.0.0.1: host key for 127.0.0.1:${jump.port} is not known`);
      const onlyJump = knownHosts(`[127.0.0.1]:${jump.port} ${jump.hostKey}\n`);
      const e2 = await expectReject(
        conn({ hostKeyChecking: 'strict', knownHostsFile: onlyJump, proxyJump: `127.0.0.1:${jump.port}` }).connect(),
      );
      expect(e2.message).to.include(`host key for 127.0.0.1:${sshd.port} is not known`);
    });

    it('a target the jump host cannot reach is unreachable with the reason', async () => {
      const srv = createServer();
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
      const dead = (srv.address() as { port: number }).port;
      await new Promise<void>((r) => srv.close(() => r()));
      const e = await expectReject(conn({ port: dead, proxyJump: `127.0.0.1:${jump.port}` }).connect());
      expect(e).to.be.instanceOf(UnreachableError);
      expect(e.message).to.include(`cannot reach 127.0.0.1:${dead} through jump host 127.0.0.1`);
    });
  });
});
