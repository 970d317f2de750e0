import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Ajv } from 'ajv';
import { actionKeywords, inventorySchema, playbookSchema, taskFileSchema, TASK_PLACES } from '../../src/schema/index.js';
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

  it('follows the declarations exactly: every keyword of KEYWORDS and every module, alias, FQCN and argument, nothing else', () => {
    const defs = playbookSchema().definitions as Record<string, any>;
    const at = (places: readonly K.Place[]) => K.KEYWORDS.filter((k) => k.wheelwright.some((p) => places.includes(p))).map((k) => k.name);
    const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();
    // plays and role entries: exactly the keywords declared for them
    expect(sorted(Object.keys(defs.play.properties))).to.deep.equal(sorted(at(['play'])));
    expect(sorted(Object.keys(defs.role.properties))).to.deep.equal(sorted(at(['role'])));
    for (const k of K.KEYWORDS.filter((x) => x.wheelwright.includes('play'))) expect(defs.play.properties[k.name].description, k.name).to.equal(k.doc);
    // tasks: the task/handler/block/include/import keywords, the action keywords, every module name
    const expected = new Set([...at(TASK_PLACES), ...actionKeywords().flatMap((a) => [a, `ansible.builtin.${a}`])]);
    const moduleDefs = new Set<string>();
    for (const m of allModules()) {
      moduleDefs.add(`module:${m.name}`);
      const names = [m.name, ...(m.aliases ?? [])];
      for (const n of names) {
        expected.add(n);
        if (m.collection !== 'wheelwright') {
          expected.add(`ansible.builtin.${n}`);
          expected.add(`ansible.legacy.${n}`);
          if (m.collection) expected.add(`${m.collection}.${n}`);
        }
      }
      const args = defs[`module:${m.name}`].anyOf[0];
      const declared = Object.entries(m.argSpec).flatMap(([a, spec]) => [a, ...(spec.aliases ?? [])]);
      if (m.freeForm) declared.push('_raw_params');
      expect(sorted(Object.keys(args.properties)), m.name).to.deep.equal(sorted(declared));
      expect(args.additionalProperties, m.name).to.equal(m.anyArgs === true);
    }
    expect(sorted(Object.keys(defs.task.properties))).to.deep.equal(sorted(expected));
    expect(sorted(Object.keys(defs).filter((d) => d.startsWith('module:')))).to.deep.equal(sorted(moduleDefs));
    // every KEYWORDS entry wheelwright supports anywhere is somewhere in the schema
    for (const k of K.KEYWORDS.filter((x) => x.wheelwright.length)) {
      const places = [defs.play, defs.role, defs.task].filter((d) => k.name in d.properties);
      expect(places.length, k.name).to.be.greaterThan(0);
    }
  });

  it('types keyword values by their declared type (bool, int, tasks, templated values)', () => {
    const ok = (doc: unknown) => expect(playbook(doc), `${JSON.stringify(doc)}: ${errs(playbook)}`).to.equal(true);
    const no = (doc: unknown) => expect(playbook(doc), JSON.stringify(doc)).to.equal(false);
    ok([{ hosts: 'all', gather_facts: 'no', become: true, serial: [1, '50%'], max_fail_percentage: '{{ pct }}', tasks: [{ debug: null, ignore_errors: 'yes', retries: '3', tags: 'x', when: ['a', 'b'] }] }]);
    no([{ hosts: 'all', gather_facts: 'maybe' }]);
    no([{ hosts: 'all', tasks: [{ debug: null, retries: 'many' }] }]);
    no([{ hosts: 'all', tasks: { debug: null } }]);
    no([{ hosts: 'all', tasks: [{ block: 'not a list' }] }]);
  });

  it('accepts the project\'s own playbooks, task files and inventories', () => {
    for (const f of ['examples/osa/site.yml', 'examples/osa/rollback.yml', 'examples/no-build/site.yml', 'examples/lab-demo/site.yml', 'test/fixtures/engine/every-module.yml', 'test/fixtures/outputs/site.yml']) {
      expect(playbook(load(f)), `${f}: ${errs(playbook)}`).to.equal(true);
    }
    for (const f of ['roles/python_venv_build/tasks/main.yml', 'roles/repo_server/tasks/main.yml', 'test/fixtures/outputs/roles/web/tasks/main.yml']) {
      expect(tasks(load(f)), `${f}: ${errs(tasks)}`).to.equal(true);
    }
    for (const f of ['inventories/osa/hosts.yml', 'inventories/lab/hosts.yml']) expect(inventory(load(f)), `${f}: ${errs(inventory)}`).to.equal(true);
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
