import type { Task } from '../playbook/types.js';
import type { ModuleContext, ModuleDef, ModuleResult } from '../modules/types.js';
import type { BecomeOptions, Connection, ExecOptions } from '../connection/types.js';
import { startJob } from '../modules/async-jobs.js';
import { UnreachableError } from '../connection/types.js';
import { LocalConnection } from '../connection/local.js';
import { getModule } from '../modules/registry.js';
import { invokeModule } from '../modules/invoke.js';
import { renderString, renderTemplateFile, renderValue } from '../template/render.js';
import { evaluate, evaluateCondition } from '../template/expr.js';
import { lookupItems } from '../template/jinja/index.js';
import { loadIncludedRole, loadTaskFile, type RuntimePlay } from '../playbook/index.js';
import { ENV_TEMPLATE_KEY } from '../playbook/loader.js';
import { UserError } from '../errors.js';
import { shouldRunByTags } from './tags.js';
import { taskScope, hostvarsOf } from './context.js';
import type { PlayContext } from './play-context.js';
import type { HostStatus } from './events.js';
import { HostState as HostStateClass, type HostState } from './host-state.js';
import { findFile } from './find-file.js';
import { addDynamicGroup, addDynamicHost } from '../inventory/dynamic.js';
import { maskModuleArgs, tracedConnection } from './trace.js';
import { resolveTaskKeywords } from './task-keywords.js';
import { markPlain } from '../template/lazy.js';
import { unsafeText } from '../template/unsafe.js';

const controllerConn = new LocalConnection('localhost');

/** The role uses an include_role's load added to the loading host's roles run (the others add them too). */
const includedRoleKeys = new WeakMap<Task[], string[]>();

/** The position of the handler flush that ends a section: after every task of it. */
const SECTION_END = Number.MAX_SAFE_INTEGER;

type Outcome = 'ok' | 'failed' | 'unreachable' | 'skipped' | 'interrupted';

interface Where {
  file: string;
  task: string;
  line: number;
  col: number;
}

/** Runs one play's tasks for one host, independently of the other hosts. */
export class HostRun {
  private readonly state: HostState;
  /** which host a result's work ran on, when the task was delegated (for the events) */
  private readonly delegatedTo = new WeakMap<ModuleResult, string>();
  /** a task with its templated keywords rendered for this host (the last loop item's) */
  private readonly resolved = new WeakMap<Task, Task>();

  /** the play as include_role sees it on this host (roles already run here; shared handlers and public roles) */
  private readonly runtimePlay: RuntimePlay;

  constructor(private readonly pc: PlayContext, private readonly host: string) {
    this.state = pc.shared.states.get(host)!;
    this.runtimePlay = { seenRoles: new Set(pc.play.roleKeys ?? []), roles: pc.publicRoles, handlers: pc.handlers, handlersLoaded: pc.handlersLoaded };
  }

  private get stopped(): boolean {
    return !this.state.active || this.pc.aborted || this.interrupted;
  }

  private get interrupted(): boolean {
    return this.pc.shared.interrupted !== undefined;
  }

  /** The task was cut short by SIGINT/SIGTERM: not a failure of the host; the recap names it. */
  private stoppedByInterrupt(name: string): Outcome {
    this.state.interruptedIn ??= name;
    return 'interrupted';
  }

  async run(): Promise<void> {
    const play = this.pc.play;
    try {
      if (play.gatherFacts && !this.stopped) await this.gatherFacts();
      await this.runTop(0, play.preTasks);
      await this.endSection([0, SECTION_END]);
      await this.runTop(1, [...play.roleTasks, ...play.tasks]);
      await this.endSection([1, SECTION_END]);
      await this.runTop(2, play.postTasks);
      await this.endSection([2, SECTION_END]);
    } finally {
      this.pc.depart(this.host);
    }
  }

  /**
   * The handler flush that ends a section. With force_handlers, as Ansible (which puts the flush in
   * an `always` of each section), it also runs on a host that failed in the section: the handlers
   * notified before the failure run, and the host stays failed.
   */
  private async endSection(at: readonly number[]): Promise<void> {
    const force = this.pc.play.forceHandlers ?? this.pc.flags.forceHandlers ?? false;
    if (!this.state.failed || this.state.unreachable || !force || this.interrupted) return this.flushHandlers(at);
    this.state.failed = false;
    try {
      await this.flushHandlers(at);
    } finally {
      this.state.failed = true;
    }
  }

  /** The play's top-level tasks of one section (pre_tasks 0, roles and tasks 1, post_tasks 2). */
  private async runTop(section: number, tasks: Task[]): Promise<void> {
    for (let i = 0; i < tasks.length; i++) {
      if (this.stopped) return;
      if (!(await this.runOne(tasks[i]!, false, undefined, [section, i]))) return;
    }
  }

  private async gatherFacts(): Promise<void> {
    const task = this.pc.gatherTask; // one task object per play, so it is announced once
    if (!shouldRunByTags(['always'], this.pc.flags.tags, this.pc.flags.skipTags)) return;
    if (this.pc.skipped === 'all') return; // --start-at-task found nothing in this play
    await this.pc.turn([-1], this.host);
    if (this.stopped) return;
    if (!(await this.pc.stepAllows(task, 'TASK: Gathering Facts', this.host)) || this.stopped) return;
    this.pc.announce(task, 'Gathering Facts', false);
    this.pc.sink({ type: 'host_task_start', play: this.pc.play.name, task: 'Gathering Facts', host: this.host, handler: false, module: task.module, ...taskPlace(task) });
    const t0 = Date.now();
    try {
      const gathered = await this.pc.limited(async () => (this.interrupted ? undefined : this.pc.access.facts(this.host)));
      if (gathered === undefined) return; // interrupted before it started
      this.emit(task, 'Gathering Facts', 'ok', { changed: false }, t0, {});
      this.state.stats.ok++;
    } catch (e) {
      if (this.interrupted) this.stoppedByInterrupt('Gathering Facts');
      else this.handleError(task, 'Gathering Facts', e, t0, false);
    }
  }

  /** Run tasks in order (`at`: the list's position in the play); returns false once the host has failed (or stopped). */
  async runList(tasks: Task[], rescuable: boolean, includeVars: Record<string, unknown> | undefined, at: readonly number[]): Promise<boolean> {
    for (let i = 0; i < tasks.length; i++) {
      if (this.stopped) return false;
      const ok = await this.runOne(tasks[i]!, rescuable, includeVars, [...at, i]);
      if (!ok) return false;
    }
    return !this.stopped;
  }

