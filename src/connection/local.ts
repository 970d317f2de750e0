import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile, chmod } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import type { Connection, ExecOptions, ExecResult, PutOptions, BecomeOptions } from './types.js';
import { driveProcess, type RawProcess } from './exec-driver.js';
import { shQuote } from '../shell/quote.js';

/** Runs everything on the controller itself: `connection: local` / ansible_connection=local. */
export class LocalConnection implements Connection {
  readonly transport = 'local';
  constructor(readonly host: string = 'localhost') {}

  async connect(): Promise<void> {}

  /** process groups of this connection's running commands */
  private readonly groups = new Set<number>();
  private interruptedBy: string | undefined;

  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return driveProcess(
      async (cmd) => {
        if (this.interruptedBy) throw new Error(this.interruptedBy);
        return startLocal(cmd, this.groups);
      },
      command,
      opts,
    );
  }

  async put(content: string | Buffer, remotePath: string, opts: PutOptions = {}): Promise<void> {
    if (opts.become && !runningAs(opts.become.user)) {
      // Go through the shell as the target user so ownership and permissions are theirs.
      const tmp = join(dirname(remotePath), `.${basename(remotePath)}.ww-tmp-${randomBytes(4).toString('hex')}`);
      const mode = opts.mode !== undefined ? ` && chmod ${(opts.mode & 0o7777).toString(8)} ${shQuote(tmp)}` : '';
      const r = await this.exec(`cat > ${shQuote(tmp)}${mode} && mv -f ${shQuote(tmp)} ${shQuote(remotePath)}`, { stdin: content, become: opts.become });
      if (r.code !== 0) throw new Error(`writing ${remotePath} failed: ${r.stderr.trim()}`);
      return;
    }
    await writeAtomic(remotePath, content, opts.mode);
  }

  async get(remotePath: string, opts: { become?: BecomeOptions } = {}): Promise<Buffer> {
    if (opts.become && !runningAs(opts.become.user)) {
      const r = await this.exec(`base64 < ${shQuote(remotePath)}`, { become: opts.become });
      if (r.code !== 0) throw new Error(`reading ${remotePath} failed: ${r.stderr.trim()}`);
      return Buffer.from(r.stdout, 'base64');
    }
    return readFile(remotePath);
  }

  async close(): Promise<void> {}

  /** Refuse new commands on this connection and kill the running ones (each with its process group). */
  async interrupt(reason: string): Promise<void> {
    this.interruptedBy ??= reason;
    for (const pid of this.groups) killGroup(pid);
  }
}

function runningAs(user: string): boolean {
  return (user || 'root') === 'root' ? process.getuid?.() === 0 : false;
}

/** Temp file in the same directory, then rename: readers never see a half-written file. */
export async function writeAtomic(path: string, content: string | Buffer, mode?: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.ww-tmp-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(tmp, content, mode !== undefined ? { mode } : undefined);
    if (mode !== undefined) await chmod(tmp, mode);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Live local commands, by process group: each command leads its own group, so a kill reaches
 * everything it started (a shell's children too), and a terminal's Ctrl-C reaches only us: the
 * runner decides what to stop (LocalConnection.interrupt, killLocalCommands).
 */
const liveGroups = new Set<number>();
let refuseAll: string | undefined;

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/**
 * Kill every local command of this process still running (each with everything it started).
 * Synchronous: safe to call from a signal handler right before exiting. (Connection.interrupt()
 * also refuses new commands on that connection.)
 */
export function killLocalCommands(): void {
  for (const pid of liveGroups) killGroup(pid);
}

/**
 * For a command-line tool about to exit: kill every local command (as killLocalCommands) and
 * refuse any new one in this process with `reason`.
 */
export function interruptLocalCommands(reason: string): void {
  refuseAll ??= reason;
  killLocalCommands();
}

/** PIDs (process group leaders) of the local commands running now (for tests and diagnostics). */
export function liveLocalCommands(): number[] {
  return [...liveGroups];
}

function startLocal(command: string, owner: Set<number>): RawProcess {
  if (refuseAll) throw new Error(refuseAll);
  const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const pid = child.pid;
  if (pid !== undefined) {
    liveGroups.add(pid);
    owner.add(pid);
  }
  child.stdin.on('error', () => {}); // command may exit before reading stdin
  return {
    onStdout: (cb) => child.stdout.on('data', cb),
    onStderr: (cb) => child.stderr.on('data', cb),
    onExit: (cb) =>
      child.on('close', (code, signal) => {
        // a daemon the command started on purpose (nohup ... &) keeps running, as with Ansible
        if (pid !== undefined) {
          liveGroups.delete(pid);
          owner.delete(pid);
        }
        cb(code, signal);
      }),
    write: (d) => child.stdin.write(d),
    end: () => child.stdin.end(),
    kill: () => (pid !== undefined ? killGroup(pid) : child.kill('SIGKILL')),
  };
}
