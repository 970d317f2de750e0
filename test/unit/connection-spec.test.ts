import { shSplit } from '../../src/shell/split.js';
import { expect } from 'chai';
import { rmSync, writeFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/errors.js';
import {
  connectionSpecFromVars,
  jumpHostSpec,
  parseProxyJump,
  proxyJumpFromCommonArgs,
} from '../../src/connection/spec.js';
import { lookupSshConfig, expandPath } from '../../src/connection/ssh-config.js';
import { ConnectionPool, createConnection } from '../../src/connection/factory.js';
import { LocalConnection } from '../../src/connection/local.js';
import { SshConnection } from '../../src/connection/ssh.js';
import { tempDir } from '../helpers/tmp.js';

describe('connection spec and ssh config', () => {
  let dir: string;
  let sshConfigFile: string;
  let keyA: string;
  const base = () => ({ hostKeyChecking: 'strict' as const, sshConfigFile });

  before(() => {
    dir = tempDir('ww-spec-');
    sshConfigFile = join(dir, 'config');
    keyA = join(dir, 'id_a');
    writeFileSync(keyA, 'not really a key');
    writeFileSync(
      sshConfigFile,
      [
        'Host web*',
        '  HostName %h.internal.example.com',
        '  User deploy',
        '  Port 2200',
        `  IdentityFile ${join(dir, 'missing_key')}`,
        `  IdentityFile ${keyA}`,
        'Host db1',
        '  HostName 10.0.0.5',
        '  ProxyJump ops@bastion:2222',
        'Host bastion',
        '  HostName bastion.example.com',
        '  User jumper',
        'Host badport',
        '  Port nope',
        'Match exec "touch ' + join(dir, 'exec-ran') + '"',
        '  User viaexec',
        'Host *',
        '  IdentityFile ~/.ssh/id_catchall',
        '  User fallback',
        '',
      ].join('\n'),
    );
  });

  describe('ssh config', () => {
    it('applies Host patterns, first value wins, %h and ~ expanded, Match exec never run', () => {
      const c = lookupSshConfig('web1', sshConfigFile);
      expect(c.hostName).to.equal('web1.internal.example.com');
      expect(c.user).to.equal('deploy');
      expect(c.port).to.equal(2200);
      expect(c.identityFiles).to.deep.equal([join(dir, 'missing_key'), keyA, join(homedir(), '.ssh/id_catchall')]);
      expect(c.proxyJump).to.equal(undefined);
      const other = lookupSshConfig('unlisted', sshConfigFile);
      expect(other.user).to.equal('fallback');
      expect(other.hostName).to.equal(undefined);
      let ran = true;
      try {
        rmSync(join(dir, 'exec-ran'));
      } catch {
        ran = false;
      }
      expect(ran, 'Match exec must not run').to.equal(false);
    });

    it('a missing config file means no settings', () => {
      expect(lookupSshConfig('web1', join(dir, 'nope'))).to.deep.equal({ identityFiles: [] });
    });

    it('an invalid Port is a UserError naming the file and host', () => {
      expect(() => lookupSshConfig('badport', sshConfigFile)).to.throw(UserError, /Port for host badport/);
    });

    it('expands ~ and tokens', () => {
      expect(expandPath('~/.ssh/id_%r', { remoteUser: 'bob' })).to.equal(join(homedir(), '.ssh/id_bob'));
      expect(expandPath('%d/x%%')).to.equal(`${homedir()}/x%`);
    });
  });

  describe('connectionSpecFromVars', () => {
    it('maps Ansible variable names', () => {
      const s = connectionSpecFromVars(
        'app1',
        {
          ansible_host: '192.0.2.10',
          ansible_port: '2222',
          ansible_user: 'ubuntu',
          ansible_ssh_private_key_file: '~/.ssh/app',
          ansible_ssh_pass: 'pw',
          ansible_ssh_pass_phrase: 'pp',
          ansible_become_pass: 'bp',
          ansible_ssh_proxy_jump: 'me@jump:2022',
        },
        { ...base(), knownHostsFile: '/tmp/kh', connectTimeoutMs: 3000 },
      );
      expect(s).to.deep.include({
        host: 'app1',
        connection: 'ssh',
        address: '192.0.2.10',
        port: 2222,
        user: 'ubuntu',
        privateKeyFile: join(homedir(), '.ssh/app'),
        password: 'pw',
        passphrase: 'pp',
        becomePassword: 'bp',
        proxyJump: 'me@jump:2022',
        hostKeyChecking: 'strict',
        knownHostsFile: '/tmp/kh',
        connectTimeoutMs: 3000,
      });
      const s2 = connectionSpecFromVars('x', { ansible_password: 'a', ansible_become_password: 'b', ansible_port: 22 }, base());
      expect(s2.password).to.equal('a');
      expect(s2.becomePassword).to.equal('b');
      expect(s2.connectTimeoutMs).to.equal(10_000);
    });

    it('defaults: address = inventory name, port 22, local user', () => {
      const s = connectionSpecFromVars('plainhost', {}, { ...base(), sshConfigFile: join(dir, 'none') });
      expect(s).to.deep.include({ connection: 'ssh', address: 'plainhost', port: 22, user: userInfo().username });
      expect(s.privateKeyFile).to.equal(undefined);
    });

    it('a port that is not a number is a UserError naming variable, host and expected type', () => {
      for (const bad of ['ssh', 'twenty', 0, 70000, 22.5, true, ['22']]) {
        expect(() => connectionSpecFromVars('web9', { ansible_port: bad }, base()))
          .to.throw(UserError)
          .with.property('message')
          .that.matches(/host web9: variable ansible_port must be a port number \(an integer from 1 to 65535\)/);
      }
    });

    it('a secret of the wrong type is reported without its value', () => {
      try {
        connectionSpecFromVars('h', { ansible_password: { nested: 'topsecret' } }, base());
        expect.fail('should throw');
      } catch (e) {
        expect(e).to.be.instanceOf(UserError);
        expect((e as Error).message).to.include('ansible_password');
        expect((e as Error).message).to.not.include('topsecret');
      }
    });

    it('implicit localhost is local; explicit ansible_connection wins', () => {
      expect(connectionSpecFromVars('localhost', {}, base()).connection).to.equal('local');
      expect(connectionSpecFromVars('localhost', { ansible_connection: 'ssh' }, base()).connection).to.equal('ssh');
      expect(connectionSpecFromVars('localhost', { ansible_port: 2222 }, base()).connection).to.equal('ssh');
      expect(connectionSpecFromVars('box', { ansible_connection: 'local' }, base()).connection).to.equal('local');
      expect(() => connectionSpecFromVars('box', { ansible_connection: 'winrm' }, base())).to.throw(UserError, /winrm/);
    });

    it('ssh config fills what inventory does not set; inventory wins', () => {
      const s = connectionSpecFromVars('web1', {}, base());
      expect(s).to.deep.include({ address: 'web1.internal.example.com', port: 2200, user: 'deploy', privateKeyFile: keyA });
      const t = connectionSpecFromVars('web1', { ansible_port: 22, ansible_user: 'root', ansible_ssh_private_key_file: '/k' }, base());
      expect(t).to.deep.include({ port: 22, user: 'root', privateKeyFile: '/k' });
      // ansible_host is the name ssh looks up (as with Ansible's ssh plugin)
      const u = connectionSpecFromVars('frontend', { ansible_host: 'web2' }, base());
      expect(u.address).to.equal('web2.internal.example.com');
      expect(connectionSpecFromVars('db1', {}, base()).proxyJump).to.equal('ops@bastion:2222');
      expect(connectionSpecFromVars('db1', { ansible_ssh_proxy_jump: 'none' }, base()).proxyJump).to.equal(undefined);
    });

    it('ProxyJump from ansible_ssh_common_args', () => {
      const pj = (a: string) => connectionSpecFromVars('h', { ansible_ssh_common_args: a }, base()).proxyJump;
      expect(pj('-o ProxyJump=u@j1:2200')).to.equal('u@j1:2200');
      expect(pj('-oProxyJump=j1,j2')).to.equal('j1,j2');
      expect(pj('-o "ProxyJump j3"')).to.equal('j3');
      expect(pj('-o StrictHostKeyChecking=no -J admin@j4')).to.equal('admin@j4');
      expect(pj('-Jj5')).to.equal('j5');
      expect(pj(`-o ProxyCommand="ssh -W %h:%p -q -p 2201 ops@bastion"`)).to.equal('ops@bastion:2201');
      expect(pj('-o Compression=yes')).to.equal(undefined);
      expect(() => pj('-o ProxyCommand="nc -X 5 -x proxy %h %p"')).to.throw(UserError, /ProxyCommand is not supported/);
      // ansible_ssh_proxy_jump wins over common args
      expect(
        connectionSpecFromVars('h', { ansible_ssh_proxy_jump: 'a', ansible_ssh_common_args: '-J b' }, base()).proxyJump,
      ).to.equal('a');
    });

    it('splits arguments like a shell', () => {
      expect(shSplit(`a "b c" 'd e' f\\ g -o"x=1"`)).to.deep.equal(['a', 'b c', 'd e', 'f g', '-ox=1']);
      expect(proxyJumpFromCommonArgs('h', '')).to.equal(undefined);
    });

    it('parses ProxyJump lists and rejects bad ports', () => {
      expect(parseProxyJump('u@a:2200, b ,ssh://c@[::1]:23,[fe80::1]')).to.deep.equal([
        { user: 'u', host: 'a', port: 2200 },
        { user: undefined, host: 'b', port: undefined },
        { user: 'c', host: '::1', port: 23 },
        { user: undefined, host: 'fe80::1', port: undefined },
      ]);
      expect(() => parseProxyJump('a:xx')).to.throw(UserError, /bad port/);
      expect(() => connectionSpecFromVars('h', { ansible_ssh_proxy_jump: 'j:0' }, base())).to.throw(UserError, /host h/);
    });

    it('jump host spec: last hop, earlier hops chained, its ssh config applies, no password inherited', () => {
      const target = connectionSpecFromVars(
        'h',
        { ansible_ssh_proxy_jump: 'first:2001,bastion', ansible_user: 'app', ansible_password: 'pw', ansible_ssh_private_key_file: '/k' },
        base(),
      );
      const j = jumpHostSpec(target, sshConfigFile)!;
      expect(j).to.deep.include({
        host: 'bastion',
        address: 'bastion.example.com',
        user: 'jumper',
        port: 22,
        proxyJump: 'first:2001',
        hostKeyChecking: 'strict',
      });
      expect(j.password).to.equal(undefined);
      const j2 = jumpHostSpec(j, sshConfigFile)!;
      expect(j2).to.deep.include({ host: 'first', port: 2001, user: 'fallback', proxyJump: undefined });
      expect(jumpHostSpec(j2, sshConfigFile)).to.equal(undefined);
      const plain = jumpHostSpec({ ...target, proxyJump: 'me@solo:2022' }, join(dir, 'none'))!;
      expect(plain).to.deep.include({ user: 'me', address: 'solo', port: 2022, privateKeyFile: '/k' });
    });
  });

  describe('factory', () => {
    it('creates local or ssh connections', () => {
      expect(createConnection(connectionSpecFromVars('localhost', {}, base()))).to.be.instanceOf(LocalConnection);
      expect(createConnection(connectionSpecFromVars('web1', {}, base()))).to.be.instanceOf(SshConnection);
    });

    it('pool: concurrent callers share one connection; closeAll', async () => {
      const pool = new ConnectionPool();
      const spec = connectionSpecFromVars('localhost', {}, base());
      const [a, b] = await Promise.all([pool.get('localhost', spec), pool.get('localhost', spec)]);
      expect(a).to.equal(b);
      expect((await a.exec('echo ok')).stdout).to.equal('ok\n');
      await pool.closeAll();
    });
  });

  it('ServerAliveInterval / ServerAliveCountMax in ansible_ssh_common_args or _extra_args set the keepalives', () => {
    const spec = connectionSpecFromVars('k1', { ansible_host: '10.0.0.9', ansible_ssh_common_args: '-o ServerAliveInterval=2 -oServerAliveCountMax=3' }, base());
    expect(spec.serverAliveIntervalMs).to.equal(2000);
    expect(spec.serverAliveCountMax).to.equal(3);
    // Ansible puts the common args before the extra ones, and ssh takes the first value given
    const both = connectionSpecFromVars('k2', { ansible_ssh_extra_args: '-o "ServerAliveInterval 5"', ansible_ssh_common_args: '-o ServerAliveInterval=2' }, base());
    expect(both.serverAliveIntervalMs).to.equal(2000);
    const extra = connectionSpecFromVars('k5', { ansible_ssh_extra_args: '-o "ServerAliveInterval 5"' }, base());
    expect(extra.serverAliveIntervalMs).to.equal(5000);
    expect(connectionSpecFromVars('k3', {}, base()).serverAliveIntervalMs).to.equal(undefined);
    expect(() => connectionSpecFromVars('k4', { ansible_ssh_common_args: '-o ServerAliveInterval=soon' }, base())).to.throw(UserError, /ServerAliveInterval/);
  });
});
