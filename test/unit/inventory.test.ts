import { expect } from 'chai';
import { groupNames, groupsMap, listInventoryJson, loadInventory, type Inventory } from '../../src/inventory/index.js';
import { askAnsible, fx } from '../fixtures/inventory/oracle.js';

interface OracleCase {
  name: string;
  sources: string[];
  playbookDir?: string;
}

/** Each case: our `listInventoryJson(loadInventory(...))` must deep-equal `ansible-inventory --list`. */
const CASES: OracleCase[] = [
  { name: 'INI without extension (typing, ranges, ports, children, [g:vars])', sources: [fx('ini/hosts')] },
  { name: 'YAML nested, with group_vars/ dir + files and host_vars/', sources: [fx('yaml/hosts.yml')] },
  { name: 'group priority and depth', sources: [fx('priority/hosts.yml')] },
  { name: 'two sources (INI then YAML)', sources: [fx('multi/one/hosts'), fx('multi/two/hosts.yml')] },
  { name: 'two sources (YAML then INI)', sources: [fx('multi/two/hosts.yml'), fx('multi/one/hosts')] },
  { name: 'dynamic inventory script with _meta', sources: [fx('script/inventory.sh')] },
  { name: 'dynamic inventory script without _meta (--host)', sources: [fx('script/nometa.sh')] },
  { name: 'directory source (YAML, INI, script; ignored files)', sources: [fx('dir')] },
  { name: 'script + INI', sources: [fx('script/inventory.sh'), fx('ini/hosts')] },
  {
    name: 'playbook-adjacent group_vars/host_vars',
    sources: [fx('playbook/inventory/hosts.yml')],
    playbookDir: fx('playbook/play'),
  },
  { name: 'inventory-adjacent vars only (no playbook dir)', sources: [fx('playbook/inventory/hosts.yml')] },
  { name: 'no sources', sources: [] },
];

describe('inventory: same as ansible-inventory --list', function () {
  this.timeout(60_000);
  const oracle = new Map<string, unknown>();

  before(async () => {
    const answers = await askAnsible({ lists: CASES.map((c) => ({ id: c.name, sources: c.sources, playbookDir: c.playbookDir })) });
    for (const c of CASES) oracle.set(c.name, answers.lists[c.name]);
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const inv = await loadInventory(c.sources, { playbookDir: c.playbookDir });
      expect(listInventoryJson(inv)).to.deep.equal(oracle.get(c.name));
    });
  }
});

