/**
 * The build-host step of python_venv_build (wheel-build mode): build every wheel a venv needs on
 * the build ("repo") host of one build key, in ONE remote command.
 *
 * buildWheels() sends src/wheels/build_wheels.py (stdlib-only Python) over
 * `conn.exec('<python> -', {stdin})` with the spec embedded as base64 JSON; the script prints one
 * `WW-RESULT {json}` line. See docs/wheel-build.md for the files it writes and the rules it follows.
 */
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BecomeOptions, Connection } from '../connection/types.js';
import { shSplit } from '../shell/split.js';
import { RemoteError, runRemoteScript } from '../remote/run.js';

/** What to build. Field comments name the role variable each one carries. */
export interface WheelBuildSpec {
  /** venv_install_destination_path: where the venv lives on targets. Its basename names the build-host files. */
  venvPath: string;
  /** Override for the basename used in file names (default: posix basename of venvPath). */
  venvBasename?: string;
  /** Build key `<distro>-<version>-<arch>` (see buildKey()); the lock is per key. */
  key: string;
  /** venv_python_executable (default python3): runs this script and the builder venv. */
  python?: string;
  /** venv_default_pip_packages + venv_pip_packages, merged (normalised again here). */
  requirements: readonly string[];
  /** venv_build_global_constraints: global pins, applied ahead of the source constraints. */
  globalConstraints?: readonly string[];
  /** venv_build_constraints: source constraints lines (e.g. `--constraint <upper-constraints URL>`). */
  sourceConstraints?: readonly string[];
  /** venv_build_requirements (default [setuptools, wheel]): the builder venv's build tools. */
  buildRequirements?: readonly string[];
  /** venv_build_requirements_extra (default []). */
  buildRequirementsExtra?: readonly string[];
  /** venv_default_pip_build_args (default `--no-build-isolation`): a string is split like a shell would. */
  defaultPipBuildArgs?: string | readonly string[];
  /** venv_pip_build_args (default ''). */
  pipBuildArgs?: string | readonly string[];
  /** venv_pip_build_env: environment for pip wheel (builds). */
  buildEnv?: Record<string, string>;
  /** venv_build_host_requirements_path: the per-key requirements dir (default /var/www/repo/os-releases/<release>/<key>/requirements). */
  requirementsDir?: string;
  /** venv_build_host_wheel_path: the shared wheel dir, never wiped (default .../<key>/wheels). */
  wheelDir?: string;
  /** openstack_release (default master): only used for the two defaults above. */
  release?: string;
  /** venv_build_host_venv_path (default /openstack/venvs/wheel-builder-<python basename>). */
  builderVenvPath?: string;
  /** Extra --find-links (dirs or URLs) besides the shared wheel dir. */
  findLinks?: readonly string[];
  /** Where the builder venv may bootstrap pip/setuptools/wheel from (default [/usr/share/python-wheels]). */
  bootstrapWheelDirs?: readonly string[];
  /** A package index URL; without one the build runs with --no-index (find-links only). */
  indexUrl?: string;
  /** Without indexUrl, let pip use its default (or configured) index instead of --no-index (`wheelwright wheels` without --find-links). */
  defaultIndex?: boolean;
  /**
   * Let pip read the build host's own configuration (pip.conf, PIP_* variables of the login
   * session). Default false: builds use only the sources named here; put settings such as a proxy
   * into buildEnv instead.
   */
  hostPipConfig?: boolean;
  /** venv_wheels_rebuild: build even when nothing changed, and bypass pip's cache (--no-cache-dir). */
  rebuild?: boolean;
  /** venv_wheels_rebuild AND venv_rebuild: also wipe and recreate the builder venv. */
  recreateBuilder?: boolean;
  /**
   * Distro packages the build needs (venv_build_distro_package_list). Checked by the same command;
   * when some are missing the result is `need: 'packages'` (nothing built) and the caller installs them.
   */
  distroPackages?: readonly string[];
  /** Only report an up-to-date result (--tags install); never build or write. Fails when a build is needed. */
  checkOnly?: boolean;
  /** Seconds to wait for the build key's lock (default 1800). */
  lockTimeoutSec?: number;
  /** Extra attempts after a network-type failure (default 2); build errors are never retried. */
  retries?: number;
  /** Seconds between those attempts (default 10). */
  retryDelaySec?: number;
  /**
   * Byte-code for the targets: compile each wheel's files once here into a companion next to the
   * wheels (`<wheel dir>/pyc/`, cached by wheel sha256), listed in the result's `pycs`
   * (src/remote/wwremote/pycache.py). For the role when its targets byte-compile (the default).
   */
  pycs?: boolean;
}