  private async runOne(task: Task, rescuable: boolean, includeVars: Record<string, unknown> | undefined, at: readonly number[]): Promise<boolean> {
    if (task.kind === 'block') return this.runBlock(task, rescuable, includeVars, at);
    if (task.kind === 'include') return this.runInclude(task, rescuable, includeVars, at);
    if (!shouldRunByTags(task.tags, this.pc.flags.tags, this.pc.flags.skipTags)) return true;
    if (this.pc.startsLater(task)) return true; // before --start-at-task's task
    await this.pc.turn(at, this.host); // linear: every host finishes the task before this one first
    if (this.stopped) return false;
    if (!(await this.pc.stepAllows(task, `TASK: ${stepName(task)}`, this.host))) return true;
    if (this.stopped) return false;
    // a host still waiting for a fork when the run is interrupted does not start the task
    const outcome = await this.throttled(task, includeVars, () => this.pc.limited(async (): Promise<Outcome> => (this.interrupted ? 'interrupted' : this.runTask(task, false, rescuable, includeVars))));
    if (this.pendingFlush) {
      this.pendingFlush = false;
      await this.flushHandlers([...at, 0]);
    }
    return outcome !== 'failed' && outcome !== 'unreachable' && outcome !== 'interrupted';
  }

  /** The task's `throttle` (templated: rendered with this host's variables; a bad template fails the task when it runs). */
  private throttled<T>(task: Task, includeVars: Record<string, unknown> | undefined, fn: () => Promise<T>): Promise<T> {
    let n = task.throttle;
    if (task.templated?.throttle !== undefined) {
      try {
        n = resolveTaskKeywords(task, this.scope(task, includeVars), this.where(task, task.name ?? task.module ?? 'task'), ['throttle']).throttle;
      } catch {
        n = undefined;
      }
    }
    return this.pc.throttled(task, n, fn);
  }

  private async runBlock(task: Task, rescuable: boolean, includeVars: Record<string, unknown> | undefined, at: readonly number[]): Promise<boolean> {
    const hasRescue = (task.rescue?.length ?? 0) > 0;
    let ok = await this.runList(task.block ?? [], rescuable || hasRescue, includeVars, [...at, 0]);
    if (!ok && hasRescue && this.state.failed && !this.state.unreachable && !this.pc.aborted) {
      this.state.failed = false;
      // as Ansible, the failure the rescue handles is seen by it (and later tasks) as
      // ansible_failed_task / ansible_failed_result
      if (this.lastFailure) {
        const { task: ft, result } = this.lastFailure;
        this.state.registered.ansible_failed_result = markPlain(result);
        this.state.registered.ansible_failed_task = markPlain({ name: ft.name ?? '', action: ft.action ?? ft.module ?? '', args: ft.args, ...(ft.role ? { role: ft.role.name } : {}) });
      }
      this.state.stats.rescued++;
      ok = await this.runList(task.rescue!, rescuable, includeVars, [...at, 1]);
    }
    if (task.always?.length && !this.state.unreachable && !this.pc.aborted && !this.interrupted) {
      // always runs even after a failure: lift the failure for its duration, then restore it
      const failedBefore = this.state.failed;
      this.state.failed = false;
      const alwaysOk = await this.runList(task.always, rescuable, includeVars, [...at, 2]);
      this.state.failed = failedBefore || this.state.failed;
      ok = ok && alwaysOk;
    }
    return ok && !this.state.failed;
  }

  /**
   * include_role: the include's own tags select it (its tasks don't inherit them); `when` is
   * evaluated once per include (per loop item), the role loaded with its name and *_from files
   * rendered, and its tasks run with the include's vars (and loop variable) as include params.
   */
  private async runIncludeRole(task: Task, rescuable: boolean, includeVars: Record<string, unknown> | undefined, at: readonly number[]): Promise<boolean> {
    if (!shouldRunByTags(task.tags, this.pc.flags.tags, this.pc.flags.skipTags)) return true;
    const spec = task.includeRole!;
    const where = this.where(task, `include_role : ${spec.name}`);
    const plan = await this.planInclude(task, includeVars, where, rescuable, async (scope, i) => {
      const r = (x: string | undefined) => (x === undefined ? undefined : renderString(x, scope, where));
      const from = { tasks: r(spec.tasksFrom), vars: r(spec.varsFrom), defaults: r(spec.defaultsFrom), handlers: r(spec.handlersFrom) };
      const role = { name: renderString(spec.name, scope, where), from: Object.fromEntries(Object.entries(from).filter(([, v]) => v !== undefined)), public: spec.public, allowDuplicates: spec.allowDuplicates };
      const args: Record<string, unknown> = { name: role.name };
      for (const [k, v] of Object.entries(from)) if (v !== undefined) args[`${k}_from`] = v;
      return {
        result: { include_args: args },
        load: async () => {
          // hosts that include the same role with the same roles already run share the loaded tasks
          // (one header, run_once once); each takes the role uses the load added
          const seen = this.runtimePlay.seenRoles;
          const key = `${i}\0${JSON.stringify(role)}\0${[...seen].sort().join('\n')}`;
          const loaded = await this.pc.includedTasks(task, key, async () => {
            const before = new Set(seen);
            const lr = await loadIncludedRole(task, role, this.runtimePlay);
            includedRoleKeys.set(lr.tasks, [...seen].filter((k) => !before.has(k)));
            return lr.tasks;
          });
          for (const k of includedRoleKeys.get(loaded) ?? []) seen.add(k);
          return loaded;
        },
      };
    });
    if (plan === 'failed') return false;
    for (const p of plan) {
      if (this.stopped) return false;
      let tasks: Task[];
      try {
        tasks = await p.load();
      } catch (e) {
        this.handleError(task, where.task, e, Date.now(), rescuable);
        return false;
      }
      if (!(await this.runList(tasks, rescuable, { ...includeVars, ...task.vars, ...p.loopVars }, [...at, p.i]))) return false;
    }
    return true;
  }

  private async runInclude(task: Task, rescuable: boolean, includeVars: Record<string, unknown> | undefined, at: readonly number[]): Promise<boolean> {
    if (this.pc.startsLater(task)) return true;
    if (!(await this.pc.stepAllows(task, `TASK: ${stepName(task)}`, this.host))) return true;
    if (task.includeRole) return this.runIncludeRole(task, rescuable, includeVars, at);
    // the include's own tags select it (its tasks don't inherit them), as include_role's
    if (!shouldRunByTags(task.tags, this.pc.flags.tags, this.pc.flags.skipTags)) return true;
    const where = this.where(task, 'include_tasks');
    const plan = await this.planInclude(task, includeVars, where, rescuable, async (scope, i) => {
      const file = renderString(task.include!.file, scope, where);
      // as Ansible, every file is loaded before any included task runs
      const tasks = await this.pc.includedTasks(task, `${i}\0${file}`, () => loadTaskFile(file, { baseDir: task.include!.baseDir, parent: task, play: this.runtimePlay }));
      const written = task.include!.written === undefined || task.include!.written === task.include!.file ? file : renderString(task.include!.written, scope, where);
      return { result: { include: written, include_args: {} }, load: async () => tasks };
    });
    if (plan === 'failed') return false;
    // a loop includes the file once per item, the loop variable visible to its tasks; as Ansible
    // counts it, each file included is `ok` for the host, and an include with nothing included
    // (its when false for every item, or no items) is `skipped`
    if (!plan.length) this.state.stats.skipped++;
    for (const p of plan) {
      if (this.stopped) return false;
      this.state.stats.ok++;
      if (!(await this.runList(await p.load(), rescuable, { ...includeVars, ...task.vars, ...p.loopVars }, task.loop !== undefined ? [...at, p.i] : at))) return false;
    }
    return true;
  }

