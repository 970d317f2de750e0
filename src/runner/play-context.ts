import type { Connection } from '../connection/types.js';
import type { Play, Task } from '../playbook/types.js';
import type { EventSink } from './events.js';
import type { RunShared } from './context.js';
import type { ModuleResult } from '../modules/types.js';

export interface RunFlags {
  check: boolean;
  diff: boolean;
  tags: string[];
  skipTags: string[];
  verbosity: number;
}

/** Connections and facts of any host, opened/gathered once per run. */
export interface HostAccess {
  connection(host: string): Promise<Connection>;
  becomePassword(host: string): string | undefined;
  /** facts of any host, gathering them once per run if needed */
  facts(host: string): Promise<Record<string, unknown>>;
  once<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

/** Shared by the hosts of one play (one serial batch at a time). */
export class PlayContext {
  /** play-wide stop: any_errors_fatal or max_fail_percentage exceeded */
  aborted = false;
  private runOnce = new Map<Task, Promise<ModuleResult>>();
  private announced = new Set<Task>();
  batch: string[] = [];
  batchFailures = 0;

  constructor(
    readonly play: Play,
    readonly shared: RunShared,
    readonly flags: RunFlags,
    readonly sink: EventSink,
    readonly access: HostAccess,
    readonly playHosts: string[],
  ) {}

  newBatch(hosts: string[]): void {
    this.batch = hosts;
    this.batchFailures = 0;
    this.runOnce.clear();
    this.announced.clear();
  }

  /** The first host to reach a run_once task runs it; the others share its result. */
  runOnceResult(task: Task, fn: () => Promise<ModuleResult>): { promise: Promise<ModuleResult>; first: boolean } {
    const existing = this.runOnce.get(task);
    if (existing) return { promise: existing, first: false };
    const promise = fn();
    this.runOnce.set(task, promise);
    return { promise, first: true };
  }

  /** task_start is emitted once per task and batch, when the first host reaches it. */
  announce(task: Task, name: string, handler: boolean): void {
    if (this.announced.has(task)) return;
    this.announced.add(task);
    this.sink({ type: 'task_start', play: this.play.name, task: name, role: task.role?.name, handler, file: task.pos.file, line: task.pos.line });
  }

  hostFailed(): void {
    this.batchFailures++;
    if (this.play.anyErrorsFatal) this.aborted = true;
    const pct = this.play.maxFailPercentage;
    if (pct !== undefined && this.batch.length > 0 && (this.batchFailures / this.batch.length) * 100 > pct) this.aborted = true;
  }
}
