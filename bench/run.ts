/**
 * wheelwright's benchmark (root: it brings up the lab). Cases (--only, comma-separated):
 *   micro   what one remote command costs (bench/micro.ts)
 *   deploy  1 repo server + --targets targets (default 8), a venv of the test packages (a dependency
 *           chain, a C extension, a git requirement): cold (nothing built or installed anywhere),
 *           no-op (the same again), one-package change (ww-alpha 1.0 <-> 2.0), --runs times each;
 *           with --ansible-role DIR also the upstream role on ansible-core, same lab, same
 *           variables, and the ratios
 *   noop    the deployment's no-op only, --runs times after one unmeasured cold run: medians of
 *           wall, CPU and each phase; with --ab DIR, another built checkout's CLI takes turns with
 *           this one (interleaved A/B on the same lab and state)
 *   fleet   no-op and one-package change on --fleet targets (default 32,64): wall time, controller
 *           CPU per host, controller peak memory
 *   scale   the controller on large inputs, no lab (bench/scale.ts: --hosts, --playbook-mb)
 *   npm run bench -- --targets 8 --runs 3 --ansible-role /tmp/ansible-role-python_venv_build
 */
import { parseArgs } from 'node:util';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labHealth, labStatus, labUp } from '../src/lab/index.js';
import { microBench, microTable } from './micro.js';
import { runScaleBench, scaleTable } from './scale.js';
import { runTemplatingBench, templatingTable } from './templating.js';
import { median, prepare, runUpstream, runWheelwright, wipe, type RunFigures } from './deploy.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CASES = ['scale', 'templating', 'micro', 'deploy', 'noop', 'fleet'] as const;
const { values } = parseArgs({
  options: {
    targets: { type: 'string', default: '8' },
    runs: { type: 'string', default: '3' },
    // noop is for measuring changes to the no-op: not in the default set (deploy has its no-op)
    only: { type: 'string', default: CASES.filter((c) => c !== 'noop').join(',') },
    tasks: { type: 'string', default: '20' },
    fleet: { type: 'string', default: '32,64' },
    // the scale case (bench/scale.ts: a big playbook, a big inventory, a play over many local hosts)
    hosts: { type: 'string', default: '100000' },
    // the templating case (bench/templating.ts): hosts x 200 templated variables, vs Ansible's Templar
    'template-hosts': { type: 'string', default: '1000' },
    'playbook-mb': { type: 'string', default: '50' },
    'ansible-role': { type: 'string' },
    'no-compile': { type: 'boolean', default: false },
    // deploy: one unmeasured cold deployment per tool first (see deploy())
    'no-warmup': { type: 'boolean', default: false },
    // wheelwright's strategy in the deploy case (issue 13: the role keeps its speed under linear)
    strategy: { type: 'string' },
    // the noop case: another built checkout whose CLI takes turns with this one (A/B)
    ab: { type: 'string' },
  },
});
const targets = Number(values.targets);
const runs = Number(values.runs);
const microTasks = Number(values.tasks);
const fleetSizes = values.fleet!.split(',').map(Number);
const only = new Set(values.only!.split(',').map((s) => s.trim()).filter(Boolean));
const roleDir = values['ansible-role'] ? resolve(values['ansible-role']) : undefined;
const usage = () => {
  process.stderr.write(
    `usage: npm run bench -- [--targets N] [--runs R] [--tasks N] [--fleet 32,64] [--ansible-role DIR] [--no-compile] [--no-warmup] [--strategy linear|free] [--ab DIR] [--hosts N] [--playbook-mb MB] [--only ${CASES.join(',')}]\n`,
  );
  process.exit(5);
};
if (
  !Number.isInteger(targets) || targets < 1 || !Number.isInteger(runs) || runs < 1 || !Number.isInteger(microTasks) || microTasks < 1 ||
  fleetSizes.some((n) => !Number.isInteger(n) || n < 1 || n > 98) || [...only].some((c) => !(CASES as readonly string[]).includes(c)) ||
  (values.strategy !== undefined && !['linear', 'free'].includes(values.strategy))
) {
  usage();
}
if (roleDir && !existsSync(join(roleDir, 'tasks', 'python_venv_wheel_build.yml'))) {
  process.stderr.write(`--ansible-role ${roleDir}: not a checkout of openstack/ansible-role-python_venv_build (no tasks/python_venv_wheel_build.yml)\n`);
  process.exit(5);
}