  /**
   * An include's passes, decided up front as ansible-core's task executor does: the loop's items,
   * then every item's `when` (and what `prepare` renders for it), all before any included task
   * runs (a fact an included task sets does not change a later item's `when`). The include's
   * result (per item in a loop) is registered then. 'failed' when it failed and that stops the
   * host (reported; an ignored failure includes nothing).
   */
  private async planInclude(
    task: Task, includeVars: Record<string, unknown> | undefined, where: Where, rescuable: boolean,
    prepare: (scope: Record<string, unknown>, i: number) => Promise<{ result: Record<string, unknown>; load: () => Promise<Task[]> }>,
  ): Promise<Array<{ i: number; loopVars?: Record<string, unknown>; load: () => Promise<Task[]> }> | 'failed'> {
    const t0 = Date.now();
    const plan: Array<{ i: number; loopVars?: Record<string, unknown>; load: () => Promise<Task[]> }> = [];
    let registered: ModuleResult;
    try {
      if (task.loop === undefined) {
        const scope = this.scope(task, includeVars);
        if (!task.when.every((c) => evaluateCondition(c, scope, where))) registered = skippedByWhen();
        else {
          const p = await prepare(scope, 0);
          plan.push({ i: 0, load: p.load });
          registered = { changed: false, ...p.result };
        }
      } else {
        const items = loopItems(task, this.scope(task, includeVars), where);
        if (!Array.isArray(items)) throw new UserError(`'loop' must be a list in '${where.task}', got ${typeof items}`, task.pos);
        const results: ModuleResult[] = [];
        const base = this.scope(task, includeVars);
        for (let i = 0; i < items.length; i++) {
          const special = loopSpecials(task, items, i, base, where);
          const scope = this.scope(task, includeVars, special.vars);
          if (!task.when.every((c) => evaluateCondition(c, scope, where))) {
            results.push({ ...skippedByWhen(), ...special.result });
            continue;
          }
          const p = await prepare(scope, i);
          // as Ansible, an included item's result has no `changed` (the loop's has)
          results.push({ ...p.result, ...special.result } as ModuleResult);
          plan.push({ i, loopVars: special.include, load: p.load });
        }
        registered = items.length ? loopAggregate(results) : { changed: false, skipped: true, skipped_reason: 'No items in the list', results: [] };
      }
    } catch (e) {
      const outcome = this.handleError(task, this.includeName(task, includeVars, where), e, t0, rescuable);
      return outcome === 'failed' || outcome === 'unreachable' ? 'failed' : [];
    }
    if (task.register) this.state.registered[task.register] = markPlain(registered);
    return plan;
  }

  /** An include's name in its results: its own, else as Ansible names it. */
  private includeName(task: Task, includeVars: Record<string, unknown> | undefined, where: Where): string {
    return task.name !== undefined ? this.taskName(task, includeVars) : where.task;
  }

  private scope(task: Task | undefined, includeVars?: Record<string, unknown>, loopVars?: Record<string, unknown>) {
    return taskScope(this.pc.shared, this.pc.play, this.host, task, {
      playHosts: this.pc.playHosts,
      batch: this.pc.batch,
      includeVars,
      loopVars,
      playRoles: this.pc.roleLayers(),
    });
  }

  private where(task: Task, name: string): Where {
    return { file: task.pos.file, task: name, line: task.pos.line, col: task.pos.col };
  }

  /** One task (all its loop items) on this host. */
  async runTask(task: Task, handler: boolean, rescuable: boolean, includeVars?: Record<string, unknown>): Promise<Outcome> {
    const name = this.taskName(task, includeVars);
    this.pc.announce(task, name, handler);
    this.pc.sink({ type: 'host_task_start', play: this.pc.play.name, task: name, host: this.host, handler, module: task.module, ...taskPlace(task) });
    const t0 = Date.now();
    this.resolved.delete(task);
    try {
      const runOnce = task.templated?.run_once === undefined ? task.runOnce : resolveTaskKeywords(task, this.scope(task, includeVars), this.where(task, name), ['run_once']).runOnce;
      if (runOnce || (task.module !== undefined && getModule(task.module)?.bypassHostLoop)) {
        const { promise, first } = this.pc.runOnceResult(task, () => this.execute(task, name, handler, includeVars));
        const result = await promise;
        if (this.interrupted && (result.failed || result.unreachable)) return this.stoppedByInterrupt(name);
        if (!first) {
          // the other hosts share the result, as Ansible does: registered var and facts
          // (add_host, which bypasses the host loop, registers on the host that ran it only, as in Ansible)
          if (task.register && runOnce) this.state.registered[task.register] = result;
          if (result.ansible_facts) this.mergeFacts(task, result.ansible_facts);
          return result.failed ? 'failed' : 'ok';
        }
        return this.account(task, name, handler, result, t0, rescuable);
      }
      const result = await this.execute(task, name, handler, includeVars);
      // a step killed by the interrupt fails; that is not the host's failure
      if (this.interrupted && (result.failed || result.unreachable)) return this.stoppedByInterrupt(name);
      return this.account(task, name, handler, result, t0, rescuable);
    } catch (e) {
      if (this.interrupted) return this.stoppedByInterrupt(name);
      return this.handleError(task, name, e, t0, rescuable, handler);
    }
  }

  /** Task names may use variables, as in Ansible; one that cannot be rendered yet is shown as written. */
  private taskName(task: Task, includeVars?: Record<string, unknown>): string {
    const raw = task.name ?? task.module ?? 'task';
    if (!raw.includes('{{')) return raw;
    try {
      return renderString(raw, this.scope(task, includeVars));
    } catch {
      return raw;
    }
  }

