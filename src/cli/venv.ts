/**
 * `wheelwright venv ...`: local venvs built only from local wheel directories (no index), with the
 * same ensure script the python_venv_build role runs on targets (src/venv/ensure_venv.py).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { constants as osConstants } from 'node:os';
import { LocalConnection } from '../connection/local.js';
import { EXIT, UserError } from '../errors.js';
import { ensureVenv, gcVenvs, rollbackVenv, VenvError, type VenvResult, type VenvSpec } from '../venv/ensure.js';
import { parseRequirementsFile, venvCacheDir, wheelDirFingerprint } from '../venv/local.js';

export const VENV_USAGE = `usage:
  wheelwright venv create <venv-dir> <requirements.txt> [--wheels DIR ...] [-c FILE ...] [--python PY]
                          [--generations [--keep N]] [--rebuild]
  wheelwright venv ensure <requirements.txt> [--wheels DIR ...] [-c FILE ...] [--python PY]
  wheelwright venv run <requirements.txt> [--wheels DIR ...] [-c FILE ...] [--python PY] -- <command...>
  wheelwright venv rollback <venv-path> [--generation NAME] [--python PY]
  wheelwright venv gc [--keep-days N] [--python PY]

Venvs are built only from the given wheel directories (pip --no-index), ignoring pip's own config.
ensure/run use a cache: $XDG_CACHE_HOME/wheelwright/venvs/<python version>-<hash> (default ~/.cache);
ensure prints only the venv path on stdout. Options: -q/--quiet (no progress on stderr),
--lock-timeout SEC (default 600). Environment: WHEELWRIGHT_PYTHON (default python3).
`;

class UsageError extends Error {}

interface Parsed {
  positional: string[];
  wheels: string[];
  constraints: string[];
  python: string;
  quiet: boolean;
  generations: boolean;
  keep?: number;
  rebuild: boolean;
  keepDays?: number;
  lockTimeoutSec?: number;
  generation?: string;
  command: string[];
}

function parseArgs(args: string[]): Parsed {
  const p: Parsed = {
    positional: [],
    wheels: [],
    constraints: [],
    python: process.env.WHEELWRIGHT_PYTHON || 'python3',
    quiet: false,
    generations: false,
    rebuild: false,
    command: [],
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const value = (): string => {
      if (eq > 0) return a.slice(eq + 1);
      const v = args[++i];
      if (v === undefined || v === '') throw new UsageError(`${name} needs a value`);
      return v;
    };
    const num = (min: number): number => {
      const v = value();
      const n = Number(v);
      if (!/^\d+(\.\d+)?$/.test(v) || n < min) throw new UsageError(`${name}: expected a number >= ${min}, got ${JSON.stringify(v)}`);
      return n;
    };
    switch (name) {
      case '--':
        p.command = args.slice(i + 1);
        i = args.length;
        break;
      case '--wheels':
      case '-w':
      case '--find-links':
      case '-f':
        p.wheels.push(resolve(value()));
        break;
      case '-c':
      case '--constraint':
        p.constraints.push(value());
        break;
      case '--python':
        p.python = value();
        break;
      case '-q':
      case '--quiet':
        p.quiet = true;
        break;
      case '--generations':
        p.generations = true;
        break;
      case '--keep':
        p.keep = num(1);
        break;
      case '--rebuild':
        p.rebuild = true;
        break;
      case '--keep-days':
        p.keepDays = num(0);
        break;
      case '--lock-timeout':
        p.lockTimeoutSec = num(0);
        break;
      case '--generation':
        p.generation = value();
        break;
      case '-h':
      case '--help':
        throw new UsageError('');
      default:
        if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option ${a}`);
        p.positional.push(a);
    }
  }
  return p;
}

/** Build the ensure spec for a requirements file + wheel dirs + constraint files. */
export function localSpec(reqFile: string, p: Pick<Parsed, 'wheels' | 'constraints' | 'python' | 'lockTimeoutSec'>, path: string): VenvSpec {
  const req = parseRequirementsFile(reqFile);
  const constraints = [...req.constraints];
  const findLinks = [...p.wheels, ...req.findLinks];
  for (const c of p.constraints) {
    const parsed = parseRequirementsFile(c, true);
    constraints.push(...parsed.constraints);
    findLinks.push(...parsed.findLinks);
  }
  for (const d of findLinks) {
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(d) && !existsSync(d)) throw new UserError(`wheel directory ${d} does not exist`);
  }
  return {
    path,
    python: p.python,
    requirements: req.requirements,
    constraints,
    findLinks,
    noIndex: true,
    isolated: true,
    packageState: 'latest',
    lockTimeoutSec: p.lockTimeoutSec,
    extraMarker: { wheels: wheelDirFingerprint(findLinks) },
    stampUse: true,
  };
}

