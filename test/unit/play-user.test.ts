/**
 * A play's `user` keyword: the old name of `remote_user`, as Ansible's Play.preprocess_data takes
 * it (the upstream python_venv_build role's examples/playbook.yml uses it); both at once is an
 * error in both tools. Checked with `ansible-playbook --syntax-check` on the same files.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadPlaybook } from '../../src/playbook/index.js';
import { ANSIBLE_ENV } from '../helpers/ansible.js';

const run = promisify(execFile);

async function ansibleSyntax(file: string): Promise<{ code: number; out: string }> {
  try {
    const r = await run('ansible-playbook', ['--syntax-check', '-i', 'localhost,', file], { env: { ...process.env, ...ANSIBLE_ENV } });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout + x.stderr };
  }
}

describe("a play's `user` keyword as in Ansible", function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ww-play-user-'));
    writeFileSync(join(dir, 'user.yml'), '- hosts: localhost\n  user: deploy\n  gather_facts: false\n  tasks:\n    - debug: { msg: hi }\n');
    writeFileSync(join(dir, 'both.yml'), '- hosts: localhost\n  user: deploy\n  remote_user: other\n  gather_facts: false\n  tasks: []\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is remote_user; with remote_user too it is an error, in both tools', async () => {
    const [a1, a2] = await Promise.all([ansibleSyntax(join(dir, 'user.yml')), ansibleSyntax(join(dir, 'both.yml'))]);
    expect(a1.code, a1.out).to.equal(0);
    expect(a2.code, a2.out).to.not.equal(0);
    expect(a2.out).to.include("both 'user' and 'remote_user' are set for this play");
    const pb = await loadPlaybook(join(dir, 'user.yml'));
    expect(pb.plays[0]!.remoteUser).to.equal('deploy');
    let err: Error | undefined;
    try {
      await loadPlaybook(join(dir, 'both.yml'));
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/both\.yml:2:3: both 'user' and 'remote_user' are set for this play/);
  });
});
