/**
 * "Make this venv hold exactly these packages", over any Connection.
 *
 * The work is done by one self-contained Python script (ensure_venv.py, stdlib only, Python >= 3.6)
 * run on the host that owns the venv in ONE round trip: `<python> -` with the script on stdin and
 * the JSON spec embedded as a base64 literal. The same code serves the local CLI (`wheelwright venv`,
 * through LocalConnection) and the python_venv_build role on targets (through an SSH Connection).
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BecomeOptions, Connection } from '../connection/types.js';
import { assembleScript } from '../remote/assemble.js';
import { PROGRESS_PREFIX, RemoteError, runRemoteScript } from '../remote/run.js';
import { buildWheels as buildWheelDir, fileWithHeader, UPSTREAM_HEADER, WheelBuildError } from '../wheels/build.js';

export type VenvLayout = 'inplace' | 'generations';
export type PackageState = 'present' | 'latest' | 'absent' | 'forcereinstall';

export interface VenvFact {
  section: string;
  option: string;
  value: string | number | boolean;
}

export interface VenvSpec {
  /** The venv path services and users use. May contain `{pyver}` (e.g. 3.11) and `{hash}` (16 hex of the effective hash), expanded on the host. */
  path: string;
  /** inplace: `path` is the venv. generations: `path` is a symlink to `<path>.generations/<hash12>`, switched atomically. Default inplace. */
  layout?: VenvLayout;
  /** Interpreter that runs the script and creates the venv. Default python3. */
  python?: string;
  requirements: string[];
  constraints?: string[];
  globalConstraints?: string[];
  /** Installed (upgraded) first, e.g. setuptools, wheel. */
  buildRequirements?: string[];
  /** Local directories or URLs given to pip as --find-links. A local dir holding a pip wheel is also used to bootstrap pip. */
  findLinks?: string[];
  noIndex?: boolean;
  indexUrl?: string;
  trustedHosts?: string[];
  pre?: boolean;
  /** Extra words for `pip install` (each one argv word, never split). */
  pipArgs?: string[];
  /** Ignore the host's pip configuration files and PIP_* environment variables (spec.env still applies). Part of the hash. */
  isolated?: boolean;
  /** Environment for pip (e.g. REQUESTS_CA_BUNDLE). */
  env?: Record<string, string>;
  /** Default latest. Decides how pip runs when the marker does not match; it does not force work on a matching venv. */
  packageState?: PackageState;
  /** Force a new venv (inplace: wipe and recreate after a successful pre-resolve; generations: a new generation). Not part of the hash. */
  rebuild?: boolean;
  /** generations: how many to keep (current + previous = 2). */
  keep?: number;
  /** Seconds to wait for `<path>.lock`. Default 600. */
  lockTimeoutSec?: number;
  /** Anything else that should make a different venv (e.g. wheel hashes from the build host). Part of the hash. */
  extraMarker?: Record<string, unknown>;
  /** Role hook: absolute paths of distro-packaged top-level modules/packages to link into site-packages. Part of the hash. */
  symlinks?: string[];
  /**
   * Wheel-build targets: the closure's exact wheel files (from the build result). A new venv gets
   * exactly these, from `wheelhouse` (filled from `url` over http by the host itself, or pushed),
   * sha256-verified, installed without pip's resolver; unchanged ones hard-linked from the previous
   * generation. Not part of the hash (extraMarker carries the hashes).
   */
  pinned?: {
    wheels: Array<{ file: string; sha256: string; size?: number }>;
    wheelhouse: string;
    url?: string;
    /** Byte-code companions compiled on the build host (src/remote/wwremote/pycache.py): used when they fit the interpreter. */
    pycs?: Array<{ wheel: string; file: string; sha256: string; size: number }>;
  };
  /** Byte-compile what the pinned install unpacked (default true, as pip does). */
  compile?: boolean;
  /** Role hook: INI facts written when the venv changed. Not part of the hash. */
  facts?: { path: string; values: VenvFact[] };
  /** Touch `<path>.used` on every call (the local cache's last-use stamp, read by gc). */
  stampUse?: boolean;
  /**
   * Replace what exists at `path` although wheelwright did not create it (no marker). Without it such
   * a target is refused (kind 'refused'); even with it `/`, a home directory and mount points are.
   * Not part of the hash.
   */
  force?: boolean;
}

