import { createHash } from 'node:crypto';
import type { ModuleContext } from '../modules/types.js';
import { UnreachableError } from '../connection/types.js';
import { PROGRESS_PREFIX } from '../remote/run.js';
import { buildKey, buildWheels, WheelBuildError, type WheelBuildResult } from '../wheels/build.js';
import { invokeModule } from '../modules/invoke.js';
import { UserError } from '../errors.js';
import { forKey, mergePackages, type VenvSettings } from './settings.js';

export interface KeyBuild {
  key: string;
  host: string;
  /** the build host's address, for the http wheel URL when openstack_repo_url is localhost */
  result: WheelBuildResult;
  /** true for the one caller that actually ran the build (reports changed) */
  ranHere: boolean;
}

export interface BuildHosts {
  /** key -> chosen build host (the first reachable one of that key, in inventory order) */
  byKey: Map<string, string>;
  /** build hosts that could not be reached (their keys are unknown) */
  unreachable: string[];
}

/** Which build host serves which key. Unreachable build hosts are skipped, not fatal. */
export async function buildHosts(ctx: ModuleContext, s: VenvSettings): Promise<BuildHosts> {
  return ctx.once(`venv-build-hosts:${s.buildGroup}`, async () => {
    const hosts = ctx.groups[s.buildGroup] ?? [];
    const keyed = await Promise.all(
      hosts.map(async (host) => {
        try {
          return { host, key: buildKey((await ctx.factsOf(host)) as never) };
        } catch (e) {
          if (e instanceof UnreachableError || /unreachable|refused|timed out/i.test(String((e as Error).message))) return { host, key: undefined };
          throw e;
        }
      }),
    );
    const byKey = new Map<string, string>();
    for (const { host, key } of keyed) if (key && !byKey.has(key)) byKey.set(key, host);
    return { byKey, unreachable: keyed.filter((k) => !k.key).map((k) => k.host) };
  });
}

/** The build-relevant settings: hosts sharing a venv path and these share one build. */
function buildIdentity(s: VenvSettings): string {
  const { path, python, pipPackages, buildConstraints, globalConstraints, buildRequirements, pipBuildArgs, pipBuildEnv, builderVenvPath, requirementsPath, wheelPath, wheelsRebuild } = s;
  return createHash('sha256')
    .update(JSON.stringify({ path, python, pipPackages, buildConstraints, globalConstraints, buildRequirements, pipBuildArgs, pipBuildEnv, builderVenvPath, requirementsPath, wheelPath, wheelsRebuild }))
    .digest('hex')
    .slice(0, 16);
}

/**
 * The wheels of every key, built at most once per run however many targets ask (the first caller
 * runs it, the rest await the same promise). With checkOnly (--tags install) nothing is built: an
 * up-to-date earlier result is read, or the target fails with a clear message.
 */
export async function keyBuilds(ctx: ModuleContext, s: VenvSettings, checkOnly: boolean): Promise<Map<string, KeyBuild>> {
  const { byKey } = await buildHosts(ctx, s);
  const id = buildIdentity(s);
  const out = new Map<string, KeyBuild>();
  await Promise.all(
    [...byKey].map(async ([key, host]) => {
      let ranHere = false;
      // A build started by the build task also answers the install task's check.
      let result: WheelBuildResult;
      ctx.progress?.(`${checkOnly ? 'checking' : 'building'} wheels on ${host} (${key})`);
      try {
        result = await ctx.once(`venv-wheels:${id}:${host}`, async () => {
          ranHere = true;
          return buildOn(ctx, s, host, key, checkOnly);
        });
      } catch (e) {
        if (ranHere) throw e;
        // one full report (pip's output) is enough: it is on the host whose task ran the build
        throw new UserError(`the wheel build of ${s.path} for ${key} on ${host} failed (pip's output is shown for the host that ran it)`);
      }
      out.set(key, { key, host, result, ranHere });
    }),
  );
  return out;
}

/**
 * `--index-url URL` (or `-i URL`) in venv_pip_build_args names the build's index; without one the
 * build runs offline (--no-index, find-links only), so it must not stay a plain argument.
 */