  /** Run the task (loop included) and return its final (aggregate) result, emitting per-item results. */
  private async execute(task: Task, name: string, handler: boolean, includeVars: Record<string, unknown> | undefined): Promise<ModuleResult> {
    const where = this.where(task, name);
    if (task.loop === undefined) {
      const scope = this.scope(task, includeVars);
      return this.executeItem(this.resolve(task, scope, where), scope, where);
    }
    const baseScope = this.scope(task, includeVars);
    const items = loopItems(task, baseScope, where);
    if (!Array.isArray(items)) throw new UserError(`'loop' must be a list in task '${name}', got ${typeof items}`, task.pos);
    const loopVar = task.loopControl?.loopVar ?? 'item';
    // as ansible-core 2.14: no items is a skipped task
    if (items.length === 0) return { changed: false, skipped: true, skipped_reason: 'No items in the list', results: [] };
    const results: ModuleResult[] = [];
    const pauseMs = loopPauseMs(task, baseScope, where);
    for (let i = 0; i < items.length; i++) {
      if (this.interrupted) throw new Error('interrupted'); // the items left are not run
      if (i > 0 && pauseMs > 0) await this.pause(pauseMs);
      const t0 = Date.now();
      const special = loopSpecials(task, items, i, baseScope, where);
      const scope = this.scope(task, includeVars, special.vars);
      const rt = this.resolve(task, scope, where);
      const r = await this.executeItem(rt, scope, where);
      // as Ansible's _run_loop: each item's result names its item and loop variable (and index)
      Object.assign(r, special.result);
      results.push(r);
      // no_log: the item is hidden too; Ansible shows it as (item=None)
      const label = rt.noLog ? 'None' : task.loopControl?.label !== undefined ? String(renderValue(task.loopControl.label, scope, where)) : undefined;
      this.pc.sink({
        type: 'host_result', play: this.pc.play.name, task: name, module: task.module, host: this.host, status: statusOf(r),
        ignored: r.failed && rt.ignoreErrors ? true : undefined, item: rt.noLog ? null : items[i], label, delegatedTo: this.delegatedTo.get(r),
        durationMs: Date.now() - t0, result: rt.noLog ? censored(r) : r, handler, ...taskPlace(task),
      });
      // as Ansible, a failed item does not stop the loop: every item runs
    }
    return loopAggregate(results);
  }

