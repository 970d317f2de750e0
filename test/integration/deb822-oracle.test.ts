/**
 * Issue 11 point 4 for deb822_repository. Debian's ansible-core 2.14 has no such module (2.15+), so
 * the oracle is ansible-core 2.16 run from source: exported from the local git mirror of
 * ansible/ansible into /var/tmp on first use (test/helpers/ansible-source.ts), run by Debian's
 * python3 with its libraries; the module needs python3-debian on the target (lab hosts see the
 * controller's /usr). The suite is skipped, saying why, only when that tree cannot be made.
 * The same tasks by that ansible-playbook (check and real pass in one run, on lab2 and lab3) and
 * by wheelwright (check on lab5, real and real again on lab4, at the same time), compared case by
 * case (changed/failed, repo, dest, key_filename, msg) and by the hosts' end state: the .sources
 * and key files byte for byte, their modes and owners, /etc/apt/keyrings' mode.
 */
import { execFileSync } from 'node:child_process';
import { labHostExec } from '../../src/lab/index.js';
import { ansibleFromSource } from '../helpers/ansible-source.js';
import type { AnsibleCommand } from '../helpers/oracle.js';
import { defineOracleSuite } from '../helpers/oracle-suite.js';
import { CASES, CLEAN, SEED, STATE, WEB_HOST, WEB_START, WEB_STOP } from '../fixtures/deb822-oracle/cases.js';

describe('deb822_repository against ansible-core 2.16 from source', function () {
  let command: AnsibleCommand | undefined;

  before(function () {
    this.timeout(120_000);
    const src = ansibleFromSource();
    if (!src.command) {
      process.stderr.write(`    skipped: ${src.skip}\n`);
      this.skip();
    }
    command = src.command;
    try {
      execFileSync('/usr/bin/python3', ['-c', 'import debian.deb822'], { stdio: 'ignore' });
    } catch {
      throw new Error('python3-debian is not installed (ansible-core\'s deb822_repository needs it on the target): run scripts/setup.sh');
    }
  });

  defineOracleSuite({
    title: 'modules: deb822_repository against ansible-playbook (lab)',
    cases: CASES,
    hosts: { ansibleCheck: 'lab2', ansible: 'lab3', ww: 'lab4', wwCheck: 'lab5' },
    async prepare() {
      const web = await labHostExec(WEB_HOST, WEB_START);
      if (web.code !== 0) throw new Error(`nginx on ${WEB_HOST} did not start: ${web.stderr}`);
    },
    ansibleCommand: () => command,
    seed: () => SEED,
    clean: CLEAN,
    state: STATE,
    async finish() {
      await labHostExec(WEB_HOST, WEB_STOP);
    },
  });
});
