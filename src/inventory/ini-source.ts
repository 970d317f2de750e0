/** Ansible INI inventory format (`[group]`, `[group:vars]`, `[group:children]`, inline host vars). */
import { UserError } from '../errors.js';
import { InventoryData, ModelError } from './model.js';
import { parsePythonValue, shlexSplit, ShlexError } from './pyliteral.js';
import { expandHostPattern, RangeError_ } from './ranges.js';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const GROUPNAME = /^([^:\]\s]+)\s*(?:#.*)?$/;

interface Pending {
  line: number;
  col: number;
  state: 'vars' | 'children';
  name: string;
  parents: string[];
}

export function parseIni(inv: InventoryData, file: string, text: string): void {
  const lines = text.split(/\r\n|\n|\r/);
  const pending = new Map<string, Pending>();
  let groupname = 'ungrouped';
  let state = 'hosts';
  let lineno = 0;
  let lineStartCol = 1;
  const fail = (message: string, col = lineStartCol, line = lineno): never => {
    throw new UserError(message, { file, line, col });
  };
  const guard = <T>(fn: () => T, col?: number): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof ModelError || e instanceof RangeError_) return fail(e.message, col);
      throw e;
    }
  };
  const addPendingChildren = (group: string): void => {
    const p = pending.get(group)!;
    for (const parent of p.parents) {
      guard(() => inv.addChild(parent, group));
      const pp = pending.get(parent);
      if (pp && pp.state === 'children') addPendingChildren(parent);
    }
    pending.delete(group);
  };

  for (const raw of lines) {
    lineno++;
    const line = raw.trim();
    lineStartCol = raw.length - raw.trimStart().length + 1;
    if (!line || line[0] === ';' || line[0] === '#') continue;
    const m = SECTION.exec(line);
    if (m) {
      groupname = m[1];
      state = m[2] ?? 'hosts';
      if (!['hosts', 'children', 'vars'].includes(state)) fail(`Section [${m[1]}:${state}] has unknown type: ${state}`);
      if (!inv.groups.has(groupname)) {
        if (state === 'vars' && !pending.has(groupname)) {
          pending.set(groupname, { line: lineno, col: lineStartCol, state: 'vars', name: groupname, parents: [] });
        }
        inv.addGroup(groupname);
      }
      const p = pending.get(groupname);
      if (p && state !== 'vars') {
        if (p.state === 'children') addPendingChildren(groupname);
        else pending.delete(groupname);
      }
      continue;
    } else if (line.startsWith('[') && line.endsWith(']')) {
      fail(
        `Invalid section entry: '${line}'. Please make sure that there are no spaces in the section entry, ` +
          'and that there are no other invalid characters',
      );
    }
    if (state === 'hosts') {
      let tokens;
      try {
        tokens = shlexSplit(line);
      } catch (e) {
        if (e instanceof ShlexError) fail(`Error parsing host definition '${line}': ${e.message}`, lineStartCol + e.offset);
        throw e;
      }
      if (tokens.length === 0) continue;
      const first = tokens[0];
      const hostCol = lineStartCol + first.offset;
      const { hostnames, port } = guard(() => expandHostPattern(first.value), hostCol);
      if (first.value.trim().endsWith(':') && port === undefined) {
        fail(`Invalid host pattern '${first.value}' supplied, ending in ':' is not allowed, this character is reserved to provide a port.`, hostCol);
      }
      if (hostnames.some((h) => h.trim() === '---')) {
        fail(`Invalid host pattern '${first.value}' supplied, '---' is normally a sign this is a YAML file.`, hostCol);
      }
      const variables: [string, unknown][] = [];
      for (const t of tokens.slice(1)) {
        const eq = t.value.indexOf('=');
        if (eq < 0) fail(`Expected key=value host variable assignment, got: ${t.value}`, lineStartCol + t.offset);
        variables.push([t.value.slice(0, eq), parsePythonValue(t.value.slice(eq + 1))]);
      }
      for (const h of hostnames) {
        guard(() => inv.addHost(h, groupname, port), hostCol);
        for (const [k, v] of variables) inv.setVariable(h, k, v);
      }
    } else if (state === 'vars') {
      const eq = line.indexOf('=');
      if (eq < 0) fail(`Expected key=value, got: ${line}`);
      const k = line.slice(0, eq).trim();
      const v = line.slice(eq + 1).trim();
      guard(() => inv.setVariable(groupname, k, parsePythonValue(v)));
    } else {
      const gm = GROUPNAME.exec(line);
      if (!gm) fail(`Expected group name, got: ${line}`);
      const child = gm![1];
      if (!inv.groups.has(child)) {
        const p = pending.get(child);
        if (!p) pending.set(child, { line: lineno, col: lineStartCol, state: 'children', name: child, parents: [groupname] });
        else p.parents.push(groupname);
      } else guard(() => inv.addChild(groupname, child));
    }
  }
  for (const decl of pending.values()) {
    if (decl.state === 'vars') {
      fail(`Section [${decl.name}:vars] not valid for undefined group: ${decl.name}`, decl.col, decl.line);
    } else {
      fail(`Section [${decl.parents[decl.parents.length - 1]}:children] includes undefined group: ${decl.name}`, decl.col, decl.line);
    }
  }
}
