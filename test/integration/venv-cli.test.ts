/**
 * `wheelwright venv ...` / `wheelwright wheels ...` as processes (venvCli / wheelsCli under tsx),
 * with real venv/pip and wheels the tests build.
 */
import { expect } from 'chai';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, realpathSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SYSTEM_PYTHON, makeWheels, testWheels } from '../helpers/pywheels.js';
import { alive } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));

interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function cli(which: 'venv' | 'wheels', args: string[], env: Record<string, string>, cwd = REPO): Promise<CliResult> {
  return startCli(which, args, env, cwd).done;
}

/** The CLI as a process (tsx loaded by absolute path, so any cwd works); `done` resolves when it has exited. */
function startCli(which: 'venv' | 'wheels', args: string[], env: Record<string, string>, cwd = REPO): { child: ChildProcess; done: Promise<CliResult> } {
  const fn = which === 'venv' ? 'venvCli' : 'wheelsCli';
  const code = `const m = await import(${JSON.stringify(join(REPO, 'src', 'cli', `${which}.ts`))}); process.exitCode = await m.${fn}(process.argv.slice(1));`;
  const child = spawn(process.execPath, ['--import', pathToFileURL(join(REPO, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href, '--input-type=module', '-e', code, ...args], {
    cwd,
    env: { ...process.env, WHEELWRIGHT_PYTHON: SYSTEM_PYTHON, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return { child, done: new Promise((res) => child.on('close', (c, s) => res({ code: c, signal: s, stdout, stderr }))) };
}

/** Every process whose process group is `pgid`. */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const stat = readFileSync(`/proc/${n}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) out.push(Number(n));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** Wait for a state (a safety deadline only: the state normally comes in well under a second). */
async function until(what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`never reached: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function builds(log: string): number {
  return existsSync(log) ? (readFileSync(log, 'utf8').match(/^=== wheelwright build /gm) ?? []).length : 0;
}

describe('wheelwright venv / wheels CLI', function () {
  this.timeout(90000);
  let root: string;
  let env: Record<string, string>;
  let req: string;
  before(() => {
    testWheels();
    root = tempDir('ww-venvcli-');
    env = { XDG_CACHE_HOME: join(root, 'cache') };
    req = join(root, 'req.txt');
    writeFileSync(req, '# tools\nbeta\n');
  });

  it('4 concurrent `venv ensure` build once and all print the same path (only the path on stdout)', async () => {
    const rs = await Promise.all([1, 2, 3, 4].map(() => cli('venv', ['ensure', req, '--wheels', testWheels().all], env)));
    for (const r of rs) expect(r.code, r.stderr).to.equal(0);
    const paths = new Set(rs.map((r) => r.stdout));
    expect(paths.size).to.equal(1);
    const out = rs[0].stdout;
    expect(out).to.match(/^\/\S+\n$/);
    const path = out.trim();
    expect(path.startsWith(join(root, 'cache', 'wheelwright', 'venvs', '3.'))).to.equal(true);
    expect(builds(`${path}.log`), 'one build').to.equal(1);
    expect(existsSync(join(path, 'bin', 'python'))).to.equal(true);
    // And a later hit: same path, no build, no progress noise.
    const again = await cli('venv', ['ensure', req, '--wheels', testWheels().all], env);
    expect(again.stdout).to.equal(out);
    expect(again.stderr).to.equal('');
    expect(builds(`${path}.log`)).to.equal(1);
  });

  it('a new wheel in the wheel dir or a changed requirement gives a different cached venv', async () => {
    const wdir = join(root, 'w-grow');
    makeWheels(wdir, [{ name: 'alpha', version: '1.0' }]);
    const areq = join(root, 'areq.txt');
    writeFileSync(areq, 'alpha\n');
    const a = await cli('venv', ['ensure', areq, '--wheels', wdir, '-q'], env);
    makeWheels(wdir, [{ name: 'alpha', version: '2.0' }]);
    const b = await cli('venv', ['ensure', areq, '--wheels', wdir, '-q'], env);
    expect(a.code).to.equal(0);
    expect(b.code).to.equal(0);
    expect(a.stdout).to.not.equal(b.stdout);
    const run = await cli('venv', ['run', areq, '--wheels', wdir, '--', 'python', '-c', 'import alpha; print(alpha.VERSION)'], env);
    expect(run.stdout.trim()).to.equal('2.0');
  });

  it('`venv run` passes arguments, environment and exit codes through', async () => {
    const r = await cli(
      'venv',
      ['run', req, '--wheels', testWheels().all, '--', 'python', '-c', 'import sys, os, beta; print(sys.argv[1:], os.environ["VIRTUAL_ENV"] == sys.prefix, beta.VERSION); sys.exit(7)', 'a b', '--x'],
      env,
    );
    expect(r.code, r.stderr).to.equal(7);
    expect(r.stdout).to.equal("['a b', '--x'] True 1.0\n");
    const notFound = await cli('venv', ['run', req, '--wheels', testWheels().all, '--', 'no-such-command-ww'], env);
    expect(notFound.code).to.equal(127);
    expect(notFound.stderr).to.contain('command not found: no-such-command-ww');
  });

  it('`venv run` passes a signal death through', async () => {
    const r = await cli('venv', ['run', req, '--wheels', testWheels().all, '--', 'sh', '-c', 'kill -TERM $$'], env);
    expect(r.signal).to.equal('SIGTERM');
  });

  it('`venv create` in place; a missing wheel exits non-zero with pip output tail and log path, old venv untouched', async () => {
    const dir = join(root, 'made');
    const ok = await cli('venv', ['create', dir, req, '--wheels', testWheels().all, '--python', SYSTEM_PYTHON], env);
    expect(ok.code, ok.stderr).to.equal(0);
    expect(ok.stdout).to.equal(`${dir}\n`);
    expect(readFileSync(join(dir, 'pyvenv.cfg'), 'utf8')).to.match(/^home = \/usr\/bin$/m);
    const marker = readFileSync(join(dir, '.wheelwright-marker.json'), 'utf8');
    const bad = join(root, 'bad.txt');
    writeFileSync(bad, 'beta\ndelta-missing==3\n');
    const r = await cli('venv', ['create', dir, bad, '--wheels', testWheels().all], env);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain("no distribution found for requirement 'delta-missing==3'");
    expect(r.stderr).to.contain('No matching distribution found for delta-missing==3');
    expect(r.stderr).to.contain(`full log: ${dir}.log`);
    expect(readFileSync(join(dir, '.wheelwright-marker.json'), 'utf8')).to.equal(marker);
    const py = await cli('venv', ['create', join(root, 'nopy'), req, '--python', '/nonexistent/py'], env);
    expect(py.code).to.not.equal(0);
    expect(py.stderr).to.contain('/nonexistent/py');
  });

  it('`venv create --generations` and `venv rollback`', async () => {
    const dir = join(root, 'gens');
    const r1 = join(root, 'g1.txt');
    const r2 = join(root, 'g2.txt');
    writeFileSync(r1, 'alpha==1.0\n');
    writeFileSync(r2, 'alpha==2.0\n');
    expect((await cli('venv', ['create', dir, r1, '--generations', '--wheels', testWheels().all, '-q'], env)).code).to.equal(0);
    expect((await cli('venv', ['create', dir, r2, '--generations', '--wheels', testWheels().all, '-q'], env)).code).to.equal(0);
    const rb = await cli('venv', ['rollback', dir], env);
    expect(rb.code, rb.stderr).to.equal(0);
    const v = await new Promise<string>((res) => {
      const c = spawn(join(dir, 'bin', 'python'), ['-c', 'import alpha; print(alpha.VERSION)']);
      let o = '';
      c.stdout.on('data', (d) => (o += d));
      c.on('close', () => res(o.trim()));
    });
    expect(v).to.equal('1.0');
  });

  it('`venv gc` prunes cache venvs unused for N days', async () => {
    const gcEnv = { XDG_CACHE_HOME: join(root, 'gc-cache') };
    const areq = join(root, 'gcreq.txt');
    writeFileSync(areq, 'alpha==1.0\n');
    const e = await cli('venv', ['ensure', areq, '--wheels', testWheels().all], gcEnv);
    const path = e.stdout.trim();
    expect(existsSync(`${path}.used`), 'last-use stamp').to.equal(true);
    const kept = await cli('venv', ['gc', '--keep-days', '1'], gcEnv);
    expect(kept.code).to.equal(0);
    expect(existsSync(path)).to.equal(true);
    const past = new Date(Date.now() - 3 * 86400e3);
    utimesSync(`${path}.used`, past, past);
    const gone = await cli('venv', ['gc', '--keep-days', '1'], gcEnv);
    expect(gone.code).to.equal(0);
    expect(gone.stderr).to.contain('1 removed');
    expect(existsSync(path)).to.equal(false);
  });

  it('`wheels` builds the closure of a source requirement into a dir usable by `venv create`', async () => {
    const src = join(root, 'gamma-src');
    mkdirSync(join(src, 'gamma'), { recursive: true });
    writeFileSync(join(src, 'gamma', '__init__.py'), 'VERSION = "1.0"\n');
    writeFileSync(
      join(src, 'setup.py'),
      'from setuptools import setup\nsetup(name="gamma", version="1.0", packages=["gamma"], install_requires=["alpha>=2"])\n',
    );
    const wreq = join(root, 'wreq.txt');
    writeFileSync(wreq, `gamma @ file://${src}\n`);
    const out = join(root, 'built');
    const pins = join(root, 'pins.txt');
    const r = await cli('wheels', [wreq, '-w', out, '--find-links', testWheels().all, '--pins', pins], env);
    expect(r.code, r.stderr).to.equal(0);
    const names = readdirSync(out).filter((n) => n.endsWith('.whl')).sort();
    expect(names).to.deep.equal(['alpha-2.0-py3-none-any.whl', 'gamma-1.0-py3-none-any.whl']);
    expect(readFileSync(pins, 'utf8')).to.match(/^# [^\n]*\nalpha==2\.0\ngamma==1\.0\n$/);
    const greq = join(root, 'greq.txt');
    writeFileSync(greq, 'gamma\n');
    const made = await cli('venv', ['create', join(root, 'from-built'), greq, '--wheels', out, '-c', pins, '-q'], env);
    expect(made.code, made.stderr).to.equal(0);
  });
  describe('ownership before deletion', () => {
    let own: string;
    let project: string;
    before(() => {
      own = realpathSync(tempDir('ww-own-cli-'));
      project = join(own, 'project');
      mkdirSync(join(project, '.git'), { recursive: true });
      writeFileSync(join(project, '.git', 'HEAD'), 'ref: refs/heads/main\n');
      writeFileSync(join(project, 'requirements.txt'), 'beta\n');
    });
    const intact = (dir: string) => {
      expect(readFileSync(join(dir, '.git', 'HEAD'), 'utf8')).to.equal('ref: refs/heads/main\n');
      expect(readdirSync(dir).sort()).to.deep.equal(['.git', 'requirements.txt']);
    };

    it('refuses (exit 5) a project directory, the current one, a file and $HOME, naming what is there; nothing changes', async () => {
      const w = ['--wheels', testWheels().all];
      const dirRes = await cli('venv', ['create', project, req, ...w], env);
      expect(dirRes.code, dirRes.stderr).to.equal(5);
      expect(dirRes.stderr).to.contain(`refusing to remove or replace ${project} on host`).and.contain('a directory with 2 entries (.git, requirements.txt)');
      intact(project);
      expect(existsSync(`${project}.lock`) || existsSync(`${project}.log`), 'no lock or log file left next to it').to.equal(false);
      const dot = await cli('venv', ['create', '.', 'requirements.txt', ...w], env, project);
      expect(dot.code, dot.stderr).to.equal(5);
      expect(dot.stderr).to.contain('it is the current directory, a directory with 2 entries');
      intact(project);
      const file = join(own, 'notes.txt');
      writeFileSync(file, 'keep me\n');
      const f = await cli('venv', ['create', file, req, ...w], env);
      expect(f.code).to.equal(5);
      expect(f.stderr).to.contain('it is a regular file (8 bytes)');
      expect(readFileSync(file, 'utf8')).to.equal('keep me\n');
      const home = join(own, 'home');
      mkdirSync(home);
      writeFileSync(join(home, '.profile'), 'x\n');
      const h = await cli('venv', ['create', home, req, '--force', ...w], { ...env, HOME: home });
      expect(h.code).to.equal(5);
      expect(h.stderr).to.contain('it is a home directory; wheelwright never replaces that, even with --force');
      expect(readdirSync(home)).to.deep.equal(['.profile']);
    });

    it('--generations on an existing data directory refuses it: nothing moved aside, nothing deleted', async () => {
      const data = join(own, 'data');
      mkdirSync(data);
      writeFileSync(join(data, 'db.sqlite'), 'rows\n');
      const r = await cli('venv', ['create', data, req, '--generations', '--wheels', testWheels().all], env);
      expect(r.code, r.stderr).to.equal(5);
      expect(r.stderr).to.contain(`refusing to remove or replace ${data}`);
      expect(lstatSync(data).isDirectory()).to.equal(true);
      expect(readFileSync(join(data, 'db.sqlite'), 'utf8')).to.equal('rows\n');
      expect(existsSync(`${data}.generations`)).to.equal(false);
    });

    it('an empty directory is used as it is; --force replaces a directory that is not ours', async () => {
      const empty = join(own, 'empty');
      mkdirSync(empty);
      const ino = statSync(empty).ino;
      const e = await cli('venv', ['create', empty, req, '--wheels', testWheels().all, '-q'], env);
      expect(e.code, e.stderr).to.equal(0);
      expect(statSync(empty).ino, 'the same directory').to.equal(ino);
      expect(existsSync(join(empty, '.wheelwright-marker.json'))).to.equal(true);
      const forced = await cli('venv', ['create', project, req, '--force', '--wheels', testWheels().all, '-q'], env);
      expect(forced.code, forced.stderr).to.equal(0);
      expect(existsSync(join(project, '.git')), 'replaced as forced').to.equal(false);
      expect(existsSync(join(project, '.wheelwright-marker.json'))).to.equal(true);
    });
  });

  describe('a signal to `venv create` leaves nothing running', () => {
    // The Python child is held in a known state while it holds the venv lock: the venv's log is a
    // FIFO nobody reads, so opening it (right after taking the lock) blocks until we act.
    for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
      it(`${signal}: the Python child's process group is killed, the lock is free, exit ${code}`, async () => {
        const dir = join(root, `sig-${signal}`);
        execFileSync('mkfifo', [`${dir}.log`]);
        const run = startCli('venv', ['create', dir, req, '--wheels', testWheels().all], env);
        let members: number[] = [];
        try {
          await until('the Python child holds the lock', () => existsSync(`${dir}.lock`) && /pid=\d+/.test(readFileSync(`${dir}.lock`, 'utf8')));
          const holder = Number(/pid=(\d+)/.exec(readFileSync(`${dir}.lock`, 'utf8'))![1]);
          const pgid = Number(readFileSync(`/proc/${holder}/stat`, 'utf8').split(') ')[1].split(' ')[2]);
          members = groupMembers(pgid);
          expect(members).to.include(holder);
          expect(alive(holder)).to.equal(true);
          run.child.kill(signal);
          const r = await run.done;
          expect(r.code, r.stderr).to.equal(code);
          expect(r.stderr).to.contain(`interrupted by ${signal}`);
          for (const pid of members) expect(alive(pid), `process ${pid} of the venv step outlived the CLI`).to.equal(false);
          execFileSync('flock', ['-n', `${dir}.lock`, 'true']); // throws if the lock were still held
        } finally {
          if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
          for (const pid of members.filter(alive)) process.kill(pid, 'SIGKILL'); // only after a failure
        }
      });
    }
  });
});