export interface VenvResult {
  changed: boolean;
  /** The expanded path. */
  path: string;
  /** The real venv directory (the generation dir for the generations layout). */
  venvDir: string;
  layout: VenvLayout;
  generation?: string;
  previous?: string | null;
  pruned?: string[];
  /** name -> version of everything in the venv. */
  installed: Record<string, string>;
  /** true when the installed set differs from before (only present after a build). */
  packagesChanged?: boolean;
  factsChanged?: boolean;
  log: string;
  /** Effective hash: spec hash + interpreter identity. */
  hash: string;
  python: { implementation: string; version: string; pyver: string; executable: string; realpath: string };
}

/** `refused`: the target exists and is not wheelwright's (ownership before deletion); a user error. */
export type VenvErrorKind = 'lock-timeout' | 'missing' | 'pip' | 'venv' | 'spec' | 'refused' | 'rollback' | 'internal' | 'transport';

/** A failed ensure: `logTail` is the end of pip's output for this run, `log` the full log path on the host. */
export class VenvError extends RemoteError {
  constructor(
    message: string,
    public override readonly kind: VenvErrorKind,
    public override readonly log?: string,
    public readonly logTail?: string,
    public readonly requirement?: string,
    public override readonly host?: string,
  ) {
    super(message, kind, host, logTail, log);
    this.name = 'VenvError';
  }

  /** Message + pip's output tail + log path, for printing. */
  detail(): string {
    let s = this.message;
    if (this.logTail) s += `\n--- last lines of pip's output ---\n${this.logTail}\n---`;
    if (this.log) s += `\nfull log: ${this.log}${this.host ? ` (on ${this.host})` : ''}`;
    return s;
  }
}

/** Trim, drop empty entries and duplicates (first wins), keep order. */
export function cleanLines(lines: readonly string[] | undefined): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const l of lines ?? []) {
    const s = String(l).trim();
    if (!s || seen.has(s)) continue;
    seen.add(s);
    out.push(s);
  }
  return out;
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) o[k] = canonical(x);
    }
    return o;
  }
  return v;
}

/**
 * Hash of everything that decides the venv's contents. The host adds the interpreter identity
 * (implementation, major.minor, real path) to get the effective hash (VenvResult.hash).
 */
export function specHash(spec: VenvSpec): string {
  const material = {
    v: 1,
    requirements: cleanLines(spec.requirements),
    constraints: cleanLines(spec.constraints),
    globalConstraints: cleanLines(spec.globalConstraints),
    buildRequirements: cleanLines(spec.buildRequirements),
    findLinks: cleanLines(spec.findLinks),
    noIndex: !!spec.noIndex,
    indexUrl: spec.indexUrl ?? null,
    trustedHosts: cleanLines(spec.trustedHosts),
    pre: !!spec.pre,
    pipArgs: spec.pipArgs ?? [],
    env: spec.env ?? {},
    isolated: !!spec.isolated,
    packageState: spec.packageState ?? 'latest',
    symlinks: cleanLines(spec.symlinks),
    extraMarker: spec.extraMarker ?? null,
  };
  return createHash('sha256').update(JSON.stringify(canonical(material))).digest('hex');
}

let scriptCache: string | undefined;

/** Locate ensure_venv.py from src/venv (tsx) and dist/venv (compiled) alike. */
export function ensureScriptPath(): string {
  const candidates = [new URL('./ensure_venv.py', import.meta.url), new URL('../../src/venv/ensure_venv.py', import.meta.url)];
  for (const u of candidates) {
    const p = fileURLToPath(u);
    if (existsSync(p)) return p;
  }
  throw new Error(`ensure_venv.py not found (looked at ${candidates.map((u) => fileURLToPath(u)).join(', ')})`);
}

export function ensureScriptText(): string {
  scriptCache ??= readFileSync(ensureScriptPath(), 'utf8');
  return scriptCache;
}

const PLACEHOLDER = /^SPEC_B64 = None {2}# @@WW_SPEC@@.*$/m;

