/**
 * Python filter and test plugins, as ansible-playbook loads them: `filter_plugins/` and
 * `test_plugins/` next to the playbook, a role's `filter_plugins/`, and the configured path
 * (ANSIBLE_FILTER_PLUGINS). Both tools run test/fixtures/pyplugins/site.yml on localhost
 * (connection: local); the values the plugins computed must be the same. Then wheelwright's own
 * promises: a plugin's exception names the filter, its file and the traceback's plugin frames; a
 * plugin file that fails to import is named when a template uses an unknown filter; values that
 * are not data are an error; sets come back as lists.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { ansiblePlaybooks, type AnsibleRun } from '../helpers/ansible.js';
import { runCli, ROOT, type CliResult } from '../helpers/cli.js';
import { renderValue } from '../../src/template/render.js';
import { createVarScope } from '../../src/template/lazy.js';
import { loadAdjacentPlugins, loadPluginDirs, resetPythonPlugins } from '../../src/template/python-plugins.js';

const DIR = join(ROOT, 'test/fixtures/pyplugins');
const ENV = { ANSIBLE_FILTER_PLUGINS: join(DIR, 'extra_filters') };

/** The `msg` of the named debug task. */
function ansibleMsg(run: AnsibleRun, task: string): unknown {
  for (const p of run.json?.plays ?? []) for (const t of p.tasks) if (t.task.name === task) return t.hosts.localhost?.msg;
  return undefined;
}
function ourResult(r: CliResult, task: string): Record<string, any> | undefined {
  return r.events.find((e) => e.type === 'host_result' && e.task === task)?.result;
}
/** A debug msg: a dict msg is in the event as its JSON text. */
function ourMsg(r: CliResult, task: string): unknown {
  const m = ourResult(r, task)?.msg;
  return typeof m === 'string' && m.startsWith('{') ? JSON.parse(m) : m;
}

describe('Python filter/test plugins as in ansible-playbook', function () {
  this.timeout(60_000);
  let theirs: Record<string, AnsibleRun>;
  let ours: CliResult;

  before(async () => {
    [theirs, ours] = await Promise.all([
      ansiblePlaybooks([{ id: 'site', argv: ['-i', 'hosts', 'site.yml', '--skip-tags', 'ww_only'], cwd: DIR }], ENV),
      runCli(['-i', 'hosts', 'site.yml', '--output', 'jsonl', '--retry-file', 'none'], { cwd: DIR, env: ENV }),
    ]);
  });
  after(() => resetPythonPlugins());

  it('computes the same values with the playbook\'s, the role\'s and the configured plugins', () => {
    const a = theirs.site!;
    expect(a.code, a.stdout.slice(-2000)).to.equal(0);
    expect(ours.code, ours.stderr + ours.stdout.slice(-2000)).to.equal(0);
    const expected = ansibleMsg(a, 'results');
    expect(expected).to.be.an('object');
    // JSON both ways: a float 3.0 is 3 once it leaves either tool
    expect(JSON.parse(JSON.stringify(ourMsg(ours, 'results')))).to.deep.equal(JSON.parse(JSON.stringify(expected)));
  });

  it('says which plugin failed, with the plugin frames of the traceback', () => {
    const r = ourResult(ours, 'a plugin error');
    expect(r?.msg).to.match(/filter 'strict_port' \(Python plugin .*filter_plugins\/site\.py\) failed: AnsibleFilterError: port out of range: 70000/);
    expect(r?.msg).to.include('site.py", line');
    expect(r?.msg).to.include("raise AnsibleFilterError('port out of range: %s' % value)");
    expect(r?.msg).not.to.include('File "<string>"');
  });

  it('refuses a value that is not data, and gives a set back as a list (documented differences)', () => {
    expect(ourResult(ours, 'a value that is not data')?.msg).to.match(/filter 'opaque' .* returned a value that is not JSON data: value is a builtins\.object/);
    expect(ourMsg(ours, 'deliberate differences')).to.deep.equal({ setted: ['only'], opaque_failed: true });
  });

  it('names a plugin file that failed to import when a template uses an unknown filter (at load, exit 5)', async () => {
    const r = await runCli(['-i', 'localhost,', 'uses_broken.yml', '--syntax-check'], { cwd: join(DIR, 'broken') });
    expect(r.code).to.equal(5);
    expect(r.stderr + r.stdout).to.match(/uses_broken\.yml:5:\d+: .*no filter named 'never_loaded'; a filter plugin file failed to load: .*broken\.py: ModuleNotFoundError: No module named 'module_that_is_not_there'/);
  });

  it('works in-process through the API: the plugins are registered with the engine and called by it', () => {
    resetPythonPlugins();
    loadAdjacentPlugins(DIR);
    loadAdjacentPlugins(join(DIR, 'roles/netrole'));
    loadPluginDirs('filter', [join(DIR, 'extra_filters')]);
    const scope = createVarScope([{ nums: [1, 2.5] }]);
    expect(renderValue("{{ 'h' | site_url('https', 8443) }}", scope, { file: 'x.yml' })).to.equal('https://h:8443');
    expect(renderValue("{{ 'w' | role_greeting }}", scope, { file: 'x.yml' })).to.equal('hello, w');
    expect(renderValue("{{ 4 is even_port }}", scope, { file: 'x.yml' })).to.equal(true);
    expect(renderValue("{{ 'x' | from_config }}", scope, { file: 'x.yml' })).to.equal('configured:x');
  });
});