export interface BuiltWheel {
  /** File name in the shared wheel dir. */
  file: string;
  /** Project name as the wheel's METADATA spells it. */
  name: string;
  version: string;
  sha256: string;
  /** Bytes. */
  size: number;
}

/** A wheel's byte-code compiled on the build host: `file` (relative to the wheel dir), its sha256 and size. */
export interface ShippedPycs {
  /** sha256 of the wheel it was compiled from */
  wheel: string;
  file: string;
  sha256: string;
  size: number;
}

export interface PycStats {
  wheels: number;
  files: number;
  seconds: number;
  cpu: number;
}

export interface WheelBuildResult {
  /** False only when nothing was done at all (no build, no builder change, inputs unchanged). */
  changed: boolean;
  /** pip wheel ran (and succeeded). */
  built: boolean;
  builderChanged: boolean;
  inputsChanged: boolean;
  /** pip wheel attempts (0 when nothing had to be built). */
  attempts: number;
  key: string;
  /** The result pins, `name==version`, one per wheel of the resolved closure, sorted case-insensitively. */
  constraints: string[];
  wheels: BuiltWheel[];
  /** pip's output of the last run that did something (kept). */
  log: string;
  requirementsFile: string;
  globalConstraintsFile: string;
  sourceConstraintsFile: string;
  /** The result file `<requirements dir>/<venv basename>-constraints.txt`. */
  constraintsFile: string;
  /** The temporary wheel dir used (keyed by a hash of the full venv path, key and requirements dir). */
  buildDir: string;
  /** Byte-code companions (spec.pycs): one per wheel, and for the pip wheel targets take from their distro. */
  pycs?: ShippedPycs[];
  /** What compiling the companions cost on the build host: during pip wheel (a niced child) and after it; null when nothing was compiled. */
  pycsCompiled?: { duringBuild: PycStats | null; afterBuild: PycStats | null };
  /** Set when spec.distroPackages lists packages the host lacks: nothing was built; install them and call again. */
  need?: 'packages';
  packages?: string[];
}

export interface WheelBuildOptions {
  become?: BecomeOptions;
  /** Kill the remote command after this long (default: none; the lock has its own timeout). */
  timeoutMs?: number;
  /** The script's stderr as it arrives (it is quiet unless Python itself fails). */
  onStderr?: (chunk: Buffer) => void;
}

/** The build failed; the input and result files were removed so that the next run retries. */
export class WheelBuildError extends RemoteError {
  constructor(
    message: string,
    override readonly host: string,
    /** lock | builder | build | result | internal | transport */
    readonly stage: string,
    /** Last lines of pip's (or the script's) output. */
    override readonly tail: string,
    /** Log file on the build host, when there is one. */
    override readonly log: string | null,
    readonly attempts: number,
    readonly network: boolean,
  ) {
    super(message, stage, host, tail, log);
    this.name = 'WheelBuildError';
  }
}

/** The first line of every requirements/constraints file, as upstream writes it (tools and upstream's tests look for it). */
export const UPSTREAM_HEADER = '# Managed with python_venv_build role';

let scriptCache: string | undefined;
/** The Python script's text (from next to this module, or from src/ when running from dist/). */
export function buildScript(): string {
  if (scriptCache !== undefined) return scriptCache;
  const candidates = [new URL('./build_wheels.py', import.meta.url), new URL('../../src/wheels/build_wheels.py', import.meta.url)];
  for (const c of candidates) {
    try {
      scriptCache = readFileSync(fileURLToPath(c), 'utf8');
      return scriptCache;
    } catch {
      /* next */
    }
  }
  throw new Error('build_wheels.py not found next to src/wheels/build.ts');
}

