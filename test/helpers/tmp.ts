/**
 * Temp dirs that tests leave behind only when they fail.
 *
 * tempDir(prefix) makes a dir as mkdtempSync(join(tmpdir(), prefix)) does (mode 0700, chmod it for
 * another user as before) and registers it for the test file that made it (the first *.test.ts on
 * the call stack). This module is also mocha's root hook plugin (.mocharc.json `require`): its root
 * `after` hook runs after a file's last test and `after` hooks (per file under --parallel; once at
 * the end of a serial run of several files) and removes the dirs of every file whose tests and hooks
 * all passed. A failed file's dirs stay, as the clue, and are named on stderr.
 *
 * processTempDir(prefix): a dir a helper caches for the whole process (mocha --parallel runs several
 * files in one worker, so a per-file removal would pull it from under the next file). It goes at
 * process exit, unless a test of the process failed.
 *
 * A shell still running with the dir on its command line (a loop waiting for a file the test's
 * `after` just wrote) is given up to 5 s to end first: removing the dir under it would leave it
 * waiting for ever; a dir still in use then stays, named on stderr. (Daemons of the tools under test,
 * an ssh ControlPersist master or wheelwright's broker with its socket there, end by themselves.) A dir with a mount point at or
 * under it is never removed (rm -rf would reach into the mount): it stays and is named. A test that
 * removes its own dir (sshd's stop(), an afterEach) keeps doing so. WW_KEEP_TMP=1 keeps them all.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Registry {
  /** dir → the test file that made it ('' when none is on the stack) */
  fileDirs: Map<string, string>;
  processDirs: Set<string>;
  /** a test or hook of this process has failed */
  failed: boolean;
  exitHook: boolean;
}

// on globalThis: mocha's --require and the test files must share one registry, whatever module
// instance each of them got
const KEY = Symbol.for('wheelwright.test.tempDirs');
const reg: Registry = ((globalThis as Record<symbol, Registry>)[KEY] ??= {
  fileDirs: new Map(),
  processDirs: new Set(),
  failed: false,
  exitHook: false,
});

/** The test file on the current call stack (stack frames are file:// URLs or paths). */
function callerTestFile(): string {
  const m = /((?:file:\/\/)?\/[^\s()]*?\.test\.ts)(?::\d+)/.exec(new Error().stack ?? '');
  if (!m) return '';
  return m[1]!.startsWith('file:') ? fileURLToPath(m[1]!) : m[1]!;
}

/** mkdtempSync(join(tmpdir(), prefix)), removed after the calling test file unless it failed. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  reg.fileDirs.set(dir, callerTestFile());
  return dir;
}

/** mkdtempSync(join(tmpdir(), prefix)) for the whole process: removed at exit unless a test failed. */
export function processTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  reg.processDirs.add(dir);
  if (!reg.exitHook) {
    reg.exitHook = true;
    process.on('exit', () => {
      const dirs = [...reg.processDirs];
      reg.processDirs.clear();
      if (reg.failed || process.env.WW_KEEP_TMP) return keptNote(reg.failed ? 'a test of this process failed' : 'WW_KEEP_TMP', dirs);
      for (const d of dirs) remove(d);
    });
  }
  return dir;
}

function mountedUnder(dir: string): string | undefined {
  let info = '';
  try {
    info = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of info.split('\n')) {
    // field 5 is the mount point, with space, tab, newline and backslash octal-escaped
    const mp = line.split(' ')[4]?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (mp && (mp === dir || mp.startsWith(`${dir}/`))) return mp;
  }
  return undefined;
}

function remove(dir: string): void {
  const mp = mountedUnder(dir);
  if (mp) {
    process.stderr.write(`test temp dir kept: ${dir} (${mp} is still mounted)\n`);
    return;
  }
  rmSync(dir, { recursive: true, force: true });
}

const SHELLS = new Set(['sh', 'bash', 'dash']);

/** PIDs of shells with `dir` (or a path under it) on their command line. */
function usersOf(dir: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      if (!SHELLS.has(readFileSync(`/proc/${p}/comm`, 'utf8').trim())) continue;
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (argv.includes(`${dir}/`) || argv.split('\0').includes(dir)) pids.push(Number(p));
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}

async function removeWhenUnused(all: string[]): Promise<void> {
  const dirs = all.filter((d) => existsSync(d)); // some a test removed itself
  let busy = dirs.filter((d) => usersOf(d).length);
  for (let i = 0; busy.length && i < 100; i++) {
    await new Promise((r) => setTimeout(r, 50));
    busy = busy.filter((d) => usersOf(d).length);
  }
  for (const d of dirs) {
    if (busy.includes(d)) process.stderr.write(`test temp dir kept: ${d} (still used by PID ${usersOf(d).join(', ')})\n`);
    else remove(d);
  }
}

function keptNote(why: string, dirs: string[]): void {
  const here = dirs.filter((d) => existsSync(d));
  if (here.length) process.stderr.write(`test temp dirs kept (${why}): ${here.join(' ')}\n`);
}

interface RunnableLike {
  state?: string;
  file?: string;
}
interface SuiteLike {
  file?: string;
  tests: RunnableLike[];
  suites: SuiteLike[];
  _beforeAll: RunnableLike[];
  _afterAll: RunnableLike[];
  _beforeEach: RunnableLike[];
  _afterEach: RunnableLike[];
}

/** The files with a failed test or hook under `suite`. */
function failedFiles(suite: SuiteLike, file: string, out: Set<string>): Set<string> {
  const f = suite.file ?? file;
  for (const r of [...suite.tests, ...suite._beforeAll, ...suite._afterAll, ...suite._beforeEach, ...suite._afterEach]) {
    if (r.state === 'failed') out.add(r.file ?? f);
  }
  for (const s of suite.suites) failedFiles(s, f, out);
  return out;
}

/** mocha root hook plugin (loaded through .mocharc.json's `require`). */
export const mochaHooks = {
  async afterAll(this: { test?: { parent?: SuiteLike } }) {
    const root = this.test?.parent;
    const failed = root ? failedFiles(root, '', new Set()) : new Set<string>();
    if (failed.size) reg.failed = true;
    const keepAll = !!process.env.WW_KEEP_TMP;
    const kept = new Map<string, string[]>();
    const gone: string[] = [];
    for (const [dir, file] of reg.fileDirs) {
      // a dir no test file claimed stays when any file of the run failed
      if (keepAll || (file ? failed.has(file) : failed.size > 0)) kept.set(file, [...(kept.get(file) ?? []), dir]);
      else gone.push(dir);
    }
    reg.fileDirs.clear();
    for (const [file, dirs] of kept) keptNote(keepAll ? 'WW_KEEP_TMP' : `${file || 'a test'} failed`, dirs);
    await removeWhenUnused(gone);
  },
};
