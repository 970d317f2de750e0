import type { Play, Task } from '../playbook/types.js';
import { fnmatchToRegExp } from '../inventory/patterns.js';
import { stepName } from './host-run.js';

/**
 * --start-at-task, as Ansible's PlayIterator: walk the play's tasks in run order (pre_tasks, roles,
 * tasks, post_tasks; into blocks, their `always` after them, not `rescue`) until the first task
 * whose name, or `role : name`, equals the pattern or fnmatch-matches it. The tasks before it are
 * left out; fact gathering still runs. No match in the play: nothing of it runs ('all').
 * Tasks of a dynamic include are not walked (Ansible: "can only follow static includes").
 */
export function startAtTask(play: Play, pattern: string): Set<Task> | 'all' {
  const re = fnmatchToRegExp(pattern);
  const matches = (t: Task) => {
    const full = stepName(t);
    return t.name === pattern || (t.name !== undefined && re.test(t.name)) || full === pattern || re.test(full);
  };
  const before = new Set<Task>();
  const walk = (tasks: Task[]): boolean => {
    for (const t of tasks) {
      if (t.kind === 'block') {
        if (walk(t.block ?? []) || walk(t.always ?? [])) return true;
        continue;
      }
      if (matches(t)) return true;
      before.add(t);
    }
    return false;
  };
  return walk([...play.preTasks, ...play.roleTasks, ...play.tasks, ...play.postTasks]) ? before : 'all';
}