/** The JSON the script receives (exported for tests). */
export function scriptSpec(spec: WheelBuildSpec): Record<string, unknown> {
  if (!spec.venvPath || !posix.isAbsolute(spec.venvPath)) throw new Error(`venvPath must be an absolute path, got ${JSON.stringify(spec.venvPath)}`);
  if (!spec.key || /[/\s]/.test(spec.key)) throw new Error(`invalid build key ${JSON.stringify(spec.key)}`);
  const python = spec.python ?? 'python3';
  const basename = spec.venvBasename ?? posix.basename(posix.normalize(spec.venvPath));
  if (!basename || basename === '/' || basename.includes('/')) throw new Error(`invalid venv basename ${JSON.stringify(basename)}`);
  const release = spec.release ?? 'master';
  const keyDir = `/var/www/repo/os-releases/${release}/${spec.key}`;
  const requirementsDir = spec.requirementsDir ?? `${keyDir}/requirements`;
  const wheelDir = spec.wheelDir ?? `${keyDir}/wheels`;
  for (const [n, p] of [['requirementsDir', requirementsDir], ['wheelDir', wheelDir]] as const) {
    if (!posix.isAbsolute(p)) throw new Error(`${n} must be an absolute path, got ${JSON.stringify(p)}`);
  }
  const requirements = normaliseRequirements(spec.requirements);
  const globalConstraints = normaliseConstraints(spec.globalConstraints);
  const sourceConstraints = normaliseConstraints(spec.sourceConstraints);
  return {
    venvPath: spec.venvPath,
    venvBasename: basename,
    key: spec.key,
    requirementsDir,
    wheelDir,
    builderVenvPath: spec.builderVenvPath ?? `/openstack/venvs/wheel-builder-${posix.basename(python)}`,
    files: {
      requirements: fileWithHeader(UPSTREAM_HEADER, requirements),
      globalConstraints: fileWithHeader(UPSTREAM_HEADER, globalConstraints),
      sourceConstraints: fileWithHeader(UPSTREAM_HEADER, sourceConstraints),
    },
    buildRequirements: normaliseRequirements(spec.buildRequirements ?? ['setuptools', 'wheel'], spec.buildRequirementsExtra),
    pipArgs: [...argList(spec.defaultPipBuildArgs ?? ['--no-build-isolation']), ...argList(spec.pipBuildArgs ?? [])],
    buildEnv: { ...(spec.buildEnv ?? {}) },
    findLinks: normaliseConstraints(spec.findLinks),
    bootstrapWheelDirs: normaliseConstraints(spec.bootstrapWheelDirs ?? ['/usr/share/python-wheels']),
    indexUrl: spec.indexUrl || null,
    defaultIndex: !!spec.defaultIndex,
    rebuild: !!spec.rebuild,
    hostPipConfig: !!spec.hostPipConfig,
    recreateBuilder: !!spec.recreateBuilder,
    checkOnly: !!spec.checkOnly,
    lockTimeoutSec: spec.lockTimeoutSec ?? 1800,
    retries: spec.retries ?? 2,
    retryDelaySec: spec.retryDelaySec ?? 10,
    distroPackages: normaliseConstraints(spec.distroPackages),
    ...(spec.pycs ? { pycs: true } : {}),
  };
}

/** Build (or confirm up to date) the wheels of one venv on the build host `conn`. One remote command. */
export async function buildWheels(conn: Connection, spec: WheelBuildSpec, opts: WheelBuildOptions = {}): Promise<WheelBuildResult> {
  const script = { file: 'build_wheels.py', main: buildScript(), spec: scriptSpec(spec) };
  const python = spec.python ?? 'python3';
  let res: Record<string, unknown> & { ok: boolean };
  try {
    res = await runRemoteScript(conn, python, script, { become: opts.become, timeoutMs: opts.timeoutMs, onStderr: opts.onStderr, what: 'wheel build' });
  } catch (e) {
    if (e instanceof RemoteError && !(e instanceof WheelBuildError)) throw new WheelBuildError(e.message, conn.host, 'transport', e.tail ?? '', null, 0, false);
    throw e;
  }
  if (!res.ok) {
    throw new WheelBuildError(
      `wheel build of ${spec.venvPath} (${spec.key}) on ${conn.host} failed: ${String(res.error)}`,
      conn.host,
      String(res.stage ?? 'internal'),
      String(res.tail ?? ''),
      (res.log as string | null) ?? null,
      Number(res.attempts ?? 0),
      !!res.network,
    );
  }
  const { ok: _ok, ...rest } = res;
  return rest as unknown as WheelBuildResult;
}

// ------------------------------------------------------------------------------------ pure helpers

/**
 * Merge requirement lists; trim entries (multi-line strings count as one entry per line), drop empty
 * ones, dedupe, sort case-insensitively (ties by the exact text, so the order is stable).
 */
export function normaliseRequirements(...lists: Array<readonly (string | null | undefined)[] | null | undefined>): string[] {
  const seen = new Set<string>();
  for (const l of cleanEntries(lists)) seen.add(l);
  return [...seen].sort((a, b) => {
    const la = a.toLowerCase();
    const lb = b.toLowerCase();
    return la < lb ? -1 : la > lb ? 1 : a < b ? -1 : a > b ? 1 : 0;
  });
}

/** Merge constraint lists: trim, drop empties, dedupe; order kept (earlier lists first). */
export function normaliseConstraints(...lists: Array<readonly (string | null | undefined)[] | null | undefined>): string[] {
  return [...new Set(cleanEntries(lists))];
}

