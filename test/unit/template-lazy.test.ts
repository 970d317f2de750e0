import { expect } from 'chai';
import { UserError } from '../../src/errors.js';
import { createVarScope, materialize } from '../../src/template/lazy.js';
import { renderString, renderValue } from '../../src/template/render.js';
import { evaluate } from '../../src/template/expr.js';

describe('lazy variable scopes', () => {
  it('later layers win', () => {
    const s = createVarScope([{ a: 1, b: 1 }, { b: 2 }]);
    expect(s.a).to.equal(1);
    expect(s.b).to.equal(2);
  });

  it('a lower layer can refer to a higher one (role default -> inventory var)', () => {
    const defaults = { venv_path: '{{ venv_base }}/{{ app_name }}', app_name: 'web' };
    const inventory = { venv_base: '/srv/venvs' };
    const s = createVarScope([defaults, inventory]);
    expect(s.venv_path).to.equal('/srv/venvs/web');
    expect(renderString('{{ venv_path }}/bin', s)).to.equal('/srv/venvs/web/bin');
  });

  it('uses the winning value of a referenced variable', () => {
    const s = createVarScope([{ url: 'http://{{ host }}', host: 'default' }, { host: 'override' }]);
    expect(s.url).to.equal('http://override');
  });

  it('renders nested lists and dicts deeply, keeping native types', () => {
    const s = createVarScope([{ base: '/opt', port: 80, cfg: { dirs: ['{{ base }}/a', '{{ base }}/b'], port: '{{ port }}' } }]);
    expect(s.cfg).to.deep.equal({ dirs: ['/opt/a', '/opt/b'], port: 80 });
  });

  it('memoizes rendered values', () => {
    let reads = 0;
    const layer = {} as Record<string, unknown>;
    Object.defineProperty(layer, 'x', { enumerable: true, get: () => (reads++, '{{ y }}') });
    const s = createVarScope([layer, { y: 1 }]);
    expect(s.x).to.equal(1);
    expect(s.x).to.equal(1);
    expect(reads).to.be.lessThan(4);
    expect(s.x).to.equal(s.x);
  });

  it('does not render variables that are never used', () => {
    const s = createVarScope([{ broken: '{{ nope }}', ok: 'fine' }]);
    expect(s.ok).to.equal('fine');
    expect(Object.keys(s)).to.deep.equal(['broken', 'ok']);
  });

  it('reports a reference cycle naming the chain', () => {
    const s = createVarScope([{ a: '{{ b }}' }, { b: 'x{{ c }}', c: '{{ a }}' }]);
    let e: Error | undefined;
    try {
      renderString('{{ a }}', s, { task: 'T', file: 'p.yml', line: 3, col: 5 });
    } catch (x) {
      e = x as Error;
    }
    expect(e).to.be.instanceOf(UserError);
    expect(e!.message).to.equal("variable reference cycle: a -> b -> c -> a in task 'T' (p.yml:3:5)");
  });

  it('reports a self reference as a cycle', () => {
    const s = createVarScope([{ path: '/usr/bin' }, { path: '{{ path }}:/opt/bin' }]);
    expect(() => s.path).to.throw(UserError, 'variable reference cycle: path -> path');
  });

  it('can retry after an error (no stale in-progress state)', () => {
    const s = createVarScope([{ a: '{{ b }}', b: '{{ a }}' }]);
    expect(() => s.a).to.throw(UserError);
    expect(() => s.a).to.throw(UserError, 'a -> b -> a');
  });

  it('reports undefined variables used by a variable', () => {
    const s = createVarScope([{ a: '{{ missing }}/x' }]);
    expect(() => renderString('{{ a }}', s, { task: 'T' })).to.throw(UserError, "undefined variable 'missing' in task 'T'");
  });

  it('looks like a plain object: keys, in, JSON, spread', () => {
    const s = createVarScope([{ a: 1, b: '{{ a }}' }, { c: [1] }]);
    expect(Object.keys(s)).to.deep.equal(['a', 'b', 'c']);
    expect('b' in s).to.equal(true);
    expect('zz' in s).to.equal(false);
    expect(s.zz).to.equal(undefined);
    expect(JSON.parse(JSON.stringify(s))).to.deep.equal({ a: 1, b: 1, c: [1] });
    expect({ ...s }).to.deep.equal({ a: 1, b: 1, c: [1] });
  });

  it('treats keys with an undefined value as absent', () => {
    const s = createVarScope([{ a: 1 }, { a: undefined, role_path: undefined }]);
    expect(s.a).to.equal(1);
    expect('role_path' in s).to.equal(false);
  });

  it('is read-only', () => {
    const s = createVarScope([{ a: 1 }]);
    expect(() => {
      'use strict';
      (s as Record<string, unknown>).a = 2;
    }).to.throw(TypeError);
    expect(s.a).to.equal(1);
  });

  it('works with Jinja statements and with expressions', () => {
    const s = createVarScope([{ n: '{{ m }}', m: 5, l: ['{{ m }}'] }]);
    expect(renderValue('{{ n }}', s)).to.equal(5);
    expect(renderString('{% for x in l %}<{{ x }}>{% endfor %}', s)).to.equal('<5>');
    expect(evaluate('n == 5 and l[0] == 5', s)).to.equal(true);
    expect(evaluate('n is defined and zz is not defined', s)).to.equal(true);
  });

  it('materialize returns a fully rendered plain copy, including nested scopes', () => {
    const host = createVarScope([{ ip: '10.0.0.{{ n }}', n: 7 }]);
    const s = createVarScope([{ hostvars: { web1: host }, x: '{{ hostvars.web1.ip }}' }]);
    const m = materialize(s) as Record<string, unknown>;
    expect(m).to.deep.equal({ hostvars: { web1: { ip: '10.0.0.7', n: 7 } }, x: '10.0.0.7' });
    expect(Object.getPrototypeOf(m)).to.equal(Object.prototype);
  });
});
