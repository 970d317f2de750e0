import pLimit from 'p-limit';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { userInfo } from 'node:os';
import type { Inventory } from '../inventory/index.js';
import { selectHosts } from '../inventory/index.js';
import type { Play, Playbook } from '../playbook/types.js';
import { serialBatches } from '../playbook/serial.js';
import type { Connection } from '../connection/types.js';
import type { ConnectionSpec } from '../connection/types.js';
import { ConnectionPool } from '../connection/factory.js';
import type { ConnectionDefaults } from '../connection/spec.js';
import type { SshOptions } from '../connection/ssh.js';
import { getModule } from '../modules/registry.js';
import { renderString } from '../template/render.js';
import '../modules/index.js';
import { EXIT, exitForSignal } from '../errors.js';
import type { EventSink, HostStats } from './events.js';
import { HostState } from './host-state.js';
import { hostvarsOf, newOmit, type RunShared } from './context.js';
import { PlayContext, type HostAccess, type RunFlags } from './play-context.js';
import { HostRun } from './host-run.js';
import { promptedVars, resolvePlayKeywords } from './play-keywords.js';
import { describeConnection } from './trace.js';
import { firstContacts, gathersFirst, hostsOfPlay, openWarm, overOf, specFromVars, withConfigDefaults, type Over, type Preconnected, type WarmConnection } from './ahead.js';
import { startAtTask } from './start-at.js';

export interface RunOptions extends RunFlags {
  playbook: Playbook;
  inventory: Inventory;
  extraVars: Record<string, unknown>;
  limit?: string;
  forks: number;
  hostKeyChecking: ConnectionSpec['hostKeyChecking'];
  knownHostsFile?: string;
  connectTimeoutMs: number;
  /** where to write failed/unreachable hosts; false: don't */
  retryFile: string | false;
  /**
   * Aborting it interrupts the run (its reason: the signal's name, 'SIGINT' or 'SIGTERM'): no new
   * task starts, running steps are killed (remote ones by process group, so their locks are freed),
   * the recap names the hosts that did not finish, they go to the retry file, and the exit code is
   * 130 / 143.
   */
  signal?: AbortSignal;
  /** configuration `gathering` (implicit, explicit, smart) and `any_errors_fatal`: for plays that set neither */
  gathering?: string;
  anyErrorsFatal?: boolean;
  /** CLI -c, -u, --private-key: below play keywords and host variables */
  connectionDefaults?: ConnectionDefaults;
  /** play 1's connections, opened while the playbook loaded (src/runner/ahead.ts): this run uses and closes them */
  preconnected?: Preconnected;
  /** [ssh_connection] ssh_args and control_path_dir (ansible.cfg / ANSIBLE_*): below host variables */
  sshArgs?: string;
  controlPathDir?: string;
  /** SSH transport options (the CLI's: its connection broker, for ControlPersist) */
  ssh?: SshOptions;
  /**
   * Return once the recap is out, without waiting for the hosts to acknowledge the connections'
   * close (the CLI, which exits then). Default: every connection is closed when the run returns.
   */
  detachClose?: boolean;
}

export interface RunSummary {
  stats: Record<string, HostStats>;
  remoteCommands: Record<string, number>;
  exitCode: number;
  retryFile?: string;
  /** with startAtTask: whether a play had the task (the run started there) */
  startAtTaskFound?: boolean;
}

