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
  /** -b, --become-user, --become-method: below play/task keywords and ansible_become* variables */
  become?: { become?: boolean; user?: string; method?: 'sudo' | 'su' };
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
  /** play-wide stop: any_errors_fatal, max_fail_percentage exceeded, or meta: end_play */
  aborted = false;
  /** set when the stop came from failures: like Ansible, the run ends after this play */
  fatal = false;
  private runOnce = new Map<Task, Promise<ModuleResult>>();
  private announced = new Set<Task>();
  batch: string[] = [];
  batchFailures = 0;
  /** the implicit fact-gathering task of this play */
  readonly gatherTask: Task;

  constructor(
    readonly play: Play,
    readonly shared: RunShared,
    readonly flags: RunFlags,
    readonly sink: EventSink,
    readonly access: HostAccess,
    readonly playHosts: string[],
  ) {
    this.gatherTask = syntheticTask('Gathering Facts', 'setup', play.pos);
  }

  private batchSet = new Set<string>();

  newBatch(hosts: string[]): void {
    this.batch = hosts;
    this.batchSet = new Set(hosts);
    this.departedCount = 0;
    this.batchFailures = 0;
    this.runOnce.clear();
    this.announced.clear();
    this.barriers.clear();
    this.departed.clear();
  }

  /** any_errors_fatal and max_fail_percentage act after each task: such plays move in lockstep. */
  get lockstep(): boolean {
    return this.play.anyErrorsFatal || this.play.maxFailPercentage !== undefined;
  }

  private barriers = new Map<string, { arrived: Set<string>; release: () => void; done: Promise<void> }>();
  private departed = new Set<string>();

  /**
   * Wait until every host of the batch still running has reached the same top-level task. Every
   * host walks the same top-level list, so each barrier is reached or departed from by all.
   */
  async barrier(key: string, host: string): Promise<void> {
    if (!this.lockstep) return;
    let b = this.barriers.get(key);
    if (!b) {
      let release!: () => void;
      const done = new Promise<void>((r) => (release = r));
      b = { arrived: new Set(), release, done };
      this.barriers.set(key, b);
    }
    b.arrived.add(host);
    this.checkBarriers();
    await b.done;
  }

  /** A host is done with the play (finished, failed, unreachable): nobody waits for it any more. */
  depart(host: string): void {
    if (!this.departed.has(host) && this.batchSet.has(host)) this.departedCount++;
    this.departed.add(host);
    this.checkBarriers();
  }

  private checkBarriers(): void {
    if (this.barriers.size === 0) return; // not a lockstep play: nobody waits (and no O(hosts) scan per host)
    // a host waiting at a barrier cannot depart, so a barrier is complete when its arrivals and
    // the departed hosts make up the batch (counting, not scanning the batch: O(1) per barrier)
    for (const [key, b] of this.barriers) {
      if (b.arrived.size + this.departedCount >= this.batch.length) {
        b.release();
        this.barriers.delete(key);
      }
    }
  }

  /** how many hosts of the current batch departed */
  private departedCount = 0;

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

  /** A host failed or became unreachable. As in Ansible, max_fail_percentage counts failed hosts only. */
  hostFailed(unreachable = false): void {
    if (!unreachable) this.batchFailures++;
    const pct = this.play.maxFailPercentage;
    if (this.play.anyErrorsFatal || (pct !== undefined && this.batch.length > 0 && (this.batchFailures / this.batch.length) * 100 > pct)) {
      this.aborted = true;
      this.fatal = true;
    }
  }
}

/** A task the runner adds itself (fact gathering), tagged always like Ansible's. */
export function syntheticTask(name: string, module: string, pos: Task['pos']): Task {
  return {
    kind: 'task', name, pos, module, args: {}, when: [], notify: [], runOnce: false, tags: ['always'],
    ignoreErrors: false, ignoreUnreachable: false, environment: {}, vars: {}, listen: [], noLog: false,
  };
}
