/**
 * The remote side is one small stdlib-only Python package, `wwremote` (src/remote/wwremote: the one
 * error type and the result protocol, files, locks, logged commands, ownership checks, wheels, distro
 * packages, facts, symlinks, installer, fetch), shared by the scripts sent to hosts (ensure_venv.py, build_wheels.py).
 * A host needs nothing installed: assembleScript() puts the package's sources in front of the main
 * script, importable through a meta-path finder, so each call still sends ONE self-contained script.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The modules of the package (src/remote/wwremote/NAME.py). */
const MODULES = ['__init__', 'errors', 'fsutil', 'lock', 'proc', 'ownership', 'wheelfile', 'distro', 'facts', 'symlinks', 'installer', 'fetch'] as const;

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

/** The one script sent per call: the package, then the main script. */
export function assembleScript(main: string): string {
  return remotePrelude() + main;
}
