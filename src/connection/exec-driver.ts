import type { ExecOptions, ExecResult } from './types.js';
import { wrapBecome } from './become.js';
import { shEnvPrefix, shQuote } from '../shell/quote.js';

/** A started process or SSH channel, seen the same way by both transports. */
export interface RawProcess {
  onStdout(cb: (chunk: Buffer) => void): void;
  onStderr(cb: (chunk: Buffer) => void): void;
  onExit(cb: (code: number | null, signal: string | null) => void): void;
  write(data: Buffer | string): void;
  end(): void;
  kill(): void;
}

/** Compose the final shell command: cwd, environment, become. */
export function composeCommand(command: string, opts: ExecOptions): { command: string; become?: ReturnType<typeof wrapBecome> } {
  let cmd = command;
  if (opts.cwd) cmd = `cd ${shQuote(opts.cwd)} && ${cmd}`;
  cmd = shEnvPrefix(opts.env) + cmd;
  if (opts.become) {
    const b = wrapBecome(cmd, opts.become);
    return { command: b.command, become: b };
  }
  return { command: cmd };
}

/**
 * Drive one process to completion: answer the become prompt, strip the become marker, write stdin,
 * stream and collect output, enforce the timeout. A missing exit status is a failure (code null).
 */
export function driveProcess(
  start: (command: string) => Promise<RawProcess>,
  command: string,
  opts: ExecOptions = {},
): Promise<ExecResult> {
  const composed = composeCommand(command, opts);
  return start(composed.command).then(
    (proc) =>
      new Promise<ExecResult>((resolve) => {
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        const become = composed.become;
        let becomeDone = !become;
        let pending = Buffer.alloc(0); // stdout held back until the become marker is seen
        let errText = '';
        let promptsAnswered = 0;
        let timedOut = false;
        let becomeError: string | undefined;

        const sendStdin = () => {
          if (opts.stdin !== undefined && opts.stdin.length > 0) proc.write(opts.stdin);
          proc.end();
        };

        proc.onStdout((chunk) => {
          if (becomeDone) {
            out.push(chunk);
            opts.onStdout?.(chunk);
            return;
          }
          pending = Buffer.concat([pending, chunk]);
          const marker = become!.successMarker;
          const idx = pending.indexOf(marker);
          if (idx >= 0) {
            becomeDone = true;
            let rest = pending.subarray(idx + marker.length);
            if (rest[0] === 0x0a) rest = rest.subarray(1);
            if (rest.length) {
              out.push(rest);
              opts.onStdout?.(rest);
            }
            sendStdin();
          }
        });
        proc.onStderr((chunk) => {
          if (!becomeDone && become) {
            errText += chunk.toString('utf8');
            // prompts already answered were cut out of errText: count only the new ones on top
            const count = promptsAnswered + (errText.split(become.prompt).length - 1);
            if (count > promptsAnswered) {
              promptsAnswered = count;
              errText = errText.split(become.prompt).join('');
              if (promptsAnswered > 1 || !opts.become?.password) {
                becomeError = opts.become?.password ? 'incorrect become password' : 'become password required but none was given';
                proc.kill();
                return;
              }
              proc.write(`${opts.become!.password}\n`);
              return;
            }
            return; // pre-marker stderr is sudo's own chatter: kept in errText
          }
          err.push(chunk);
          opts.onStderr?.(chunk);
        });
        let timer: NodeJS.Timeout | undefined;
        if (opts.timeoutMs) {
          timer = setTimeout(() => {
            timedOut = true;
            proc.kill();
          }, opts.timeoutMs);
        }
        proc.onExit((code, signal) => {
          if (timer) clearTimeout(timer);
          let stderr = Buffer.concat(err).toString('utf8');
          if (!becomeDone && errText) stderr = errText + stderr;
          if (becomeError) stderr = `${becomeError}\n${stderr}`;
          if (timedOut) stderr += `\ncommand timed out after ${opts.timeoutMs} ms`;
          resolve({
            stdout: Buffer.concat(out).toString('utf8'),
            stderr,
            code: timedOut || becomeError ? null : code,
            signal,
          });
        });
        if (becomeDone) sendStdin();
      }),
  );
}
