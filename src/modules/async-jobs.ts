/**
 * Background jobs of `async:` tasks with `poll: 0`, per host, for `async_status` to check.
 *
 * A job is the module's run going on over the host's one connection (no async_wrapper, no status
 * file, no polling round trips): checking it is a look-up here. Jobs live as long as the run.
 */
import { randomInt } from 'node:crypto';
import type { ModuleResult } from './types.js';

interface Job {
  done?: ModuleResult;
}

const jobs = new Map<string, Map<string, Job>>();

/** Start tracking `run` on `host`; returns its job id (Ansible's form: j<12 digits>.<pid>). */
export function startJob(host: string, run: Promise<ModuleResult>): string {
  let jid: string;
  do jid = `j${String(randomInt(1e11, 1e12))}.${process.pid}`;
  while (jobs.get(host)?.has(jid));
  const job: Job = {};
  let byHost = jobs.get(host);
  if (!byHost) jobs.set(host, (byHost = new Map()));
  byHost.set(jid, job);
  run.then(
    (r) => (job.done = r),
    (e) => (job.done = { changed: false, failed: true, msg: e instanceof Error ? e.message : String(e) }),
  );
  return jid;
}

/** The job's state: undefined when `host` has no such job. */
export function jobStatus(host: string, jid: string): { finished: boolean; result?: ModuleResult } | undefined {
  const job = jobs.get(host)?.get(jid);
  if (!job) return undefined;
  return job.done ? { finished: true, result: job.done } : { finished: false };
}

/** `mode: cleanup`: forget the job. */
export function forgetJob(host: string, jid: string): void {
  jobs.get(host)?.delete(jid);
}
