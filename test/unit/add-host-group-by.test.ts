/** add_host and group_by change the in-memory inventory for later tasks and plays, as in ansible-playbook (localhost, no lab). */
import { expect } from 'chai';
import { join } from 'node:path';
import { runCli, ROOT } from '../helpers/cli.js';
import { ansiblePlaybooks, type AnsibleRun } from '../helpers/ansible.js';

const DIR = join(ROOT, 'test/fixtures/dynamic-inventory');

describe('add_host and group_by', function () {
  this.timeout(120_000);
  // add_host and group_by change only the run's in-memory inventory: --check runs them too, as in Ansible
  let oracle: Promise<Record<string, AnsibleRun>>;
  before(() => {
    oracle = ansiblePlaybooks([
      { id: 'run', argv: ['-i', 'hosts', 'site.yml'], cwd: DIR },
      { id: 'check', argv: ['-i', 'hosts', 'site.yml', '--check'], cwd: DIR },
    ]);
  });
  for (const mode of ['run', 'check'] as const) {
    it(`add hosts, groups and variables for later tasks and plays as ansible-playbook does${mode === 'check' ? ' (--check)' : ''}`, async () => {
      const r = await runCli(['-i', 'hosts', 'site.yml', '--output', 'jsonl', '--retry-file', 'none', ...(mode === 'check' ? ['--check'] : [])], { cwd: DIR });
      const theirs = (await oracle)[mode]!;
      expect(theirs.code, theirs.stderr + theirs.stdout).to.equal(0);
      expect(r.code, r.stderr + r.stdout).to.equal(0);
      const ours = new Map<string, unknown>();
      for (const e of r.events) if (e.type === 'host_result' && (e.task === 'show' || e.task === 'later')) ours.set(`${e.task} ${e.host}`, JSON.parse(e.result.msg));
      const want = new Map<string, unknown>();
      for (const play of theirs.json!.plays) {
        for (const t of play.tasks) {
          if (t.task.name !== 'show' && t.task.name !== 'later') continue;
          for (const [h, res] of Object.entries(t.hosts)) want.set(`${t.task.name} ${h}`, JSON.parse(res.msg));
        }
      }
      // the order of hosts that joined a group from parallel hosts (group_by) is the order their
      // results arrived in Ansible: compare the groups' members sorted
      const norm = (v: any) => (v && v.groups ? { ...v, groups: Object.fromEntries(Object.entries(v.groups as Record<string, string[]>).map(([g, l]) => [g, [...l].sort()])) } : v);
      for (const m of [ours, want]) for (const [k, v] of m) m.set(k, norm(v));
      expect([...ours.keys()].sort()).to.deep.equal([...want.keys()].sort());
      for (const [k, v] of want) expect(ours.get(k), k).to.deep.equal(v);
      // the changed flags as Ansible reports them (the registered results above carry them too)
      const changed = (events: Array<{ task: string; host: string; changed: boolean }>) => events.map((e) => `${e.task} ${e.host} ${e.changed}`).sort();
      const oursChanged = r.events.filter((e) => e.type === 'host_result' && !e.item && /^(add|group)/.test(e.task)).map((e) => ({ task: e.task, host: e.host, changed: !!e.result.changed }));
      const theirsChanged = theirs.json!.plays[0]!.tasks.filter((t) => /^(add|group)/.test(t.task.name)).flatMap((t) => Object.entries(t.hosts).map(([h, res]) => ({ task: t.task.name, host: h, changed: !!res.changed })));
      expect(changed(oursChanged)).to.deep.equal(changed(theirsChanged));
    });
  }
});