describe('inventory: API', () => {
  let ini: Inventory;
  let yaml: Inventory;
  before(async () => {
    ini = await loadInventory([fx('ini/hosts')]);
    yaml = await loadInventory([fx('yaml/hosts.yml')]);
  });

  it('INI host-line values are Python literals, [g:vars] values too (ansible-core 2.14)', () => {
    const v = ini.hosts.get('web01.example.com')!.vars;
    expect(v).to.include({ num: 5, quoted: 5, double: '5', yes_: true, no_: false, none: null, flt: 1.5, hex: 16, word: 'yes', sp: 'two words' });
    expect(v.lst).to.deep.equal([1, 'a']);
    expect(v.dct).to.deep.equal({ k: 1 });
    expect(v).to.include({ http_port: 8080, greeting: 'hello world', flag: true, raw: 'not a literal', env: 'prod', ntp: 'pool.ntp.org' });
    expect(v.items).to.deep.equal([1, 2]);
  });

  it('expands ranges with padding, letters and steps, and ports', () => {
    expect(ini.groups.get('web')!.directHosts).to.deep.equal([
      'web01.example.com', 'web02.example.com', 'web03.example.com', 'www-a', 'www-b', 'www-c',
    ]);
    expect(ini.groups.get('db')!.hosts).to.deep.equal(['db1', 'db5', 'db9', 'db-extra']);
    expect(ini.hosts.get('www-b')!.vars.ansible_port).to.equal(2222);
    expect(ini.hosts.get('lonely2')!.vars.ansible_port).to.equal(2200);
  });

  it('group.hosts includes descendants; groupsMap is the `groups` variable', () => {
    expect(ini.groups.get('prod')!.hosts).to.deep.equal([
      'web01.example.com', 'web02.example.com', 'web03.example.com', 'www-a', 'www-b', 'www-c', 'edge1',
    ]);
    const g = groupsMap(ini);
    expect(g.ungrouped).to.deep.equal(['lonely1', 'lonely2', 'lonely3']);
    expect(g.empty).to.deep.equal([]);
    expect(g.all).to.have.length(14);
    expect(g.all).to.not.include('localhost');
  });

  it('host groups and group_names (Ansible keeps "ungrouped" in group_names)', () => {
    expect(ini.hosts.get('edge1')!.groups).to.deep.equal(['all', 'prod', 'edge']);
    expect(groupNames(ini, 'web01.example.com')).to.deep.equal(['prod', 'web']);
    expect(groupNames(ini, 'lonely1')).to.deep.equal(['ungrouped']);
    expect(groupNames(yaml, 'replica-a')).to.deep.equal(['db', 'db_replicas']);
    expect(groupNames(ini, 'nope')).to.deep.equal([]);
  });

  it('merge order: all < parent < child < group_vars files < host, dicts replaced', () => {
    const web01 = yaml.hosts.get('web01')!.vars;
    expect(web01.level).to.equal('host_vars_web01');
    expect(web01.http_port).to.equal(8443); // host_vars beat the inventory host var
    expect(web01.nested).to.deep.equal({ from: 'group_vars_web' }); // replaced, not merged
    expect(yaml.hosts.get('replica-a')!.vars.level).to.equal('group_vars_db_replicas');
    expect(yaml.hosts.get('db1')!.vars.level).to.equal('group_vars_all'); // group_vars/all beats inventory db vars
    expect(yaml.hosts.get('db1')!.vars.db_only).to.equal(true); // `db` (no extension) wins over db.yml
    expect(yaml.hosts.get('db1')!.vars).to.not.have.property('never_read');
    expect(yaml.hosts.get('bastion')!.vars.override_me).to.equal('dir_second'); // group_vars/all/ files in name order
    expect(yaml.hosts.get('solo')!.vars.nested).to.deep.equal({ from: 'host' });
  });

  it('ansible_group_priority and depth decide between groups', async () => {
    const inv = await loadInventory([fx('priority/hosts.yml')]);
    expect(inv.hosts.get('h1')!.vars.who).to.equal('beta'); // same depth: name order, last wins
    expect(inv.hosts.get('h2')!.vars.who2).to.equal('alpha'); // zeta has priority 0 < 1
    expect(inv.hosts.get('h3')!.vars.who).to.equal('aa_high'); // priority 10
    expect(inv.hosts.get('h4')!.vars.depth_var).to.equal('child'); // deeper group wins
    expect(inv.groups.get('aa_high')!.priority).to.equal(10);
    expect(inv.groups.get('aa_high')!.vars).to.not.have.property('ansible_group_priority');
  });

  it('playbook-adjacent group_vars/host_vars win over inventory-adjacent ones', async () => {
    const inv = await loadInventory([fx('playbook/inventory/hosts.yml')], { playbookDir: fx('playbook/play') });
    const h1 = inv.hosts.get('h1')!.vars;
    expect(h1).to.include({
      layer: 'playbook_group_vars_all',
      web_layer: 'playbook_group_vars_web_b',
      layer_h: 'playbook_host_vars',
      only_inv_all: true,
      from_play_dir: true,
    });
    const without = await loadInventory([fx('playbook/inventory/hosts.yml')]);
    expect(without.hosts.get('h1')!.vars).to.include({ layer: 'inventory_group_vars_all', layer_h: 'inventory_host_vars' });
  });

  it('several sources: group_vars are applied source by source', async () => {
    const inv = await loadInventory([fx('multi/one/hosts'), fx('multi/two/hosts.yml')]);
    const w1 = inv.hosts.get('w1')!.vars;
    expect(w1).to.include({ shared: 'two', from_inv: 'one', all_shared: 'two', gv_one: true, hv_two: true });
    // group_vars/web from source one is applied before group_vars/app from source two
    expect(w1.gv_shared).to.equal('app_in_two');
    expect(inv.hosts.get('w2')!.vars.src).to.equal('two');
    expect(inv.sources).to.deep.equal([fx('multi/one/hosts'), fx('multi/two/hosts.yml')]);
  });

  it('exposes inventory_file and inventory_dir like Ansible', () => {
    expect(ini.hosts.get('edge1')!.vars).to.include({ inventory_file: fx('ini/hosts'), inventory_dir: fx('ini') });
  });

  it('no sources: just the implicit localhost, local connection, not in "all"', async () => {
    const inv = await loadInventory([], { playbookDir: fx('playbook/play') });
    const lh = inv.hosts.get('localhost')!;
    expect(lh.implicit).to.equal(true);
    expect(lh.vars).to.deep.equal({
      layer: 'playbook_group_vars_all',
      ansible_connection: 'local',
      local_var: 'from_playbook_host_vars',
    });
    expect(lh.groups).to.deep.equal([]);
    expect(groupsMap(inv)).to.deep.equal({ all: [], ungrouped: [] });
  });

  it('an explicit localhost replaces the implicit one', async () => {
    const inv = await loadInventory(['localhost,other,']);
    expect(inv.hosts.get('localhost')!.implicit).to.equal(undefined);
    expect(inv.hosts.get('localhost')!.vars).to.not.have.property('ansible_connection');
    expect(inv.groups.get('ungrouped')!.hosts).to.deep.equal(['localhost', 'other']);
  });

  it('reports Ansible warnings instead of failing', async () => {
    const inv = await loadInventory([fx('script/nometa.sh')]);
    expect(inv.warnings).to.deep.equal(['Found both group and host with same name: single']);
  });
});
