import { mkdir, readFile, rename, rm, writeFile, chmod } from 'node:fs/promises';
import { must } from './run.js';

/** A fresh ed25519 key pair at `file` (+ .pub); returns the public key line. */
export async function generateKey(file: string, comment: string): Promise<string> {
  await rm(file, { force: true });
  await rm(`${file}.pub`, { force: true });
  await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  await chmod(file, 0o600);
  return (await readFile(`${file}.pub`, 'utf8')).trim();
}

export async function generateHostKeys(dir: string, names: string[]): Promise<Map<string, string>> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const out = new Map<string, string>();
  await Promise.all(
    names.map(async (name) => {
      const pub = await generateKey(`${dir}/${name}`, `root@${name}`);
      // known_hosts wants "type base64", without the comment.
      out.set(name, pub.split(/\s+/).slice(0, 2).join(' '));
    }),
  );
  return out;
}

/** `<address> <keytype> <base64>` per host: strict host key checking works with this file alone. */
export async function writeKnownHosts(file: string, hosts: Array<{ address: string; hostKeyPublic: string }>): Promise<void> {
  // atomic: the systemd host rewrites it while other hosts' SSH clients may be reading it
  await writeFile(`${file}.tmp`, hosts.map((h) => `${h.address} ${h.hostKeyPublic}\n`).join(''), { mode: 0o644 });
  await rename(`${file}.tmp`, file);
}
