import { expect } from 'chai';
import { readSettings, mergePackages, forKey, compareAscii, ICU_ASCII_ORDER } from '../../src/venvbuild/settings.js';
import { shSplit } from '../../src/shell/split.js';
import { wheelBuildMode, noBuildGuard } from '../../src/venvbuild/modules.js';
import { wheelBuildSpec, noBuildSpec } from '../../src/venvbuild/target.js';
import { buildKey } from '../../src/wheels/build.js';
import { runVenvScript, specHash } from '../../src/venv/ensure.js';
import { LocalConnection } from '../../src/connection/local.js';
import { getModule } from '../../src/modules/registry.js';
import '../../src/modules/index.js';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { createVarScope } from '../../src/template/lazy.js';
import { targetsCompile, type KeyBuild } from '../../src/venvbuild/builds.js';

const defaults = parse(readFileSync(new URL('../../roles/python_venv_build/defaults/main.yml', import.meta.url), 'utf8'));
const settingsWith = (vars: Record<string, unknown>) => readSettings(createVarScope([defaults, { venv_install_destination_path: '/openstack/venvs/nova', ...vars }]));

describe('python_venv_build: settings, planning and target specs', () => {
  it('reads the role defaults into typed settings', () => {
    const s = settingsWith({});
    expect(s.python).to.equal('python3');
    expect(s.buildRequirements).to.deep.equal(['setuptools', 'wheel']);
    expect(s.pipBuildArgs).to.deep.equal(['--no-build-isolation']);
    expect(s.builderVenvPath).to.equal('/openstack/venvs/wheel-builder-python3');
    expect(forKey(s.wheelPath, 'debian-12-x86_64')).to.equal('/var/www/repo/os-releases/master/debian-12-x86_64/wheels');
    expect(s.wheelBuildEnable).to.equal('auto');
    expect(s.generationsKeep).to.equal(2);
  });

  it('merges pip packages: deduplicated case-insensitively, sorted, empty entries dropped', () => {
    const s = settingsWith({ venv_default_pip_packages: ['PyMySQL', '', 'nova'], venv_pip_packages: ['pymysql', 'Babel', ' '] });
    expect(s.pipPackages).to.deep.equal(['Babel', 'nova', 'PyMySQL']);
    expect(mergePackages(['b', 'A'], ['a', 'c'])).to.deep.equal(['A', 'b', 'c']);
  });

  it("sorts as localeCompare (ICU's root collation) does, without loading ICU for ASCII names", () => {
    const ascii = [...Array(95)].map((_, i) => String.fromCharCode(32 + i)).filter((c) => c === c.toLowerCase());
    expect([...ascii].sort((a, b) => a.localeCompare(b)).join('')).to.equal(ICU_ASCII_ORDER);
    // strings over the alphabet, a deterministic sample, punctuation and prefixes included
    let seed = 12345;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    const alphabet = ICU_ASCII_ORDER + 'aaaeeoo--==..';
    const words = [...Array(400)].map(() => [...Array(1 + rnd(12))].map(() => alphabet[rnd(alphabet.length)]).join(''));
    words.push('ww-alpha', 'ww_alpha', 'wwalpha', 'ww-alpha==1.0', 'ww-alpha1', 'ww-alpha~=1', 'git+file:///x@v1#egg=y', 'a', 'a-', 'a_');
    for (const a of words) for (const b of words.slice(0, 60)) expect(compareAscii(a, b), `${a} vs ${b}`).to.equal(Math.sign(a.localeCompare(b)));
    const pkgs = ['Ww-Beta', 'ww_alpha', 'WW-alpha==2', 'git+https://x/y.git@v1#egg=z', 'pkg[extra]>=1', 'zz~=1.0', 'a.b'];
    expect(mergePackages(pkgs)).to.deep.equal([...pkgs].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
    // other characters: ICU itself
    const other = ['Éclair', 'eclair', 'ecla', 'ézé'];
    expect(mergePackages(other)).to.deep.equal([...other].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
  });

  it('wrong types name the variable and the expected type', () => {
    expect(() => settingsWith({ venv_pip_packages: { a: 1 } })).to.throw("variable 'venv_pip_packages' must be a list of strings, got a mapping");
    expect(() => settingsWith({ venv_rebuild: 'maybe' })).to.throw('variable \'venv_rebuild\' must be a boolean, got string "maybe"');
    expect(() => settingsWith({ venv_pip_package_state: 'newest' })).to.throw("variable 'venv_pip_package_state' must be one of present, latest, absent, forcereinstall");
    expect(() => settingsWith({ venv_install_destination_path: 'relative/path' })).to.throw("'venv_install_destination_path' must be an absolute path");
    expect(() => settingsWith({ venv_facts_when_changed: [{ section: 'a' }] })).to.throw("'venv_facts_when_changed' must be a list of {section, option, value}");
    expect(() => settingsWith({ venv_install_tool: 'uv' })).to.throw("only 'pip' is supported");
  });

  it('splits argument strings like a shell', () => {
    expect(shSplit(`--find-links /a --index-url "http://x/y z" '--pre'`)).to.deep.equal(['--find-links', '/a', '--index-url', 'http://x/y z', '--pre']);
  });

  it('chooses wheel-build mode from the build group, and guards no-build mode', () => {
    expect(wheelBuildMode(settingsWith({}), { repo_all: ['r1'] })).to.equal(true);
    expect(wheelBuildMode(settingsWith({}), { repo_all: [] })).to.equal(false);
    expect(wheelBuildMode(settingsWith({ venv_wheel_build_enable: false }), { repo_all: ['r1'] })).to.equal(false);
    expect(() => noBuildGuard(settingsWith({}), 2)).not.to.throw();
    expect(() => noBuildGuard(settingsWith({}), 3)).to.throw('no-build mode with 3 hosts in this batch');
    expect(() => noBuildGuard(settingsWith({ venv_wheel_build_skip_check: true }), 30)).not.to.throw();
  });

  it('target specs: bare names pinned by the build, repo wheels only, trusted plain-http host', () => {
    const s = settingsWith({
      venv_pip_packages: ['git+https://opendev.org/openstack/nova@stable#egg=nova', 'oslo.db @ https://x/oslo.db.tar.gz', 'PyMySQL'],
      openstack_repo_url: 'http://10.0.0.5:8181',
    });
    const build = { key: 'debian-12-x86_64', host: 'repo1', ranHere: true, result: { constraints: ['nova==31.0.0.dev1', 'PyMySQL==1.1'], wheels: [{ file: 'nova-31.whl', name: 'nova', version: '31', sha256: 'ab' }] } } as unknown as KeyBuild;
    const spec = wheelBuildSpec(s, build);
    expect(spec.requirements).to.deep.equal(['nova', 'oslo.db', 'PyMySQL']);
    expect(spec.constraints).to.deep.equal(['nova==31.0.0.dev1', 'PyMySQL==1.1']);
    expect(spec.findLinks).to.deep.equal(['http://10.0.0.5:8181/os-releases/master/debian-12-x86_64/wheels/']);
    expect(spec.trustedHosts).to.deep.equal(['10.0.0.5:8181']);
    expect(spec.noIndex && spec.pre && spec.isolated).to.equal(true);
    expect(spec.layout).to.equal('generations');
    expect((spec.extraMarker as { wheels: string[] }).wheels).to.deep.equal(['nova-31.whl:ab']);
    const push = wheelBuildSpec(settingsWith({ venv_wheel_transport: 'push' }), build);
    expect(push.findLinks).to.deep.equal(['/var/cache/wheelwright/wheelhouse/debian-12-x86_64']);
    expect(push.trustedHosts).to.deep.equal([]);
    // byte-code compiled on the build host goes along, outside the hash (the same venv either way)
    expect(spec.pinned!.pycs).to.deep.equal([]);
    const pycs = [{ wheel: 'ab', file: 'pyc/nova-31.whl.ab.cpython-311.zip', sha256: 'cd', size: 9 }];
    const withPycs = wheelBuildSpec(s, { ...build, result: { ...build.result, pycs } } as KeyBuild);
    expect(withPycs.pinned!.pycs).to.deep.equal(pycs);
    expect(specHash(withPycs)).to.equal(specHash(spec));
    const nb = noBuildSpec(settingsWith({ venv_pip_packages: ['git+https://x/y@z#egg=y'], venv_build_constraints: ['--constraint http://u/c.txt'] }));
    expect(nb.requirements).to.deep.equal(['git+https://x/y@z#egg=y']);
    expect(nb.constraints).to.deep.equal(['--constraint http://u/c.txt']);
  });

  it('the build makes byte-code for the targets only when they compile it through the installer', () => {
    expect(targetsCompile([])).to.equal(true);
    expect(targetsCompile(['--compile'])).to.equal(true);
    expect(targetsCompile(['--no-compile'])).to.equal(false);
    expect(targetsCompile(['--no-compile', '--compile'])).to.equal(true);
    expect(targetsCompile(['--compile', '--no-compile'])).to.equal(false);
    expect(targetsCompile(['--retries', '3'])).to.equal(false); // pip installs the files then
  });

  it('the target computes the same build key remotely as the build side does from facts', async () => {
    const conn = new LocalConnection();
    const facts = await getModule('setup')!.run({}, { host: 'localhost', conn, facts: {}, check: false, diff: false, env: {}, vars: {} } as never);
    const res = await runVenvScript<{ need: string; key: string }>(conn, '/usr/bin/python3', { action: 'role_target', candidates: {} });
    expect(res.need).to.equal('key');
    expect(res.key).to.equal(buildKey(facts.ansible_facts as never));
    expect(res.key).to.match(/^debian-\d+-x86_64$|^[a-z_]+-[\d.]+-[a-z0-9_]+$/);
  });
});

describe('python_venv_build: a target whose key has no build host', () => {
  it('fails naming its key and the known build hosts', async () => {
    const { ensureTarget } = await import('../../src/venvbuild/target.js');
    const s = settingsWith({ venv_pip_packages: ['a'] });
    const build = { key: 'ubuntu-24.04-x86_64', host: 'repo1', ranHere: true, result: { constraints: ['a==1'], wheels: [] } } as unknown as KeyBuild;
    const ctx = { host: 'web1', conn: new LocalConnection('web1'), check: false, become: undefined } as never;
    let err: Error | undefined;
    try {
      await ensureTarget(ctx, s, { builds: new Map([[build.key, build]]), distroPackages: [], buildHostsText: 'repo1 (ubuntu-24.04-x86_64)' });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/^web1 is debian-\d+-x86_64, but no build host of group 'repo_all' has that key \(build hosts: repo1 \(ubuntu-24\.04-x86_64\)\)$/);
  });
});

describe('python_venv_build: the build index', () => {
  it('takes --index-url out of venv_pip_build_args, so the build does not run offline', async () => {
    const { splitIndexUrl } = await import('../../src/venvbuild/builds.js');
    expect(splitIndexUrl(['--no-build-isolation', '--index-url', 'https://m/simple', '--find-links', '/w'])).to.deep.equal({
      indexUrl: 'https://m/simple',
      rest: ['--no-build-isolation', '--find-links', '/w'],
    });
    expect(splitIndexUrl(['--index-url=https://x/simple']).indexUrl).to.equal('https://x/simple');
    expect(splitIndexUrl(['-i', 'https://y/simple']).indexUrl).to.equal('https://y/simple');
    expect(splitIndexUrl(['--no-build-isolation'])).to.deep.equal({ indexUrl: undefined, rest: ['--no-build-isolation'] });
  });
});
