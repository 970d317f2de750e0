import { writeFile } from 'node:fs/promises';
import { BRIDGE, BRIDGE_ADDRESS, PREFIX, SUBNET_PREFIX, netnsName, vethName, hostAddress } from './state.js';
import { must, run } from './run.js';

/**
 * An `unreachable` route for the lab subnet with a high metric. While the bridge is up, its
 * connected route (metric 0) wins; once it is gone, traffic for a lab address fails at once
 * (EHOSTUNREACH) instead of leaving by the default route: an ssh to a host of a lab that is down
 * once reached a machine outside and hung for an hour holding the lab lock. Kept after `lab down`
 * on purpose; it only covers the lab's own subnet.
 */
export async function ensureGuardRoute(): Promise<void> {
  await must('ip', ['route', 'replace', 'unreachable', `${SUBNET_PREFIX}.0/24`, 'metric', String(GUARD_METRIC)]);
}
export const GUARD_METRIC = 4095;

/** The lab bridge on the controller: labbr0 with 10.231.0.1/24, no IPv6, no route anywhere else. */
export async function ensureBridge(): Promise<void> {
  await ensureGuardRoute();
  const exists = (await run('ip', ['link', 'show', 'dev', BRIDGE])).code === 0;
  if (!exists) await must('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  await writeFile(`/proc/sys/net/ipv6/conf/${BRIDGE}/disable_ipv6`, '1').catch(() => {});
  const addrs = await must('ip', ['-4', '-o', 'addr', 'show', 'dev', BRIDGE]);
  if (!addrs.includes(`${BRIDGE_ADDRESS}/24`)) await must('ip', ['addr', 'add', `${BRIDGE_ADDRESS}/24`, 'dev', BRIDGE]);
  await must('ip', ['link', 'set', BRIDGE, 'up']);
}

/** Remove the bridge, unless something that is not the lab's is still attached to it. */
export async function removeBridge(log: (m: string) => void): Promise<void> {
  if ((await run('ip', ['link', 'show', 'dev', BRIDGE])).code !== 0) return;
  const ports = (await run('ip', ['-o', 'link', 'show', 'master', BRIDGE])).stdout
    .split('\n')
    .map((l) => /^\d+:\s+([^@:\s]+)/.exec(l)?.[1])
    .filter((x): x is string => !!x);
  const foreign = ports.filter((p) => !new RegExp(`^${PREFIX}\\d+v$`).test(p));
  if (foreign.length) {
    log(`lab: leaving bridge ${BRIDGE} in place: foreign ports attached (${foreign.join(', ')})`);
    return;
  }
  await run('ip', ['link', 'del', BRIDGE]);
  await ensureGuardRoute();
}

/** netns wwlabN with eth0 = 10.231.0.(10+N)/24, its peer wwlabNv on the bridge. No default route. */
export async function createHostNetwork(i: number): Promise<void> {
  const ns = netnsName(i);
  const veth = vethName(i);
  await must('ip', ['netns', 'add', ns]);
  // No IPv6 inside the namespace: nothing but the IPv4 lab subnet and loopback.
  await must('ip', ['netns', 'exec', ns, 'sh', '-c',
    'echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; true']);
  await must('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  await writeFile(`/proc/sys/net/ipv6/conf/${veth}/disable_ipv6`, '1').catch(() => {});
  await must('ip', ['link', 'set', veth, 'master', BRIDGE, 'up']);
  await must('ip', ['-n', ns, 'addr', 'add', `${hostAddress(i)}/24`, 'dev', 'eth0']);
  await must('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
  await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
}

export async function setLink(i: number, up: boolean): Promise<void> {
  await must('ip', ['link', 'set', vethName(i), up ? 'up' : 'down']);
}

export async function linkIsUp(i: number): Promise<boolean> {
  const r = await run('ip', ['-o', 'link', 'show', 'dev', vethName(i)]);
  return r.code === 0 && /[<,]UP[,>]/.test(r.stdout);
}

/** Lab network namespaces present now (only names with the lab prefix). */
export async function labNetnses(): Promise<string[]> {
  const r = await run('ip', ['netns', 'list']);
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((n): n is string => !!n && new RegExp(`^${PREFIX}\\d+$`).test(n));
}

/** Lab veth ends on the controller (wwlabNv). */
export async function labVeths(): Promise<string[]> {
  const r = await run('ip', ['-o', 'link', 'show']);
  return r.stdout
    .split('\n')
    .map((l) => /^\d+:\s+([^@:\s]+)/.exec(l)?.[1])
    .filter((n): n is string => !!n && new RegExp(`^${PREFIX}\\d+v$`).test(n));
}

export async function deleteNetns(ns: string): Promise<void> {
  await run('ip', ['netns', 'del', ns]);
}

export async function deleteLink(name: string): Promise<void> {
  await run('ip', ['link', 'del', name]);
}

/** `ss -ltn` inside the namespace shows a listener on :22. */
export async function sshdListening(i: number): Promise<boolean> {
  const r = await run('ip', ['netns', 'exec', netnsName(i), 'ss', '-Hltn', 'sport', '= :22']);
  return r.code === 0 && /:22\b/.test(r.stdout);
}
