/**
 * The same ensure code over an SSH Connection (a throwaway sshd on 127.0.0.1): what the
 * python_venv_build role does on targets.
 */
import { expect } from 'chai';
import { existsSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { SshConnection } from '../../src/connection/ssh.js';
import { ensureVenv, VenvError } from '../../src/venv/ensure.js';
import { SYSTEM_PYTHON, testWheels } from '../helpers/pywheels.js';
import { clientKeys, sshdAvailable, startSshd, type Sshd } from '../helpers/sshd.js';
import { tempDir } from '../helpers/tmp.js';

describe('venv ensure over SSH', function () {
  this.timeout(60000);
  let sshd: Sshd | undefined;
  let conn: SshConnection;
  let root: string;

  before(async function () {
    if (!sshdAvailable()) this.skip();
    sshd = await startSshd();
    conn = new SshConnection(
      {
        host: 'venv-target',
        connection: 'ssh',
        address: '127.0.0.1',
        port: sshd.port,
        user: 'root',
        privateKeyFile: clientKeys().key,
        hostKeyChecking: 'off',
        connectTimeoutMs: 5000,
      },
      { knownHostsFiles: [], agentSocket: null, defaultIdentityFiles: [] },
    );
    await conn.connect();
    root = tempDir('ww-venvssh-');
  });
  after(async () => {
    await conn?.close();
    await sshd?.stop();
  });

  it('builds a generation, then is a no-op; a missing wheel fails with the host named', async () => {
    const path = join(root, 'svc');
    const spec = { path, layout: 'generations' as const, python: SYSTEM_PYTHON, requirements: ['beta'], findLinks: [testWheels().all], noIndex: true, isolated: true };
    const r1 = await ensureVenv(conn, spec);
    expect(r1.changed).to.equal(true);
    expect(r1.installed).to.include({ beta: '1.0' });
    expect(readlinkSync(path)).to.equal(`svc.generations/${r1.generation}`);
    const r2 = await ensureVenv(conn, spec);
    expect(r2.changed).to.equal(false);
    try {
      await ensureVenv(conn, { ...spec, requirements: ['beta', 'nosuchpkg'] });
      expect.fail('should have failed');
    } catch (e) {
      expect(e).to.be.instanceOf(VenvError);
      const v = e as VenvError;
      expect(v.requirement).to.equal('nosuchpkg');
      expect(v.detail()).to.contain(`full log: ${path}.log (on venv-target)`);
    }
    expect(existsSync(join(path, 'bin', 'python'))).to.equal(true);
  });
});
