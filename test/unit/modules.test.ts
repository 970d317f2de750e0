import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkArgs } from '../../src/modules/argspec.js';
import { getModule, moduleNames } from '../../src/modules/registry.js';
import { composeFactsScript, filterFacts, idOutput, parseFactsOutput, pythonVersion, subsetOptions } from '../../src/modules/lib/facts.js';
import { composeAptScript, composeDnfScript, parsePkgOutput } from '../../src/modules/lib/pkg.js';
import { composeServiceScript } from '../../src/modules/lib/service-script.js';
import { composeFileScript } from '../../src/modules/lib/remote-file.js';
import { composeFileStateScript } from '../../src/modules/lib/file-script.js';
import { composeCommandScript, quoteGlob } from '../../src/modules/lib/command.js';
import { parseMarked } from '../../src/modules/lib/exec.js';
import { extractInlineArgs } from '../../src/modules/lib/shlex.js';
import { shSplit as shlexSplit } from '../../src/shell/split.js';
import { lookupVar } from '../../src/modules/debug.js';
import { makeCtx, runModule } from '../fixtures/modules/ctx.js';
import { tempDir } from '../helpers/tmp.js';

function shSyntaxOk(script: string): string {
  const r = spawnSync('/bin/sh', ['-n', '-c', script], { encoding: 'utf8' });
  return r.status === 0 ? '' : r.stderr;
}

describe('modules: registry and argument specs', () => {
  it('registers every module, its aliases and FQCNs', () => {
    expect(moduleNames()).to.include.members([
      'assert', 'command', 'copy', 'debug', 'fail', 'file', 'ini_file', 'meta', 'package', 'service', 'set_fact', 'setup', 'shell', 'slurp', 'stat', 'template',
    ]);
    expect(getModule('apt')!.name).to.equal('package');
    expect(getModule('dnf')!.name).to.equal('package');
    expect(getModule('systemd')!.name).to.equal('systemd_service');
    expect(getModule('ansible.builtin.systemd')!.name).to.equal('systemd_service');
    expect(getModule('ansible.builtin.copy')!.name).to.equal('copy');
    expect(getModule('community.general.ini_file')!.name).to.equal('ini_file');
    for (const n of ['set_fact', 'assert', 'fail', 'debug', 'meta']) expect(getModule(n)!.controllerOnly, n).to.equal(true);
    for (const n of ['copy', 'file', 'command', 'setup']) expect(getModule(n)!.controllerOnly, n).to.not.equal(true);
  });

  const load = (name: string, args: Record<string, unknown>) => {
    const d = getModule(name)!;
    return checkArgs(name, d.argSpec, args, { loadTime: true, freeForm: d.freeForm, requiredOneOf: d.requiredOneOf, mutuallyExclusive: d.mutuallyExclusive }).problems.map((p) => p.message);
  };

  it('rejects unknown arguments, missing required ones, bad choices and exclusive pairs at load time', () => {
    expect(load('copy', { dest: '/x', content: 'a', bogus: 1 })[0]).to.match(/unsupported argument 'bogus'/);
    expect(load('copy', { content: 'a' })[0]).to.match(/missing required argument 'dest'/);
    expect(load('copy', { dest: '/x' })[0]).to.match(/needs one of: src, content/);
    expect(load('copy', { dest: '/x', src: 'a', content: 'b' })[0]).to.match(/mutually exclusive/);
    expect(load('file', { path: '/x', state: 'dir' })[0]).to.match(/must be one of/);
    expect(load('package', { name: 'x', state: 'newest' })[0]).to.match(/must be one of/);
    expect(load('service', { name: 'x', enabled: 'maybe' })[0]).to.match(/boolean/);
    expect(load('command', {})[0]).to.match(/needs one of/);
    expect(load('meta', {})[0]).to.match(/needs one of/);
  });

  it('accepts the usual Ansible spellings', () => {
    expect(load('copy', { src: 'a', dest: '/x', mode: '0644', owner: 'root', group: 'root', backup: 'yes', force: 'no', validate: 'visudo -cf %s' })).to.deep.equal([]);
    expect(load('template', { src: 'a.j2', dest: '/x', mode: '{{ m }}' })).to.deep.equal([]);
    expect(load('file', { path: '/x', state: 'directory', mode: 'u+rwX,g-w', recurse: true, owner: 'a', group: 'b' })).to.deep.equal([]);
    expect(load('file', { dest: '/x', state: 'link', src: '/y', force: true })).to.deep.equal([]);
    expect(load('apt', { name: ['a', 'b=1.2'], state: 'latest', update_cache: true, cache_valid_time: 3600 })).to.deep.equal([]);
    expect(load('dnf', { name: 'a', state: 'installed', enablerepo: 'epel' })).to.deep.equal([]);
    expect(load('systemd', { name: 'x', state: 'restarted', enabled: true, daemon_reload: true })).to.deep.equal([]);
    expect(load('ini_file', { path: '/x', section: 's', option: 'o', value: 'v', no_extra_spaces: true, create: false, mode: '0600' })).to.deep.equal([]);
    expect(load('stat', { path: '/x', get_checksum: false, checksum_algorithm: 'sha256' })).to.deep.equal([]);
    expect(load('shell', { _raw_params: 'echo', chdir: '/', creates: '/x', removes: '/y', executable: '/bin/bash' })).to.deep.equal([]);
    expect(load('command', { argv: ['a', 'b'], stdin: 'x' })).to.deep.equal([]);
    expect(load('assert', { that: ['a', 'b'], fail_msg: 'no', success_msg: 'yes', quiet: true })).to.deep.equal([]);
    expect(load('assert', { that: 'x', msg: 'no' })).to.deep.equal([]);
    expect(load('debug', { var: 'x', verbosity: 2 })).to.deep.equal([]);
    expect(load('setup', { gather_subset: ['!all', 'network'], filter: 'ansible_*' })).to.deep.equal([]);
    expect(load('slurp', { src: '/x' })).to.deep.equal([]);
    expect(load('meta', { _raw_params: 'flush_handlers' })).to.deep.equal([]);
  });
});

