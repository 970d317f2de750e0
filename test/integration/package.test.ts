import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';

const FIX = join(ROOT, 'test/fixtures/api');
const TSC = join(ROOT, 'node_modules/.bin/tsc');

/**
 * The API's front door as a user meets it: `npm pack`, install the tarball into a fresh project,
 * import 'wheelwright' by name from TypeScript (type-checked against the shipped .d.ts), run a playbook.
 */
describe('package: npm pack, install, import by name, run', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ww-pack-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the packed tarball installs, type-checks from TypeScript and runs a playbook on localhost', () => {
    // prepack builds dist/; --json names the tarball
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir, '--loglevel=error'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
    const tarball = join(dir, packed[0].filename as string);
    const files = (packed[0].files as Array<{ path: string }>).map((f) => f.path);
    expect(files).to.include.members(['dist/index.js', 'dist/index.d.ts', 'bin/wheelwright.js', 'roles/python_venv_build/tasks/main.yml']);
    expect(files.filter((f) => f.startsWith('test/') || f.endsWith('.map'))).to.deep.equal([]);

    const proj = join(dir, 'consumer');
    execFileSync('mkdir', ['-p', proj]);
    writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    // dependencies come from npm's cache (npm ci filled it); the registry only if something is missing
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', tarball], { cwd: proj, stdio: 'pipe' });
    const pkg = JSON.parse(readFileSync(join(proj, 'node_modules/wheelwright/package.json'), 'utf8'));
    expect(pkg.exports['.'].types).to.equal('./dist/index.d.ts');

    copyFileSync(join(FIX, 'consumer.ts'), join(proj, 'consumer.ts'));
    copyFileSync(join(FIX, 'misuse.ts'), join(proj, 'misuse.ts'));
    copyFileSync(join(ROOT, 'examples/api/rollout.ts'), join(proj, 'rollout.ts'));
    const tsconfig = (files: string[]) => ({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false,
        types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')], outDir: 'out',
      },
      files,
    });
    writeFileSync(join(proj, 'tsconfig.json'), JSON.stringify(tsconfig(['consumer.ts', 'rollout.ts'])));
    writeFileSync(join(proj, 'tsconfig.misuse.json'), JSON.stringify(tsconfig(['misuse.ts'])));
    const good = spawnSync(TSC, ['-p', 'tsconfig.json'], { cwd: proj, encoding: 'utf8' });
    expect(good.status, good.stdout + good.stderr).to.equal(0);
    // the types are real: a wrong use does not compile
    const bad = spawnSync(TSC, ['-p', 'tsconfig.misuse.json', '--noEmit'], { cwd: proj, encoding: 'utf8' });
    expect(bad.status).to.not.equal(0);
    expect(bad.stdout).to.match(/misuse\.ts.*TS2322/);

    const work = join(dir, 'work');
    execFileSync('mkdir', ['-p', work]);
    const run = spawnSync(process.execPath, [join(proj, 'out/consumer.js'), join(FIX, 'hosts.ini'), join(FIX, 'site.yml'), work], { cwd: proj, encoding: 'utf8' });
    expect(run.status, run.stdout + run.stderr).to.equal(0);
    const res = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(res).to.deep.equal({
      exitCode: 0, ok: 2, changed: 1,
      results: ['Write a file=changed:', 'Say hello=ok:hello from localhost'],
      roles: true, ensureVenv: 'function',
    });
    expect(readFileSync(join(work, 'localhost.txt'), 'utf8')).to.equal('made by the API\n');
    expect(existsSync(join(proj, 'node_modules/wheelwright/src/venv/ensure_venv.py'))).to.equal(true);

    // examples/api/rollout.ts: canary h1, then [h2, h3] fails on h3, so [h4, h5] is never touched
    writeFileSync(join(dir, 'fleet.ini'), `[fleet]\nh1\nh2\nh3\nh4\nh5\n\n[fleet:vars]\nansible_connection=local\nout=${work}\n`);
    const rollout = spawnSync(process.execPath, [join(proj, 'out/rollout.js'), join(dir, 'fleet.ini'), join(FIX, 'rollout.yml'), '2'], {
      cwd: proj, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' },
    });
    expect(rollout.status, rollout.stdout + rollout.stderr).to.equal(2);
    expect(rollout.stdout).to.include('== batch 1/3: h1\n').and.include('== batch 2/3: h2, h3\n').and.include("!! h3 failed at 'Break on h3'");
    expect(rollout.stdout).to.include('== stopped after batch 2: exit 2; not touched: h4, h5');
    expect(['h1', 'h2', 'h3', 'h4', 'h5'].filter((h) => existsSync(join(work, `${h}.deployed`)))).to.deep.equal(['h1', 'h2']);
  });
});
