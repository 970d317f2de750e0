/**
 * The oracle for playbook behaviour: the real `ansible-playbook` (ansible-core), run on the same files
 * as wheelwright. Results come from the test callback test/fixtures/ansible-callback/wwjson.py.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CALLBACKS = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'ansible-callback');

export interface AnsibleRun {
  code: number;
  stdout: string;
  stderr: string;
  /** the wwjson callback's document (undefined when Ansible stopped before printing it) */
  json?: AnsibleJson;
}

export interface AnsibleJson {
  plays: Array<{
    play: { name: string; vars: Record<string, any>; extra_vars: Record<string, any> };
    tasks: Array<{ task: { name: string }; hosts: Record<string, Record<string, any>> }>;
  }>;
  /** results in the order Ansible reported them */
  order: Array<{ host: string; task: string; status: string }>;
  stats: Record<string, Record<string, number>>;
}

/** Python's json.dumps writes Infinity/NaN bare: read them as the strings "Infinity"/"NaN". */
export function parsePythonJson(text: string): any {
  return JSON.parse(text.replace(/([:[,]\s*)(-?Infinity|NaN)(?=\s*[,}\]])/g, '$1"$2"'));
}

export const ANSIBLE_ENV: Record<string, string> = {
  ANSIBLE_NOCOLOR: '1',
  ANSIBLE_LOCALHOST_WARNING: 'False',
  ANSIBLE_INVENTORY_UNPARSED_WARNING: 'False',
  ANSIBLE_HOST_KEY_CHECKING: 'False',
  ANSIBLE_RETRY_FILES_ENABLED: 'False',
  ANSIBLE_STDOUT_CALLBACK: 'wwjson',
  ANSIBLE_CALLBACK_PLUGINS: CALLBACKS,
  ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
  ANSIBLE_SSH_ARGS: '-o ControlMaster=no',
};

/** `ansible-playbook ARGS` in `cwd`, with the wwjson callback; never rejects (the exit code is data). */
export function ansiblePlaybook(args: string[], opts: { cwd: string; env?: Record<string, string> }): Promise<AnsibleRun> {
  return new Promise((resolve) => {
    execFile(
      'ansible-playbook',
      args,
      { cwd: opts.cwd, env: { ...process.env, ...ANSIBLE_ENV, ...opts.env }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0;
        let json: AnsibleJson | undefined;
        const start = stdout.indexOf('{');
        if (start >= 0) {
          try {
            json = parsePythonJson(stdout.slice(start));
          } catch {
            json = undefined;
          }
        }
        resolve({ code, stdout, stderr, json });
      },
    );
  });
}

/** host → task name → result, over all plays (later plays' tasks with the same name win). */
export function ansibleResults(j: AnsibleJson | undefined): Record<string, Record<string, Record<string, any>>> {
  const out: Record<string, Record<string, Record<string, any>>> = {};
  for (const p of j?.plays ?? []) {
    for (const t of p.tasks) {
      for (const [h, r] of Object.entries(t.hosts)) (out[h] ??= {})[t.task.name] = r;
    }
  }
  return out;
}