describe('modules: controller-only', () => {
  it('set_fact returns its arguments as facts (cacheable ignored)', async () => {
    const r = await runModule('set_fact', { a: 1, b: { c: [1] }, cacheable: true });
    expect(r).to.deep.equal({ changed: false, ansible_facts: { a: 1, b: { c: [1] } } });
    expect((await runModule('set_fact', { 'bad-name': 1 })).failed).to.equal(true);
  });

  it('assert', async () => {
    const ctx = makeCtx({ vars: { x: 3, yes: true } });
    expect(await runModule('assert', { that: ['x == 3', 'yes'] }, ctx)).to.deep.equal({ changed: false, msg: 'All assertions passed' });
    const f = await runModule('assert', { that: ['x == 3', 'x == 4'], fail_msg: 'x is wrong' }, ctx);
    expect(f).to.include({ failed: true, msg: 'x is wrong', assertion: 'x == 4' });
    expect((await runModule('assert', { that: 'x == 4' }, ctx)).msg).to.equal('Assertion failed');
    expect((await runModule('assert', { that: ['x == 3'], success_msg: 'fine' }, ctx)).msg).to.equal('fine');
    expect((await runModule('assert', { that: ['x == 3'], quiet: true }, ctx)).msg).to.equal(undefined);
  });

  it('fail, meta', async () => {
    expect(await runModule('fail', { msg: 'stop' })).to.deep.equal({ changed: false, failed: true, msg: 'stop' });
    expect((await runModule('fail', {})).msg).to.equal('Failed as requested from task');
    expect((await runModule('meta', { _raw_params: 'flush_handlers' })).meta).to.equal('flush_handlers');
    expect((await runModule('meta', { _raw_params: 'end_host' })).meta).to.equal('end_host');
    expect((await runModule('meta', { _raw_params: 'reboot' })).failed).to.equal(true);
  });

  it('debug: msg, var lookup, verbosity', async () => {
    const ctx = makeCtx({ vars: { app: { ports: [80, 443], name: 'web' }, greeting: 'hi {{ app.name }}' } });
    expect(await runModule('debug', {}, ctx)).to.deep.equal({ changed: false, msg: 'Hello world!' });
    expect(await runModule('debug', { msg: 'x' }, ctx)).to.deep.equal({ changed: false, msg: 'x' });
    expect((await runModule('debug', { var: 'app.ports[1]' }, ctx))['app.ports[1]']).to.equal(443);
    expect((await runModule('debug', { var: 'greeting' }, ctx)).greeting).to.equal('hi web');
    expect((await runModule('debug', { var: 'nope' }, ctx)).nope).to.equal('VARIABLE IS NOT DEFINED!');
    expect((await runModule('debug', { msg: 'x', verbosity: 2 }, ctx)).skipped).to.equal(true);
    expect((await runModule('debug', { msg: 'x', verbosity: 2 }, makeCtx({ vars: { ansible_verbosity: 2 } }))).msg).to.equal('x');
    expect(lookupVar({ a: { 'b c': 1 } }, "a['b c']")).to.deep.equal({ found: true, value: 1 });
  });
});

