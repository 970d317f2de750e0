import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, ROOT } from '../helpers/cli.js';
import { terminalTakesColor } from '../../src/output/index.js';
import { resultBlocks } from '../helpers/output-blocks.js';
import { tempDir } from '../helpers/tmp.js';

const FIX = join(ROOT, 'test/fixtures/live');

/** Wait for a condition the test controls (a file, a pane's text); the limit only bounds a broken run. */
async function until<T>(what: string, probe: () => T | undefined, limitMs = 60_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() - t0 > limitMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** wheelwright in a real terminal: a tmux pane on a private server, its raw output bytes logged. */
class Pane {
  readonly socket = `ww-live-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  constructor(private readonly dir: string) {}
  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  }
  start(env: string): void {
    const go = join(this.dir, 'go');
    const cmd =
      `while [ ! -e ${go} ]; do sleep 0.05; done; env -u NO_COLOR ${env} ${process.execPath} ${join(ROOT, 'bin/wheelwright.js')} ` +
      `${join(FIX, 'site.yml')} -i ${join(FIX, 'hosts.ini')} -e out=${this.dir} --retry-file none; echo WW-EXIT=$?; sleep 600`;
    this.tmux('new-session', '-d', '-x', '100', '-y', '30', '-s', 'live', cmd);
    this.tmux('pipe-pane', '-o', '-t', 'live', `cat >> ${join(this.dir, 'raw')}`);
    writeFileSync(go, '');
  }
  screen(): string {
    return this.tmux('capture-pane', '-p', '-t', 'live');
  }
  raw(): string {
    return existsSync(join(this.dir, 'raw')) ? readFileSync(join(this.dir, 'raw'), 'latin1') : '';
  }
  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      /* already gone */
    }
  }
}

describe('live terminal view (tmux) and plain output elsewhere', function () {
  this.timeout(120_000);
  let dir: string;
  let pane: Pane | undefined;
  before(() => ensureBuilt());
  beforeEach(() => {
    dir = tempDir('ww-live-');
  });
  afterEach(() => {
    pane?.kill();
    pane = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('on a TTY: a line per running host with task and elapsed time, the task\'s progress, results above; gone at the end', async () => {
    writeFileSync(join(dir, 'h2.gate'), ''); // h2 passes its gate, h1 waits for the test
    pane = new Pane(dir);
    pane.start('TERM=xterm-256color');
    const during = await until('the live line', () => {
      const s = pane!.screen();
      return /1\/2 hosts done/.test(s) ? s : undefined; // h2 has passed its gate
    });
    expect(during).to.match(/^ {2}h1 {2}wait at the gate {2}\d+s$/m);
    expect(during).to.match(/^ {2}\[wait at the gate\] 1\/2 hosts done, 1 running$/m);
    expect(during).to.match(/^changed: \[h2\]/m);
    expect(during).to.not.match(/^ {2}h2 /m);
    // the finished results are above the live lines
    expect(during.indexOf('changed: [h2]')).to.be.lessThan(during.indexOf('hosts done'));

    writeFileSync(join(dir, 'h1.gate'), '');
    const after = await until('the end of the run', () => {
      const s = pane!.screen();
      return /WW-EXIT=\d+/.test(s) ? s : undefined;
    });
    expect(after).to.include('WW-EXIT=0');
    expect(after).to.not.include('hosts done');
    expect(after).to.not.match(/^ {2}h1 {2}wait at the gate/m);
    expect(after).to.match(/TASK \[wait at the gate\][^\n]*\n(.*\n)*?changed: \[h1\]/);
    expect(after).to.match(/^h1 +: ok=2 +changed=2/m);
    // linear (the default): each task's header once, both hosts' results under it, in the live view too
    expect(resultBlocks(after).map((b) => ({ header: b.header, results: [...b.results].sort() }))).to.deep.equal([
      { header: 'TASK [first step]', results: ['changed h1', 'changed h2'] },
      { header: 'TASK [wait at the gate]', results: ['changed h1', 'changed h2'] },
    ]);
    expect(pane.raw()).to.include('\x1b['); // colours and in-place redraws on a terminal
  });

  for (const [name, env] of [['NO_COLOR', 'NO_COLOR=1 TERM=xterm-256color'], ['TERM=dumb', 'TERM=dumb']] as const) {
    it(`on a TTY with ${name}: plain lines only, no control codes, no live lines`, async () => {
      writeFileSync(join(dir, 'h2.gate'), '');
      pane = new Pane(dir);
      pane.start(env);
      await until('h2 done', () => (/changed: \[h2\]/.test(pane!.screen()) ? true : undefined));
      writeFileSync(join(dir, 'h1.gate'), '');
      await until('the end of the run', () => (/WW-EXIT=0/.test(pane!.screen()) ? true : undefined));
      const raw = pane.raw();
      expect(raw).to.include('PLAY RECAP');
      expect(raw).to.not.match(/[\x1b\x07\x08]/);
      expect(raw).to.not.include('hosts done');
    });
  }

  it('on a pipe (CI): plain lines, no control codes, even without NO_COLOR', async () => {
    writeFileSync(join(dir, 'h1.gate'), '');
    writeFileSync(join(dir, 'h2.gate'), '');
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
    delete env.NO_COLOR;
    const out = await new Promise<string>((res, rej) => {
      const c = spawn(process.execPath, [join(ROOT, 'bin/wheelwright.js'), join(FIX, 'site.yml'), '-i', join(FIX, 'hosts.ini'), '-e', `out=${dir}`, '--retry-file', 'none'], { env });
      let s = '';
      c.stdout.on('data', (d) => (s += d));
      c.on('error', rej);
      c.on('close', (code) => (code === 0 ? res(s) : rej(new Error(`exit ${code}: ${s}`))));
    });
    expect(out).to.include('PLAY RECAP').and.not.match(/[\x1b\x07\x08]/);
  });

  it('terminalTakesColor: a TTY without NO_COLOR and not TERM=dumb', () => {
    expect(terminalTakesColor({ isTTY: true }, { TERM: 'xterm' })).to.equal(true);
    expect(terminalTakesColor({ isTTY: true }, { TERM: 'xterm', NO_COLOR: '' })).to.equal(false);
    expect(terminalTakesColor({ isTTY: true }, { TERM: 'dumb' })).to.equal(false);
    expect(terminalTakesColor({ isTTY: false }, { TERM: 'xterm' })).to.equal(false);
  });
});