const log = (m: string) => process.stderr.write(`bench: ${m}\n`);
const reports: string[] = [];
const json: Record<string, unknown> = {};
const report = (table: string) => {
  process.stdout.write(table + '\n\n');
  reports.push(table);
};
const f2 = (n: number) => n.toFixed(2);

async function micro(): Promise<void> {
  // Any healthy lab will do for one host: do not rebuild it at another size just for this.
  const st = await labStatus();
  const lab = st && (await labHealth()).every((h) => h.reachable) ? st : await labUp(2, { log });
  log(`micro: ${microTasks} trivial tasks on ${lab.hosts[lab.hosts.length - 1]!.name}`);
  const r = await microBench(lab, join(ROOT, 'bin/wheelwright.js'), { tasks: microTasks, runs, log });
  json.micro = r;
  report(microTable(r));
}

type Scenario = 'cold' | 'no-op' | 'change';
const SCENARIOS: Scenario[] = ['cold', 'no-op', 'change'];

async function deploy(): Promise<void> {
  const lab = await labUp(targets + 1, { log });
  const ctx = { ...(await prepare(lab, ROOT)), noCompile: values['no-compile'], strategy: values.strategy };
  const tools: Array<{ name: string; run: (alpha: string) => Promise<RunFigures> }> = [{ name: 'wheelwright', run: (a) => runWheelwright(ctx, a) }];
  if (roleDir) tools.push({ name: 'upstream role (ansible-core)', run: (a) => runUpstream(ctx, roleDir, a) });
  const results: Record<string, Record<Scenario, RunFigures[]>> = {};
  const failures: Record<string, string> = {};
  // A wipe keeps what lasts on a real host between deployments (the distro packages a run
  // installed, pip's cache, apt's lists), so on a fresh lab the first tool's cold run would also pay
  // for those and the other's would not. One unmeasured cold deployment per tool first makes every
  // measured cold run start from the same state, whichever tool goes first.
  if (!values['no-warmup']) {
    for (const tool of tools) {
      await wipe(ctx);
      log(`warm-up: ${tool.name}: cold (not measured)`);
      try {
        await tool.run('1.0');
      } catch (e) {
        if (tool.name === 'wheelwright') throw e;
        failures[tool.name] = (e as Error).message;
        log(`${tool.name} failed: ${(e as Error).message}`);
      }
    }
  }
  for (let i = 0; i < runs; i++) {
    // the tools take turns within each run, so machine load hits both alike
    for (const tool of tools) {
      if (failures[tool.name]) continue;
      const res = (results[tool.name] ??= { cold: [], 'no-op': [], change: [] });
      await wipe(ctx);
      try {
        log(`run ${i + 1}/${runs}: ${tool.name}: cold`);
        res.cold.push(await tool.run('1.0'));
        log(`run ${i + 1}/${runs}: ${tool.name}: no-op`);
        res['no-op'].push(await tool.run('1.0'));
        log(`run ${i + 1}/${runs}: ${tool.name}: one-package change`);
        res.change.push(await tool.run('2.0'));
      } catch (e) {
        if (tool.name === 'wheelwright') throw e;
        // the comparison is lost, not wheelwright's own figures
        failures[tool.name] = (e as Error).message;
        log(`${tool.name} failed: ${(e as Error).message}`);
      }
    }
  }
  await wipe(ctx);
  json.deploy = { targets, runs, results, failures };
  const med = (tool: string, s: Scenario, k: keyof RunFigures) => median(results[tool]![s].map((r) => (r[k] as number) ?? 0));
  const rows: string[] = [];
  for (const tool of tools.filter((t) => !failures[t.name])) {
    for (const s of SCENARIOS) {
      const ww = tool.name === 'wheelwright';
      rows.push(
        `| ${tool.name} | ${s} | ${f2(med(tool.name, s, 'wall'))} | ${f2(med(tool.name, s, 'cpu'))} | ${f2(med(tool.name, s, 'remoteCpu'))} | ${f2(med(tool.name, s, 'repoCpu'))} | ${med(tool.name, s, 'maxRssMb').toFixed(0)} | ${med(tool.name, s, 'changed')} | ${ww ? med(tool.name, s, 'repoCommands') : '-'} | ${ww ? med(tool.name, s, 'targetCommands') : '-'} |`,
      );
    }
  }
  const lines = [
    `deploy: 1 repo server + ${targets} targets, median of ${runs} runs (${new Date().toISOString()})${values['no-compile'] ? ', both tools with --no-compile (no byte-code)' : ''}${values.strategy ? `, wheelwright with strategy ${values.strategy}` : ''}`,
    '',
    '| tool | scenario | wall (s) | controller CPU (s) | lab hosts CPU (s) | of which repo server | peak RSS (MB) | changed tasks | remote commands: repo | per target (max) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ];
  for (const [name, msg] of Object.entries(failures)) lines.push('', `${name}: FAILED: ${msg.slice(0, 1500)}`);
  // where wheelwright's wall time went (last run; tasks overlap only across hosts, not each other)
  lines.push('', '| wheelwright phase (last run) | ' + SCENARIOS.join(' (s) | ') + ' (s) |', '|---|' + SCENARIOS.map(() => '---:|').join(''));
  const last = (s: Scenario) => results.wheelwright![s][results.wheelwright![s].length - 1]?.phases ?? [];
  const names = [...new Set(SCENARIOS.flatMap((s) => last(s).map((p) => p.phase)))];
  for (const n of names) lines.push(`| ${n} | ${SCENARIOS.map((s) => { const p = last(s).find((x) => x.phase === n); return p ? f2(p.s) : '-'; }).join(' | ')} |`);
  if (roleDir && !failures[tools[1]!.name]) {
    const up = tools[1]!.name;
    lines.push('', '| scenario | upstream / wheelwright (wall) | controller CPU ratio | hosts CPU ratio | total CPU ratio |', '|---|---:|---:|---:|---:|');
    const total = (tool: string, s: Scenario) => med(tool, s, 'cpu') + med(tool, s, 'remoteCpu');
    for (const s of SCENARIOS) {
      lines.push(
        `| ${s} | ${(med(up, s, 'wall') / med('wheelwright', s, 'wall')).toFixed(1)}x | ${(med(up, s, 'cpu') / med('wheelwright', s, 'cpu')).toFixed(1)}x | ` +
          `${(med(up, s, 'remoteCpu') / med('wheelwright', s, 'remoteCpu')).toFixed(1)}x | ${(total(up, s) / total('wheelwright', s)).toFixed(1)}x |`,
      );
    }
  }
  report(lines.join('\n'));
}

/**
 * The no-op alone, for measuring it: one cold run (not measured), then --runs no-op runs; with --ab
 * DIR the CLI of that checkout (built) takes turns with this one, run for run, on the same lab and
 * state. Medians of wall, controller CPU, lab hosts CPU and each phase, per CLI.
 */
async function noop(): Promise<void> {
  const lab = await labUp(targets + 1, { log });
  const ctx = { ...(await prepare(lab, ROOT)), noCompile: values['no-compile'], strategy: values.strategy };
  const clis = [{ name: 'this', root: ROOT }];
  if (values.ab) clis.unshift({ name: `A ${resolve(values.ab)}`, root: resolve(values.ab) });
  await wipe(ctx);
  log('noop: cold run (not measured)');
  await runWheelwright(ctx, '1.0');
  const res = new Map<string, RunFigures[]>(clis.map((c) => [c.name, []]));
  for (let i = 0; i < runs; i++) {
    for (const c of i % 2 ? [...clis].reverse() : clis) {
      log(`noop: run ${i + 1}/${runs}: ${c.name}`);
      res.get(c.name)!.push(await runWheelwright({ ...ctx, cli: c.root }, '1.0'));
    }
  }
  await wipe(ctx);
  json.noop = Object.fromEntries(res);
  const m = (rs: RunFigures[], f: (r: RunFigures) => number | undefined) => median(rs.map((r) => f(r) ?? 0));
  const cols = clis.map((c) => c.name);
  const lines = [
    `noop: 1 repo server + ${targets} targets, median of ${runs} no-op runs${clis.length > 1 ? ', A/B interleaved' : ''} (${new Date().toISOString()})`,
    '',
    `| figure | ${cols.join(' | ')} |`,
    `|---|${cols.map(() => '---:|').join('')}`,
  ];
  const row = (label: string, f: (r: RunFigures) => number | undefined) => lines.push(`| ${label} | ${cols.map((c) => f2(m(res.get(c)!, f))).join(' | ')} |`);
  row('wall (s)', (r) => r.wall);
  row('controller CPU (s)', (r) => r.cpu);
  row('of which connection broker (s)', (r) => r.brokerCpu);
  row('lab hosts CPU (s)', (r) => r.remoteCpu);
  row('remote commands: repo', (r) => r.repoCommands);
  row('remote commands: per target (max)', (r) => r.targetCommands);
  const names = [...new Set([...res.values()].flatMap((rs) => rs.flatMap((r) => (r.phases ?? []).map((p) => p.phase))))];
  for (const n of names) row(`phase: ${n}`, (r) => r.phases?.find((p) => p.phase === n)?.s);
  report(lines.join('\n'));
}

async function fleet(): Promise<void> {
  const rows: string[] = [];
  const out: Record<string, unknown> = {};
  for (const n of fleetSizes) {
    const lab = await labUp(n + 1, { log });
    const ctx = await prepare(lab, ROOT);
    await wipe(ctx);
    log(`fleet ${n}: first deployment (not measured)`);
    await runWheelwright(ctx, '1.0');
    const res: Record<string, RunFigures[]> = { 'no-op': [], change: [] };
    let alpha = '1.0';
    for (let i = 0; i < runs; i++) {
      log(`fleet ${n}: run ${i + 1}/${runs}: no-op`);
      res['no-op']!.push(await runWheelwright(ctx, alpha));
      alpha = alpha === '1.0' ? '2.0' : '1.0';
      log(`fleet ${n}: run ${i + 1}/${runs}: one-package change`);
      res.change!.push(await runWheelwright(ctx, alpha));
    }
    await wipe(ctx);
    out[n] = res;
    for (const [s, rs] of Object.entries(res)) {
      const m = (k: keyof RunFigures) => median(rs.map((r) => (r[k] as number) ?? 0));
      rows.push(`| ${n} | ${s} | ${f2(m('wall'))} | ${((m('cpu') * 1000) / (n + 1)).toFixed(0)} | ${m('maxRssMb').toFixed(0)} | ${m('targetCommands')} |`);
    }
  }
  json.fleet = out;
  report(
    [
      `fleet: wheelwright, 1 repo server + N targets, median of ${runs} runs`,
      '',
      '| targets | scenario | wall (s) | controller CPU per host (ms) | controller peak RSS (MB) | remote commands per target (max) |',
      '|---:|---|---:|---:|---:|---:|',
      ...rows,
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  if (only.has('scale')) report(scaleTable(runScaleBench({ hosts: Number(values.hosts), playbookMb: Number(values['playbook-mb']), log })));
  if (only.has('templating')) report(templatingTable(runTemplatingBench(Number(values['template-hosts'])), Number(values['template-hosts'])));
  if (only.has('micro')) await micro();
  if (only.has('deploy')) await deploy();
  if (only.has('noop')) await noop();
  if (only.has('fleet')) await fleet();
  writeFileSync(join(ROOT, 'bench/results/latest.md'), reports.join('\n\n') + '\n');
  writeFileSync(join(ROOT, 'bench/results/latest.json'), JSON.stringify(json, null, 2));
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
