/**
 * `wheelwright venv ...`: local venvs built only from local wheel directories (no index), with the
 * same ensure script the python_venv_build role runs on targets (src/venv/ensure_venv.py).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { constants as osConstants } from 'node:os';
import { interruptLocalCommands, LocalConnection } from '../connection/local.js';
import { EXIT, UserError } from '../errors.js';
import { ensureVenv, gcVenvs, rollbackVenv, VenvError, type VenvResult, type VenvSpec } from '../venv/ensure.js';
import { networkUrlIn, parseRequirementsFile, venvCacheDir, wheelDirFingerprint } from '../venv/local.js';
import { helpText, intOption, numberOption, parseCommand, UsageError, usageErrorText, type CommandDecl, type OptionDecl } from './options.js';

const SOURCE_OPTIONS = {
  wheels: { type: 'string', short: 'w', multiple: true, arg: 'DIR', help: 'a local wheel directory to install from' },
  'find-links': { type: 'string', short: 'f', multiple: true, arg: 'DIR', aliasOf: 'wheels', help: '' },
  constraint: { type: 'string', short: 'c', multiple: true, arg: 'FILE', help: 'a constraints file' },
  'allow-network': { type: 'boolean', help: 'allow requirement lines that use the network (URLs, -f/-i URL); refused otherwise' },
} as const satisfies Record<string, OptionDecl>;
const COMMON_OPTIONS = {
  python: { type: 'string', arg: 'PY', help: 'the Python to build the venv with (default $WHEELWRIGHT_PYTHON or python3)' },
  'lock-timeout': { type: 'string', arg: 'SEC', help: 'how long to wait for another process holding the venv lock (default 600)' },
  quiet: { type: 'boolean', short: 'q', help: 'no progress on stderr' },
} as const satisfies Record<string, OptionDecl>;

const ABOUT =
  "Venvs are built only from the given wheel directories (pip --no-index), ignoring pip's own config;\n" +
  'requirement lines that use the network (-f/-i/--extra-index-url URL, name @ URL, http(s)://, git+https://)\n' +
  'are refused (exit 5, with file and line) unless --allow-network is given.\n' +
  'ensure/run use a cache: $XDG_CACHE_HOME/wheelwright/venvs/<python version>-<hash> (default ~/.cache).';

const CREATE = {
  name: 'venv create',
  usage: ['venv create <venv-dir> <requirements.txt> [options]'],
  about:
    'Creates (or brings up to date) the venv at <venv-dir>, in place; its marker is written last.\n' +
    'It replaces only what wheelwright made: an existing file or non-empty directory without its marker\n' +
    '(or the current directory, or one above it) is refused with exit 5 unless --force; /, $HOME and\n' +
    'mount points are refused even then. An empty directory is used as it is.',
  options: {
    ...SOURCE_OPTIONS,
    generations: { type: 'boolean', help: 'build each change as a new generation directory, switch a symlink' },
    keep: { type: 'string', arg: 'N', help: 'generations to keep (with --generations)' },
    rebuild: { type: 'boolean', help: 'build again even when the venv is up to date' },
    force: { type: 'boolean', help: 'replace what is at <venv-dir> although wheelwright did not make it (never /, $HOME, a mount point)' },
    ...COMMON_OPTIONS,
  },
} as const satisfies CommandDecl;
const ENSURE = {
  name: 'venv ensure',
  usage: ['venv ensure <requirements.txt> [options]'],
  about: 'Makes sure a cached venv for the requirements exists and prints only its path on stdout.\n' + ABOUT,
  options: { ...SOURCE_OPTIONS, ...COMMON_OPTIONS },
} as const satisfies CommandDecl;
const RUN = {
  name: 'venv run',
  usage: ['venv run <requirements.txt> [options] -- <command...>'],
  about: 'Runs the command in the cached venv for the requirements; its exit code passes through.\n' + ABOUT,
  options: { ...SOURCE_OPTIONS, ...COMMON_OPTIONS },
  passThrough: true,
} as const satisfies CommandDecl;
const ROLLBACK = {
  name: 'venv rollback',
  usage: ['venv rollback <venv-path> [options]'],
  about: 'Switches a generations venv back to its previous (or the named) generation.',
  options: { generation: { type: 'string', arg: 'NAME', help: 'the generation to switch to' }, ...COMMON_OPTIONS },
} as const satisfies CommandDecl;
const GC = {
  name: 'venv gc',
  usage: ['venv gc [options]'],
  about: 'Removes cached venvs not used for a while (venvs in use are kept).',
  options: { 'keep-days': { type: 'string', arg: 'N', help: 'keep venvs used within N days (default 30)' }, ...COMMON_OPTIONS },
} as const satisfies CommandDecl;

export const VENV_COMMANDS = { create: CREATE, ensure: ENSURE, run: RUN, rollback: ROLLBACK, gc: GC } as const;

/** `wheelwright venv` alone or with --help: the synopsis of every venv command. */
export const VENV = {
  name: 'venv',
  usage: Object.values(VENV_COMMANDS).map((c) => c.usage[0]!),
  about: `Local venvs, no SSH. \`wheelwright venv COMMAND --help\` shows a command's options.\n${ABOUT}`,
  options: {},
} as const satisfies CommandDecl;

