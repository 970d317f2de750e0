import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { progressLines } from '../../src/venvbuild/builds.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

// pip wheel's output, as a build host logs it
const PIP = [
  'Collecting ww-alpha==1.0',
  '  Downloading ww_alpha-1.0.tar.gz (1.2 kB)',
  'Collecting ww-beta==1.0',
  'Collecting ww-ready==2.0',
  'Saved ./build/ww_ready-2.0-py3-none-any.whl',
  'Building wheels for collected packages: ww-alpha, ww-beta',
  '  Building wheel for ww-alpha (setup.py): started',
  'Created wheel for ww-alpha: filename=ww_alpha-1.0-py3-none-any.whl size=1000',
  'Created wheel for ww-beta: filename=ww_beta-1.0-py3-none-any.whl size=1000',
  'Successfully built ww-alpha ww-beta',
];

describe('wheel build phases (building N/M wheels)', () => {
  it('build_wheels.py streams pip\'s output into the log and reports the phases on stderr', () => {
    const dir = tempDir('ww-progress-');
    try {
      const log = join(dir, 'build.log');
      const py = [
        'import sys',
        `sys.path.insert(0, ${JSON.stringify(join(ROOT, 'src/wheels'))})`,
        'import build_wheels as b',
        `log = b.proc.Log(${JSON.stringify(log)}, fresh=True)`,
        `code, out = b.run_logged(["printf", "%s\\\\n", *${JSON.stringify(PIP)}], log, title="pip wheel", on_line=b.PipWheelProgress())`,
        'print(code)',
      ].join('\n');
      const r = spawnSync('python3', ['-c', py], { encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout.trim()).to.equal('0');
      expect(r.stderr.split('\n').filter(Boolean)).to.deep.equal([
        'WW-PROGRESS resolving: 1 requirements',
        'WW-PROGRESS resolving: 2 requirements',
        'WW-PROGRESS resolving: 3 requirements',
        'WW-PROGRESS building 0/2 wheels',
        'WW-PROGRESS building 1/2 wheels',
        'WW-PROGRESS building 2/2 wheels',
      ]);
      expect(readFileSync(log, 'utf8')).to.include(PIP.join('\n'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the controller takes whole WW-PROGRESS lines from stderr, however the chunks are cut', () => {
    const seen: string[] = [];
    const feed = progressLines((m) => seen.push(m));
    const text = 'noise\nWW-PROGRESS building 1/40 wheels\nWW-PRO' + 'GRESS building 2/40 wheels\nother\n';
    for (let i = 0; i < text.length; i += 7) feed(Buffer.from(text.slice(i, i + 7)));
    expect(seen).to.deep.equal(['building 1/40 wheels', 'building 2/40 wheels']);
  });
});
