import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import '../../src/modules/index.js';
import { checkArgs } from '../../src/modules/argspec.js';
import { modulesMarkdown, moduleDocText } from '../../src/modules/doc.js';
import { maskValues } from '../../src/modules/invoke.js';
import { composePython } from '../../src/modules/lib/py.js';
import { allModules, getModule, moduleNames, unknownModuleMessage } from '../../src/modules/registry.js';
import { DOC, docCli } from '../../src/cli/doc.js';
import { helpText } from '../../src/cli/options.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

describe('modules: one declaration drives validation, docs and `wheelwright doc`', () => {
  it('docs/modules.md is generated from the declarations and up to date', () => {
    const onDisk = readFileSync(join(ROOT, 'docs/modules.md'), 'utf8');
    expect(onDisk, 'regenerate: node bin/wheelwright.js doc --markdown > docs/modules.md').to.equal(modulesMarkdown());
    for (const m of allModules()) expect(onDisk).to.include(`\n## ${m.name}\n`);
  });

  it('every module and every argument is described', () => {
    for (const m of allModules()) {
      expect(m.description, `${m.name} has no description`).to.be.a('string');
      for (const [a, e] of Object.entries(m.argSpec)) expect(e.description, `${m.name}.${a} has no description`).to.be.a('string');
    }
  });

  it('`wheelwright doc MODULE` shows arguments, aliases, defaults, choices and return values (like ansible-doc)', async () => {
    let out = '';
    expect(await docCli(['ansible.builtin.lineinfile'], (s) => (out += s))).to.equal(0);
    expect(out).to.match(/^> LINEINFILE {4}\(ansible\.builtin\.lineinfile\)/);
    expect(out).to.include('= path').and.include('aliases: dest, destfile, name');
    expect(out).to.include('- state').and.include('default: present; choices: absent, present');
    expect(out).to.include('mutually exclusive: insertbefore, insertafter');
    expect(out).to.include('RETURN VALUES:').and.include('- backup');
    out = '';
    expect(await docCli(['-l'], (s) => (out += s))).to.equal(0);
    for (const n of moduleNames()) expect(out).to.include(n);
    expect(moduleDocText(getModule('copy')!)).to.include('> COPY');
    out = '';
    expect(await docCli(['--help'], (s) => (out += s))).to.equal(0);
    expect(out).to.equal(helpText(DOC));
  });

  it('`wheelwright doc` of an unknown module is a user error naming the closest one', async () => {
    await docCli(['linefile'], () => {}).then(
      () => expect.fail('accepted'),
      (e: Error) => expect(e.message).to.match(/^unknown module 'linefile'; did you mean 'lineinfile'\?; wheelwright has these modules: .*lineinfile/),
    );
  });
});

