/**
 * The Jinja oracle: a corpus of expressions, conditions, statements and template files rendered
 * by Ansible's own Templar (ansible-core, one python3 process for the whole corpus) and by
 * wheelwright; the results must be the same, except for the documented deliberate differences.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { evaluateCondition } from '../../src/template/expr.js';
import { createVarScope } from '../../src/template/lazy.js';
import { renderString, renderTemplateFile, renderValue } from '../../src/template/render.js';
import { UserError } from '../../src/errors.js';
import { CORPUS, DIFFERENCES, type Case } from '../fixtures/jinja/corpus.js';

const FIX = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'jinja');

type PyResult = { ok: true; value: unknown } | { ok: false; error: string };

function runAnsible(vars: unknown, cases: Case[]): PyResult[] {
  const out = execFileSync('/usr/bin/python3', [join(FIX, 'templar.py')], {
    input: JSON.stringify({ basedir: FIX, vars, cases }),
    cwd: FIX,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_DEPRECATION_WARNINGS: 'False' },
  });
  return JSON.parse(out) as PyResult[];
}

function ours(c: Case, scope: Record<string, unknown>, pyValue: unknown): unknown {
  const where = { file: join(FIX, 'group_vars.yml') };
  switch (c.mode) {
    case 'text':
      // Ansible returns a variable's own non-string value for '{{ name }}' even without conversion
      return typeof pyValue === 'string' || pyValue === undefined ? renderString(c.src, scope, where) : renderValue(c.src, scope, where);
    case 'native':
      return renderValue(c.src, scope, where);
    case 'cond':
      return evaluateCondition(c.src, scope, where);
    case 'file':
      return renderTemplateFile(c.src, join(FIX, 'templates', 'case.j2'), scope);
  }
}

const plain = (v: unknown) => JSON.parse(JSON.stringify(v ?? null)) as unknown;

describe('Jinja oracle: the corpus rendered by Ansible\'s Templar and by wheelwright', function () {
  this.timeout(60000);
  const data = YAML.parse(readFileSync(join(FIX, 'group_vars.yml'), 'utf8')) as Record<string, unknown>;
  let results: PyResult[];

  before(() => {
    results = runAnsible(data, CORPUS);
  });

  it(`has at least 400 cases (${CORPUS.length})`, () => {
    expect(CORPUS.length).to.be.at.least(400);
  });

  it('gives the same results (values, text, truth and errors)', () => {
    const mismatches: string[] = [];
    let differences = 0;
    CORPUS.forEach((c, i) => {
      const py = results[i];
      const scope = createVarScope([data]);
      let mine: { ok: true; value: unknown } | { ok: false; error: string };
      try {
        mine = { ok: true, value: ours(c, scope, py.ok ? py.value : undefined) };
      } catch (e) {
        if (!(e instanceof UserError)) mine = { ok: false, error: `CRASH ${(e as Error).stack}` };
        else mine = { ok: false, error: (e as Error).message };
      }
      const same = py.ok && mine.ok ? JSON.stringify(plain(py.value)) === JSON.stringify(plain(mine.value)) : py.ok === mine.ok && !(!mine.ok && mine.error.startsWith('CRASH'));
      if (same) return;
      if (Object.hasOwn(DIFFERENCES, c.src)) {
        differences++;
        return;
      }
      const show = (r: typeof mine | PyResult) => (r.ok ? JSON.stringify(r.value) : `ERROR ${r.error}`);
      mismatches.push(`[${c.mode}] ${JSON.stringify(c.src)}\n    ansible:     ${show(py)}\n    wheelwright: ${show(mine)}`);
    });
    expect(mismatches, `${mismatches.length} mismatches (${differences} documented differences):\n${mismatches.join('\n')}`).to.deep.equal([]);
  });
});
