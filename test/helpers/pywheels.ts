/**
 * Tiny pure-Python wheels for venv tests (no package index is reachable). Written with the system
 * interpreter's zipfile: a wheel is a zip with the package, METADATA, WHEEL and RECORD.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { processTempDir } from './tmp.js';

export const SYSTEM_PYTHON = '/usr/bin/python3';

export interface WheelDef {
  name: string;
  version: string;
  /** Requires-Dist lines, e.g. ['alpha>=1.0'] */
  deps?: string[];
}

const WRITER = String.raw`
import base64, hashlib, json, os, sys, zipfile
out, defs = sys.argv[1], json.loads(sys.argv[2])
for d in defs:
    name, ver, deps = d["name"], d["version"], d.get("deps") or []
    mod = name.replace("-", "_")
    info = "%s-%s.dist-info" % (mod, ver)
    files = {
        "%s/__init__.py" % mod: "VERSION = %r\nNAME = %r\n" % (ver, name),
        info + "/METADATA": "Metadata-Version: 2.1\nName: %s\nVersion: %s\n%s" % (
            name, ver, "".join("Requires-Dist: %s\n" % x for x in deps)),
        info + "/WHEEL": "Wheel-Version: 1.0\nGenerator: wheelwright-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for p, c in files.items():
        data = c.encode()
        h = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (p, h, len(data)))
    record.append(info + "/RECORD,,")
    files[info + "/RECORD"] = "\n".join(record) + "\n"
    path = os.path.join(out, "%s-%s-py3-none-any.whl" % (mod, ver))
    with zipfile.ZipFile(path, "w") as z:
        for p, c in files.items():
            z.writestr(p, c)
`;

/** Write wheels for `defs` into `dir` (created if needed). */
export function makeWheels(dir: string, defs: WheelDef[]): string {
  mkdirSync(dir, { recursive: true });
  execFileSync(SYSTEM_PYTHON, ['-c', WRITER, dir, JSON.stringify(defs)], { stdio: ['ignore', 'ignore', 'inherit'] });
  return dir;
}

export interface TestWheels {
  root: string;
  /** alpha 1.0, alpha 2.0, beta 1.0 (depends on alpha) */
  all: string;
  /** alpha 1.0 and beta 1.0 only */
  v1: string;
}

let cached: TestWheels | undefined;

/** The standard set, built once per test run. */
export function testWheels(): TestWheels {
  if (cached) return cached;
  const root = processTempDir('ww-wheels-'); // cached for the process, so not removed after one file
  const all = makeWheels(join(root, 'all'), [
    { name: 'alpha', version: '1.0' },
    { name: 'alpha', version: '2.0' },
    { name: 'beta', version: '1.0', deps: ['alpha'] },
  ]);
  const v1 = makeWheels(join(root, 'v1'), [
    { name: 'alpha', version: '1.0' },
    { name: 'beta', version: '1.0', deps: ['alpha'] },
  ]);
  cached = { root, all, v1 };
  return cached;
}
