/**
 * Issue 10 point 1: finished results print under their task's header. Under `linear` (the default)
 * every host's result for a task comes under that task's one header; under `free` a result that
 * comes after another task's header gets its own header again. Both as ansible-playbook's default
 * callback prints them: the two tools run the same playbooks (localhost, connection local, no lab)
 * and the headers with the results under each are compared.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli } from '../helpers/cli.js';
import { resultBlocks, type Block } from '../helpers/output-blocks.js';
import { tempDir } from '../helpers/tmp.js';

const FIX = join(ROOT, 'test/fixtures/grouping');

/** Results under a header in a canonical order (hosts finish a task in any order). */
const canonical = (blocks: Block[]) => blocks.map((b) => ({ header: b.header, results: [...b.results].sort() }));

function ansible(args: string[]): Promise<string> {
  return new Promise((res) => {
    execFile('ansible-playbook', args, { cwd: FIX, env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: 'False', ANSIBLE_STDOUT_CALLBACK: 'default' } }, (_e, stdout) => res(stdout));
  });
}

describe('results grouped under their task header (linear) and re-headed under free, as ansible-playbook', function () {
  this.timeout(120_000);
  let dirs: string[] = [];
  const tmp = () => {
    const d = tempDir('ww-group-');
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('linear (4 hosts, loop items, ignored failure, handler) and free (2 hosts, one held back) print the same blocks as Ansible', async () => {
    // one run of each tool over both playbooks (one process each: Ansible's start-up is the cost)
    const [aBoth, wBoth] = await Promise.all([
      ansible(['-i', 'hosts.ini', 'linear.yml', 'free.yml', '-e', `out=${tmp()}`]),
      runCli(['-i', 'hosts.ini', 'linear.yml', 'free.yml', '-e', `out=${tmp()}`, '--retry-file', 'none'], { cwd: FIX }),
    ]);
    const split = (text: string) => [text.slice(0, text.indexOf('PLAY [Free]')), text.slice(text.indexOf('PLAY [Free]'))] as const;
    const [a, aFree] = split(aBoth);
    const w = { ...wBoth, stdout: split(wBoth.stdout)[0] };
    const wFree = { ...wBoth, stdout: split(wBoth.stdout)[1] };
    expect(aFree, aBoth).to.include('PLAY [Free]');
    expect(w.code, w.stdout + w.stderr).to.equal(0);
    // the banner of a task named with a variable is rendered for one host of the batch (Ansible: the first in order)
    const untemplated = (bs: Block[]) => bs.map((b) => ({ ...b, header: b.header.replace(/third h\d/, 'third h?') }));
    const linear = canonical(untemplated(resultBlocks(w.stdout)));
    expect(linear).to.deep.equal(canonical(untemplated(resultBlocks(a))));
    // each header once, every host's result under it
    expect(linear.map((b) => b.header)).to.deep.equal(['TASK [first]', 'TASK [second]', 'TASK [third h?]', 'TASK [fourth]', 'RUNNING HANDLER [again]']);
    expect(linear[0]!.results).to.deep.equal(['changed h1', 'changed h2', 'changed h3', 'changed h4']);
    expect(linear[3]!.results).to.deep.equal(['fatal h4', 'skipping h1', 'skipping h2', 'skipping h3']);
    expect(w.stdout).to.match(/^fatal: \[h4\]: FAILED! .*\n(.*\n)?\.\.\.ignoring$/m);

    expect(wFree.code, wFree.stdout + wFree.stderr).to.equal(0);
    // h2 ran its tasks while h1 was held in the first: h1's results come under headers printed again
    // (h2's last result, `fourth`, races h1's first in both tools: compare up to h1's first result without it)
    const free = resultBlocks(wFree.stdout);
    const held = (all: Block[]) => all.filter((b) => b.header !== 'TASK [fourth]' || b.results.includes('changed h1')).slice(0, all.filter((b) => b.header !== 'TASK [fourth]' || b.results.includes('changed h1')).findIndex((b) => b.results.includes('changed h1')) + 1).map((b) => `${b.header}: ${b.results.join(',')}`);
    expect(held(free)).to.deep.equal(held(resultBlocks(aFree)));
    expect(held(free)).to.deep.equal(['TASK [first]: changed h2', 'TASK [second]: changed h2', 'TASK [third]: changed h2', 'TASK [first]: changed h1']);
    for (const bs of [free, resultBlocks(aFree)]) {
      // every result sits under its own task's header
      expect(bs.flatMap((b) => b.results.map((r) => `${b.header} ${r}`)).sort()).to.deep.equal(
        ['first', 'second', 'third', 'fourth'].flatMap((t) => [`TASK [${t}] changed h1`, `TASK [${t}] changed h2`]).sort(),
      );
    }
  });
});
