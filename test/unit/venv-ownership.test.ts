/**
 * Ownership before deletion: check_replaceable() of src/venv/ensure_venv.py, called directly (the
 * script imported as a module, one Python process for every case), so `/`, a home directory and
 * mount points are checked without anything able to delete them if the check were wrong.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LocalConnection } from '../../src/connection/local.js';
import { ensureScriptPath, gcVenvs, rollbackVenv, VenvError } from '../../src/venv/ensure.js';
import { tempDir } from '../helpers/tmp.js';

const HARNESS = String.raw`
import importlib.util, json, os, sys
spec = importlib.util.spec_from_file_location("ensure_venv", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
out = []
for case in json.loads(sys.argv[2]):
    if case.get("cwd"):
        os.chdir(case["cwd"])
    path = case["path"]
    if path == "@holder-of-a-mount":  # a directory that is not a mount point but holds one
        mounts = m.ownership.mount_points()
        path = next((os.path.dirname(p) for p in sorted(mounts) if os.path.dirname(p) not in mounts and os.path.dirname(p) != "/"), None)
    try:
        m.check_replaceable(path, case.get("force", False))
        out.append({"path": path, "ok": True})
    except m.RemoteError as f:
        out.append({"path": path, "ok": False, "kind": f.kind, "error": f.message})
print(json.dumps(out))
`;

interface Case {
  path: string;
  force?: boolean;
  cwd?: string;
}
interface Outcome {
  path: string;
  ok: boolean;
  kind?: string;
  error?: string;
}

function check(cases: Case[], home: string): Outcome[] {
  const out = execFileSync('python3', ['-c', HARNESS, ensureScriptPath(), JSON.stringify(cases)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HOME: home },
  });
  return JSON.parse(out) as Outcome[];
}

describe('venv ownership before deletion (check_replaceable)', () => {
  const root = realpathSync(tempDir('ww-own-'));
  const home = join(root, 'home', 'user');
  const project = join(home, 'project');
  let results: Outcome[];
  let byName: Record<string, Outcome>;

  before(() => {
    mkdirSync(join(project, '.git'), { recursive: true });
    writeFileSync(join(project, 'README.md'), 'mine\n');
    mkdirSync(join(root, 'empty'));
    mkdirSync(join(root, 'data', 'sub'), { recursive: true });
    writeFileSync(join(root, 'data', 'precious.db'), 'x');
    writeFileSync(join(root, 'file.txt'), 'twelve bytes');
    mkdirSync(join(root, 'othervenv', 'bin'), { recursive: true });
    writeFileSync(join(root, 'othervenv', 'pyvenv.cfg'), 'home = /usr/bin\n');
    mkdirSync(join(root, 'ours'));
    writeFileSync(join(root, 'ours', '.wheelwright-marker.json'), '{}');
    mkdirSync(join(root, 'unfinished'));
    writeFileSync(join(root, 'unfinished', '.wheelwright-owned'), 'created by wheelwright\n');
    symlinkSync('gen.generations/abcdef012345', join(root, 'gen'));
    symlinkSync('/etc', join(root, 'elsewhere'));
    const named: Array<[string, Case]> = [
      ['missing', { path: join(root, 'nothing-here') }],
      ['empty', { path: join(root, 'empty') }],
      ['data', { path: join(root, 'data') }],
      ['data forced', { path: join(root, 'data'), force: true }],
      ['file', { path: join(root, 'file.txt') }],
      ['file forced', { path: join(root, 'file.txt'), force: true }],
      ['other venv', { path: join(root, 'othervenv') }],
      ['ours', { path: join(root, 'ours') }],
      ['unfinished', { path: join(root, 'unfinished') }],
      ['generations link', { path: join(root, 'gen') }],
      ['foreign link', { path: join(root, 'elsewhere') }],
      ['root', { path: '/', force: true }],
      ['home', { path: home, force: true }],
      ['above home', { path: dirname(home), force: true }],
      ['mount point', { path: '/proc', force: true }],
      ['holder of a mount', { path: '@holder-of-a-mount', force: true }],
      ['cwd', { path: project, cwd: project }],
      ['cwd forced', { path: project, cwd: project, force: true }],
      ['empty cwd', { path: join(root, 'empty'), cwd: join(root, 'empty') }],
      ['above cwd', { path: join(root, 'data'), cwd: join(root, 'data', 'sub') }],
    ];
    results = check(
      named.map(([, c]) => c),
      home,
    );
    byName = Object.fromEntries(named.map(([n], i) => [n, results[i]]));
  });

  it('nothing there, an empty directory, our marker, our unfinished build, our generations link: allowed', () => {
    for (const n of ['missing', 'empty', 'ours', 'unfinished', 'generations link']) expect(byName[n], n).to.include({ ok: true });
  });

  it('a non-empty directory, a file, another virtualenv, a foreign symlink: refused, naming what is there', () => {
    const host = execFileSync('hostname', { encoding: 'utf8' }).trim();
    for (const n of ['data', 'file', 'other venv', 'foreign link']) {
      expect(byName[n], n).to.include({ ok: false, kind: 'refused' });
      expect(byName[n].error, n).to.contain(`${byName[n].path} on host ${host}`).and.contain('--force');
    }
    expect(byName.data.error).to.contain('a directory with 2 entries (precious.db, sub) and no wheelwright marker');
    expect(byName.file.error).to.contain('a regular file (12 bytes)');
    expect(byName['other venv'].error).to.contain('a virtualenv not made by wheelwright');
    expect(byName['foreign link'].error).to.contain('a symlink to /etc');
  });

  it('--force replaces what is not ours, but never /, a home directory (or above), a mount point or a directory holding one', () => {
    expect(byName['data forced']).to.include({ ok: true });
    expect(byName['file forced']).to.include({ ok: true });
    expect(byName.root.error).to.match(/it is the root directory; wheelwright never replaces that, even with --force/);
    expect(byName.home.error).to.contain('it is a home directory');
    expect(byName['above home'].error).to.contain('it is a directory above a home directory');
    expect(byName['mount point'].error).to.contain('it is a mount point');
    if (byName['holder of a mount'].path) expect(byName['holder of a mount'].error).to.contain('a directory holding the mount point');
  });

  it('the current directory and anything above it are refused (even empty), --force allows them', () => {
    expect(byName.cwd).to.include({ ok: false, kind: 'refused' });
    expect(byName.cwd.error).to.contain('it is the current directory, a directory with 2 entries (.git, README.md)');
    expect(byName['empty cwd']).to.include({ ok: false });
    expect(byName['above cwd'].error).to.contain('a directory above the current directory');
    expect(byName['cwd forced']).to.include({ ok: true });
  });

  it('rollback switches only a generations symlink of ours; gc removes only cache names of ours', async () => {
    const conn = new LocalConnection();
    let err: unknown;
    try {
      await rollbackVenv(conn, join(root, 'elsewhere'), { python: 'python3' });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(VenvError);
    expect((err as VenvError).message).to.contain('is not a wheelwright generations venv').and.contain('a symlink to /etc');
    const cache = join(root, 'cache');
    const foreign = join(cache, 'my-notes');
    const ours = join(cache, '3.11-0123456789abcdef');
    mkdirSync(foreign, { recursive: true });
    writeFileSync(join(foreign, 'todo.txt'), 'x');
    mkdirSync(ours);
    const past = new Date(Date.now() - 90 * 86400e3);
    for (const d of [foreign, ours]) utimesSync(d, past, past);
    const r = await gcVenvs(conn, cache, 30, { python: 'python3' });
    expect(r.removed).to.deep.equal(['3.11-0123456789abcdef']);
    expect(existsSync(join(foreign, 'todo.txt')), 'a directory that is not a cache venv stays').to.equal(true);
  });
});
