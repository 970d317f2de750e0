/**
 * The SELinux file arguments (seuser, serole, setype, selevel): on a host without SELinux both tools
 * accept and ignore them (oracle on localhost); where SELinux is enabled wheelwright fails the task
 * instead of leaving a context unset.
 */
import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, ROOT } from '../helpers/cli.js';
import { ansiblePlaybooks } from '../helpers/ansible.js';
import { invokeModule } from '../../src/modules/invoke.js';
import { getModule } from '../../src/modules/registry.js';
import '../../src/modules/index.js';
import type { ModuleContext } from '../../src/modules/types.js';
import { tempDir } from '../helpers/tmp.js';

const DIR = join(ROOT, 'test/fixtures/selinux-args');

describe('SELinux file arguments', function () {
  this.timeout(120_000);

  it('are accepted and ignored where SELinux is disabled, as ansible-playbook does (twice: changed, then not)', async () => {
    const outs = { ansible: tempDir('ww-se-a-'), ww: tempDir('ww-se-w-') };
    try {
      // each tool's second run follows its first; the two tools run side by side (separate dirs)
      const ansible = (id: string) => ansiblePlaybooks([{ id, argv: ['-i', 'hosts', 'site.yml', '-e', `out=${outs.ansible}`], cwd: DIR }]).then((r) => r[id]!);
      const ww = () => runCli(['-i', 'hosts', 'site.yml', '-e', `out=${outs.ww}`, '--output', 'jsonl', '--retry-file', 'none'], { cwd: DIR });
      const [[theirs1, theirs2], [ours1, ours2]] = await Promise.all([
        ansible('a1').then(async (a1) => [a1, await ansible('a2')] as const),
        ww().then(async (w1) => [w1, await ww()] as const),
      ]);
      for (const r of [theirs1, theirs2]) expect(r.code, r.stderr + r.stdout).to.equal(0);
      for (const r of [ours1, ours2]) expect(r.code, r.stderr + r.stdout).to.equal(0);
      const theirChanged = (r: typeof theirs1) =>
        r.json!.plays[0]!.tasks.map((t) => `${t.task.name} ${!!t.hosts.localhost!.changed}`);
      const ourChanged = (r: typeof ours1) =>
        r.events.filter((e) => e.type === 'host_result').map((e) => `${e.task} ${!!e.result.changed}`);
      expect(ourChanged(ours1)).to.deep.equal(theirChanged(theirs1));
      expect(ourChanged(ours2)).to.deep.equal(theirChanged(theirs2));
      expect(theirChanged(theirs2).filter((l) => l.endsWith('true'))).to.deep.equal([]);
      const text = (s: string, out: string) => s.split(out).join('OUT');
      const ourOut = ours1.events.find((e) => e.type === 'host_result' && e.task === 'result')!.result.stdout as string;
      const theirOut = theirs1.json!.plays[0]!.tasks.find((t) => t.task.name === 'result')!.hosts.localhost!.stdout as string;
      expect(text(ourOut, outs.ww)).to.equal(text(theirOut, outs.ansible));
    } finally {
      for (const d of Object.values(outs)) rmSync(d, { recursive: true, force: true });
    }
  });

  it('fail the task, before the module runs, where SELinux is enabled', async () => {
    const commands: string[] = [];
    // a connection to a host whose selinuxfs is mounted: the only command expected is the check
    const conn = { exec: async (cmd: string) => (commands.push(cmd), { code: 0, stdout: '', stderr: '' }) };
    const ctx = { host: 'h1', conn, check: false, diff: false } as unknown as ModuleContext;
    const r = await invokeModule(getModule('file')!, { path: '/tmp/x', state: 'directory', setype: 'etc_t' }, ctx);
    expect(r.failed).to.equal(true);
    expect(r.msg).to.equal('setype: SELinux is enabled on h1 and wheelwright does not set SELinux contexts');
    expect(commands).to.deep.equal(['test -f /sys/fs/selinux/enforce']);
  });
});
