/**
 * Exit codes and recap counts in every combination of failed, unreachable, ignore_errors,
 * ignore_unreachable, any_errors_fatal, max_fail_percentage, rescue, serial and several plays:
 * ansible-playbook and wheelwright run the same playbooks on the same inventory and must agree.
 * No lab needed: hosts are local connections, the unreachable one is a refused port on 127.0.0.1.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadInventory } from '../../src/inventory/index.js';
import { loadPlaybook } from '../../src/playbook/index.js';
import { runPlaybook, type RunSummary } from '../../src/runner/run.js';
import '../../src/modules/index.js';
import { ansiblePlaybooks, type AnsibleRun } from '../helpers/ansible.js';
import { tempDir } from '../helpers/tmp.js';

const INVENTORY = `
ok1 ansible_connection=local rc=0
ok2 ansible_connection=local rc=0
ok3 ansible_connection=local rc=0
f1 ansible_connection=local rc=1
f2 ansible_connection=local rc=1
u1 ansible_host=127.0.0.1 ansible_port=1 ansible_connection=ssh rc=0
`;

const task = (name: string, extra = '') => `    - name: ${name}\n      command: sh -c "exit {{ rc }}"\n${extra}`;
const play = (hosts: string, body: string, keywords = '') =>
  `- hosts: ${hosts}\n${keywords.includes('gather_facts') ? '' : '  gather_facts: false\n'}${keywords}  tasks:\n${body}`;

/** name → playbook text */
const SCENARIOS: Record<string, string> = {
  'all ok': play('ok1,ok2', task('t1') + task('t2')),
  'one failed': play('ok1,f1', task('t1') + task('t2')),
  'one unreachable': play('ok1,u1', task('t1') + task('t2')),
  'one failed, one unreachable': play('ok1,f1,u1', task('t1') + task('t2')),
  'failed with ignore_errors': play('ok1,f1', task('t1', '      ignore_errors: true\n') + task('t2', '      ignore_errors: true\n')),
  'unreachable with ignore_unreachable': play('ok1,u1', task('t1', '      ignore_unreachable: true\n') + task('t2', '      ignore_unreachable: true\n')),
  'any_errors_fatal, one failed': play('ok1,ok2,f1', task('t1') + task('t2'), '  any_errors_fatal: true\n') + play('ok3', task('t3')),
  'any_errors_fatal, one unreachable': play('ok1,u1', task('t1') + task('t2'), '  any_errors_fatal: true\n') + play('ok3', task('t3')),
  'any_errors_fatal with ignore_errors': play('ok1,f1', task('t1', '      ignore_errors: true\n') + task('t2', '      ignore_errors: true\n'), '  any_errors_fatal: true\n'),
  'max_fail_percentage exceeded': play('ok1,ok2,f1', task('t1') + task('t2'), '  max_fail_percentage: 30\n') + play('ok3', task('t3')),
  'max_fail_percentage not exceeded': play('ok1,ok2,f1', task('t1') + task('t2'), '  max_fail_percentage: 50\n') + play('ok3', task('t3')),
  'max_fail_percentage, unreachable counts': play('ok1,ok2,u1', task('t1') + task('t2'), '  max_fail_percentage: 30\n') + play('ok3', task('t3')),
  'failed in play 1, play 2 ok': play('ok1,f1', task('t1')) + play('ok2', task('t2')),
  'unreachable in play 1, play 2 ok': play('ok1,u1', task('t1')) + play('ok2', task('t2')),
  'unreachable in play 1, failed in play 2': play('ok1,u1', task('t1')) + play('ok2,f1', task('t2')),
  'all hosts of play 1 failed': play('f1,f2', task('t1')) + play('ok1', task('t2')),
  'rescued': play('ok1,f1', `    - block:\n${task('t1').replace(/^ {4}/gm, '        ')}      rescue:\n        - debug: {msg: rescued}\n`),
  'serial batch all failed': play('f1,ok1,ok2', task('t1'), '  serial: 1\n') + play('ok3', task('t2')),
  'serial, later batch fails': play('ok1,f1,ok2', task('t1'), '  serial: 1\n') + play('ok3', task('t2')),
  'templated play keywords (serial, any_errors_fatal, gather_facts, strategy)': play(
    'ok1,ok2,f1,ok3',
    task('t1') + task('t2'),
    `  vars: {gf: "{{ 1 == 2 }}", batch: 2, fatal: true, aef: "{{ fatal }}", st: linear}\n  gather_facts: "{{ gf }}"\n  serial: "{{ batch }}"\n  any_errors_fatal: "{{ aef }}"\n  strategy: "{{ st }}"\n`,
  ) + play('ok3', task('t3')),
  'task any_errors_fatal': play('ok1,ok2,f1', task('t1', '      any_errors_fatal: true\n') + task('t2')) + play('ok3', task('t3')),
  'block any_errors_fatal': play('ok1,f1', `    - block:\n${task('t1').replace(/^ {4}/gm, '        ')}      any_errors_fatal: true\n` + task('t2')) + play('ok3', task('t3')),
  'templated max_fail_percentage': play('ok1,ok2,f1', task('t1') + task('t2'), '  vars: {pct: 30}\n  max_fail_percentage: "{{ pct }}"\n') + play('ok3', task('t3')),
  'any_errors_fatal, failed and unreachable': play('ok1,f1,u1', task('t1') + task('t2'), '  any_errors_fatal: true\n'),
};

