// Runs the bundled CLI (dist/bin/main.cjs, scripts/bundle.mjs: one CommonJS file) through
// vm.Script with a V8 code cache: a warm start deserializes the bytecode of every function an
// earlier run compiled instead of parsing and compiling ~2.4 MB of JavaScript again (Node 20 has no
// module compile cache of its own). The cache is keyed by the bundle's content (the sha256 the
// bundler writes to main.cjs.key), the Node version and the architecture.
//
// The cache is code: it is used only when the file and its directory belong to this user or root
// and are writable by no one else (the same trust as the bundle's own files), read through
// O_NOFOLLOW and checked on the open descriptor. It is kept beside the bundle when this user owns
// that directory (a checkout, or a global install run by root), else in
// $XDG_CACHE_HOME/wheelwright/code-cache (~/.cache/..., made 0700). Written once: when there was
// none (or V8 rejected it), or to replace one made by a run that ran no playbook (--help, doc, ...)
// after a playbook run, which compiles far more.
import { isAscii } from 'node:buffer';
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';

/** Subcommands and options that run no playbook: a cache made by them holds little. */
const LIGHT = new Set(['lab', 'venv', 'wheels', 'inventory', 'config', 'vault', 'doc', '-h', '--help', '--version', '--syntax-check', '--list-tasks', '--list-hosts', '--list-tags']);

/** 'P' when argv runs a playbook (the cache it leaves is the one worth keeping), else 'O'. */
export function runKind(argv) {
  return argv.length === 0 || argv.some((a) => LIGHT.has(a)) || LIGHT.has(argv[0]) ? 'O' : 'P';
}

/** The directories a cache is looked for in, in order: beside the bundle, then the user's. */
export function cacheDirs(bundle, env = process.env) {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return [dirname(bundle), join(base, 'wheelwright', 'code-cache')];
}

const euid = () => (typeof process.geteuid === 'function' ? process.geteuid() : -1);

/** Owned by this user or root, writable by no one else (st: a Stats). */
export function trustedStat(st, uid = euid()) {
  return (st.uid === uid || st.uid === 0) && (st.mode & 0o022) === 0;
}

/** The cache file's content (kind byte + V8 data) when it exists and may be trusted, else undefined. */
export function readTrusted(path) {
  let fd;
  try {
    const dir = lstatSync(dirname(path));
    if (!dir.isDirectory() || !trustedStat(dir)) return undefined;
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    const st = fstatSync(fd);
    if (!st.isFile() || !trustedStat(st) || st.size < 2) return undefined;
    const buf = Buffer.allocUnsafe(st.size);
    let got = 0;
    while (got < st.size) {
      const n = readSync(fd, buf, got, st.size - got, got);
      if (n <= 0) break;
      got += n;
    }
    return got === st.size ? buf : undefined;
  } catch {
    return undefined; // absent, unreadable, a symlink: compile
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Write `data` as `name` in the first directory this user may keep it in; old entries for the bundle go. */
export function writeCache(dirs, name, data) {
  const uid = euid();
  for (const [i, dir] of dirs.entries()) {
    try {
      if (i > 0) mkdirSync(dir, { recursive: true, mode: 0o700 });
      const st = lstatSync(dir);
      // beside the bundle only when this user owns that directory; the user's own directory always
      if (!st.isDirectory() || (st.mode & 0o022) !== 0 || st.uid !== uid) continue;
      const tmp = join(dir, `.${name}.${process.pid}.tmp`);
      const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o644);
      try {
        let off = 0;
        while (off < data.length) off += writeSync(fd, data, off, data.length - off);
      } finally {
        closeSync(fd);
      }
      try {
        renameSync(tmp, join(dir, name));
      } catch (e) {
        unlinkSync(tmp);
        throw e;
      }
      const prefix = name.slice(0, name.indexOf('.') + 1);
      for (const e of readdirSync(dir)) {
        if (e !== name && e.startsWith(prefix) && e.endsWith('.codecache')) {
          try {
            unlinkSync(join(dir, e));
          } catch {
            /* someone else's or gone */
          }
        }
      }
      return join(dir, name);
    } catch {
      /* read-only, full or foreign: try the next one */
    }
  }
  return undefined;
}

/**
 * Load the CommonJS bundle `file` with a code cache. Returns its exports and save(kind), to call
 * once the run is over (the functions it compiled are then in the cache it writes).
 */
export function loadBundle(file, opts = {}) {
  const raw = readFileSync(file);
  // esbuild writes ASCII: a one-byte string is cheaper to make and to hash for V8
  const src = isAscii(raw) ? raw.toString('latin1') : raw.toString('utf8');
  let key;
  try {
    key = readFileSync(`${file}.key`, 'latin1').trim();
  } catch {
    key = undefined; // a bundle without its key: no cache
  }
  const usable = key && /^[0-9a-f]{64}$/.test(key) && euid() >= 0;
  const name = `${basename(file)}.${key?.slice(0, 32)}-${process.version}-${process.arch}.codecache`;
  const dirs = opts.dirs ?? cacheDirs(file);
  let found;
  if (usable) {
    for (const d of dirs) {
      found = readTrusted(join(d, name));
      if (found) break;
    }
  }
  const wrapper = `(function (exports, require, module, __filename, __dirname, __wwImportMetaUrl) {${src}\n})`;
  // The bundle has no import() (scripts/bundle.mjs makes them require()); should one appear, Node's
  // own loader serves it where this Node has it (a callback would need --experimental-vm-modules).
  const main = vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
  const script = new vm.Script(wrapper, { filename: file, cachedData: found?.subarray(1), ...(main ? { importModuleDynamically: main } : {}) });
  const used = found !== undefined && !script.cachedDataRejected;
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, createRequire(file), mod, file, dirname(file), pathToFileURL(file).href);
  return {
    exports: mod.exports,
    /** whether a cache was found and accepted by V8 */
    cacheUsed: used,
    save(kind) {
      if (!usable) return undefined;
      if (used && !(found[0] === 0x4f && kind === 'P')) return undefined; // 'O' replaced after a playbook run
      return writeCache(dirs, name, Buffer.concat([Buffer.from(kind === 'P' ? 'P' : 'O', 'latin1'), script.createCachedData()]));
    },
  };
}
