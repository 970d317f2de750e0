import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { statSync, readdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

let built = false;
/** The real CLI runs from dist/: rebuild once per test process when src/ is newer. */
export function ensureBuilt(): void {
  if (built) return;
  const newest = (dir: string): number =>
    Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));
  let distTime = 0;
  try {
    distTime = statSync(join(ROOT, 'dist/cli/main.js')).mtimeMs;
  } catch {
    /* not built */
  }
  if (newest(join(ROOT, 'src')) > distTime) {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'inherit' });
    // the bundled CLI bin/wheelwright.js prefers (it falls back to dist/cli/ when the bundle is older)
    execFileSync(process.execPath, [join(ROOT, 'scripts/bundle.mjs')], { cwd: ROOT, stdio: 'inherit' });
  }
  built = true;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** parsed JSON lines of stdout (when --output jsonl) */
  events: Array<Record<string, any>>;
}

/** Run `wheelwright ARGS` as a user would (node bin/wheelwright.js). */
export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  return startCli(args, opts).done;
}

/** Start `wheelwright ARGS` and return at once: the process (to signal it) and its result to come. */
export function startCli(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): { child: ChildProcess; done: Promise<CliResult> } {
  ensureBuilt();
  const child = spawn(process.execPath, [join(ROOT, 'bin/wheelwright.js'), ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
  });
  const done = new Promise<CliResult>((resolvePromise, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const events = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => {
          try {
            return JSON.parse(l);
          } catch {
            return undefined;
          }
        })
        .filter(Boolean);
      resolvePromise({ code, stdout, stderr, events });
    });
  });
  return { child, done };
}

/** The recap's stats from a jsonl run. */
export function recap(r: CliResult): Record<string, Record<string, number>> {
  const e = r.events.find((x) => x.type === 'recap');
  if (!e) throw new Error(`no recap in output:\n${r.stdout}\n${r.stderr}`);
  return e.stats;
}

export function totalChanged(r: CliResult): number {
  return Object.values(recap(r)).reduce((n, s) => n + (s.changed ?? 0), 0);
}
