/** Executable inventory: run `<file> --list`, read Ansible's dynamic-inventory JSON (`_meta.hostvars`, else `--host <h>`). */
import { spawn } from 'node:child_process';
import { UserError } from '../errors.js';
import { InventoryData, ModelError } from './model.js';

const TIMEOUT_MS = 60_000;
const MAX_BUFFER = 64 * 1024 * 1024;

export interface ScriptRunOptions {
  /** Kill the script (its whole process group) after this long. Default 60 s. */
  timeoutMs?: number;
  /** Kill the script (its whole process group) when this aborts; the reason is reported. */
  signal?: AbortSignal;
}

/**
 * Run the script as the leader of its own process group; on timeout, abort or overlong output the
 * whole group is killed, so nothing it started (a `sleep`, a curl, a helper) outlives it, and its
 * output pipes close (a child holding stdout would otherwise keep us waiting).
 */
function run(file: string, args: string[], opts: ScriptRunOptions = {}): Promise<{ code: number; stdout: string; stderr: string; spawnError?: string }> {
  const timeoutMs = opts.timeoutMs ?? TIMEOUT_MS;
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let stopped: string | undefined;
    const stop = (why: string) => {
      stopped ??= why;
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* the group is gone already */
      }
    };
    const collect = (into: Buffer[]) => (d: Buffer) => {
      size += d.length;
      if (size > MAX_BUFFER) stop(`its output exceeded ${MAX_BUFFER} bytes`);
      else into.push(d);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    const timer = setTimeout(() => stop(`timed out after ${timeoutMs / 1000}s`), timeoutMs);
    const onAbort = () => stop(String(opts.signal?.reason ?? 'aborted'));
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort);
    let spawnError: string | undefined;
    child.on('error', (e) => {
      spawnError = e.message;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (spawnError) resolve({ code: -1, stdout, stderr, spawnError });
      else resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, spawnError: stopped });
    });
  });
}

function isDict(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export async function parseScript(inv: InventoryData, file: string, opts: ScriptRunOptions = {}): Promise<void> {
  const res = await run(file, ['--list'], opts);
  if (res.spawnError) throw new UserError(`problem running ${file} --list (${res.spawnError})`);
  if (res.code !== 0) throw new UserError(`Inventory script (${file}) had an execution error: ${res.stderr.trim()}`);
  let data: unknown;
  try {
    data = JSON.parse(res.stdout);
  } catch (e) {
    throw new UserError(`failed to parse executable inventory script results from ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isDict(data)) throw new UserError(`failed to parse executable inventory script results from ${file}: needs to be a json dict`);

  const fail = (msg: string): never => {
    throw new UserError(`${file}: ${msg}`);
  };
  const seenHosts = new Set<string>();
  let meta: unknown = undefined;
  try {
    for (const [group0, gdata0] of Object.entries(data)) {
      if (group0 === '_meta') {
        if (isDict(gdata0) && 'hostvars' in gdata0) meta = gdata0.hostvars;
        continue;
      }
      const group = inv.addGroup(group0);
      let gdata: Record<string, unknown>;
      if (!isDict(gdata0)) gdata = { hosts: gdata0 };
      else if (!['hosts', 'vars', 'children'].some((k) => k in gdata0)) gdata = { hosts: [group], vars: gdata0 };
      else gdata = gdata0;
      if ('hosts' in gdata) {
        if (!Array.isArray(gdata.hosts)) fail(`You defined a group '${group}' with bad data for the host list: ${JSON.stringify(gdata)}`);
        for (const h of gdata.hosts as unknown[]) {
          if (typeof h !== 'string') fail(`Invalid host name supplied, expected a string but got ${JSON.stringify(h)}`);
          seenHosts.add(h as string);
          inv.addHost(h as string, group);
        }
      }
      if ('vars' in gdata) {
        if (!isDict(gdata.vars)) fail(`You defined a group '${group}' with bad data for variables: ${JSON.stringify(gdata)}`);
        for (const [k, v] of Object.entries(gdata.vars as Record<string, unknown>)) inv.setVariable(group, k, v);
      }
      if ('children' in gdata) {
        const kids = gdata.children;
        if (!Array.isArray(kids)) fail(`You defined a group '${group}' with bad data for children: ${JSON.stringify(kids)}`);
        for (const c of kids as unknown[]) {
          const child = inv.addGroup(String(c));
          inv.addChild(group, child);
        }
      }
    }
  } catch (e) {
    if (e instanceof ModelError) fail(e.message);
    throw e;
  }
  for (const host of seenHosts) {
    let got: unknown = {};
    if (meta === undefined) {
      const r = await run(file, ['--host', host], opts);
      if (r.spawnError) throw new UserError(`problem running ${file} --host ${host} (${r.spawnError})`);
      if (r.stdout.trim() !== '') {
        try {
          got = JSON.parse(r.stdout);
        } catch {
          throw new UserError(`could not parse post variable response: ${file} --host ${host}, ${r.stdout.trim()}`);
        }
      }
    } else {
      if (!isDict(meta)) fail(`Improperly formatted host information for ${host}: _meta.hostvars is not a dict`);
      got = (meta as Record<string, unknown>)[host] ?? {};
    }
    if (!isDict(got)) fail(`Invalid data from file, expected dictionary for host ${host}, got: ${JSON.stringify(got)}`);
    for (const [k, v] of Object.entries(got as Record<string, unknown>)) inv.setVariable(host, k, v);
  }
}
