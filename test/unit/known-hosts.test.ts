import { expect } from 'chai';
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkHostKey,
  entryMatches,
  fingerprint,
  keyTypeOf,
  knownHostName,
  knownKeyTypes,
  parseKnownHosts,
} from '../../src/connection/known-hosts.js';
import { tempDir } from '../helpers/tmp.js';

/** An SSH wire-format ed25519 public key blob. */
function ed25519Blob(): Buffer {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const t = Buffer.from('ssh-ed25519');
  const b = Buffer.alloc(4 + t.length + 4 + raw.length);
  b.writeUInt32BE(t.length, 0);
  t.copy(b, 4);
  b.writeUInt32BE(raw.length, 4 + t.length);
  raw.copy(b, 8 + t.length);
  return b;
}

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known_hosts', () => {
  let dir: string;
  let file: string;
  const key = ed25519Blob();
  const other = ed25519Blob();
  const line = (hosts: string, k = key, type = 'ssh-ed25519') => `${hosts} ${type} ${k.toString('base64')}`;

  beforeEach(() => {
    dir = tempDir('ww-kh-');
    file = join(dir, 'known_hosts');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('names non-22 ports as [host]:port and prints OpenSSH fingerprints', () => {
    expect(knownHostName('10.0.0.1')).to.equal('10.0.0.1');
    expect(knownHostName('10.0.0.1', 22)).to.equal('10.0.0.1');
    expect(knownHostName('web', 2222)).to.equal('[web]:2222');
    expect(keyTypeOf(key)).to.equal('ssh-ed25519');
    expect(fingerprint(key)).to.match(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('fingerprint matches ssh-keygen -lf', () => {
    writeFileSync(join(dir, 'k.pub'), `${line('x').split(' ').slice(1).join(' ')} c\n`);
    const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'k.pub')], { encoding: 'utf8' });
    expect(out).to.include(fingerprint(key));
  });

  it('parses markers, comments, blank and malformed lines', () => {
    const entries = parseKnownHosts(
      [
        '# comment',
        '',
        line('a,b'),
        `@revoked ${line('c')}`,
        `@cert-authority ${line('*.example.com')}`,
        'garbage',
        'host ssh-ed25519 !!notbase64!!',
        `${line('d')} trailing comment words`,
      ].join('\n'),
      'f',
    );
    expect(entries.map((e) => [e.hosts, e.marker, e.line])).to.deep.equal([
      ['a,b', undefined, 3],
      ['c', 'revoked', 4],
      ['*.example.com', 'cert-authority', 5],
      ['d', undefined, 8],
    ]);
  });

  it('matches comma lists, wildcards, negation, [host]:port and hashed names', () => {
    expect(entryMatches({ hosts: 'a,b,c' }, 'b')).to.equal(true);
    expect(entryMatches({ hosts: 'a,b,c' }, 'd')).to.equal(false);
    expect(entryMatches({ hosts: 'WEB1' }, 'web1')).to.equal(true);
    expect(entryMatches({ hosts: '*.example.com,!bad.example.com' }, 'ok.example.com')).to.equal(true);
    expect(entryMatches({ hosts: '*.example.com,!bad.example.com' }, 'bad.example.com')).to.equal(false);
    expect(entryMatches({ hosts: 'web?' }, 'web7')).to.equal(true);
    expect(entryMatches({ hosts: '[web]:2222' }, '[web]:2222')).to.equal(true);
    expect(entryMatches({ hosts: '[web]:2222' }, 'web')).to.equal(false);
    expect(entryMatches({ hosts: 'web' }, '[web]:2222')).to.equal(false);
    expect(entryMatches({ hosts: hashed('[10.1.2.3]:2200') }, '[10.1.2.3]:2200')).to.equal(true);
    expect(entryMatches({ hosts: hashed('[10.1.2.3]:2200') }, '10.1.2.3')).to.equal(false);
  });

  it('understands entries hashed by ssh-keygen -H', async () => {
    writeFileSync(file, `${line('[127.0.0.1]:2022')}\n${line('plainhost', other)}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const text = readFileSync(file, 'utf8');
    expect(text).to.not.include('127.0.0.1');
    expect(text).to.match(/^\|1\|/);
    const v = await checkHostKey({ mode: 'strict', files: [file], writeFile: file }, '127.0.0.1', 2022, key);
    expect(v).to.deep.equal({ ok: true, status: 'known' });
    const v2 = await checkHostKey({ mode: 'strict', files: [file], writeFile: file }, 'plainhost', 22, other);
    expect(v2.ok).to.equal(true);
  });

  it('strict: unknown refused with the hint, known accepted, changed refused with the fingerprint', async () => {
    const o = { mode: 'strict' as const, files: [file, join(dir, 'missing')], writeFile: file };
    const unknown = await checkHostKey(o, 'web', 22, key);
    expect(unknown.ok).to.equal(false);
    if (!unknown.ok) {
      expect(unknown.status).to.equal('unknown');
      expect(unknown.reason).to.include('host key for web is not known (add it to known_hosts, or use --host-key-checking accept-new)');
    }
    writeFileSync(file, `${line('other,web')}\n`);
    expect((await checkHostKey(o, 'web', 22, key)).ok).to.equal(true);
    const changed = await checkHostKey(o, 'web', 22, other);
    expect(changed.ok).to.equal(false);
    if (!changed.ok) {
      expect(changed.status).to.equal('changed');
      expect(changed.reason).to.include('HOST KEY CHANGED for web');
      expect(changed.reason).to.include(fingerprint(other));
    }
  });

  it('a key of another type than the recorded one counts as changed', async () => {
    writeFileSync(file, `${line('web', other)}\n`);
    const fakeRsa = Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from('ssh-rsa'), randomBytes(64)]);
    const v = await checkHostKey({ mode: 'accept-new', files: [file], writeFile: file }, 'web', 22, fakeRsa);
    expect(v.ok).to.equal(false);
    expect(readFileSync(file, 'utf8').trim().split('\n')).to.have.length(1);
    expect(await knownKeyTypes([file], 'web')).to.deep.equal(['ssh-ed25519']);
  });

  it('@revoked keys are refused even with a plain entry, @cert-authority lines are ignored', async () => {
    writeFileSync(file, `${line('web')}\n@revoked ${line('*')}\n@cert-authority ${line('ca-only', other)}\n`);
    const v = await checkHostKey({ mode: 'accept-new', files: [file], writeFile: file }, 'web', 22, key);
    expect(v.ok).to.equal(false);
    if (!v.ok) expect(v.reason).to.include('REVOKED');
    const ca = await checkHostKey({ mode: 'strict', files: [file], writeFile: file }, 'ca-only', 22, other);
    expect(ca.ok).to.equal(false);
    if (!ca.ok) expect(ca.status).to.equal('unknown');
  });

  it('accept-new: changed key still refused, nothing written', async () => {
    writeFileSync(file, `${line('[web]:2222')}\n`);
    const before = readFileSync(file, 'utf8');
    const v = await checkHostKey({ mode: 'accept-new', files: [file], writeFile: file }, 'web', 2222, other);
    expect(v.ok).to.equal(false);
    if (!v.ok) expect(v.reason).to.include('HOST KEY CHANGED for web:2222');
    expect(readFileSync(file, 'utf8')).to.equal(before);
  });

  it('accept-new: 30 racing checks of 3 new hosts append exactly one line per host', async () => {
    writeFileSync(file, '# existing without trailing newline');
    const keys = [key, other, ed25519Blob()];
    const o = { mode: 'accept-new' as const, files: [file], writeFile: file };
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => checkHostKey(o, `h${i % 3}`, 2200, keys[i % 3])),
    );
    expect(results.every((r) => r.ok)).to.equal(true);
    expect(results.filter((r) => r.ok && r.status === 'added')).to.have.length(3);
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(lines).to.have.length(4);
    expect(lines[0]).to.equal('# existing without trailing newline');
    expect(lines.slice(1).sort()).to.deep.equal(
      keys.map((k, i) => `[h${i}]:2200 ssh-ed25519 ${k.toString('base64')}`).sort(),
    );
    const again = await checkHostKey({ ...o, mode: 'strict' }, 'h1', 2200, other);
    expect(again).to.deep.equal({ ok: true, status: 'known' });
  });

  it('accept-new creates a missing file (and its directory)', async () => {
    const nested = join(dir, 'sub', 'known_hosts');
    const v = await checkHostKey({ mode: 'accept-new', files: [nested], writeFile: nested }, 'n', 22, key);
    expect(v).to.deep.equal({ ok: true, status: 'added' });
    expect(readFileSync(nested, 'utf8')).to.equal(`n ssh-ed25519 ${key.toString('base64')}\n`);
  });

  it('off accepts anything and writes nothing', async () => {
    const v = await checkHostKey({ mode: 'off', files: [file], writeFile: file }, 'x', 22, key);
    expect(v).to.deep.equal({ ok: true, status: 'unchecked' });
    expect(() => readFileSync(file)).to.throw();
  });
});
