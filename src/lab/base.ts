import { chmod, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HOST_ENV, must, run } from './run.js';
import { bindDev, unmountAllUnder } from './mounts.js';
import { hostAddress, hostName, SUDO_USER } from './state.js';

/** sshd settings shared by every lab host; the per-host key and the load limits come on the command line. */
export const SSHD_CONFIG_PATH = '/etc/ssh/wwlab_sshd_config';
export const HOST_KEY_PATH = '/etc/ssh/wwlab_host_ed25519_key';

const SSHD_CONFIG = `# wheelwright lab sshd (generated)
Port 22
AddressFamily inet
ListenAddress 0.0.0.0
PidFile none
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM no
AuthorizedKeysFile .ssh/authorized_keys
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowTcpForwarding yes
AcceptEnv LANG LC_*
Subsystem sftp internal-sftp
LogLevel INFO
`;

/**
 * The base layer shared by all hosts (a tmpfs at <labdir>/base, used as the middle lower layer of
 * every host overlay: lowerdir=<base>/up:/): apt sources pointing at the lab repository only and
 * their package lists, the sudo user and its sudoers entry, the lab key authorized for root and the
 * sudo user, the sshd config, /etc/hosts naming every lab host. Built once, so `apt-get update`
 * and `useradd` run once, not once per host.
 * (The layer must not live on the root filesystem: the kernel refuses a lower layer below another
 * lower layer, "/", with ELOOP.)
 */
export async function buildBase(opts: {
  base: string;
  aptRepoDir: string;
  publicKey: string;
  sudoPassword: string;
  n: number;
}): Promise<void> {
  const { base } = opts;
  await mkdir(base, { recursive: true });
  await must('mount', ['-t', 'tmpfs', '-o', 'size=256m,mode=0755', 'wwlab-base', base]);
  const up = join(base, 'up');
  const work = join(base, 'work');
  const root = join(base, 'root');
  await Promise.all([up, work, root].map((d) => mkdir(d)));
  // /root starts empty (an opaque directory): the controller's root dotfiles (shell init, tool
  // caches, credentials) must not leak into the hosts. Lab hosts get /etc/skel's files instead.
  await mkdir(join(up, 'root'), { mode: 0o700 });
  await chmod(join(up, 'root'), 0o700);
  await setOpaque(join(up, 'root'));
  await must('mount', ['-t', 'overlay', 'wwlab-base-root', '-o', `lowerdir=/,upperdir=${up},workdir=${work}`, root]);
  try {
    await bindDev(root);
    await must('mount', ['-t', 'proc', 'proc', `${root}/proc`]);
    const inRoot = (...args: string[]) => must('chroot', [root, ...args], { env: HOST_ENV, timeoutMs: 120_000 });

    // apt: only the lab repository; the controller's own apt config is not touched (all writes land in the layer).
    await writeFile(`${root}/etc/apt/sources.list`, `deb [trusted=yes] file:${opts.aptRepoDir} ./\n`);
    for (const f of await readdir(`${root}/etc/apt/sources.list.d`).catch(() => [] as string[])) {
      await rm(`${root}/etc/apt/sources.list.d/${f}`, { recursive: true, force: true });
    }
    for (const f of await readdir(`${root}/var/lib/apt/lists`).catch(() => [] as string[])) {
      await rm(`${root}/var/lib/apt/lists/${f}`, { recursive: true, force: true });
    }
    await mkdir(`${root}/var/lib/apt/lists/partial`, { recursive: true });
    await inRoot('apt-get', 'update', '-q');

    // The sudo user, inside the layer only (never on the controller).
    if ((await run('chroot', [root, 'id', '-u', SUDO_USER], { env: HOST_ENV })).code !== 0) {
      await inRoot('useradd', '--create-home', '--shell', '/bin/bash', '--user-group', SUDO_USER);
    }
    await must('chroot', [root, 'chpasswd'], { env: HOST_ENV, input: `${SUDO_USER}:${opts.sudoPassword}\n` });
    await writeFile(`${root}/etc/sudoers.d/wwlab`, `# wheelwright lab (generated)\nDefaults:${SUDO_USER} lecture=never\n${SUDO_USER} ALL=(ALL:ALL) ALL\n`, { mode: 0o440 });
    await chmod(`${root}/etc/sudoers.d/wwlab`, 0o440);
    await inRoot('visudo', '-c', '-q', '-f', '/etc/sudoers.d/wwlab');
    // A locked root ("!" in shadow) would make sshd (UsePAM no) refuse even key logins.
    await inRoot('usermod', '-p', '*', 'root');

    await inRoot('sh', '-c', 'cp -a /etc/skel/. /root/ && chown -R root:root /root');

    // The lab key for root and for the sudo user.
    await mkdir(`${root}/root/.ssh`, { recursive: true, mode: 0o700 });
    await chmod(`${root}/root/.ssh`, 0o700);
    await writeFile(`${root}/root/.ssh/authorized_keys`, `${opts.publicKey}\n`, { mode: 0o600 });
    await inRoot('sh', '-c', `install -d -m 700 -o ${SUDO_USER} -g ${SUDO_USER} /home/${SUDO_USER}/.ssh && cp /root/.ssh/authorized_keys /home/${SUDO_USER}/.ssh/ && chown ${SUDO_USER}:${SUDO_USER} /home/${SUDO_USER}/.ssh/authorized_keys && chmod 600 /home/${SUDO_USER}/.ssh/authorized_keys`);

    await writeFile(`${root}${SSHD_CONFIG_PATH}`, SSHD_CONFIG, { mode: 0o644 });
    let hosts = '127.0.0.1\tlocalhost\n';
    for (let i = 1; i <= opts.n; i++) hosts += `${hostAddress(i)}\t${hostName(i)}\n`;
    await writeFile(`${root}/etc/hosts`, hosts);
    await rm(`${root}/etc/hostname`, { force: true });
  } finally {
    await unmountAllUnder(root);
  }
}

/** Mark a directory in an overlay upper layer opaque (lower entries hidden). */
async function setOpaque(path: string): Promise<void> {
  const py = await run('python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], "trusted.overlay.opaque", b"y")', path]);
  if (py.code === 0) return;
  await must('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', path]);
}
