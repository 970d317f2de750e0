import { expect } from 'chai';
import { join } from 'node:path';
import { runCli, ROOT, type CliResult } from '../helpers/cli.js';
import { describeConnection, maskArgs, maskModuleArgs } from '../../src/runner/trace.js';

const FIX = join(ROOT, 'test/fixtures/verbosity');
const SECRET = 's3cr3t-value-42';

describe('verbosity: -v .. -vvvv each add something, secrets never shown', function () {
  this.timeout(120_000);
  let runs: CliResult[] = [];
  before(async () => {
    runs = await Promise.all(
      [[], ['-v'], ['-vv'], ['-vvv'], ['-vvvv']].map((v) => runCli([join(FIX, 'site.yml'), '-i', join(FIX, 'hosts.ini'), '--retry-file', 'none', ...v], { cwd: FIX })),
    );
  });

  it('every level runs, and no level prints the secret (set_fact password, no_log task args, command and output)', () => {
    for (const r of runs) {
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(r.stdout + r.stderr).to.not.include(SECRET);
    }
  });

  it('-v adds the results\' return values', () => {
    expect(runs[0]!.stdout).to.not.match(/"rc": 0/);
    expect(runs[1]!.stdout).to.match(/"rc": 0/).and.match(/"stdout": "hello-from-stdout"/);
    expect(runs[1]!.stdout).to.not.include('task path:');
  });

  it('-vv adds task paths and module arguments, secrets masked, no_log hidden', () => {
    const out = runs[2]!.stdout;
    expect(out).to.match(/^task path: site\.yml:8$/m).and.match(/^task path: site\.yml:14$/m);
    expect(out).to.include('<local1> command args: {"_raw_params":"echo hello-from-stdout"}');
    expect(out).to.include('<local1> set_fact args: {"db_password":"********","db_user":"app"}');
    expect(out).to.include('<local1> command args: (hidden: no_log)');
    expect(out).to.not.include('EXEC');
  });

  it('-vvv adds the connection and the remote commands; -vvvv their raw stdout/stderr', () => {
    const v3 = runs[3]!.stdout;
    expect(v3).to.include('<local1> ESTABLISH LOCAL CONNECTION');
    expect(v3).to.match(/<local1> EXEC: [^\n]*\n?.*echo hello-from-stdout/);
    expect(v3).to.include('<local1> EXEC (hidden: no_log)');
    expect(v3).to.not.include('STDOUT:');
    const v4 = runs[4]!.stdout;
    expect(v4).to.match(/<local1> rc=0\nSTDOUT:\nhello-from-stdout\n/);
    expect(v4.match(/STDOUT:/g)).to.have.length(1); // not for the no_log task
  });

  it('the -vvv connection line names host, port, user, key and jump, never a password', () => {
    const line = describeConnection({
      host: 'web1', connection: 'ssh', address: '10.0.0.5', port: 2222, user: 'deploy', privateKeyFile: '/k/id_ed25519',
      proxyJump: 'bastion@10.0.0.1:22', password: 'pw-' + SECRET, passphrase: SECRET, becomePassword: SECRET, hostKeyChecking: 'strict', connectTimeoutMs: 1000,
    });
    expect(line).to.equal('ESTABLISH SSH CONNECTION host=10.0.0.5 port=2222 user=deploy key=/k/id_ed25519 jump=bastion@10.0.0.1:22 host_key_checking=strict password=********');
    expect(maskArgs({ url: 'x', headers: { 'X-Api-Token': SECRET }, login_password: SECRET, list: [{ passwd: SECRET }] })).to.deep.equal({
      url: 'x', headers: { 'X-Api-Token': '********' }, login_password: '********', list: [{ passwd: '********' }],
    });
    // options a module declares no_log are masked whatever their name
    expect(maskModuleArgs({ name: 'u', hash: 'h', alias: 'a' }, { hash: { no_log: true, aliases: ['alias'] }, name: {} })).to.deep.equal({ name: 'u', hash: '********', alias: '********' });
  });
});
