import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cleanLines, ensurePayload, ensureScriptPath, renderScript, specHash, VenvError, type VenvSpec } from '../../src/venv/ensure.js';
import { cacheRoot, parseRequirementsFile, wheelDirFingerprint } from '../../src/venv/local.js';
import { venvCli } from '../../src/cli/venv.js';
import { wheelsCli } from '../../src/cli/wheels.js';
import { tempDir } from '../helpers/tmp.js';

const base: VenvSpec = { path: '/opt/v', requirements: ['alpha', 'beta>=1'], findLinks: ['/w'], noIndex: true };

describe('venv spec', () => {
  it('cleanLines trims, drops empty entries and duplicates, keeps order', () => {
    expect(cleanLines([' b ', '', 'a', 'b', '  ', 'a ; python_version>"3"'])).to.deep.equal(['b', 'a', 'a ; python_version>"3"']);
    expect(cleanLines(undefined)).to.deep.equal([]);
  });

  it('hash ignores empty entries, duplicates, key order and non-content fields; changes with content', () => {
    const h = specHash(base);
    expect(specHash({ ...base, requirements: ['', 'alpha', ' beta>=1', 'alpha'] })).to.equal(h);
    expect(specHash({ noIndex: true, findLinks: ['/w'], requirements: ['alpha', 'beta>=1'], path: '/elsewhere', rebuild: true, keep: 5, lockTimeoutSec: 3 })).to.equal(h);
    expect(specHash({ ...base, requirements: ['alpha', 'beta>=2'] })).to.not.equal(h);
    expect(specHash({ ...base, constraints: ['alpha==1.0'] })).to.not.equal(h);
    expect(specHash({ ...base, extraMarker: { wheels: ['alpha-1.0.whl:1'] } })).to.not.equal(h);
    expect(specHash({ ...base, packageState: 'present' })).to.not.equal(h);
  });

  it('embeds the spec as base64 in the script, whatever characters it holds', () => {
    const tricky: VenvSpec = { ...base, requirements: [`x @ file:///a b/'q"uote'$HOME\\`, 'y; python_version < "4"'] };
    const text = renderScript(ensurePayload(tricky));
    const m = /^SPEC_B64 = "([A-Za-z0-9+/=]+)"$/m.exec(text);
    expect(m, 'placeholder replaced').to.not.equal(null);
    const decoded = JSON.parse(Buffer.from(m![1], 'base64').toString('utf8'));
    expect(decoded.requirements).to.deep.equal(tricky.requirements);
    expect(decoded.hash).to.equal(specHash(tricky));
    expect(decoded.action).to.equal('ensure');
    expect(text).to.not.match(/@@WW_SPEC@@/);
  });

  it('finds ensure_venv.py from the source tree', () => {
    expect(existsSync(ensureScriptPath())).to.equal(true);
  });

  it('ensure_venv.py and the remote boot parse as Python 3.6 (oldest supported target interpreter)', () => {
    for (const f of [ensureScriptPath(), join(dirname(ensureScriptPath()), '..', 'remote', 'boot.py')]) {
      const out = execFileSync('/usr/bin/python3', ['-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read(), feature_version=(3, 6)); print("ok")', f], { encoding: 'utf8' });
      expect(out.trim(), f).to.equal('ok');
    }
  });

  it('VenvError.detail() carries the tail and the log path', () => {
    const e = new VenvError('boom', 'pip', '/v.log', 'ERROR: nope', undefined, 'h1');
    expect(e.detail()).to.contain('ERROR: nope').and.contain('full log: /v.log (on h1)');
  });
});

