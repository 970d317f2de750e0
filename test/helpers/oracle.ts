/**
 * Module oracle: the same playbook run by ansible-playbook against one lab host and by wheelwright
 * against another, in three passes (--check, real, real again), comparing per task `changed`,
 * chosen return fields and the hosts' end state. Both tools run at the same time (different hosts).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from '../../src/lab/index.js';
import { labHostExec } from '../../src/lab/index.js';
import { ROOT, runCli } from './cli.js';
import { processTempDir, tempDir } from './tmp.js';

export interface TaskOutcome {
  changed: boolean;
  failed: boolean;
  skipped: boolean;
  result: Record<string, any>;
}
/** task name -> outcome on the host the tool ran on. */
export type PassResult = Map<string, TaskOutcome>;

function spawnCollect(cmd: string, args: string[], env: Record<string, string>, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Ansible's SSH masters live here while the oracle runs; closeAnsibleMasters() ends them. */
const CONTROL_DIR = processTempDir('ww-oracle-ssh-');

/** End the SSH master processes ansible-playbook left (ControlPersist), so no process outlives the test. */
export async function closeAnsibleMasters(lab: Lab): Promise<void> {
  for (const h of lab.hosts) {
    await spawnCollect('ssh', ['-F', '/dev/null', '-o', `ControlPath=${CONTROL_DIR}/%C`, '-O', 'exit', `root@${h.address}`], {}, tmpdir()).catch(() => undefined);
  }
}

/** Another ansible-playbook than Debian's on PATH (e.g. a newer ansible-core run from source): argv and extra env. */
export interface AnsibleCommand {
  argv: string[];
  env?: Record<string, string>;
}

/** ansible-playbook with the json callback, against `host` of the lab inventory. */
export async function ansiblePass(lab: Lab, playbook: string, host: string, extra: string[] = [], command?: AnsibleCommand): Promise<PassResult> {
  return (await ansiblePassHosts(lab, playbook, [host], extra, command)).get(host)!;
}

/** One ansible-playbook run over several lab hosts: each host's task outcomes. */
export async function ansiblePassHosts(lab: Lab, playbook: string, hosts: string[], extra: string[] = [], command?: AnsibleCommand): Promise<Map<string, PassResult>> {
  const tmp = tempDir('ww-oracle-');
  const env = {
    ANSIBLE_STDOUT_CALLBACK: 'ww_oracle',
    ANSIBLE_CALLBACK_PLUGINS: join(ROOT, 'test/fixtures/modules-oracle/callback_plugins'),
    ANSIBLE_PIPELINING: 'True',
    ANSIBLE_RETRY_FILES_ENABLED: 'False',
    ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
    ANSIBLE_LOCAL_TEMP: tmp,
    ANSIBLE_HOME: tmp,
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_DEPRECATION_WARNINGS: 'False',
    ANSIBLE_SSH_ARGS: `-F /dev/null -o IdentitiesOnly=yes -o UserKnownHostsFile=${lab.knownHostsFile} -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o ControlMaster=auto -o ControlPersist=60s -o ControlPath=${CONTROL_DIR}/%C`,
    ...command?.env,
  };
  const [cmd, ...pre] = command?.argv ?? ['ansible-playbook'];
  const r = await spawnCollect(cmd!, [...pre, '-i', lab.inventoryFile, '-l', hosts.join(','), ...extra, playbook], env, tmp);
  if (process.env.WW_ORACLE_DEBUG) writeFileSync(`${process.env.WW_ORACLE_DEBUG}/ansible-${hosts.join('+')}${extra.join('')}.out`, `${r.stdout}\n${r.stderr}`);
  let doc: any;
  try {
    doc = JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
  } catch {
    throw new Error(`ansible-playbook output is not JSON (rc=${r.code}):\n${r.stdout.slice(0, 3000)}\n${r.stderr.slice(-3000)}`);
  }
  const all = new Map<string, PassResult>(hosts.map((h) => [h, new Map()]));
  for (const play of doc.plays ?? []) {
    for (const t of play.tasks ?? []) {
      for (const host of hosts) {
        const res = t.hosts?.[host];
        if (!res) continue;
        all.get(host)!.set(t.task.name, { changed: !!res.changed, failed: !!res.failed, skipped: !!res.skipped, result: res });
      }
    }
  }
  return all;
}

/** wheelwright with JSON lines output, against `host`. */
export async function wheelwrightPass(lab: Lab, playbook: string, host: string, extra: string[] = []): Promise<PassResult> {
  const r = await runCli(['-i', lab.inventoryFile, '-l', host, '--output', 'jsonl', '--known-hosts', lab.knownHostsFile, '--retry-file', 'none', ...extra, playbook]);
  if (process.env.WW_ORACLE_DEBUG) writeFileSync(`${process.env.WW_ORACLE_DEBUG}/ww-${host}${extra.join('')}-${Date.now()}.out`, `${r.stdout}\n${r.stderr}`);
  if (r.code === 5 || r.code === 1) throw new Error(`wheelwright failed to run (rc=${r.code}):\n${r.stderr.slice(-4000)}`);
  const out: PassResult = new Map();
  for (const e of r.events) {
    if (e.type !== 'host_result' || e.host !== host) continue;
    if (e.item !== undefined && !e.aggregate) continue;
    out.set(e.task, { changed: !!e.result.changed, failed: e.status === 'failed', skipped: e.status === 'skipped', result: e.result });
  }
  return out;
}

/** A shell script (as root inside the host) that prints the state the tests compare. */
export async function hostState(host: string, script: string): Promise<string> {
  const r = await labHostExec(host, script, { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`state script failed on ${host} (rc=${r.code}): ${r.stderr}`);
  return r.stdout;
}

export function writePlaybook(dir: string, name: string, yaml: string): string {
  const p = join(dir, name);
  writeFileSync(p, yaml);
  return p;
}

/**
 * Pick fields from a result for comparison: dotted paths, `list[].field` maps over a list; the
 * host's name (which differs between the two runs) reads as HOST.
 */
export function pick(result: Record<string, any>, fields: readonly string[], host?: string): Record<string, unknown> {
  const get = (cur: any, path: string[]): unknown => {
    if (!path.length) return cur;
    const [head, ...rest] = path as [string, ...string[]];
    if (head.endsWith('[]')) {
      const list = cur == null ? undefined : cur[head.slice(0, -2)];
      return Array.isArray(list) ? list.map((x) => get(x, rest)) : list;
    }
    return get(cur == null ? undefined : cur[head], rest);
  };
  const o: Record<string, unknown> = {};
  for (const f of fields) o[f] = get(result, f.split('.'));
  const text = JSON.stringify(o);
  return JSON.parse(host ? text.split(host).join('HOST') : text);
}
