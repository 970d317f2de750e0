/**
 * ControlPersist's pure parts: the settings from ssh_args (as OpenSSH reads them), the key that
 * decides which connections may be shared, the control directory's trust, and the idle expiry.
 */
import { expect } from 'chai';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { connectionKey, dirTrusted, IdleExpiry, type KeyInputs } from '../../src/connection/persist.js';
import { connectionSpecFromVars, controlPersistSeconds, DEFAULT_CONTROL_PATH_DIR, DEFAULT_SSH_ARGS, sshTimeSeconds } from '../../src/connection/spec.js';
import { loadAnsibleConfig } from '../../src/config/index.js';
import { F, frame, frameReader } from '../../src/connection/broker-proto.js';
import type { ConnectionSpec } from '../../src/connection/types.js';
import { tempDir } from '../helpers/tmp.js';

describe('ControlPersist: settings, key, directory, expiry', () => {
  let tmp: string;
  before(() => (tmp = tempDir('ww-persist-unit-')));

  it("the defaults and variable names are ansible-core's (ansible-doc -t connection ssh)", function () {
    this.timeout(60000);
    const doc = JSON.parse(execFileSync('ansible-doc', ['-t', 'connection', 'ssh', '--json'], { encoding: 'utf8' })) as {
      ssh: { doc: { options: Record<string, { default?: string; vars?: Array<{ name: string }> }> } };
    };
    const o = doc.ssh.doc.options;
    expect(o.ssh_args!.default).to.equal(DEFAULT_SSH_ARGS);
    expect(o.control_path_dir!.default!.replace(/^~/, homedir())).to.equal(DEFAULT_CONTROL_PATH_DIR);
    expect(o.ssh_args!.vars!.map((v) => v.name)).to.include('ansible_ssh_args');
    expect(o.control_path_dir!.vars!.map((v) => v.name)).to.include('ansible_control_path_dir');
  });

  it('ssh_args: ControlMaster and ControlPersist as OpenSSH reads them', () => {
    expect(controlPersistSeconds(DEFAULT_SSH_ARGS)).to.equal(60);
    expect(controlPersistSeconds('-o ControlMaster=auto -o ControlPersist=10m')).to.equal(600);
    expect(controlPersistSeconds('-oControlMaster=yes -o "ControlPersist 1h30m"')).to.equal(5400);
    expect(controlPersistSeconds('-o ControlMaster=auto -o ControlPersist=yes')).to.equal(Infinity);
    expect(controlPersistSeconds('-o ControlMaster=auto -o ControlPersist=no')).to.equal(0);
    expect(controlPersistSeconds('-o ControlMaster=auto -o ControlPersist=0')).to.equal(0);
    expect(controlPersistSeconds('-o ControlMaster=no -o ControlPersist=60s')).to.equal(0);
    expect(controlPersistSeconds('-o ControlPersist=60s')).to.equal(0); // no master: nothing to keep
    expect(controlPersistSeconds('-o ControlMaster=auto')).to.equal(0); // the master ends with its run
    expect(controlPersistSeconds('-o ControlMaster=auto -o ControlPersist=60 -o ControlPath=none')).to.equal(0);
    expect(controlPersistSeconds('-o ControlMaster=auto -o ControlPersist=30 -o ControlPersist=90')).to.equal(30); // first wins
    expect(controlPersistSeconds('')).to.equal(0);
    expect(sshTimeSeconds('2w')).to.equal(1209600);
    expect(sshTimeSeconds('1x')).to.equal(undefined);
  });

  it('the spec: ansible_ssh_args beats ssh_args (ansible.cfg / ANSIBLE_SSH_ARGS), control_path_dir likewise', () => {
    const spec = (vars: Record<string, unknown>, o: { sshArgs?: string; controlPathDir?: string } = {}) =>
      connectionSpecFromVars('h', { ansible_host: '10.0.0.1', ...vars }, { hostKeyChecking: 'strict', ...o });
    expect(spec({}).controlPersistS).to.equal(60);
    expect(spec({}).controlPathDir).to.match(/\/\.ansible\/cp$/);
    expect(spec({}, { sshArgs: '-o ControlPersist=no' }).controlPersistS).to.equal(0);
    expect(spec({ ansible_ssh_args: '-o ControlMaster=auto -o ControlPersist=5s' }, { sshArgs: '-o ControlPersist=no' }).controlPersistS).to.equal(5);
    expect(spec({ ansible_control_path_dir: '/x/cp' }, { controlPathDir: '/y' }).controlPathDir).to.equal('/x/cp');
    expect(spec({}, { controlPathDir: '/y' }).controlPathDir).to.equal('/y');
  });

  it('ansible.cfg [ssh_connection] ssh_args / control_path_dir, the environment over them', () => {
    const d = join(tmp, 'cfg');
    mkdirSync(d);
    writeFileSync(join(d, 'ansible.cfg'), '[ssh_connection]\nssh_args = -o ControlMaster=auto -o ControlPersist=5m\ncontrol_path_dir = ~/cpd\n');
    const c = loadAnsibleConfig({ ANSIBLE_CONFIG: join(d, 'ansible.cfg') }, d);
    expect(c.ssh.args).to.equal('-o ControlMaster=auto -o ControlPersist=5m');
    expect(c.ssh.controlPathDir).to.match(/^\/.*\/cpd$/);
    const e = loadAnsibleConfig({ ANSIBLE_CONFIG: join(d, 'ansible.cfg'), ANSIBLE_SSH_ARGS: '', ANSIBLE_SSH_CONTROL_PATH_DIR: '/z' }, d);
    expect(e.ssh).to.deep.equal({ args: '', controlPathDir: '/z' });
    expect(loadAnsibleConfig({ ANSIBLE_CONFIG: join(d, 'none.cfg') }, tmp).ssh).to.deep.equal({});
  });

  it('the key covers the build and every setting that decides the connection, file contents included', () => {
    const key = join(tmp, 'id');
    const kh = join(tmp, 'kh');
    const cfg = join(tmp, 'ssh_config');
    const ident = join(tmp, 'id_default');
    writeFileSync(key, 'KEY1');
    writeFileSync(kh, 'host ssh-ed25519 AAAA\n');
    writeFileSync(cfg, 'Host x\n');
    writeFileSync(ident, 'DEFAULT1');
    const spec: ConnectionSpec = {
      host: 'h', connection: 'ssh', address: '10.0.0.1', port: 22, user: 'root', privateKeyFile: key,
      hostKeyChecking: 'strict', knownHostsFile: kh, connectTimeoutMs: 10_000,
    };
    const inputs: KeyInputs = { buildId: 'b1', knownHostsFiles: [kh], defaultIdentityFiles: [ident], agentSocket: null, sshConfigFile: cfg, jumps: [] };
    const base = connectionKey(spec, inputs);
    expect(connectionKey({ ...spec }, { ...inputs })).to.equal(base);
    expect(connectionKey({ ...spec, becomePassword: 'x' }, inputs), 'the become password does not make the connection').to.equal(base);
    const variants: Array<[string, ConnectionSpec, KeyInputs]> = [
      ['address', { ...spec, address: '10.0.0.2' }, inputs],
      ['port', { ...spec, port: 2222 }, inputs],
      ['user', { ...spec, user: 'other' }, inputs],
      ['key file', { ...spec, privateKeyFile: `${key}2` }, inputs],
      ['passphrase', { ...spec, passphrase: 'secret' }, inputs],
      ['password', { ...spec, password: 'secret' }, inputs],
      ['host key checking', { ...spec, hostKeyChecking: 'accept-new' }, inputs],
      ['known_hosts file', { ...spec, knownHostsFile: `${kh}2` }, inputs],
      ['proxy jump', { ...spec, proxyJump: 'jump' }, inputs],
      ['keepalive', { ...spec, serverAliveIntervalMs: 1000 }, inputs],
      ['build', spec, { ...inputs, buildId: 'b2' }],
      ['jump chain', spec, { ...inputs, jumps: [{ ...spec, host: 'j', address: '10.0.0.9' }] }],
      ['agent', spec, { ...inputs, agentSocket: '/tmp/agent.sock' }],
      ['known_hosts list', spec, { ...inputs, knownHostsFiles: [kh, '/etc/ssh/ssh_known_hosts'] }],
      ['ssh config', spec, { ...inputs, sshConfigFile: undefined }],
    ];
    const seen = new Set([base]);
    for (const [what, s, k] of variants) {
      const v = connectionKey(s, k);
      expect(seen.has(v), what).to.equal(false);
      seen.add(v);
    }
    expect(connectionKey({ ...spec, password: 'a' }, inputs)).to.not.equal(connectionKey({ ...spec, password: 'b' }, inputs));
    expect(connectionKey({ ...spec, password: 'secret' }, inputs)).to.not.include('secret');
    // contents: the key file, the known_hosts files, the ssh config; the default keys when none is named
    const changed = (file: string, text: string, s: ConnectionSpec = spec) => {
      const before = connectionKey(s, inputs);
      writeFileSync(file, text);
      return connectionKey(s, inputs) !== before;
    };
    expect(changed(key, 'KEY2'), 'key content').to.equal(true);
    expect(changed(kh, 'host ssh-ed25519 BBBB\n'), 'known_hosts content').to.equal(true);
    expect(changed(cfg, 'Host y\n'), 'ssh config content').to.equal(true);
    expect(changed(ident, 'DEFAULT2'), 'default key ignored when a key is named').to.equal(false);
    expect(changed(ident, 'DEFAULT3', { ...spec, privateKeyFile: undefined }), 'default key content').to.equal(true);
  });

  it('the control directory is trusted only when ours and written to by no one else', () => {
    const ok = join(tmp, 'ok');
    mkdirSync(ok, { mode: 0o700 });
    expect(dirTrusted(ok)).to.equal(true);
    chmodSync(ok, 0o755);
    expect(dirTrusted(ok), '0755: others may read, not write').to.equal(true);
    chmodSync(ok, 0o770);
    expect(dirTrusted(ok), 'group-writable').to.equal(false);
    chmodSync(ok, 0o703);
    expect(dirTrusted(ok), 'other-writable').to.equal(false);
    chmodSync(ok, 0o700);
    expect(dirTrusted(ok, (process.getuid?.() ?? 0) + 1), 'another owner').to.equal(false);
    const link = join(tmp, 'link');
    symlinkSync(ok, link);
    expect(dirTrusted(link), 'a symlink').to.equal(false);
    expect(dirTrusted(join(tmp, 'missing'))).to.equal(false);
    writeFileSync(join(tmp, 'file'), '');
    expect(dirTrusted(join(tmp, 'file')), 'not a directory').to.equal(false);
  });

  it('idle expiry: ControlPersist after the last client left, never while one is attached', () => {
    let now = 1000;
    const x = new IdleExpiry(() => now);
    expect(x.nextInMs()).to.equal(undefined);
    x.idle('a', 60_000);
    x.idle('b', 5_000);
    expect(x.nextInMs()).to.equal(5_000);
    now += 4_999;
    expect(x.due()).to.deep.equal([]);
    now += 1;
    expect(x.due()).to.deep.equal(['b']);
    expect(x.due()).to.deep.equal([]); // reported once
    x.busy('a'); // a client came back: no expiry while attached
    now += 120_000;
    expect(x.due()).to.deep.equal([]);
    x.idle('a', 60_000); // it left again: 60 s from now
    now += 59_999;
    expect(x.due()).to.deep.equal([]);
    now += 1;
    expect(x.due()).to.deep.equal(['a']);
    x.idle('c', Infinity); // ControlPersist=yes
    now += 1e12;
    expect(x.due()).to.deep.equal([]);
    expect(x.nextInMs()).to.equal(undefined);
  });
});

describe('broker frames', () => {
  it('a stream cut anywhere gives the same frames: small ones together, a large one in many chunks', () => {
    const big = Buffer.alloc(256 * 1024 + 7, 0x61);
    const sent: Array<[number, number, Buffer]> = [[F.Exec, 1, Buffer.from('true')], [F.Stdin, 1, big], [F.Eof, 1, Buffer.alloc(0)], [F.Stdin, 2, Buffer.from('x')]];
    const stream = Buffer.concat(sent.map(([t, c, p]) => frame(t as F, c, p)));
    for (const size of [1, 3, 4, 5, 9, 64 * 1024, stream.length]) {
      const got: Array<[number, number, Buffer]> = [];
      const read = frameReader((t, c, p) => got.push([t, c, Buffer.from(p)]));
      for (let i = 0; i < stream.length; i += size) read(stream.subarray(i, i + size));
      expect(got.map(([t, c, p]) => [t, c, p.length]), `chunks of ${size}`).to.deep.equal(sent.map(([t, c, p]) => [t, c, p.length]));
      expect(got[1]![2].equals(big)).to.equal(true);
      expect(got[3]![2].toString()).to.equal('x');
    }
  });
});