describe('venv local helpers', () => {
  const dir = tempDir('ww-req-');

  it('parses requirement files: includes, constraints, find-links relative to the file, continuations, comments', () => {
    mkdirSync(join(dir, 'sub', 'wh'), { recursive: true });
    writeFileSync(join(dir, 'sub', 'more.txt'), 'gamma  # trailing comment\n-f wh\n');
    writeFileSync(join(dir, 'sub', 'pins.txt'), 'alpha==1.0\n-r ../extra-pins.txt\n');
    writeFileSync(join(dir, 'extra-pins.txt'), 'beta==1.0\n');
    writeFileSync(
      join(dir, 'req.txt'),
      '# header\n\nalpha\nbeta \\\n  >=1.0\n-r sub/more.txt\n--constraint=sub/pins.txt\nalpha\nhttp-url @ https://x/y.whl#frag\n',
    );
    const r = parseRequirementsFile(join(dir, 'req.txt'), false, { allowNetwork: true });
    expect(r.requirements).to.deep.equal(['alpha', 'beta   >=1.0', 'gamma', 'http-url @ https://x/y.whl#frag']);
    expect(r.constraints).to.deep.equal(['alpha==1.0', 'beta==1.0']);
    expect(r.findLinks).to.deep.equal([join(dir, 'sub', 'wh')]);
  });

  it('lines that would use the network are refused with file and line, unless allowed; local URLs and paths stay', () => {
    const net = [
      '-f http://repo/wheels/',
      '--find-links=https://repo/wheels/',
      '-i https://pypi.org/simple',
      '--index-url=http://mirror/simple',
      '--extra-index-url https://x/simple',
      '-i mirror.example/simple',
      'name @ http://example.com/name-1.0.tar.gz',
      'https://example.com/pkg-1.0-py3-none-any.whl',
      'git+https://github.com/org/repo.git#egg=repo',
      'git+ssh://git@github.com/org/repo.git#egg=repo',
      '-e git+https://github.com/org/repo.git#egg=repo',
      '-r https://example.com/more.txt',
      'alpha \\\n  @ https://x/a.whl',
    ];
    net.forEach((line, i) => {
      const f = join(dir, `net${i}.txt`);
      writeFileSync(f, `# comment\nalpha\n${line}\n`);
      expect(() => parseRequirementsFile(f), line).to.throw(`${f}:3: '`);
      expect(() => parseRequirementsFile(f), line).to.throw(/would use the network .*--allow-network/);
    });
    // in a constraints file and an included file too, naming that file
    writeFileSync(join(dir, 'inc-net.txt'), 'beta\n-f https://repo/\n');
    writeFileSync(join(dir, 'top.txt'), 'alpha\n-r inc-net.txt\n');
    expect(() => parseRequirementsFile(join(dir, 'top.txt'))).to.throw(`${join(dir, 'inc-net.txt')}:2: '-f https://repo/'`);
    expect(() => parseRequirementsFile(join(dir, 'inc-net.txt'), true)).to.throw(/inc-net\.txt:2:/);
    expect(parseRequirementsFile(join(dir, 'top.txt'), false, { allowNetwork: true }).findLinks).to.deep.equal(['https://repo/']);
    const local = join(dir, 'local.txt');
    writeFileSync(local, `gitpkg @ git+file://${dir}/repo#egg=gitpkg\nx @ file://${dir}/x.whl\n-f file://${dir}/wh\n-f ./wh\n${dir}/y-1.0-py3-none-any.whl\n`);
    expect(parseRequirementsFile(local).requirements).to.have.length(3);
  });

  it('a missing requirements file is a user error', () => {
    expect(() => parseRequirementsFile(join(dir, 'nope.txt'))).to.throw(/cannot read requirements file/);
  });

  it('wheel-dir fingerprint changes when a wheel is added', () => {
    const w = join(dir, 'wheels');
    mkdirSync(w, { recursive: true });
    writeFileSync(join(w, 'a-1.0-py3-none-any.whl'), 'x');
    writeFileSync(join(w, 'README'), 'ignored');
    const f1 = JSON.stringify(wheelDirFingerprint([w]));
    expect(f1).to.contain('a-1.0-py3-none-any.whl:1:').and.not.contain('README');
    writeFileSync(join(w, 'a-2.0-py3-none-any.whl'), 'xy');
    expect(JSON.stringify(wheelDirFingerprint([w]))).to.not.equal(f1);
  });

  it('cache root honours XDG_CACHE_HOME, else ~/.cache', () => {
    expect(cacheRoot({ XDG_CACHE_HOME: '/x/c', HOME: '/h' })).to.equal('/x/c/wheelwright');
    expect(cacheRoot({ HOME: '/h' })).to.equal('/h/.cache/wheelwright');
    expect(cacheRoot({ XDG_CACHE_HOME: 'relative', HOME: '/h' })).to.equal('/h/.cache/wheelwright');
  });
});

describe('venv / wheels CLI argument errors exit 5', () => {
  let saved: typeof process.stderr.write;
  let captured = '';
  beforeEach(() => {
    captured = '';
    saved = process.stderr.write;
    process.stderr.write = ((s: string | Uint8Array) => {
      captured += String(s);
      return true;
    }) as typeof process.stderr.write;
  });
  afterEach(() => {
    process.stderr.write = saved;
  });

  for (const args of [[], ['bogus'], ['create', 'only-one'], ['ensure'], ['ensure', 'r.txt', '--frobnicate'], ['run', 'r.txt'], ['gc', '--keep-days', 'x'], ['ensure', 'r.txt', '--wheels']]) {
    it(`venv ${args.join(' ') || '(nothing)'}`, async () => {
      expect(await venvCli(args)).to.equal(5);
      expect(captured).to.contain('usage:');
    });
  }

  it('venv ensure with a missing requirements file', async () => {
    expect(await venvCli(['ensure', '/nonexistent/req.txt'])).to.equal(5);
    expect(captured).to.contain('cannot read requirements file');
  });

  it('venv create/ensure/run with a network requirement line, or --wheels URL: exit 5 naming file and line', async () => {
    const d = tempDir('ww-net-');
    const req = join(d, 'req.txt');
    writeFileSync(req, 'alpha\nname @ https://example.com/name-1.0.tar.gz\n');
    for (const args of [['create', join(d, 'v'), req], ['ensure', req], ['run', req, '--', 'true']]) {
      captured = '';
      expect(await venvCli(args), args.join(' ')).to.equal(5);
      expect(captured).to.contain(`${req}:2: 'name @ https://example.com/name-1.0.tar.gz' would use the network`);
    }
    writeFileSync(req, 'alpha\n');
    captured = '';
    expect(await venvCli(['ensure', req, '--wheels', 'https://repo/wheels/'])).to.equal(5);
    expect(captured).to.contain('--wheels https://repo/wheels/ would use the network');
    expect(existsSync(join(d, 'v')), 'nothing created').to.equal(false);
  });

  for (const args of [[], ['r.txt'], ['r.txt', '-w'], ['a', 'b', '-w', 'd'], ['r.txt', '-w', 'd', '--nope']]) {
    it(`wheels ${args.join(' ') || '(nothing)'}`, async () => {
      expect(await wheelsCli(args)).to.equal(5);
      expect(captured).to.contain('usage:');
    });
  }
});