/** ensure a cached venv for reqFile; returns the ensure result. */
export async function ensureCachedVenv(reqFile: string, p: Pick<Parsed, 'wheels' | 'constraints' | 'python' | 'lockTimeoutSec' | 'quiet'>): Promise<VenvResult> {
  const spec = localSpec(reqFile, p, join(venvCacheDir(), '{pyver}-{hash}'));
  return ensureVenv(new LocalConnection(), spec, { onLog: logger(p.quiet) });
}

function logger(quiet: boolean): ((l: string) => void) | undefined {
  return quiet ? undefined : (l) => process.stderr.write(`${l}\n`);
}

function summary(r: VenvResult): string {
  const pkgs = Object.entries(r.installed)
    .filter(([n]) => !['pip', 'setuptools', 'wheel'].includes(n.toLowerCase()))
    .map(([n, v]) => `${n}==${v}`)
    .join(' ');
  return `${r.changed ? 'updated' : 'up to date'}: ${r.path}${r.generation ? ` (generation ${r.generation})` : ''}${pkgs ? `: ${pkgs}` : ''}`;
}

export async function venvCli(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  try {
    if (!sub || sub === '-h' || sub === '--help') {
      process[sub ? 'stdout' : 'stderr'].write(VENV_USAGE);
      return sub ? EXIT.ok : EXIT.badInput;
    }
    const p = parseArgs(rest);
    switch (sub) {
      case 'create': {
        if (p.positional.length !== 2 || p.command.length) throw new UsageError('create takes <venv-dir> <requirements.txt>');
        const [dir, req] = p.positional;
        const spec = localSpec(req, p, resolve(dir));
        spec.stampUse = false;
        spec.layout = p.generations ? 'generations' : 'inplace';
        spec.keep = p.keep;
        spec.rebuild = p.rebuild;
        const r = await ensureVenv(new LocalConnection(), spec, { onLog: logger(p.quiet) });
        if (!p.quiet) process.stderr.write(`${summary(r)}\n`);
        process.stdout.write(`${r.path}\n`);
        return EXIT.ok;
      }
      case 'ensure': {
        if (p.positional.length !== 1 || p.command.length) throw new UsageError('ensure takes <requirements.txt>');
        const r = await ensureCachedVenv(p.positional[0], p);
        process.stdout.write(`${r.path}\n`);
        return EXIT.ok;
      }
      case 'run': {
        if (p.positional.length !== 1) throw new UsageError('run takes <requirements.txt> -- <command...>');
        if (!p.command.length) throw new UsageError('run needs a command after --');
        return await runInVenv(p.positional[0], p);
      }
      case 'rollback': {
        if (p.positional.length !== 1) throw new UsageError('rollback takes <venv-path>');
        const r = await rollbackVenv(new LocalConnection(), resolve(p.positional[0]), {
          generation: p.generation,
          python: p.python,
          lockTimeoutSec: p.lockTimeoutSec,
        });
        if (!p.quiet) process.stderr.write(`${r.path}: now generation ${r.generation} (was ${r.previous ?? 'none'})\n`);
        process.stdout.write(`${r.venvDir}\n`);
        return EXIT.ok;
      }
      case 'gc': {
        if (p.positional.length || p.command.length) throw new UsageError('gc takes no arguments');
        const r = await gcVenvs(new LocalConnection(), venvCacheDir(), p.keepDays ?? 30, { python: p.python });
        if (!p.quiet) {
          for (const n of r.removed) process.stderr.write(`removed ${n}\n`);
          for (const n of r.busy) process.stderr.write(`in use, kept ${n}\n`);
          process.stderr.write(`gc: ${r.removed.length} removed, ${r.busy.length} in use, ${r.kept.length} kept\n`);
        }
        return EXIT.ok;
      }
      default:
        throw new UsageError(`unknown venv command ${JSON.stringify(sub)}`);
    }
  } catch (e) {
    return reportError(e, VENV_USAGE);
  }
}

