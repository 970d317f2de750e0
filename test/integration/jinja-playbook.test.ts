/**
 * Issue 12 acceptance: a playbook whose group_vars use every construct operators' OSA group_vars
 * use (`| default`, subscripts, `hostvars[...]`, `~`, `| ternary`, `| combine`,
 * `| map('extract', ...)`, `lookup('env', ...)`, `is defined`, inline `x if c else y`,
 * `{% set %}/{% for %}/{% if %}`, facts-derived keys) run against a lab host by ansible-playbook
 * and by wheelwright: every task's message and skipped state must be the same.
 */
import { expect } from 'chai';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { skipWithoutLab, useLab, type Lab } from './_lab-fixture.js';
import { ansiblePass, closeAnsibleMasters, wheelwrightPass, type PassResult } from '../helpers/oracle.js';
import { tempDir } from '../helpers/tmp.js';

const HOST = 'lab2';

const GROUP_VARS = String.raw`
first_host: "{{ groups['all'][0] }}"
my_address: "{{ hostvars[inventory_hostname]['ansible_host'] }}"
first_address: "{{ hostvars[groups['all'][0]]['ansible_host'] }}"
with_default: "{{ not_defined_anywhere | default('fallback') }}"
nested_default: "{{ also_missing.key | default(with_default ~ '-2') }}"
tilde: "{{ inventory_hostname ~ '-' ~ ansible_facts['os_family'] | lower }}"
size_word: "{{ (groups['all'] | length > 1) | ternary('multi', 'single') }}"
base_cfg: { DEFAULT: { debug: false, workers: 2 }, api: { auth: keystone } }
override_cfg: { DEFAULT: { workers: 8 }, cache: { enabled: true } }
combined: "{{ base_cfg | combine(override_cfg, recursive=True) }}"
addresses: "{{ groups['all'] | map('extract', hostvars, 'ansible_host') | list }}"
env_home: "{{ lookup('env', 'HOME') }}"
is_def: "{{ maybe_var is defined }}"
inline: "{{ 'many' if (groups['all'] | length) > 2 else 'few' }}"
statements: "{% set n = groups['all'] | length %}{% for h in groups['all'] %}{{ h }}{% if not loop.last %},{% endif %}{% endfor %} ({{ n }}){% if n > 1 %} many{% else %} one{% endif %}"
molecule_install_package: { debian: python3-venv, redhat: python3-virtualenv }
venv_package: "{{ molecule_install_package[ansible_facts['os_family'] | lower] }}"
venv_tag: "{{ release | default('28.1.0') }}"
venv_base: "/openstack/venvs/nova-{{ venv_tag }}"
python_words: "{{ 'a,b,,c'.split(',') | select | map('upper') | list }}"
sorted_unique: "{{ ['b', 'a', 'b', 'C'] | unique | sort }}"
joined: "{{ addresses | join(' ') }}"
division: "{{ 7 / 2 }} {{ 7 // 2 }} {{ 6 / 2 }}"
printing: "{{ [1, 'a', True, None] }} {{ {'k': false} }}"
`;

const VARS = [
  'first_host', 'my_address', 'first_address', 'with_default', 'nested_default', 'tilde', 'size_word', 'combined', 'addresses', 'env_home', 'is_def',
  'inline', 'statements', 'venv_package', 'venv_base', 'python_words', 'sorted_unique', 'joined', 'division', 'printing',
];

const CONDITIONS = [
  "ansible_facts['os_family'] == 'Debian'",
  'addresses | length > 1 and not is_def | bool',
  "inventory_hostname in groups['all']",
  'maybe_var is defined',
  '[] or {}',
  "combined.DEFAULT.workers == 8",
  "venv_tag is version('28.0', '>=')",
];

/**
 * Compare what the two debug modules show: Ansible 2.14 returns text for numbers and booleans
 * rendered into a message (`'False'`, `'3'`); wheelwright keeps the native value (docs/variables.md,
 * "Native types everywhere"). Both sides are brought to the same plain form.
 */
function norm(v: unknown): unknown {
  if (typeof v === 'string') {
    try {
      const parsed = JSON.parse(v) as unknown;
      if (parsed !== null && typeof parsed === 'object') return parsed;
      if (typeof parsed === 'boolean') return parsed ? 'True' : 'False';
    } catch {
      // plain text
    }
    return v;
  }
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  return v;
}

describe('Jinja: OSA-style group_vars give the same results in ansible-playbook and wheelwright (lab)', function () {
  let lab: Lab;
  let dir: string;
  let ansible: PassResult;
  let ww: PassResult;

  before(async function () {
    skipWithoutLab(this);
    this.timeout(600_000);
    lab = await useLab(6);
    dir = tempDir('ww-jinja-oracle-');
    mkdirSync(join(dir, 'group_vars'));
    writeFileSync(join(dir, 'group_vars', 'all.yml'), GROUP_VARS);
    const tasks = [
      ...VARS.map((v) => `    - name: var ${v}\n      debug: { msg: "{{ ${v} }}" }\n`),
      ...CONDITIONS.map((c, i) => `    - name: when ${i}\n      debug: { msg: ran }\n      when: ${JSON.stringify(c)}\n`),
      `    - name: var omitted\n      debug: { msg: "{{ {'kept': 1, 'dropped': omit, 'list': [1, {'x': omit, 'y': 2}]} }}" }\n`,
      `    - name: var assert\n      assert: { that: ["not ([] or {})", "combined.cache.enabled"] }\n`,
    ].join('');
    writeFileSync(join(dir, 'site.yml'), `- hosts: all\n  gather_facts: true\n  tasks:\n${tasks}`);
    // both tools only read: they run against the same host, at the same time
    [ansible, ww] = await Promise.all([ansiblePass(lab, join(dir, 'site.yml'), HOST), wheelwrightPass(lab, join(dir, 'site.yml'), HOST)]);
  });

  after(async function () {
    if (!lab) return;
    this.timeout(60_000);
    await closeAnsibleMasters(lab);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const v of VARS) {
    it(`${v}: same value`, () => {
      const a = ansible.get(`var ${v}`);
      const w = ww.get(`var ${v}`);
      expect(a, 'ansible ran the task').to.not.equal(undefined);
      expect(w, 'wheelwright ran the task').to.not.equal(undefined);
      expect(a!.failed, JSON.stringify(a!.result)).to.equal(false);
      expect(w!.failed, JSON.stringify(w!.result)).to.equal(false);
      expect(norm(w!.result.msg)).to.deep.equal(norm(a!.result.msg));
    });
  }

  it('omit is dropped from nested arguments; assert uses Python truthiness', () => {
    for (const name of ['var omitted', 'var assert']) {
      const a = ansible.get(name)!;
      const w = ww.get(name)!;
      expect({ failed: w.failed, msg: norm(w.result.msg) }, name).to.deep.equal({ failed: a.failed, msg: norm(a.result.msg) });
    }
  });

  CONDITIONS.forEach((c, i) => {
    it(`when: ${c}`, () => {
      const a = ansible.get(`when ${i}`);
      const w = ww.get(`when ${i}`);
      expect(a && w, 'both ran the task').to.not.equal(undefined);
      expect({ skipped: w!.skipped, failed: w!.failed }).to.deep.equal({ skipped: a!.skipped, failed: a!.failed });
    });
  });
});
