import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Ajv } from 'ajv';
import { inventorySchema, playbookSchema, taskFileSchema } from '../../src/schema/index.js';
import { allModules } from '../../src/modules/registry.js';
import * as K from '../../src/playbook/keywords.js';
import { ROOT } from '../helpers/cli.js';

const load = (f: string) => parse(readFileSync(join(ROOT, f), 'utf8'));

describe('JSON Schema generated from the keyword and module declarations', () => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const playbook = ajv.compile(playbookSchema());
  const tasks = ajv.compile(taskFileSchema());
  const inventory = ajv.compile(inventorySchema());
  const errs = (v: typeof playbook) => ajv.errorsText(v.errors);

  it('the schemas are valid draft-07 JSON Schema', () => {
    for (const s of [playbookSchema(), taskFileSchema(), inventorySchema()]) expect(ajv.validateSchema(s), ajv.errorsText()).to.equal(true);
  });

  it('follows the declarations: every keyword and every module argument (and FQCN) is in it', () => {
    const defs = playbookSchema().definitions as Record<string, any>;
    expect(Object.keys(defs.play.properties).sort()).to.deep.equal([...K.PLAY_KEYWORDS].sort());
    for (const k of K.TASK_KEYWORDS) expect(defs.task.properties).to.have.property(k);
    for (const m of allModules()) {
      expect(defs.task.properties, m.name).to.have.property(m.name);
      const args = defs[`module:${m.name}`].anyOf[0];
      expect(Object.keys(args.properties), m.name).to.include.members(Object.keys(m.argSpec));
      if (m.collection !== 'wheelwright') expect(defs.task.properties).to.have.property(`ansible.builtin.${m.name}`);
    }
  });

  it('accepts the project\'s own playbooks, task files and inventories', () => {
    for (const f of ['examples/osa/site.yml', 'examples/osa/rollback.yml', 'examples/no-build/site.yml', 'examples/lab-demo/site.yml', 'test/fixtures/engine/every-module.yml', 'test/fixtures/outputs/site.yml']) {
      expect(playbook(load(f)), `${f}: ${errs(playbook)}`).to.equal(true);
    }
    for (const f of ['roles/python_venv_build/tasks/main.yml', 'roles/repo_server/tasks/main.yml', 'test/fixtures/outputs/roles/web/tasks/main.yml']) {
      expect(tasks(load(f)), `${f}: ${errs(tasks)}`).to.equal(true);
    }
    expect(inventory(load('examples/osa/inventory.yml')), errs(inventory)).to.equal(true);
  });

  it('catches what the loader would refuse: unknown keyword, unknown module, unknown argument, bad choice, missing hosts', () => {
    const bad: Array<[unknown, RegExp]> = [
      [[{ hosts: 'all', taskz: [] }], /must NOT have additional properties/],
      [[{ hosts: 'all', tasks: [{ name: 'x', no_such_module: { a: 1 } }] }], /must NOT have additional properties/],
      [[{ hosts: 'all', tasks: [{ copy: { dest: '/x', contnt: 'typo' } }] }], /must NOT have additional properties/],
      [[{ hosts: 'all', tasks: [{ file: { path: '/x', state: 'gone' } }] }], /must be equal to one of the allowed values/],
      [[{ hosts: 'all', tasks: [{ copy: { dest: '/x', force: 'maybe' } }] }], /must match pattern/],
      [[{ name: 'no hosts', tasks: [] }], /must have required property 'hosts'/],
    ];
    for (const [doc, why] of bad) {
      expect(playbook(doc), JSON.stringify(doc)).to.equal(false);
      expect(errs(playbook)).to.match(why);
    }
    // templated values are left to run time
    expect(playbook([{ hosts: 'all', tasks: [{ 'ansible.builtin.copy': { dest: '/x', force: '{{ f }}', mode: '0644' } }] }]), errs(playbook)).to.equal(true);
    expect(inventory({ all: { hosts: { h1: null }, childs: {} } })).to.equal(false);
  });
});