export function reportError(e: unknown, usage: string): number {
  if (e instanceof UsageError) {
    process.stderr.write(`${e.message ? `wheelwright: ${e.message}\n` : ''}${usage}`);
    return e.message ? EXIT.badInput : EXIT.ok;
  }
  if (e instanceof UserError) {
    process.stderr.write(`wheelwright: ${e.message}\n`);
    return EXIT.badInput;
  }
  if (e instanceof VenvError) {
    process.stderr.write(`wheelwright: ERROR: ${e.detail()}\n`);
    return e.kind === 'spec' ? EXIT.badInput : EXIT.hostFailed;
  }
  process.stderr.write(`wheelwright: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return EXIT.internal;
}

export { UsageError };

/**
 * Runs the command through the venv's python, which takes a shared lock on `<venv>.used` (so gc
 * leaves an in-use venv alone) and exec()s the command: the command IS the child process, so
 * exit codes and signals are its own. Exit 199 with the marker gone: gc removed the venv between
 * ensure and lock; ensure again.
 */
const RUNNER = String.raw`
import fcntl, os, sys
stamp, marker, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
fd = os.open(stamp, os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_SH)
if not os.path.exists(marker):
    sys.exit(199)
os.utime(stamp, None)
os.set_inheritable(fd, True)
try:
    os.execvp(cmd[0], cmd)
except FileNotFoundError:
    sys.stderr.write("wheelwright: command not found: %s\n" % cmd[0]); sys.exit(127)
except PermissionError:
    sys.stderr.write("wheelwright: permission denied: %s\n" % cmd[0]); sys.exit(126)
`;

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

async function runInVenv(reqFile: string, p: Parsed): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const r = await ensureCachedVenv(reqFile, { ...p, quiet: p.quiet });
    const venv = r.venvDir;
    const env: NodeJS.ProcessEnv = { ...process.env, VIRTUAL_ENV: venv, PATH: `${join(venv, 'bin')}:${process.env.PATH ?? ''}` };
    delete env.PYTHONHOME;
    const child = spawn(join(venv, 'bin', 'python'), ['-I', '-c', RUNNER, `${r.path}.used`, join(venv, '.wheelwright-marker.json'), ...p.command], {
      stdio: 'inherit',
      env,
    });
    const handlers = FORWARDED.map((sig) => {
      const h = () => {
        if (child.pid) {
          try {
            process.kill(child.pid, sig);
          } catch {
            /* already gone */
          }
        }
      };
      process.on(sig, h);
      return [sig, h] as const;
    });
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res, rej) => {
      child.on('error', rej);
      child.on('exit', (c, s) => res({ code: c, signal: s }));
    }).finally(() => {
      for (const [sig, h] of handlers) process.off(sig, h);
    });
    if (code === 199 && attempt === 0 && !existsSync(join(venv, '.wheelwright-marker.json'))) continue;
    if (signal) {
      // Die of the same signal so our parent sees what the command did.
      process.kill(process.pid, signal);
      return 128 + (osConstants.signals[signal] ?? 0);
    }
    return code ?? EXIT.internal;
  }
}
