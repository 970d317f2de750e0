/**
 * The venv deployment, side by side: wheelwright's python_venv_build role and (when given a
 * checkout with --ansible-role DIR) the upstream OpenStack-Ansible role run by ansible-playbook,
 * same lab, same packages, same variables. Both run as the user would run them (the CLI), under
 * /usr/bin/time: wall time, controller CPU (user + system of the whole process tree: ansible's
 * forks included) and peak memory (max RSS of the largest process).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { socketPathOf } from '../src/connection/broker-client.js';
import { pidPathOf } from '../src/connection/broker-proto.js';
import { DEFAULT_CONTROL_PATH_DIR } from '../src/connection/spec.js';
import type { Lab } from '../src/lab/index.js';
import { makeTestPackages, packTree, type TestPackages } from '../test/helpers/pypkgs.js';
import { processTempDir } from '../test/helpers/tmp.js';

export const PKG_DIR = '/var/tmp/wheelwright-test-pypkgs';
export const VENV = '/openstack/venvs/bench';

export interface RunFigures {
  wall: number;
  /** controller CPU seconds: the run's own and, for wheelwright, its connection broker's meanwhile */
  cpu: number;
  /** of which the connection broker's (wheelwright) */
  brokerCpu?: number;
  /** CPU seconds on the lab hosts (every process there, see labCpu) */
  remoteCpu?: number;
  /** of which on the repo server (the build host) */
  repoCpu?: number;
  maxRssMb: number;
  changed: number;
  repoCommands?: number;
  targetCommands?: number;
  /** wheelwright: where the wall time went, from the run's JSON lines (see phases) */
  phases?: Array<{ phase: string; s: number }>;
}

/**
 * A run's phases from its timestamped JSON lines: start-up (process start to the first event), then
 * each task from its first host's start to its last host's result (for a task every host runs, the
 * hosts' overlap is one phase), and the tail to the recap.
 */
export function phases(events: Array<Record<string, any>>, startedMs: number): Array<{ phase: string; s: number }> {
  const out: Array<{ phase: string; s: number }> = [];
  const t = (e: Record<string, any>) => Date.parse(e.time as string);
  if (!events.length) return out;
  out.push({ phase: 'start-up and load', s: (t(events[0]!) - startedMs) / 1000 });
  const spans = new Map<string, { from: number; to: number }>();
  for (const e of events) {
    if (e.type !== 'host_task_start' && e.type !== 'host_result') continue;
    const key = `${e.play} / ${e.role ? `${e.role} : ` : ''}${e.task}`;
    const sp = spans.get(key) ?? { from: t(e), to: t(e) };
    sp.from = Math.min(sp.from, t(e));
    sp.to = Math.max(sp.to, t(e));
    spans.set(key, sp);
  }
  let last = t(events[0]!);
  for (const [phase, sp] of spans) {
    out.push({ phase, s: (sp.to - sp.from) / 1000 });
    last = Math.max(last, sp.to);
  }
  out.push({ phase: 'to the recap', s: (t(events[events.length - 1]!) - last) / 1000 });
  return out;
}

export interface DeployContext {
  lab: Lab;
  repo: string;
  targets: string[];
  dir: string;
  inventory: string[];
  pk: TestPackages;
  root: string;
  /** both tools install without byte-code (pip's --no-compile in venv_pip_install_args) */
  noCompile?: boolean;
  /** wheelwright's strategy (ANSIBLE_STRATEGY); unset: the default, linear */
  strategy?: string;
  /** the checkout whose bin/wheelwright.js runs (default: root; the noop case's --ab) */
  cli?: string;
}

/** A process's /proc/PID/stat fields from the third (state) on; undefined when it is gone. */
function procStat(pid: number): string[] | undefined {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds used so far by everything on the lab hosts: the sum of user + system time, own and of
 * waited-for children, over every live process below each host's `unshare` process. Each host's sshd
 * is its PID namespace's init, so orphans are reaped there too: the difference of two samples is the
 * CPU the run cost on the hosts, finished processes included, whoever (which tool) ran them.
 */
export function labCpu(lab: Lab, hosts?: readonly string[]): number {
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const f = procStat(Number(d));
    if (!f) continue; // gone meanwhile
    parent.set(Number(d), Number(f[1]));
    ticks.set(Number(d), Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])); // utime stime cutime cstime
  }
  const roots = new Set(lab.hosts.filter((h) => !hosts || hosts.includes(h.name)).map((h) => h.pid));
  let sum = 0;
  for (const [pid, t] of ticks) {
    for (let p = pid, n = 0; p > 1 && n < 64; p = parent.get(p) ?? 0, n++) {
      if (roots.has(p)) {
        sum += t;
        break;
      }
    }
  }
  return sum / 100; // USER_HZ
}