/** The script with `payload` embedded (base64: no quoting problems whatever the content). */
export function renderScript(payload: Record<string, unknown>): string {
  const text = ensureScriptText();
  if (!PLACEHOLDER.test(text)) throw new Error('ensure_venv.py: spec placeholder line not found');
  const b64 = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64');
  return assembleScript(text.replace(PLACEHOLDER, () => `SPEC_B64 = "${b64}"`));
}

/** The payload the script receives for an ensure: the spec (lists cleaned) plus its hash. */
export function ensurePayload(spec: VenvSpec): Record<string, unknown> {
  return {
    ...spec,
    action: 'ensure',
    layout: spec.layout ?? 'inplace',
    requirements: cleanLines(spec.requirements),
    constraints: cleanLines(spec.constraints),
    globalConstraints: cleanLines(spec.globalConstraints),
    buildRequirements: cleanLines(spec.buildRequirements),
    findLinks: cleanLines(spec.findLinks),
    trustedHosts: cleanLines(spec.trustedHosts),
    symlinks: cleanLines(spec.symlinks),
    packageState: spec.packageState ?? 'latest',
    hash: specHash(spec),
  };
}

export interface RunOptions {
  become?: BecomeOptions;
  timeoutMs?: number;
  /** Progress lines from the script (stderr), as they arrive. */
  onLog?: (line: string) => void;
}

export { RESULT_PREFIX } from '../remote/run.js';

/** Run the script with `payload` through `conn` using `python`; parse the one result line. */
export async function runVenvScript<T = Record<string, unknown>>(
  conn: Connection,
  python: string,
  payload: Record<string, unknown>,
  opts: RunOptions = {},
): Promise<T> {
  let partial = '';
  const onStderr = opts.onLog
    ? (chunk: Buffer) => {
        partial += chunk.toString('utf8');
        const lines = partial.split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) opts.onLog!(l);
      }
    : undefined;
  const res = await runRemoteScript(conn, python, { file: 'ensure_venv.py', main: ensureScriptText(), spec: payload }, { become: opts.become, timeoutMs: opts.timeoutMs, onStderr, what: 'venv script' }).catch(
    (e: unknown) => {
      if (e instanceof RemoteError && !(e instanceof VenvError)) throw new VenvError(`${e.message}${e.tail ? `: ${e.tail}` : ''}`, 'transport', undefined, undefined, undefined, conn.host);
      throw e;
    },
  );
  if (partial && opts.onLog) opts.onLog(partial);
  if (!res.ok) {
    let msg = String(res.error ?? 'venv script failed');
    if (res.traceback) msg += `\n${String(res.traceback)}`;
    throw new VenvError(
      msg,
      (res.kind as VenvErrorKind) ?? 'internal',
      res.log as string | undefined,
      res.logTail as string | undefined,
      res.requirement as string | undefined,
      conn.host,
    );
  }
  return res as T;
}

/** Make `spec.path` hold exactly the spec's packages (no-op, fast, when the marker matches). */
export async function ensureVenv(conn: Connection, spec: VenvSpec, opts: RunOptions = {}): Promise<VenvResult> {
  if (!spec.path) throw new VenvError('venv spec has no path', 'spec');
  return runVenvScript<VenvResult>(conn, spec.python ?? 'python3', ensurePayload(spec), opts);
}

export interface RollbackResult {
  changed: boolean;
  path: string;
  venvDir: string;
  generation: string;
  previous: string | null;
  installed: Record<string, string>;
}

/** generations layout: point `path` back at the previous generation (or the named one). */
export async function rollbackVenv(
  conn: Connection,
  path: string,
  opts: RunOptions & { generation?: string; python?: string; lockTimeoutSec?: number } = {},
): Promise<RollbackResult> {
  return runVenvScript<RollbackResult>(conn, opts.python ?? 'python3', {
    action: 'rollback',
    path,
    generation: opts.generation,
    lockTimeoutSec: opts.lockTimeoutSec,
  }, opts);
}

export interface GcResult {
  changed: boolean;
  root: string;
  removed: string[];
  busy: string[];
  kept: string[];
}

