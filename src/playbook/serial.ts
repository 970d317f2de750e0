/**
 * Ansible's `serial` batching: `serial` is a list of batch sizes (numbers, or percentages of the
 * play's host count as strings like '30%'); the last size repeats until every host has a batch.
 * A percentage is rounded down but is at least 1 host; a size of 0 (or less) takes all the
 * remaining hosts. An empty list runs every host in one batch. No hosts: no batches.
 */
export function serialBatches(hosts: string[], serial: Array<number | string>): string[][] {
  const remaining = [...hosts];
  if (remaining.length === 0) return [];
  const sizes = serial.length === 0 ? [0] : serial;
  const total = hosts.length;
  const batches: string[][] = [];
  let i = 0;
  while (remaining.length > 0) {
    const size = batchSize(sizes[i]!, total);
    if (size <= 0) {
      batches.push(remaining.splice(0));
      break;
    }
    batches.push(remaining.splice(0, size));
    if (i < sizes.length - 1) i++;
  }
  return batches;
}

/** The number of hosts one `serial` entry stands for, out of `total` hosts in the play. */
export function batchSize(entry: number | string, total: number): number {
  if (typeof entry === 'string') {
    const s = entry.trim();
    if (s.endsWith('%')) {
      const pct = Number(s.slice(0, -1));
      if (!Number.isFinite(pct)) throw new Error(`invalid serial percentage '${entry}'`);
      return Math.floor((pct / 100) * total) || 1;
    }
    const n = Number(s);
    if (!Number.isFinite(n)) throw new Error(`invalid serial value '${entry}'`);
    return Math.trunc(n);
  }
  return Math.trunc(entry);
}

/** Validate one `serial` entry as written in a playbook; returns a problem description or undefined. */
export function serialEntryProblem(entry: unknown): string | undefined {
  if (typeof entry === 'number') return Number.isInteger(entry) && entry >= 0 ? undefined : `got ${entry}`;
  if (typeof entry === 'string') {
    if (/^\s*\d+\s*$/.test(entry)) return undefined;
    if (/^\s*\d+(\.\d+)?%\s*$/.test(entry)) return Number(entry.trim().slice(0, -1)) <= 100 ? undefined : `got '${entry}'`;
    return `got '${entry}'`;
  }
  if (Array.isArray(entry)) return 'got a list';
  if (entry === null) return 'got null';
  if (typeof entry === 'object') return 'got a mapping';
  return `got ${typeof entry} ${JSON.stringify(entry)}`;
}
