/** Executable inventory: run `<file> --list`, read Ansible's dynamic-inventory JSON (`_meta.hostvars`, else `--host <h>`). */
import { execFile } from 'node:child_process';
import { UserError } from '../errors.js';
import { InventoryData, ModelError } from './model.js';

const TIMEOUT_MS = 60_000;
const MAX_BUFFER = 64 * 1024 * 1024;

function run(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string; spawnError?: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: TIMEOUT_MS, maxBuffer: MAX_BUFFER, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') {
        resolve({ code: -1, stdout, stderr, spawnError: err.message });
      } else {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr, spawnError: err?.killed ? `timed out after ${TIMEOUT_MS / 1000}s` : undefined });
      }
    });
  });
}

function isDict(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export async function parseScript(inv: InventoryData, file: string): Promise<void> {
  const res = await run(file, ['--list']);
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
      const r = await run(file, ['--host', host]);
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
