import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDirs, loadBundle, runKind } from '../../bin/code-cache.js';
import { tempDir } from '../helpers/tmp.js';

// The CLI's bundle loader (bin/code-cache.js): the V8 code cache is written once, used on the next
// start, and trusted only when no one else could have written it.
describe('bundle code cache (bin/code-cache.js)', () => {
  let dir: string;
  let bundle: string;
  let dirs: string[];
  const source = (n: number) =>
    `"use strict";\nconst path = require('node:path');\nexports.main = async () => [${n}, path.basename(__filename), __wwImportMetaUrl.startsWith('file://'), require('node:os').EOL];\n` +
    `exports.more = () => { let s = 0; for (let i = 0; i < 10; i++) s += i; return s; };\n`;
  const writeBundle = (n: number) => {
    const src = source(n);
    writeFileSync(bundle, src);
    writeFileSync(`${bundle}.key`, createHash('sha256').update(src).digest('hex') + '\n');
  };
  const caches = () => dirs.flatMap((d) => { try { return readdirSync(d).filter((f) => f.endsWith('.codecache')).map((f) => join(d, f)); } catch { return []; } });
  beforeEach(() => {
    dir = tempDir('ww-codecache-');
    mkdirSync(join(dir, 'bin'), { mode: 0o755 });
    chmodSync(join(dir, 'bin'), 0o755);
    bundle = join(dir, 'bin', 'main.cjs');
    dirs = [join(dir, 'bin'), join(dir, 'user', 'code-cache')];
    writeBundle(1);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the bundle (require, __filename, import.meta.url), writes the cache once, uses it next time', async () => {
    const a = loadBundle(bundle, { dirs });
    expect(a.cacheUsed).to.equal(false);
    expect(await a.exports.main()).to.deep.equal([1, 'main.cjs', true, '\n']);
    const written = a.save('P');
    expect(written).to.match(/main\.cjs\.[0-9a-f]{32}-v[\d.]+-\w+\.codecache$/);
    expect(readFileSync(written!).subarray(0, 1).toString()).to.equal('P');
    const b = loadBundle(bundle, { dirs });
    expect(b.cacheUsed).to.equal(true);
    expect(await b.exports.main()).to.deep.equal([1, 'main.cjs', true, '\n']);
    expect(b.save('P')).to.equal(undefined); // nothing new to write
    expect(caches()).to.deep.equal([written]);
  });

  it('a cache made by a run without a playbook is replaced once after a playbook run', () => {
    loadBundle(bundle, { dirs }).save('O');
    const b = loadBundle(bundle, { dirs });
    expect(b.cacheUsed).to.equal(true);
    expect(b.save('O')).to.equal(undefined);
    const w = b.save('P');
    expect(readFileSync(w!).subarray(0, 1).toString()).to.equal('P');
    expect(loadBundle(bundle, { dirs }).save('P')).to.equal(undefined);
  });

  it('a new bundle (another key) gets its own cache; the old one is removed when it is written', async () => {
    const first = loadBundle(bundle, { dirs }).save('P');
    writeBundle(2);
    const b = loadBundle(bundle, { dirs });
    expect(b.cacheUsed).to.equal(false);
    expect((await b.exports.main())[0]).to.equal(2);
    const second = b.save('P');
    expect(second).to.not.equal(first);
    expect(caches()).to.deep.equal([second]);
  });

  it('without the key file there is no cache', () => {
    rmSync(`${bundle}.key`);
    const a = loadBundle(bundle, { dirs });
    expect(a.save('P')).to.equal(undefined);
    expect(caches()).to.deep.equal([]);
  });

  it('a cache writable by others, in a directory writable by others, or behind a symlink is not used', () => {
    const w = loadBundle(bundle, { dirs }).save('P')!;
    chmodSync(w, 0o664);
    expect(loadBundle(bundle, { dirs }).cacheUsed).to.equal(false);
    chmodSync(w, 0o644);
    expect(loadBundle(bundle, { dirs }).cacheUsed).to.equal(true);
    chmodSync(join(dir, 'bin'), 0o777);
    expect(loadBundle(bundle, { dirs }).cacheUsed).to.equal(false);
    chmodSync(join(dir, 'bin'), 0o755);
    renameSync(w, `${w}.real`);
    symlinkSync(`${w}.real`, w);
    expect(loadBundle(bundle, { dirs }).cacheUsed).to.equal(false);
  });

  it("a cache owned by another user (not root) is not used", function () {
    if (process.geteuid?.() !== 0) this.skip();
    const w = loadBundle(bundle, { dirs }).save('P')!;
    chownSync(w, 12345, 12345);
    expect(loadBundle(bundle, { dirs }).cacheUsed).to.equal(false);
    chownSync(w, 0, 0);
    expect(loadBundle(bundle, { dirs }).cacheUsed).to.equal(true);
  });

  it('kept in the user cache directory (made 0700) when the bundle directory is not ours to write', function () {
    if (process.geteuid?.() !== 0) this.skip();
    chownSync(join(dir, 'bin'), 12345, 12345); // someone else's install
    const w = loadBundle(bundle, { dirs }).save('P')!;
    expect(w.startsWith(dirs[1]!)).to.equal(true);
    expect(statSync(dirs[1]!).mode & 0o777).to.equal(0o700);
    expect(loadBundle(bundle, { dirs }).cacheUsed).to.equal(true);
  });

  it('which runs keep their cache, and where caches are looked for', () => {
    expect(runKind(['site.yml', '-i', 'hosts'])).to.equal('P');
    expect(runKind(['demo'])).to.equal('P');
    for (const a of [[], ['--help'], ['site.yml', '--syntax-check'], ['doc', 'copy'], ['inventory', '--list'], ['--version']]) expect(runKind(a), a.join(' ')).to.equal('O');
    expect(cacheDirs('/opt/ww/dist/bin/main.cjs', { XDG_CACHE_HOME: '/c' })).to.deep.equal(['/opt/ww/dist/bin', '/c/wheelwright/code-cache']);
  });
});

