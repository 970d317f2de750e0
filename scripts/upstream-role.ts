/**
 * The upstream OpenStack-Ansible role (a checkout of openstack/ansible-role-python_venv_build; it is
 * not part of this repository), unchanged, run by wheelwright's engine on the lab: 1 repo server +
 * targets, the same variables as `npm run bench -- --ansible-role DIR` gives ansible-playbook
 * (bench/deploy.ts: upstreamPlaybook, including the offline tweaks, which are variables only).
 * Then every target's venv is checked by importing its packages with the venv's python.
 *
 * Root, under the lab lock:
 *   flock /var/tmp/wheelwright-itest.lock node --import tsx scripts/upstream-role.ts /tmp/ansible-role-python_venv_build [--targets 2]
 * Exit 0 when the venv works on every target; the wheelwright run's output goes to stderr.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { labStatus, labUp } from '../src/lab/index.js';
import { prepare, ssh, upstreamPlaybook, VENV, wipe } from '../bench/deploy.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface UpstreamRun {
  code: number | null;
  output: string;
  /** target -> what `import ...; print(VERSION)` printed, or the error */
  checks: Record<string, { ok: boolean; out: string }>;
}

/** Run the upstream role with `wheelwright` on `targets` lab targets (cold: nothing built first). */
export async function runUpstreamRoleWithWheelwright(roleDir: string, targets: number, log: (m: string) => void = () => {}): Promise<UpstreamRun> {
  // keep the lab's size (other tests use 6 hosts): labUp repairs hosts and returns at once when healthy
  const st = await labStatus();
  const size = st && st.hosts.length >= targets + 1 ? st.hosts.length : Math.max(6, targets + 1);
  const lab = await labUp(size, { log });
  const ctx = await prepare(lab, ROOT, targets);
  await wipe(ctx);
  const site = join(ctx.dir, 'upstream-site.yml');
  writeFileSync(site, upstreamPlaybook(resolve(roleDir)));
  const vars = join(ctx.dir, 'vars.json');
  writeFileSync(
    vars,
    JSON.stringify({
      target_hosts: 'venv_targets',
      venv_path: VENV,
      sdists: ctx.pk.sdists,
      global_pins: ['ww-alpha==1.0'],
      venv_tag: 'upstream',
      pkgs: ['ww-gamma', 'ww-cext', ctx.pk.gitRequirement],
    }),
  );
  const args = [join(ROOT, 'bin/wheelwright.js'), site];
  for (const i of ctx.inventory) args.push('-i', i);
  args.push('-e', `@${vars}`, '-f', '50', '--retry-file', 'none');
  log(`wheelwright ${args.slice(1).join(' ')}`);
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const checks: UpstreamRun['checks'] = {};
  for (const t of ctx.targets) {
    try {
      await ssh(lab, t, `test "$(${VENV}/bin/python -c 'import ww_alpha, ww_beta, ww_gamma, ww_cext, ww_gitpkg, termcolor; print(ww_alpha.VERSION)')" = 1.0`);
      checks[t] = { ok: true, out: '1.0' };
    } catch (e) {
      checks[t] = { ok: false, out: (e as Error).message };
    }
  }
  return { code: r.status, output: r.stdout + r.stderr, checks };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { targets: { type: 'string', default: '2' } } });
  const roleDir = positionals[0];
  if (!roleDir || !existsSync(join(roleDir, 'tasks', 'python_venv_wheel_build.yml'))) {
    process.stderr.write('usage: scripts/upstream-role.ts CHECKOUT_OF_ansible-role-python_venv_build [--targets N]\n');
    process.exit(5);
  }
  const r = await runUpstreamRoleWithWheelwright(roleDir, Number(values.targets), (m) => process.stderr.write(`upstream-role: ${m}\n`));
  process.stderr.write(r.output);
  for (const [t, c] of Object.entries(r.checks)) process.stdout.write(`${t}: ${c.ok ? `venv works (ww_alpha ${c.out})` : `venv check failed: ${c.out}`}\n`);
  process.stdout.write(`wheelwright exit ${r.code}\n`);
  process.exit(r.code === 0 && Object.values(r.checks).every((c) => c.ok) ? 0 : 1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
