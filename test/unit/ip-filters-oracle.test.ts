/**
 * The IP address filters (ansible.utils' ipaddr family) against the real ones: every case is
 * rendered by Ansible's Templar (as a task argument is templated) with the ansible.utils collection and python3-netaddr (one
 * python3 process) and by wheelwright; the values and the failures must be the same.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createVarScope } from '../../src/template/lazy.js';
import { renderString, renderValue } from '../../src/template/render.js';
import { UserError } from '../../src/errors.js';
import { IP_CASES, IP_VARS } from '../fixtures/ip/cases.js';

const FIX = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'jinja');

type PyResult = { ok: true; value: unknown } | { ok: false; error: string };

/** The values where wheelwright differs on purpose (documented in docs/templates.md). */
const DIFFERENCES: Record<string, string> = {};

describe('IP filters oracle: ansible.utils ipaddr family by Ansible (netaddr) and by wheelwright', function () {
  this.timeout(60000);
  let results: PyResult[];

  before(() => {
    const out = execFileSync('/usr/bin/python3', [join(FIX, 'templar.py')], {
      input: JSON.stringify({ basedir: FIX, vars: IP_VARS, cases: IP_CASES.map((src) => ({ mode: 'text', src })) }),
      cwd: FIX,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_DEPRECATION_WARNINGS: 'False', ANSIBLE_LOCALHOST_WARNING: 'False' },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    results = JSON.parse(out) as PyResult[];
  });

  it(`has the cases (${IP_CASES.length}) and Ansible has the collection`, () => {
    expect(IP_CASES.length).to.be.at.least(1500);
    expect(results.filter((r) => r.ok).length).to.be.at.least(IP_CASES.length / 2);
  });

  it('gives the same values and failures', () => {
    const mismatches: string[] = [];
    IP_CASES.forEach((src, i) => {
      const py = results[i];
      let mine: PyResult;
      try {
        // as the Jinja oracle does: Ansible keeps a single expression's non-string value
        const scope = createVarScope([IP_VARS]);
        const value = py.ok && typeof py.value !== 'string' ? renderValue(src, scope, { file: 'ip.yml' }) : renderString(src, scope, { file: 'ip.yml' });
        mine = { ok: true, value };
      } catch (e) {
        mine = e instanceof UserError ? { ok: false, error: (e as Error).message } : { ok: false, error: `CRASH ${(e as Error).stack}` };
      }
      const same = py.ok && mine.ok ? JSON.stringify(py.value ?? null) === JSON.stringify(mine.value ?? null) : py.ok === mine.ok && !(!mine.ok && mine.error.startsWith('CRASH'));
      if (!same && !Object.hasOwn(DIFFERENCES, src)) mismatches.push(`${src}\n    ansible: ${JSON.stringify(py)}\n    ours:    ${JSON.stringify(mine)}`);
    });
    expect(mismatches, mismatches.slice(0, 40).join('\n')).to.deep.equal([]);
  });
});
