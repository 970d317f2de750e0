/**
 * Python filter and test plugins, as Ansible loads them: every `*.py` file of a `filter_plugins/`
 * (`test_plugins/`) directory next to a playbook, in a role, or on the configured paths
 * (`filter_plugins` / `test_plugins` in ansible.cfg, ANSIBLE_FILTER_PLUGINS / ANSIBLE_TEST_PLUGINS),
 * whose `FilterModule().filters()` (`TestModule().tests()`) gives the names.
 *
 * They run in one long-lived python3 process per run (the bridge, python-plugins-bridge.ts), spoken
 * to in JSON lines. The template engine is synchronous, so the calls are too: a worker thread owns
 * the process and the main thread waits on a shared word (Atomics.wait) for each answer.
 *
 * Values cross as JSON: what goes in is the template's data (floats stay floats); what comes back
 * may be JSON data, tuples, sets (as lists) and bytes (UTF-8 text); any other Python object is an
 * error naming the filter and its file. A filter that takes the Jinja context (@pass_context) gets
 * a stand-in that asks for the template's variables one by one (hostvars and a host's variables
 * key by key) and runs `environment.call_filter` / `call_test` with wheelwright's filters and tests.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type { MessagePort, Worker } from 'node:worker_threads';
import { TemplateError, isUndefined } from './undefined.js';
import { FILTERS, type FilterCtx } from './jinja/filters.js';
import { TESTS, runTest } from './jinja/tests.js';
import { PyFloat, isDict, need, tuple } from './jinja/py.js';
import { BRIDGE_PY } from './python-plugins-bridge.js';

export type PluginKind = 'filter' | 'test';

interface Answer {
  ok: boolean;
  names?: string[];
  value?: unknown;
  error?: string;
  traceback?: string;
  /** The process is gone: no later call can work. */
  fatal?: boolean;
}

/** The worker: owns python3, relays one request at a time, wakes the main thread per answer. */
const WORKER_JS = `
const { workerData } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const { port, shared, python, code } = workerData;
const flag = new Int32Array(shared);
let child;
let buf = '';
let errTail = '';
let dead;
const answer = (a) => { port.postMessage(a); Atomics.store(flag, 0, 1); Atomics.notify(flag, 0); };
function start() {
  child = spawn(python, ['-c', code], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try { answer(JSON.parse(line)); } catch (e) { answer({ ok: false, fatal: true, error: 'bad answer from the python bridge: ' + line.slice(0, 200) }); }
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { errTail = (errTail + d).slice(-2000); });
  child.on('error', (e) => { dead = 'cannot start ' + python + ': ' + e.message; answer({ ok: false, fatal: true, error: dead }); });
  child.on('exit', (code, sig) => {
    if (dead) return;
    dead = python + ' (the plugin bridge) exited' + (sig ? ' on ' + sig : ' with code ' + code) + (errTail.trim() ? ': ' + errTail.trim().split('\\n').slice(-5).join('\\n') : '');
    answer({ ok: false, fatal: true, error: dead });
  });
  child.stdin.on('error', () => {});
}
port.on('message', (req) => {
  if (dead) return answer({ ok: false, fatal: true, error: dead });
  if (!child) start();
  child.stdin.write(JSON.stringify(req) + '\\n');
});
`;

const FLOAT = '__ww_float__';
const TUPLE = '__ww_tuple__';

/** Template data as the bridge's JSON: integral floats tagged, tuples as lists. */
function toWire(v: unknown): unknown {
  need(v);
  if (v instanceof PyFloat) return { [FLOAT]: v.v };
  if (typeof v === 'number' && !Number.isFinite(v)) throw new TemplateError(`${v} cannot be passed to a Python plugin (JSON has no such number)`);
  if (Array.isArray(v)) return v.map(toWire);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = toWire((v as Record<string, unknown>)[k]);
    return out;
  }
  return v === undefined ? null : v;
}