function sshArgs(lab: Lab, host: string): string[] {
  const h = lab.hosts.find((x) => x.name === host)!;
  return ['-F', '/dev/null', '-i', lab.privateKeyFile, '-o', `UserKnownHostsFile=${lab.knownHostsFile}`, '-o', 'BatchMode=yes', `root@${h.address}`];
}

export function ssh(lab: Lab, host: string, command: string, input?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('ssh', [...sshArgs(lab, host), command]);
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${host}: ${command}: ${err}`))));
    p.stdin.end(input ?? '');
  });
}

/** The test packages on the repo server, an inventory of 1 repo server + the rest as targets. */
export async function prepare(lab: Lab, root: string, targetCount?: number): Promise<DeployContext> {
  const [repo, ...all] = lab.hosts.map((h) => h.name);
  const targets = all.slice(0, targetCount ?? all.length);
  const pk = await makeTestPackages(PKG_DIR);
  await ssh(lab, repo!, `rm -rf ${PKG_DIR} && mkdir -p ${PKG_DIR} && tar xzf - -C ${PKG_DIR}`, packTree(PKG_DIR));
  const dir = processTempDir('ww-bench-'); // the inventory of the whole bench run: removed at exit
  const groups = join(dir, 'groups.yml');
  writeFileSync(
    groups,
    `all:\n  children:\n    repo_all:\n      hosts:\n        ${repo}: {}\n    venv_targets:\n      hosts:\n${targets.map((t) => `        ${t}: {}\n`).join('')}` +
      `  vars:\n    openstack_repo_url: http://${lab.hosts[0]!.address}:8181\n`,
  );
  return { lab, repo: repo!, targets, dir, inventory: [lab.inventoryFile, groups], pk, root };
}

/** Nothing built or installed anywhere (for either tool). */
export async function wipe(ctx: DeployContext): Promise<void> {
  await ssh(ctx.lab, ctx.repo, 'rm -rf /var/www/repo/os-releases /openstack/venvs/wheel-builder-python3 /tmp/bench');
  await Promise.all(
    ctx.targets.map((t) =>
      ssh(ctx.lab, t, `rm -rf ${VENV} ${VENV}.generations ${VENV}.lock ${VENV}.log /etc/ansible/facts.d /var/cache/wheelwright /var/tmp/bench-restarts`),
    ),
  );
}

function extraVars(ctx: DeployContext, alpha: string, tool: 'wheelwright' | 'upstream' = 'wheelwright'): Record<string, unknown> {
  return {
    target_hosts: 'venv_targets',
    venv_path: VENV,
    sdists: ctx.pk.sdists,
    global_pins: [`ww-alpha==${alpha}`],
    venv_tag: 'bench',
    pkgs: ['ww-gamma', 'ww-cext', ctx.pk.gitRequirement],
    venv_generations_keep: 1,
    // wheelwright reads it from here; the upstream play appends it to its own offline arguments
    ...(ctx.noCompile ? (tool === 'wheelwright' ? { venv_pip_install_args: '--no-compile' } : { bench_no_compile: true }) : {}),
  };
}

/**
 * The CPU seconds so far of the connection broker a checkout's CLI uses (ControlPersist: it holds
 * the SSH connections between runs, src/connection/broker.ts), by its pid file in the control
 * directory; undefined when none runs. The broker is detached from the run (GNU time does not
 * count it): a run's controller CPU is its own plus what the broker spent meanwhile.
 */
