import { posix } from 'node:path';
import type { ModuleContext } from '../modules/types.js';
import { ensurePayload, runVenvScript, VenvError, type VenvSpec } from '../venv/ensure.js';
import { rewriteForTargets } from '../wheels/build.js';
import { invokeModule } from '../modules/invoke.js';
import { UserError } from '../errors.js';
import { forKey, type VenvSettings } from './settings.js';
import type { KeyBuild } from './builds.js';

/** Where pushed wheels land on targets (transport: push), per build key. */
export const WHEELHOUSE = '/var/cache/wheelwright/wheelhouse';

export interface TargetOutcome {
  changed: boolean;
  key?: string;
  path?: string;
  generation?: string;
  previous?: string | null;
  installed?: Record<string, string>;
  repaired?: string[];
  log?: string;
  /** remote commands this target cost (the no-op costs exactly one) */
  commands: number;
  pushedWheels: number;
  /** byte-code companions pushed with them (`pyc/...`, src/remote/wwremote/pycache.py) */
  pushedPycs: number;
  installedPackages: string[];
}

const FACTS_DIR = '/etc/ansible/facts.d';

function baseSpec(s: VenvSettings): VenvSpec {
  return {
    path: s.path,
    layout: 'generations',
    python: s.python,
    requirements: s.pipPackages,
    globalConstraints: s.globalConstraints,
    buildRequirements: s.buildRequirements,
    pipArgs: s.pipInstallArgs,
    env: s.pipInstallEnv, // REQUESTS_CA_BUNDLE defaults to the distro bundle, on the target
    packageState: s.packageState,
    rebuild: s.rebuild,
    keep: s.generationsKeep,
    lockTimeoutSec: s.lockTimeout,
    facts: s.factsWhenChanged.length ? { path: `${FACTS_DIR}/${s.factsDest}.fact`, values: s.factsWhenChanged } : undefined,
  };
}

/** Wheel-build mode: install by name from the key's wheels, pinned by the build's result. */
export function wheelBuildSpec(s: VenvSettings, build: KeyBuild): VenvSpec {
  const base = baseSpec(s);
  const push = s.transport === 'push';
  const url = forKey(s.wheelUrl, build.key);
  const trusted = !push && /^http:\/\//.test(url) ? [new URL(url).host] : [];
  return {
    ...base,
    requirements: rewriteForTargets(s.pipPackages),
    constraints: build.result.constraints,
    findLinks: [push ? `${WHEELHOUSE}/${build.key}` : url.endsWith('/') ? url : `${url}/`],
    noIndex: true,
    trustedHosts: trusted,
    pre: true, // git requirements build dev versions: the pin decides
    isolated: true, // only the repo's wheels, whatever the host's pip.conf says
    // the exact files of the closure: fetched (http) or pushed into the target's wheelhouse,
    // verified by sha256, installed without resolving
    pinned: {
      wheels: build.result.wheels.map((w) => ({ file: w.file, sha256: w.sha256, size: w.size })),
      wheelhouse: `${WHEELHOUSE}/${build.key}`,
      // byte-code compiled once on the build host; not part of the hash (same venv either way)
      pycs: build.result.pycs ?? [],
      url: push ? undefined : url.endsWith('/') ? url : `${url}/`,
    },
    extraMarker: {
      wheels: build.result.wheels.map((w) => `${w.file}:${w.sha256}`),
      symlinkPackages: s.packagesToSymlink,
      distroPackages: s.installDistroPackages,
    },
  };
}

/** No-build mode: the target resolves and builds from the configured sources itself. */
export function noBuildSpec(s: VenvSettings): VenvSpec {
  return {
    ...baseSpec(s),
    constraints: s.buildConstraints,
    findLinks: [],
    noIndex: false,
    extraMarker: { symlinkPackages: s.packagesToSymlink, distroPackages: [...s.buildDistroPackages, ...s.installDistroPackages] },
  };
}

