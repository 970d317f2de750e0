/**
 * ensureVenv over LocalConnection with real venv/pip and wheels the tests build (no index).
 */
import { expect } from 'chai';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalConnection } from '../../src/connection/local.js';
import { ensurePayload, ensureVenv, gcVenvs, renderScript, rollbackVenv, VenvError, type VenvSpec } from '../../src/venv/ensure.js';
import { SYSTEM_PYTHON, testWheels } from '../helpers/pywheels.js';
import { tempDir } from '../helpers/tmp.js';

const conn = new LocalConnection();
const MARKER = '.wheelwright-marker.json';

function spec(path: string, requirements: string[], extra: Partial<VenvSpec> = {}): VenvSpec {
  return { path, python: SYSTEM_PYTHON, requirements, findLinks: [testWheels().all], noIndex: true, isolated: true, ...extra };
}

/** What the venv's own interpreter imports. */
function importVersion(venvPath: string, mod: string): string {
  return execFileSync(join(venvPath, 'bin', 'python'), ['-c', `import ${mod}; print(${mod}.VERSION)`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function builds(log: string): number {
  return existsSync(log) ? (readFileSync(log, 'utf8').match(/^=== wheelwright build /gm) ?? []).length : 0;
}

async function expectVenvError(p: Promise<unknown>): Promise<VenvError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(VenvError);
    return e as VenvError;
  }
  throw new Error('expected a VenvError');
}

describe('venv ensure (real pip, local wheels)', function () {
  this.timeout(60000);
  let root: string;
  before(() => {
    testWheels();
    root = tempDir('ww-venv-');
  });

  describe('in place', () => {
    it('cache miss builds; a cache hit runs no pip and changes nothing', async () => {
      const path = join(root, 'hit');
      const r1 = await ensureVenv(conn, spec(path, ['beta']));
      expect(r1.changed).to.equal(true);
      expect(r1.venvDir).to.equal(path);
      expect(r1.installed).to.include({ alpha: '2.0', beta: '1.0' });
      expect(importVersion(path, 'alpha')).to.equal('2.0');
      const log = `${path}.log`;
      const before = statSync(log);
      const markerBefore = readFileSync(join(path, MARKER), 'utf8');
      const r2 = await ensureVenv(conn, spec(path, ['beta', '', 'beta']));
      expect(r2.changed).to.equal(false);
      expect(r2.hash).to.equal(r1.hash);
      expect(r2.installed).to.deep.equal(r1.installed);
      expect(statSync(log).size, 'nothing appended to the log: pip did not run').to.equal(before.size);
      expect(builds(log)).to.equal(1);
      expect(readFileSync(join(path, MARKER), 'utf8')).to.equal(markerBefore);
    });

    it('writes requirements/constraints files: one header line, one entry per line, newline-terminated', async () => {
      const path = join(root, 'files');
      await ensureVenv(conn, spec(path, ['beta', '', ' beta '], { constraints: ['alpha==1.0', '', 'alpha==1.0'], globalConstraints: [] }));
      expect(readFileSync(join(path, 'requirements.txt'), 'utf8')).to.match(/^# [^\n]*\nbeta\n$/);
      expect(readFileSync(join(path, 'constraints.txt'), 'utf8')).to.match(/^# [^\n]*\nalpha==1\.0\n$/);
      expect(readFileSync(join(path, 'global-constraints.txt'), 'utf8')).to.match(/^# [^\n]*\n$/);
      expect(importVersion(path, 'alpha'), 'the constraint was honoured').to.equal('1.0');
      const marker = JSON.parse(readFileSync(join(path, MARKER), 'utf8'));
      expect(marker.installed).to.include('alpha==1.0').and.include('beta==1.0');
      expect(marker.python.pyver).to.match(/^3\.\d+$/);
    });

    it('updates in place when the requirements change', async () => {
      const path = join(root, 'update');
      await ensureVenv(conn, spec(path, ['alpha==1.0']));
      writeFileSync(join(path, 'keepme'), 'x');
      const r = await ensureVenv(conn, spec(path, ['alpha==2.0', 'beta']));
      expect(r.changed).to.equal(true);
      expect(r.packagesChanged).to.equal(true);
      expect(r.installed).to.include({ alpha: '2.0', beta: '1.0' });
      expect(importVersion(path, 'alpha')).to.equal('2.0');
      expect(existsSync(join(path, 'keepme')), 'updated in place, not recreated').to.equal(true);
    });

    it('a venv without marker (partial) is wiped and recreated', async () => {
      const path = join(root, 'hit'); // built by the first test
      expect(existsSync(join(path, MARKER))).to.equal(true);
      unlinkSync(join(path, MARKER));
      writeFileSync(join(path, 'junk-from-failed-run'), 'x');
      const r = await ensureVenv(conn, spec(path, ['beta']));
      expect(r.changed).to.equal(true);
      expect(existsSync(join(path, 'junk-from-failed-run'))).to.equal(false);
      expect(existsSync(join(path, MARKER))).to.equal(true);
      expect(readFileSync(`${path}.log`, 'utf8')).to.contain('partial venv');
    });

    it('a missing wheel fails before touching the good venv, naming the requirement', async () => {
      const path = join(root, 'update'); // holds alpha==2.0 + beta from the previous test
      const marker = readFileSync(join(path, MARKER), 'utf8');
      const reqs = readFileSync(join(path, 'requirements.txt'), 'utf8');
      const e = await expectVenvError(ensureVenv(conn, spec(path, ['alpha==2.0', 'beta', 'gamma>=1'])));
      expect(e.kind).to.equal('missing');
      expect(e.requirement).to.contain('gamma');
      expect(e.message).to.contain("requirement 'gamma");
      expect(e.log).to.equal(`${path}.log`);
      expect(e.logTail).to.contain('No matching distribution found for gamma');
      expect(readFileSync(join(path, MARKER), 'utf8'), 'marker untouched').to.equal(marker);
      expect(readFileSync(join(path, 'requirements.txt'), 'utf8')).to.equal(reqs);
      const again = await ensureVenv(conn, spec(path, ['alpha==2.0', 'beta']));
      expect(again.changed, 'the previous venv is still the good one').to.equal(false);
      expect(readdirSync(root).filter((n) => n.includes('ww-staging'))).to.deep.equal([]);
    });

    it('a creation killed mid-install (SIGKILL) leaves no marker; the next call recovers', async () => {
      const path = join(root, 'killed');
      const s = spec(path, ['beta']);
      const child: ChildProcess = spawn(SYSTEM_PYTHON, ['-'], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
      child.stdin!.end(renderScript(ensurePayload(s)));
      const exited = new Promise((res) => child.on('exit', res));
      const deadline = Date.now() + 20000;
      // Wait until pip is installing the requirements into the venv, then kill the whole group.
      while (!(existsSync(`${path}.log`) && /pip install --upgrade/.test(readFileSync(`${path}.log`, 'utf8')))) {
        if (Date.now() > deadline) throw new Error('creation never reached pip install');
        await new Promise((r) => setTimeout(r, 20));
      }
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
      expect(existsSync(join(path, 'pyvenv.cfg')), 'the venv dir was being created').to.equal(true);
      expect(existsSync(join(path, MARKER)), 'no marker after a kill').to.equal(false);
      const r = await ensureVenv(conn, { ...s, lockTimeoutSec: 5 });
      expect(r.changed).to.equal(true);
      expect(r.installed).to.include({ beta: '1.0' });
      expect(importVersion(path, 'beta')).to.equal('1.0');
    });

    it('a lock held by another process times out naming the holder', async () => {
      const path = join(root, 'locked');
      const holder = spawn(SYSTEM_PYTHON, [
        '-c',
        `import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, b"pid=%d host=test-holder" % os.getpid())
print("locked", flush=True)
time.sleep(60)`,
        `${path}.lock`,
      ]);
      try {
        await new Promise<void>((res) => holder.stdout!.once('data', () => res()));
        const e = await expectVenvError(ensureVenv(conn, spec(path, ['alpha'], { lockTimeoutSec: 1 })));
        expect(e.kind).to.equal('lock-timeout');
        expect(e.message).to.contain('test-holder').and.contain(`pid=${holder.pid}`);
      } finally {
        holder.kill('SIGKILL');
      }
      expect(existsSync(path)).to.equal(false);
    });

    it('a missing interpreter is a clear error', async () => {
      const e = await expectVenvError(ensureVenv(conn, spec(join(root, 'nopy'), ['alpha'], { python: '/nonexistent/python3' })));
      expect(e.kind).to.equal('transport');
      expect(e.message).to.contain('/nonexistent/python3');
    });
  });

  describe('generations', () => {
    it('switches atomically, keeps the previous, prunes older, rolls back, reuses a kept generation', async () => {
      const path = join(root, 'gen');
      const g = (reqs: string[], extra: Partial<VenvSpec> = {}) => spec(path, reqs, { layout: 'generations', keep: 2, ...extra });
      const r1 = await ensureVenv(conn, g(['alpha==1.0']));
      expect(r1.generation).to.equal(r1.hash.slice(0, 12));
      expect(readlinkSync(path)).to.equal(`gen.generations/${r1.generation}`);
      expect(importVersion(path, 'alpha')).to.equal('1.0');

      const hit = await ensureVenv(conn, g(['alpha==1.0']));
      expect(hit.changed).to.equal(false);

      const r2 = await ensureVenv(conn, g(['alpha==2.0']));
      expect(r2.previous).to.equal(r1.generation);
      expect(importVersion(path, 'alpha')).to.equal('2.0');
      expect(importVersion(r1.venvDir, 'alpha'), 'previous generation kept intact').to.equal('1.0');

      // A failing build leaves the current generation in place.
      const bad = await expectVenvError(ensureVenv(conn, g(['gamma'])));
      expect(bad.kind).to.equal('missing');
      expect(readlinkSync(path)).to.equal(`gen.generations/${r2.generation}`);

      const r3 = await ensureVenv(conn, g(['alpha==2.0', 'beta']));
      expect(r3.previous).to.equal(r2.generation);
      const gens = readdirSync(`${path}.generations`).sort();
      expect(gens, 'r1 pruned (keep 2), failed leftover removed').to.deep.equal([r2.generation, r3.generation].sort());

      const rb = await rollbackVenv(conn, path, { python: SYSTEM_PYTHON });
      expect(rb.generation).to.equal(r2.generation);
      expect(rb.previous).to.equal(r3.generation);
      expect(readlinkSync(path)).to.equal(`gen.generations/${r2.generation}`);
      expect(() => importVersion(path, 'beta')).to.throw();

      // Asking for r3's spec again switches back to the kept generation without pip.
      const logSize = statSync(`${path}.log`).size;
      const back = await ensureVenv(conn, g(['alpha==2.0', 'beta']));
      expect(back.changed).to.equal(true);
      expect(back.generation).to.equal(r3.generation);
      expect(statSync(`${path}.log`).size).to.equal(logSize);
      expect(importVersion(path, 'beta')).to.equal('1.0');

      // rebuild makes a fresh generation even though the hash is the same.
      const rebuilt = await ensureVenv(conn, g(['alpha==2.0', 'beta'], { rebuild: true }));
      expect(rebuilt.generation).to.equal(`${r3.generation}-2`);
      expect(readlinkSync(path)).to.equal(`gen.generations/${r3.generation}-2`);
    });
  });

  describe('gc', () => {
    it('removes venvs unused for N days, skips a locked one', async () => {
      const cache = join(root, 'cache');
      const old = join(cache, 'old');
      const busy = join(cache, 'busy');
      const fresh = join(cache, 'fresh');
      // gc looks only at directories, stamps and locks: stand-in venvs are enough.
      for (const p of [old, busy, fresh]) {
        mkdirSync(p, { recursive: true });
        writeFileSync(join(p, MARKER), '{}');
        writeFileSync(`${p}.used`, '');
        writeFileSync(`${p}.lock`, '');
      }
      const past = new Date(Date.now() - 40 * 86400e3);
      const { utimesSync } = await import('node:fs');
      utimesSync(`${old}.used`, past, past);
      utimesSync(`${busy}.used`, past, past);
      const holder = spawn(SYSTEM_PYTHON, [
        '-c',
        'import fcntl, os, sys, time\nfd = os.open(sys.argv[1], os.O_RDWR)\nfcntl.flock(fd, fcntl.LOCK_SH)\nprint("locked", flush=True)\ntime.sleep(60)',
        `${busy}.used`,
      ]);
      try {
        await new Promise<void>((res) => holder.stdout!.once('data', () => res()));
        const r = await gcVenvs(conn, cache, 30, { python: SYSTEM_PYTHON });
        expect(r.removed).to.deep.equal(['old']);
        expect(r.busy).to.deep.equal(['busy']);
        expect(r.kept).to.deep.equal(['fresh']);
      } finally {
        holder.kill('SIGKILL');
      }
      expect(existsSync(old)).to.equal(false);
      expect(existsSync(`${old}.lock`)).to.equal(false);
      expect(existsSync(busy)).to.equal(true);
    });
  });
});