type Counts = Record<string, Record<string, number>>;

function fromAnsible(r: AnsibleRun): Counts {
  const out: Counts = {};
  for (const [h, s] of Object.entries(r.json?.stats ?? {})) {
    out[h] = { ok: s.ok!, changed: s.changed!, failed: s.failures!, unreachable: s.unreachable!, skipped: s.skipped!, rescued: s.rescued!, ignored: s.ignored! };
  }
  return dropEmpty(out);
}

/** What `wheelwright -i hosts FILE` does, in this process (saves a Node start per scenario). */
async function wheelwright(dir: string, file: string): Promise<RunSummary> {
  const playbook = await loadPlaybook(join(dir, file));
  const inventory = await loadInventory([join(dir, 'hosts')], { playbookDir: dir });
  return runPlaybook(
    {
      playbook, inventory, extraVars: {}, forks: 50, verbosity: 0, check: false, diff: false, tags: [], skipTags: [],
      hostKeyChecking: 'strict', connectTimeoutMs: 10_000, retryFile: false,
    },
    () => {},
  );
}

function fromWheelwright(r: RunSummary): Counts {
  const out: Counts = {};
  for (const [h, s] of Object.entries(r.stats)) {
    out[h] = { ok: s.ok!, changed: s.changed!, failed: s.failed!, unreachable: s.unreachable!, skipped: s.skipped!, rescued: s.rescued!, ignored: s.ignored! };
  }
  return dropEmpty(out);
}

function dropEmpty(c: Counts): Counts {
  return Object.fromEntries(Object.entries(c).filter(([, s]) => Object.values(s).some((n) => n > 0)).sort(([a], [b]) => a.localeCompare(b)));
}

/** Run `fn` over `items`, `n` at a time. */
async function pool<T, R>(items: T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

describe('exit codes and recap: same as ansible-playbook', function () {
  this.timeout(120_000);
  const dir = tempDir('ww-exit-');
  const names = Object.keys(SCENARIOS);
  const results = new Map<string, { ansible: AnsibleRun; ww: RunSummary }>();

  before(async () => {
    writeFileSync(join(dir, 'hosts'), INVENTORY);
    names.forEach((n, i) => writeFileSync(join(dir, `s${i}.yml`), SCENARIOS[n]!));
    const oracle = ansiblePlaybooks(names.map((n, i) => ({ id: n, argv: ['-i', 'hosts', `s${i}.yml`], cwd: dir })));
    const ww = await pool(names, 4, (n) => wheelwright(dir, `s${names.indexOf(n)}.yml`));
    const ansible = await oracle;
    names.forEach((n, i) => results.set(n, { ansible: ansible[n]!, ww: ww[i]! }));
  });

  for (const name of names) {
    it(name, () => {
      const { ansible, ww } = results.get(name)!;
      expect(ansible.json, `ansible-playbook printed no results:\n${ansible.stdout}\n${ansible.stderr}`).to.not.equal(undefined);
      expect({ code: ww.exitCode, recap: fromWheelwright(ww) }).to.deep.equal({ code: ansible.code, recap: fromAnsible(ansible) });
    });
  }
});
