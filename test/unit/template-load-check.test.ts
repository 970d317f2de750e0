/**
 * Every template string, condition and static `.j2` file of a playbook is parsed at load (issue 12
 * point 4, issue 8 point 3): positions are the file:line:col of the offending character, and the
 * message gives the column inside the expression.
 */
import { expect } from 'chai';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadPlaybook, PlaybookError } from '../../src/playbook/index.js';
import { getModule, moduleNames } from '../../src/modules/registry.js';
import '../../src/modules/index.js';
import { checkVariableTemplates } from '../../src/template/check-vars.js';
import { tempDir } from '../helpers/tmp.js';

describe('template and condition checks at load', () => {
  let dir: string;
  before(() => {
    dir = tempDir('ww-tcheck-');
    mkdirSync(path.join(dir, 'templates'));
    mkdirSync(path.join(dir, 'roles/r/defaults'), { recursive: true });
    mkdirSync(path.join(dir, 'roles/r/tasks'), { recursive: true });
    writeFileSync(path.join(dir, 'roles/r/defaults/main.yml'), 'r_path: "/x/{{basename p}}"\n');
    writeFileSync(path.join(dir, 'roles/r/tasks/main.yml'), '- debug: msg=ok\n');
    writeFileSync(path.join(dir, 'templates/bad.j2'), 'a\n{% if x %}\n{{ y | nope }}\n{% endif %}\n');
    writeFileSync(path.join(dir, 'templates/good.j2'), '{% for x in l %}\n{{ x }}\n{% endfor %}\n');
  });

  async function problems(yaml: string): Promise<string[]> {
    const p = path.join(dir, 'site.yml');
    writeFileSync(p, yaml);
    try {
      await loadPlaybook(p, { lookupModule: getModule, moduleNames });
    } catch (e) {
      expect(e).to.be.instanceOf(PlaybookError);
      return (e as Error).message.split('\n').map((l) => l.replace(/^.*?site\.yml/, 'site.yml').replace(/^.*?(templates|roles)\//, '$1/'));
    }
    return [];
  }

  it('a condition with && fails at load, at the character, naming the column in the expression', async () => {
    const out = await problems('- hosts: all\n  tasks:\n    - debug: msg=x\n      when: a && b\n');
    expect(out).to.deep.equal(["site.yml:4:15: invalid expression \"a && b\": unexpected char '&' (use 'and') (column 3 of the expression)"]);
  });

  it('unknown filters, tests and lookups in arguments, vars and keywords', async () => {
    const out = await problems(
      '- hosts: all\n  vars:\n    a: "{{ x | nofilter }}"\n  tasks:\n    - debug:\n        msg: "{{ x is notest }}"\n    - name: "{{ lookup(\'nolookup\', 1) }}"\n      debug: msg=x\n',
    );
    expect(out).to.deep.equal([
      "site.yml:3:16: template syntax error in '{{ x | nofilter }}': no filter named 'nofilter' (column 8 of the template)",
      "site.yml:6:23: template syntax error in '{{ x is notest }}': no test named 'notest' (column 9 of the template)",
      "site.yml:7:24: template syntax error in '{{ lookup('nolookup', 1) }}': no lookup plugin named 'nolookup' (column 11 of the template)",
    ]);
  });

  it('old Handlebars helpers in role defaults show the Jinja equivalent', async () => {
    const out = await problems('- hosts: all\n  roles: [r]\n');
    expect(out).to.have.length(1);
    expect(out[0]).to.match(/^roles\/r\/defaults\/main\.yml:1:\d+: .*write \/x\/\{\{ p \| basename \}\}$/);
  });

  it('a static .j2 file of a template task is parsed at load; a good one passes', async () => {
    const out = await problems('- hosts: all\n  tasks:\n    - template: { src: bad.j2, dest: /tmp/x }\n    - template: { src: good.j2, dest: /tmp/y }\n');
    expect(out).to.deep.equal(["templates/bad.j2:3:8: template syntax error: no filter named 'nope' (line 3, column 8 of the template) (task 'template')"]);
  });

  it('valid Jinja everywhere loads', async () => {
    const out = await problems(
      "- hosts: all\n  vars:\n    v: \"{% set n = 1 %}{{ n }}\"\n  tasks:\n    - debug: msg=\"{{ groups['all'] | map('extract', hostvars, 'x') | list }}\"\n      when: v is defined and (groups['all'] | length > 0)\n      loop: \"{{ query('items', [1, 2]) }}\"\n",
    );
    expect(out).to.deep.equal([]);
  });

  it('inventory variables and extra vars are parsed too, naming the host and variable', () => {
    const inv = { hosts: new Map([['h1', { name: 'h1', vars: { ok: '{{ a }}', bad: { deep: ['{{ a | nofilter }}'] } }, groups: ['all'] }]]), groups: new Map(), sources: [] };
    expect(() => checkVariableTemplates(inv, { e: '{% if %}' })).to.throw(
      "extra vars (-e): variable 'e': template syntax error in '{% if %}': unexpected end of expression (column 7 of the template)\n" +
        "host 'h1': variable 'bad.deep[0]': template syntax error in '{{ a | nofilter }}': no filter named 'nofilter' (column 8 of the template)",
    );
    expect(() => checkVariableTemplates(inv as never, {})).to.throw(/nofilter/);
  });
});