interface Parsed {
  positional: string[];
  wheels: string[];
  constraints: string[];
  python: string;
  quiet: boolean;
  generations: boolean;
  keep?: number;
  rebuild: boolean;
  force: boolean;
  allowNetwork: boolean;
  keepDays?: number;
  lockTimeoutSec?: number;
  generation?: string;
  command: string[];
  help: boolean;
}

function parseVenvArgs(cmd: CommandDecl, args: string[]): Parsed {
  const { values: v, positionals, rest, help } = parseCommand(cmd, args) as { values: Record<string, any>; positionals: string[]; rest: string[]; help: boolean };
  return {
    positional: positionals,
    wheels: ((v.wheels as string[] | undefined) ?? []).map((d) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(d) ? d : resolve(d))),
    constraints: (v.constraint as string[] | undefined) ?? [],
    python: (v.python as string | undefined) ?? (process.env.WHEELWRIGHT_PYTHON || 'python3'),
    quiet: v.quiet === true,
    generations: v.generations === true,
    keep: v.keep === undefined ? undefined : intOption(cmd, 'keep', v.keep, 0, 1),
    rebuild: v.rebuild === true,
    force: v.force === true,
    allowNetwork: v['allow-network'] === true,
    keepDays: numberOption(cmd, 'keep-days', v['keep-days'], undefined, 0),
    lockTimeoutSec: numberOption(cmd, 'lock-timeout', v['lock-timeout'], undefined, 0),
    generation: v.generation,
    command: rest,
    help,
  };
}

/** Build the ensure spec for a requirements file + wheel dirs + constraint files. */
export function localSpec(
  reqFile: string,
  p: Pick<Parsed, 'wheels' | 'constraints' | 'python' | 'lockTimeoutSec'> & { allowNetwork?: boolean },
  path: string,
): VenvSpec {
  const net = { allowNetwork: p.allowNetwork ?? false };
  const req = parseRequirementsFile(reqFile, false, net);
  const constraints = [...req.constraints];
  for (const w of p.wheels) {
    const url = net.allowNetwork ? undefined : networkUrlIn(w);
    if (url) throw new UserError(`--wheels ${w} would use the network; wheelwright venv installs only from local wheel directories: pass --allow-network to allow it`);
  }
  const findLinks = [...p.wheels, ...req.findLinks];
  for (const c of p.constraints) {
    const parsed = parseRequirementsFile(c, true, net);
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
export async function ensureCachedVenv(
  reqFile: string,
  p: Pick<Parsed, 'wheels' | 'constraints' | 'python' | 'lockTimeoutSec' | 'quiet'> & { allowNetwork?: boolean },
): Promise<VenvResult> {
  const spec = localSpec(reqFile, p, join(venvCacheDir(), '{pyver}-{hash}'));
  return ensureVenv(new LocalConnection(), spec, { onLog: logger(p.quiet) });
}

/** The venv script was stopped by a signal to the CLI (see interruptible). */
class Interrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
  }
}

const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * SIGINT/SIGTERM/SIGHUP while the venv script runs: kill its process group (Python and the pip it
 * started; the kernel releases the venv lock with them), let the call end, then exit 128+signal.
 * Nothing keeps running, and the next run repairs (the marker is written last).
 */
