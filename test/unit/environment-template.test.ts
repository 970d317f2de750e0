/** `environment:` as a template or a list of mappings and templates (as OSA roles write it): same as ansible-playbook. */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadInventory } from '../../src/inventory/index.js';
import { loadPlaybook } from '../../src/playbook/index.js';
import { runPlaybook } from '../../src/runner/run.js';
import type { RunEvent } from '../../src/runner/events.js';
import '../../src/modules/index.js';
import { ansiblePlaybooks } from '../helpers/ansible.js';
import { tempDir } from '../helpers/tmp.js';

const PLAY = `- hosts: localhost
  gather_facts: false
  connection: local
  vars:
    proxy_env: {A: from-template, B: b1}
    extra: {C: c1}
  environment:
    B: from-play
  tasks:
    - name: template
      command: sh -c 'echo $A-$B-$C'
      environment: "{{ proxy_env }}"
    - name: list
      command: sh -c 'echo $A-$B-$C'
      environment:
        - "{{ proxy_env }}"
        - "{{ extra | combine({'A': 'combined'}) }}"
    - name: play only
      command: sh -c 'echo $A-$B-$C'
`;

describe('environment as a template or a list', function () {
  this.timeout(60_000);
  it('renders per host to the same environment as ansible-playbook', async () => {
    const dir = tempDir('ww-env-');
    writeFileSync(join(dir, 'site.yml'), PLAY);
    writeFileSync(join(dir, 'hosts'), 'localhost ansible_connection=local\n');
    const oracle = ansiblePlaybooks([{ id: 'e', argv: ['-i', 'hosts', 'site.yml'], cwd: dir }]);
    const events: RunEvent[] = [];
    await runPlaybook(
      {
        playbook: await loadPlaybook(join(dir, 'site.yml')),
        inventory: await loadInventory([join(dir, 'hosts')], { playbookDir: dir }),
        extraVars: {}, forks: 5, verbosity: 0, check: false, diff: false, tags: [], skipTags: [], hostKeyChecking: 'strict', connectTimeoutMs: 10_000, retryFile: false,
      },
      (e) => events.push(e),
    );
    const ours = Object.fromEntries(events.filter((e) => e.type === 'host_result').map((e) => [(e as { task: string }).task, (e as { result: { stdout?: string } }).result.stdout]));
    const theirs = Object.fromEntries((await oracle).e!.json!.plays[0]!.tasks.map((t) => [t.task.name, t.hosts.localhost!.stdout]));
    expect(ours).to.deep.equal(theirs);
  });
});
