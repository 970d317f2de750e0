import { expect } from 'chai';
import { UserError } from '../../src/errors.js';
import { loadInventory } from '../../src/inventory/index.js';
import { fx } from '../fixtures/inventory/oracle.js';

async function errorOf(...sources: string[]): Promise<UserError> {
  try {
    await loadInventory(sources);
  } catch (e) {
    expect(e).to.be.instanceOf(UserError);
    return e as UserError;
  }
  throw new Error(`expected loadInventory(${sources.join(', ')}) to fail`);
}

/** [fixture under errors/, line, col, message] */
const POSITIONED: [string, number, number, string][] = [
  ['bad-token.ini', 3, 6, 'Expected key=value host variable assignment, got: ;'],
  ['bad-section.ini', 3, 1, "Invalid section entry: '[web x]'. Please make sure that there are no spaces in the section entry, and that there are no other invalid characters"],
  ['unknown-type.ini', 1, 1, 'Section [web:foo] has unknown type: foo'],
  ['undefined-child.ini', 6, 1, 'Section [prod:children] includes undefined group: nosuch'],
  ['vars-undefined.ini', 2, 1, 'Section [ghost:vars] not valid for undefined group: ghost'],
  ['vars-no-eq.ini', 2, 1, 'Expected key=value, got: just_a_word'],
  ['quote.ini', 2, 6, `Error parsing host definition 'h1 x="unterminated': No closing quotation`],
  ['hosts-list.yml', 5, 9, 'Invalid "hosts" entry for "web" group, requires a dictionary, found "list" instead.'],
  ['syntax.yml', 6, 9, 'YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }'],
  ['toplevel-list.yml', 1, 1, 'YAML inventory has invalid structure, it should be a dictionary, got: list'],
  ['host-vars-string.yml', 3, 9, 'Invalid vars for host "h1" in group "all": expected a dictionary, got "str"'],
  ['bad-range.yml', 3, 5, 'host range step must not be zero'],
  ['cycle.yml', 3, 5, "Adding group 'b' as child to 'a' creates a recursive dependency loop."],
  ['int-host.yml', 3, 5, 'Host pattern 1234 must be a string. Enclose integers/floats in quotation marks.'],
];

describe('inventory: user errors carry file:line:col', () => {
  for (const [name, line, col, message] of POSITIONED) {
    it(name, async () => {
      const e = await errorOf(fx('errors', name));
      expect(e.pos).to.deep.equal({ file: fx('errors', name), line, col });
      expect(e.message).to.equal(`${fx('errors', name)}:${line}:${col}: ${message}`);
    });
  }

  it('a group_vars file that is not a mapping', async () => {
    const e = await errorOf(fx('errors/gv/hosts.yml'));
    expect(e.message).to.equal(`${fx('errors/gv/group_vars/all.yml')}:1:1: vars file must contain a mapping (dictionary), got a list`);
  });

  it('a missing source', async () => {
    const e = await errorOf(fx('errors/nope.yml'));
    expect(e.message).to.equal(`Inventory source not found: ${fx('errors/nope.yml')}`);
  });

  it('a failing inventory script', async () => {
    const e = await errorOf(fx('errors/script-fails.sh'));
    expect(e.message).to.equal(`Inventory script (${fx('errors/script-fails.sh')}) had an execution error: boom`);
  });

  it('an inventory script printing something else than JSON', async () => {
    const e = await errorOf(fx('errors/script-bad-json.sh'));
    expect(e.message).to.match(/^failed to parse executable inventory script results from .*script-bad-json\.sh: Unexpected token/);
  });
});
