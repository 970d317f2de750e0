import type { ModuleContext, ModuleDef, ModuleResult } from '../modules/types.js';
import { UserError } from '../errors.js';
import { readSettings, type VenvSettings } from './settings.js';
import { buildHosts, keyBuilds } from './builds.js';
import { ensureTarget, noBuildSpec } from './target.js';
import { rollbackVenv, VenvError } from '../venv/ensure.js';

/** Wheel-build mode unless switched off, or the build group is empty (auto). */
export function wheelBuildMode(s: VenvSettings, groups: Record<string, string[]>): boolean {
  if (s.wheelBuildEnable === 'auto') return (groups[s.buildGroup]?.length ?? 0) > 0;
  return s.wheelBuildEnable;
}

/** No-build mode makes every target hit the upstream index/git servers: refuse it for big batches. */
export function noBuildGuard(s: VenvSettings, batchSize: number): void {
  if (batchSize > 2 && !s.wheelBuildSkipCheck) {
    throw new UserError(
      `no-build mode with ${batchSize} hosts in this batch would make each of them build from upstream: ` +
        `add hosts to '${s.buildGroup}', use serial batches of 2, or set venv_wheel_build_skip_check: true`,
    );
  }
}

function settings(ctx: ModuleContext): VenvSettings {
  return readSettings(ctx.vars);
}

async function hostsText(ctx: ModuleContext, s: VenvSettings): Promise<string> {
  const { byKey, unreachable } = await buildHosts(ctx, s);
  const known = [...byKey].map(([k, h]) => `${h} (${k})`);
  return [...known, ...unreachable.map((h) => `${h} (unreachable)`)].join(', ') || 'none';
}

/** python_venv_build's build step: every key's wheels, built once per run on one build host each. */
export const venvWheelsModule: ModuleDef = {
  name: 'venv_wheels',
  collection: 'wheelwright',
  description: "python_venv_build's build step: every key's wheels, built once per run on one build host each (see docs/python_venv_build.md).",
  argSpec: {},
  async run(_args, ctx): Promise<ModuleResult> {
    const s = settings(ctx);
    if (!wheelBuildMode(s, ctx.groups)) return { changed: false, skipped: true, msg: 'no-build mode: targets build for themselves' };
    if (ctx.check) {
      // --check: report whether a build would run, without building
      try {
        await keyBuilds(ctx, s, true);
        return { changed: false, msg: 'wheels up to date' };
      } catch (e) {
        if (e instanceof UserError) return { changed: true, msg: 'would build wheels' };
        throw e;
      }
    }
    const builds = await keyBuilds(ctx, s, false);
    const mine = [...builds.values()].filter((b) => b.ranHere);
    const changed = mine.some((b) => b.result.changed);
    const summary = [...builds.values()].map((b) => `${b.key} on ${b.host}: ${b.result.built ? `built ${b.result.wheels.length} wheels` : 'up to date'}`);
    return {
      changed,
      msg: summary.join('; ') || `no reachable build host in '${s.buildGroup}'`,
      builds: Object.fromEntries([...builds].map(([k, b]) => [k, { host: b.host, constraints: b.result.constraints, built: b.result.built, log: b.result.log, ...(b.result.pycsCompiled ? { byteCode: b.result.pycsCompiled } : {}) }])),
    };
  },
};

/** python_venv_build's install step: the target's venv, a new generation only when something changed. */
export const venvInstallModule: ModuleDef = {
  name: 'venv_install',
  collection: 'wheelwright',
  description: "python_venv_build's install step: the target's venv, a new generation only when something changed (see docs/python_venv_build.md).",
  argSpec: {},
  async run(_args, ctx): Promise<ModuleResult> {
    const s = settings(ctx);
    const building = wheelBuildMode(s, ctx.groups);
    let outcome;
    if (building) {
      // a build started by the build task (this run) answers; with --tags install, an earlier one
      let builds;
      try {
        builds = await keyBuilds(ctx, s, true);
      } catch (e) {
        if (ctx.check && e instanceof UserError) return { changed: true, msg: `${s.path}: would install (its wheels are not built yet)` };
        throw e;
      }
      outcome = await ensureTarget(ctx, s, { builds, distroPackages: s.installDistroPackages, buildHostsText: await hostsText(ctx, s) });
    } else {
      const batch = (Reflect.get(ctx.vars, 'ansible_play_batch') as string[] | undefined) ?? [ctx.host];
      noBuildGuard(s, batch.length);
      outcome = await ensureTarget(ctx, s, {
        spec: noBuildSpec(s),
        distroPackages: [...s.buildDistroPackages, ...s.installDistroPackages],
        buildHostsText: 'none (no-build mode)',
      });
    }
    const what = outcome.changed
      ? outcome.generation
        ? `now generation ${outcome.generation}${outcome.previous ? ` (previous ${outcome.previous} kept)` : ''}`
        : `repaired ${(outcome.repaired ?? []).join(', ') || 'distro packages'}`
      : 'up to date';
    return { ...outcome, changed: outcome.changed, msg: `${s.path}: ${what}` };
  },
};

/**
 * Switch a generations venv back to its previous generation (or a named one), atomically and under
 * the venv's lock, from the controller: targets need nothing but the venv. The next run of the
 * role switches forward again unless the change that made the new generation is reverted.
 */
export const venvRollbackModule: ModuleDef<{ path: string; generation?: string; python: string }> = {
  name: 'venv_rollback',
  collection: 'wheelwright',
  description: 'Switch a generations venv back to its previous generation (or a named one), atomically, under the venv lock.',
  argSpec: {
    path: { type: 'path', required: true, description: 'the venv path (the generations link)' },
    generation: { type: 'str', description: 'the generation to switch to; default: the previous one' },
    python: { type: 'str', default: 'python3', description: 'the Python that runs the switch on the host' },
  },
  async run(args, ctx): Promise<ModuleResult> {
    if (ctx.check) return { changed: true, msg: `${args.path}: would switch to ${args.generation ?? 'the previous generation'}` };
    try {
      const r = await rollbackVenv(ctx.conn, args.path, { generation: args.generation, python: args.python, become: ctx.become });
      return { changed: r.changed, generation: r.generation, previous: r.previous, msg: `${r.path}: now generation ${r.generation} (was ${r.previous})` };
    } catch (e) {
      if (e instanceof VenvError) return { changed: false, failed: true, msg: e.message };
      throw e;
    }
  },
};
