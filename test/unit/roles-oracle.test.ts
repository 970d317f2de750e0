/**
 * Role composition as in ansible-playbook: `roles:` entries (params, `vars:`, duplicates,
 * allow_duplicates), meta dependencies (`role:`/`name:` forms, params, `vars:`), the role search
 * path (playbook roles/, ANSIBLE_ROLES_PATH, ~/.ansible/roles), import_role and include_role
 * (tasks_from, vars_from, defaults_from, handlers_from, public, apply, vars, when, loop, a templated
 * name), tags on each, role variables seen by the play, import_playbook with vars and when, and
 * handlers one copy per role use (handlers.yml).
 * Both tools run test/fixtures/roles/site.yml on localhost (connection: local): the messages the
 * debug tasks print must be the same, in the same order.
 */
import { expect } from 'chai';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, ROOT } from '../helpers/cli.js';
import { ansiblePlaybooks, type AnsibleJson } from '../helpers/ansible.js';
import { tempDir } from '../helpers/tmp.js';

const DIR = join(ROOT, 'test/fixtures/roles');
const CASES: string[][] = [['site.yml'], ['site.yml', '--tags', 'imp,inc'], ['site.yml', '--tags', 'applied'], ['home.yml'], ['two-hosts.yml'], ['handlers.yml']];
/** the inventory of a case: two-hosts.yml runs on two local hosts */
const inv = (c: string[]) => (c[0] === 'two-hosts.yml' ? 'hosts-two' : 'hosts');

/** The debug messages Ansible printed, in order (loop items one by one). */
function ansibleMessages(j: AnsibleJson | undefined): string[] {
  const out: string[] = [];
  for (const p of j?.plays ?? []) {
    for (const t of p.tasks) {
      for (const r of Object.values(t.hosts)) {
        if (r.skipped || r.cmd !== undefined) continue; // debug messages only
        if (Array.isArray(r.results)) for (const x of r.results) if (!x.skipped && typeof x.msg === 'string') out.push(x.msg);
        if (typeof r.msg === 'string' && !r.results) out.push(r.msg);
      }
    }
  }
  return out;
}

describe('roles, import_role and include_role as in ansible-playbook', function () {
  this.timeout(300_000); // the machine may be loaded; the runs themselves take seconds
  let oracle: Awaited<ReturnType<typeof ansiblePlaybooks>>;
  let home: string;
  // site.yml finds `pathrole` in ANSIBLE_ROLES_PATH; home.yml (no roles path set) finds `homerole` in ~/.ansible/roles
  const env = (i: number): Record<string, string> => ({ HOME: home, ...(CASES[i]![0] === 'site.yml' ? { ANSIBLE_ROLES_PATH: join(DIR, 'extra_roles') } : {}) });
  before(async () => {
    home = tempDir('ww-roles-home-');
    cpSync(join(DIR, 'home'), home, { recursive: true });
    const runs = (files: string[]) => CASES.map((c, i) => ({ id: String(i), argv: ['-i', inv(c), ...c], cwd: DIR })).filter((_, i) => files.includes(CASES[i]![0]!));
    const [a, b] = await Promise.all([ansiblePlaybooks(runs(['site.yml', 'two-hosts.yml', 'handlers.yml']), env(0)), ansiblePlaybooks(runs(['home.yml']), env(3))]);
    oracle = { ...a, ...b };
  });
  for (const [i, c] of CASES.entries()) {
    it(`the same messages in the same order (${c.join(' ')})`, async () => {
      const theirs = oracle[String(i)]!;
      expect(theirs.code, theirs.stdout.slice(-2000)).to.equal(0);
      const r = await runCli(['-i', inv(c), ...c, '--output', 'jsonl', '--retry-file', 'none'], { cwd: DIR, env: env(i) });
      expect(r.code, r.stderr + r.stdout.slice(-2000)).to.equal(0);
      const ours = r.events
        .filter((e) => e.type === 'host_result' && e.status !== 'skipped' && !e.aggregate && typeof e.result?.msg === 'string' && e.module?.endsWith('debug'))
        .map((e) => e.result.msg as string);
      const expected = ansibleMessages(theirs.json);
      expect(expected.length, 'the oracle printed something').to.be.greaterThan(c.length === 1 && c[0] === 'site.yml' ? 30 : 0);
      // with two hosts the order of hosts within a task may differ: compare each task's messages as a set
      if (inv(c) === 'hosts-two') expect([...ours].sort()).to.deep.equal([...expected].sort());
      else expect(ours).to.deep.equal(expected);
    });
  }
});
