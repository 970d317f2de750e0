/**
 * buildWheels() against the local machine as the build host (LocalConnection), every path in a
 * temp dir, packages from test/helpers/pypkgs.ts, no package index (--no-index --find-links).
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LocalConnection } from '../../src/connection/local.js';
import { buildWheels, rewriteForTargets, WheelBuildError, type WheelBuildResult, type WheelBuildSpec } from '../../src/wheels/build.js';
import { makeTestPackages, type TestPackages } from '../helpers/pypkgs.js';
import { tempDir } from '../helpers/tmp.js';

const KEY = 'debian-12-x86_64';
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

describe('wheels: buildWheels on the local machine', function () {
  this.timeout(120_000);
  const conn = new LocalConnection();
  let root: string;
  let pk: TestPackages;

  before(async () => {
    root = tempDir('ww-wheels-');
    pk = await makeTestPackages(join(root, 'pypkgs'));
  });
  after(() => {
    if (root && !process.env.WW_KEEP_TMP) rmSync(root, { recursive: true, force: true });
  });

  /** A spec with every path under root; `rel` picks the release (requirements dir). */
  function spec(over: Partial<WheelBuildSpec> & { rel?: string } = {}): WheelBuildSpec {
    const { rel = 'r1', ...rest } = over;
    return {
      venvPath: '/openstack/venvs/svc',
      key: KEY,
      python: PYTHON,
      requirements: ['ww-gamma'],
      globalConstraints: ['ww-alpha==1.0'],
      sourceConstraints: [],
      requirementsDir: join(root, 'repo', rel, KEY, 'requirements'),
      wheelDir: join(root, 'repo', 'shared', KEY, 'wheels'),
      builderVenvPath: join(root, 'wheel-builder'),
      findLinks: [pk.sdists],
      buildEnv: { PIP_CACHE_DIR: join(root, 'pip-cache') },
      retryDelaySec: 0,
      ...rest,
    };
  }
  const read = (p: string) => readFileSync(p, 'utf8');
  const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
  const inputsOf = (r: { requirementsFile: string; globalConstraintsFile: string; sourceConstraintsFile: string; constraintsFile: string }) => [
    r.requirementsFile,
    r.globalConstraintsFile,
    r.sourceConstraintsFile,
    r.constraintsFile,
  ];
  async function failure(s: WheelBuildSpec): Promise<WheelBuildError> {
    try {
      await buildWheels(conn, s);
    } catch (e) {
      expect(e).to.be.instanceOf(WheelBuildError);
      return e as WheelBuildError;
    }
    throw new Error('the build was expected to fail');
  }

  let first: WheelBuildResult;

  it('first build: wheels for the whole closure, alpha pinned by the global constraint', async () => {
    first = await buildWheels(conn, spec());
    expect(first.changed).to.equal(true);
    expect(first.built).to.equal(true);
    expect(first.attempts).to.equal(1);
    expect(first.constraints).to.deep.equal(['ww-alpha==1.0', 'ww-beta==1.0', 'ww-gamma==1.0']);
    const wheelDir = spec().wheelDir!;
    for (const w of first.wheels) {
      expect(existsSync(join(wheelDir, w.file)), w.file).to.equal(true);
      expect(w.sha256).to.equal(sha(join(wheelDir, w.file)));
      expect(w.size, `${w.file} size`).to.equal(statSync(join(wheelDir, w.file)).size); // the targets check it too
    }
    expect(first.wheels.map((w) => w.name)).to.deep.equal(['ww-alpha', 'ww-beta', 'ww-gamma']);
    // Files: one header line, then one entry per line, newline-terminated.
    const prefix = join(spec().requirementsDir!, 'svc');
    expect(first.requirementsFile).to.equal(`${prefix}-requirements.txt`);
    expect(first.constraintsFile).to.equal(`${prefix}-constraints.txt`);
    // upstream's header line first, on its own line
    const H = '# Managed with python_venv_build role\n';
    expect(read(first.requirementsFile)).to.equal(`${H}ww-gamma\n`);
    expect(read(first.globalConstraintsFile)).to.equal(`${H}ww-alpha==1.0\n`);
    expect(read(first.sourceConstraintsFile)).to.equal(H);
    // the result: header, the inputs' fingerprint, then the pins
    expect(read(first.constraintsFile)).to.match(/^# Managed with python_venv_build role\n# [^\n]*inputs sha256:[0-9a-f]{64}\nww-alpha==1\.0\nww-beta==1\.0\nww-gamma==1\.0\n$/);
    expect(existsSync(first.buildDir), 'temp wheel dir removed').to.equal(false);
    expect(read(first.log)).to.include('pip wheel');
    // a cold builder venv: ensurepip's wheels and the (plain) build requirements unpacked, no pip run for it
    expect(read(first.log)).to.include('--without-pip').and.include('would take them)').and.not.include('install build requirements');
  });

  it('rerun with the same inputs: changed false, pip not run, log untouched', async () => {
    const logBefore = read(first.log);
    const mtimeBefore = statSync(first.log).mtimeMs;
    const r = await buildWheels(conn, spec());
    expect(r).to.include({ changed: false, built: false, builderChanged: false, inputsChanged: false, attempts: 0 });
    expect(r.constraints).to.deep.equal(first.constraints);
    expect(r.wheels).to.deep.equal(first.wheels);
    expect(read(first.log)).to.equal(logBefore);
    expect(statSync(first.log).mtimeMs).to.equal(mtimeBefore);
  });

  it('the builder venv is refreshed only when its own spec (build requirements) changes', async () => {
    const s = spec({ buildRequirementsExtra: ['pip'] });
    const r = await buildWheels(conn, s);
    expect(r.builderChanged).to.equal(true);
    expect(r.built, 'a builder change alone does not rebuild the wheels').to.equal(false);
    expect((await buildWheels(conn, s)).builderChanged).to.equal(false);
    expect((await buildWheels(conn, spec())).builderChanged).to.equal(true);
    expect((await buildWheels(conn, spec())).changed).to.equal(false);
  });

  it('a requirement added (a git+file one): rebuilds and the result includes it', async () => {
    const reqs = ['ww-gamma', '', pk.gitRequirement, 'ww-gamma'];
    const r = await buildWheels(conn, spec({ requirements: reqs }));
    expect(r).to.include({ changed: true, built: true, inputsChanged: true });
    expect(r.constraints).to.deep.equal(['ww-alpha==1.0', 'ww-beta==1.0', 'ww-gamma==1.0', `ww-gitpkg==${pk.gitVersion}`]);
    expect(read(r.requirementsFile).split('\n').slice(1)).to.deep.equal([pk.gitRequirement, 'ww-gamma', '']);
    // Targets install by name; every name they ask for has a pin.
    const pinned = new Set(r.constraints.map((c) => c.split('==')[0]));
    for (const name of rewriteForTargets(reqs)) expect(pinned.has(name), name).to.equal(true);
    const again = await buildWheels(conn, spec({ requirements: reqs }));
    expect(again.changed).to.equal(false);
  });

  it('result file deleted: rebuilds even though the inputs did not change', async () => {
    const s = spec();
    const r0 = await buildWheels(conn, s); // back to the first inputs
    expect(r0.built).to.equal(true);
    unlinkSync(r0.constraintsFile);
    const r = await buildWheels(conn, s);
    expect(r).to.include({ built: true, inputsChanged: false, attempts: 1 });
    expect(read(r.constraintsFile)).to.include('ww-gamma==1.0\n');
  });

  it('a pinned wheel missing from the wheel dir: rebuilds', async () => {
    const s = spec();
    const r0 = await buildWheels(conn, s);
    expect(r0.changed).to.equal(false);
    unlinkSync(join(s.wheelDir!, r0.wheels.find((w) => w.name === 'ww-beta')!.file));
    const r = await buildWheels(conn, s);
    expect(r.built).to.equal(true);
    expect(existsSync(join(s.wheelDir!, r.wheels.find((w) => w.name === 'ww-beta')!.file))).to.equal(true);
  });

  it('rebuild flag: pip runs without its cache though nothing changed; the shared wheels are kept', async () => {
    const s = spec();
    const before = readdirSync(s.wheelDir!).sort();
    const r = await buildWheels(conn, { ...s, rebuild: true });
    expect(r.built).to.equal(true);
    expect(read(r.log)).to.include('--no-cache-dir');
    expect(readdirSync(s.wheelDir!).sort()).to.include.members(before);
  });

  it('a changed global constraint picks the other alpha; the shared wheel dir keeps both', async () => {
    const r = await buildWheels(conn, spec({ globalConstraints: ['ww-alpha==2.0'] }));
    expect(r.built).to.equal(true);
    expect(r.constraints).to.include('ww-alpha==2.0');
    expect(r.constraints).not.to.include('ww-alpha==1.0');
    const files = readdirSync(spec().wheelDir!);
    expect(files).to.include.members(['ww_alpha-1.0-py3-none-any.whl', 'ww_alpha-2.0-py3-none-any.whl']);
  });

  it('a package whose build fails: clean failure, inputs and result removed, the next run retries', async () => {
    const s = spec({ venvPath: '/openstack/venvs/brk', requirements: ['ww-gamma', 'ww-broken'] });
    const e = await failure(s);
    expect(e.stage).to.equal('build');
    expect(e.attempts, 'a build error is not retried').to.equal(1);
    expect(e.network).to.equal(false);
    expect(e.tail).to.include('ww-broken: this package never builds');
    expect(e.log).to.be.a('string');
    expect(read(e.log!)).to.include('never builds');
    const prefix = join(s.requirementsDir!, 'brk');
    for (const suffix of ['-requirements.txt', '-global-constraints.txt', '-source-constraints.txt', '-constraints.txt']) {
      expect(existsSync(prefix + suffix), suffix).to.equal(false);
    }
    const e2 = await failure(s); // not skipped as "unchanged": pip runs again
    expect(e2.attempts).to.equal(1);
    expect(e2.tail).to.include('never builds');
    const ok = await buildWheels(conn, { ...s, requirements: ['ww-gamma'] });
    expect(ok.built).to.equal(true);
    expect(inputsOf(ok).every((p) => existsSync(p))).to.equal(true);
  });

  it(`the C extension needs ${'liblz4-dev'} at build time`, async function () {
    const s = spec({ venvPath: '/openstack/venvs/cext', requirements: ['ww-cext'] });
    if (pk.cextDevInstalled) {
      const r = await buildWheels(conn, s);
      expect(r.constraints).to.deep.equal(['ww-cext==1.0']);
      expect(r.wheels[0].file).to.match(/^ww_cext-1\.0-cp3\d+-cp3\d+-linux_\w+\.whl$/);
      return;
    }
    // Not installed here: the build must fail cleanly with the compile error, once, and be retried next run.
    const e = await failure(s);
    expect(e.stage).to.equal('build');
    expect(e.attempts).to.equal(1);
    expect(e.network).to.equal(false);
    expect(e.tail).to.match(new RegExp(`${pk.cextHeader.replace('.', '\\.')}: No such file or directory`));
    const prefix = join(s.requirementsDir!, 'cext');
    for (const suffix of ['-requirements.txt', '-global-constraints.txt', '-source-constraints.txt', '-constraints.txt']) {
      expect(existsSync(prefix + suffix), suffix).to.equal(false);
    }
    expect(readdirSync(s.wheelDir!).some((f) => f.startsWith('ww_cext-'))).to.equal(false);
    const e2 = await failure(s);
    expect(e2.attempts).to.equal(1);
    expect(e2.tail).to.include(pk.cextHeader);
  });

  it('network failures are retried (and reported as such); an index URL does not refresh the builder venv', async () => {
    const stamp = join(spec().builderVenvPath!, '.ww-builder.json');
    const stampBefore = statSync(stamp).mtimeMs;
    const port = await closedPort();
    const s = spec({
      rel: 'net',
      venvPath: '/openstack/venvs/net',
      requirements: ['ww-not-anywhere'],
      indexUrl: `http://127.0.0.1:${port}/simple/`,
      buildEnv: { PIP_CACHE_DIR: join(root, 'pip-cache'), PIP_RETRIES: '1', PIP_TIMEOUT: '2' },
      retries: 2,
      retryDelaySec: 0,
    });
    const e = await failure(s);
    expect(e.network).to.equal(true);
    expect(e.attempts).to.equal(3);
    expect(e.message).to.match(/network/);
    expect(read(e.log!).match(/pip wheel \(attempt \d\)/g)).to.have.length(3);
    expect(statSync(stamp).mtimeMs).to.equal(stampBefore);
  });

  it('two venvs with the same basename at different paths build at once without colliding', async () => {
    const a = spec({ rel: 'ra', venvPath: '/openstack/venvs/a/same', requirements: ['ww-beta'], globalConstraints: ['ww-alpha==1.0'] });
    const b = spec({ rel: 'rb', venvPath: '/srv/other/same', requirements: ['ww-beta'], globalConstraints: ['ww-alpha==2.0'] });
    const [ra, rb] = await Promise.all([buildWheels(conn, a), buildWheels(conn, b)]);
    expect(ra.buildDir).not.to.equal(rb.buildDir);
    expect(ra.constraints).to.deep.equal(['ww-alpha==1.0', 'ww-beta==1.0']);
    expect(rb.constraints).to.deep.equal(['ww-alpha==2.0', 'ww-beta==1.0']);
    // The shared beta wheel is one file: both results record the hash of what is actually there.
    const betaA = ra.wheels.find((w) => w.name === 'ww-beta')!;
    const betaB = rb.wheels.find((w) => w.name === 'ww-beta')!;
    expect(betaA.sha256).to.equal(betaB.sha256);
    expect(betaA.sha256).to.equal(sha(join(a.wheelDir!, betaA.file)));
    // Same basename and requirements dir, different venv path: a different temp dir too.
    const c = spec({ rel: 'ra', venvPath: '/elsewhere/same', requirements: ['ww-beta'], globalConstraints: ['ww-alpha==1.0'], rebuild: true });
    const rc = await buildWheels(conn, c);
    expect(rc.buildDir).not.to.equal(ra.buildDir);
  });

  it('a second build of the same key waits for the lock and times out naming the holder', async () => {
    // The lock is held by a process the test controls (no build raced against a timer): it takes the
    // flock, records itself as FileLock does, says "held", and keeps the lock until its stdin closes.
    const s = spec({ rel: 'lock', venvPath: '/openstack/venvs/lk' });
    const lockFile = join(s.requirementsDir!, `.${KEY}.lock`);
    mkdirSync(s.requirementsDir!, { recursive: true });
    const holder = await holdLock(lockFile);
    try {
      const record = read(lockFile);
      const e = await failure({ ...s, lockTimeoutSec: 0.3 });
      expect(e.stage).to.equal('lock');
      expect(e.message).to.include(`pid ${holder.pid}`);
      expect(e.message).to.include(hostname());
      expect(e.message).to.include(holder.started);
      expect(e.message).to.include('held-by-test');
      // The timed-out run wrote nothing: no inputs, and the holder's record is intact.
      expect(readdirSync(s.requirementsDir!)).to.deep.equal([`.${KEY}.lock`]);
      expect(read(lockFile)).to.equal(record);
    } finally {
      await holder.release();
    }
    const r = await buildWheels(conn, { ...s, lockTimeoutSec: 0.3 });
    expect(r.built, 'the released lock is taken at once').to.equal(true);
  });
});

/** The Python side of holdLock: flock, record the holder as FileLock does, report, wait for stdin EOF. */
const HOLD_LOCK_PY = `
import fcntl, json, os, socket, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
info = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "for": "held-by-test"}
os.ftruncate(fd, 0)
os.pwrite(fd, (json.dumps(info, sort_keys=True) + "\\n").encode(), 0)
sys.stdout.write(json.dumps(info) + "\\n")
sys.stdout.flush()
sys.stdin.read()
`;

/** Holds the flock on `path` in a child process until release(); resolves once the lock is held. */
function holdLock(path: string): Promise<{ pid: number; started: string; release: () => Promise<void> }> {
  const child = spawn(PYTHON, ['-c', HOLD_LOCK_PY, path], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the lock holder exited (${code}) before taking the lock`)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (!out.includes('\n')) return;
      const info = JSON.parse(out) as { pid: number; started: string };
      resolve({
        ...info,
        release: async () => {
          child.stdin!.end();
          await exited;
        },
      });
    });
  });
}

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
