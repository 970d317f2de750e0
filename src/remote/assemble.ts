/**
 * The remote side is one small stdlib-only Python package, `wwremote` (src/remote/wwremote: the one
 * error type and the result protocol, files, locks, logged commands, ownership checks, wheels, distro
 * packages, facts, symlinks, installer, fetch), shared by the scripts sent to hosts (ensure_venv.py, build_wheels.py).
 * A host needs nothing installed: assembleScript() puts the package's modules in front of the main
 * script, registered in sys.modules, so each call still sends ONE self-contained script.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Modules in dependency order. */
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

/** Python source that defines the wwremote package in memory (JSON strings are valid Python literals). */
export function remotePrelude(): string {
  if (prelude !== undefined) return prelude;
  const dir = packageDir();
  const lines = [
    '# --- wwremote (src/remote/wwremote), assembled by src/remote/assemble.ts',
    'import sys as _ww_sys, types as _ww_types',
    'def _ww_module(name, source):',
    '    m = _ww_types.ModuleType(name)',
    '    m.__file__ = "<wwremote>/" + name.replace(".", "/") + ".py"',
    '    if name == "wwremote":',
    '        m.__path__ = []',
    '    _ww_sys.modules[name] = m',
    '    parent, _, child = name.rpartition(".")',
    '    if parent:',
    '        setattr(_ww_sys.modules[parent], child, m)',
    '    exec(compile(source, m.__file__, "exec"), m.__dict__)',
  ];
  for (const m of MODULES) {
    const name = m === '__init__' ? 'wwremote' : `wwremote.${m}`;
    lines.push(`_ww_module(${JSON.stringify(name)}, ${JSON.stringify(readFileSync(`${dir}${m}.py`, 'utf8'))})`);
  }
  lines.push('# --- end of wwremote', '');
  prelude = lines.join('\n');
  return prelude;
}

/** The one script sent per call: the package, then the main script. */
export function assembleScript(main: string): string {
  return remotePrelude() + main;
}
