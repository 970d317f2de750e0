import type { ModuleResult } from '../modules/types.js';

export type HostStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable';

export interface HostStats {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

/**
 * Everything the runner tells the world. Output formats (terminal, JSON lines) only consume these;
 * the runner never prints.
 */
export type RunEvent =
  | { type: 'playbook_start'; file: string; check: boolean }
  | { type: 'play_start'; play: string; hosts: string[] }
  | { type: 'batch_start'; play: string; hosts: string[] }
  | { type: 'task_start'; play: string; task: string; role?: string; handler: boolean; file?: string; line?: number }
  | {
      type: 'host_result';
      play: string;
      task: string;
      /** canonical module name, so outputs can show e.g. debug messages */
      module?: string;
      host: string;
      status: HostStatus;
      /** failed but ignore_errors was set: counted as ignored, not failed */
      ignored?: boolean;
      delegatedTo?: string;
      item?: unknown;
      label?: string;
      durationMs: number;
      result: ModuleResult;
      handler: boolean;
      /** the summary of a looped task, after its per-item results */
      aggregate?: boolean;
      /** the task's role, and where it is written (file:line), as in Ansible's task path */
      role?: string;
      path?: string;
    }
  /** a host starts a task (the live view shows what each host is running) */
  | { type: 'host_task_start'; play: string; task: string; host: string; role?: string; path?: string; module?: string; handler: boolean }
  /** a phase of a long step on a host (`building 12/40 wheels`, `installing`) */
  | { type: 'host_progress'; host: string; task: string; msg: string }
  | { type: 'warning'; msg: string; host?: string }
  | { type: 'verbose'; msg: string; host?: string; level: number }
  | { type: 'play_end'; play: string }
  /** SIGINT/SIGTERM arrived: no new task starts; the steps running on `running` hosts are being killed */
  | { type: 'interrupt'; signal: string; running: string[] }
  | {
      type: 'recap';
      stats: Record<string, HostStats>;
      durationMs: number;
      retryFile?: string;
      /** remote commands (execs and file transfers) run on each host, delegated work included */
      remoteCommands: Record<string, number>;
      /** the run was stopped by a signal: the hosts that did not finish (in the retry file), and what each was running */
      interrupted?: { signal: string; hosts: string[]; running: Record<string, string> };
    };

export type EventSink = (event: RunEvent) => void;

export function emptyStats(): HostStats {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
}
