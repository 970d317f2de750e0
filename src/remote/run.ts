/**
 * The one TS runner for remote scripts: ONE command, `<python> -S -c <boot>` with the spec and the
 * program on stdin (src/remote/assemble.ts, src/remote/boot.py: the host keeps the compiled
 * program by its hash), then find the script's `WW-RESULT {json}` line and parse it. The error type
 * every remote-script failure shares is RemoteError (VenvError and WheelBuildError are its kinds).
 */
import type { BecomeOptions, Connection } from '../connection/types.js';
import { shQuote } from '../shell/quote.js';
import { remoteBoot, remoteProgram } from './assemble.js';

export const RESULT_PREFIX = 'WW-RESULT ';

/** A remote script failed, or gave no result. `tail`: the end of the relevant output; `log`: the full log on the host. */
export class RemoteError extends Error {
  constructor(
    message: string,
    readonly kind: string,
    readonly host?: string,
    readonly tail?: string,
    readonly log?: string | null,
  ) {
    super(message);
    this.name = 'RemoteError';
  }
}

export interface RemoteRunOptions {
  become?: BecomeOptions;
  timeoutMs?: number;
  onStderr?: (chunk: Buffer) => void;
  /** Names the script in errors ("venv script", "wheel build"). */
  what: string;
}

/** Phase lines a remote script writes on stderr for the live view (not part of error output). */
export const PROGRESS_PREFIX = 'WW-PROGRESS ';

/** A main script (src/venv/ensure_venv.py, src/wheels/build_wheels.py) and this call's spec (its `WW_SPEC_JSON`). */
export interface RemoteScript {
  /** the script's file name (tracebacks) */
  file: string;
  main: string;
  spec: Record<string, unknown>;
}

/** Run `script` with `python` on `conn`; the parsed result object (ok or not). Throws RemoteError('transport') without one. */
export async function runRemoteScript(conn: Connection, python: string, script: RemoteScript, opts: RemoteRunOptions): Promise<Record<string, unknown> & { ok: boolean }> {
  const program = remoteProgram(script.file, script.main);
  const stdin = Buffer.concat([Buffer.from(`${program.key} ${JSON.stringify(script.spec)}\n`, 'utf8'), program.body]);
  // -S: no site module at start-up (a third of a no-op's CPU); the scripts load it before real work (wwremote.proc.with_site)
  const r = await conn.exec(`${shQuote(python)} -S -c ${shQuote(remoteBoot())}`, { stdin, become: opts.become, timeoutMs: opts.timeoutMs, onStderr: opts.onStderr });
  const line = r.stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(RESULT_PREFIX));
  if (!line) {
    const why = r.code === 127 || /not found/.test(r.stderr) ? ` (is ${python} installed on ${conn.host}?)` : '';
    const out = (r.stderr || r.stdout).split('\n').filter((l) => !l.startsWith(PROGRESS_PREFIX)).join('\n').trimEnd();
    throw new RemoteError(`${opts.what} gave no result on ${conn.host}: exit ${r.code ?? r.signal ?? 'unknown'}${why}`, 'transport', conn.host, out.split('\n').slice(-20).join('\n'), null);
  }
  try {
    return JSON.parse(line.slice(RESULT_PREFIX.length));
  } catch {
    throw new RemoteError(`${opts.what} result on ${conn.host} is not JSON: ${line.slice(0, 200)}`, 'transport', conn.host);
  }
}
