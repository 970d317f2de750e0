import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../src/errors.js';
import { buildHostScope, factsLayer, parseExtraVars, type HostScopeParts } from '../../src/vars/precedence.js';
import { renderString } from '../../src/template/render.js';
import { tempDir } from '../helpers/tmp.js';

describe('variable precedence', () => {
  // Lowest to highest, as documented in docs/variables.md.
  const order: Array<[keyof HostScopeParts, (v: string) => unknown]> = [
    ['roleDefaults', (v) => ({ ansible_x: v })],
    ['inventory', (v) => ({ ansible_x: v })],
    ['facts', (v) => ({ x: v })] /* raw fact x is ansible_x */,
    ['playVars', (v) => ({ ansible_x: v })],
    ['varsFiles', (v) => [{ ansible_x: v }]],
    ['roleVars', (v) => ({ ansible_x: v })],
    ['roleParams', (v) => ({ ansible_x: v })],
    ['hostState', (v) => ({ ansible_x: v })],
    ['blockVars', (v) => ({ ansible_x: v })],
    ['taskVars', (v) => ({ ansible_x: v })],
    ['includeParams', (v) => ({ ansible_x: v })],
    ['magic', (v) => ({ ansible_x: v })],
    ['extraVars', (v) => ({ ansible_x: v })],
  ];

  for (let i = 0; i + 1 < order.length; i++) {
    const [low, mkLow] = order[i];
    const [high, mkHigh] = order[i + 1];
    it(`${high} wins over ${low}`, () => {
      const parts = { [low]: mkLow('low'), [high]: mkHigh('high') } as HostScopeParts;
      expect(buildHostScope(parts).ansible_x).to.equal('high');
    });
  }

  it('raw facts appear as ansible_facts.x and ansible_x', () => {
    const s = buildHostScope({ facts: { os_family: 'Debian' } });
    expect(s.ansible_os_family).to.equal('Debian');
    expect(s.ansible_facts).to.deep.equal({ os_family: 'Debian' });
  });

  it('factsLayer keeps an already built facts layer', () => {
    const layer = { ansible_facts: { a: 1 }, ansible_a: 1 };
    expect(factsLayer(layer)).to.equal(layer);
    expect(factsLayer({ ansible_b: 2, c: 3 })).to.deep.equal({ ansible_facts: { b: 2, c: 3 }, ansible_b: 2, ansible_c: 3 });
  });

  it('later vars_files win', () => {
    expect(buildHostScope({ varsFiles: [{ x: 1 }, { x: 2 }] }).x).to.equal(2);
  });

  it('extra vars win over everything, even magic variables', () => {
    const s = buildHostScope({ taskVars: { x: 't' }, magic: { inventory_hostname: 'web1' }, extraVars: { x: 'e', inventory_hostname: 'e' } });
    expect(s.x).to.equal('e');
    expect(s.inventory_hostname).to.equal('e');
  });

  it('templates resolve lazily across layers with the winning values', () => {
    const s = buildHostScope({
      roleDefaults: { venv_path: '{{ venv_base }}/{{ app }}', app: 'default' },
      inventory: { venv_base: '/srv' },
      extraVars: { app: 'cli' },
    });
    expect(renderString('{{ venv_path }}/bin', s)).to.equal('/srv/cli/bin');
  });
});

describe('parseExtraVars (-e)', () => {
  let dir: string;
  before(() => {
    dir = tempDir('ww-extra-');
    writeFileSync(join(dir, 'good.yml'), 'a: 1\nlist: [x, y]\n');
    writeFileSync(join(dir, 'good.json'), '{"b": {"c": true}}');
    writeFileSync(join(dir, 'bad.yml'), 'a: 1\nb: [1, 2\nc: 3\n');
    writeFileSync(join(dir, 'list.yml'), '- 1\n');
    writeFileSync(join(dir, 'empty.yml'), '');
  });

  it('key=value pairs (values are strings)', () => {
    expect(parseExtraVars('a=1 b=two', dir)).to.deep.equal({ a: '1', b: 'two' });
  });
  it('quoting: double, single, whole-word, backslash, = in values', () => {
    expect(parseExtraVars(`k2="a b" k3='c "d"' "k4=e f" k5=x\\ y k6=a=b k7="say \\"hi\\""`, dir)).to.deep.equal({
      k2: 'a b',
      k3: 'c "d"',
      k4: 'e f',
      k5: 'x y',
      k6: 'a=b',
      k7: 'say "hi"',
    });
  });
  it('empty value and empty argument', () => {
    expect(parseExtraVars('a=', dir)).to.deep.equal({ a: '' });
    expect(parseExtraVars('  ', dir)).to.deep.equal({});
  });
  it('rejects words without = and bad names', () => {
    expect(() => parseExtraVars('foo', dir)).to.throw(UserError, "invalid extra var 'foo'");
    expect(() => parseExtraVars('1x=2', dir)).to.throw(UserError, "invalid extra var name '1x'");
    expect(() => parseExtraVars('a="open', dir)).to.throw(UserError, 'unterminated');
  });
  it('inline JSON and YAML mappings keep types', () => {
    expect(parseExtraVars('{"a": 1, "b": [true, null]}', dir)).to.deep.equal({ a: 1, b: [true, null] });
    expect(parseExtraVars('{a: 1, b: {c: x}}', dir)).to.deep.equal({ a: 1, b: { c: 'x' } });
  });
  it('inline non-mapping or broken YAML is a UserError', () => {
    expect(() => parseExtraVars('[1, 2]', dir)).to.throw(UserError, 'must be a mapping');
    expect(() => parseExtraVars('{a: ', dir)).to.throw(UserError, 'invalid extra vars');
  });
  it('@file.yml and @file.json relative to baseDir', () => {
    expect(parseExtraVars('@good.yml', dir)).to.deep.equal({ a: 1, list: ['x', 'y'] });
    expect(parseExtraVars('@good.json', dir)).to.deep.equal({ b: { c: true } });
    expect(parseExtraVars(`@${join(dir, 'good.yml')}`, '/nonexistent')).to.deep.equal({ a: 1, list: ['x', 'y'] });
    expect(parseExtraVars('@empty.yml', dir)).to.deep.equal({});
  });
  it('missing file is a UserError', () => {
    expect(() => parseExtraVars('@nope.yml', dir)).to.throw(UserError, 'extra vars file not found: nope.yml');
  });
  it('bad YAML in a file reports file:line:col', () => {
    let e: UserError | undefined;
    try {
      parseExtraVars('@bad.yml', dir);
    } catch (x) {
      e = x as UserError;
    }
    expect(e).to.be.instanceOf(UserError);
    expect(e!.pos).to.deep.include({ file: 'bad.yml', line: 3, col: 1 });
    expect(e!.message).to.match(/^bad\.yml:3:1: invalid YAML in extra vars file: /);
  });
  it('a file that is not a mapping is a UserError', () => {
    expect(() => parseExtraVars('@list.yml', dir)).to.throw(UserError, 'must be a mapping');
  });
});