/** Run a playbook: plays in order, hosts of a batch in parallel (bounded by forks). */
export async function runPlaybook(opts: RunOptions, sink: EventSink): Promise<RunSummary> {
  const started = Date.now();
  let interrupted!: () => void;
  const shared: RunShared = {
    inventory: opts.inventory,
    extraVars: opts.extraVars,
    states: new Map(),
    playbookDir: opts.playbook.baseDir,
    check: opts.check,
    verbosity: opts.verbosity,
    omit: newOmit(),
    interruption: new Promise<void>((resolve) => (interrupted = resolve)),
  };
  const stateOf = (h: string) => {
    let s = shared.states.get(h);
    if (!s) shared.states.set(h, (s = new HostState(h)));
    return s;
  };
  const pool = opts.preconnected?.pool ?? new ConnectionPool(opts.ssh ?? {});
  const specs = new Map<string, ConnectionSpec>();
  // the running play's connection keywords over the CLI's; host variables override both
  let defaults: ConnectionDefaults = { ...opts.connectionDefaults };
  /** a host's connection for the running play (plays with other connection keywords get their own) */
  const withOver = (over?: Over): ConnectionDefaults => (over ? { ...defaults, ...over } : defaults);
  const keyOf = (host: string, over?: Over) => `${host}\0${JSON.stringify(withOver(over))}`;
  const specOf = (host: string, over?: Over): ConnectionSpec => {
    const key = keyOf(host, over);
    let spec = specs.get(key);
    if (!spec) {
      const vars = opts.inventory.hosts.has(host) ? hostvarsOf(shared, host) : { ansible_connection: 'local' };
      spec = specFromVars(host, vars, opts, withOver(over));
      specs.set(key, spec);
    }
    return spec;
  };
  const memo = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    let p = memo.get(key) as Promise<T> | undefined;
    if (!p) memo.set(key, (p = fn()));
    return p;
  };
  const remoteCommands: Record<string, number> = {};
  /** each connection key's connection, opened or opening (a failed open stays failed, as in the pool) */
  const opened = new Map<string, Promise<Connection>>();
  const described = new Set<string>();
  /** connections opened ahead of use, by the key their first use will have */
  const warm = new Map<string, WarmConnection>();
  for (const w of opts.preconnected?.warm ?? []) warm.set(keyOf(w.host, w.over), w);
  const access: HostAccess = {
    connection: async (host, over) => {
      const key = keyOf(host, over);
      let c = opened.get(key);
      if (!c) {
        const spec = specOf(host, over);
        if (opts.verbosity >= 3 && !described.has(key)) {
          described.add(key);
          sink({ type: 'verbose', host, level: 3, msg: describeConnection(spec) });
        }
        const w = warm.get(key);
        if (w) {
          warm.delete(key);
          // still opening, or open, with the spec the host has now: it is this host's connection
          if (!w.failed && w.spec === JSON.stringify(spec)) pool.adopt(key, w.ready);
          else if (!w.failed) void pool.discard(w.conn);
        }
        opened.set(key, (c = pool.get(key, spec).then((conn) => countingConnection(conn, remoteCommands))));
      }
      return c;
    },
    becomePassword: (host) => specOf(host).becomePassword,
    loginUser: (host, over) => {
      if (specOf(host, over).connection === 'local') {
        // Python's getpass.getuser(), as Ansible's local connection
        const e = process.env;
        return e.LOGNAME || e.USER || e.LNAME || e.USERNAME || userInfo().username;
      }
      const vars = opts.inventory.hosts.has(host) ? hostvarsOf(shared, host) : {};
      const v = vars.ansible_ssh_user ?? vars.ansible_user;
      return v !== undefined && v !== null ? String(v) : withOver(over).user;
    },
    once,
    facts: (host) =>
      once(`facts:${host}`, async () => {
        const setup = getModule('setup')!;
        const conn = await access.connection(host);
        const r = await setup.run({}, {
          host, conn, facts: {}, check: false, diff: false, env: {}, vars: {}, groups: {},
          render: (t) => t, renderFile: (t) => t, evaluate: () => undefined, findFile: (_k, n) => n, log: () => {},
          hostvars: (h) => hostvarsOf(shared, h), connectionTo: access.connection, factsOf: access.facts, once, playbookDir: shared.playbookDir,
        });
        if (r.failed) throw new Error(`gathering facts failed: ${r.msg ?? ''}`);
        Object.assign(stateOf(host).facts, r.ansible_facts ?? {});
        return stateOf(host).facts;
      }),
  };

  /** The hosts a play contacts first (failed or unreachable ones are not used again). */
  const firstUsable = (play: Play, hosts: string[]): string[] =>
    firstContacts(
      play,
      hosts.filter((h) => {
        const st = shared.states.get(h);
        return !st || st.active || st.ended;
      }),
      opts.forks,
    );
  let closing = false;
  /**
   * Open ahead of their first use the SSH connections `hosts` will have under a play's keywords
   * `over`, and give the readiness of each (a connection already open or opening included). Nothing
   * is reported from here: a host that cannot be reached is reported by its first use, which
   * adopts the attempt while it is pending and opens anew once it failed.
   */
  const warmHosts = (hosts: string[], over: Over): Promise<unknown>[] => {
    const ready: Promise<unknown>[] = [];
    if (closing || shared.interrupted) return ready;
    const base = defaults;
    defaults = { ...opts.connectionDefaults };
    try {
      for (const host of hosts) {
        const key = keyOf(host, over);
        const w = opened.get(key) ?? warm.get(key)?.ready;
        if (w) {
          ready.push(w); // in use, or opened ahead already
          continue;
        }
        if (!opts.inventory.hosts.has(host)) continue;
        const spec = specFromVars(host, hostvarsOf(shared, host), opts, withOver(over));
        if (spec.connection !== 'ssh') continue;
        const entry = openWarm(pool, host, over, spec);
        warm.set(key, entry);
        ready.push(entry.ready);
      }
    } finally {
      defaults = base;
    }
    return ready;
  };
  /** The next play's first hosts connect while this play runs (a connection has no side effect; its first use checks that it still fits). */
  const warmNext = (rawPlay: Play | undefined) => {
    if (!rawPlay || closing || shared.interrupted) return;
    try {
      const play = withConfigDefaults(resolvePlayKeywords(rawPlay, opts.extraVars), opts);
      warmHosts(firstUsable(play, hostsOfPlay(play, opts.inventory, opts.extraVars, opts.playbook.baseDir, limited)), overOf(play));
    } catch {
      /* the play reports its own problems when it starts */
    }
  };
  /**
   * Connections opened ahead of use: none in check mode or with --step (the run may touch no
   * host). A play that gathers facts opens its first hosts' at once (gathering contacts them before
   * anything else); the next play's open once this play's first connections are up, so that they
   * do not slow down the ones this play waits for (all of them compete for the same CPUs).
   */
  const ahead = !opts.check && !opts.step;
  const openAhead = (play: Play, hosts: string[], skipped: PlayContext['skipped'], next: Play | undefined): void => {
    if (!ahead) return;
    let first: Promise<unknown>[] = [];
    try {
      const gathers = skipped !== 'all' && gathersFirst(play, opts.tags, opts.skipTags);
      const firsts = firstUsable(play, hosts);
      // (the play's keywords are `defaults` now: the keys its first uses will have take no `over`)
      first = gathers ? warmHosts(firsts, overOf(play)) : firsts.flatMap((h) => opened.get(keyOf(h)) ?? warm.get(keyOf(h))?.ready ?? []);
    } catch {
      /* the play reports its own problems when it runs */
    }
    void Promise.allSettled(first).then((r) => {
      // none of them could be reached: the run may well end here (as when a batch is all unreachable)
      if (r.length === 0 || r.some((x) => x.status === 'fulfilled')) warmNext(next);
    });
  };

  let stopping: Promise<void> = Promise.resolve();
  const onAbort = () => {
    if (shared.interrupted) return;
    const signal = String(opts.signal?.reason ?? 'SIGINT');
    shared.interrupted = signal;
    const running = [...shared.states.values()].filter((st) => st.active).map((st) => st.name);
    sink({ type: 'interrupt', signal, running });
    interrupted();
    const reason = `interrupted by ${signal}`;
    // every command runs on a connection of this run's pool (delegate_to localhost included;
    // controller-only modules run none)
    stopping = pool.interruptAll(reason);
  };

  // vars_prompt answers must be there before any host is contacted
  for (const p of opts.playbook.plays) promptedVars(p, opts.extraVars);
  sink({ type: 'playbook_start', file: opts.playbook.file, check: opts.check });
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const limited = opts.limit ? new Set(selectHosts(opts.inventory, opts.limit, { baseDir: process.cwd() })) : undefined;
  const limit = pLimit(Math.max(1, opts.forks));
  let runStopped = false;
  let nextPlay = 0; // the first play not started yet
  let playHosts: string[] = []; // the hosts of the play running (or last run)
  let batchAllFailed = false;
  let startedAt = false; // --start-at-task found its task (later plays run whole)
  try {
    for (const rawPlay of opts.playbook.plays) {
      if (shared.interrupted) break;
      nextPlay++;
      const play = withConfigDefaults(resolvePlayKeywords(rawPlay, opts.extraVars), opts);
      // like Ansible, `hosts:` may use extra vars (e.g. hosts: "{{ target }}")
      const pattern = play.hosts.includes('{{') ? renderString(play.hosts, opts.extraVars, { file: play.pos.file, line: play.pos.line, col: play.pos.col }) : play.hosts;
      let hosts = selectHosts(opts.inventory, pattern, { baseDir: opts.playbook.baseDir });
      if (limited) hosts = hosts.filter((h) => limited.has(h));
      sink({ type: 'play_start', play: play.name, hosts });
      if (hosts.length === 0) {
        sink({ type: 'warning', msg: `no hosts matched '${pattern}'${opts.limit ? ` with --limit '${opts.limit}'` : ''}: skipping play '${play.name}'` });
        continue;
      }
      hosts.forEach(stateOf);
      playHosts = hosts;
      defaults = {
        ...opts.connectionDefaults,
        ...(play.connection ? { connection: play.connection } : {}),
        ...(play.remoteUser !== undefined ? { user: play.remoteUser } : {}),
        ...(play.port !== undefined ? { port: play.port } : {}),
      };
      const alive = hosts.filter((h) => shared.states.get(h)!.active || shared.states.get(h)!.ended);
      for (const h of alive) shared.states.get(h)!.ended = false;
      const pc = new PlayContext(play, shared, opts, sink, access, alive);
      if (opts.startAtTask !== undefined && !startedAt) {
        pc.skipped = startAtTask(play, opts.startAtTask);
        startedAt = pc.skipped !== 'all';
      }
      openAhead(play, alive, pc.skipped, opts.playbook.plays[nextPlay]);
      for (const batch of serialBatches(alive, play.serial)) {
        if (pc.aborted || shared.interrupted) break;
        pc.newBatch(batch);
        if (play.serial.length) sink({ type: 'batch_start', play: play.name, hosts: batch });
        if (pc.synced) {
          // every host walks the play; the forks limit applies to each task's execution
          pc.forks = limit;
          await Promise.all(batch.map((h) => new HostRun(pc, h).run()));
        } else {
          await Promise.all(batch.map((h) => limit(() => new HostRun(pc, h).run())));
        }
        // as Ansible: when every host of a batch failed or became unreachable, the run ends here
        if (batch.every((h) => shared.states.get(h)!.failed || shared.states.get(h)!.unreachable)) batchAllFailed = true;
        if (batchAllFailed) break;
      }
      if (shared.interrupted) break;
      playHosts = []; // all of them finished this play
      sink({ type: 'play_end', play: play.name });
      if (batchAllFailed && !pc.fatal) {
        sink({ type: 'warning', msg: `every host of a batch of play '${play.name}' failed: no further hosts or plays run` });
        break;
      }
      if (pc.fatal) {
        sink({ type: 'warning', msg: `play '${play.name}' stopped all hosts (${play.anyErrorsFatal || play.maxFailPercentage === undefined ? 'any_errors_fatal' : `max_fail_percentage ${play.maxFailPercentage}`}): no further plays run` });
        runStopped = true;
        break;
      }
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await stopping;
    closing = true;
    const closed = pool.closeAll();
    if (opts.detachClose) closed.catch(() => undefined);
    else await closed;
  }

  // interrupted: every host that did not finish the playbook is named and goes to the retry file
  let interruption: { signal: string; hosts: string[]; running: Record<string, string> } | undefined;
  if (shared.interrupted) {
    // the hosts of the interrupted play that had not failed, and every host of the plays not started
    const unfinished = new Set(playHosts.filter((h) => !shared.states.get(h)!.failed && !shared.states.get(h)!.unreachable));
    for (const play of opts.playbook.plays.slice(nextPlay)) {
      try {
        const pattern = play.hosts.includes('{{') ? renderString(play.hosts, opts.extraVars, { file: play.pos.file, line: play.pos.line, col: play.pos.col }) : play.hosts;
        for (const h of selectHosts(opts.inventory, pattern, { baseDir: opts.playbook.baseDir })) if (!limited || limited.has(h)) unfinished.add(h);
      } catch {
        /* a pattern that cannot be resolved now would fail the next run anyway */
      }
    }
    const running: Record<string, string> = {};
    for (const st of shared.states.values()) if (st.interruptedIn !== undefined) running[st.name] = st.interruptedIn;
    interruption = { signal: shared.interrupted, hosts: [...unfinished], running };
  }

  const stats: Record<string, HostStats> = {};
  for (const name of [...shared.states.keys()].sort()) stats[name] = shared.states.get(name)!.stats;
  const failedHosts = [...shared.states.values()].filter((s) => s.failed || s.unreachable).map((s) => s.name);
  for (const h of interruption?.hosts ?? []) if (!failedHosts.includes(h)) failedHosts.push(h);
  let retryFile: string | undefined;
  if (failedHosts.length && opts.retryFile) {
    try {
      // as Ansible's playbook executor: the directory (retry_files_save_path) is made first
      await mkdir(dirname(opts.retryFile), { recursive: true });
      await writeFile(opts.retryFile, failedHosts.join('\n') + '\n');
      retryFile = opts.retryFile;
    } catch (e) {
      sink({ type: 'warning', msg: `could not write retry file ${opts.retryFile}: ${(e as Error).message}` });
    }
  }
  const anyFailed = [...shared.states.values()].some((s) => s.failed);
  const anyUnreachable = [...shared.states.values()].some((s) => s.unreachable);
  // Ansible's rule: a play broken by any_errors_fatal/max_fail_percentage gives 2; otherwise an
  // unreachable host anywhere in the run gives 4, before failed hosts (2)
  const exitCode = interruption
    ? exitForSignal(interruption.signal)
    : runStopped ? EXIT.hostFailed : anyUnreachable ? EXIT.hostUnreachable : anyFailed ? EXIT.hostFailed : EXIT.ok;
  sink({ type: 'recap', stats, durationMs: Date.now() - started, retryFile, remoteCommands, ...(interruption ? { interrupted: interruption } : {}) });
  return { stats, exitCode, retryFile, remoteCommands, ...(opts.startAtTask !== undefined ? { startAtTaskFound: startedAt } : {}) };
}

/** Count every remote round trip per host (the recap reports it: a no-op target should cost one). */
function countingConnection(conn: Connection, counts: Record<string, number>): Connection {
  const bump = () => (counts[conn.host] = (counts[conn.host] ?? 0) + 1);
  return {
    host: conn.host,
    transport: conn.transport,
    connect: () => conn.connect(),
    exec: (command, opts) => (bump(), conn.exec(command, opts)),
    put: (content, path, opts) => (bump(), conn.put(content, path, opts)),
    get: (path, opts) => (bump(), conn.get(path, opts)),
    close: () => conn.close(),
    reset: () => conn.reset?.() ?? Promise.resolve(),
  };
}
