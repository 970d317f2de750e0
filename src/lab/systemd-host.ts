/**
 * The lab's optional systemd host, `labsd` (10.231.0.110): a lab host whose PID 1 is a real
 * systemd (the controller's /lib/systemd/systemd, in container mode) instead of sshd, with the lab's
 * sshd started by it as the unit `wwlab-sshd.service`. For the systemd/service modules' oracle
 * tests: `systemctl` there talks to a running manager, and the sudo user lingers, so a user manager
 * (`systemctl --user`) runs too. Brought up on demand (labSystemdUp), never by `lab up` itself: the
 * ordinary hosts stay as they are. `lab down` and a lab rebuild remove it with the rest.
 *
 * What makes systemd boot here (see docs/lab.md): its own pid/mount/uts/net namespaces as any lab
 * host, plus a cgroup namespace rooted at a cgroup2 directory of its own (`wwlab-labsd`), with that
 * cgroup2 mounted at /sys/fs/cgroup (systemd runs in unified mode, no controllers needed); a private
 * minimal /dev (null, zero, full, random, urandom, tty, a new devpts instance: no controller
 * console or tty reaches it); `container=wwlab` in its environment, so units meant for real
 * machines (udev, getty, timesyncd) stay off; and a target of its own (`wwlab.target`) so what
 * starts does not depend on what the controller has enabled.
 */
