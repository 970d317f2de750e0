/**
 * Issue 11 point 4 for the repository modules (apt_repository, apt_key, yum_repository): the same
 * tasks by ansible-playbook (check and real pass in one run, on lab2 and lab3) and by wheelwright
 * (check on lab5, real and real again on lab4, at the same time), compared case by case and by the hosts' end state. The GPG
 * keys are made at test time; lab1's nginx serves one for the url case.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { labHostExec } from '../../src/lab/index.js';
import { defineOracleSuite } from '../helpers/oracle-suite.js';
import { CASES3, CLEAN3, SEED3, STATE3, VARS3, WEB3_START, WEB3_STOP, type Keys } from '../fixtures/modules-oracle/cases-3.js';
import { tempDir } from '../helpers/tmp.js';

/** Two throw-away ed25519 keys (no passphrase); the gpg-agent this starts is ended at once. */
function makeKeys(): Keys {
  const home = tempDir('ww-oracle3-gpg-');
  try {
    const gpg = (...args: string[]) => execFileSync('gpg', ['--homedir', home, '--batch', '--quiet', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const out: string[] = [];
    for (const n of [1, 2]) {
      gpg('--passphrase', '', '--quick-gen-key', `wwmod3 key ${n} <wwmod3-${n}@example.invalid>`, 'ed25519', 'sign', 'never');
    }
    const fprs = gpg('--with-colons', '--list-keys').split('\n').filter((l) => l.startsWith('fpr:')).map((l) => l.split(':')[9]!);
    for (const f of fprs) out.push(gpg('--armor', '--export', f));
    return { k1: out[0]!, fp1: fprs[0]!, k2: out[1]!, fp2: fprs[1]! };
  } finally {
    try {
      execFileSync('gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { stdio: 'ignore' });
    } catch {
      /* no agent */
    }
    rmSync(home, { recursive: true, force: true });
  }
}

let keys: Keys;

defineOracleSuite({
  title: 'modules: repository modules against ansible-playbook (lab)',
  cases: CASES3,
  hosts: { ansibleCheck: 'lab2', ansible: 'lab3', ww: 'lab4', wwCheck: 'lab5' },
  async prepare() {
    keys = makeKeys();
    const web = await labHostExec('lab1', WEB3_START(keys.k1));
    if (web.code !== 0) throw new Error(`nginx on lab1 did not start: ${web.stderr}`);
  },
  play: () => ({ vars: VARS3(keys) }),
  seed: () => SEED3(keys),
  clean: CLEAN3,
  state: STATE3,
  async finish() {
    await labHostExec('lab1', WEB3_STOP);
  },
});