function fromWire(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromWire);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === FLOAT && typeof o[FLOAT] === 'number') return new PyFloat(o[FLOAT]);
    if (keys.length === 1 && keys[0] === TUPLE && Array.isArray(o[TUPLE])) return tuple((o[TUPLE] as unknown[]).map(fromWire));
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = fromWire(o[k]);
    return out;
  }
  return v;
}

/** The python interpreter for plugins: WHEELWRIGHT_PLUGIN_PYTHON, else Debian's (where ansible-core lives), else python3. */
function pythonFor(): string {
  const set = process.env.WHEELWRIGHT_PLUGIN_PYTHON;
  if (set) return set;
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

/** What a @pass_context plugin asks in the middle of a call. */
interface Question {
  op: 'get' | 'keys' | 'filter' | 'test';
  path?: unknown[];
  name?: string;
  value?: unknown;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
}

const REMOTE = '__ww_remote__';

/** Answers a plugin's questions from the template being rendered (its variables, its filters and tests). */
function answerer(ctx: FilterCtx | undefined): (q: Question) => unknown {
  return (q) => {
    if (q.op === 'filter' || q.op === 'test') {
      const name = String(q.name);
      const args = ((fromWire(q.args) as unknown[]) ?? []);
      const kw = (fromWire(q.kwargs) as Record<string, unknown>) ?? {};
      if (q.op === 'test') return { value: runTest(name, fromWire(q.value), args, kw) };
      if (!ctx) throw new TemplateError(`filter '${name}' cannot be called here`);
      return { value: toWire(ctx.filter(name, fromWire(q.value), args, kw)) };
    }
    if (!ctx?.variable) throw new TemplateError('the template variables are not available here');
    const path = q.path ?? [];
    let v = ctx.variable(String(path[0]));
    for (const k of path.slice(1)) {
      if (isUndefined(v)) break;
      v = ctx.getattr(v, k);
    }
    if (q.op === 'keys') return { value: isUndefined(v) || !isDict(v) ? [] : Object.keys(v) };
    if (isUndefined(v)) return { found: false };
    // hostvars and a host's variables stay here, read key by key; anything else crosses whole
    if (path[0] === 'hostvars' && path.length <= 2 && isDict(v)) return { found: true, value: { [REMOTE]: true } };
    return { found: true, value: toWire(v) };
  };
}

/** worker_threads, loaded with the first bridge: a run without Python plugins (most) does not pay for it at start-up */
let threads: typeof import('node:worker_threads') | undefined;

class Bridge {
  private worker: Worker;
  private port: MessagePort;
  private flag = new Int32Array(new SharedArrayBuffer(4));

  constructor() {
    threads ??= createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
    const { port1, port2 } = new threads.MessageChannel();
    this.port = port1;
    this.worker = new threads.Worker(WORKER_JS, {
      eval: true,
      workerData: { port: port2, shared: this.flag.buffer, python: pythonFor(), code: BRIDGE_PY },
      transferList: [port2],
      stdout: false,
      stderr: false,
    });
    // the run ends when wheelwright is done: the worker (and python3, on stdin's end) go with it
    this.worker.unref();
    this.port.unref();
  }

  /** One request; `questions` answers what the plugin asks meanwhile (a variable, a filter). */
  request(req: Record<string, unknown>, questions?: (q: Question) => unknown): Answer {
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage(req);
    for (;;) {
      Atomics.wait(this.flag, 0, 0);
      const m = threads!.receiveMessageOnPort(this.port);
      Atomics.store(this.flag, 0, 0);
      if (!m) continue;
      const msg = m.message as Answer & Partial<Question>;
      if (msg.op === undefined) return msg;
      let reply: Record<string, unknown>;
      try {
        if (!questions) throw new TemplateError('this plugin call cannot read variables');
        reply = { ok: true, ...(questions(msg as Question) as Record<string, unknown>) };
      } catch (e) {
        reply = { ok: false, error: (e as Error).message };
      }
      this.port.postMessage(reply);
    }
  }

  close(): void {
    void this.worker.terminate();
  }
}

let bridge: Bridge | undefined;
const loadedDirs = new Set<string>();
/** Names this module registered, to tell a plugin's name from a built-in one. */
const registered = new Map<string, string>();
const failures: { file: string; kind: PluginKind; error: string }[] = [];

function ask(req: Record<string, unknown>, ctx?: FilterCtx): Answer {
  bridge ??= new Bridge();
  return bridge.request(req, answerer(ctx));
}

function pluginError(kind: PluginKind, name: string, file: string, a: Answer): TemplateError {
  const tb = a.traceback ? `\n${a.traceback}` : '';
  return new TemplateError(`${kind} '${name}' (Python plugin ${file}) failed: ${a.error}${tb}`);
}

function register(kind: PluginKind, file: string, name: string): void {
  const table = kind === 'filter' ? FILTERS : TESTS;
  // a built-in name stays wheelwright's own (its semantics are the tested ones); a plugin's name replaces an earlier plugin's
  if (Object.hasOwn(table, name) && !registered.has(`${kind}\0${name}`)) return;
  registered.set(`${kind}\0${name}`, file);
  const call = (value: unknown, args: unknown[], kwargs: Record<string, unknown>, ctx?: FilterCtx): unknown => {
    const a = ask({ op: 'call', kind, file, name, value: toWire(value), args: args.map(toWire), kwargs: toWire(kwargs) }, ctx);
    if (!a.ok) throw pluginError(kind, name, file, a);
    return fromWire(a.value);
  };
  if (kind === 'filter') FILTERS[name] = { fn: (c, v, args, kw) => call(v, args, kw, c) };
  else TESTS[name] = { fn: (v, args, kw) => Boolean(call(v, args, kw)) };
}

/**
 * Loads the plugins of directories (each once per run), registering their names with the template
 * engine. A file that fails to import is remembered, and named when a template uses an unknown
 * filter or test (as Ansible, which reports it when the name is looked up).
 */
export function loadPluginDirs(kind: PluginKind, dirs: string[]): void {
  for (const d of dirs) {
    const dir = resolve(d);
    const key = `${kind}\0${dir}`;
    if (loadedDirs.has(key)) continue;
    loadedDirs.add(key);
    let files: string[];
    try {
      if (!statSync(dir).isDirectory()) continue;
      files = readdirSync(dir).filter((f) => f.endsWith('.py') && !f.startsWith('_')).sort();
    } catch {
      continue;
    }
    for (const f of files) {
      const file = join(dir, f);
      const a = ask({ op: 'load', kind, file });
      if (!a.ok) {
        failures.push({ file, kind, error: `${a.error}${a.traceback ? `\n${a.traceback}` : ''}` });
        continue;
      }
      for (const name of a.names ?? []) register(kind, file, name);
    }
  }
}

/** The `filter_plugins/` and `test_plugins/` of a playbook's or a role's directory. */
export function loadAdjacentPlugins(dir: string): void {
  if (existsSync(join(dir, 'filter_plugins'))) loadPluginDirs('filter', [join(dir, 'filter_plugins')]);
  if (existsSync(join(dir, 'test_plugins'))) loadPluginDirs('test', [join(dir, 'test_plugins')]);
}

/** For an unknown filter/test: the plugin files that could not be loaded, if any ('' when none). */
export function pluginLoadFailures(kind: PluginKind): string {
  const fs = failures.filter((f) => f.kind === kind);
  if (!fs.length) return '';
  const first = fs[0];
  const more = fs.length > 1 ? ` (and ${fs.length - 1} more: ${fs.slice(1).map((f) => basename(f.file)).join(', ')})` : '';
  return `; a ${kind} plugin file failed to load: ${first.file}: ${first.error.split('\n')[0]}${more}`;
}

/** Tests: forget every plugin and stop the bridge. */
export function resetPythonPlugins(): void {
  for (const [key] of registered) {
    const [kind, name] = key.split('\0');
    delete (kind === 'filter' ? FILTERS : TESTS)[name];
  }
  registered.clear();
  loadedDirs.clear();
  failures.length = 0;
  bridge?.close();
  bridge = undefined;
}

