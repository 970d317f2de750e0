/**
 * wheelwright's deployment benchmark: a lab of 1 repo server + N targets (default 8), a venv of
 * the test packages (a dependency chain, a C extension, a git requirement), three scenarios:
 *   cold    nothing built or installed anywhere (repo wheels, builder venv and target venvs wiped)
 *   no-op   the same deployment again
 *   change  one package's pin changes (ww-alpha 1.0 <-> 2.0): one rebuild, a new generation everywhere
 * Each is run --runs times (default 3); the table shows medians of wall time and controller CPU
 * (the orchestrating process only: remote work runs in the lab hosts) and the remote commands.
 *   npm run bench -- --targets 8 --runs 3
 */
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labHealth, labStatus, labUp, type Lab } from '../src/lab/index.js';
import { microBench, microTable } from './micro.js';
import { runScaleBench, scaleTable } from './scale.js';
import { loadInventory } from '../src/inventory/index.js';
import { loadPlaybook } from '../src/playbook/index.js';
import { runPlaybook } from '../src/runner/run.js';
import type { RunEvent } from '../src/runner/events.js';
import { makeTestPackages, packTree } from '../test/helpers/pypkgs.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PKG_DIR = '/var/tmp/wheelwright-test-pypkgs';
const VENV = '/openstack/venvs/bench';

const CASES = ['scale', 'micro', 'deploy'] as const;
const { values } = parseArgs({
  options: {
    targets: { type: 'string', default: '8' },
    runs: { type: 'string', default: '3' },
    only: { type: 'string', default: CASES.join(',') },
    // the scale case (bench/scale.ts: a big playbook, a big inventory, a play over many local hosts)
    hosts: { type: 'string', default: '100000' },
    'playbook-mb': { type: 'string', default: '50' },
    tasks: { type: 'string', default: '20' },
  },
});
const targets = Number(values.targets);
const runs = Number(values.runs);
const microTasks = Number(values.tasks);
const only = new Set(values.only!.split(',').map((s) => s.trim()).filter(Boolean));
if (
  !Number.isInteger(targets) || targets < 1 || !Number.isInteger(runs) || runs < 1 || !Number.isInteger(microTasks) || microTasks < 1 ||
  [...only].some((c) => !(CASES as readonly string[]).includes(c))
) {
  process.stderr.write(`usage: npm run bench -- [--targets N] [--runs R] [--tasks N] [--only ${CASES.join(',')}] [--hosts N] [--playbook-mb MB]\n`);
  process.exit(5);
}