async function interruptible<T>(work: () => Promise<T>): Promise<T> {
  let caught: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    caught ??= sig;
    interruptLocalCommands(`interrupted by ${sig}`);
  };
  for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
  try {
    const r = await work().catch((e: unknown) => {
      throw caught ? new Interrupted(caught) : e;
    });
    if (caught) throw new Interrupted(caught);
    return r;
  } finally {
    for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
  }
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
      if (!sub) throw new UsageError('venv needs a command', VENV);
      process.stdout.write(helpText(VENV));
      return EXIT.ok;
    }
    const cmd = VENV_COMMANDS[sub as keyof typeof VENV_COMMANDS] as CommandDecl | undefined;
    if (!cmd) throw new UsageError(`unknown venv command ${JSON.stringify(sub)}`, VENV);
    const p = parseVenvArgs(cmd, rest);
    if (p.help) {
      process.stdout.write(helpText(cmd));
      return EXIT.ok;
    }
    switch (sub) {
      case 'create': {
        if (p.positional.length !== 2) throw new UsageError('create takes <venv-dir> <requirements.txt>', cmd);
        const [dir, req] = p.positional as [string, string];
        const spec = localSpec(req, p, resolve(dir));
        spec.stampUse = false;
        spec.layout = p.generations ? 'generations' : 'inplace';
        spec.keep = p.keep;
        spec.rebuild = p.rebuild;
        spec.force = p.force;
        const r = await interruptible(() => ensureVenv(new LocalConnection(), spec, { onLog: logger(p.quiet) }));
        if (!p.quiet) process.stderr.write(`${summary(r)}\n`);
        process.stdout.write(`${r.path}\n`);
        return EXIT.ok;
      }
      case 'ensure': {
        if (p.positional.length !== 1) throw new UsageError('ensure takes <requirements.txt>', cmd);
        const r = await interruptible(() => ensureCachedVenv(p.positional[0]!, p));
        process.stdout.write(`${r.path}\n`);
        return EXIT.ok;
      }
      case 'run': {
        if (p.positional.length !== 1) throw new UsageError('run takes <requirements.txt> -- <command...>', cmd);
        if (!p.command.length) throw new UsageError('run needs a command after --', cmd);
        return await runInVenv(p.positional[0]!, p);
      }
      case 'rollback': {
        if (p.positional.length !== 1) throw new UsageError('rollback takes <venv-path>', cmd);
        const r = await interruptible(() =>
          rollbackVenv(new LocalConnection(), resolve(p.positional[0]!), {
            generation: p.generation,
            python: p.python,
            lockTimeoutSec: p.lockTimeoutSec,
          }),
        );
        if (!p.quiet) process.stderr.write(`${r.path}: now generation ${r.generation} (was ${r.previous ?? 'none'})\n`);
        process.stdout.write(`${r.venvDir}\n`);
        return EXIT.ok;
      }
      default: {
        if (p.positional.length) throw new UsageError('gc takes no arguments', cmd);
        const r = await interruptible(() => gcVenvs(new LocalConnection(), venvCacheDir(), p.keepDays ?? 30, { python: p.python }));
        if (!p.quiet) {
          for (const n of r.removed) process.stderr.write(`removed ${n}\n`);
          for (const n of r.busy) process.stderr.write(`in use, kept ${n}\n`);
          process.stderr.write(`gc: ${r.removed.length} removed, ${r.busy.length} in use, ${r.kept.length} kept\n`);
        }
        return EXIT.ok;
      }
    }
  } catch (e) {
    return reportError(e, VENV);
  }
}

/** Exit code and stderr text for what a local command threw (the same format as the playbook command). */
export function reportError(e: unknown, cmd: CommandDecl): number {
  if (e instanceof UsageError) {
    process.stderr.write(usageErrorText(e, cmd));
    return EXIT.badInput;
  }
  if (e instanceof UserError) {
    process.stderr.write(`ERROR: ${e.message}\n`);
    return EXIT.badInput;
  }
  if (e instanceof Interrupted) {
    process.stderr.write(`wheelwright: ${e.message}: the venv step was stopped (its lock is released; the next run repairs)\n`);
    return 128 + (osConstants.signals[e.signal] ?? 0);
  }
  if (e instanceof VenvError) {
    process.stderr.write(`ERROR: ${e.detail()}\n`);
    return e.kind === 'spec' || e.kind === 'refused' ? EXIT.badInput : EXIT.hostFailed;
  }
  process.stderr.write(`INTERNAL ERROR: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return EXIT.internal;
}



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
    const r = await interruptible(() => ensureCachedVenv(reqFile, { ...p, quiet: p.quiet }));
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
