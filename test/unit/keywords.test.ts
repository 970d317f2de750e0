/**
 * The keyword declarations (src/playbook/keywords.ts): where Ansible accepts each keyword is what
 * ansible-core's own FieldAttributes say; an Ansible keyword wheelwright lacks is refused at load as
 * such, never as "unknown keyword"; docs/keywords.md is generated from the declarations.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEYWORDS, UNSUPPORTED, type Place } from '../../src/playbook/keywords.js';
import { keywordsMarkdown } from '../../src/playbook/keywords-doc.js';
import { loadPlaybook } from '../../src/playbook/index.js';
import '../../src/modules/index.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/** Keywords that are not FieldAttributes in ansible-core (its task parser handles them). */
const PARSER_KEYWORDS = new Set(['local_action', 'with_items']);
/** FieldAttributes that are internal (not written in playbooks). */
const INTERNAL = new Set(['loop_with', 'async_val']);

describe('keywords declared once', function () {
  this.timeout(30_000);

  it('where Ansible accepts each keyword: same as ansible-core FieldAttributes', () => {
    const py = `
import json
from ansible.playbook.play import Play
from ansible.playbook.block import Block
from ansible.playbook.task import Task
from ansible.playbook.handler import Handler
from ansible.playbook.role.definition import RoleDefinition
out = {}
for where, cls in (('play', Play), ('block', Block), ('task', Task), ('handler', Handler), ('role', RoleDefinition)):
    for k in cls.fattributes:
        if not k.startswith('_'):
            out.setdefault(k, []).append(where)
print(json.dumps(out))`;
    const ansible = JSON.parse(execFileSync('/usr/bin/python3', ['-c', py], { encoding: 'utf8' })) as Record<string, Place[]>;
    const ours: Record<string, Place[]> = {};
    for (const k of KEYWORDS) {
      if (PARSER_KEYWORDS.has(k.name)) continue;
      ours[k.name] = k.ansible.filter((p) => p !== 'include' && p !== 'import');
    }
    for (const k of INTERNAL) delete ansible[k];
    const sort = (o: Record<string, Place[]>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, [...v].sort()] as const).sort(([a], [b]) => a.localeCompare(b)));
    expect(sort(ours)).to.deep.equal(sort(ansible));
  });

  it("an Ansible keyword wheelwright lacks is named as such, at file:line:col, never 'unknown keyword'", async () => {
    const dir = tempDir('ww-kw-');
    const checked: string[] = [];
    for (const k of KEYWORDS) {
      const lacking = k.ansible.filter((p) => !k.wheelwright.includes(p) && (p === 'play' || p === 'task'));
      for (const place of lacking) {
        const file = join(dir, `${k.name}-${place}.yml`);
        const value = k.type === 'bool' ? 'true' : k.type === 'int' ? '1' : k.type === 'list' ? '[a]' : k.type === 'dict' ? '{}' : 'x';
        writeFileSync(
          file,
          place === 'play'
            ? `- hosts: all\n  ${k.name}: ${value}\n  tasks: []\n`
            : `- hosts: all\n  tasks:\n    - debug: {msg: hi}\n      ${k.name}: ${value}\n`,
        );
        let message = '';
        await loadPlaybook(file).catch((e: Error) => (message = e.message));
        expect(message, `${k.name} on a ${place}`).to.include(`'${k.name}' is an Ansible keyword that wheelwright does not support`);
        expect(message, `${k.name} on a ${place}`).to.match(new RegExp(`${k.name}-${place}\\.yml:${place === 'play' ? 2 : 4}:\\d+: `));
        expect(message).to.not.match(/unknown keyword/);
        checked.push(`${k.name}@${place}`);
      }
    }
    expect(checked.length).to.be.greaterThan(10); // fewer as keywords become supported
    expect(UNSUPPORTED.debugger).to.match(/^'debugger' is an Ansible keyword that wheelwright does not support/);
    expect(UNSUPPORTED.include_role).to.equal(undefined);
  });

  it('docs/keywords.md is generated from the declarations', () => {
    expect(readFileSync(join(ROOT, 'docs/keywords.md'), 'utf8')).to.equal(keywordsMarkdown());
  });
});