describe('modules: pure helpers', () => {
  it('shlexSplit and inline options', () => {
    expect(shlexSplit(`echo "a b" 'c d' e\\ f "x\\"y" ''`)).to.deep.equal(['echo', 'a b', 'c d', 'e f', 'x"y', '']);
    expect(() => shlexSplit(`echo 'open`)).to.throw(/unterminated/);
    expect(extractInlineArgs('make install chdir=/src creates="/usr/bin/x y"', ['chdir', 'creates'])).to.deep.equal({ raw: 'make install', opts: { chdir: '/src', creates: '/usr/bin/x y' } });
    expect(quoteGlob("/tmp/it's *.log")).to.equal(`'/tmp/it'\\''s '*.log`);
  });

  it('facts: the script is valid sh and the parser maps distributions', () => {
    expect(shSyntaxOk(composeFactsScript())).to.equal('');
    expect(shSyntaxOk(composeFactsScript(subsetOptions(['!all'])))).to.equal('');
    expect(composeFactsScript({ hardware: false, network: false })).to.not.contain('ip -4 route');
    const ubuntu = parseFactsOutput(['nodename=web1.example.com', 'hostname=web1.example.com', 'fqdn=web1.example.com', 'machine=aarch64',
      'os_ID=ubuntu', 'os_VERSION_ID="22.04"', 'os_VERSION_CODENAME=jammy', 'os_ID_LIKE=debian', 'has_apt-get=1', 'pid1=systemd',
      'env_PATH=/usr/bin:/bin', 'id=uid=1000(deploy) gid=1001(staff) groups=1001(staff),27(sudo)', 'vcpus=4', 'route4=1.1.1.1 via 10.0.0.1 dev ens3 src 10.0.0.5 uid 1000', 'python=/usr/bin/python3', 'python_V=Python 3.10.12'].join('\n'));
    expect(ubuntu).to.include({ ansible_hostname: 'web1', ansible_fqdn: 'web1.example.com', ansible_domain: 'example.com', ansible_distribution: 'Ubuntu',
      ansible_distribution_version: '22.04', ansible_distribution_major_version: '22', ansible_distribution_release: 'jammy', ansible_os_family: 'Debian',
      ansible_pkg_mgr: 'apt', ansible_service_mgr: 'systemd', ansible_architecture: 'aarch64', ansible_user_id: 'deploy', ansible_processor_vcpus: 4,
      ansible_python_version: '3.10.12', discovered_interpreter_python: '/usr/bin/python3', ansible_user_uid: 1000, ansible_user_gid: 1001 });
    expect(ubuntu.ansible_python).to.deep.equal({ executable: '/usr/bin/python3', type: 'CPython', version: { major: 3, minor: 10, micro: 12, releaselevel: 'final', serial: 0 }, version_info: [3, 10, 12, 'final', 0] });
    expect(ubuntu.ansible_default_ipv4).to.deep.equal({ address: '10.0.0.5', interface: 'ens3', gateway: '10.0.0.1' });
    expect((ubuntu.ansible_env as Record<string, string>).PATH).to.equal('/usr/bin:/bin');
    const rocky = parseFactsOutput('os_ID="rocky"\nos_VERSION_ID="9.3"\nos_VERSION="9.3 (Blue Onyx)"\nos_ID_LIKE="rhel centos fedora"\nhas_dnf=1\nhas_yum=1\nsystemd_booted=1\n');
    expect(rocky).to.include({ ansible_distribution: 'Rocky', ansible_distribution_major_version: '9', ansible_distribution_release: 'Blue Onyx', ansible_os_family: 'RedHat', ansible_pkg_mgr: 'dnf' });
    expect(rocky.ansible_python).to.equal(undefined);
    const c7 = parseFactsOutput('os_ID="centos"\nos_VERSION_ID="7"\nhas_yum=1\ninitd=1\n');
    expect(c7).to.include({ ansible_distribution: 'CentOS', ansible_os_family: 'RedHat', ansible_pkg_mgr: 'yum', ansible_service_mgr: 'sysvinit' });
    expect(parseFactsOutput('os_ID=rhel\nos_VERSION_ID="8.9"\nhas_dnf=1\n')).to.include({ ansible_distribution: 'RedHat', ansible_distribution_version: '8.9' });
    expect(parseFactsOutput('os_ID=fedora\nos_VERSION_ID=39\nhas_dnf=1\n')).to.include({ ansible_distribution: 'Fedora', ansible_os_family: 'RedHat' });
    expect(parseFactsOutput('os_ID=debian\nos_VERSION_ID="12"\ndebian_version=12.5\n')).to.include({ ansible_distribution_version: '12.5', ansible_distribution_major_version: '12' });
    expect(Object.keys(filterFacts(ubuntu, ['ansible_dist*', 'ansible_fqdn']))).to.have.members(['ansible_distribution', 'ansible_distribution_version', 'ansible_distribution_major_version', 'ansible_distribution_release', 'ansible_fqdn']);
    expect(subsetOptions(['min'])).to.deep.equal({ hardware: false, network: false });
    // sys.version_info from `python -V`; the effective user from one `id` (as id -un, -u, -g)
    expect(pythonVersion('Python 3.12.0rc1')).to.deep.equal([3, 12, 0, 'candidate', 1]);
    expect(pythonVersion('Python 3.13.0a4+')).to.deep.equal([3, 13, 0, 'alpha', 4]);
    expect(pythonVersion('Python 3.6.8\n')).to.deep.equal([3, 6, 8, 'final', 0]);
    expect(pythonVersion('python: command not found')).to.equal(undefined);
    expect(parseFactsOutput('python=/usr/bin/python3\npython_V=Unknown option: -V\n').ansible_python).to.equal(undefined);
    expect(idOutput('uid=1000(ann) gid=1000(ann) euid=0(root) egid=5(tty) groups=1000(ann)')).to.deep.equal({ uid: 0, user: 'root', gid: 5 });
    expect(idOutput('uid=4242 gid=4242 groups=4242')).to.deep.equal({ uid: 4242, gid: 4242 });
    expect(idOutput('uid=0(root) gid=0(root) groups=0(root) context=unconfined_u:unconfined_r:unconfined_t:s0')).to.deep.equal({ uid: 0, user: 'root', gid: 0 });
    // fewer processes: no hostname(1) (uname's nodename), one id, python -V, no head
    const full = composeFactsScript();
    expect(full).to.not.match(/\bhostname 2|id -u|-S -c|\| head/);
    expect(subsetOptions(['all', '!hardware'])).to.deep.equal({ hardware: false, network: true });
  });

  it('composed scripts are valid sh and quote every value', () => {
    const hostile = `x'; touch /tmp/pwned; '$(id)`;
    const scripts = [
      composeAptScript({ names: [hostile], state: 'present', updateCache: true, cacheValidTime: 10, check: true, purge: true, autoremove: true }),
      composeDnfScript({ names: [hostile], state: 'latest', updateCache: true, cacheValidTime: 0, check: false, enablerepo: [hostile] }, 'dnf'),
      composeServiceScript({ name: hostile, state: 'started', enabled: true, daemonReload: true, check: false, manager: '' }),
      composeServiceScript({ name: hostile, state: 'reloaded', enabled: false, daemonReload: false, check: true, manager: 'sysvinit' }),
      composeFileScript({ dest: hostile, sha: 'abc', send: true, mode: 'u+x', owner: hostile, group: hostile, backup: true, force: true, validate: 'visudo -cf %s', check: false, diff: true, tag: 'ff' }),
      composeFileStateScript({ path: hostile, state: 'link', src: hostile, mode: '0644', owner: hostile, recurse: true, force: true, follow: true, check: false, tag: 'ff' }),
      composeCommandScript({ command: 'exec true', display: 'true', chdir: hostile, creates: hostile + '*', stdinAddNewline: true, stripEmptyEnds: true }, '@@m-', false),
    ];
    for (const s of scripts) {
      expect(shSyntaxOk(s), s).to.equal('');
      expect(s).to.contain(`'x'\\''; touch /tmp/pwned; '\\''$(id)'`);
    }
  });

  it('parseMarked and parsePkgOutput', () => {
    const p = parseMarked('noise\n@@ww install=a\n@@ww install=b\n@@ww ok=c\n@@ww rc=0\nmore');
    expect(p.rest).to.equal('noise\nmore');
    expect(parsePkgOutput(p.all)).to.include({ changed: true, failed: false, rc: 0 });
    expect(parsePkgOutput(p.all).installed).to.deep.equal(['a', 'b']);
    expect(parsePkgOutput(parseMarked('@@ww ok=a\n@@ww rc=0').all).changed).to.equal(false);
    expect(parsePkgOutput(parseMarked('@@ww install=a\n@@ww install_rc=100\n@@ww rc=100').all)).to.include({ changed: false, failed: true, rc: 100 });
    expect(parsePkgOutput(parseMarked('@@ww missing=zz\n@@ww error=missing').all)).to.include({ failed: true, error: 'missing' });
  });
});

