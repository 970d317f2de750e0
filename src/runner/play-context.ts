import pLimit from 'p-limit';
import type { Connection } from '../connection/types.js';
import type { Play, RoleInfo, Task } from '../playbook/types.js';
import type { EventSink } from './events.js';
import type { RunShared } from './context.js';
import type { ModuleResult } from '../modules/types.js';

export interface RunFlags {
  check: boolean;
  diff: boolean;
  tags: string[];
  skipTags: string[];
  verbosity: number;
  /** the strategy of plays that set none (configuration, ANSIBLE_STRATEGY); default linear */
  strategy?: 'linear' | 'free';
  /** -b, --become-user, --become-method: below play/task keywords and ansible_become* variables */
  become?: { become?: boolean; user?: string; method?: 'sudo' | 'su'; /** become_allow_same_user */ allowSameUser?: boolean };
  /** --start-at-task: the run starts at the first task matching this name or fnmatch pattern */
  startAtTask?: string;
  /**
   * --step: asked before each task (once per task under linear, per host under free) with
   * Ansible's label (`TASK: name`, `HANDLER: name`); false skips the task.
   */
  step?: (label: string, host?: string) => Promise<boolean>;
  /** --force-handlers (or the configuration's force_handlers): notified handlers run on failed hosts too */
  forceHandlers?: boolean;
  /** the task_timeout setting (ANSIBLE_TASK_TIMEOUT): the `timeout` of tasks that have none (0: no limit) */
  taskTimeout?: number;
}

/** Connections and facts of any host, opened/gathered once per run. */
export interface HostAccess {
  /** `over`: task/block connection keywords, over the play's (the host's variables still win) */
  connection(host: string, over?: { connection?: string; user?: string; port?: number }): Promise<Connection>;
  becomePassword(host: string): string | undefined;
  /**
   * The user Ansible takes as the login user when it decides whether become is needed: for a local
   * connection the controller's user, over ssh the user set by a variable, keyword, -u or the
   * configuration (undefined when none is: ssh's own default does not count, as in Ansible).
   */
  loginUser(host: string, over?: { connection?: string; user?: string; port?: number }): string | undefined;
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
  /** --start-at-task: the tasks before the match (or 'all': no match in this play) do not run */
  skipped: Set<Task> | 'all' | undefined;
  private stepAnswers = new Map<Task, Map<string, Promise<boolean>>>();
  /** the play's handlers, with those of roles included at run time */
  readonly handlers: Task[];
  /** roles and handlers files whose handlers are in `handlers` */
  readonly handlersLoaded: Set<string>;
  /** public roles: `roles:`, import_role, and include_role with `public: true` once it ran */
  readonly publicRoles: RoleInfo[];
  private roleLayerCache?: { n: number; defaults: Record<string, unknown>; vars: Record<string, unknown> };

  constructor(
    readonly play: Play,
    readonly shared: RunShared,
    readonly flags: RunFlags,
    readonly sink: EventSink,
    readonly access: HostAccess,
    readonly playHosts: string[],
  ) {
    this.gatherTask = syntheticTask('Gathering Facts', 'setup', play.pos);
    this.handlers = [...play.handlers];
    this.handlersLoaded = new Set(play.roleHandlerKeys ?? []);
    this.publicRoles = [...play.roles];
  }

  /** The public roles' defaults and vars, as every task of the play sees them (later roles win). */
  roleLayers(): { defaults: Record<string, unknown>; vars: Record<string, unknown> } {
    const n = this.publicRoles.length;
    if (this.roleLayerCache?.n !== n) {
      const defaults: Record<string, unknown> = {};
      const vars: Record<string, unknown> = {};
      for (const r of this.publicRoles) {
        Object.assign(defaults, r.exportDefaults ?? r.defaults);
        Object.assign(vars, r.exportVars ?? r.vars);
      }
      this.roleLayerCache = { n, defaults, vars };
    }
    return this.roleLayerCache;
  }

  /** Whether --start-at-task leaves this task out. */
  startsLater(task: Task): boolean {
    return this.skipped === 'all' || (this.skipped?.has(task) ?? false);
  }

  /**
   * --step: may this task run? Asked once per task and batch under linear (every host gets the
   * answer), once per task and host under free, as Ansible's strategies ask.
   */
  stepAllows(task: Task, label: string, host: string): Promise<boolean> {
    const ask = this.flags.step;
    if (!ask) return Promise.resolve(true);
    let answers = this.stepAnswers.get(task);
    if (!answers) this.stepAnswers.set(task, (answers = new Map()));
    const who = this.synced ? '' : host;
    let answer = answers.get(who);
    if (!answer) answers.set(who, (answer = ask(label, who || undefined)));
    return answer;
  }

  private batchSet = new Set<string>();
  private batchIndex = new Map<string, number>();

  newBatch(hosts: string[]): void {
    this.batch = hosts;
    this.batchSet = new Set(hosts);
    this.batchIndex = new Map(hosts.map((h, i) => [h, i]));
    this.departedCount = 0;
    this.batchFailures = 0;
    this.runOnce.clear();
    this.announced.clear();
    this.stepAnswers.clear();
    this.waiting.clear();
    this.waitingCount = 0;
    this.departed.clear();
  }