  /** loop_control's pause between items (interrupted by SIGINT/SIGTERM). */
  private async pause(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise((r) => (timer = setTimeout(r, ms))), this.pc.shared.interruption]);
    clearTimeout(timer);
  }

  /**
   * `async: N`: the module runs as a job of at most N seconds (each command it runs is killed at
   * the deadline). `poll: 0` starts it in the background and returns its id for async_status;
   * otherwise the task waits for it (no polling: the job's own end is the status).
   */
  private async runAsync(task: Task, def: ModuleDef, args: Record<string, unknown>, ctx: ModuleContext): Promise<ModuleResult> {
    const deadline = Date.now() + task.async! * 1000;
    const bounded = boundedConnection(ctx.conn, deadline);
    const job = invokeModule(def, args, { ...ctx, conn: bounded }).then(
      (r) => (Date.now() >= deadline ? timedOut() : r),
      (e) => {
        if (e instanceof AsyncTimeout || Date.now() >= deadline) return timedOut();
        throw e;
      },
    );
    if (task.poll === 0) {
      const jid = startJob(this.host, job);
      return { changed: true, ansible_job_id: jid, started: 1, finished: 0 };
    }
    const jid = `j${Date.now()}.${process.pid}`;
    return { ...(await job), ansible_job_id: jid, started: 1, finished: 1 };
  }

  /** `task` with its templated keywords rendered for this host (remembered for the result's accounting). */
  private resolve(task: Task, scope: Record<string, unknown>, where: Where): Task {
    if (!task.templated) return task;
    const rt = resolveTaskKeywords(task, scope, where);
    this.resolved.set(task, rt);
    return rt;
  }

  private async executeItem(task: Task, scope: Record<string, unknown>, where: Where): Promise<ModuleResult> {
    for (const cond of task.when) {
      if (!evaluateCondition(cond, scope, where)) return skippedByWhen();
    }
    const def = getModule(task.module!);
    if (!def) throw new UserError(`unknown module '${task.module}'`, task.pos);
    const rendered = renderValue(task.args, scope, where) as Record<string, unknown>;
    for (const [k, v] of Object.entries(rendered)) {
      const w = withoutOmit(v, this.pc.shared.omit);
      if (w === this.pc.shared.omit) delete rendered[k];
      else rendered[k] = w;
    }
    const nul = nulPath(rendered);
    if (nul) throw new UserError(`argument '${nul}' of task '${where.task}' holds a NUL character, which no command or file name can take`, task.pos);
    const delegate = task.delegateTo ? renderString(task.delegateTo, scope, where) : undefined;
    if (delegate && !this.pc.shared.inventory.hosts.has(delegate) && delegate !== 'localhost') {
      throw new UserError(`delegate_to host '${delegate}' is not in the inventory`, task.pos);
    }
    const ctx = await this.moduleContext(task, def, scope, where, delegate);
    if (this.pc.flags.verbosity >= 2) {
      const shown = task.noLog ? '(hidden: no_log)' : JSON.stringify(maskModuleArgs(rendered, def.argSpec));
      this.pc.sink({ type: 'verbose', host: this.host, level: 2, msg: `${def.name} args: ${shown}${delegate ? ` (delegated to ${delegate})` : ''}` });
    }

    // as ansible-core 2.14's task executor: retries count only with until (retries <= 0: one
    // attempt, until not checked); attempts is in the result before changed_when/failed_when
    const retries = task.retries ?? 3;
    const attempts = task.until && retries > 0 ? retries + 1 : 1;
    const delayMs = (task.delay ?? 5) * 1000;
    let result: ModuleResult = { changed: false };
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1 && this.interrupted) break;
      // the keyword (task, block, role, play), else the task_timeout setting, as Ansible's default for it
      const timeout = task.timeout ?? this.pc.flags.taskTimeout;
      if (timeout && timeout > 0) {
        const timed = await runTimed(timeout, ctx, (c) => (task.async ? this.runAsync(task, def, rendered, c) : invokeModule(def, rendered, c)));
        // as ansible-core 2.14's task executor: a timed-out attempt ends the task there (no
        // retries, no changed_when/failed_when), failed with these words
        if (timed === undefined) {
          result = { changed: false, failed: true, msg: `The ${task.action ?? task.module} action failed to execute in the expected time frame (${timeout}) and was terminated` };
          break;
        }
        result = timed;
      } else result = task.async ? await this.runAsync(task, def, rendered, ctx) : await invokeModule(def, rendered, ctx);
      withStatusKeys(result);
      if (task.until) result.attempts = attempt;
      this.applyConditions(task, result, scope, where);
      if (attempts === 1 || this.untilHolds(task, result, scope, where)) break;
      if (attempt < attempts) {
        ctx.log(`retrying task '${where.task}' (${attempts - attempt} attempts left)`);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([new Promise((r) => (timer = setTimeout(r, delayMs))), this.pc.shared.interruption]);
        clearTimeout(timer);
      } else {
        result.failed = true;
        // as Ansible reports a run out of attempts (task_executor: retries - 1)
        result.attempts = attempts - 1;
        result.msg = result.msg ?? `until condition not met after ${attempts} attempts`;
      }
    }
    if (delegate) this.delegatedTo.set(result, delegate);
    return result;
  }

  /** changed_when/failed_when/until see the result under the register name. */
  private withResult(task: Task, scope: Record<string, unknown>, result: ModuleResult): Record<string, unknown> {
    return task.register ? overlay(scope, { [task.register]: result }) : scope;
  }

  /**
   * changed_when, then failed_when, as ansible-core 2.14's task executor (not on a skipped result):
   * failed_when leaves `failed_when_result`; a condition that cannot be evaluated fails the task and
   * leaves its error under `changed_when_result` / `failed_when_result` (the module's result kept).
   */
  private applyConditions(task: Task, result: ModuleResult, scope: Record<string, unknown>, where: Where): void {
    if (result.skipped !== undefined) return;
    const s = this.withResult(task, scope, result);
    let which = 'changed';
    try {
      if (task.changedWhen) result.changed = task.changedWhen.every((c) => evaluateCondition(c, s, where));
      which = 'failed';
      if (task.failedWhen) {
        const failed = task.failedWhen.every((c) => evaluateCondition(c, s, where));
        result.failed_when_result = result.failed = failed;
      }
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      result.failed = true;
      result[`${which}_when_result`] = e.message;
    }
  }

  private untilHolds(task: Task, result: ModuleResult, scope: Record<string, unknown>, where: Where): boolean {
    const s = this.withResult(task, scope, result);
    return task.until!.every((c) => evaluateCondition(c, s, where));
  }

  private async moduleContext(task: Task, def: ModuleDef, scope: Record<string, unknown>, where: Where, delegate?: string): Promise<ModuleContext> {
    const play = this.pc.play;
    const target = delegate ?? this.host;
    const conn: Connection = tracedConnection(def.controllerOnly ? controllerConn : await this.pc.access.connection(target, this.connectionKeywords(task, scope, where)), {
      host: this.host, verbosity: this.pc.flags.verbosity, hidden: task.noLog === true, sink: this.pc.sink,
    });
    const envRaw = { ...play.environment, ...task.environment };
    const env: Record<string, string> = {};
    const rendered: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(renderValue(envRaw, scope, where) as Record<string, unknown>)) {
      if (!k.startsWith(ENV_TEMPLATE_KEY)) rendered[k] = v;
      else if (v && typeof v === 'object' && !Array.isArray(v)) Object.assign(rendered, v);
      else if (v !== undefined && v !== null && v !== '') throw new UserError(`'environment' must render to a mapping, got ${JSON.stringify(v)}`, task.pos);
    }
    for (const [k, v] of Object.entries(rendered)) {
      if (v !== this.pc.shared.omit && v !== undefined && v !== null) env[k] = typeof v === 'string' ? v : JSON.stringify(v);
    }
    for (const [k, v] of Object.entries(env)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new UserError(`environment variable name '${k}' is not valid (letters, digits and _ only, not starting with a digit)`, task.pos);
      if (v.includes('\0')) throw new UserError(`environment variable '${k}' holds a NUL character, which no environment can take`, task.pos);
    }
    const become = this.becomeFor(task, scope, target, where, this.connectionKeywords(task, scope, where));
    const access = this.pc.access;
    const shared = this.pc.shared;
    const flags = this.pc.flags;
    const sink = this.pc.sink;
    const host = this.host;
    return {
      host,
      conn,
      facts: this.state.facts,
      check: task.checkMode ?? flags.check,
      diff: task.diff ?? flags.diff,
      become,
      env,
      vars: scope,
      render: (text, extra) => renderString(text, extra ? overlay(scope, extra) : scope, where),
      renderFile: (text, path, extra) => renderTemplateFile(text, path, extra ? overlay(scope, extra) : scope, { ...where, file: path, line: undefined, col: undefined }),
      evaluate: (expr) => evaluate(expr, scope, where),
      findFile: (kind, name) => findFile(kind, name, task.role?.path, play.baseDir),
      log: (msg) => sink({ type: 'verbose', msg, host, level: 1 }),
      progress: (msg) => sink({ type: 'host_progress', host, task: where.task, msg }),
      groups: scope.groups as Record<string, string[]>,
      hostvars: (h) => hostvarsOf(shared, h),
      connectionTo: (h) => access.connection(h),
      factsOf: (h) => access.facts(h),
      once: (key, fn) => access.once(key, fn),
      playbookDir: shared.playbookDir,
      inventory: {
        addHost: (name, vars, groups) => addDynamicHost(shared.inventory, name, vars, groups),
        addToGroup: (h, group, parents) => addDynamicGroup(shared.inventory, h, group, parents),
      },
    };
  }

  /** The task's (or its blocks') connection, remote_user and port, rendered: over the play's; the host's variables win. */
  private connectionKeywords(task: Task, scope: Record<string, unknown>, where: Where): { connection?: string; user?: string; port?: number } | undefined {
    if (task.connection === undefined && task.remoteUser === undefined && task.port === undefined) return undefined;
    const over: { connection?: string; user?: string; port?: number } = {};
    if (task.connection !== undefined) {
      const c = renderString(task.connection, scope, where).replace(/^ansible\.(builtin|legacy)\./, '');
      if (c !== 'local' && c !== 'ssh') throw new UserError(`connection '${c}' of task '${where.task}' is not supported (use local or ssh)`, task.pos);
      over.connection = c;
    }
    if (task.remoteUser !== undefined) over.user = renderString(task.remoteUser, scope, where);
    if (task.port !== undefined) {
      if (!Number.isInteger(task.port) || task.port < 1 || task.port > 65535) throw new UserError(`port ${task.port} of task '${where.task}' is not a port number (1 to 65535)`, task.pos);
      over.port = task.port;
    }
    return over;
  }

  /**
   * Privilege escalation for a task. As in Ansible, the variables ansible_become, ansible_become_user
   * and ansible_become_method (inventory, play or task vars) override the keywords; the keywords
   * (task < block < play) override the CLI's -b/--become-user/--become-method.
   */
  private becomeFor(task: Task, scope: Record<string, unknown>, target: string, where: Where, over?: { connection?: string; user?: string; port?: number }): BecomeOptions | undefined {
    const play = this.pc.play;
    const cli = this.pc.flags.become ?? {};
    const v = (name: string): unknown => {
      const x = scope[name];
      return x === undefined || x === null ? undefined : x;
    };
    const onVar = v('ansible_become');
    const on = onVar !== undefined ? ansibleBool(onVar, 'ansible_become', task) : (task.become ?? play.become ?? cli.become ?? false);
    if (!on) return undefined;
    const userVar = v('ansible_become_user');
    const methodVar = v('ansible_become_method');
    const method = methodVar !== undefined ? String(methodVar) : (task.becomeMethod ?? play.becomeMethod ?? cli.method ?? 'sudo');
    if (method !== 'sudo' && method !== 'su') throw new UserError(`become method '${method}' is not supported (use sudo or su)`, task.pos);
    const user = userVar !== undefined ? String(userVar) : renderString(task.becomeUser ?? play.becomeUser ?? cli.user ?? 'root', scope, where);
    // as Ansible (become_allow_same_user = False): no escalation to the user already logged in
    if (!cli.allowSameUser && user === this.pc.access.loginUser(target, over)) return undefined;
    return { method, user, password: this.pc.access.becomePassword(target) };
  }

  /** Turn a finished task's result into an outcome: events, stats, register, notify, facts. */
  private account(original: Task, name: string, handler: boolean, result: ModuleResult, t0: number, rescuable: boolean): Outcome {
    const task = this.resolved.get(original) ?? original;
    const aggregate = task.loop !== undefined && !result.unreachable; // a loop's summary, after its items
    // a registered result is never templated again, as Ansible marks it unsafe
    if (task.register) this.state.registered[task.register] = markPlain(result);
    if (task.delegateFacts) this.delegateFacts(task, result);
    else if (result.ansible_facts && !result.failed) this.mergeFacts(task, result.ansible_facts);
    const status = statusOf(result);
    const ignored = status === 'failed' && task.ignoreErrors;
    this.emit(task, name, status, result, t0, { ignored, aggregate, handler });
    const st = this.state.stats;
    if (status === 'skipped') st.skipped++;
    else if (status === 'failed') {
      if (ignored) {
        // as Ansible counts an ignored failure: ok (and changed), and ignored; no handler notified
        st.ok++;
        if (result.changed) st.changed++;
        st.ignored++;
      } else {
        if (!rescuable) st.failed++;
        this.state.failed = true;
        this.lastFailure = { task, result };
        this.pc.hostFailed(false, task.anyErrorsFatal === true);
        return 'failed';
      }
    } else {
      st.ok++;
      if (status === 'changed') {
        st.changed++;
        for (const topic of task.notify) {
          // as ansible-core 2.14's strategy: the name is resolved now, among the handlers loaded
          // so far (a role's handlers are one copy per role use; include_role adds its own when it
          // runs): the last loaded with that name wins; every handler listening to it is notified
          const targets = notifyTargets(this.pc.handlers, topic);
          // static notifies are checked at load; this catches tasks from include_tasks
          if (!topic.includes('{{') && !targets.length) {
            return this.account(original, name, handler, { ...result, changed: false, failed: true, msg: missingHandler(topic) }, t0, rescuable);
          }
          if (!targets.length) this.state.notified.add(topic);
          for (const h of targets) this.state.notified.add(h);
        }
      }
    }
    if (result.meta) this.applyMeta(result.meta);
    return status === 'skipped' ? 'skipped' : 'ok';
  }

  private pendingFlush = false;

  /** the last failure of this host (what a rescue sees as ansible_failed_task/result) */
  private lastFailure: { task: Task; result: ModuleResult } | undefined;

  private applyMeta(meta: NonNullable<ModuleResult['meta']>): void {
    if (meta === 'end_host') this.state.ended = true;
    else if (meta === 'end_play') this.pc.aborted = true;
    else if (meta === 'clear_host_errors') this.state.failed = false;
    else if (meta === 'flush_handlers') this.pendingFlush = true;
  }

  /** delegate_facts: each (item's) facts go to the host it was delegated to, as in Ansible. */
  private delegateFacts(task: Task, result: ModuleResult): void {
    const results = task.loop !== undefined && Array.isArray(result.results) ? (result.results as ModuleResult[]) : [result];
    for (const r of results) {
      const to = this.delegatedTo.get(r) ?? this.host;
      if (!r.ansible_facts || r.failed) continue;
      let st = this.pc.shared.states.get(to);
      if (!st) this.pc.shared.states.set(to, (st = new HostStateClass(to)));
      if (task.module && /(^|\.)setup$/.test(task.module)) Object.assign(st.facts, r.ansible_facts);
      else Object.assign(st.registered, settled(task, r.ansible_facts));
    }
  }

  private mergeFacts(task: Task, facts: Record<string, unknown>): void {
    if (task.module && /(^|\.)setup$/.test(task.module)) Object.assign(this.state.facts, facts);
    else Object.assign(this.state.registered, settled(task, facts)); // set_fact: registered-vars precedence
  }

  private handleError(original: Task, name: string, e: unknown, t0: number, rescuable: boolean, handler = false): Outcome {
    const task = this.resolved.get(original) ?? original;
    if (e instanceof UnreachableError) {
      const result: ModuleResult = { changed: false, unreachable: true, msg: e.message };
      this.emit(task, name, 'unreachable', result, t0, { handler });
      if (!task.ignoreUnreachable) {
        this.state.unreachable = true;
        this.state.stats.unreachable++;
        this.pc.hostFailed(true, task.anyErrorsFatal === true);
        return 'unreachable';
      }
      // as Ansible counts an ignored unreachable host: ok and ignored
      this.state.stats.ok++;
      this.state.stats.ignored++;
      return 'skipped';
    }
    const msg = e instanceof UserError ? e.message : `internal error: ${(e as Error)?.stack ?? String(e)}`;
    // as ansible-core's TaskExecutor.run for an error (a template, a bad argument): no `changed`
    return this.account(original, name, handler, { failed: true, msg } as ModuleResult, t0, rescuable);
  }

  private emit(task: Task, name: string, status: HostStatus, result: ModuleResult, t0: number, o: { ignored?: boolean; aggregate?: boolean; handler?: boolean }): void {
    this.pc.sink({
      type: 'host_result', play: this.pc.play.name, task: name, module: task.module, host: this.host, status,
      ignored: o.ignored || undefined, delegatedTo: this.delegatedTo.get(result), durationMs: Date.now() - t0,
      result: task.noLog ? censored(result) : result, handler: o.handler ?? false, aggregate: o.aggregate || undefined, ...taskPlace(task),
    });
  }

  /** Run notified handlers once each, in definition order (also on meta: flush_handlers). */
  /** `at`: where in the play the flush happens (the end of a section, or after a meta task). */
  async flushHandlers(at: readonly number[]): Promise<void> {
    if (this.state.notified.size === 0 || this.state.unreachable) return;
    const handlers = this.pc.handlers;
    for (const topic of [...this.state.notified]) {
      if (typeof topic !== 'string') continue;
      this.state.notified.delete(topic);
      this.pc.sink({ type: 'warning', host: this.host, msg: `a task notified '${topic}', but no handler has that name or listens to it` });
    }
    // each notified handler runs once, in load order; one notified by a handler during this
    // flush joins in when it comes later in the list
    for (const h of handlers) {
      if (this.stopped) break;
      if (!this.state.notified.delete(h)) continue;
      if (h.tags.length && !shouldRunByTags(h.tags, this.pc.flags.tags, this.pc.flags.skipTags)) continue;
      await this.pc.turn([...at, handlers.indexOf(h)], this.host);
      if (this.stopped) break;
      if (!(await this.pc.stepAllows(h, `HANDLER: ${stepName(h)}`, this.host))) continue;
      if (this.stopped) break;
      await this.throttled(h, undefined, () => this.pc.limited(async () => (this.interrupted ? 'interrupted' : this.runTask(h, true, false))));
    }
  }

}

