/** Input bounds (issue 8 point 2): the limits themselves, and what stays allowed under them. */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { main } from '../../src/cli/main.js';
import { loadInventory } from '../../src/inventory/index.js';
import { countHostRange, expandHostnameRange } from '../../src/inventory/ranges.js';
import { decodeText, limit } from '../../src/limits.js';
import { guardYaml, YamlGuardError } from '../../src/yaml-guard.js';
import { tempDir } from '../helpers/tmp.js';

/** main() in this process with output captured */
async function cli(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const w1 = process.stdout.write.bind(process.stdout);
  const w2 = process.stderr.write.bind(process.stderr);
  const cwd0 = process.cwd();
  process.chdir(cwd);
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  try {
    return { code: await main(args), out, err };
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
    process.chdir(cwd0);
  }
}

function withEnv<T>(env: Record<string, string>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

const guardError = (text: string, opts = {}) => {
  try {
    guardYaml(parseDocument(text, { uniqueKeys: false }), opts);
  } catch (e) {
    expect(e).to.be.instanceOf(YamlGuardError);
    return e as YamlGuardError;
  }
  throw new Error('no error');
};

describe('input limits', function () {
  this.timeout(30_000);
  let dir: string;
  before(() => (dir = tempDir('ww-limits-')));


  it('limits come from the environment when set', () => {
    withEnv({ WHEELWRIGHT_MAX_YAML_ALIAS_NODES: '10' }, () => {
      const e = guardError('a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b, *b]\n');
      expect(e.message).to.match(/aliases expand to more than 10 nodes \(alias \*b here/);
      expect(e.offset).to.equal('a: &a [x, x]\nb: &b [*a, *a]\nc: ['.length);
    });
    withEnv({ WHEELWRIGHT_MAX_YAML_DEPTH: '3' }, () => {
      expect(guardError('a: [[[1]]]\n').message).to.match(/nested more than 3 levels/);
      guardYaml(parseDocument('a: [[1]]\n'));
    });
    withEnv({ WHEELWRIGHT_MAX_HOST_RANGE: '0' }, () => expect(() => limit('hostRange')).to.throw(/positive integer/));
  });

  it('aliases used as Ansible users do (merge keys on many hosts) stay well within the limits', async () => {
    const hosts = Array.from({ length: 2000 }, (_, i) => `    h${i}:\n      <<: *defaults\n      n: ${i}\n`).join('');
    const f = join(dir, 'merge.yml');
    writeFileSync(f, `all:\n  vars:\n    defaults: &defaults\n${Array.from({ length: 50 }, (_, i) => `      k${i}: v${i}\n`).join('')}  hosts:\n${hosts}`);
    const inv = await loadInventory([f]);
    expect(inv.hosts.get('h1999')!.vars.k49).to.equal('v49');
    expect(inv.hosts.get('h1999')!.vars.n).to.equal(1999);
  });

  it('a recursive alias and an alias without anchor are errors, not hangs', () => {
    expect(guardError('a: &a [*a]\n').message).to.match(/refers to a node that contains it/);
    expect(guardError('a: *nope\n').message).to.match(/no anchor &nope/);
  });

  it('duplicate keys are found in one pass (a 50,000-key mapping loads)', () => {
    const big = Array.from({ length: 50_000 }, (_, i) => `k${i}: ${i}\n`).join('');
    guardYaml(parseDocument(big, { uniqueKeys: false }), { uniqueKeys: true });
    const e = guardError('a: 1\nb: 2\na: 3\n', { uniqueKeys: true });
    expect(e.message).to.equal('Map keys must be unique');
    expect(e.offset).to.equal(10);
  });

  it('host ranges: counted before expansion, empty or oversized ones refused', () => {
    expect(countHostRange('h[0:9999999]')).to.equal(10_000_000);
    expect(countHostRange('r[1:3]n[a:d]')).to.equal(12);
    expect(countHostRange('h[1:10:3]')).to.equal(4);
    expect(expandHostnameRange('h[1:10:3]')).to.deep.equal(['h1', 'h4', 'h7', 'h10']);
    expect(countHostRange('h[10:1:-3]')).to.equal(expandHostnameRange('h[10:1:-3]').length);
    expect(() => expandHostnameRange('web[05:01]')).to.throw(/is empty/);
    expect(() => expandHostnameRange('h[0:9999999]')).to.throw(/10000000 hosts, more than the limit of 1000000/);
  });

  it('text: BOM dropped, invalid UTF-8 named at line and column', () => {
    expect(decodeText(Buffer.from('\ufeffa: 1\n'), 'f')).to.equal('a: 1\n');
    expect(() => decodeText(Buffer.from([0x61, 0x0a, 0x62, 0xc3, 0x28]), 'f.yml')).to.throw(/^f\.yml:2:2: invalid UTF-8 \(byte 0xc3/);
    expect(() => decodeText(Buffer.from([0x61, 0xe2, 0x82]), 'f.yml')).to.throw(/^f\.yml:1:2: invalid UTF-8/);
  });

  it('a chain of 600 variables fails the task with the chain named (no stack overflow), as Ansible fails the host', async () => {
    const vars = Array.from({ length: 600 }, (_, i) => `    v${i}: "{{ v${i + 1} }}"\n`).join('');
    writeFileSync(join(dir, 'chain.yml'), `- hosts: localhost\n  gather_facts: false\n  vars:\n${vars}    v600: end\n  tasks:\n    - debug: msg={{ v0 }}\n`);
    const r = await cli(['chain.yml', '-i', 'localhost,', '--retry-file', 'none'], dir);
    expect(r.code, r.err + r.out).to.equal(2);
    expect(r.out).to.match(/variables refer to variables more than 100 deep: v0 -> v1 -> v2 -> v3 -> \.\.\. -> v98 -> v99 -> v100/);
    expect(r.out + r.err).not.to.match(/INTERNAL|Maximum call stack|^ {4}at /m);
  });

  it('a NUL reaching a command at run time fails that task with a clear message, not an internal error', async () => {
    writeFileSync(
      join(dir, 'nul.yml'),
      '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - command: printf "a\\\\0b"\n      register: r\n    - command: echo "{{ r.stdout }}"\n',
    );
    const r = await cli(['nul.yml', '-i', 'localhost,', '--retry-file', 'none'], dir);
    expect(r.code, r.err + r.out).to.equal(2);
    expect(r.out).to.match(/nul\.yml:6:7: argument '_raw_params' of task 'command' holds a NUL character/);
    expect(r.out + r.err).not.to.match(/INTERNAL|internal error|^ {4}at /m);
  });

  it('a notify of a missing handler in a dynamically included file fails the task at run time (as ansible-playbook does)', async () => {
    writeFileSync(join(dir, 'inc.yml'), '- command: /bin/true\n  notify: nope\n');
    writeFileSync(join(dir, 'dyn.yml'), '- hosts: localhost\n  gather_facts: false\n  vars: {f: inc.yml}\n  tasks:\n    - include_tasks: "{{ f }}"\n    - debug: msg=after\n');
    const r = await cli(['dyn.yml', '-i', 'localhost,', '--retry-file', 'none'], dir);
    expect(r.code, r.err + r.out).to.equal(2);
    expect(r.out).to.include("The requested handler 'nope' was not found in either the main handlers list nor in the listening handlers list");
    expect(r.out).not.to.include('after');
  });
});