export function splitIndexUrl(args: readonly string[]): { indexUrl?: string; rest: string[] } {
  const rest: string[] = [];
  let indexUrl: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = /^--index-url=(.+)$/.exec(a);
    if (eq) indexUrl = eq[1];
    else if ((a === '--index-url' || a === '-i') && i + 1 < args.length) indexUrl = args[++i];
    else rest.push(a);
  }
  return { indexUrl, rest };
}

async function buildOn(ctx: ModuleContext, s: VenvSettings, host: string, key: string, checkOnly: boolean): Promise<WheelBuildResult> {
  const conn = await ctx.connectionTo(host);
  const index = splitIndexUrl(s.pipBuildArgs);
  // The build script checks the build's distro packages itself (one command when nothing is to do);
  // only when some are missing does the package module run, then the build is asked again.
  for (let round = 0; ; round++) {
    const r = await buildOnce(ctx, s, host, key, checkOnly, conn, index);
    if (r.need !== 'packages' || round > 0) {
      if (r.need === 'packages') throw new UserError(`build host ${host}: build packages ${(r.packages ?? []).join(', ')} still missing after installing them`);
      return r;
    }
    const facts = await ctx.factsOf(host);
    const p = await invokeModule(
      'package',
      { name: r.packages, state: s.distroPackageState, cache_valid_time: s.distroCacheValidTime },
      { ...ctx, host, conn, facts, check: false },
    );
    if (p.failed) throw new UserError(`build host ${host}: installing build packages ${(r.packages ?? []).join(', ')} failed: ${p.msg ?? ''}`);
  }
}

/**
 * Do targets byte-compile what they install? Yes by default (as pip); not with pip's --no-compile
 * last in venv_pip_install_args; and not through the installer when other pip arguments make pip
 * install the files (ensure_venv.py install_pinned): then shipped byte-code would not be used.
 */
export function targetsCompile(pipInstallArgs: readonly string[]): boolean {
  const args = [...pipInstallArgs];
  if (!args.every((a) => a === '--compile' || a === '--no-compile')) return false;
  return args.length === 0 || args[args.length - 1] === '--compile';
}

/** The build script's `WW-PROGRESS <phase>` lines on stderr, whole lines only (chunks split anywhere). */
export function progressLines(report: (msg: string) => void): (chunk: Buffer) => void {
  let partial = '';
  return (chunk) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) if (l.startsWith(PROGRESS_PREFIX)) report(l.slice(PROGRESS_PREFIX.length).trim());
  };
}

async function buildOnce(
  ctx: ModuleContext,
  s: VenvSettings,
  host: string,
  key: string,
  checkOnly: boolean,
  conn: Awaited<ReturnType<ModuleContext['connectionTo']>>,
  index: ReturnType<typeof splitIndexUrl>,
): Promise<WheelBuildResult> {
  try {
    return await buildWheels(
      conn,
      {
        venvPath: s.path,
        key,
        python: s.python,
        // targets install the build tools too (builds run without isolation): they are wheels of the repo as well
        requirements: mergePackages(s.pipPackages, s.buildRequirements),
        globalConstraints: s.globalConstraints,
        sourceConstraints: s.buildConstraints,
        buildRequirements: s.buildRequirements,
        defaultPipBuildArgs: index.rest,
        pipBuildArgs: [],
        indexUrl: index.indexUrl,
        buildEnv: s.pipBuildEnv,
        requirementsDir: forKey(s.requirementsPath, key),
        wheelDir: forKey(s.wheelPath, key),
        builderVenvPath: s.builderVenvPath,
        rebuild: s.wheelsRebuild,
        recreateBuilder: s.wheelsRebuild && s.rebuild,
        lockTimeoutSec: s.lockTimeout,
        checkOnly,
        distroPackages: checkOnly ? [] : s.buildDistroPackages,
        pycs: targetsCompile(s.pipInstallArgs),
      },
      { become: ctx.become, onStderr: progressLines((msg) => ctx.progress?.(`${msg} on ${host}`)) },
    );
  } catch (e) {
    if (e instanceof WheelBuildError) {
      const tail = e.tail ? `\n--- last lines of the build output ---\n${e.tail}` : '';
      throw new UserError(`${e.message}${tail}${e.log ? `\n(full log on ${host}: ${e.log})` : ''}`);
    }
    throw e;
  }
}
