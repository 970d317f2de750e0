import { forgetJob, jobStatus } from './async-jobs.js';
import type { ModuleDef } from './types.js';

export interface AsyncStatusArgs {
  jid: string;
  mode: 'status' | 'cleanup';
}

/** async_status: the state of a background job an `async:` task with `poll: 0` started on this host. */
export const asyncStatusModule: ModuleDef<AsyncStatusArgs> = {
  name: 'async_status',
  description: 'Check (or forget) a background job started by an `async:` task with `poll: 0`.',
  notes:
    "`finished` is 0 while the job runs; once it has ended the result is the job's module result with\n`finished: 1`. Jobs are the run's own (they run over the host's connection and end with the run):\na job id from another run is not found.",
  controllerOnly: true,
  argSpec: {
    jid: { description: 'the job id (`ansible_job_id` of the registered async task)', type: 'str', required: true },
    mode: { description: '`status` or `cleanup`', type: 'str', choices: ['status', 'cleanup'], default: 'status' },
  },
  returns: { finished: '1 when the job has ended, else 0', started: 'always 1', ansible_job_id: 'the job id' },
  async run(args, ctx) {
    const st = jobStatus(ctx.host, args.jid);
    // as Ansible's: stdout/stderr are there (empty) before the job's own
    const base = { ansible_job_id: args.jid, started: 1, stdout: '', stderr: '' };
    if (!st) return { ...base, changed: false, failed: true, finished: 1, msg: 'could not find job' };
    if (args.mode === 'cleanup') {
      forgetJob(ctx.host, args.jid);
      return { ansible_job_id: args.jid, changed: false, erased: args.jid };
    }
    if (!st.finished) return { ...base, changed: false, finished: 0 };
    return { ...base, ...st.result!, ansible_job_id: args.jid, started: 1, finished: 1 };
  },
};
