import { expect } from 'chai';
import { UserError } from '../../src/errors.js';
import { renderString, renderValue, UndefinedVariableError } from '../../src/template/render.js';

const where = { file: 'roles/x/tasks/main.yml', task: 'Create venv', line: 12, col: 3 };

function err(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('template rendering', () => {
  const vars = {
    venv_base: '/opt/app',
    pkgs: ['flask', 'gunicorn'],
    cfg: { port: 8080, debug: false, tags: ['a', 'b'] },
    n: 3,
    flag: true,
    empty: [],
    none: null,
    text: '  Hello World  ',
    hostvars: { web1: { ansible_host: '10.0.0.1' } },
    target: 'web1',
  };

  describe('renderString', () => {
    it('substitutes variables in text', () => {
      expect(renderString('{{ venv_base }}/bin', vars)).to.equal('/opt/app/bin');
    });
    it('returns text without templates unchanged', () => {
      expect(renderString('plain $x', vars)).to.equal('plain $x');
    });
    it('does not HTML-escape', () => {
      expect(renderString('{{ v }}', { v: '<a & "b">' })).to.equal('<a & "b">');
    });
    it('renders lists and dicts as JSON inside text', () => {
      expect(renderString('x={{ pkgs }}', vars)).to.equal('x=["flask","gunicorn"]');
      expect(renderString('c={{ cfg.tags }}', vars)).to.equal('c=["a","b"]');
    });
    it('renders numbers and booleans, null as empty', () => {
      expect(renderString('{{n}} {{flag}} [{{none}}]', vars)).to.equal('3 true []');
    });
    it('always returns a string, even for a single expression', () => {
      expect(renderString('{{ n }}', vars)).to.equal('3');
      expect(renderString('{{ pkgs }}', vars)).to.equal('["flask","gunicorn"]');
    });
    it('supports #each over lists and dicts, and #if/else', () => {
      expect(renderString('{{#each pkgs}}[{{this}}]{{/each}}', vars)).to.equal('[flask][gunicorn]');
      expect(renderString('{{#each cfg}}{{@key}};{{/each}}', vars)).to.equal('port;debug;tags;');
      expect(renderString('{{#if flag}}y{{else}}n{{/if}}', vars)).to.equal('y');
    });
    it('treats empty lists as false in #if (Python truthiness)', () => {
      expect(renderString('{{#if empty}}y{{else}}n{{/if}}', vars)).to.equal('n');
    });
    it('caches compiled templates without mixing variables', () => {
      expect(renderString('{{ a }}', { a: 1 })).to.equal('1');
      expect(renderString('{{ a }}', { a: 2 })).to.equal('2');
    });
  });

  describe('renderValue (native types)', () => {
    it('returns a list for a single expression', () => {
      const v = renderValue('{{ pkgs }}', vars);
      expect(v).to.deep.equal(['flask', 'gunicorn']);
      expect(Array.isArray(v)).to.equal(true);
    });
    it('returns a dict, number, bool and null natively', () => {
      expect(renderValue('{{ cfg }}', vars)).to.deep.equal(vars.cfg);
      expect(renderValue('{{ n }}', vars)).to.equal(3);
      expect(renderValue('{{ cfg.debug }}', vars)).to.equal(false);
      expect(renderValue('{{ none }}', vars)).to.equal(null);
    });
    it('allows whitespace inside and around the braces', () => {
      expect(renderValue('{{n}}', vars)).to.equal(3);
      expect(renderValue('  {{   n   }}\n', vars)).to.equal(3);
      expect(renderValue('{{{ n }}}', vars)).to.equal(3);
    });
    it('returns helper results natively', () => {
      expect(renderValue('{{ union pkgs (split "flask pip") }}', vars)).to.deep.equal(['flask', 'gunicorn', 'pip']);
      expect(renderValue('{{ int "42" }}', vars)).to.equal(42);
      expect(renderValue('{{ from_json \'{"a": [1]}\' }}', vars)).to.deep.equal({ a: [1] });
    });
    it('returns a string when there is text around the expression', () => {
      expect(renderValue('{{ n }}x', vars)).to.equal('3x');
      expect(renderValue('{{ n }}{{ n }}', vars)).to.equal('33');
    });
    it('renders deeply inside lists and dicts, leaving keys and non-strings alone', () => {
      const out = renderValue({ '{{ n }}': ['{{ venv_base }}/bin', 5, { p: '{{ cfg.port }}' }], b: true }, vars);
      expect(out).to.deep.equal({ '{{ n }}': ['/opt/app/bin', 5, { p: 8080 }], b: true });
    });
    it('does not mutate the input', () => {
      const input = { a: ['{{ n }}'] };
      renderValue(input, vars);
      expect(input).to.deep.equal({ a: ['{{ n }}'] });
    });
    it('returns plain data, not proxies', () => {
      const v = renderValue('{{ cfg }}', vars) as Record<string, unknown>;
      expect(JSON.stringify(v)).to.equal(JSON.stringify(vars.cfg));
      expect(Object.getPrototypeOf(v)).to.equal(Object.prototype);
    });
  });

  describe('undefined variables', () => {
    it('names the variable, task and position', () => {
      const e = err(() => renderString('{{ venv_path }}/bin', vars, where));
      expect(e).to.be.instanceOf(UndefinedVariableError);
      expect(e).to.be.instanceOf(UserError);
      expect(e.message).to.equal("undefined variable 'venv_path' in task 'Create venv' (roles/x/tasks/main.yml:12:3)");
      expect((e as UndefinedVariableError).variable).to.equal('venv_path');
    });
    it('works without a location', () => {
      expect(err(() => renderString('{{ nope }}', vars)).message).to.equal("undefined variable 'nope'");
    });
    it('names only the file when there is no task', () => {
      expect(err(() => renderString('{{ nope }}', vars, { file: 't.j2', line: 4 })).message).to.equal("undefined variable 'nope' (t.j2:4)");
    });
    it('names the missing root of a nested lookup', () => {
      expect(err(() => renderString('{{ a.b.c }}', vars)).message).to.equal("undefined variable 'a'");
    });
    it('names the missing path inside a defined dict', () => {
      expect(err(() => renderString('{{ cfg.b.c }}', { cfg: {} })).message).to.equal("undefined variable 'cfg.b'");
      expect(err(() => renderString('{{ cfg.b }}', { cfg: {} })).message).to.equal("undefined variable 'cfg.b'");
    });
    it('names list indexes', () => {
      expect(err(() => renderString('{{ pkgs.[5] }}', vars)).message).to.equal("undefined variable 'pkgs[5]'");
    });
    it('fails in renderValue too', () => {
      expect(err(() => renderValue({ a: ['{{ zz }}'] }, vars, where)).message).to.equal("undefined variable 'zz' in task 'Create venv' (roles/x/tasks/main.yml:12:3)");
    });
    it('is falsy in #if / #unless and missing for default', () => {
      expect(renderString('{{#if zz}}y{{else}}n{{/if}}', vars)).to.equal('n');
      expect(renderString('{{#unless zz.q}}u{{/unless}}', vars)).to.equal('u');
      expect(renderString('{{ default zz "fb" }}', vars)).to.equal('fb');
    });
    it('throws when passed to other helpers', () => {
      expect(err(() => renderString('{{ join zz "," }}', vars)).message).to.equal("undefined variable 'zz'");
      expect(err(() => renderString('{{#each zz}}x{{/each}}', vars)).message).to.equal("undefined variable 'zz'");
    });
    it('a null value is defined (printed as empty)', () => {
      expect(renderString('[{{ none }}]', vars)).to.equal('[]');
    });
  });

  describe('errors', () => {
    it('reports syntax errors as UserError quoting the template, with position', () => {
      const e = err(() => renderString('{{ x ', vars, where));
      expect(e).to.be.instanceOf(UserError);
      expect(e.message).to.match(/^template syntax error in '\{\{ x': Parse error on line 1/);
      expect(e.message).to.match(/in task 'Create venv' \(roles\/x\/tasks\/main.yml:12:3\)$/);
    });
    it('reports unknown helpers', () => {
      const e = err(() => renderString('{{ nope x }}', vars, where));
      expect(e).to.be.instanceOf(UserError);
      expect(e.message).to.equal("unknown template helper 'nope' in task 'Create venv' (roles/x/tasks/main.yml:12:3)");
    });
    it('reports missing partials as UserError', () => {
      expect(err(() => renderString('{{> foo }}', vars))).to.be.instanceOf(UserError);
    });
  });

  describe('prototype safety', () => {
    it('{{constructor}} and friends are undefined variables, not JS internals', () => {
      for (const t of ['{{constructor}}', '{{ __proto__ }}', '{{ cfg.constructor }}', '{{ pkgs.constructor }}', '{{ cfg.__proto__ }}', '{{ cfg.toString }}', '{{ pkgs.map }}', '{{ cfg.hasOwnProperty }}']) {
        expect(err(() => renderString(t, vars)), t).to.be.instanceOf(UndefinedVariableError);
      }
    });
    it('lookup / dict_get cannot reach prototypes', () => {
      expect(err(() => renderString('{{ lookup cfg "constructor" }}', vars))).to.be.instanceOf(UndefinedVariableError);
      expect(renderString('{{ default (dict_get cfg "constructor") "safe" }}', vars)).to.equal('safe');
      expect(renderString('{{ default (dict_get cfg "__proto__") "safe" }}', vars)).to.equal('safe');
    });
    it('helper names never resolve through prototypes', () => {
      expect(err(() => renderString('{{ constructor cfg }}', vars)).message).to.equal("unknown template helper 'constructor'");
      expect(err(() => renderString('{{ toString cfg }}', vars)).message).to.equal("unknown template helper 'toString'");
    });
    it('a string cannot reach String.prototype', () => {
      expect(err(() => renderString('{{ venv_base.constructor }}', vars))).to.be.instanceOf(UndefinedVariableError);
    });
    it('own data keys named like internals are plain data', () => {
      expect(renderString('{{ cfg.constructor }}', { cfg: JSON.parse('{"constructor": "x", "__proto__": "y"}') })).to.equal('x');
    });
    it('templates cannot modify variables', () => {
      const data = { cfg: { a: 1 } };
      renderString('{{#with cfg}}{{a}}{{/with}}', data);
      expect(data).to.deep.equal({ cfg: { a: 1 } });
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    });
  });

  describe('helpers', () => {
    const r = (t: string, v: Record<string, unknown> = vars) => renderValue(t, v);
    it('default: value, or fallback when undefined/null; optional falsy mode', () => {
      expect(r('{{ default n 5 }}')).to.equal(3);
      expect(r('{{ default zz 5 }}')).to.equal(5);
      expect(r('{{ default none "x" }}')).to.equal('x');
      expect(r('{{ default "" "x" }}')).to.equal('');
      expect(r('{{ default "" "x" true }}')).to.equal('x');
    });
    it('join', () => {
      expect(r('{{ join pkgs "," }}')).to.equal('flask,gunicorn');
      expect(r('{{ join pkgs }}')).to.equal('flaskgunicorn');
    });
    it('basename / dirname (Python os.path semantics)', () => {
      expect(r('{{ basename "/opt/app/bin/python" }}')).to.equal('python');
      expect(r('{{ dirname "/opt/app/bin/python" }}')).to.equal('/opt/app/bin');
      expect(r('{{ dirname "/python" }}')).to.equal('/');
      expect(r('{{ dirname "python" }}')).to.equal('');
    });
    it('lower / upper / trim', () => {
      expect(r('{{ lower text }}')).to.equal('  hello world  ');
      expect(r('{{ upper text }}')).to.equal('  HELLO WORLD  ');
      expect(r('{{ trim text }}')).to.equal('Hello World');
    });
    it('quote: POSIX shell quoting', () => {
      expect(r('{{ quote "a b" }}')).to.equal("'a b'");
      expect(r('{{ quote "it\'s" }}')).to.equal(`'it'\\''s'`);
      expect(r('{{ quote "plain" }}')).to.equal('plain');
    });
    it('to_json / to_yaml / from_json', () => {
      expect(r('{{ to_json cfg }}')).to.equal('{"port":8080,"debug":false,"tags":["a","b"]}');
      expect(r('{{ to_yaml cfg.tags }}')).to.equal('- a\n- b\n');
      expect(r('{{ from_json "[1, 2]" }}')).to.deep.equal([1, 2]);
      expect(err(() => r('{{ from_json "[1," }}'))).to.be.instanceOf(UserError);
    });
    it('replace replaces every occurrence', () => {
      expect(r('{{ replace "a-b-c" "-" "_" }}')).to.equal('a_b_c');
    });
    it('length / first / last', () => {
      expect(r('{{ length pkgs }}')).to.equal(2);
      expect(r('{{ length "abc" }}')).to.equal(3);
      expect(r('{{ length cfg }}')).to.equal(3);
      expect(r('{{ first pkgs }}')).to.equal('flask');
      expect(r('{{ last pkgs }}')).to.equal('gunicorn');
    });
    it('unique / sort / union / difference', () => {
      const v = { l: [3, 1, 3, 2], m: ['b', 'a'], o: [2, 9] };
      expect(r('{{ unique l }}', v)).to.deep.equal([3, 1, 2]);
      expect(r('{{ sort l }}', v)).to.deep.equal([1, 2, 3, 3]);
      expect(r('{{ sort m }}', v)).to.deep.equal(['a', 'b']);
      expect(r('{{ union l o }}', v)).to.deep.equal([3, 1, 2, 9]);
      expect(r('{{ difference l o }}', v)).to.deep.equal([3, 1]);
      expect(v.l).to.deep.equal([3, 1, 3, 2]);
    });
    it('bool / int', () => {
      expect(r('{{ bool "yes" }}')).to.equal(true);
      expect(r('{{ bool "False" }}')).to.equal(false);
      expect(r('{{ bool 1 }}')).to.equal(true);
      expect(r('{{ int "42" }}')).to.equal(42);
      expect(r('{{ int "3.9" }}')).to.equal(3);
      expect(r('{{ int "abc" }}')).to.equal(0);
    });
    it('eq / ne / and / or / not in #if sub-expressions', () => {
      expect(r('{{#if (eq target "web1")}}y{{else}}n{{/if}}')).to.equal('y');
      expect(r('{{#if (ne target "web1")}}y{{else}}n{{/if}}')).to.equal('n');
      expect(r('{{#if (and flag (eq n 3))}}y{{else}}n{{/if}}')).to.equal('y');
      expect(r('{{#if (or zz (eq n 4))}}y{{else}}n{{/if}}')).to.equal('n');
      expect(r('{{#if (not empty)}}y{{else}}n{{/if}}')).to.equal('y');
      expect(r('{{#if (eq zz "x")}}y{{else}}n{{/if}}')).to.equal('n');
    });
    it('regex_replace (Python-style groups)', () => {
      expect(r('{{ regex_replace "python3.11" "^python(\\d)\\.(\\d+)$" "py\\1\\2" }}')).to.equal('py311');
      expect(r('{{ regex_replace "AbA" "a" "x" ignorecase=true }}')).to.equal('xbx');
    });
    it('b64encode / b64decode', () => {
      expect(r('{{ b64encode "héllo" }}')).to.equal('aMOpbGxv');
      expect(r('{{ b64decode "aMOpbGxv" }}')).to.equal('héllo');
    });
    it('dict_get / lookup for computed keys (hostvars by host name)', () => {
      expect(r('{{ dict_get (dict_get hostvars target) "ansible_host" }}')).to.equal('10.0.0.1');
      expect(r('{{ lookup (lookup hostvars target) "ansible_host" }}')).to.equal('10.0.0.1');
      expect(r('{{ dict_get cfg "nope" "fb" }}')).to.equal('fb');
      expect(err(() => r('{{ lookup (lookup hostvars "web9") "ansible_host" }}')).message).to.equal("undefined variable 'hostvars.web9'");
    });
    it('concat: strings, or lists when all are lists', () => {
      expect(r('{{ concat "a" n "-" target }}')).to.equal('a3-web1');
      expect(r('{{ concat pkgs cfg.tags }}')).to.deep.equal(['flask', 'gunicorn', 'a', 'b']);
    });
    it('a variable sharing a helper name is still reachable', () => {
      expect(renderString('{{ first }}', { first: 'x' })).to.equal('x');
      expect(renderValue('{{ length }}', { length: 7 })).to.equal(7);
    });
  });
});
