/**
 * Issue 11 point 4: every module against ansible-playbook in the lab. The same tasks run by
 * ansible-playbook on lab hosts and by wheelwright on others, from the same seeded state:
 *   pass 1 --check: nothing changes on any host; each task's `changed` is recorded;
 *   pass 2 real:   `changed`, `failed` and each case's return fields equal Ansible's; the check
 *                  pass predicted `changed`; both hosts end in the same state;
 *   pass 3 real:   nothing changes.
 * All cases run as one playbook per pass (test/helpers/oracle-suite.ts): Ansible's check (lab4) and
 * real (lab5) passes as two runs (pause bypasses the host loop: one run over both hosts would pause
 * only the first), wheelwright's check pass (lab3) and its two real passes (lab6), all at the same
 * time. lab1 serves get_url, uri and unarchive (nginx).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labHostExec } from '../../src/lab/index.js';
import { defineOracleSuite } from '../helpers/oracle-suite.js';
import { CASES, RESET, STATE, WEB_START, WEB_STOP } from '../fixtures/modules-oracle/cases.js';

defineOracleSuite({
  title: 'modules: oracle against ansible-playbook (lab)',
  // WW_ORACLE_ONLY=REGEX runs only the matching cases (while working on a module; the seed is the same)
  cases: process.env.WW_ORACLE_ONLY ? CASES.filter((c) => new RegExp(process.env.WW_ORACLE_ONLY!).test(c.name)) : CASES,
  hosts: { ansibleCheck: 'lab4', ansible: 'lab5', ww: 'lab6', wwCheck: 'lab3' },
  ansibleSeparateRuns: true,
  async prepare(_lab, dir) {
    // the controller-side archive unarchive sends (files/ next to the playbook, as Ansible looks it up)
    mkdirSync(join(dir, 'files/local/conf'), { recursive: true });
    writeFileSync(join(dir, 'files/local/conf/app.ini'), '[app]\nx = 1\n');
    execFileSync('tar', ['--owner=0', '--group=0', '--mtime=2024-01-02 03:04:05', '-czf', join(dir, 'files/local.tar.gz'), '-C', join(dir, 'files'), 'local']);
    // the lab's own web server for get_url, uri and unarchive: nginx on lab1
    const web = await labHostExec('lab1', WEB_START);
    if (web.code !== 0) throw new Error(`nginx on lab1 did not start: ${web.stderr}`);
  },
  seed: (lab) => RESET(lab.hosts.find((h) => h.name === 'lab1')!.address),
  clean: RESET('').replace(/^#SEED[\s\S]*$/m, ''),
  state: STATE,
  async finish() {
    await labHostExec('lab1', WEB_STOP);
  },
});