function ssh(lab: Lab, host: string, command: string, input?: Buffer): Promise<void> {
  const h = lab.hosts.find((x) => x.name === host)!;
  return new Promise((resolve, reject) => {
    const p = spawn('ssh', ['-F', '/dev/null', '-i', lab.privateKeyFile, '-o', `UserKnownHostsFile=${lab.knownHostsFile}`, '-o', 'BatchMode=yes', `root@${h.address}`, command]);
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${host}: ${command}: ${err}`))));
    p.stdin.end(input ?? '');
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const log = (m: string) => process.stderr.write(`bench: ${m}\n`);
const reports: string[] = [];

async function main(): Promise<void> {
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  if (only.has('scale')) {
    const table = scaleTable(runScaleBench({ hosts: Number(values.hosts), playbookMb: Number(values['playbook-mb']), log }));
    process.stdout.write(table + '\n\n');
    reports.push(table);
  }
  if (only.has('micro')) {
    // Any healthy lab will do for one host: do not rebuild it at another size just for this.
    const st = await labStatus();
    const lab = st && (await labHealth()).every((h) => h.reachable) ? st : await labUp(2, { log });
    log(`micro: ${microTasks} trivial tasks on ${lab.hosts[lab.hosts.length - 1]!.name}`);
    const r = await microBench(lab, join(ROOT, 'bin/wheelwright.js'), { tasks: microTasks, runs, log });
    const table = microTable(r);
    process.stdout.write(table + '\n\n');
    reports.push(table);
    writeFileSync(join(ROOT, 'bench/results/micro.json'), JSON.stringify(r, null, 2));
  }
  if (only.has('deploy')) await deployBench();
  writeFileSync(join(ROOT, 'bench/results/latest.md'), reports.join('\n\n') + '\n');
}

async function deployBench(): Promise<void> {
  const lab = await labUp(targets + 1, { log: (m) => log(m) });
  const [repo, ...tg] = lab.hosts.map((h) => h.name);
  const pk = await makeTestPackages(PKG_DIR);
  await ssh(lab, repo!, `rm -rf ${PKG_DIR} && mkdir -p ${PKG_DIR} && tar xzf - -C ${PKG_DIR}`, packTree(PKG_DIR));
  const groups = join(lab.dir, 'bench-groups.yml');
  writeFileSync(
    groups,
    `all:\n  children:\n    repo_all:\n      hosts:\n        ${repo}: {}\n    venv_targets:\n      hosts:\n${tg.map((t) => `        ${t}: {}\n`).join('')}` +
      `  vars:\n    openstack_repo_url: http://${lab.hosts[0]!.address}:8181\n`,
  );
  const inventory = await loadInventory([lab.inventoryFile, groups]);
  const playbook = await loadPlaybook(join(ROOT, 'test/fixtures/venv-role/site.yml'), { roleSearchPaths: [join(ROOT, 'roles')] });

  const deploy = async (alpha: string) => {
    const extraVars = {
      target_hosts: 'venv_targets', venv_path: VENV, sdists: pk.sdists, global_pins: [`ww-alpha==${alpha}`], venv_tag: 'bench',
      pkgs: ['ww-gamma', 'ww-cext', pk.gitRequirement], venv_generations_keep: 1,
    };
    let failed = '';
    const sink = (e: RunEvent) => {
      if (e.type === 'host_result' && e.status === 'failed') failed ||= `${e.host}: ${e.task}: ${e.result.msg}`;
    };
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const summary = await runPlaybook(
      { playbook, inventory, extraVars, forks: 50, verbosity: 0, check: false, diff: false, tags: [], skipTags: [], hostKeyChecking: 'strict', connectTimeoutMs: 10_000, retryFile: false },
      sink,
    );
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    if (summary.exitCode !== 0) throw new Error(`deployment failed (exit ${summary.exitCode}): ${failed}`);
    const changed = Object.values(summary.stats).reduce((n, s) => n + s.changed, 0);
    const commands = summary.remoteCommands;
    const perTarget = tg.map((t) => commands[t] ?? 0);
    return { wall, cpu: (cpu.user + cpu.system) / 1e6, changed, repoCommands: commands[repo!] ?? 0, targetCommands: Math.max(...perTarget) };
  };

  const wipe = async () => {
    await ssh(lab, repo!, 'rm -rf /var/www/repo/os-releases /openstack/venvs/wheel-builder-python3');
    await Promise.all(tg.map((t) => ssh(lab, t, `rm -rf ${VENV} ${VENV}.generations ${VENV}.lock ${VENV}.log /etc/ansible/facts.d`)));
  };

  const results: Record<string, Array<Awaited<ReturnType<typeof deploy>>>> = { cold: [], 'no-op': [], change: [] };
  let alpha = '1.0';
  for (let i = 0; i < runs; i++) {
    await wipe();
    log(`run ${i + 1}/${runs}: cold`);
    results.cold!.push(await deploy(alpha));
    log(`run ${i + 1}/${runs}: no-op`);
    results['no-op']!.push(await deploy(alpha));
    alpha = alpha === '1.0' ? '2.0' : '1.0';
    log(`run ${i + 1}/${runs}: one-package change (ww-alpha ${alpha})`);
    results.change!.push(await deploy(alpha));
  }

  const rows = Object.entries(results).map(([name, rs]) => ({
    scenario: name,
    wall: median(rs.map((r) => r.wall)),
    cpu: median(rs.map((r) => r.cpu)),
    changed: median(rs.map((r) => r.changed)),
    repo: median(rs.map((r) => r.repoCommands)),
    target: median(rs.map((r) => r.targetCommands)),
  }));
  const table = [
    `wheelwright bench: 1 repo server + ${targets} targets, median of ${runs} runs (${new Date().toISOString()})`,
    '',
    '| scenario | wall time (s) | controller CPU (s) | changed tasks | remote commands: repo | remote commands: per target (max) |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.scenario} | ${r.wall.toFixed(2)} | ${r.cpu.toFixed(2)} | ${r.changed} | ${r.repo} | ${r.target} |`),
  ].join('\n');
  process.stdout.write(table + '\n');
  reports.push(table);
  writeFileSync(join(ROOT, 'bench/results/latest.json'), JSON.stringify({ targets, runs, results, rows }, null, 2));
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
