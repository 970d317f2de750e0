/**
 * Ansible's tag selection. `always` runs unless skipped by name; `never` runs only when asked for
 * by name; `tagged`/`untagged`/`all` are the special selectors.
 */
export function shouldRunByTags(taskTags: readonly string[], only: readonly string[], skip: readonly string[]): boolean {
  const tags = new Set(taskTags);
  const onlySet = new Set(only.length ? only : ['all']);
  if (skip.length) {
    if (skip.some((s) => tags.has(s))) return false;
    if (skip.includes('all') && !tags.has('always')) return false;
    if (skip.includes('tagged') && tags.size > 0 && !tags.has('always')) return false;
    if (skip.includes('untagged') && tags.size === 0) return false;
  }
  if (tags.has('always') && !onlySet.has('never')) return true;
  if (tags.has('never') && ![...onlySet].some((t) => tags.has(t) && t !== 'never')) return false;
  if (onlySet.has('all')) return true;
  if (onlySet.has('tagged') && tags.size > 0) return true;
  if (onlySet.has('untagged') && tags.size === 0) return true;
  return [...onlySet].some((t) => tags.has(t));
}
