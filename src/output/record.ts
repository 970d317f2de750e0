/**
 * A run as data, built from its events: plays, tasks, and each host's result of each task with
 * when it started and ended. JUnit, the HTML report and --profile read this; none of them
 * listens to the runner itself.
 */
import type { HostStats, HostStatus, RunEvent } from '../runner/events.js';
import type { ModuleResult } from '../modules/types.js';

export interface HostTaskRecord {
  host: string;
  status: HostStatus;
  /** failed, but ignore_errors was set */
  ignored: boolean;
  /** ms since the run started */
  start: number;
  end: number;
  msg?: string;
  /** last lines of stderr, for failures */
  stderrTail?: string;
  rc?: number;
  skipReason?: string;
  /** loop items seen (their labels) */
  items: string[];
}

export interface TaskRecord {
  play: string;
  playIndex: number;
  name: string;
  role?: string;
  /** file:line */
  path?: string;
  module?: string;
  handler: boolean;
  start: number;
  end: number;
  results: HostTaskRecord[];
}

export interface PlayRecord {
  name: string;
  index: number;
  hosts: string[];
  start: number;
  end: number;
  tasks: TaskRecord[];
}

export interface RunRecord {
  playbook: string;
  /** wall-clock time the run started (ms since epoch) */
  startedAt: number;
  durationMs: number;
  plays: PlayRecord[];
  stats: Record<string, HostStats>;
  finished: boolean;
}

const STDERR_TAIL_LINES = 20;

/** Terminal colour and cursor sequences (pip and compilers colour their errors) do not belong in files. */
export function stripAnsi(s: string): string {
  return s.replace(/\x1b\[[0-9;?]*[ -\/]*[@-~]|\x1b\][^\x07]*\x07/g, '');
}

export function stderrTail(r: ModuleResult): string | undefined {
  const s = typeof r.stderr === 'string' ? stripAnsi(r.stderr).trimEnd() : '';
  return s ? s.split('\n').slice(-STDERR_TAIL_LINES).join('\n') : undefined;
}

/** Collects a RunRecord from events; `now` is injectable so tests can give fixed times. */
export class RunRecorder {
  readonly record: RunRecord;
  private readonly t0: number;
  private play: PlayRecord | undefined;
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly current = new Map<string, TaskRecord>();

  constructor(private readonly now: () => number = Date.now) {
    this.t0 = now();
    this.record = { playbook: '', startedAt: this.t0, durationMs: 0, plays: [], stats: {}, finished: false };
  }

  private at(): number {
    return this.now() - this.t0;
  }

  /** The task a result belongs to: one record per play, handler flag, place and name. */
  private taskFor(e: { play: string; task: string; role?: string; handler: boolean; path?: string; module?: string }, start: number): TaskRecord {
    const play = this.play ?? this.startPlay(e.play, []);
    const key = `${play.index}|${e.handler}|${e.path ?? ''}|${e.role ?? ''}|${e.task}`;
    let t = this.tasks.get(key);
    if (!t) {
      t = { play: play.name, playIndex: play.index, name: e.task, role: e.role, path: e.path, module: e.module, handler: e.handler, start, end: start, results: [] };
      this.tasks.set(key, t);
      play.tasks.push(t);
    }
    t.module ??= e.module;
    return t;
  }

  private startPlay(name: string, hosts: string[]): PlayRecord {
    const p: PlayRecord = { name, index: this.record.plays.length, hosts, start: this.at(), end: this.at(), tasks: [] };
    this.record.plays.push(p);
    this.play = p;
    return p;
  }

  readonly sink = (e: RunEvent): void => {
    const now = this.at();
    switch (e.type) {
      case 'playbook_start':
        this.record.playbook ||= e.file;
        break;
      case 'play_start':
        this.startPlay(e.play, e.hosts);
        break;
      case 'host_task_start':
        this.current.set(e.host, this.taskFor(e, now));
        break;
      case 'host_result': {
        const started = Math.max(0, now - e.durationMs);
        const t = this.taskFor(e, started);
        t.start = Math.min(t.start, started);
        t.end = Math.max(t.end, now);
        let h = t.results.find((r) => r.host === e.host);
        if (!h) {
          h = { host: e.host, status: e.status, ignored: false, start: started, end: now, items: [] };
          t.results.push(h);
        }
        h.start = Math.min(h.start, started);
        h.end = Math.max(h.end, now);
        if (e.item !== undefined && !e.aggregate) {
          h.items.push(e.label ?? (typeof e.item === 'string' ? e.item : JSON.stringify(e.item)));
          // until the aggregate arrives, the worst item decides
          if (rank(e.status) >= rank(h.status) || h.items.length === 1) setOutcome(h, e.status, e.ignored, e.result);
        } else setOutcome(h, e.status, e.ignored, e.result);
        if (this.play) this.play.end = Math.max(this.play.end, now);
        break;
      }
      case 'play_end':
        if (this.play) this.play.end = Math.max(this.play.end, now);
        break;
      case 'recap':
        this.record.stats = e.stats;
        this.record.durationMs = e.durationMs;
        this.record.finished = true;
        break;
      default:
        break;
    }
  };
}

function rank(s: HostStatus): number {
  return { skipped: 0, ok: 1, changed: 2, failed: 3, unreachable: 4 }[s];
}

function setOutcome(h: HostTaskRecord, status: HostStatus, ignored: boolean | undefined, r: ModuleResult): void {
  h.status = status;
  h.ignored = ignored === true;
  h.msg = r.msg === undefined || r.msg === null ? undefined : stripAnsi(typeof r.msg === 'string' ? r.msg : JSON.stringify(r.msg));
  h.stderrTail = stderrTail(r);
  h.rc = typeof r.rc === 'number' ? r.rc : undefined;
  h.skipReason = typeof r.skip_reason === 'string' ? r.skip_reason : status === 'skipped' ? (h.msg ?? 'skipped') : undefined;
}

/** `role : name`, as Ansible names a role's task. */
export function taskLabel(t: Pick<TaskRecord, 'role' | 'name'>): string {
  return t.role ? `${t.role} : ${t.name}` : t.name;
}
