import { expect } from 'chai';
import { parseFreeForm, parseKv, splitArgs } from '../../src/playbook/kv.js';

describe('playbook key=value arguments', () => {
  it('splits on spaces, keeping quotes and templates whole', () => {
    expect(splitArgs(`a=1 b='x y' c="{{ v | default('a b') }}" {{ z }}`).map((t) => t.text)).to.deep.equal([
      'a=1',
      "b='x y'",
      `c="{{ v | default('a b') }}"`,
      '{{ z }}',
    ]);
  });

  it('parses key=value strings as Ansible does', () => {
    const p = parseKv(`src=a.txt dest='/tmp/a b' mode=0644 msg="say \\"hi\\""`);
    expect(p.args).to.deep.equal({ src: 'a.txt', dest: '/tmp/a b', mode: '0644', msg: 'say "hi"' });
    expect(p.rest).to.deep.equal([]);
    expect(parseKv('a=1 oops').rest.map((t) => t.text)).to.deep.equal(['oops']);
  });

  it('takes only known arguments out of a free-form command, keeping the rest untouched', () => {
    const known = (k: string) => k === 'chdir' || k === 'creates';
    expect(parseFreeForm('echo a=b chdir=/tmp', known).args).to.deep.equal({ chdir: '/tmp', _raw_params: 'echo a=b' });
    expect(parseFreeForm('creates=/x  echo   hi', known).args).to.deep.equal({ creates: '/x', _raw_params: 'echo   hi' });
    expect(parseFreeForm('echo one\necho two\n', known).args).to.deep.equal({ _raw_params: 'echo one\necho two\n' });
  });
});
