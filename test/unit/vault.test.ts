/**
 * Vault: files and strings encrypted by wheelwright are read by ansible-vault / ansible-playbook,
 * and the other way round; vaulted group_vars, vars_files, -e @file and inline !vault values load
 * as ansible-playbook loads them; the password and the decrypted file never show in errors.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadInventory } from '../../src/inventory/index.js';
import { loadPlaybook } from '../../src/playbook/index.js';
import { runPlaybook } from '../../src/runner/run.js';
import type { RunEvent } from '../../src/runner/events.js';
import { parseExtraVars } from '../../src/vars/precedence.js';
import { passwordFromFile, setVaultSecrets, vaultDecrypt, vaultEncrypt } from '../../src/vault/index.js';
import { vaultSecretsFrom } from '../../src/cli/vault.js';
import '../../src/modules/index.js';
import { ANSIBLE_ENV, ansiblePlaybooks } from '../helpers/ansible.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const vault = (args: string[], cwd: string) => run('ansible-vault', args, { cwd, env: { ...process.env, ...ANSIBLE_ENV } });
const PASSWORD = 'correct horse battery staple';
const noAsk = async (): Promise<string> => {
  throw new Error('no prompt in tests');
};

describe('vault: interoperable with ansible-vault', function () {
  this.timeout(60_000);
  let dir: string;

  before(() => {
    dir = tempDir('ww-vault-');
    writeFileSync(join(dir, 'pw'), `${PASSWORD}\n`);
    writeFileSync(join(dir, 'pw2'), 'other-password\n');
    // an executable password source: its output is the password
    writeFileSync(join(dir, 'pw.sh'), `#!/bin/sh\necho '${PASSWORD}'\n`);
    chmodSync(join(dir, 'pw.sh'), 0o755);
  });

  after(() => setVaultSecrets([]));

  it('wheelwright encrypts, ansible-vault decrypts (1.1, and 1.2 with a label); and back', async () => {
    writeFileSync(join(dir, 'plain.txt'), 'line one\nünïcode\n');
    writeFileSync(join(dir, 'their.txt'), 'from ansible-vault\n');
    // independent files: both encryptions and ansible-vault's own at the same time
    const [r1, r2] = await Promise.all([
      runCli(['vault', 'encrypt', 'plain.txt', '--output', 'ww.vault', '--vault-password-file', 'pw'], { cwd: dir }),
      runCli(['vault', 'encrypt', 'plain.txt', '--output', 'ww12.vault', '--vault-id', 'prod@pw'], { cwd: dir }),
      vault(['encrypt', 'their.txt', '--vault-id', 'dev@pw'], dir),
    ]);
    expect(r1.code, r1.stderr).to.equal(0);
    expect(readFileSync(join(dir, 'ww.vault'), 'utf8')).to.match(/^\$ANSIBLE_VAULT;1\.1;AES256\n([0-9a-f]{80}\n)+[0-9a-f]*\n?$/);
    expect(r2.code, r2.stderr).to.equal(0);
    expect(readFileSync(join(dir, 'ww12.vault'), 'utf8').split('\n')[0]).to.equal('$ANSIBLE_VAULT;1.2;AES256;prod');
    const [v1, v2, view] = await Promise.all([
      vault(['view', 'ww.vault', '--vault-password-file', 'pw'], dir),
      vault(['view', 'ww12.vault', '--vault-id', 'prod@pw'], dir),
      runCli(['vault', 'view', 'their.txt', '--vault-id', 'dev@pw.sh'], { cwd: dir }),
    ]);
    expect(v1.stdout).to.equal('line one\nünïcode\n');
    expect(v2.stdout).to.equal('line one\nünïcode\n');
    expect(view.code, view.stderr).to.equal(0);
    expect(view.stdout).to.equal('from ansible-vault\n');
    const dec = await runCli(['vault', 'decrypt', 'their.txt', '--vault-password-file', 'pw'], { cwd: dir });
    expect(dec.code, dec.stderr).to.equal(0);
    expect(readFileSync(join(dir, 'their.txt'), 'utf8')).to.equal('from ansible-vault\n');
  });

  it('create, edit (same vault id, unchanged edit leaves the file) and rekey: as ansible-vault reads them, and on its files', async () => {
    // the editor appends a line to the file it is given
    const editor = join(dir, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nprintf "edited by editor\\n" >> "$1"\n');
    chmodSync(editor, 0o755);
    const env = { EDITOR: editor };
    // two files, each with its own steps in order; the two at the same time
    const ours = async () => {
      const made = await runCli(['vault', 'create', 'made.vault', '--vault-id', 'dev@pw'], { cwd: dir, env });
      expect(made.code, made.stderr).to.equal(0);
      expect(readFileSync(join(dir, 'made.vault'), 'utf8').split('\n')[0]).to.equal('$ANSIBLE_VAULT;1.2;AES256;dev');
      expect((await vault(['view', 'made.vault', '--vault-id', 'dev@pw'], dir)).stdout).to.equal('edited by editor\n');
      const again = await runCli(['vault', 'create', 'made.vault', '--vault-id', 'dev@pw'], { cwd: dir, env });
      expect(again.code).to.equal(5);
      expect(again.stderr).to.match(/made\.vault exists, please use 'edit' instead/);
      const rekeyed = await runCli(['vault', 'rekey', 'made.vault', '--vault-id', 'dev@pw', '--new-vault-password-file', 'pw2'], { cwd: dir });
      expect(rekeyed.code, rekeyed.stderr).to.equal(0);
      expect((await vault(['view', 'made.vault', '--vault-password-file', 'pw2'], dir)).stdout).to.equal('edited by editor\n');
    };
    const theirs = async () => {
      writeFileSync(join(dir, 'theirs2.txt'), 'a\n');
      await vault(['encrypt', 'theirs2.txt', '--vault-id', 'prod@pw'], dir);
      const edited = await runCli(['vault', 'edit', 'theirs2.txt', '--vault-id', 'prod@pw'], { cwd: dir, env });
      expect(edited.code, edited.stderr).to.equal(0);
      expect(readFileSync(join(dir, 'theirs2.txt'), 'utf8').split('\n')[0]).to.equal('$ANSIBLE_VAULT;1.2;AES256;prod');
      expect((await vault(['view', 'theirs2.txt', '--vault-id', 'prod@pw'], dir)).stdout).to.equal('a\nedited by editor\n');
      const before = readFileSync(join(dir, 'theirs2.txt'));
      const unchanged = await runCli(['vault', 'edit', 'theirs2.txt', '--vault-id', 'prod@pw'], { cwd: dir, env: { EDITOR: 'true' } });
      expect(unchanged.code, unchanged.stderr).to.equal(0);
      expect(readFileSync(join(dir, 'theirs2.txt')).equals(before), 'an unchanged edit rewrites nothing').to.equal(true);
      await vault(['rekey', 'theirs2.txt', '--vault-id', 'prod@pw', '--new-vault-password-file', 'pw2'], dir);
      const view = await runCli(['vault', 'view', 'theirs2.txt', '--vault-password-file', 'pw2'], { cwd: dir });
      expect(view.code, view.stderr).to.equal(0);
      expect(view.stdout).to.equal('a\nedited by editor\n');
    };
    await Promise.all([ours(), theirs()]);
  });

  it('copy sends a vaulted src decrypted (decrypt: false sends it as it is), as ansible-playbook', async () => {
    mkdirSync(join(dir, 'cp', 'files'), { recursive: true });
    const cp = join(dir, 'cp');
    writeFileSync(join(cp, 'files', 'secret.txt'), 'the secret\n');
    await vault(['encrypt', 'files/secret.txt', '--vault-password-file', join(dir, 'pw')], cp);
    writeFileSync(join(cp, 'hosts'), 'localhost ansible_connection=local\n');
    writeFileSync(
      join(cp, 'site.yml'),
      `- hosts: localhost\n  gather_facts: false\n  tasks:\n    - copy: {src: secret.txt, dest: "{{ out }}/plain"}\n    - copy: {src: secret.txt, dest: "{{ out }}/raw", decrypt: false}\n`,
    );
    mkdirSync(join(cp, 'ansible'));
    mkdirSync(join(cp, 'ww'));
    const oracle = ansiblePlaybooks([{ id: 'cp', argv: ['-i', 'hosts', 'site.yml', '--vault-password-file', join(dir, 'pw'), '-e', `out=${join(cp, 'ansible')}`], cwd: cp }]);
    setVaultSecrets([passwordFromFile(join(dir, 'pw'))]);
    const summary = await runPlaybook(
      {
        playbook: await loadPlaybook(join(cp, 'site.yml')),
        inventory: await loadInventory([join(cp, 'hosts')], { playbookDir: cp }),
        extraVars: { out: join(cp, 'ww') }, forks: 5, verbosity: 0, check: false, diff: false, tags: [], skipTags: [], hostKeyChecking: 'strict', connectTimeoutMs: 10_000, retryFile: false,
      },
      () => {},
    );
    const theirs = (await oracle).cp!;
    expect(theirs.code, theirs.stdout).to.equal(0);
    expect(summary.exitCode).to.equal(0);
    expect(readFileSync(join(cp, 'ww', 'plain'), 'utf8')).to.equal('the secret\n').and.equal(readFileSync(join(cp, 'ansible', 'plain'), 'utf8'));
    expect(readFileSync(join(cp, 'ww', 'raw'), 'utf8')).to.match(/^\$ANSIBLE_VAULT;1\.1;AES256\n/).and.equal(readFileSync(join(cp, 'ansible', 'raw'), 'utf8'));
  });

  it('a wrong password fails clearly, exit 5, without the password or the plaintext', async () => {
    const r = await runCli(['vault', 'view', 'ww.vault', '--vault-password-file', 'pw2'], { cwd: dir });
    expect(r.code).to.equal(5);
    expect(r.stderr).to.match(/ww\.vault: no vault secret given opens it/);
    expect(r.stderr + r.stdout).to.not.include('other-password').and.not.include('line one');
    expect(() => vaultDecrypt(vaultEncrypt('top secret', { label: 'default', password: Buffer.from('a') }), [{ label: 'default', password: Buffer.from('b') }], 'x')).to.throw(/no vault secret given opens it/).that.satisfies((e: Error) => !e.message.includes('top secret'));
  });

  it('vaulted group_vars, vars_files and -e @file, inline !vault from both tools: as ansible-playbook loads them', async () => {
    const pw = { label: 'default', password: Buffer.from(PASSWORD) };
    mkdirSync(join(dir, 'play/group_vars'), { recursive: true });
    writeFileSync(join(dir, 'play/group_vars/all.yml'), vaultEncrypt('gv_secret: from-group-vars\n', pw));
    writeFileSync(join(dir, 'play/vf.yml'), vaultEncrypt('vf_secret: from-vars-file\n', pw));
    writeFileSync(join(dir, 'play/extra.yml'), vaultEncrypt('ev_secret: from-extra-vars\n', pw));
    const [ours, theirs] = await Promise.all([
      runCli(['vault', 'encrypt_string', '--vault-password-file', 'pw', '--name', 'ww_inline', 'inline-by-wheelwright'], { cwd: dir }),
      vault(['encrypt_string', '--vault-password-file', 'pw', '--name', 'ans_inline', 'inline-by-ansible'], dir),
    ]);
    const indent = (t: string) => t.trimEnd().split('\n').map((l) => `    ${l}`).join('\n');
    writeFileSync(
      join(dir, 'play/site.yml'),
      `- hosts: localhost\n  gather_facts: false\n  connection: local\n  vars_files: [vf.yml]\n  vars:\n${indent(ours.stdout)}\n${indent(theirs.stdout)}\n  tasks:\n` +
        ['gv_secret', 'vf_secret', 'ev_secret', 'ww_inline', 'ans_inline'].map((v) => `    - name: ${v}\n      debug: {msg: "{{ ${v} }}"}\n`).join(''),
    );
    writeFileSync(join(dir, 'play/hosts'), 'localhost ansible_connection=local\n');
    const oracle = ansiblePlaybooks([{ id: 'v', argv: ['-i', 'hosts', 'site.yml', '-e', '@extra.yml', '--vault-password-file', '../pw'], cwd: join(dir, 'play') }]);
    await vaultSecretsFrom({ 'vault-password-file': [join(dir, 'pw')] }, noAsk);
    const events: RunEvent[] = [];
    const summary = await runPlaybook(
      {
        playbook: await loadPlaybook(join(dir, 'play/site.yml')),
        inventory: await loadInventory([join(dir, 'play/hosts')], { playbookDir: join(dir, 'play') }),
        extraVars: parseExtraVars('@extra.yml', join(dir, 'play')),
        forks: 5, verbosity: 0, check: false, diff: false, tags: [], skipTags: [], hostKeyChecking: 'strict', connectTimeoutMs: 10_000, retryFile: false,
      },
      (e) => events.push(e),
    );
    setVaultSecrets([]);
    const ansible = (await oracle).v!;
    expect(ansible.code, ansible.stdout).to.equal(0);
    expect(summary.exitCode).to.equal(0);
    const msgs = (list: Array<[string, unknown]>) => Object.fromEntries(list);
    const want = msgs(ansible.json!.plays[0]!.tasks.map((t) => [t.task.name, t.hosts.localhost!.msg]));
    const got = msgs(events.filter((e) => e.type === 'host_result').map((e) => [(e as { task: string }).task, ((e as { result: { msg?: unknown } }).result).msg]));
    expect(got).to.deep.equal(want);
    expect(want.ans_inline).to.equal('inline-by-ansible');
    // the password is in no event
    expect(JSON.stringify(events)).to.not.include(PASSWORD);
  });

  it('without a secret a vaulted file is a clear error; an unused inline !vault value loads as Ansible shows it', async () => {
    setVaultSecrets([]);
    const r = await runCli(['inventory', '-i', 'play/hosts', '--playbook-dir', 'play'], { cwd: dir });
    expect(r.code).to.equal(5);
    expect(r.stderr).to.match(/group_vars\/all\.yml: is vault-encrypted and no vault secret was given/);
    const env = await runCli(['inventory', '-i', 'play/hosts', '--playbook-dir', 'play'], { cwd: dir, env: { ANSIBLE_VAULT_PASSWORD_FILE: join(dir, 'pw') } });
    expect(env.code, env.stderr).to.equal(0);
    expect(JSON.parse(env.stdout)._meta.hostvars.localhost.gv_secret).to.equal('from-group-vars');
    expect(passwordFromFile(join(dir, 'pw.sh')).password.toString()).to.equal(PASSWORD);
  });
});