export function brokerCpu(cliRoot: string, env: NodeJS.ProcessEnv = process.env): { pid: number; cpu: number } | undefined {
  try {
    const id = readFileSync(join(cliRoot, 'dist/bin/broker.key'), 'utf8').trim();
    const dir = env.ANSIBLE_SSH_CONTROL_PATH_DIR ?? DEFAULT_CONTROL_PATH_DIR;
    const pid = Number(readFileSync(pidPathOf(socketPathOf(dir, { id, script: '' })), 'utf8').trim());
    const f = procStat(pid);
    return f && { pid, cpu: (Number(f[11]) + Number(f[12])) / 100 }; // utime stime, USER_HZ
  } catch {
    return undefined;
  }
}

/** `cmd args` under GNU time: its figures, stdout, and the exit code. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv, lab?: Lab, repo?: string, cliRoot?: string): Promise<{ code: number | null; out: string; err: string; wall: number; cpu: number; maxRssMb: number; remoteCpu?: number; repoCpu?: number; brokerCpu?: number }> {
  const tf = join(tmpdir(), `ww-bench-time-${process.pid}-${Date.now()}`);
  const broker0 = cliRoot ? brokerCpu(cliRoot, env) : undefined;
  const cpu0 = lab ? labCpu(lab) : 0;
  const repo0 = lab && repo ? labCpu(lab, [repo]) : 0;
  return new Promise((resolve, reject) => {
    const p = spawn('/usr/bin/time', ['-o', tf, '-f', '%e %U %S %M', cmd, ...args], { env });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', async (code) => {
      const { readFileSync, rmSync } = await import('node:fs');
      const last = readFileSync(tf, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
      rmSync(tf, { force: true });
      // the broker's CPU during the run (all of it when the run started it)
      const broker1 = cliRoot ? brokerCpu(cliRoot, env) : undefined;
      const brokerSpent = broker1 ? broker1.cpu - (broker0?.pid === broker1.pid ? broker0.cpu : 0) : 0;
      resolve({ code, out, err, wall: last[0]!, cpu: last[1]! + last[2]! + brokerSpent, ...(cliRoot ? { brokerCpu: brokerSpent } : {}), maxRssMb: last[3]! / 1024, ...(lab ? { remoteCpu: labCpu(lab) - cpu0 } : {}), ...(lab && repo ? { repoCpu: labCpu(lab, [repo]) - repo0 } : {}) });
    });
  });
}

export async function runWheelwright(ctx: DeployContext, alpha: string): Promise<RunFigures> {
  const vars = join(ctx.dir, 'ww-vars.json');
  writeFileSync(vars, JSON.stringify(extraVars(ctx, alpha)));
  const args = [join(ctx.cli ?? ctx.root, 'bin/wheelwright.js'), join(ctx.root, 'test/fixtures/venv-role/site.yml')];
  for (const i of ctx.inventory) args.push('-i', i);
  args.push('-e', `@${vars}`, '-f', '100', '--output', 'jsonl', '--retry-file', 'none');
  const startedMs = Date.now();
  const r = await timed(process.execPath, args, ctx.strategy ? { ...process.env, ANSIBLE_STRATEGY: ctx.strategy } : process.env, ctx.lab, ctx.repo, ctx.cli ?? ctx.root);
  // the run's JSON lines (timestamped events), kept for a per-phase look: bench/results/ww-runs/
  const keep = join(ctx.root, 'bench', 'results', 'ww-runs');
  mkdirSync(keep, { recursive: true });
  writeFileSync(join(keep, `${new Date().toISOString().replace(/[:.]/g, '-')}-alpha${alpha}.jsonl`), r.out);
  const events = r.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);
  if (r.code !== 0) {
    const fails = events.filter((e) => e.type === 'host_result' && e.status !== 'ok' && e.status !== 'changed' && e.status !== 'skipped');
    throw new Error(`wheelwright failed (exit ${r.code}): ${JSON.stringify(fails.slice(0, 2)).slice(0, 3000)} ${r.err.slice(-2000)}`);
  }
  const recap = events.find((e) => e.type === 'recap')!;
  const changed = Object.values(recap.stats as Record<string, { changed: number }>).reduce((n, s) => n + s.changed, 0);
  const cmds = recap.remoteCommands as Record<string, number>;
  return {
    wall: r.wall, cpu: r.cpu, brokerCpu: r.brokerCpu, remoteCpu: r.remoteCpu, repoCpu: r.repoCpu, maxRssMb: r.maxRssMb, changed,
    repoCommands: cmds[ctx.repo] ?? 0, targetCommands: Math.max(...ctx.targets.map((t) => cmds[t] ?? 0)),
    phases: phases(events, startedMs),
  };
}

/** The upstream role's playbook: the same deployment, Ansible-native (nginx set up with builtins). */
export function upstreamPlaybook(roleDir: string): string {
  return `---
- name: Repo server
  hosts: repo_all
  gather_facts: true
  tasks:
    - package: {name: nginx-light, state: present, cache_valid_time: 3600}
    - file: {path: /var/www/repo, state: directory, mode: "0755"}
    - copy:
        dest: /etc/nginx/conf.d/wheelwright-repo.conf
        mode: "0644"
        content: |
          server {
              listen 8181;
              root /var/www/repo;
              autoindex on;
              location / { try_files $uri $uri/ =404; }
          }
      notify: reload nginx
    - service: {name: nginx, state: started}
  handlers:
    - name: reload nginx
      service: {name: nginx, state: reloaded}

- name: Service venv
  hosts: "{{ target_hosts }}"
  gather_facts: true
  vars:
    venv_install_destination_path: "{{ venv_path }}"
    venv_pip_packages: "{{ pkgs }}"
    venv_build_global_constraints: "{{ global_pins }}"
    # no package index is reachable here: upstream's pip calls need --no-index said explicitly, and
    # its targets' pip/setuptools/wheel upgrade (not part of its build) the distro's wheels
    venv_pip_build_args: "--no-index --find-links {{ sdists }} --find-links /usr/share/python-wheels"
    venv_pip_install_args: "--no-index --find-links /usr/share/python-wheels{{ ' --no-compile' if bench_no_compile | default(false) else '' }}"
    venv_build_requirements: [setuptools, wheel]
    venv_build_distro_package_list: [liblz4-dev]
    venv_install_distro_package_list: [tree, python3-termcolor]
    venv_packages_to_symlink: [python3-termcolor]
    # upstream's Debian base list minus python3-pkgconfig (not in the lab's apt repository)
    venv_build_base_distro_package_list: [cmake, g++, python3-dev, python3-venv, python3-packaging, python3-setuptools]
    venv_facts_when_changed:
      - section: demo
        option: venv_tag
        value: "{{ venv_tag }}"
  roles:
    - role: ${roleDir}
  handlers:
    - name: restart demo service
      shell: "echo restart >> /var/tmp/{{ venv_path | basename }}-restarts"
      listen: venv changed
`;
}

