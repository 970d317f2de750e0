import { readFileSync } from 'node:fs';

/** Is the process alive? A zombie counts as gone (it has exited; only its parent's wait is missing). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
