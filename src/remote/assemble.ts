/**
 * The remote side is one small stdlib-only Python package, `wwremote` (src/remote/wwremote: the one
 * error type and the result protocol, files, locks, logged commands, ownership checks, wheels, distro
 * packages, facts, symlinks, installer, fetch), shared by the scripts sent to hosts (ensure_venv.py, build_wheels.py).
 * A host needs nothing installed: assembleScript() puts the package's sources in front of the main
 * script, importable through a meta-path finder, so each call still sends ONE self-contained script.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

/** The modules of the package (src/remote/wwremote/NAME.py). */
const MODULES = ['__init__', 'jsonfast', 'relazy', 'errors', 'fsutil', 'lock', 'proc', 'ownership', 'wheelfile', 'distro', 'facts', 'symlinks', 'installer', 'fetch', 'pycache'] as const;

function packageDir(): string {
  const candidates = [new URL('./wwremote/', import.meta.url), new URL('../../src/remote/wwremote/', import.meta.url)];
  for (const u of candidates) {
    const p = fileURLToPath(u);
    if (existsSync(`${p}__init__.py`)) return p;
  }
  throw new Error(`the wwremote package was not found (looked in ${candidates.map((u) => fileURLToPath(u)).join(', ')})`);
}

let prelude: string | undefined;

/**
 * Python source that defines the wwremote package in memory (JSON strings are valid Python
 * literals). A module is compiled and run only when first imported (a meta-path finder over the
 * sources): a no-op never pays for the installer, fetch or zipfile/ssl.
 */
export function remotePrelude(): string {
  if (prelude !== undefined) return prelude;
  const dir = packageDir();
  const sources = MODULES.map((m) => `    ${JSON.stringify(m === '__init__' ? 'wwremote' : `wwremote.${m}`)}: ${JSON.stringify(readFileSync(`${dir}${m}.py`, 'utf8'))},`);
  const lines = [
    '# --- wwremote (src/remote/wwremote), assembled by src/remote/assemble.ts',
    'import sys as _ww_sys',
    'from importlib.machinery import ModuleSpec as _WwSpec',
    '_WW_SOURCES = {',
    ...sources,
    '}',
    'class _WwLoader(object):',
    '    @classmethod',
    '    def find_spec(cls, name, path=None, target=None):',
    '        if name not in _WW_SOURCES:',
    '            return None',
    '        spec = _WwSpec(name, cls, origin="<wwremote>/" + name.replace(".", "/") + ".py", is_package=(name == "wwremote"))',
    '        spec.has_location = False',
    '        return spec',
    '    @staticmethod',
    '    def create_module(spec):',
    '        return None',
    '    @staticmethod',
    '    def exec_module(module):',
    '        module.__file__ = module.__spec__.origin',
    '        exec(compile(_WW_SOURCES[module.__name__], module.__file__, "exec"), module.__dict__)',
    '_ww_sys.meta_path.insert(0, _WwLoader)',
    '# --- end of wwremote',
    '',
  ];
  prelude = lines.join('\n');
  return prelude;
}

/** The one script sent per call: the package, then the main script (run with `python3 -`: local use and tests). */
export function assembleScript(main: string): string {
  return remotePrelude() + main;
}

/**
 * What a host is sent: the boot (src/remote/boot.py, the command's `-c`), and on stdin a first line
 * `<key> <spec JSON>` and the program: every module's and the main script's source, compressed.
 * The boot keeps the program's compiled code on the host by `key`, so a warm call compiles nothing;
 * the spec is the only thing that differs between calls.
 */
export interface RemoteProgram {
  /** sha256 of the program (the host's code cache key) */
  key: string;
  /** zlib(JSON {module: [file name, source]}), "__main__" the main script */
  body: Buffer;
}

let boot: string | undefined;
/** The boot loader's source (`python3 -S -c` argument). */
export function remoteBoot(): string {
  boot ??= readFileSync(`${packageDir()}../boot.py`, 'utf8');
  return boot;
}

const programs = new Map<string, RemoteProgram>();
/** The program for a main script (`file`: its name in tracebacks), built once per process. */
export function remoteProgram(file: string, main: string): RemoteProgram {
  const id = `${file}\0${main}`;
  let p = programs.get(id);
  if (!p) {
    const dir = packageDir();
    const modules: Record<string, [string, string]> = {};
    for (const m of MODULES) {
      const name = m === '__init__' ? 'wwremote' : `wwremote.${m}`;
      modules[name] = [`<wwremote>/${name.replace(/\./g, '/')}.py`, readFileSync(`${dir}${m}.py`, 'utf8')];
    }
    modules.__main__ = [`<wheelwright>/${file}`, main];
    const json = JSON.stringify(modules);
    // zlib's default level: level 9 took twice the CPU (~7 ms a program, each run) for 0.6% less to send
    p = { key: createHash('sha256').update(json).digest('hex'), body: deflateSync(json, { level: 6 }) };
    programs.set(id, p);
  }
  return p;
}
