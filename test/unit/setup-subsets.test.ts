/**
 * setup's gather_subset and filter, against ansible-playbook on localhost (no lab): for every fact
 * wheelwright gathers, it comes back exactly when Ansible's comes back, and no fact comes back that
 * Ansible's does not give for the same arguments (Ansible gathers many more facts: those are not
 * compared). discovered_interpreter_python is interpreter discovery's, not setup's: left out.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { runCli, ROOT } from '../helpers/cli.js';
import { ansiblePlaybooks } from '../helpers/ansible.js';

const DIR = join(ROOT, 'test/fixtures/setup-subsets');

describe('setup: gather_subset and filter', function () {
  this.timeout(180_000);
  it('return the facts ansible-playbook returns, for the facts wheelwright gathers', async () => {
    const oracle = ansiblePlaybooks([{ id: 's', argv: ['-i', 'hosts', 'site.yml'], cwd: DIR }]);
    const r = await runCli(['-i', 'hosts', 'site.yml', '--output', 'jsonl', '--retry-file', 'none'], { cwd: DIR });
    const theirs = (await oracle).s!;
    expect(theirs.code, theirs.stderr + theirs.stdout).to.equal(0);
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    const keys = (res: Record<string, any>) => Object.keys(res.ansible_facts ?? {}).filter((k) => k !== 'discovered_interpreter_python').sort();
    const ours = new Map<string, Record<string, any>>();
    for (const e of r.events) if (e.type === 'host_result' && e.host === 'localhost') ours.set(e.task, e.result);
    const tasks = theirs.json!.plays[0]!.tasks;
    const supported = new Set(keys(ours.get('default')!));
    expect(supported.size).to.be.greaterThan(20);
    for (const t of tasks) {
      const a = t.hosts.localhost!;
      const w = ours.get(t.task.name)!;
      expect(w, t.task.name).to.not.equal(undefined);
      const aFailed = a._status === 'failed' || a._status === 'ignored';
      expect(!!w.failed, `${t.task.name}: ${JSON.stringify(w)}`).to.equal(aFailed);
      if (aFailed) {
        expect(w.msg).to.equal(a.msg);
        continue;
      }
      const ak = keys(a);
      expect(keys(w), t.task.name).to.deep.equal(ak.filter((k) => supported.has(k)));
      if (a.ansible_facts.gather_subset) expect(w.ansible_facts.gather_subset, t.task.name).to.deep.equal(a.ansible_facts.gather_subset);
    }
  });
});