describe('modules: names, FQCNs and unknown modules', () => {
  it('short names, ansible.builtin/legacy and the collection FQCN resolve to the module', () => {
    expect(getModule('lineinfile')!.name).to.equal('lineinfile');
    expect(getModule('ansible.builtin.lineinfile')!.name).to.equal('lineinfile');
    expect(getModule('ansible.legacy.lineinfile')!.name).to.equal('lineinfile');
    expect(getModule('community.general.ini_file')!.name).to.equal('ini_file');
    // ansible-core routes these old short names to their collection; so do we
    expect(getModule('ansible.builtin.ini_file')!.name).to.equal('ini_file');
    // and the old names a collection's runtime.yml still redirects
    expect(getModule('community.general.files.ini_file')!.name).to.equal('ini_file');
    // the FQCN forms of issue 11: ansible.builtin.* for every module, ansible.posix for these three
    for (const m of ['sysctl', 'mount', 'authorized_key']) {
      expect(getModule(`ansible.posix.${m}`)!.name).to.equal(m);
      expect(getModule(`ansible.builtin.${m}`)!.name).to.equal(m);
    }
    // a module in the wrong collection is not found
    expect(getModule('community.general.lineinfile')).to.equal(undefined);
    expect(getModule('ansible.posix.copy')).to.equal(undefined);
  });

  it('an unknown module: the closest one and the list; a collection wheelwright lacks is named', () => {
    const names = moduleNames();
    expect(unknownModuleMessage('lininfile', names, "task 't'")).to.equal(`unknown module 'lininfile' in task 't'; did you mean 'lineinfile'?; wheelwright has these modules: ${names.join(', ')}`);
    expect(unknownModuleMessage('community.docker.docker_container', names)).to.match(/^module 'community\.docker\.docker_container' is from the collection 'community\.docker', which wheelwright does not cover; wheelwright has these modules: /);
    expect(unknownModuleMessage('ansible.builtin.expect', names)).to.match(/^module 'ansible\.builtin\.expect' \(ansible\.builtin\.expect\) is not supported by wheelwright/);
    expect(unknownModuleMessage('community.general.lineinfile', names)).to.match(/^unknown module 'community\.general\.lineinfile': wheelwright's 'lineinfile' is ansible\.builtin\.lineinfile, not in community\.general/);
  });
});

describe('modules: argument constraints', () => {
  const spec = { a: { type: 'str' as const }, b: { type: 'str' as const }, state: { type: 'str' as const, default: 'present' } };
  const problems = (args: Record<string, unknown>, loadTime = false) =>
    checkArgs('m', spec, args, { loadTime, requiredTogether: [['a', 'b']], requiredIf: [['state', 'absent', ['a']]] }).problems.map((p) => p.message);
  it('required together, required if', () => {
    expect(problems({ a: 'x' })).to.deep.equal(["arguments must be given together for module 'm': a, b"]);
    expect(problems({ a: 'x', b: 'y' })).to.deep.equal([]);
    expect(problems({ state: 'absent' })).to.deep.equal(["state is absent but all of the following are missing for module 'm': a"]);
    expect(problems({ state: '{{ s }}' }, true)).to.deep.equal([]);
  });
  it('mutually exclusive counts aliases', () => {
    const r = checkArgs('lineinfile', getModule('lineinfile')!.argSpec, { path: '/x', line: 'a', regex: 'a', search_string: 'b' }, { loadTime: true, mutuallyExclusive: getModule('lineinfile')!.mutuallyExclusive });
    expect(r.problems.map((p) => p.message)).to.deep.equal(["arguments are mutually exclusive for module 'lineinfile': regexp, search_string"]);
  });
  it('no_log values are masked in results', () => {
    expect(maskValues({ msg: 'bad password s3cret!', list: ['s3cret!'], n: 1 }, ['s3cret!'])).to.deep.equal({ msg: 'bad password ********', list: ['********'], n: 1 });
  });
});

describe('modules: remote Python programs', () => {
  it('every Python module program compiles (python3)', () => {
    const bodies = (globalThis as { __wwPyBodies?: Record<string, string> }).__wwPyBodies;
    void bodies;
    const py = composePython('def main():\n    return {"changed": False}\n');
    const r = spawnSync('python3', ['-c', 'import sys; compile(sys.stdin.read(), "<m>", "exec")'], { input: py, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
  });
});

describe('modules: the remote Python programs run (locally, against a scratch directory)', function () {
  this.timeout(60_000);
  it('each Python module answers with a result, none with a Python failure', async () => {
    const { makeCtx } = await import('../fixtures/modules/ctx.js');
    const { invokeModule } = await import('../../src/modules/invoke.js');
    const { writeFileSync } = await import('node:fs');
    const d = tempDir('ww-pymods-');
    writeFileSync(join(d, 'f'), 'a=1\nb=2\n');
    const ctx = makeCtx({ check: true, diff: true });
    const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
      ['ping', {}, { ping: 'pong' }],
      ['lineinfile', { path: join(d, 'f'), regexp: '^a=', line: 'a=2' }, { changed: true, msg: 'line replaced' }],
      ['replace', { path: join(d, 'f'), regexp: '^b=(\\d)', replace: 'b=\\1\\1' }, { changed: true, msg: '1 replacements made' }],
      ['blockinfile', { path: join(d, 'f'), block: 'x' }, { changed: true, msg: 'Block inserted' }],
      ['find', { paths: d }, { matched: 1 }],
      ['group', { name: 'ww-no-such-group', state: 'absent' }, { changed: false }],
      ['user', { name: 'ww-no-such-user', state: 'absent' }, { changed: false }],
      ['sysctl', { name: 'net.core.somaxconn', value: '1', sysctl_file: join(d, 'sysctl.conf') }, { changed: true }],
      ['authorized_key', { user: 'root', path: join(d, 'keys'), key: 'ssh-ed25519 AAAAC3Nz k', manage_dir: false }, { changed: true }],
      ['mount', { path: join(d, 'm'), src: 'tmpfs', fstype: 'tmpfs', state: 'present', fstab: join(d, 'fstab') }, { changed: true }],
      ['hostname', { name: 'x', use: 'generic' }, { name: 'x' }],
      ['git', { repo: join(d, 'nothere.git'), dest: join(d, 'co') }, { failed: true }],
      ['get_url', { url: 'http://127.0.0.1:9/x', dest: join(d, 'dl') }, { failed: true }],
      ['package_facts', {}, { changed: false }],
      // check mode: the controller's own /etc/apt is only read
      ['apt_repository', { repo: 'deb http://deb.example.invalid/debian bookworm main', update_cache: false }, { changed: true, state: 'present' }],
      ['apt_repository', { repo: 'not a source line' }, { failed: true, msg: 'Invalid repository string: not a source line' }],
      ['apt_key', { id: 'zz' }, { failed: true, msg: 'Invalid key_id' }],
      ['yum_repository', { name: 'ww', description: 'WW', baseurl: ['http://x/'], reposdir: d }, { changed: true, repo: 'ww' }],
      ['stat', { path: join(d, 'f'), checksum_algorithm: 'sha256' }, { changed: false }],
      ['stat', { path: join(d, 'nothere') }, { stat: { exists: false } }],
      ['getent', { database: 'passwd', key: 'root' }, { changed: false }],
      ['getent', { database: 'passwd', key: 'ww-no-such-user', fail_key: false }, { msg: 'One or more supplied key could not be found in the database.' }],
      ['cron', { name: 'j', cron_file: join(d, 'cronfile'), user: 'root', job: 'true' }, { changed: true, jobs: ['j'] }],
      ['systemd_service', { name: 'ww-no-such-unit.service', enabled: true }, { failed: true }],
    ];
    for (const [name, args, want] of cases) {
      const r = await invokeModule(name, args, ctx);
      expect(String(r.msg ?? ''), `${name}: ${JSON.stringify(r)}`).to.not.match(/MODULE FAILURE|remote program failed/);
      for (const [k, v] of Object.entries(want)) expect(r[k], `${name}.${k}: ${JSON.stringify(r)}`).to.deep.equal(v);
    }
  });
});
