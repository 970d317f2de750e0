import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanLines, ensurePayload, ensureScriptPath, renderScript, specHash, VenvError, type VenvSpec } from '../../src/venv/ensure.js';
import { cacheRoot, parseRequirementsFile, wheelDirFingerprint } from '../../src/venv/local.js';
import { venvCli } from '../../src/cli/venv.js';
import { wheelsCli } from '../../src/cli/wheels.js';

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

  it('ensure_venv.py parses as Python 3.6 (oldest supported target interpreter)', () => {
    const out = execFileSync('/usr/bin/python3', ['-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read(), feature_version=(3, 6)); print("ok")', ensureScriptPath()], { encoding: 'utf8' });
    expect(out.trim()).to.equal('ok');
  });

  it('VenvError.detail() carries the tail and the log path', () => {
    const e = new VenvError('boom', 'pip', '/v.log', 'ERROR: nope', undefined, 'h1');
    expect(e.detail()).to.contain('ERROR: nope').and.contain('full log: /v.log (on h1)');
  });
});

describe('venv local helpers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ww-req-'));

  it('parses requirement files: includes, constraints, find-links relative to the file, continuations, comments', () => {
    mkdirSync(join(dir, 'sub', 'wh'), { recursive: true });
    writeFileSync(join(dir, 'sub', 'more.txt'), 'gamma  # trailing comment\n-f wh\n');
    writeFileSync(join(dir, 'sub', 'pins.txt'), 'alpha==1.0\n-r ../extra-pins.txt\n');
    writeFileSync(join(dir, 'extra-pins.txt'), 'beta==1.0\n');
    writeFileSync(
      join(dir, 'req.txt'),
      '# header\n\nalpha\nbeta \\\n  >=1.0\n-r sub/more.txt\n--constraint=sub/pins.txt\nalpha\nhttp-url @ https://x/y.whl#frag\n',
    );
    const r = parseRequirementsFile(join(dir, 'req.txt'));
    expect(r.requirements).to.deep.equal(['alpha', 'beta   >=1.0', 'gamma', 'http-url @ https://x/y.whl#frag']);
    expect(r.constraints).to.deep.equal(['alpha==1.0', 'beta==1.0']);
    expect(r.findLinks).to.deep.equal([join(dir, 'sub', 'wh')]);
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

  for (const args of [[], ['r.txt'], ['r.txt', '-w'], ['a', 'b', '-w', 'd'], ['r.txt', '-w', 'd', '--nope']]) {
    it(`wheels ${args.join(' ') || '(nothing)'}`, async () => {
      expect(await wheelsCli(args)).to.equal(5);
      expect(captured).to.contain('usage:');
    });
  }
});
