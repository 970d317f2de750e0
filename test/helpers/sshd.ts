/**
 * Throwaway OpenSSH servers for tests: `sshd -D -e -f <tempconfig>` on 127.0.0.1 only, a random free
 * port, its own host key, a test client key in AuthorizedKeysFile. Every process started here is
 * ended by its PID. Needs root (sshd privilege separation) and openssh-server.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { alive } from './proc.js';
import { processTempDir, tempDir } from './tmp.js';

const SSHD = '/usr/sbin/sshd';

export interface Sshd {
  port: number;
  pid: number;
  dir: string;
  /** `ssh-ed25519 AAAA...` (type and base64 of the server's host key). */
  hostKey: string;
  /** Server log so far (sshd -e). */
  log(): string;
  stop(): Promise<void>;
}

export interface ClientKeys {
  dir: string;
  /** Unencrypted ed25519 private key file. */
  key: string;
  /** Passphrase-protected ed25519 key file, and its passphrase. */
  encryptedKey: string;
  passphrase: string;
}

let keys: ClientKeys | undefined;

/** One set of client keys per test process (authorized on every test sshd). */
export function clientKeys(): ClientKeys {
  if (keys) return keys;
  const dir = processTempDir('ww-sshkeys-'); // the process's keys: they outlive a test file
  const key = join(dir, 'id_test');
  const encryptedKey = join(dir, 'id_test_enc');
  const passphrase = 'correct horse battery staple';
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ww-test', '-f', key]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'ww-test-enc', '-f', encryptedKey]);
  keys = { dir, key, encryptedKey, passphrase };
  return keys;
}

export function removeClientKeys(): void {
  if (keys) rmSync(keys.dir, { recursive: true, force: true });
  keys = undefined;
}

export function sshdAvailable(): boolean {
  return existsSync(SSHD) && process.getuid?.() === 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface SshdOptions {
  maxSessions?: number;
  /** Users allowed to log in with a password. Default [TEST_USER]. */
  passwordUsers?: string[];
  hostKeyType?: 'ed25519' | 'ecdsa' | 'rsa';
  /** Reuse the host key files of another test server (same identity, new port). */
  hostKeyFrom?: string;
  /**
   * Let root log in with this password, without changing the machine's users: sshd runs in its own
   * mount namespace (`unshare --mount`) where a copy of /etc/shadow with this password for root is
   * bind-mounted over /etc/shadow (UsePAM no: sshd checks the shadow file itself).
   */
  rootPassword?: string;
}

export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  const k = clientKeys();
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation directory
  const dir = tempDir('ww-sshd-');
  chmodSync(dir, 0o755); // sshd reads AuthorizedKeysFile as the logging-in user
  const type = opts.hostKeyType ?? 'ed25519';
  const hostKeyFile = join(dir, `ssh_host_${type}_key`);
  if (opts.hostKeyFrom) {
    writeFileSync(hostKeyFile, readFileSync(opts.hostKeyFrom), { mode: 0o600 });
    writeFileSync(`${hostKeyFile}.pub`, readFileSync(`${opts.hostKeyFrom}.pub`));
  } else {
    execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', hostKeyFile]);
  }
  const authorized = join(dir, 'authorized_keys');
  writeFileSync(authorized, readFileSync(`${k.key}.pub`, 'utf8') + readFileSync(`${k.encryptedKey}.pub`, 'utf8'), { mode: 0o644 });
  const hostKey = readFileSync(`${hostKeyFile}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  const passwordUsers = opts.passwordUsers ?? [TEST_USER];
  let shadow: string | undefined;
  if (opts.rootPassword !== undefined) {
    const hash = execFileSync('openssl', ['passwd', '-6', '-stdin'], { input: `${opts.rootPassword}\n` }).toString().trim();
    shadow = join(dir, 'shadow');
    writeFileSync(shadow, readFileSync('/etc/shadow', 'utf8').replace(/^root:[^:]*:/m, `root:${hash}:`), { mode: 0o600 });
  }

  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const config = [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKeyFile}`,
      'PidFile none',
      `AuthorizedKeysFile ${authorized}`,
      'StrictModes no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      `MaxSessions ${opts.maxSessions ?? 10}`,
      'MaxStartups 200:30:300',
      'PrintMotd no',
      'LogLevel VERBOSE',
      'Subsystem sftp internal-sftp',
      ...(passwordUsers.length ? [`Match User ${passwordUsers.join(',')}`, '  PasswordAuthentication yes'] : []),
      ...(shadow ? ['Match User root', '  PasswordAuthentication yes', '  PermitRootLogin yes'] : []),
      '',
    ].join('\n');
    const cfgFile = join(dir, 'sshd_config');
    writeFileSync(cfgFile, config);
    // with a shadow copy: unshare execs sh, which execs sshd (one PID throughout, ended by it)
    const child: ChildProcess = shadow
      ? spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind "$1" /etc/shadow && exec "$2" -D -e -f "$3"', 'sh', shadow, SSHD, cfgFile], { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(SSHD, ['-D', '-e', '-f', cfgFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const ready = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 10_000);
      const check = () => {
        if (log.includes(`Server listening on 127.0.0.1 port ${port}`)) {
          clearTimeout(t);
          resolve(true);
        }
      };
      child.stderr!.on('data', check);
      child.once('exit', () => {
        clearTimeout(t);
        resolve(false);
      });
    });
    if (!ready) {
      if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGTERM');
      if (/Address already in use/.test(log)) continue;
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`sshd did not start:\n${log}`);
    }
    const pid = child.pid!;
    return {
      port,
      pid,
      dir,
      hostKey,
      log: () => log,
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise<void>((r) => child.once('exit', () => r()));
          process.kill(pid, 'SIGTERM');
          await exited;
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  throw new Error('sshd: no free port after 5 attempts');
}

/**
 * A throwaway local user with a password and password-protected sudo (removed by removeTestUser).
 * Named after this process, so suites run at the same time on one machine never share it.
 */
export const TEST_USER = `wwt${process.pid}`;
export const TEST_USER_PASSWORD = 'Sekr1t-wwtest-pw';

/** Users of test processes that are gone (killed before their clean-up). */
function staleTestUsers(): string[] {
  return [...readFileSync('/etc/passwd', 'utf8').matchAll(/^wwt(\d+):/gm)]
    .filter(([, pid]) => Number(pid) !== process.pid && !alive(Number(pid)))
    .map(([, pid]) => `wwt${pid}`);
}

export function createTestUser(): void {
  for (const u of [...staleTestUsers(), TEST_USER]) removeUser(u);
  execFileSync('useradd', ['-m', '-s', '/bin/sh', TEST_USER]);
  execFileSync('chpasswd', [], { input: `${TEST_USER}:${TEST_USER_PASSWORD}\n` });
  writeFileSync(`/etc/sudoers.d/${TEST_USER}`, `${TEST_USER} ALL=(ALL:ALL) ALL\nDefaults:${TEST_USER} !lecture\n`, { mode: 0o440 });
}

export function removeTestUser(): void {
  removeUser(TEST_USER);
}

function removeUser(user: string): void {
  rmSync(`/etc/sudoers.d/${user}`, { force: true });
  try {
    execFileSync('id', [user], { stdio: 'ignore' });
  } catch {
    return; // no such user
  }
  try {
    execFileSync('userdel', ['-r', '-f', user], { stdio: 'ignore' });
  } catch {
    /* userdel warns about a missing mail spool: the user is gone anyway */
  }
}