/**
 * Bring one target's venv to the wanted state. ONE remote command when nothing changed; otherwise
 * the script says what it needs first (distro packages, pushed wheels), we provide it and ask again.
 */
export async function ensureTarget(
  ctx: ModuleContext,
  s: VenvSettings,
  plan: { builds?: Map<string, KeyBuild>; spec?: VenvSpec; distroPackages: string[]; buildHostsText: string },
): Promise<TargetOutcome> {
  const candidates = plan.builds ? Object.fromEntries([...plan.builds].map(([k, b]) => [k, ensurePayload(wheelBuildSpec(s, b))])) : undefined;
  const outcome: TargetOutcome = { changed: false, commands: 0, pushedWheels: 0, pushedPycs: 0, installedPackages: [] };
  for (let round = 0; round < 4; round++) {
    const payload: Record<string, unknown> = {
      action: 'role_target',
      candidates,
      spec: plan.spec ? ensurePayload(plan.spec) : undefined,
      distroPackages: plan.distroPackages,
      symlinkPackages: s.packagesToSymlink,
      check: ctx.check,
    };
    // push: the script reports which of the key's wheels the wheelhouse lacks (only when it must install)
    let res: Record<string, unknown>;
    try {
      outcome.commands++;
      ctx.progress?.(round === 0 ? `installing ${s.path}` : `installing ${s.path} (round ${round + 1})`);
      res = await runVenvScript<Record<string, unknown>>(ctx.conn, s.python, payload, {
        become: ctx.become,
        // the script's own phase lines (`wheelwright: <venv>: installing 12 requirement(s)`)
        onLog: ctx.progress && ((line) => line.startsWith('wheelwright: ') && ctx.progress!(line.slice('wheelwright: '.length))),
      });
    } catch (e) {
      if (e instanceof VenvError) throw new UserError(`venv ${s.path} on ${ctx.host}: ${e.detail()}`);
      throw e;
    }
    const key = res.key as string | undefined;
    switch (res.need) {
      case 'key':
        throw new UserError(`${ctx.host} is ${key}, but no build host of group '${s.buildGroup}' has that key (build hosts: ${plan.buildHostsText})`);
      case 'packages': {
        const pkgs = res.packages as string[];
        if (ctx.check) return { ...outcome, changed: true, key, installedPackages: pkgs };
        const r = await invokeModule('package', { name: pkgs, state: s.distroPackageState, cache_valid_time: s.distroCacheValidTime }, ctx);
        outcome.commands++;
        if (r.failed) throw new UserError(`installing distro packages ${pkgs.join(', ')} on ${ctx.host} failed: ${r.msg ?? ''}`);
        outcome.installedPackages.push(...pkgs);
        continue;
      }
      case 'wheels': {
        const build = plan.builds!.get(key!)!;
        const buildConn = await ctx.connectionTo(build.host);
        const wheelDir = forKey(s.wheelPath, build.key);
        // a few at a time: each is a read on the build host and a write on the target
        const files = [...(res.wheels as string[])];
        const worker = async () => {
          for (let file = files.shift(); file !== undefined; file = files.shift()) {
            const data = await buildConn.get(posix.join(wheelDir, file));
            await ctx.conn.put(data, posix.join(WHEELHOUSE, build.key, file), { mode: 0o644, become: ctx.become });
            if (file.startsWith('pyc/')) outcome.pushedPycs++;
            else outcome.pushedWheels++;
            outcome.commands++;
          }
        };
        await Promise.all(Array.from({ length: Math.min(4, files.length) }, worker));
        continue;
      }
      default:
        return {
          ...outcome,
          changed: Boolean(res.changed) || outcome.installedPackages.length > 0,
          key,
          path: res.path as string,
          generation: res.generation as string | undefined,
          previous: res.previous as string | null | undefined,
          installed: res.installed as Record<string, string> | undefined,
          repaired: res.repaired as string[] | undefined,
          log: res.log as string | undefined,
        };
    }
  }
  throw new UserError(`venv ${s.path} on ${ctx.host}: still missing prerequisites after 4 rounds`);
}
