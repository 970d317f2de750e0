import { readFile } from 'node:fs/promises';
import { must, run } from './run.js';

function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points at or below `dir` in the controller's mount namespace. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const out: string[] = [];
  for (const line of info.split('\n')) {
    const mp = line.split(' ')[4];
    if (!mp) continue;
    const p = unescape(mp);
    if (p === dir || p.startsWith(`${dir}/`)) out.push(p);
  }
  return out;
}

export async function isMountPoint(path: string): Promise<boolean> {
  return (await mountsUnder(path)).includes(path);
}

/** `umount -R` every topmost mount below dir (lazily if a busy one refuses). */
export async function unmountAllUnder(dir: string): Promise<void> {
  const mps = [...new Set(await mountsUnder(dir))];
  const tops = mps.filter((m) => !mps.some((o) => o !== m && m.startsWith(`${o}/`)));
  for (const t of tops) {
    const r = await run('umount', ['-R', t]);
    if (r.code !== 0) await run('umount', ['-R', '-l', t]);
  }
  const left = await mountsUnder(dir);
  if (left.length) {
    // Last resort, deepest first.
    for (const m of left.sort((a, b) => b.length - a.length)) await run('umount', ['-l', m]);
  }
}

/** Bind /dev into a root, without propagating anything back to the controller's /dev. */
export async function bindDev(root: string): Promise<void> {
  await must('mount', ['--rbind', '/dev', `${root}/dev`]);
  await must('mount', ['--make-rslave', `${root}/dev`]);
}
