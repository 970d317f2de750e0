/**
 * `wheelwright inventory` against `ansible-inventory` on the same sources: the top-level
 * inventories/ (lab, OSA-shaped, dynamic script) and the inventory fixtures, for --list (JSON and
 * YAML), --export, --host, --graph [GROUP] and --graph --vars. One Python process answers every
 * Ansible question (test/fixtures/inventory/oracle.py); wheelwright's command runs in-process.
 */
import { expect } from 'chai';
import { parse } from 'yaml';
import { join } from 'node:path';
import { askAnsible, type OracleAnswers, type RunCase } from '../fixtures/inventory/oracle.js';
import { inventoryCli } from '../../src/cli/inventory.js';
import { ROOT } from '../helpers/cli.js';

const SOURCES: Record<string, string[]> = {
  'inventories/lab': [join(ROOT, 'inventories/lab')],
  'inventories/osa': [join(ROOT, 'inventories/osa')],
  'inventories/dynamic': [join(ROOT, 'inventories/dynamic/inventory.py')],
  'fixtures yaml': [join(ROOT, 'test/fixtures/inventory/yaml/hosts.yml')],
  'fixtures ini': [join(ROOT, 'test/fixtures/inventory/ini/hosts')],
  'fixtures priority': [join(ROOT, 'test/fixtures/inventory/priority/hosts.yml')],
  'fixtures multi': [join(ROOT, 'test/fixtures/inventory/multi/one'), join(ROOT, 'test/fixtures/inventory/multi/two')],
};

/** Exact text: JSON and the graph are printed byte for byte as ansible-inventory prints them. */
const EXACT: string[][] = [['--list'], ['--list', '--export'], ['--graph'], ['--graph', '--vars']];
/** Same data (PyYAML folds long lines and quotes differently from the yaml library). */
const YAML: string[][] = [['--list', '--yaml'], ['--list', '--yaml', '--export']];

async function ww(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string; error?: string }> {
  let stdout = '';
  let stderr = '';
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const code = await inventoryCli(argv, (s) => (stdout += s), async () => '', (s) => (stderr += s));
    return { code, stdout, stderr };
  } catch (e) {
    return { code: 5, stdout, stderr, error: (e as Error).message };
  } finally {
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
}

/** Ansible's warnings, unwrapped (its display wraps them, even inside a path): whitespace removed to compare. */
const warnings = (stderr: string) => stderr.split('[WARNING]:').slice(1).map((w) => w.replace(/\s+/g, ''));

describe('wheelwright inventory: the same as ansible-inventory (--list, --yaml, --export, --host, --graph, --vars)', function () {
  this.timeout(120_000);
  let ansible: OracleAnswers;
  const cases: RunCase[] = [];
  const caseArgs = new Map<string, string[]>();
  const add = (id: string, argv: string[]) => {
    cases.push({ id, argv });
    caseArgs.set(id, argv);
  };
  for (const [name, srcs] of Object.entries(SOURCES)) {
    const i = srcs.flatMap((s) => ['-i', s]);
    for (const a of [...EXACT, ...YAML]) add(`${name} ${a.join(' ')}`, [...i, ...a]);
  }
  // one host, a sub-graph, a graph with vars from a group down
  add('osa --host infra1', ['-i', SOURCES['inventories/osa']![0]!, '--host', 'infra1']);
  add('osa --host infra1 --yaml', ['-i', SOURCES['inventories/osa']![0]!, '--host', 'infra1', '--yaml']);
  add('osa --graph nova_all --vars', ['-i', SOURCES['inventories/osa']![0]!, '--graph', 'nova_all', '--vars']);
  add('dynamic --graph compute', ['-i', SOURCES['inventories/dynamic']![0]!, '--graph', 'compute']);
  add('dynamic --host compute03', ['-i', SOURCES['inventories/dynamic']![0]!, '--host', 'compute03']);

  let always: OracleAnswers;
  const WARN = join(ROOT, 'test/fixtures/inventory/warnings');
  before(async () => {
    [ansible, always] = await Promise.all([
      askAnsible({ runs: [...cases, { id: 'warnings', argv: ['-i', WARN, '--list'] }] }),
      askAnsible({ runs: [{ id: 'warnings', argv: ['-i', WARN, '--graph'] }] }, { ANSIBLE_TRANSFORM_INVALID_GROUP_CHARS: 'always' }),
    ]);
  });

  for (const { id } of cases) {
    it(id, async () => {
      const argv = caseArgs.get(id)!;
      const a = ansible.runs[id]!;
      expect(a.code, a.stderr).to.equal(0);
      const w = await ww(argv);
      expect(w.code, w.error).to.equal(0);
      if (argv.includes('--yaml')) expect(parse(w.stdout)).to.deep.equal(parse(a.stdout));
      else expect(w.stdout).to.equal(a.stdout);
    });
  }

  it('the examples really use the inventories (the oracle cases are not empty)', () => {
    expect(ansible.runs['inventories/osa --graph']!.stdout).to.include('  |  |--@nova_api:\n  |  |  |--infra1');
    expect(ansible.runs['inventories/osa --graph --vars']!.stdout).to.include("{nova_api_bind_address = {{ container_address | default(ansible_host) }}}");
    expect(ansible.runs['inventories/dynamic --list']!.stdout).to.include('compute08');
    expect(ansible.runs['inventories/lab --list']!.stdout).to.include('venv_targets');
  });

  it('warns where ansible-inventory warns: duplicate keys (inventory and group_vars), unexpected keys, invalid group characters; skips unparsable files of a directory', async () => {
    const a = ansible.runs.warnings!;
    const w = await ww(['-i', WARN, '--list']);
    expect(w.code, w.error).to.equal(0);
    expect(w.stdout).to.equal(a.stdout);
    const mine = warnings(w.stderr);
    const theirs = warnings(a.stderr).filter((x) => !x.startsWith('*Failedtoparse'));
    expect([...new Set(mine.filter((x) => !x.startsWith('*Failedtoparse')))].sort()).to.deep.equal([...new Set(theirs)].sort());
    expect(theirs.some((x) => x.startsWith('Whileconstructingamapping') && x.includes('group_vars/db.yml'))).to.equal(true);
    expect(theirs).to.include('Unableto parse'.replace(/\s/g, '') + `${WARN}/03-notesasaninventorysource`);
    // the reason of each skipped file, with its file:line:col
    expect(mine).to.include(`*Failedtoparse${WARN}/03-notes:${WARN}/03-notes:1:6:Expectedkey=valuehostvariableassignment,got:is`);
    // transform_invalid_group_chars=always: the group is renamed, and the warning says so
    const t = await ww(['-i', WARN, '--graph'], { ANSIBLE_TRANSFORM_INVALID_GROUP_CHARS: 'always' });
    expect(t.stdout).to.equal(always.runs.warnings!.stdout);
    expect(t.stdout).to.include('@web_servers:');
    expect(warnings(t.stderr)).to.include.members(warnings(always.runs.warnings!.stderr).filter((x) => !x.startsWith('*Failedtoparse')));
  });

  it('refuses what ansible-inventory refuses: two actions, --graph of a host or unknown group (exit 5)', async () => {
    const osa = SOURCES['inventories/osa']![0]!;
    expect((await ww(['-i', osa, '--graph', 'infra1'])).error).to.match(/'infra1' is not a group/);
    expect((await ww(['-i', osa, '--list', '--graph'])).error).to.match(/only one of --list, --host or --graph/);
    expect((await ww(['-i', osa, '--host', 'nosuch'])).error).to.match(/host 'nosuch' is not in the inventory/);
  });
});