/** Ansible's Task.get_name(): `role : name`, the name, or the action of an unnamed task. */
export function stepName(task: Task): string {
  const name = task.name ?? (task.kind === 'include' ? 'include_tasks' : (task.module ?? ''));
  return task.role ? `${task.role.name} : ${name}` : name;
}

/** The items of a task's `loop` (rendered), or of its `with_<lookup>` (the lookup run on the rendered terms). */
function loopItems(task: Task, scope: Record<string, unknown>, where: Where): unknown {
  if (!task.loopWith) return renderValue(task.loop, scope, where);
  // as Ansible's listify_lookup_plugin_terms: the terms are templated, a non-list is one term
  const raw = renderValue(typeof task.loop === 'string' ? task.loop.trim() : task.loop, scope, where);
  return lookupItems(task.loopWith, Array.isArray(raw) ? raw : [raw], scope, where);
}

class AsyncTimeout extends Error {}

/**
 * The task keyword `timeout: N`: one attempt of the module, given N seconds. At the deadline
 * every command it runs is killed (with its process group, locally or on the host) and no new
 * one starts; the attempt's result is then undefined (timed out). It waits for the module to
 * give up (its commands are gone), so nothing it started outlives the task.
 */
async function runTimed(seconds: number, ctx: ModuleContext, run: (ctx: ModuleContext) => Promise<ModuleResult>): Promise<ModuleResult | undefined> {
  const deadline = Date.now() + seconds * 1000;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), Math.max(0, deadline - Date.now()))));
  const job = run({ ...ctx, conn: boundedConnection(ctx.conn, deadline) }).then(
    (r) => (Date.now() >= deadline ? undefined : r),
    (e) => {
      if (e instanceof AsyncTimeout || Date.now() >= deadline) return undefined;
      throw e;
    },
  );
  try {
    const first = await Promise.race([job, late]);
    if (first !== 'late') return first;
    // its commands are being killed at the same deadline: let the module settle (one that waits
    // on no command, such as pause, is left to end on its own)
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([job.catch(() => undefined), new Promise((r) => (grace = setTimeout(r, 10_000)))]);
    clearTimeout(grace);
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `conn` with a deadline: each command is killed at it (by the transport, with its process
 * group), and nothing new starts after it (AsyncTimeout).
 */
function boundedConnection(conn: Connection, deadline: number): Connection {
  return {
    host: conn.host,
    transport: conn.transport,
    connect: () => conn.connect(),
    close: () => conn.close(),
    exec: (command: string, opts?: ExecOptions) => {
      const left = deadline - Date.now();
      if (left <= 0) return Promise.reject(new AsyncTimeout());
      return conn.exec(command, { ...opts, timeoutMs: Math.min(opts?.timeoutMs ?? Infinity, left) });
    },
    put: (content, remotePath, opts) => (Date.now() >= deadline ? Promise.reject(new AsyncTimeout()) : conn.put(content, remotePath, opts)),
    get: (remotePath, opts) => (Date.now() >= deadline ? Promise.reject(new AsyncTimeout()) : conn.get(remotePath, opts)),
    ...(conn.interrupt ? { interrupt: (reason: string) => conn.interrupt!(reason) } : {}),
    ...(conn.reset ? { reset: () => conn.reset!() } : {}), // reboot / wait_for_connection under a deadline
  };
}

/** Ansible's result for an async job past its time (its async_wrapper's words). */
function timedOut(): ModuleResult {
  return { changed: false, failed: true, msg: 'Timeout exceeded' };
}

/** The role and file:line of a task, for the events (JUnit classnames, -vv task paths, profile by role). */
function taskPlace(task: Task): { role?: string; path?: string } {
  return { role: task.role?.name, path: task.pos?.file ? `${task.pos.file}:${task.pos.line}` : undefined };
}

/** Ansible's boolean(): yes/no, on/off, true/false, y/n, t/f, 1/0 (any case) and booleans. */
export function ansibleBool(v: unknown, name: string, task: Task): boolean {
  if (typeof v === 'boolean') return v;
  const s = String(v).trim().toLowerCase();
  if (['y', 'yes', 'on', '1', 'true', 't', '1.0'].includes(s)) return true;
  if (['n', 'no', 'off', '0', 'false', 'f', '0.0', ''].includes(s)) return false;
  throw new UserError(`${name} must be a boolean, got ${JSON.stringify(v)}`, task.pos);
}

/** A task (or loop item) skipped by its `when`, as ansible-core 2.14 reports it. */
function skippedByWhen(): ModuleResult {
  return { changed: false, skipped: true, skip_reason: 'Conditional result was False' };
}

/**
 * As ansible-core's task executor after the module ran: `failed` is always there (true when it
 * was missing and `rc` is not 0), and so is `changed` (false when missing).
 */
function withStatusKeys(r: ModuleResult): ModuleResult {
  if (r.failed === undefined) r.failed = typeof r.rc === 'number' ? r.rc !== 0 : r.rc === undefined || r.rc === null ? false : String(r.rc) !== '0';
  if (r.changed === undefined) r.changed = false;
  return r;
}

/**
 * A loop's result from its items', as ansible-core 2.14's TaskExecutor.run: `changed` if any item
 * changed, `skipped` if every item was skipped, `failed` only when an item failed.
 */
function loopAggregate(results: ModuleResult[]): ModuleResult {
  const failed = results.some((r) => r.failed);
  const skipped = results.every((r) => r.skipped);
  const agg: ModuleResult = { results, skipped, changed: results.some((r) => r.changed) };
  if (failed) agg.failed = true;
  agg.msg = skipped ? 'All items skipped' : failed ? 'One or more items failed' : 'All items completed';
  return agg;
}

/**
 * The variables one loop item adds, as ansible-core 2.14: `vars` for the task itself (the loop
 * and index variables, `ansible_loop_var`, `ansible_index_var`, and `ansible_loop` with
 * `loop_control.extended`), `result` the keys its result gets, `include` what an included file's
 * tasks see (the loop and index variables and `ansible_loop`, not the `ansible_*_var` names).
 */
export function loopSpecials(task: Task, items: unknown[], i: number, scope: Record<string, unknown>, where: Where): { vars: Record<string, unknown>; result: Record<string, unknown>; include: Record<string, unknown> } {
  const lc = task.loopControl ?? {};
  const loopVar = lc.loopVar ?? 'item';
  const include: Record<string, unknown> = { [loopVar]: items[i] };
  const result: Record<string, unknown> = { [loopVar]: items[i], ansible_loop_var: loopVar };
  if (lc.indexVar) {
    include[lc.indexVar] = i;
    Object.assign(result, { [lc.indexVar]: i, ansible_index_var: lc.indexVar });
  }
  if (lc.extended !== undefined && loopFlag(lc.extended, scope, where, 'extended')) {
    const n = items.length;
    const loop: Record<string, unknown> = { index: i + 1, index0: i, first: i === 0, last: i + 1 === n, length: n, revindex: n - i, revindex0: n - i - 1 };
    if (lc.extendedAllitems === undefined || loopFlag(lc.extendedAllitems, scope, where, 'extended_allitems')) loop.allitems = items;
    if (i + 1 < n) loop.nextitem = items[i + 1];
    if (i > 0) loop.previtem = items[i - 1];
    include.ansible_loop = result.ansible_loop = loop;
  }
  const vars = { ...result };
  return { vars, result, include };
}

/** A loop_control flag (it may be a template), with Ansible's boolean(). */
function loopFlag(v: boolean | string, scope: Record<string, unknown>, where: Where, name: string): boolean {
  const x = typeof v === 'string' ? renderValue(v, scope, where) : v;
  if (typeof x === 'boolean') return x;
  const t = String(x).trim().toLowerCase();
  if (['yes', 'on', '1', 'true', 't', 'y', '1.0'].includes(t)) return true;
  if (['no', 'off', '0', 'false', 'f', 'n', '0.0', ''].includes(t)) return false;
  throw new UserError(`loop_control ${name} of task '${where.task}' must be a boolean, got ${JSON.stringify(x)}`);
}

/** loop_control's `pause` in milliseconds (it may be a template). */
function loopPauseMs(task: Task, scope: Record<string, unknown>, where: Where): number {
  const p = task.loopControl?.pause;
  if (p === undefined) return 0;
  const x = typeof p === 'string' ? renderValue(p, scope, where) : p;
  const n = typeof x === 'number' ? x : Number(String(x).trim());
  if (!Number.isFinite(n) || n < 0) throw new UserError(`loop_control pause of task '${where.task}' must be a number of seconds, got ${JSON.stringify(x)}`);
  return n * 1000;
}

function statusOf(r: ModuleResult): HostStatus {
  if (r.unreachable) return 'unreachable';
  if (r.failed) return 'failed';
  if (r.skipped) return 'skipped';
  return r.changed ? 'changed' : 'ok';
}

/**
 * The handlers a notify of `topic` reaches, as ansible-core 2.14's strategy resolves it: by name
 * (`name` or `role : name`), the last loaded handler that has it; and every handler listening to it.
 */
export function notifyTargets(handlers: readonly Task[], topic: string): Task[] {
  const out: Task[] = [];
  for (let i = handlers.length - 1; i >= 0; i--) {
    const h = handlers[i]!;
    if (h.name !== undefined && (h.name === topic || (h.role !== undefined && `${h.role.name} : ${h.name}` === topic))) {
      out.push(h);
      break;
    }
  }
  for (const h of handlers) if (h.listen.includes(topic) && !out.includes(h)) out.push(h);
  return out;
}

/** ansible-playbook's words for a notify without a handler. */
export function missingHandler(topic: string): string {
  return `The requested handler '${topic}' was not found in either the main handlers list nor in the listening handlers list`;
}

/** The path (`a.b[2]`) of the first string holding a NUL character, if any. */
function nulPath(v: unknown, at = ''): string | undefined {
  if (typeof v === 'string') return v.includes('\0') ? at || '(value)' : undefined;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = nulPath(v[i], `${at}[${i}]`);
      if (p) return p;
    }
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const p = nulPath(x, at ? `${at}.${k}` : k);
      if (p) return p;
    }
  }
  return undefined;
}

