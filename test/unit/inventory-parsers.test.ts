import { expect } from 'chai';
import { parsePythonValue, shlexSplit } from '../../src/inventory/pyliteral.js';
import { expandHostnameRange, expandHostPattern } from '../../src/inventory/ranges.js';

describe('inventory: INI value parsing (ast.literal_eval)', () => {
  const cases: [string, unknown][] = [
    ['5', 5], ['-3', -3], ['1.5', 1.5], ['1e3', 1000], ['0x1F', 31], ['0o17', 15], ['0b101', 5], ['1_000', 1000],
    ['True', true], ['False', false], ['None', null], ['true', 'true'], ['yes', 'yes'], ['010', '010'],
    ["'quoted'", 'quoted'], ['"a\\tb"', 'a\tb'], ["r'a\\tb'", 'a\\tb'], ["'a' 'b'", 'ab'], ['"\\x41\\u00e9"', 'Aé'],
    ["[1, 'two', [3]]", [1, 'two', [3]]], ['(1, 2)', [1, 2]], ['(1,)', [1]], ["{'a': 1, 2: 'b'}", { a: 1, '2': 'b' }],
    ['{}', {}], ['[]', []], ['1j', '1j'], ['foo bar', 'foo bar'], ["'unterminated", "'unterminated"], ['[1, 2', '[1, 2'],
    ['5 # comment', 5], ['  7', 7], ['1.2.3.4', '1.2.3.4'], ['', ''],
  ];
  for (const [input, want] of cases) {
    it(JSON.stringify(input), () => expect(parsePythonValue(input)).to.deep.equal(want));
  }
});

describe('inventory: shlex.split(comments=True)', () => {
  it('splits like POSIX shlex, with offsets', () => {
    expect(shlexSplit(`h1 a="b c" d='e "f"' g=h\\ i # rest`).map((t) => t.value)).to.deep.equal(['h1', 'a=b c', 'd=e "f"', 'g=h i']);
    expect(shlexSplit('  web  x=1').map((t) => t.offset)).to.deep.equal([2, 7]);
    expect(shlexSplit(`a="x\\"y\\z"`)[0].value).to.equal('a=x"y\\z');
    expect(shlexSplit(`a='' b`).map((t) => t.value)).to.deep.equal(['a=', 'b']);
    expect(() => shlexSplit('a="b')).to.throw('No closing quotation');
  });
});

describe('inventory: host ranges', () => {
  it('numeric with padding, letters, steps, several ranges, ports', () => {
    expect(expandHostnameRange('web[01:03].ex')).to.deep.equal(['web01.ex', 'web02.ex', 'web03.ex']);
    expect(expandHostnameRange('db-[a:c]')).to.deep.equal(['db-a', 'db-b', 'db-c']);
    expect(expandHostnameRange('n[1:10:3]')).to.deep.equal(['n1', 'n4', 'n7', 'n10']);
    expect(expandHostnameRange('n[:2]')).to.deep.equal(['n0', 'n1', 'n2']);
    expect(expandHostnameRange('r[1:2]c[a:b]')).to.deep.equal(['r1ca', 'r1cb', 'r2ca', 'r2cb']);
    expect(expandHostPattern('web[1:2]:2222')).to.deep.equal({ hostnames: ['web1', 'web2'], port: 2222 });
    expect(expandHostPattern('::1')).to.deep.equal({ hostnames: ['::1'] });
    expect(expandHostPattern('[::1]:22')).to.deep.equal({ hostnames: ['::1'], port: 22 });
  });
  it('rejects bad ranges like Ansible', () => {
    expect(() => expandHostnameRange('w[01:3]')).to.throw('host range must specify equal-length begin and end formats');
    expect(() => expandHostnameRange('w[1:]')).to.throw('host range must specify end value');
    expect(() => expandHostnameRange('w[1]')).to.throw('host range must be begin:end or begin:end:step');
    expect(() => expandHostnameRange('w[c:a]')).to.throw('host range must have begin <= end');
  });
});
