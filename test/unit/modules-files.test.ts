import { expect } from 'chai';
import { readFile, rm, stat, writeFile, readdir, lstat, readlink, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { makeCtx, runModule } from '../fixtures/modules/ctx.js';
import { tempDir } from '../helpers/tmp.js';

let dir: string;
const mode = async (p: string) => ((await stat(p)).mode & 0o7777).toString(8);
/** No temporary files may be left behind in the destination directory. */
const noTmp = async () => expect((await readdir(dir)).filter((f) => f.includes('.ww-tmp-'))).to.deep.equal([]);

beforeEach(async () => {
  dir = tempDir('ww-mod-');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('modules: copy', () => {
  it('writes content: changed, then ok; mode applied; diff', async () => {
    const dest = join(dir, 'a.txt');
    const r1 = await runModule('copy', { content: 'one\n', dest, mode: '0640' }, makeCtx({ diff: true }));
    expect(r1.failed, r1.msg).to.not.equal(true);
    expect(r1.changed).to.equal(true);
    expect(await readFile(dest, 'utf8')).to.equal('one\n');
    expect(await mode(dest)).to.equal('640');
    expect(r1.mode).to.equal('0640');
    expect(r1.diff).to.deep.equal([{ path: dest, before: '', after: 'one\n' }]);
    const r2 = await runModule('copy', { content: 'one\n', dest, mode: '0640' }, makeCtx({ diff: true }));
    expect(r2.changed).to.equal(false);
    expect(r2.diff).to.equal(undefined);
    const r3 = await runModule('copy', { content: 'two\n', dest }, makeCtx({ diff: true }));
    expect(r3.changed).to.equal(true);
    expect(r3.diff![0]).to.include({ before: 'one\n', after: 'two\n' });
    expect(await mode(dest), 'existing mode preserved').to.equal('640');
    await noTmp();
  });

  it('check mode reports the change and writes nothing', async () => {
    const dest = join(dir, 'b.txt');
    const r = await runModule('copy', { content: 'x', dest }, makeCtx({ check: true, diff: true }));
    expect(r.changed).to.equal(true);
    expect(r.diff![0]!.after).to.equal('x');
    await expectMissing(dest);
    await writeFile(dest, 'old');
    const r2 = await runModule('copy', { content: 'new', dest, mode: '0600' }, makeCtx({ check: true, diff: true }));
    expect(r2.changed).to.equal(true);
    expect(r2.diff![0]).to.include({ before: 'old', after: 'new' });
    expect(await readFile(dest, 'utf8')).to.equal('old');
    await noTmp();
  });

  it('mode-only change is changed, and check mode leaves the mode alone', async () => {
    const dest = join(dir, 'm.txt');
    await writeFile(dest, 'same', { mode: 0o644 });
    const c = await runModule('copy', { content: 'same', dest, mode: 'u+x' }, makeCtx({ check: true }));
    expect(c.changed).to.equal(true);
    expect(await mode(dest)).to.equal('644');
    // the file's attributes as they are: unchanged (check mode) or after the change
    const st = await stat(dest);
    const attrs = (m: string) => ({ mode: m, uid: st.uid, gid: st.gid, size: 4 });
    expect(c).to.include(attrs('0644'));
    const r = await runModule('copy', { content: 'same', dest, mode: 'u+x' });
    expect(r.changed).to.equal(true);
    expect(await mode(dest)).to.equal('744');
    expect(r).to.include(attrs('0744'));
    const noop = await runModule('copy', { content: 'same', dest, mode: 'u+x' });
    expect(noop.changed).to.equal(false);
    expect(noop).to.include(attrs('0744'));
    expect(noop.owner).to.be.a('string').and.equal(r.owner);
    expect(noop.group).to.be.a('string').and.equal(r.group);
  });

  it('src from files/, into a directory dest, with backup', async () => {
    const r1 = await runModule('copy', { src: 'hello.txt', dest: dir + '/' });
    expect(r1.changed, r1.msg).to.equal(true);
    expect(await readFile(join(dir, 'hello.txt'), 'utf8')).to.equal('hello from files\n');
    expect((await runModule('copy', { src: 'hello.txt', dest: dir })).changed).to.equal(false);
    const target = join(dir, 'hello.txt');
    const r3 = await runModule('copy', { content: 'replaced\n', dest: target, backup: true });
    expect(r3.changed).to.equal(true);
    expect(r3.backup_file).to.be.a('string');
    expect(await readFile(r3.backup_file as string, 'utf8')).to.equal('hello from files\n');
  });

  it('large content (over the one-shot limit) is written in a second round trip and is idempotent', async () => {
    const dest = join(dir, 'big.bin');
    const big = 'x'.repeat(1024 * 1024 + 10);
    expect((await runModule('copy', { content: big, dest })).changed).to.equal(true);
    expect((await readFile(dest, 'utf8')).length).to.equal(big.length);
    expect((await runModule('copy', { content: big, dest })).changed).to.equal(false);
  });

  it('force: no leaves an existing file alone; validate failure keeps the old file', async () => {
    const dest = join(dir, 'f.txt');
    await writeFile(dest, 'keep');
    expect((await runModule('copy', { content: 'new', dest, force: false })).changed).to.equal(false);
    expect(await readFile(dest, 'utf8')).to.equal('keep');
    const v = await runModule('copy', { content: 'bad', dest, validate: 'grep -q good %s' });
    expect(v.failed).to.equal(true);
    expect(v.msg).to.match(/validate/);
    expect(await readFile(dest, 'utf8')).to.equal('keep');
    const ok = await runModule('copy', { content: 'good', dest, validate: 'grep -q good %s' });
    expect(ok.changed).to.equal(true);
    await noTmp();
  });

  it('quotes hostile paths and content', async () => {
    const dest = join(dir, "it's $(touch pwned) a file");
    const r = await runModule('copy', { content: "$(id) `x` 'q'\n", dest });
    expect(r.changed, r.msg).to.equal(true);
    expect(await readFile(dest, 'utf8')).to.equal("$(id) `x` 'q'\n");
    expect(await readdir(dir)).to.not.include('pwned');
  });

  it('fails when the destination directory is missing', async () => {
    const r = await runModule('copy', { content: 'x', dest: join(dir, 'nope', 'f') });
    expect(r.failed).to.equal(true);
    expect(r.msg).to.match(/does not exist/);
  });

  it('remote_src copies a file already on the host', async () => {
    const s = join(dir, 'remote-src');
    await writeFile(s, 'from host\n');
    const dest = join(dir, 'out');
    expect((await runModule('copy', { src: s, remote_src: true, dest })).changed).to.equal(true);
    expect(await readFile(dest, 'utf8')).to.equal('from host\n');
    expect((await runModule('copy', { src: s, remote_src: true, dest })).changed).to.equal(false);
  });
});

async function expectMissing(p: string) {
  try {
    await lstat(p);
  } catch {
    return;
  }
  throw new Error(`${p} should not exist`);
}

describe('modules: template', () => {
  it('renders with ctx.render: changed, ok, check, diff', async () => {
    const dest = join(dir, 'app.conf');
    const vars = { server: 'db1', port: 5432 };
    const r1 = await runModule('template', { src: 'app.conf.j2', dest, mode: '0600' }, makeCtx({ vars, diff: true }));
    expect(r1.changed, r1.msg).to.equal(true);
    expect(await readFile(dest, 'utf8')).to.equal('# Ansible managed\nserver=db1\nport=5432\n');
    expect(r1.diff![0]!.after).to.equal('# Ansible managed\nserver=db1\nport=5432\n');
    expect(await mode(dest)).to.equal('600');
    expect((await runModule('template', { src: 'app.conf.j2', dest, mode: '0600' }, makeCtx({ vars }))).changed).to.equal(false);
    const c = await runModule('template', { src: 'app.conf.j2', dest }, makeCtx({ vars: { server: 'db2', port: 1 }, check: true, diff: true }));
    expect(c.changed).to.equal(true);
    expect(c.diff![0]!.before).to.contain('server=db1');
    expect(c.diff![0]!.after).to.contain('server=db2');
    expect(await readFile(dest, 'utf8')).to.contain('server=db1');
  });

  it('fails on a missing template or a render error', async () => {
    expect((await runModule('template', { src: 'nope.j2', dest: join(dir, 'x') })).failed).to.equal(true);
    const r = await runModule('template', { src: 'app.conf.j2', dest: join(dir, 'x') }, makeCtx({ vars: {} }));
    expect(r.failed).to.equal(true);
    expect(r.msg).to.match(/undefined variable/);
  });
});

describe('modules: file', () => {
  it('directory: changed, ok, check, mode, diff', async () => {
    const p = join(dir, 'd1', 'd2');
    const c = await runModule('file', { path: p, state: 'directory' }, makeCtx({ check: true }));
    expect(c.changed).to.equal(true);
    await expectMissing(p);
    const r1 = await runModule('file', { path: p, state: 'directory', mode: '0750' }, makeCtx({ diff: true }));
    expect(r1.changed, r1.msg).to.equal(true);
    expect((await stat(p)).isDirectory()).to.equal(true);
    expect(await mode(p)).to.equal('750');
    expect(r1.diff![0]!.before).to.contain('absent');
    expect(r1.diff![0]!.after).to.contain('directory');
    expect((await runModule('file', { path: p, state: 'directory', mode: '0750' })).changed).to.equal(false);
    const f = join(dir, 'plain');
    await writeFile(f, '');
    expect((await runModule('file', { path: f, state: 'directory' })).failed).to.equal(true);
  });

  it('touch is always changed; file requires existence; absent removes', async () => {
    const p = join(dir, 't');
    expect((await runModule('file', { path: p, state: 'touch' }, makeCtx({ check: true }))).changed).to.equal(true);
    await expectMissing(p);
    expect((await runModule('file', { path: p, state: 'touch', mode: '0600' })).changed).to.equal(true);
    expect(await mode(p)).to.equal('600');
    expect((await runModule('file', { path: p, state: 'touch' })).changed).to.equal(true);
    expect((await runModule('file', { path: p, state: 'file', mode: '0600' })).changed).to.equal(false);
    const r = await runModule('file', { path: p, state: 'file', mode: 'g+r' });
    expect(r.changed).to.equal(true);
    expect(r.mode).to.equal('0640');
    const miss = await runModule('file', { path: join(dir, 'missing'), state: 'file' });
    expect(miss.failed).to.equal(true);
    expect(miss.msg).to.match(/is absent/);
    expect((await runModule('file', { path: p, state: 'absent' }, makeCtx({ check: true }))).changed).to.equal(true);
    expect((await stat(p)).isFile()).to.equal(true);
    expect((await runModule('file', { path: p, state: 'absent' })).changed).to.equal(true);
    await expectMissing(p);
    expect((await runModule('file', { path: p, state: 'absent' })).changed).to.equal(false);
  });

  it('link and hard link: idempotent, force rules', async () => {
    const target = join(dir, 'target');
    await writeFile(target, 'T');
    const l = join(dir, 'lnk');
    expect((await runModule('file', { path: l, src: 'target', state: 'link' }, makeCtx({ check: true }))).changed).to.equal(true);
    await expectMissing(l);
    expect((await runModule('file', { path: l, src: 'target', state: 'link' })).changed).to.equal(true);
    expect(await readlink(l)).to.equal('target');
    expect((await runModule('file', { path: l, src: 'target', state: 'link' })).changed).to.equal(false);
    await writeFile(join(dir, 'other'), 'O');
    expect((await runModule('file', { path: l, src: join(dir, 'other'), state: 'link' })).changed).to.equal(true);
    expect(await readlink(l)).to.equal(join(dir, 'other'));
    const r = await runModule('file', { path: l, src: 'nope', state: 'link' });
    expect(r.failed).to.equal(true);
    expect(r.msg).to.match(/does not exist/);
    const plain = join(dir, 'plain');
    await writeFile(plain, 'p');
    expect((await runModule('file', { path: plain, src: 'target', state: 'link' })).failed).to.equal(true);
    expect((await runModule('file', { path: plain, src: 'target', state: 'link', force: true })).changed).to.equal(true);
    expect(await readlink(plain)).to.equal('target');
    // a link pointing at a directory is replaced, not written into
    await mkdir(join(dir, 'sub'));
    await symlink('sub', join(dir, 'dirlink'));
    expect((await runModule('file', { path: join(dir, 'dirlink'), src: 'target', state: 'link' })).changed).to.equal(true);
    expect(await readlink(join(dir, 'dirlink'))).to.equal('target');
    expect(await readdir(join(dir, 'sub'))).to.deep.equal([]);

    const h = join(dir, 'hard');
    expect((await runModule('file', { path: h, src: target, state: 'hard' })).changed).to.equal(true);
    expect((await stat(h)).ino).to.equal((await stat(target)).ino);
    expect((await runModule('file', { path: h, src: target, state: 'hard' })).changed).to.equal(false);
    await noTmp();
  });

  it('recurse applies mode to the tree and is idempotent', async () => {
    const d = join(dir, 'tree');
    await mkdir(join(d, 'a', 'b'), { recursive: true });
    await writeFile(join(d, 'a', 'b', 'f'), '', { mode: 0o600 });
    const c = await runModule('file', { path: d, state: 'directory', recurse: true, mode: '0755' }, makeCtx({ check: true }));
    expect(c.changed).to.equal(true);
    expect(await mode(join(d, 'a', 'b', 'f'))).to.equal('600');
    expect((await runModule('file', { path: d, state: 'directory', recurse: true, mode: '0755' })).changed).to.equal(true);
    expect(await mode(join(d, 'a', 'b', 'f'))).to.equal('755');
    expect((await runModule('file', { path: d, state: 'directory', recurse: true, mode: '0755' })).changed).to.equal(false);
    expect((await runModule('file', { path: d, state: 'directory', recurse: true, mode: '0755' }, makeCtx({ check: true }))).changed).to.equal(false);
    expect((await runModule('file', { path: d, state: 'directory', recurse: true, owner: 'root', group: 'root' })).changed).to.equal(false);
  });
});

describe('modules: ini_file', () => {
  const INI = '# top comment\nglobal = 1\n\n[main]\n; keep me\nname = a\n\n[other]\nx=1\n';

  it('sets an option, preserving comments and other sections; idempotent; check; diff', async () => {
    const p = join(dir, 'conf.ini');
    await writeFile(p, INI);
    const c = await runModule('ini_file', { path: p, section: 'main', option: 'name', value: 'b' }, makeCtx({ check: true, diff: true }));
    expect(c.changed).to.equal(true);
    expect(c.diff![0]!.after).to.contain('name = b');
    expect(await readFile(p, 'utf8')).to.equal(INI);
    const r1 = await runModule('ini_file', { path: p, section: 'main', option: 'name', value: 'b' }, makeCtx({ diff: true }));
    expect(r1.changed, r1.msg).to.equal(true);
    expect(await readFile(p, 'utf8')).to.equal(INI.replace('name = a', 'name = b'));
    expect(r1.diff![0]!.before).to.equal(INI);
    expect((await runModule('ini_file', { path: p, section: 'main', option: 'name', value: 'b' })).changed).to.equal(false);
    await noTmp();
  });

  it('adds options and sections, removes them, creates the file', async () => {
    const p = join(dir, 'new.ini');
    const r = await runModule('ini_file', { path: p, section: 's', option: 'k', value: 'v', no_extra_spaces: true, mode: '0600' });
    expect(r.changed, r.msg).to.equal(true);
    // a new file starts with a blank line, as community.general's ini_file writes it (ini-file-oracle)
    expect(await readFile(p, 'utf8')).to.equal('\n[s]\nk=v\n');
    expect(await mode(p)).to.equal('600');
    await runModule('ini_file', { path: p, section: 's', option: 'k2', value: 'v2' });
    expect(await readFile(p, 'utf8')).to.equal('\n[s]\nk=v\nk2 = v2\n');
    expect((await runModule('ini_file', { path: p, section: 's', option: 'k', state: 'absent' })).changed).to.equal(true);
    expect(await readFile(p, 'utf8')).to.equal('\n[s]\nk2 = v2\n');
    expect((await runModule('ini_file', { path: p, section: 's', option: 'k', state: 'absent' })).changed).to.equal(false);
    const nc = await runModule('ini_file', { path: join(dir, 'nocreate.ini'), section: 's', option: 'k', value: 'v', create: false });
    expect(nc.failed).to.equal(true);
  });
});

describe('modules: stat and slurp', () => {
  it('stat reports a file, a link, a directory and absence', async () => {
    const f = join(dir, 'f');
    await writeFile(f, 'abc', { mode: 0o640 });
    const r = await runModule('stat', { path: f });
    expect(r.changed).to.equal(false);
    const s = r.stat as Record<string, unknown>;
    expect(s).to.include({ exists: true, isreg: true, isdir: false, islnk: false, mode: '0640', size: 3, uid: 0, gid: 0, pw_name: 'root' });
    expect(s.checksum).to.equal('a9993e364706816aba3e25717850c26c9cd0d89d'); // sha1("abc")
    await symlink(f, join(dir, 'l'));
    const l = (await runModule('stat', { path: join(dir, 'l') })).stat as Record<string, unknown>;
    expect(l).to.include({ islnk: true, lnk_target: f });
    const lf = (await runModule('stat', { path: join(dir, 'l'), follow: true })).stat as Record<string, unknown>;
    expect(lf).to.include({ islnk: false, isreg: true });
    expect(((await runModule('stat', { path: dir })).stat as Record<string, unknown>).isdir).to.equal(true);
    expect((await runModule('stat', { path: join(dir, 'none') })).stat).to.deep.equal({ exists: false });
    expect(((await runModule('stat', { path: f, get_checksum: false })).stat as Record<string, unknown>).checksum).to.equal(undefined);
  });

  it('slurp returns base64 content; fails on missing files', async () => {
    const f = join(dir, 'bin');
    const data = Buffer.from([0, 1, 2, 255, 10, 65]);
    await writeFile(f, data);
    const r = await runModule('slurp', { src: f });
    expect(r.encoding).to.equal('base64');
    expect(Buffer.from(r.content as string, 'base64').equals(data)).to.equal(true);
    expect((await runModule('slurp', { src: join(dir, 'nope') })).failed).to.equal(true);
    expect((await runModule('slurp', { src: dir })).failed).to.equal(true);
  });
});
