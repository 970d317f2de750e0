/**
 * vars_prompt, non-interactive: a value given with -e is used without asking (as ansible-playbook
 * does, checked); else the entry's default; else a clear error before any host is contacted
 * (wheelwright never prompts).
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadInventory } from '../../src/inventory/index.js';
import { loadPlaybook } from '../../src/playbook/index.js';
import { runPlaybook, type RunSummary } from '../../src/runner/run.js';
import type { RunEvent } from '../../src/runner/events.js';
import '../../src/modules/index.js';
import { ansiblePlaybooks } from '../helpers/ansible.js';
import { tempDir } from '../helpers/tmp.js';

const PLAY = `- hosts: localhost
  gather_facts: false
  connection: local
  vars_prompt:
    - name: release
      prompt: Which release?
    - name: region
      prompt: Region
      default: eu-west
      private: false
  tasks:
    - name: show
      debug: {msg: "{{ release }} {{ region }}"}
`;

async function run(dir: string, extraVars: Record<string, unknown>): Promise<{ summary?: RunSummary; events: RunEvent[]; error?: Error }> {
  const events: RunEvent[] = [];
  try {
    const summary = await runPlaybook(
      {
        playbook: await loadPlaybook(join(dir, 'site.yml')),
        inventory: await loadInventory([join(dir, 'hosts')], { playbookDir: dir }),
        extraVars, forks: 5, verbosity: 0, check: false, diff: false, tags: [], skipTags: [], hostKeyChecking: 'strict', connectTimeoutMs: 10_000, retryFile: false,
      },
      (e) => events.push(e),
    );
    return { summary, events };
  } catch (e) {
    return { events, error: e as Error };
  }
}

describe('vars_prompt without prompting', function () {
  this.timeout(60_000);
  const dir = tempDir('ww-prompt-');
  writeFileSync(join(dir, 'site.yml'), PLAY);
  writeFileSync(join(dir, 'hosts'), 'localhost ansible_connection=local\n');

  it('values from -e are used without asking, as ansible-playbook does', async () => {
    const oracle = ansiblePlaybooks([{ id: 'p', argv: ['-i', 'hosts', 'site.yml', '-e', 'release=zed', '-e', 'region=us'], cwd: dir }]);
    const ours = await run(dir, { release: 'zed', region: 'us' });
    const theirs = (await oracle).p!;
    expect(theirs.code).to.equal(0);
    const msg = (ours.events.find((e) => e.type === 'host_result') as { result: { msg: string } }).result.msg;
    expect(msg).to.equal(theirs.json!.plays[0]!.tasks[0]!.hosts.localhost!.msg);
  });

  it("a missing one with a default takes it; one without is an error naming it, before any host is contacted", async () => {
    const ok = await run(dir, { release: 'zed' });
    expect((ok.events.find((e) => e.type === 'host_result') as { result: { msg: string } }).result.msg).to.equal('zed eu-west');
    const bad = await run(dir, {});
    expect(bad.error?.message).to.match(/site\.yml:1:3: play 'localhost' asks for 'release' \(vars_prompt\): wheelwright does not prompt; pass -e release=\.\.\./);
    expect(bad.events).to.deep.equal([]);
  });
});
