/**
 * deb822_repository in the lab (lab4). No oracle: the Debian ansible-core 2.14 the tests run has no
 * deb822_repository (2.15+), so the expected files are written from ansible-core's source
 * (lib/ansible/modules/deb822_repository.py): fields sorted by argument name, Deb822's layout, a
 * key URL fetched into /etc/apt/keyrings/SLUG.asc (0644). --check writes nothing and predicts
 * changed; a second run changes nothing; absent removes the file and the key.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { skipWithoutLab, useLab, type Lab } from './_lab-fixture.js';
import { labHostExec } from '../../src/lab/index.js';
import { wheelwrightPass, type PassResult } from '../helpers/oracle.js';
import { CLEAN3, PORT3, WEB3_START, WEB3_STOP } from '../fixtures/modules-oracle/cases-3.js';

const HOST = 'lab4';
const KEY = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZwwmodFgkrBgEEAdpHDwEBB0AwwmodTESTKEYwwmod\n=abcd\n-----END PGP PUBLIC KEY BLOCK-----\n';
const STATE = `cd /etc/apt; for f in sources.list.d/wwmod3* keyrings/wwmod3*; do [ -e "$f" ] && { echo "== $f $(stat -c %a "$f")"; cat "$f"; }; done; true`;

describe('modules: deb822_repository (lab, files from Ansible source)', function () {
  let lab: Lab;
  let dir: string;
  const passes: Record<string, PassResult> = {};
  const states: Record<string, string> = {};
  const tasks = [
    { name: 'full', deb822_repository: { name: 'wwmod3 Full_Repo!', types: ['deb', 'deb-src'], uris: 'http://wwmod3.example.invalid/debian', suites: ['bookworm', 'bookworm-updates'], components: ['main', 'contrib'], architectures: ['amd64'], enabled: true, trusted: false, date_max_future: 10, signed_by: `http://10.231.0.11:${PORT3}/key.asc` } },
    { name: 'inline key', deb822_repository: { name: 'wwmod3-inline', uris: ['http://wwmod3.example.invalid/x'], suites: ['stable/'], signed_by: KEY, mode: '0600' } },
    { name: 'gone', deb822_repository: { name: 'wwmod3-gone', state: 'absent' } },
  ];
  const state = async () => (await labHostExec(HOST, STATE)).stdout;

  before(async function () {
    skipWithoutLab(this);
    this.timeout(600_000);
    lab = await useLab(6);
    dir = mkdtempSync(join(tmpdir(), 'ww-deb822-'));
    const web = await labHostExec('lab1', WEB3_START('-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nserved\n-----END PGP PUBLIC KEY BLOCK-----\n'));
    if (web.code !== 0) throw new Error(web.stderr);
    const seed = await labHostExec(HOST, `${CLEAN3}\ncp -a /etc/apt /var/tmp/wwmod3-apt-backup\nmkdir -p /etc/apt/keyrings\nprintf 'x\\n' > /etc/apt/sources.list.d/wwmod3-gone.sources\nprintf 'k\\n' > /etc/apt/keyrings/wwmod3-gone.asc`);
    if (seed.code !== 0) throw new Error(seed.stderr);
    const playbook = join(dir, 'site.yml');
    writeFileSync(playbook, stringify([{ hosts: 'all', gather_facts: false, tasks }]));
    states.seed = await state();
    for (const pass of ['check', 'run', 'again'] as const) {
      passes[pass] = await wheelwrightPass(lab, playbook, HOST, pass === 'check' ? ['--check'] : []);
      states[pass] = await state();
    }
  });

  after(async function () {
    if (!lab) return;
    this.timeout(60_000);
    await labHostExec('lab1', WEB3_STOP);
    await labHostExec(HOST, CLEAN3);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('--check writes nothing and predicts changed', function () {
    expect(states.check).to.equal(states.seed);
    for (const t of tasks) expect(passes.check!.get(t.name)!.changed, t.name).to.equal(true);
  });

  it('writes the files as Ansible composes them', function () {
    for (const t of tasks) expect(passes.run!.get(t.name)!.changed, t.name).to.equal(true);
    expect(states.run).to.equal(
      [
        '== sources.list.d/wwmod3-full-repo.sources 644',
        'Architectures: amd64',
        'Components: main contrib',
        'Date-Max-Future: 10',
        'Enabled: yes',
        'X-Repolib-Name: wwmod3 Full_Repo!',
        'Signed-By: /etc/apt/keyrings/wwmod3-full-repo.asc',
        'Suites: bookworm bookworm-updates',
        'Trusted: no',
        'Types: deb deb-src',
        'URIs: http://wwmod3.example.invalid/debian',
        '== sources.list.d/wwmod3-inline.sources 600',
        'X-Repolib-Name: wwmod3-inline',
        'Signed-By:',
        '    -----BEGIN PGP PUBLIC KEY BLOCK-----',
        '    .',
        '    mDMEZwwmodFgkrBgEEAdpHDwEBB0AwwmodTESTKEYwwmod',
        '    =abcd',
        '    -----END PGP PUBLIC KEY BLOCK-----',
        'Suites: stable/',
        'Types: deb',
        'URIs: http://wwmod3.example.invalid/x',
        '== keyrings/wwmod3-full-repo.asc 644',
        '-----BEGIN PGP PUBLIC KEY BLOCK-----',
        '',
        'served',
        '-----END PGP PUBLIC KEY BLOCK-----',
        '',
      ].join('\n'),
    );
    const full = passes.run!.get('full')!.result;
    expect(full.dest).to.equal('/etc/apt/sources.list.d/wwmod3-full-repo.sources');
    expect(full.key_filename).to.equal('/etc/apt/keyrings/wwmod3-full-repo.asc');
    expect(passes.run!.get('gone')!.result).to.include({ repo: null, dest: '/etc/apt/sources.list.d/wwmod3-gone.sources' });
  });

  it('a second run changes nothing', function () {
    expect(states.again).to.equal(states.run);
    for (const t of tasks) expect(passes.again!.get(t.name)!.changed, t.name).to.equal(false);
  });
});