function cleanEntries(lists: Array<readonly (string | null | undefined)[] | null | undefined>): string[] {
  const out: string[] = [];
  for (const list of lists) {
    for (const e of list ?? []) {
      if (e === null || e === undefined) continue;
      for (const part of String(e).split(/\r?\n/)) {
        const t = part.trim();
        if (t) out.push(t);
      }
    }
  }
  return out;
}

/**
 * For targets in wheel-build mode: `git+URL@ref#egg=name` (and other VCS URLs) and `name @ URL`
 * become the bare `name` (extras and environment markers kept): targets install by name from the
 * built wheels, pinned by the result constraints. Anything else is kept. Result normalised.
 */
export function rewriteForTargets(reqs: readonly (string | null | undefined)[]): string[] {
  const out: string[] = [];
  for (const req of normaliseRequirements(reqs)) {
    let r = req.replace(/^(-e|--editable)(\s+|=)/, '');
    if (!/:\/\/|^(git|hg|svn|bzr)\+/i.test(r)) {
      out.push(req); // no URL: a name or specifier, kept as written
      continue;
    }
    // An environment marker after a URL needs whitespace before ';' (PEP 508).
    let marker = '';
    const m = /^(.*?)\s+;\s*(.+)$/.exec(r);
    if (m) {
      r = m[1];
      marker = `; ${m[2]}`;
    }
    const direct = /^([A-Za-z0-9][A-Za-z0-9._-]*(?:\s*\[[^\]]*\])?)\s*@\s*\S+$/.exec(r);
    if (direct) {
      out.push(direct[1].replace(/\s+/g, '') + marker);
      continue;
    }
    const egg = /[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?)/.exec(r);
    out.push(egg ? egg[1] + marker : req); // a URL without #egg= cannot be named: kept
  }
  return normaliseRequirements(out);
}

/** Host facts as Ansible names them (with or without the `ansible_` prefix). */
export interface DistroFacts {
  distribution?: string;
  distribution_version?: string;
  distribution_major_version?: string;
  architecture?: string;
  ansible_distribution?: string;
  ansible_distribution_version?: string;
  ansible_distribution_major_version?: string;
  ansible_architecture?: string;
}

/** `<distro>-<version>-<arch>`, lowercase, spaces to `_`; X.Y for Ubuntu, the major version elsewhere. */
export function buildKey(facts: DistroFacts): string {
  const distro = facts.distribution ?? facts.ansible_distribution;
  const version = facts.distribution_version ?? facts.ansible_distribution_version;
  const major = facts.distribution_major_version ?? facts.ansible_distribution_major_version;
  const arch = facts.architecture ?? facts.ansible_architecture;
  if (!distro || !arch || (!version && !major)) {
    throw new Error(`cannot compute a build key: need distribution, distribution_version and architecture facts (got ${JSON.stringify(facts)})`);
  }
  let v: string;
  if (distro.trim().toLowerCase() === 'ubuntu') {
    const parts = (version ?? major ?? '').split('.');
    v = parts.slice(0, 2).join('.');
  } else {
    v = major || (version ?? '').split('.')[0];
  }
  return [distro, v, arch].map((s) => s.trim().toLowerCase().replace(/\s+/g, '_')).join('-');
}

/** One header comment line, then one entry per line, newline-terminated; empty entries dropped. */
export function fileWithHeader(header: string, lines: readonly (string | null | undefined)[]): string {
  let h = header.replace(/[\r\n]+/g, ' ').trim();
  if (!h.startsWith('#')) h = `# ${h}`;
  return `${h}\n${cleanEntries([lines]).map((l) => `${l}\n`).join('')}`;
}

export interface WheelFilename {
  /** Distribution name as in the file name (escaped: `-` became `_`). */
  name: string;
  /** PEP 503 normalised name, for comparisons. */
  normalisedName: string;
  version: string;
  build?: string;
  pythonTag: string;
  abiTag: string;
  platformTag: string;
}

/** Parse `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl` (PEP 427); null if it is not one. */
export function parseWheelFilename(file: string): WheelFilename | null {
  const base = posix.basename(file);
  const m = /^([^\s-]+?)-([^\s-]+?)(?:-(\d[^\s-]*))?-([^\s-]+?)-([^\s-]+?)-([^\s-]+?)\.whl$/.exec(base);
  if (!m) return null;
  const w: WheelFilename = {
    name: m[1],
    normalisedName: pep503(m[1]),
    version: m[2],
    pythonTag: m[4],
    abiTag: m[5],
    platformTag: m[6],
  };
  if (m[3] !== undefined) w.build = m[3];
  return w;
}

/** PEP 503 name normalisation. */
export function pep503(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}


function argList(a: string | readonly string[]): string[] {
  return typeof a === 'string' ? shSplit(a) : a.filter((x) => x !== '');
}
