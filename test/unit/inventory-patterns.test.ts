import { expect } from 'chai';
import { loadInventory, selectHosts, splitHostPattern, type Inventory } from '../../src/inventory/index.js';
import { UserError } from '../../src/errors.js';
import { askAnsible, fx, type PatternCase, type PatternResults } from '../fixtures/inventory/oracle.js';

const PATTERNS = [
  'all', '*', 'web', 'prod', 'web*', 'w*', '*.example.com', '~db[0-9]+', '~^web0[12]', 'web:db', 'web,db', 'db:web',
  'prod:&web', 'prod:!web', 'all:!prod', '!web', '&db', 'web[0]', 'web[1:2]', 'web[-1]', 'web[4:]', 'web[0:0]',
  'db1', 'db1:db5', 'lonely1,nosuchhost', 'nosuchhost', 'localhost', '127.0.0.1', 'ungrouped', 'w*:&prod:!www-b',
  'www-[a:c]', 'WEB', 'empty', 'db:!db[1:2]', ' web , edge1 ', 'all:!ungrouped:&db',
];
const YAML_PATTERNS = ['all', 'db', 'db_replicas[0]', 'both:&web', 'web:!both', '~.*-b', 'replica-?', 'standalone,bastion'];

const CASES: PatternCase[] = [
  { id: 'ini', sources: [fx('ini/hosts')], patterns: PATTERNS },
  { id: 'yaml', sources: [fx('yaml/hosts.yml')], patterns: YAML_PATTERNS },
  { id: 'multi', sources: [fx('multi/one/hosts'), fx('multi/two/hosts.yml')], patterns: ['all', 'app', 'web', 'app:!w1', 'app[1:]'] },
  { id: 'dir', sources: [fx('dir')], patterns: ['all', 'cache', 'web:cache'] },
];

describe('inventory: host patterns, same as Ansible', function () {
  this.timeout(60_000);
  let oracle: PatternResults;
  const invs = new Map<string, Inventory>();
  before(async () => {
    oracle = (await askAnsible({ patterns: CASES })).patterns;
    for (const c of CASES) invs.set(c.id, await loadInventory(c.sources));
  });

  for (const c of CASES) {
    for (const p of c.patterns) {
      it(`${c.id}: ${JSON.stringify(p)}`, () => {
        const want = oracle[c.id][p];
        const inv = invs.get(c.id)!;
        if (Array.isArray(want)) expect(selectHosts(inv, p)).to.deep.equal(want);
        else expect(() => selectHosts(inv, p)).to.throw(UserError, want.error);
      });
    }
  }
});

describe('inventory: host patterns, extras', () => {
  let inv: Inventory;
  before(async () => {
    inv = await loadInventory([fx('ini/hosts')]);
  });

  it('@file (retry file) adds one pattern per line, relative to baseDir', () => {
    expect(selectHosts(inv, '@site.retry', { baseDir: fx('limits') })).to.deep.equal(['db5', 'web02.example.com', 'lonely1']);
    expect(selectHosts(inv, 'edge1,@limits/site.retry', { baseDir: fx() })).to.deep.equal(['edge1', 'db5', 'web02.example.com', 'lonely1']);
    expect(selectHosts(inv, 'prod:@limits/site.retry:!web', { baseDir: fx() })).to.deep.equal(['edge1', 'db5', 'lonely1']);
  });

  it('@file that does not exist is a UserError', () => {
    expect(() => selectHosts(inv, '@nope.retry', { baseDir: fx('limits') })).to.throw(UserError, `Unable to find limit file ${fx('limits/nope.retry')}`);
  });

  it('a pattern matching nothing returns []', () => {
    expect(selectHosts(inv, 'nothing*')).to.deep.equal([]);
    expect(selectHosts(inv, 'web:&db')).to.deep.equal([]);
  });

  it('implicit localhost: matched by name only, never by all', async () => {
    const empty = await loadInventory([]);
    expect(selectHosts(empty, 'all')).to.deep.equal([]);
    expect(selectHosts(empty, 'localhost')).to.deep.equal(['localhost']);
    expect(selectHosts(empty, 'localhost:all')).to.deep.equal(['localhost']);
    expect(selectHosts(inv, 'localhost')).to.deep.equal(['localhost']);
    expect(inv.hosts.get('localhost')!.implicit).to.equal(true);
  });

  it('splits like Ansible: commas, else colons outside brackets, IPv6 kept', () => {
    expect(splitHostPattern('a,b[1], c[2:3] , d')).to.deep.equal(['a', 'b[1]', 'c[2:3]', 'd']);
    expect(splitHostPattern('web:&db:!x[1:2]')).to.deep.equal(['web', '&db', '!x[1:2]']);
    expect(splitHostPattern('fe80::1')).to.deep.equal(['fe80::1']);
    expect(splitHostPattern('host:22')).to.deep.equal(['host:22']);
  });

  it('an invalid regex is a UserError', () => {
    expect(() => selectHosts(inv, '~web(')).to.throw(UserError, 'Invalid host list pattern: ~web(');
  });
});
