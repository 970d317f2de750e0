import { shSplit } from '../../src/shell/split.js';
import { expect } from 'chai';
import {
  buildKey,
  buildScript,
  fileWithHeader,
  normaliseConstraints,
  normaliseRequirements,
  parseWheelFilename,
  pep503,
  rewriteForTargets,
  scriptSpec,
} from '../../src/wheels/build.js';

describe('wheels: pure helpers', () => {
  describe('normaliseRequirements', () => {
    it('merges, trims, drops empty entries, dedupes and sorts case-insensitively', () => {
      expect(normaliseRequirements(['b', '', '  A ', 'c'], ['a', 'B', 'b', null as unknown as string, '   '])).to.deep.equal(['A', 'a', 'B', 'b', 'c']);
    });
    it('sorts like Python sorted(key=str.lower), independent of locale', () => {
      expect(normaliseRequirements(['Zed', 'alpha', 'Beta', 'ww-gamma', 'ww_alpha'])).to.deep.equal(['alpha', 'Beta', 'ww-gamma', 'ww_alpha', 'Zed']);
    });
    it('keeps specifiers and markers intact, one entry per line of a multi-line entry', () => {
      expect(normaliseRequirements(['foo>=1.0 ; python_version < "3.12"', 'x\ny\n'])).to.deep.equal(['foo>=1.0 ; python_version < "3.12"', 'x', 'y']);
    });
    it('accepts missing lists', () => {
      expect(normaliseRequirements(undefined, null, [])).to.deep.equal([]);
    });
  });

  describe('normaliseConstraints', () => {
    it('keeps order (global first), drops empties and duplicates', () => {
      expect(normaliseConstraints(['b==1', '', 'a==2'], ['--constraint http://x/u.txt', 'b==1'])).to.deep.equal(['b==1', 'a==2', '--constraint http://x/u.txt']);
    });
  });

  describe('rewriteForTargets', () => {
    it('turns git+URL@ref#egg=name into the bare name', () => {
      expect(rewriteForTargets(['git+https://opendev.org/openstack/nova@27.1.0#egg=nova'])).to.deep.equal(['nova']);
      expect(rewriteForTargets(['git+file:///srv/git/ww-gitpkg@v1.0#egg=ww-gitpkg&subdirectory=pkg'])).to.deep.equal(['ww-gitpkg']);
      expect(rewriteForTargets(['-e git+https://x/y.git@main#egg=y[extra]'])).to.deep.equal(['y[extra]']);
    });
    it('turns name @ URL into the name, keeping extras and markers', () => {
      expect(rewriteForTargets(['foo @ https://x/foo-1.0.tar.gz', 'bar[baz] @ git+https://x/bar@v1 ; python_version >= "3.8"'])).to.deep.equal([
        'bar[baz]; python_version >= "3.8"',
        'foo',
      ]);
    });
    it('leaves names and specifiers alone and normalises the list', () => {
      expect(rewriteForTargets(['b>=1', '', 'A', 'git+https://x/a.git#egg=a', 'b>=1'])).to.deep.equal(['A', 'a', 'b>=1']);
    });
    it('keeps a URL it cannot name', () => {
      expect(rewriteForTargets(['https://x/pkg.tar.gz'])).to.deep.equal(['https://x/pkg.tar.gz']);
    });
  });

  describe('buildKey', () => {
    it('uses the major version except for Ubuntu (X.Y)', () => {
      expect(buildKey({ distribution: 'Debian', distribution_version: '12.5', distribution_major_version: '12', architecture: 'x86_64' })).to.equal(
        'debian-12-x86_64',
      );
      expect(buildKey({ distribution: 'Ubuntu', distribution_version: '24.04', distribution_major_version: '24', architecture: 'x86_64' })).to.equal(
        'ubuntu-24.04-x86_64',
      );
      expect(buildKey({ ansible_distribution: 'Ubuntu', ansible_distribution_version: '22.04.3', ansible_architecture: 'aarch64' })).to.equal(
        'ubuntu-22.04-aarch64',
      );
      expect(buildKey({ distribution: 'Rocky', distribution_version: '9.3', architecture: 'x86_64' })).to.equal('rocky-9-x86_64');
    });
    it('lowercases and turns spaces into underscores', () => {
      expect(buildKey({ distribution: 'CentOS Stream', distribution_major_version: '9', architecture: 'X86_64' })).to.equal('centos_stream-9-x86_64');
    });
    it('refuses incomplete facts', () => {
      expect(() => buildKey({ distribution: 'Debian' })).to.throw(/build key/);
    });
  });

  describe('fileWithHeader', () => {
    it('writes ONE header line then one entry per line, newline-terminated', () => {
      expect(fileWithHeader('# reqs', ['a', '', 'b'])).to.equal('# reqs\na\nb\n');
    });
    it('never glues the header to the first entry, and comments a bare header', () => {
      const f = fileWithHeader('constraints for\nnova', ['x==1']);
      expect(f).to.equal('# constraints for nova\nx==1\n');
      expect(f.split('\n')[1]).to.equal('x==1');
    });
    it('an empty list still gives a non-empty, valid file', () => {
      expect(fileWithHeader('# none', [])).to.equal('# none\n');
    });
  });

  describe('parseWheelFilename', () => {
    it('parses name, version, tags, optional build tag', () => {
      expect(parseWheelFilename('/w/ww_alpha-1.0-py3-none-any.whl')).to.deep.equal({
        name: 'ww_alpha',
        normalisedName: 'ww-alpha',
        version: '1.0',
        pythonTag: 'py3',
        abiTag: 'none',
        platformTag: 'any',
      });
      const w = parseWheelFilename('PyYAML-6.0.1-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl');
      expect(w).to.include({ name: 'PyYAML', normalisedName: 'pyyaml', version: '6.0.1', build: '1', abiTag: 'cp311' });
      expect(parseWheelFilename('ww_gitpkg-1.0.dev20240101-py3-none-any.whl')?.version).to.equal('1.0.dev20240101');
    });
    it('rejects what is not a wheel name', () => {
      expect(parseWheelFilename('foo-1.0.tar.gz')).to.equal(null);
      expect(parseWheelFilename('foo-py3-none-any.whl')).to.equal(null);
    });
    it('pep503 normalises', () => {
      expect(pep503('Foo.Bar__baz-Qux')).to.equal('foo-bar-baz-qux');
    });
  });

  describe('shSplit (argument strings)', () => {
    it('splits like a shell, honouring quotes', () => {
      expect(shSplit(`--no-build-isolation  --config-settings 'a=b c' "--x=\\"y\\"" ''`)).to.deep.equal([
        '--no-build-isolation',
        '--config-settings',
        'a=b c',
        '--x="y"',
        '',
      ]);
      expect(shSplit('')).to.deep.equal([]);
      expect(() => shSplit("'open")).to.throw(/unterminated/);
    });
  });

  describe('scriptSpec', () => {
    it('applies the role defaults and writes files with one header line', () => {
      const s = scriptSpec({ venvPath: '/openstack/venvs/nova-29.0.0', key: 'debian-12-x86_64', requirements: ['b', 'a', ''], pipBuildArgs: '--retries 1' });
      expect(s.venvBasename).to.equal('nova-29.0.0');
      expect(s.requirementsDir).to.equal('/var/www/repo/os-releases/master/debian-12-x86_64/requirements');
      expect(s.wheelDir).to.equal('/var/www/repo/os-releases/master/debian-12-x86_64/wheels');
      expect(s.builderVenvPath).to.equal('/openstack/venvs/wheel-builder-python3');
      expect(s.pipArgs).to.deep.equal(['--no-build-isolation', '--retries', '1']);
      expect(s.buildRequirements).to.deep.equal(['setuptools', 'wheel']);
      const files = s.files as Record<string, string>;
      expect(files.requirements).to.equal('# Managed with python_venv_build role\na\nb\n');
      expect(files.globalConstraints).to.match(/^# [^\n]*\n$/);
    });
    it('refuses relative paths and odd keys', () => {
      expect(() => scriptSpec({ venvPath: 'venvs/x', key: 'k', requirements: [] })).to.throw(/absolute/);
      expect(() => scriptSpec({ venvPath: '/v/x', key: 'a b', requirements: [] })).to.throw(/key/);
    });
  });

  it('the script reads its spec from the boot (WW_SPEC_JSON) and prints one result prefix', () => {
    const s = buildScript();
    expect(s).to.match(/^WW_SPEC_JSON = globals\(\)\.get\("WW_SPEC_JSON"\)/m);
    expect(s).to.include('WW-RESULT ');
  });
});