/**
 * set_fact's values were rendered when the task ran: text in them that looks like a template came
 * from an `!unsafe` value (or a template that printed one) and is not templated again, as Ansible
 * keeps an unsafe value unsafe. (include_vars' facts are raw variables: templated when used.)
 */
function settled(task: Task, facts: Record<string, unknown>): Record<string, unknown> {
  if (task.module !== 'set_fact') return facts;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return unsafeText(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(facts) as Record<string, unknown>;
}

/** Ansible's text for a no_log result. */
export const CENSORED = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

function censored(r: ModuleResult): ModuleResult {
  return { changed: r.changed, failed: r.failed, skipped: r.skipped, censored: CENSORED };
}

/** A view of `scope` with `top` layered over it (lazy scopes stay lazy). */
function overlay(scope: Record<string, unknown>, top: Record<string, unknown>): Record<string, unknown> {
  const own = (k: string | symbol) => typeof k === 'string' && Object.prototype.hasOwnProperty.call(top, k);
  return new Proxy(scope, {
    get: (t, k) => (own(k) ? top[k as string] : Reflect.get(t, k)),
    has: (t, k) => own(k) || Reflect.has(t, k),
    ownKeys: (t) => [...new Set([...Reflect.ownKeys(t), ...Object.keys(top)])],
    getOwnPropertyDescriptor: (t, k) =>
      own(k) ? { configurable: true, enumerable: true, value: top[k as string] } : Reflect.getOwnPropertyDescriptor(t, k),
  });
}

/** Module arguments without `omit` placeholders, in nested dicts (also inside lists), as Ansible's remove_omit; copies only what changes. */
function withoutOmit(value: unknown, omit: string): unknown {
  if (Array.isArray(value)) {
    let changed = false;
    const out: unknown[] = [];
    // as Ansible: a list keeps its items (an omit string stays), dicts inside it are cleaned
    for (const x of value) {
      const y = withoutOmit(x, omit);
      if (y !== x) changed = true;
      out.push(y);
    }
    return changed ? out : value;
  }
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(value)) {
      if (x === omit) {
        changed = true;
        continue;
      }
      const y = withoutOmit(x, omit);
      if (y !== x) changed = true;
      out[k] = y;
    }
    return changed ? out : value;
  }
  return value;
}
