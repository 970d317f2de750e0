/**
 * `--profile`: after the recap, the time per role and the slowest tasks, in the layout of Ansible's
 * ansible.posix.profile_roles / profile_tasks callbacks (ROLES RECAP, then TASKS RECAP).
 * A task's time is its wall-clock span over all hosts (first start to last end), as those
 * callbacks measure a task from its start to the next task's start.
 */
import type { RunRecord, TaskRecord } from './record.js';
import { taskLabel } from './record.js';

export const PROFILE_TASK_LIMIT = 10;

/** Ansible's secondsToStr: H:MM:SS.mmm */
export function secondsToStr(sec: number): string {
  const ms = Math.round(sec * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(ms % 1000).padStart(3, '0')}`;
}

/** Ansible's filled(): the message, a space, then the fill character up to column 79, and a space. */
function filled(msg: string, fill = '*'): string {
  const text = msg ? `${msg} ` : '';
  return `${text}${fill.repeat(Math.max(3, 79 - text.length))} `;
}

/** strftime('%A %d %B %Y  %H:%M:%S %z') in local time. */
function dateLine(d: Date): string {
  const day = d.toLocaleDateString('en-GB', { weekday: 'long' });
  const month = d.toLocaleDateString('en-GB', { month: 'long' });
  const off = -d.getTimezoneOffset();
  const z = `${off >= 0 ? '+' : '-'}${String(Math.floor(Math.abs(off) / 60)).padStart(2, '0')}${String(Math.abs(off) % 60).padStart(2, '0')}`;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${day} ${two(d.getDate())} ${month} ${d.getFullYear()}  ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${z}`;
}

/** display.banner(): the title, a space, stars to the terminal width (80 when not a terminal). */
function banner(title: string, columns: number): string {
  return `${title} ${'*'.repeat(Math.max(3, columns - title.length - 1))}`;
}

const taskSecs = (t: TaskRecord) => Math.max(0, t.end - t.start) / 1000;

export interface ProfileOptions {
  /** when the recap was printed (the date line) */
  now?: Date;
  columns?: number;
  limit?: number;
}

export function profileText(run: RunRecord, o: ProfileOptions = {}): string {
  const now = o.now ?? new Date(run.startedAt + run.durationMs);
  const columns = o.columns ?? 80;
  const total = run.durationMs / 1000;
  const stamp = filled(`${dateLine(now)} (${secondsToStr(0)})${' '.repeat(7)}${secondsToStr(total)}`);
  const tasks = run.plays.flatMap((p) => p.tasks);

  // profile_roles: a role's tasks add up under its name, other tasks under their module's name
  const roles = new Map<string, number>();
  for (const t of tasks) {
    const key = t.role ?? t.module?.replace(/^ansible\.(builtin|legacy)\./, '') ?? t.name;
    roles.set(key, (roles.get(key) ?? 0) + taskSecs(t));
  }
  const row = (label: string, secs: number, width: number) => {
    const value = ` ${secs.toFixed(2)}s`;
    return `${`${label} `.padEnd(width, '-')}${value.padStart(9, '-')}`;
  };
  const lines = ['', banner('ROLES RECAP', columns), stamp, filled('', '=')];
  const byRole = [...roles.entries()].sort((a, b) => b[1] - a[1]);
  for (const [name, secs] of byRole) lines.push(row(name, secs, 70));
  lines.push(filled('', '~'), row('total', byRole.reduce((a, [, s]) => a + s, 0), 70));

  // profile_tasks: slowest first, the first `limit`
  lines.push('', banner('TASKS RECAP', columns), stamp, filled('', '='));
  const slowest = [...tasks].sort((a, b) => taskSecs(b) - taskSecs(a)).slice(0, o.limit ?? PROFILE_TASK_LIMIT);
  for (const t of slowest) lines.push(row(taskLabel(t), taskSecs(t), columns - 10));
  return lines.join('\n') + '\n';
}