/** Remove venvs under `root` whose `<venv>.used` stamp is older than keepDays, skipping locked ones. */
export async function gcVenvs(conn: Connection, root: string, keepDays: number, opts: RunOptions & { python?: string; now?: number } = {}): Promise<GcResult> {
  return runVenvScript<GcResult>(conn, opts.python ?? 'python3', { action: 'gc', root, keepDays, now: opts.now }, opts);
}

export interface WheelsSpec {
  /** The builder venv (an ensure spec: typically buildRequirements + local wheels of setuptools/wheel). */
  builder: VenvSpec;
  wheelDir: string;
  requirements: string[];
  constraints?: string[];
  globalConstraints?: string[];
  findLinks?: string[];
  noIndex?: boolean;
  indexUrl?: string;
  trustedHosts?: string[];
  pre?: boolean;
  /** e.g. ['--no-build-isolation'] */
  pipArgs?: string[];
  env?: Record<string, string>;
  isolated?: boolean;
  /** Write `name==version` of every wheel of the closure here (one header line, then one pin per line). */
  pinsFile?: string;
  /** Log path on the host (default `<wheelDir>.log`). */
  log?: string;
  lockTimeoutSec?: number;
}

export interface WheelsResult {
  changed: boolean;
  wheelDir: string;
  wheels: string[];
  pins: string[];
  log: string;
  builder: string;
}

/**
 * Build wheels for the requirements' closure into wheelDir, with THE wheel builder (the role's,
 * src/wheels/build.ts: locked, incremental, a builder venv kept beside the cache dir). The pins go
 * to spec.pinsFile on the same host.
 */
export async function buildWheels(conn: Connection, spec: WheelsSpec, opts: RunOptions = {}): Promise<WheelsResult> {
  const python = spec.builder.python ?? 'python3';
  const cache = posix.dirname(spec.builder.path);
  const id = createHash('sha256').update(spec.wheelDir).digest('hex').slice(0, 12);
  const builderVenvPath = posix.join(cache, `wheel-builder-${posix.basename(python)}`);
  let partial = '';
  const onStderr = opts.onLog
    ? (chunk: Buffer) => {
        partial += chunk.toString('utf8');
        const lines = partial.split('\n');
        partial = lines.pop() ?? '';
        // the build script's phase lines (`WW-PROGRESS building 3/40 wheels`) read as progress
        for (const l of lines) opts.onLog!(l.startsWith(PROGRESS_PREFIX) ? `wheelwright: ${l.slice(PROGRESS_PREFIX.length)}` : l);
      }
    : undefined;
  let r;
  try {
    r = await buildWheelDir(
      conn,
      {
        venvPath: spec.wheelDir,
        venvBasename: 'wheels',
        key: `local-${id}`,
        python,
        requirements: spec.requirements,
        globalConstraints: spec.globalConstraints,
        sourceConstraints: spec.constraints,
        buildRequirements: spec.builder.requirements,
        defaultPipBuildArgs: spec.pipArgs ?? ['--no-build-isolation'],
        buildEnv: spec.env,
        requirementsDir: posix.join(cache, 'wheel-builds', id),
        wheelDir: spec.wheelDir,
        builderVenvPath,
        findLinks: spec.findLinks,
        bootstrapWheelDirs: spec.builder.findLinks,
        indexUrl: spec.indexUrl,
        defaultIndex: !spec.noIndex && !spec.indexUrl,
        hostPipConfig: !spec.isolated,
        lockTimeoutSec: spec.lockTimeoutSec,
        retries: 0,
      },
      { become: opts.become, timeoutMs: opts.timeoutMs, onStderr },
    );
  } catch (e) {
    if (e instanceof WheelBuildError) {
      throw new VenvError(e.message, e.stage === 'lock' ? 'lock-timeout' : e.stage === 'transport' ? 'transport' : 'pip', e.log ?? undefined, e.tail, undefined, conn.host);
    }
    throw e;
  }
  if (partial && opts.onLog) opts.onLog(partial);
  if (spec.pinsFile) await conn.put(fileWithHeader(UPSTREAM_HEADER, r.constraints), spec.pinsFile, { become: opts.become });
  return { changed: r.changed, wheelDir: spec.wheelDir, wheels: r.wheels.map((w) => w.file), pins: r.constraints, log: r.log, builder: builderVenvPath };
}
