/**
 * The oracle for playbook behaviour: the real `ansible-playbook` (ansible-core), run on the same files
 * as wheelwright. Results come from the test callback test/fixtures/ansible-callback/wwjson.py.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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

/**
 * Many `ansible-playbook ARGV` runs (same environment) in one Python process that imports
 * ansible-core once and forks a child per run: much cheaper than one process each.
 */
export function ansiblePlaybooks(cases: Array<{ id: string; argv: string[]; cwd: string }>, env: Record<string, string> = {}): Promise<Record<string, AnsibleRun>> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      ansiblePython(),
      [join(CALLBACKS, '..', 'ansible-oracle', 'playbooks.py')],
      { env: { ...process.env, ...ANSIBLE_ENV, ...env }, maxBuffer: 256 << 20 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`ansible oracle failed: ${err.message}\n${stderr}`));
        const raw = JSON.parse(stdout) as Record<string, { code: number; stdout: string }>;
        const out: Record<string, AnsibleRun> = {};
        for (const [id, r] of Object.entries(raw)) {
          let json: AnsibleJson | undefined;
          const start = r.stdout.indexOf('{');
          try {
            json = start >= 0 ? parsePythonJson(r.stdout.slice(start)) : undefined;
          } catch {
            json = undefined;
          }
          out[id] = { code: r.code, stdout: r.stdout, stderr: '', json };
        }
        resolve(out);
      },
    );
    child.stdin!.end(JSON.stringify(cases));
  });
}

/** The Python that runs ansible-core: the one in the `ansible-playbook` shebang. */
export function ansiblePython(): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = join(dir, 'ansible-playbook');
    if (!existsSync(p)) continue;
    const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(readFileSync(p, 'utf8').split('\n')[0]!);
    if (m) return m[1]!.endsWith('/env') && m[2] ? m[2] : m[1]!;
  }
  return 'python3';
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
