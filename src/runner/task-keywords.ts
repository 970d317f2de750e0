/**
 * Task keywords written as templates (`ignore_errors: "{{ x }}"`, `retries: "{{ n }}"`,
 * `become: "{{ b }}"`...), rendered with the host's variables (and the loop item) when the task
 * runs, as Ansible post-validates its task fields; typed as Ansible's FieldAttributes are.
 */
import { UserError } from '../errors.js';
import { keyword } from '../playbook/keywords.js';
import type { Task } from '../playbook/types.js';
import { renderValue, type TemplateWhere } from '../template/render.js';

const TRUE = ['y', 'yes', 'on', '1', 'true', 't', '1.0'];
const FALSE = ['n', 'no', 'off', '0', 'false', 'f', '0.0', ''];

/** The task with its templated keywords rendered in `scope` (the task itself when it has none). */
export function resolveTaskKeywords(task: Task, scope: Record<string, unknown>, where: TemplateWhere, only?: readonly string[]): Task {
  const t = task.templated;
  if (!t) return task;
  const out: Task = { ...task };
  for (const [name, raw] of Object.entries(t)) {
    if (only && !only.includes(name)) continue;
    const v = renderValue(raw, scope, where);
    const bad = (expected: string) => new UserError(`'${name}' of task '${where.task ?? task.name ?? task.module}' must be ${expected}, its template gave ${JSON.stringify(v)}`, task.pos);
    if (name === 'become_method') {
      const m = String(v).trim();
      if (m !== 'sudo' && m !== 'su') throw new UserError(`become method '${m}' is not supported (use sudo or su)`, task.pos);
      out.becomeMethod = m;
      continue;
    }
    if (name === 'delay') {
      const n = typeof v === 'number' ? v : Number(String(v).trim());
      if (!Number.isFinite(n) || String(v).trim() === '') throw bad('a number of seconds');
      out.delay = n;
      continue;
    }
    const decl = keyword(name);
    if (!decl?.field) continue;
    let value: unknown;
    if (decl.type === 'bool') {
      if (typeof v === 'boolean') value = v;
      else {
        const s = String(v).trim().toLowerCase();
        if (TRUE.includes(s)) value = true;
        else if (FALSE.includes(s)) value = false;
        else throw bad('a boolean');
      }
    } else if (decl.type === 'int') {
      // Python's int(): a whole number or a string of one
      const n = typeof v === 'number' ? v : /^\s*[-+]?\d+\s*$/.test(String(v)) ? Number(v) : NaN;
      if (!Number.isInteger(n)) throw bad('an integer');
      value = n;
    } else value = v;
    (out as unknown as Record<string, unknown>)[decl.field] = value;
  }
  return out;
}