describe('modules: package with dnf (stubbed rpm/dnf)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = tempDir('ww-dnf-');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('installs missing, upgrades for latest, removes, idempotently', async () => {
    const bin = join(dir, 'bin');
    const st = join(dir, 'st');
    await mkdir(bin);
    await mkdir(join(st, 'inst'), { recursive: true });
    await mkdir(join(st, 'upd'), { recursive: true });
    const stub = async (name: string, body: string) => {
      await writeFile(join(bin, name), `#!/bin/sh\n${body}\n`);
      await chmod(join(bin, name), 0o755);
    };
    await stub('rpm', `for a in "$@"; do n=$a; done; [ -f "$S/inst/$n" ]`);
    await stub('dnf', `echo "$*" >> "$S/log"; op=; pk=
for a in "$@"; do case "$a" in -*) ;; install|upgrade|remove|check-update|makecache|autoremove) op=$a ;; *) pk="$pk $a" ;; esac; done
case "$op" in
  check-update) rc=0; for p in $pk; do if [ -f "$S/upd/$p" ]; then echo "$p.x86_64  2.0-1  updates"; rc=100; fi; done; exit $rc ;;
  install) for p in $pk; do touch "$S/inst/$p"; done ;;
  upgrade) for p in $pk; do rm -f "$S/upd/$p"; done ;;
  remove) for p in $pk; do rm -f "$S/inst/$p"; done ;;
esac`);
    const ctx = (check = false) => makeCtx({ env: { PATH: `${bin}:/usr/bin:/bin`, S: st }, check, facts: { ansible_pkg_mgr: 'dnf' } });
    expect((await runModule('dnf', { name: ['httpd', 'git'] }, ctx(true))).changed).to.equal(true);
    const r1 = await runModule('dnf', { name: ['httpd', 'git'] }, ctx());
    expect(r1.changed, r1.msg).to.equal(true);
    expect(r1.installed).to.deep.equal(['httpd', 'git']);
    expect((await runModule('dnf', { name: ['httpd', 'git'] }, ctx())).changed).to.equal(false);
    await writeFile(join(st, 'upd', 'git'), '');
    expect((await runModule('dnf', { name: ['httpd', 'git'], state: 'latest' }, ctx(true))).upgraded).to.deep.equal(['git']);
    expect((await runModule('dnf', { name: ['httpd', 'git'], state: 'latest' }, ctx())).changed).to.equal(true);
    expect((await runModule('dnf', { name: ['httpd', 'git'], state: 'latest' }, ctx())).changed).to.equal(false);
    expect((await runModule('dnf', { name: 'git', state: 'absent' }, ctx())).changed).to.equal(true);
    expect((await runModule('dnf', { name: 'git', state: 'absent' }, ctx())).changed).to.equal(false);
    expect(await readFile(join(st, 'log'), 'utf8')).to.contain('-y install httpd git');
  });
});