export async function runUpstream(ctx: DeployContext, roleDir: string, alpha: string): Promise<RunFigures> {
  const site = join(ctx.dir, 'upstream-site.yml');
  writeFileSync(site, upstreamPlaybook(roleDir));
  const vars = join(ctx.dir, 'up-vars.json');
  writeFileSync(vars, JSON.stringify(extraVars(ctx, alpha, 'upstream')));
  const args = [site];
  for (const i of ctx.inventory) args.push('-i', i);
  args.push('-e', `@${vars}`, '-f', '100');
  const env = {
    ...process.env,
    ANSIBLE_HOST_KEY_CHECKING: 'True',
    // Ansible at its fastest: pipelining and OpenSSH multiplexing (its default ControlPersist)
    ANSIBLE_PIPELINING: 'True',
    ANSIBLE_SSH_ARGS: `-o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${ctx.lab.knownHostsFile} -o IdentitiesOnly=yes`,
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: 'False',
    ANSIBLE_LOCALHOST_WARNING: 'False',
  };
  const r = await timed('ansible-playbook', args, env, ctx.lab, ctx.repo);
  if (r.code !== 0) throw new Error(`ansible-playbook with the upstream role failed (exit ${r.code}):\n${r.out.slice(-4000)}\n${r.err.slice(-2000)}`);
  let changed = 0;
  for (const m of r.out.matchAll(/changed=(\d+)/g)) changed += Number(m[1]);
  return { wall: r.wall, cpu: r.cpu, remoteCpu: r.remoteCpu, repoCpu: r.repoCpu, maxRssMb: r.maxRssMb, changed };
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