import { readFile, rmdir, readdir, writeFile, mkdir, symlink, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { HOST_KEY_PATH, SSHD_CONFIG_PATH } from './base.js';
import { shQuote } from '../shell/quote.js';
import { sleep } from './run.js';

export { SYSTEMD_INDEX, SYSTEMD_NAME } from './state.js';
/** The host's cgroup (a directory in the controller's cgroup2 hierarchy), the root of its cgroup namespace. */
export const SYSTEMD_CGROUP = 'wwlab-labsd';

const SSHD_UNIT = (opts: string) => `# wheelwright lab (generated): the lab's sshd, started by systemd
[Unit]
Description=wheelwright lab sshd
After=network.target

[Service]
ExecStartPre=/usr/sbin/sshd -t -f ${SSHD_CONFIG_PATH} -h ${HOST_KEY_PATH}
ExecStart=/usr/sbin/sshd -D -e -f ${SSHD_CONFIG_PATH} -h ${HOST_KEY_PATH} ${opts}
KillMode=process
RuntimeDirectory=sshd
RuntimeDirectoryMode=0755
RuntimeDirectoryPreserve=yes

[Install]
WantedBy=wwlab.target
`;

const TARGET = `# wheelwright lab (generated): what the systemd host boots
[Unit]
Description=wheelwright lab host
Requires=basic.target
Wants=wwlab-sshd.service systemd-logind.service
After=basic.target
AllowIsolate=yes
`;

/** Units of the controller that must not run in the host: its own sshd (port 22 is the lab's), ttys, timers. */
const MASKED = ['ssh.service', 'ssh.socket', 'sshd.service', 'getty.target', 'console-getty.service', 'timers.target'];

/** Write the host's systemd configuration into its root (the overlay's upper layer). */
export async function prepareSystemdRoot(root: string, sudoUser: string, sshdOptions: string[]): Promise<void> {
  const etc = join(root, 'etc/systemd/system');
  await mkdir(etc, { recursive: true });
  await writeFile(join(etc, 'wwlab-sshd.service'), SSHD_UNIT(sshdOptions.join(' ')));
  await writeFile(join(etc, 'wwlab.target'), TARGET);
  for (const u of [...MASKED, 'default.target']) await rm(join(etc, u), { force: true });
  for (const u of MASKED) await symlink('/dev/null', join(etc, u));
  await symlink('/etc/systemd/system/wwlab.target', join(etc, 'default.target'));
  // linger: logind starts the sudo user's manager at boot (for `systemctl --user` over SSH, where UsePAM is off)
  await mkdir(join(root, 'var/lib/systemd/linger'), { recursive: true });
  await writeFile(join(root, 'var/lib/systemd/linger', sudoUser), '');
}

/**
 * The shell script `unshare` runs as the host's first process (PID 1 of its pid namespace, in its
 * own mount namespace and netns): mounts, its own cgroup, then `exec` into systemd (so systemd is PID 1).
 */
export function systemdHostScript(name: string, root: string): string {
  const r = shQuote(root);
  const cg = `${r}/sys/fs/cgroup`;
  const inner = `mount -t cgroup2 cgroup2 ${cg} && exec chroot ${r} /usr/bin/env -i container=wwlab PATH=/usr/sbin:/usr/bin:/sbin:/bin /lib/systemd/systemd --system --show-status=no`;
  return [
    'set -e',
    `hostname ${name}`,
    `mount -t proc proc ${r}/proc`,
    `mount -t sysfs sysfs ${r}/sys`,
    // move into a cgroup of our own (seen through a cgroup2 mount of the whole hierarchy), then unmount it again
    `mount -t cgroup2 cgroup2 ${cg}`,
    `mkdir -p ${cg}/${SYSTEMD_CGROUP}`,
    `echo 0 > ${cg}/${SYSTEMD_CGROUP}/cgroup.procs`,
    `umount ${cg}`,
    `mount -t tmpfs -o mode=1777 tmpfs ${r}/tmp`,
    `mount -t tmpfs -o mode=0755 tmpfs ${r}/run`,
    // a minimal /dev of its own (over the lab's /dev bind): systemd must not reach the controller's console or ttys
    `mount -t tmpfs -o mode=0755,size=1m wwlab-dev ${r}/dev`,
    `for d in null zero full random urandom tty; do touch ${r}/dev/$d; mount --bind /dev/$d ${r}/dev/$d; done`,
    `mkdir -p ${r}/dev/pts ${r}/dev/shm ${r}/dev/mqueue`,
    `mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts ${r}/dev/pts`,
    `ln -s pts/ptmx ${r}/dev/ptmx`,
    `mount -t tmpfs -o mode=1777 tmpfs ${r}/dev/shm`,
    `ln -s /proc/self/fd ${r}/dev/fd && ln -s /proc/self/fd/0 ${r}/dev/stdin && ln -s /proc/self/fd/1 ${r}/dev/stdout && ln -s /proc/self/fd/2 ${r}/dev/stderr`,
    // a cgroup namespace rooted at our cgroup; its cgroup2 mount is what systemd manages
    `exec unshare --cgroup sh -c ${shQuote(inner)}`,
  ].join('\n');
}

/** Where the controller has cgroup2 mounted (/sys/fs/cgroup/unified on hybrid hosts, /sys/fs/cgroup on unified ones). */
async function cgroup2Mount(): Promise<string | undefined> {
  const info = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  for (const line of info.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (post?.split(' ')[0] === 'cgroup2') return pre!.split(' ')[4];
  }
  return undefined;
}

/**
 * Remove the host's cgroup tree (empty once its processes are gone: the kernel ends every process
 * of a pid namespace with its init). Deepest first; a cgroup still busy for a moment is retried.
 */
export async function removeSystemdCgroup(): Promise<void> {
  const mp = await cgroup2Mount();
  if (!mp) return;
  const top = join(mp, SYSTEMD_CGROUP);
  const dirs = async (d: string): Promise<string[]> => {
    const out: string[] = [];
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) out.push(...(await dirs(join(d, e.name))), join(d, e.name));
    }
    return out;
  };
  for (let attempt = 0; attempt < 50; attempt++) {
    const all = [...(await dirs(top)), top];
    let busy = false;
    for (const d of all) {
      await rmdir(d).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') busy = true;
      });
    }
    if (!busy) return;
    await sleep(100);
  }
}
