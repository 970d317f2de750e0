import { expect } from 'chai';
import { UserError } from '../../src/errors.js';
import { renderString, renderTemplateFile, renderValue, UndefinedVariableError } from '../../src/template/render.js';

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
    it('prints lists and dicts as Python does inside text', () => {
      expect(renderString('x={{ pkgs }}', vars)).to.equal("x=['flask', 'gunicorn']");
      expect(renderString('c={{ cfg }}', vars)).to.equal("c={'port': 8080, 'debug': False, 'tags': ['a', 'b']}");
    });
    it('prints numbers and booleans as Python does, None as empty', () => {
      expect(renderString('{{n}} {{flag}} [{{none}}] {{ n / 1 }}', vars)).to.equal('3 True [] 3.0');
    });
    it('always returns a string, even for a single expression', () => {
      expect(renderString('{{ n }}', vars)).to.equal('3');
      expect(renderString('{{ pkgs }}', vars)).to.equal("['flask', 'gunicorn']");
    });
    it('supports for over lists and dicts, and if/else', () => {
      expect(renderString('{% for p in pkgs %}[{{ p }}]{% endfor %}', vars)).to.equal('[flask][gunicorn]');
      expect(renderString('{% for k in cfg %}{{ k }};{% endfor %}', vars)).to.equal('port;debug;tags;');
      expect(renderString('{% if flag %}y{% else %}n{% endif %}', vars)).to.equal('y');
    });
    it('treats empty lists as false in if (Python truthiness)', () => {
      expect(renderString('{% if empty %}y{% else %}n{% endif %}', vars)).to.equal('n');
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
    });
    it('returns filter results natively', () => {
      expect(renderValue("{{ pkgs | union('flask pip' | split) }}", vars)).to.deep.equal(['flask', 'gunicorn', 'pip']);
      expect(renderValue("{{ '42' | int }}", vars)).to.equal(42);
      expect(renderValue(`{{ '{"a": [1]}' | from_json }}`, vars)).to.deep.equal({ a: [1] });
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
      expect(err(() => renderString("{{ cfg['b'] }}", { cfg: {} })).message).to.equal("undefined variable 'cfg['b']'");
    });
    it('names list indexes', () => {
      expect(err(() => renderString('{{ pkgs[5] }}', vars)).message).to.equal("undefined variable 'pkgs[5]'");
    });
    it('fails in renderValue too', () => {
      expect(err(() => renderValue({ a: ['{{ zz }}'] }, vars, where)).message).to.equal("undefined variable 'zz' in task 'Create venv' (roles/x/tasks/main.yml:12:3)");
    });
    it('is an error in if (strict, as Ansible), missing for default and is defined', () => {
      expect(err(() => renderString('{% if zz %}y{% endif %}', vars))).to.be.instanceOf(UndefinedVariableError);
      expect(renderString('{% if zz.q is not defined %}u{% endif %}', vars)).to.equal('u');
      expect(renderString("{{ zz | default('fb') }}", vars)).to.equal('fb');
    });
    it('throws when passed to other filters and loops', () => {
      expect(err(() => renderString("{{ zz | join(',') }}", vars)).message).to.equal("undefined variable 'zz'");
      expect(err(() => renderString('{% for x in zz %}x{% endfor %}', vars)).message).to.equal("undefined variable 'zz'");
    });
    it('a null value is defined (printed as empty)', () => {
      expect(renderString('[{{ none }}]', vars)).to.equal('[]');
    });
  });

  describe('errors', () => {
    it('reports syntax errors as UserError quoting the template, with position', () => {
      const e = err(() => renderString('{{ x ', vars, where));
      expect(e).to.be.instanceOf(UserError);
      expect(e.message).to.match(/^template syntax error in '\{\{ x': unexpected end of template, expected '\}\}' \(column 1 of the template\)/);
      expect(e.message).to.match(/in task 'Create venv' \(roles\/x\/tasks\/main.yml:12:3\)$/);
    });
    it('reports unknown filters with their column', () => {
      const e = err(() => renderString('{{ x | nope }}', vars, where));
      expect(e).to.be.instanceOf(UserError);
      expect(e.message).to.equal("template syntax error in '{{ x | nope }}': no filter named 'nope' (column 8 of the template) in task 'Create venv' (roles/x/tasks/main.yml:12:3)");
    });
    it('old Handlebars helper syntax is an error showing the Jinja equivalent', () => {
      expect(err(() => renderString('{{default x "y"}}', vars)).message).to.match(/write \{\{ x \| default\('y'\) \}\}$/);
      expect(err(() => renderString('/w/{{basename p}}', vars)).message).to.match(/write \/w\/\{\{ p \| basename \}\}$/);
      expect(err(() => renderString('{{#if a}}x{{/if}}', vars)).message).to.match(/write \{% if a %\}x\{% endif %\}$/);
    });
  });

  describe('prototype safety', () => {
    it('constructor and friends are undefined variables, not JS internals', () => {
      for (const t of ['{{constructor}}', '{{ __proto__ }}', '{{ cfg.constructor }}', '{{ pkgs.constructor }}', '{{ cfg.__proto__ }}', '{{ cfg.toString }}', '{{ pkgs.map }}', '{{ cfg.hasOwnProperty }}']) {
        expect(err(() => renderString(t, vars)), t).to.be.instanceOf(UndefinedVariableError);
      }
    });
    it('subscripts cannot reach prototypes', () => {
      expect(err(() => renderString("{{ cfg['constructor'] }}", vars))).to.be.instanceOf(UndefinedVariableError);
      expect(renderString("{{ cfg['constructor'] | default('safe') }}", vars)).to.equal('safe');
      expect(renderString("{{ cfg['__proto__'] | default('safe') }}", vars)).to.equal('safe');
    });
    it('filter names never resolve through prototypes', () => {
      expect(err(() => renderString('{{ cfg | constructor }}', vars)).message).to.match(/no filter named 'constructor'/);
      expect(err(() => renderString('{{ cfg | toString }}', vars)).message).to.match(/no filter named 'toString'/);
    });
    it('a string cannot reach String.prototype', () => {
      expect(err(() => renderString('{{ venv_base.constructor }}', vars))).to.be.instanceOf(UndefinedVariableError);
      expect(err(() => renderString("{{ venv_base.constructor('x') }}", vars)).message).to.match(/has no attribute 'constructor'/);
    });
    it('own data keys named like internals are plain data', () => {
      expect(renderString('{{ cfg.constructor }}', { cfg: JSON.parse('{"constructor": "x", "__proto__": "y"}') })).to.equal('x');
    });
    it('set does not modify variables', () => {
      const data = { cfg: { a: 1 } };
      renderString('{% set cfg = 2 %}{{ cfg }}', data);
      expect(data).to.deep.equal({ cfg: { a: 1 } });
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    });
  });

  describe('filters', () => {
    const r = (t: string, v: Record<string, unknown> = vars) => renderValue(t, v);
    it('default: value, or fallback when undefined; optional falsy mode', () => {
      expect(r('{{ n | default(5) }}')).to.equal(3);
      expect(r('{{ zz | default(5) }}')).to.equal(5);
      expect(r("{{ none | default('x') }}")).to.equal(null);
      expect(r("{{ '' | default('x') }}")).to.equal('');
      expect(r("{{ '' | default('x', true) }}")).to.equal('x');
    });
    it('basename / dirname (Python os.path semantics)', () => {
      expect(r("{{ '/opt/app/bin/python' | basename }}")).to.equal('python');
      expect(r("{{ '/opt/app/bin/python' | dirname }}")).to.equal('/opt/app/bin');
      expect(r("{{ '/python' | dirname }}")).to.equal('/');
      expect(r("{{ 'python' | dirname }}")).to.equal('');
    });
    it('quote: POSIX shell quoting', () => {
      expect(r("{{ 'a b' | quote }}")).to.equal("'a b'");
      expect(r(`{{ "it's" | quote }}`)).to.equal(`'it'"'"'s'`);
      expect(r("{{ 'plain' | quote }}")).to.equal('plain');
    });
    it('hostvars by a computed host name', () => {
      expect(r("{{ hostvars[target]['ansible_host'] }}")).to.equal('10.0.0.1');
      expect(r('{{ hostvars[target].ansible_host }}')).to.equal('10.0.0.1');
      expect(err(() => r("{{ hostvars['web9'].ansible_host }}")).message).to.equal("undefined variable 'hostvars['web9']'");
    });
    it('a variable sharing a filter name is still reachable', () => {
      expect(renderString('{{ first }}', { first: 'x' })).to.equal('x');
      expect(renderValue('{{ length }}', { length: 7 })).to.equal(7);
    });
  });

  describe('.hbs template files keep Handlebars', () => {
    it('renders Handlebars for .hbs and Jinja for .j2', () => {
      expect(renderTemplateFile('{{#each pkgs}}[{{this}}]{{/each}}', 'x.hbs', vars)).to.equal('[flask][gunicorn]');
      expect(renderTemplateFile('{% for p in pkgs %}\n[{{ p }}]\n{% endfor %}\n', 'x.j2', vars)).to.equal('[flask]\n[gunicorn]\n');
    });
  });
});