  /**
   * Hosts move task by task together (Ansible's `linear` strategy, the default): a task starts on
   * the hosts once every host of the batch has finished the one before. `free` lets each host run
   * ahead, except in plays with any_errors_fatal or max_fail_percentage, which act after each task.
   */
  get synced(): boolean {
    return (this.play.strategy ?? this.flags.strategy ?? 'linear') !== 'free' || this.play.anyErrorsFatal || this.play.maxFailPercentage !== undefined;
  }

  /** Hosts waiting for their turn, grouped by the position of the task they wait at. */
  private waiting = new Map<string, { at: readonly number[]; release: Array<{ host?: string; go: () => void }> }>();
  private waitingCount = 0;
  private departed = new Set<string>();

  /**
   * Wait until this host may run the task at position `at` (a path through sections, task lists,
   * blocks, includes and handler flushes, ordered like the play). When every host of the batch
   * still in the play is waiting, the hosts at the lowest position go, together: so hosts that took
   * different paths (a rescue, an include) run their tasks in play order, as in Ansible.
   */
  async turn(at: readonly number[], host?: string): Promise<void> {
    if (!this.synced) return;
    const key = at.join('.');
    let w = this.waiting.get(key);
    if (!w) this.waiting.set(key, (w = { at, release: [] }));
    const done = new Promise<void>((r) => w!.release.push({ host, go: r }));
    this.waitingCount++;
    this.releaseIfAllWaiting();
    await done;
  }

  /** A host is done with the play (finished, failed, unreachable): nobody waits for it any more. */
  depart(host: string): void {
    if (!this.departed.has(host) && this.batchSet.has(host)) this.departedCount++;
    this.departed.add(host);
    this.releaseIfAllWaiting();
  }

  private releaseIfAllWaiting(): void {
    if (this.waiting.size === 0 || this.waitingCount + this.departedCount < this.batch.length) return;
    let lowest: { key: string; at: readonly number[] } | undefined;
    for (const [key, w] of this.waiting) if (!lowest || comparePaths(w.at, lowest.at) < 0) lowest = { key, at: w.at };
    const w = this.waiting.get(lowest!.key)!;
    this.waiting.delete(lowest!.key);
    this.waitingCount -= w.release.length;
    // hosts go in batch (inventory) order, as Ansible's: the first of them runs a run_once task
    const order = (h?: string) => (h === undefined ? Number.MAX_SAFE_INTEGER : (this.batchIndex.get(h) ?? Number.MAX_SAFE_INTEGER));
    // (deferred a tick, so the host whose arrival released them resumes in its place, not last)
    const sorted = [...w.release].sort((a, b) => order(a.host) - order(b.host));
    queueMicrotask(() => sorted.forEach((r) => r.go()));
  }

  /** how many hosts of the current batch departed */
  private departedCount = 0;

  /** Task executions go through here: in synced plays this is where the forks limit applies. */
  limited<T>(fn: () => Promise<T>): Promise<T> {
    return this.synced && this.forks ? this.forks(fn) : fn();
  }

  private throttles = new Map<Task, { n: number; limit: ReturnType<typeof pLimit> }>();

  /** `throttle: n`: at most n hosts run the task at once (the first host's value sets it). */
  throttled<T>(task: Task, n: number | undefined, fn: () => Promise<T>): Promise<T> {
    if (!n || n <= 0) return fn();
    let t = this.throttles.get(task);
    if (!t) this.throttles.set(task, (t = { n, limit: pLimit(n) }));
    return t.limit(fn);
  }

  /** set by the runner: the run's forks limiter, used per task in synced plays */
  forks?: <T>(fn: () => Promise<T>) => Promise<T>;

  /** The first host to reach a run_once task runs it; the others share its result. */
  private included = new WeakMap<Task, Map<string, Promise<Task[]>>>();

  /**
   * The tasks of an include_tasks file, loaded once per include task, loop pass and file for
   * every host of the play (as Ansible's IncludedFile groups the hosts that include the same
   * file): one task header, and run_once inside it runs once.
   */
  includedTasks(include: Task, key: string, load: () => Promise<Task[]>): Promise<Task[]> {
    let m = this.included.get(include);
    if (!m) this.included.set(include, (m = new Map()));
    let p = m.get(key);
    if (!p) {
      p = load();
      m.set(key, p);
      p.catch(() => m!.delete(key)); // a failed load is retried by the next host (and fails for it too)
    }
    return p;
  }

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
  hostFailed(unreachable = false, taskFatal = false): void {
    if (!unreachable) this.batchFailures++;
    const pct = this.play.maxFailPercentage;
    if (this.play.anyErrorsFatal || taskFatal || (pct !== undefined && this.batch.length > 0 && (this.batchFailures / this.batch.length) * 100 > pct)) {
      this.aborted = true;
      this.fatal = true;
    }
  }
}

/** Play order of two task positions (a prefix comes first: a task before the handlers it flushes). */
export function comparePaths(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** A task the runner adds itself (fact gathering), tagged always like Ansible's. */
export function syntheticTask(name: string, module: string, pos: Task['pos']): Task {
  return {
    kind: 'task', name, pos, module, args: {}, when: [], notify: [], runOnce: false, tags: ['always'],
    ignoreErrors: false, ignoreUnreachable: false, environment: {}, vars: {}, listen: [], noLog: false,
  };
}
