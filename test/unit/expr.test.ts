import { expect } from 'chai';
import { UserError } from '../../src/errors.js';
import { evaluate, evaluateCondition } from '../../src/template/expr.js';
import { tokenizeExpression as tokenize } from '../../src/template/jinja/parse.js';
import { UndefinedVariableError } from '../../src/template/undefined.js';

const where = { file: 'site.yml', task: 'Check', line: 7, col: 9 };
const vars: Record<string, unknown> = {
  a: 1,
  b: 'x',
  l: [1, 2, 3],
  names: ['web', 'db'],
  result: { rc: 0, changed: true, failed: false, stdout: 'hello world', stdout_lines: ['hello world'] },
  skipped_result: { changed: false, skipped: true },
  failed_result: { changed: false, failed: true, rc: 2 },
  android: true,
  order: false,
  ver: '1.10.2',
  empty: [],
  nothing: null,
  d: { k: 'v', nested: { deep: 1 } },
  flag: 'yes',
  count: '3',
};
const ev = (e: string | boolean) => evaluate(e, vars, where);
const cond = (e: string | boolean) => evaluateCondition(e, vars, where);

function err(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('expressions', () => {
  describe('literals', () => {
    it('strings in single and double quotes, with escapes', () => {
      expect(ev("'it'")).to.equal('it');
      expect(ev('"it"')).to.equal('it');
      expect(ev('"a\\"b"')).to.equal('a"b');
      expect(ev("'a\\'b'")).to.equal("a'b");
      expect(ev("'back\\\\slash'")).to.equal('back\\slash');
      expect(ev("'tab\\there'")).to.equal('tab\there');
    });
    it('numbers, booleans (both cases), none, lists, dicts', () => {
      expect(ev('42')).to.equal(42);
      expect(ev('1.5')).to.equal(1.5);
      expect(ev('true')).to.equal(true);
      expect(ev('True')).to.equal(true);
      expect(ev('false')).to.equal(false);
      expect(ev('False')).to.equal(false);
      expect(ev('None')).to.equal(null);
      expect(ev('[1, "a", [2]]')).to.deep.equal([1, 'a', [2]]);
      expect(ev("{'k': 1, 'j': [a]}")).to.deep.equal({ k: 1, j: [1] });
    });
    it('booleans pass through', () => {
      expect(ev(true)).to.equal(true);
      expect(cond(false)).to.equal(false);
    });
  });

  describe('operators', () => {
    it('== and !=', () => {
      expect(ev('a == 1')).to.equal(true);
      expect(ev('b != "x"')).to.equal(false);
      expect(ev('l == [1, 2, 3]')).to.equal(true);
      expect(ev('count == 3')).to.equal(false); // '3' is a string, like Python
    });
    it('< <= > >= on numbers and strings, chained like Python', () => {
      expect(ev('a < 2')).to.equal(true);
      expect(ev('a >= 1')).to.equal(true);
      expect(ev('a > 1')).to.equal(false);
      expect(ev('a <= 0')).to.equal(false);
      expect(ev('"abc" < "abd"')).to.equal(true);
      expect(ev('0 < a < 2')).to.equal(true);
      expect(ev('0 < a < 1')).to.equal(false);
    });
    it('comparing a string with a number is an error with a hint', () => {
      const e = err(() => ev('count > 2'));
      expect(e).to.be.instanceOf(UserError);
      expect(e.message).to.equal("'>' not supported between instances of 'str' and 'int' in task 'Check' (site.yml:7:9)");
      expect(ev('count | int > 2')).to.equal(true);
    });
    it('in / not in: lists, substrings, dict keys', () => {
      expect(ev('2 in l')).to.equal(true);
      expect(ev('5 in l')).to.equal(false);
      expect(ev('5 not in l')).to.equal(true);
      expect(ev('2 not in l')).to.equal(false);
      expect(ev("'world' in result.stdout")).to.equal(true);
      expect(ev("'k' in d")).to.equal(true);
      expect(ev("'zz' not in d")).to.equal(true);
      expect(ev("'web' in names")).to.equal(true);
    });
    it('arithmetic and ~ concatenation', () => {
      expect(ev('a + 2 * 3')).to.equal(7);
      expect(ev('(a + 2) * 3')).to.equal(9);
      expect(ev('7 // 2')).to.equal(3);
      expect(ev('7 % 4')).to.equal(3);
      expect(ev('2 ** 3')).to.equal(8);
      expect(ev('-a')).to.equal(-1);
      expect(ev("b ~ '-' ~ a")).to.equal('x-1');
      expect(ev("'a' + 'b'")).to.equal('ab');
    });
    it('and / or / not with Python truthiness', () => {
      expect(ev('a == 1 and b == "x"')).to.equal(true);
      expect(ev('a == 2 or b == "x"')).to.equal(true);
      expect(ev('not a == 2')).to.equal(true);
      expect(cond('empty')).to.equal(false);
      expect(cond('not empty')).to.equal(true);
      expect(cond("''")).to.equal(false);
      expect(cond('l')).to.equal(true);
    });
    it('and binds tighter than or', () => {
      expect(ev('true or true and false')).to.equal(true);
      expect(ev('false and true or true')).to.equal(true);
      expect(ev('(true or true) and false')).to.equal(false);
    });
    it('not binds looser than comparisons and tighter than and', () => {
      expect(ev('not a == 1')).to.equal(false);
      expect(ev('not a == 2 and b == "x"')).to.equal(true);
      expect(ev('not (a == 2 and b == "x")')).to.equal(true);
      expect(ev('not not a')).to.equal(true);
      expect(ev('not 2 in l')).to.equal(false);
    });
    it('and/or short-circuit and return operands like Python', () => {
      expect(ev('zz is defined and zz > 1')).to.equal(false);
      expect(ev('a == 1 or zz')).to.equal(true);
      expect(ev("empty or 'fallback'")).to.equal('fallback');
      expect(ev('l and a')).to.equal(1);
    });
    it('conditional expression', () => {
      expect(ev("'big' if a > 0 else 'small'")).to.equal('big');
      expect(ev("'big' if a > 5 else 'small'")).to.equal('small');
    });
    it('word operators do not break identifiers containing them', () => {
      expect(ev('android')).to.equal(true);
      expect(ev('android and not order')).to.equal(true);
      expect(ev('order or android')).to.equal(true);
      expect(tokenize('android or notice and isx in inx').map((t) => t.value)).to.deep.equal(['android', 'or', 'notice', 'and', 'isx', 'in', 'inx', '']);
    });
  });

  describe('access', () => {
    it('attributes, indexes, negative indexes, string keys', () => {
      expect(ev('result.rc')).to.equal(0);
      expect(ev('l[0]')).to.equal(1);
      expect(ev('l[-1]')).to.equal(3);
      expect(ev("d['k']")).to.equal('v');
      expect(ev('d.nested.deep')).to.equal(1);
      expect(ev('result.stdout_lines[0]')).to.equal('hello world');
      expect(ev('names[a]')).to.equal('db');
    });
    it('whitelisted methods', () => {
      expect(ev("result.stdout.startswith('hello')")).to.equal(true);
      expect(ev("result.stdout.split()[1]")).to.equal('world');
      expect(ev("d.get('zz', 'dflt')")).to.equal('dflt');
      expect(ev("' x '.strip()")).to.equal('x');
    });
    it('prototype members are unreachable', () => {
      for (const e of ['l.constructor', 'd.__proto__', 'b.constructor', "d['constructor']", 'd.hasOwnProperty', 'result.toString', 'constructor', '__proto__']) {
        expect(err(() => ev(e)), e).to.be.instanceOf(UndefinedVariableError);
      }
      expect(ev('d.constructor is defined')).to.equal(false);
      expect(ev('__proto__ is defined')).to.equal(false);
    });
    it('filter, test and literal names never resolve through prototypes', () => {
      expect(err(() => ev('a | constructor')).message).to.match(/no filter named 'constructor'/);
      expect(err(() => ev('a | toString')).message).to.match(/no filter named 'toString'/);
      expect(err(() => ev('a is constructor')).message).to.match(/no test named 'constructor'/);
      expect(err(() => ev('a is hasOwnProperty')).message).to.match(/no test named 'hasOwnProperty'/);
      expect(err(() => ev("l | map('constructor')")).message).to.match(/no filter named 'constructor'/);
    });
    it('unknown functions are undefined, unknown methods errors', () => {
      expect(err(() => ev('eval(1)'))).to.be.instanceOf(UndefinedVariableError);
      expect(err(() => ev("b.constructor('x')")).message).to.match(/has no attribute 'constructor'/);
    });
  });

  describe('filters', () => {
    it('length, default, bool, int, lower, upper, first, last', () => {
      expect(ev('l | length')).to.equal(3);
      expect(ev("b | length")).to.equal(1);
      expect(ev("zz | default('y')")).to.equal('y');
      expect(ev("a | default('y')")).to.equal(1);
      expect(ev("d.zz | d(5)")).to.equal(5);
      expect(ev('flag | bool')).to.equal(true);
      expect(ev("'no' | bool")).to.equal(false);
      expect(ev('count | int')).to.equal(3);
      expect(ev("'x' | int")).to.equal(0);
      expect(ev("'AbC' | lower")).to.equal('abc');
      expect(ev("'AbC' | upper")).to.equal('ABC');
      expect(ev('l | first')).to.equal(1);
      expect(ev('l | last')).to.equal(3);
    });
    it('filters bind tighter than comparisons and arithmetic, and chain', () => {
      expect(ev('l | length > 2')).to.equal(true);
      expect(ev('1 + l | length')).to.equal(4);
      expect(ev("names | map('upper') | join(',')")).to.equal('WEB,DB');
      expect(ev("[3, 1, 3] | unique | sort")).to.deep.equal([1, 3]);
    });
    it('keyword arguments', () => {
      expect(ev("'AbA' | regex_replace('a', 'x', ignorecase=true)")).to.equal('xbx');
      expect(ev("[{'n': 1}, {'n': 2}] | map(attribute='n') | list")).to.deep.equal([1, 2]);
    });
    it('unknown filter is a syntax error', () => {
      expect(err(() => ev('a | nope')).message).to.equal(`invalid expression "a | nope": no filter named 'nope' (column 5 of the expression) in task 'Check' (site.yml:7:9)`);
    });
  });

  describe('tests', () => {
    it('defined / undefined / none', () => {
      expect(ev('a is defined')).to.equal(true);
      expect(ev('zz is defined')).to.equal(false);
      expect(ev('zz is not defined')).to.equal(true);
      expect(ev('zz is undefined')).to.equal(true);
      expect(ev('a is undefined')).to.equal(false);
      expect(ev('zz.y.z is defined')).to.equal(false);
      expect(ev('d.zz is defined')).to.equal(false);
      expect(ev('nothing is none')).to.equal(true);
      expect(ev('a is none')).to.equal(false);
      expect(ev('a is not none')).to.equal(true);
    });
    it('changed / failed / succeeded / success / skipped', () => {
      expect(ev('result is changed')).to.equal(true);
      expect(ev('result is failed')).to.equal(false);
      expect(ev('result is succeeded')).to.equal(true);
      expect(ev('result is success')).to.equal(true);
      expect(ev('failed_result is failed')).to.equal(true);
      expect(ev('failed_result is not succeeded')).to.equal(true);
      expect(ev('skipped_result is skipped')).to.equal(true);
      expect(ev('result is skipped')).to.equal(false);
      expect(err(() => ev('a is changed')).message).to.match(/the 'changed' test expects a dictionary/);
    });
    it('match (anchored) / search', () => {
      expect(ev("result.stdout is match('hel+o')")).to.equal(true);
      expect(ev("result.stdout is match('world')")).to.equal(false);
      expect(ev("result.stdout is search('wor')")).to.equal(true);
      expect(ev("result.stdout is search('^wor')")).to.equal(false);
      expect(ev("b is match('X', ignorecase=true)")).to.equal(true);
    });
    it('version', () => {
      expect(ev("ver is version('1.9', '>=')")).to.equal(true);
      expect(ev("ver is version('1.10.2', '==')")).to.equal(true);
      expect(ev("ver is version('1.11', '<')")).to.equal(true);
      expect(ev("ver is version('2', 'ge')")).to.equal(false);
    });
    it('not binds looser than is: `not x is defined`', () => {
      expect(ev('not zz is defined')).to.equal(true);
    });
  });

  describe('undefined variables', () => {
    it('a bare undefined name is an error naming it, with task and position', () => {
      const e = err(() => cond('venv_path'));
      expect(e).to.be.instanceOf(UndefinedVariableError);
      expect(e.message).to.equal("undefined variable 'venv_path' in task 'Check' (site.yml:7:9)");
    });
    it('comparisons, filters and in with undefined names fail', () => {
      expect(err(() => ev('zz == 1')).message).to.equal("undefined variable 'zz' in task 'Check' (site.yml:7:9)");
      expect(err(() => ev('zz | length')).message).to.match(/^undefined variable 'zz'/);
      expect(err(() => ev('1 in zz')).message).to.match(/^undefined variable 'zz'/);
      expect(err(() => ev('not zz')).message).to.match(/^undefined variable 'zz'/);
    });
    it('nested lookups name the missing part', () => {
      expect(err(() => ev('zz.b.c == 1')).message).to.match(/^undefined variable 'zz'/);
      expect(err(() => ev('d.b.c == 1')).message).to.match(/^undefined variable 'd.b'/);
      expect(err(() => ev("d['q'] == 1")).message).to.match(/^undefined variable 'd\['q'\]'/);
      expect(err(() => ev('l[7] == 1')).message).to.match(/^undefined variable 'l\[7\]'/);
    });
  });

  describe('syntax', () => {
    it('a {{ }} wrapper is tolerated', () => {
      expect(ev('{{ a == 1 }}')).to.equal(true);
      expect(cond(' {{ not android }} ')).to.equal(false);
    });
    it('syntax errors are UserErrors quoting the expression', () => {
      for (const [e, msg] of [
        ['a ==', 'unexpected end of expression (column 5 of the expression)'],
        ['a && b', "unexpected char '&' (use 'and') (column 3 of the expression)"],
        ['(a', "expected ')', got end of expression (column 3 of the expression)"],
        ["'open", 'unexpected end of string (column 1 of the expression)'],
        ['a b', "unexpected 'b' (column 3 of the expression)"],
        ['', 'empty expression (column 1 of the expression)'],
      ]) {
        const x = err(() => ev(e));
        expect(x, e).to.be.instanceOf(UserError);
        expect(x.message, e).to.equal(`invalid expression "${e}": ${msg} in task 'Check' (site.yml:7:9)`);
      }
    });
  });
});
