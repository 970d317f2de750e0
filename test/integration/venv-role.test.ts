import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, recap, totalChanged, ROOT, type CliResult } from '../helpers/cli.js';
import { makeTestPackages, packTree, type TestPackages } from '../helpers/pypkgs.js';
import { skipWithoutLab, useLab, labSsh, labSshArgs, type Lab } from './_lab-fixture.js';
import { labHostExec, labHostKill, labHostRestart } from '../../src/lab/index.js';
import { tempDir } from '../helpers/tmp.js';

const SITE = join(ROOT, 'test/fixtures/venv-role/site.yml');
const PKG_DIR = '/var/tmp/wheelwright-test-pypkgs';
const TARGETS = ['lab2', 'lab3', 'lab4', 'lab5'];

/** Ship the test packages to a lab host at the same path (one ssh, tar on stdin). */
function ship(lab: Lab, host: string, tgz: Buffer): Promise<void> {
  const h = lab.hosts.find((x) => x.name === host)!;
  return new Promise((resolve, reject) => {
    const p = spawn('ssh', [...labSshArgs(lab), `root@${h.address}`, `rm -rf ${PKG_DIR} && mkdir -p ${PKG_DIR} && tar xzf - -C ${PKG_DIR}`]);
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ship to ${host}: ${err}`))));
    p.stdin.end(tgz);
  });
}

async function sh(lab: Lab, host: string, cmd: string): Promise<string> {
  const r = await labSsh(lab, host, cmd);
  if (r.code !== 0) throw new Error(`${host}: ${cmd}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

describe('python_venv_build role in the lab (1 repo server, 4 targets)', function () {
  this.timeout(600_000);
  let lab: Lab;
  let pk: TestPackages;
  let work: string;
  let inventory: string;

  const deploy = (venv: string, extra: string[] = [], pkgs?: string[], pins = ['ww-alpha==1.0'], tag = '1', hosts = 'venv_targets'): Promise<CliResult> =>
    runCli([
      SITE, '-i', lab.inventoryFile, '-i', inventory, '--output', 'jsonl', '--retry-file', 'none',
      '-e', JSON.stringify({
        target_hosts: hosts, venv_path: venv, sdists: pk.sdists, global_pins: pins, venv_tag: tag,
        pkgs: pkgs ?? ['ww-gamma', 'ww-cext', pk.gitRequirement],
      }),
      ...extra,
    ]);

  const importCheck = (venv: string) =>
    `${venv}/bin/python -c "import ww_alpha, ww_beta, ww_gamma, ww_cext, ww_gitpkg, termcolor; print(ww_alpha.VERSION)"`;

  before(async function () {
    skipWithoutLab(this);
    lab = await useLab(6, { fresh: true }); // no venvs, builders or restart marks of another file or run
    pk = await makeTestPackages(PKG_DIR);
    await ship(lab, 'lab1', packTree(PKG_DIR));
    work = tempDir('ww-role-');
    inventory = join(work, 'groups.yml');
    writeFileSync(
      inventory,
      `all:\n  children:\n    repo_all:\n      hosts:\n        lab1: {}\n    venv_targets:\n      hosts:\n${TARGETS.map((t) => `        ${t}: {}\n`).join('')}` +
        `    nobuild:\n      hosts:\n        lab6: {}\n  vars:\n    openstack_repo_url: http://${lab.hosts[0]!.address}:8181\n`,
    );
  });

  it('cold deploy: builds once on the repo, installs the pinned closure on every target; rerun is one command per target', async () => {
    const venv = '/openstack/venvs/demo';
    const r = await deploy(venv);
    expect(r.code, r.stdout.slice(-4000) + r.stderr).to.equal(0);
    // one build (on lab1), shown as changed once
    const builds = r.events.filter((e) => e.type === 'host_result' && e.module === 'venv_wheels' && e.status === 'changed');
    expect(builds).to.have.length(1);
    // the long steps report their phases (the live view shows them on a terminal)
    const phases = r.events.filter((e) => e.type === 'host_progress');
    expect(phases.some((e) => /^building wheels on lab1 /.test(e.msg))).to.equal(true);
    for (const t of TARGETS) expect(phases.some((e) => e.host === t && e.msg.startsWith(`installing ${venv}`)), t).to.equal(true);
    // each target's checks in order; the targets side by side
    await Promise.all(TARGETS.map(async (t) => {
      expect((await sh(lab, t, importCheck(venv))).trim()).to.equal('1.0');
      const freeze = await sh(lab, t, `${venv}/bin/python -m pip list --format=freeze --disable-pip-version-check`);
      expect(freeze).to.include('ww-alpha==1.0').and.include('ww-beta==1.0').and.include('ww-cext==1.0').and.include(`ww-gitpkg==${pk.gitVersion}`);
      // installed without pip's resolver, yet whole and consistent to pip
      expect(await sh(lab, t, `${venv}/bin/pip check`)).to.match(/No broken requirements/);
      // put there by wheelwright's installer (a pip run writes `pip`), by name as pip from a wheel
      // directory: no direct_url.json, so `pip freeze` pins every package (the git one included)
      expect(await sh(lab, t, `cd ${venv}/lib/python3*/site-packages && cat ww_alpha-1.0.dist-info/INSTALLER && ls */direct_url.json 2>/dev/null | wc -l`)).to.equal('wheelwright\n0\n');
      expect(await sh(lab, t, `${venv}/bin/pip freeze --all --disable-pip-version-check`)).not.to.include(' @ ');
      // build-time distro packages stayed on the repo server
      expect((await labSsh(lab, t, 'dpkg-query -W -f=\'${Status}\' liblz4-dev')).stdout).not.to.include('install ok installed');
      expect(await sh(lab, t, 'cat /etc/ansible/facts.d/openstack_ansible.fact')).to.match(/\[demo\]\s*\nvenv_tag = 1/);
      expect(await sh(lab, t, 'cat /var/tmp/demo-restarts')).to.equal('restart\n');
      // the three files inside the venv, each starting with upstream's header line
      const reqs = await sh(lab, t, `cat ${venv}/requirements.txt`);
      for (const f of ['requirements', 'constraints', 'global-constraints']) {
        expect((await sh(lab, t, `head -n1 ${venv}/${f}.txt`))).to.equal('# Managed with python_venv_build role\n');
      }
      expect(reqs).to.include('\nww-gitpkg\n');
      expect(await sh(lab, t, `cat ${venv}/constraints.txt`)).to.match(/\nww-alpha==1\.0\n/);
      // byte-code compiled once on the repo server and shipped (src/remote/wwremote/pycache.py):
      // the target compiled nothing, and an import loads the shipped pyc as it is
      expect(await sh(lab, t, `grep '^installed ' ${venv}.log | tail -n1`)).to.match(/, 0 files byte-compiled, [1-9]\d* pycs from the build host\n$/);
      const v = await sh(lab, t, `${venv}/bin/python -v -c 'import ww_alpha, pip' 2>&1 | grep -E "^# code object from .*/(ww_alpha|pip)/__pycache__/__init__\\.cpython-[0-9]+\\.pyc|^# wrote .*site-packages" || true`);
      expect(v.split('\n').filter((l) => l.startsWith('# code object from'))).to.have.length(2);
      expect(v).not.to.include('# wrote');
    }));
    expect((await sh(lab, 'lab1', 'dpkg-query -W -f=\'${Status}\' liblz4-dev'))).to.include('install ok installed');

    const again = await deploy(venv);
    expect(again.code, again.stderr).to.equal(0);
    expect(totalChanged(again)).to.equal(0);
    const cmds = again.events.find((e) => e.type === 'recap')!.remoteCommands;
    for (const t of TARGETS) expect(cmds[t], `remote commands on ${t}`).to.equal(1);
    // the repo server: facts, at most one command per repo_server task (4), and ONE for the build
    // check (its distro packages checked by the same command)
    expect(cmds.lab1, 'remote commands on the repo server').to.be.at.most(6);
    for (const t of TARGETS) expect(await sh(lab, t, 'cat /var/tmp/demo-restarts')).to.equal('restart\n');
  });

  it("the repo_server role's no-op costs at most one remote command per task (the recap's counts, task by task)", async () => {
    // the play as the fixture's (and OSA's): facts first, then the role
    const pb = join(work, 'repo-only.yml');
    writeFileSync(pb, '- hosts: repo_all\n  gather_facts: true\n  roles: [repo_server]\n');
    const tasks = ['Web server package', 'Repo root', 'Repo site', 'Web server running']; // roles/repo_server/tasks/main.yml
    const run = async (extra: string[]) => {
      const r = await runCli([pb, '-i', lab.inventoryFile, '-i', inventory, '--output', 'jsonl', '--retry-file', 'none', ...extra]);
      expect(r.code, r.stdout.slice(-2000)).to.equal(0);
      expect(totalChanged(r)).to.equal(0);
      return r.events.find((e) => e.type === 'recap')!.remoteCommands.lab1 ?? 0;
    };
    const from: number[] = [];
    for (const t of tasks) from.push(await run(['--start-at-task', t]));
    from.push(await run(['--tags', 'no-such-tag'])); // facts only (their task is tagged always)
    // starting at task k runs facts and tasks k..4: a task's commands are the difference of two runs
    const each = tasks.map((_t, k) => from[k]! - from[k + 1]!);
    expect(each.every((n) => n <= 1), `remote commands per task ${JSON.stringify(each)} (facts: ${from[4]})`).to.equal(true);
  });

  it('OSA-style group_vars/host_vars: the role\'s variables derived by Jinja from facts, groups, hostvars', async () => {
    // Written the way OpenStack-Ansible writes inventory/group_vars: subscripts on facts, groups
    // and hostvars, `| default`, `~`, `| ternary`, `| combine`; nothing of it is given on the command line.
    const dir = join(work, 'osa');
    mkdirSync(join(dir, 'group_vars'), { recursive: true });
    mkdirSync(join(dir, 'host_vars'), { recursive: true });
    const inv = join(dir, 'inventory.yml');
    writeFileSync(inv, 'all:\n  children:\n    repo_all:\n      hosts:\n        lab1: {}\n    osa_targets:\n      hosts:\n        lab2: {}\n');
    const ip = lab.hosts.find((h) => h.name === 'lab2')!.address;
    // a plain address, as OSA's inventory gives it (Ansible 2.14 leaves a template inside a value
    // read through hostvars[...] unrendered, so OSA does not nest them)
    writeFileSync(join(dir, 'host_vars', 'lab2.yml'), `management_address: ${ip}\n`);
    writeFileSync(
      join(dir, 'group_vars', 'all.yml'),
      [
        `internal_lb_vip_address: "{{ hostvars[groups['repo_all'][0]]['ansible_host'] }}"`,
        `repo_server_port: 8181`,
        `openstack_repo_url: "http://{{ internal_lb_vip_address }}:{{ repo_server_port }}"`,
        `osa_defaults: { tag: osa-0, extras: false }`,
        `osa_overrides: { tag: osa-1, extras: true }`,
        `osa_settings: "{{ osa_defaults | combine(osa_overrides) }}"`,
        `osa_service_name: "{{ 'osa' ~ '-' ~ ansible_facts['os_family'] | lower }}"`,
        `osa_distro_packages:`,
        `  debian: [tree, python3-termcolor]`,
        `  redhat: [tree, python3-termcolor]`,
        `osa_symlink_packages:`,
        `  debian: [python3-termcolor]`,
        `  redhat: [python3-termcolor]`,
        `venv_install_destination_path: "{{ osa_venv_base | default('/openstack/venvs') }}/{{ osa_service_name }}-{{ osa_settings['tag'] }}"`,
        `venv_pip_packages: "{{ ['ww-gamma'] + (osa_settings['extras'] | bool | ternary(['ww-cext'], [])) }}"`,
        `venv_build_global_constraints: "{{ osa_global_pins | default(['ww-alpha==1.0']) }}"`,
        `venv_pip_build_args: "--find-links {{ osa_sdists }} --find-links /usr/share/python-wheels"`,
        `osa_sdists: ${pk.sdists}`,
        `osa_build_packages: { debian: [liblz4-dev], redhat: [lz4-devel] }`,
        `venv_build_distro_package_list: "{{ osa_build_packages[ansible_facts['os_family'] | lower] }}"`,
        `venv_install_distro_package_list: "{{ osa_distro_packages[ansible_facts['os_family'] | lower] }}"`,
        `venv_packages_to_symlink: "{{ osa_symlink_packages[ansible_facts['os_family'] | lower] }}"`,
        `venv_facts_dest: "{{ 'osa_' ~ (inventory_hostname in groups['osa_targets']) | ternary('jinja', 'other') }}"`,
        `venv_facts_when_changed:`,
        `  - section: "{{ osa_service_name }}"`,
        `    option: venv_tag`,
        `    value: "{{ osa_settings.tag }}"`,
        `  - section: "{{ osa_service_name }}"`,
        `    option: management_address`,
        `    value: "{{ hostvars[inventory_hostname]['management_address'] | default('unset') }}"`,
        '',
      ].join('\n'),
    );
    const pb = join(dir, 'osa.yml');
    writeFileSync(
      pb,
      '- hosts: repo_all\n  gather_facts: true\n  roles: [repo_server]\n' +
        '- hosts: osa_targets\n  gather_facts: true\n  roles: [python_venv_build]\n' +
        '  handlers:\n    - name: osa venv changed\n      debug: { msg: changed }\n      listen: venv changed\n',
    );
    const venv = '/openstack/venvs/osa-debian-osa-1'; // the lab hosts are Debian: os_family Debian
    // a fresh start: this case owns /openstack/venvs/osa-* on lab2 (and its facts file)
    await sh(lab, 'lab2', 'rm -rf /openstack/venvs/osa-* /etc/ansible/facts.d/osa_jinja.fact');
    const r = await runCli([pb, '-i', lab.inventoryFile, '-i', inv, '--output', 'jsonl', '--retry-file', 'none']);
    expect(r.code, r.stdout.slice(-3000) + r.stderr).to.equal(0);
    // nothing unrendered reached the host
    expect(await sh(lab, 'lab2', 'ls /openstack/venvs/')).not.to.match(/[{}]|osa-0|Debian/);
    expect(await sh(lab, 'lab2', `${venv}/bin/python -c "import ww_alpha, ww_gamma, ww_cext, termcolor; print(ww_alpha.VERSION)"`)).to.equal('1.0\n');
    expect(await sh(lab, 'lab2', `cat ${venv}/requirements.txt`)).to.include('\nww-cext\n').and.include('\nww-gamma\n');
    expect(await sh(lab, 'lab2', `cat ${venv}/global-constraints.txt`)).to.include('\nww-alpha==1.0\n');
    expect(await sh(lab, 'lab2', 'cat /etc/ansible/facts.d/osa_jinja.fact')).to.match(
      new RegExp(`\\[osa-debian\\]\\s*\\nvenv_tag = osa-1\\s*\\nmanagement_address = ${ip.replace(/\./g, '\\.')}\\s*(\\n|$)`),
    );
  });

  it('facts are read back by real Ansible as ansible_local', async () => {
    const a = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const p = spawn('ansible', ['-i', lab.inventoryFile, 'lab2', '-m', 'setup', '-a', 'filter=ansible_local'], {
        env: { ...process.env, ANSIBLE_HOST_KEY_CHECKING: 'True', ANSIBLE_SSH_ARGS: `-o UserKnownHostsFile=${lab.knownHostsFile} -o IdentitiesOnly=yes`, ANSIBLE_NOCOLOR: '1' },
      });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (out += d));
      p.on('close', (code) => resolve({ code, out }));
    });
    expect(a.code, a.out).to.equal(0);
    expect(a.out).to.match(/"openstack_ansible":\s*\{\s*"demo":\s*\{\s*"venv_tag":\s*"1"/);
  });

  it('a requirement change builds only what is new and makes a new generation; the previous one stays', async () => {
    const venv = '/openstack/venvs/demo';
    const before = (await sh(lab, 'lab2', `readlink ${venv}`)).trim();
    const r = await deploy(venv, [], undefined, ['ww-alpha==2.0'], '2');
    expect(r.code, r.stdout.slice(-3000) + r.stderr).to.equal(0);
    const log = await sh(lab, 'lab1', 'cat /var/www/repo/os-releases/master/*/requirements/demo-wheel-build.log');
    expect(log).to.match(/ww_alpha-2\.0/);
    expect(log).not.to.match(/Building wheel for ww-cext/); // unchanged packages come from the shared wheel dir
    await Promise.all(TARGETS.map(async (t) => {
      expect((await sh(lab, t, importCheck(venv))).trim()).to.equal('2.0');
      const now = (await sh(lab, t, `readlink ${venv}`)).trim();
      expect(now).not.to.equal(before);
      expect(await sh(lab, t, `test -f ${venv}.generations/${before.split('/').pop()}/.wheelwright-marker.json && echo kept`)).to.include('kept');
      expect(await sh(lab, t, 'cat /var/tmp/demo-restarts')).to.equal('restart\nrestart\n');
      // unchanged packages are hard links into the previous generation; only the changed one was unpacked
      const ino = async (gen: string, mod: string) =>
        (await sh(lab, t, `stat -c %i "$(${venv}.generations/${gen}/bin/python -c 'import ${mod}; print(${mod}.__file__)')"`)).trim();
      const [oldGen, newGen] = [before.split('/').pop()!, now.split('/').pop()!];
      for (const mod of ['ww_cext', 'ww_beta', 'pip']) expect(await ino(newGen, mod), mod).to.equal(await ino(oldGen, mod));
      expect(await ino(newGen, 'ww_alpha')).not.to.equal(await ino(oldGen, 'ww_alpha'));
      expect(await sh(lab, t, `${venv}/bin/pip check`)).to.match(/No broken requirements/);
    }));
  });

  it('venv_rollback puts the previous generation back in service, from the controller', async () => {
    const venv = '/openstack/venvs/demo';
    const now = (await sh(lab, 'lab2', `readlink ${venv}`)).trim();
    const pb = join(work, 'rollback.yml');
    writeFileSync(pb, `- hosts: lab2\n  gather_facts: false\n  tasks:\n    - venv_rollback: { path: ${venv} }\n`);
    const r = await runCli([pb, '-i', lab.inventoryFile, '--output', 'jsonl', '--retry-file', 'none']);
    expect(r.code, r.stdout.slice(-1500)).to.equal(0);
    const back = (await sh(lab, 'lab2', `readlink ${venv}`)).trim();
    expect(back).not.to.equal(now);
    expect((await sh(lab, 'lab2', importCheck(venv))).trim()).to.equal('1.0'); // the alpha 1.0 generation again
    // the role's next run switches forward to the wanted generation (kept, so no rebuild)
    const fwd = await deploy(venv, ['--limit', 'lab1:lab2'], undefined, ['ww-alpha==2.0'], '2');
    expect(fwd.code, fwd.stdout.slice(-1500)).to.equal(0);
    expect((await sh(lab, 'lab2', `readlink ${venv}`)).trim()).to.equal(now);
  });

  it('--tags build only builds; --tags install only installs', async () => {
    const venv = '/openstack/venvs/tagged';
    const b = await deploy(venv, ['--tags', 'build']);
    expect(b.code, b.stderr).to.equal(0);
    for (const t of TARGETS) expect((await labSsh(lab, t, `test -e ${venv}`)).code).to.equal(1);
    // the build host's no-op check is ONE command: the recap counts the repo server's facts and the check
    const b2 = await deploy(venv, ['--tags', 'build']);
    expect(b2.code, b2.stderr).to.equal(0);
    expect(totalChanged(b2)).to.equal(0);
    expect(b2.events.find((e) => e.type === 'recap')!.remoteCommands.lab1, 'commands on the build host: facts + the build check').to.equal(2);
    const i = await deploy(venv, ['--tags', 'install']);
    expect(i.code, i.stdout.slice(-2000)).to.equal(0);
    expect(i.events.some((e) => e.type === 'host_result' && e.module === 'venv_wheels')).to.equal(false);
    for (const t of TARGETS) expect((await sh(lab, t, importCheck(venv))).trim()).to.equal('1.0');
    // install-only against a venv never built fails clearly
    const n = await deploy('/openstack/venvs/never-built', ['--tags', 'install']);
    expect(n.code).to.equal(2);
    expect(JSON.stringify(n.events)).to.include('run with --tags build');
  });

  it('--check on a venv never built reports the change and touches nothing', async () => {
    const venv = '/openstack/venvs/checked';
    const r = await deploy(venv, ['--check']);
    expect(r.code, r.stdout.slice(-2000)).to.equal(0);
    expect(totalChanged(r)).to.be.greaterThan(0);
    expect((await labSsh(lab, 'lab1', 'ls /var/www/repo/os-releases/master/*/requirements/checked-requirements.txt')).code).not.to.equal(0);
    for (const t of TARGETS) expect((await labSsh(lab, t, `test -e ${venv}`)).code).to.equal(1);
  });

  it('push transport streams only the missing wheels into a wheelhouse on the target', async () => {
    const venv = '/openstack/venvs/pushed';
    const WH = '/var/cache/wheelwright/wheelhouse';
    // lab5's wheelhouse holds the demo venv's wheels (fetched over http); two of them go missing
    await sh(lab, 'lab5', `rm -f ${WH}/*/ww_alpha-1.0-*.whl ${WH}/*/ww_gamma-*.whl ${WH}/*/pyc/ww_alpha-1.0-*.zip`);
    const had = new Set((await sh(lab, 'lab5', `cd ${WH} && sha256sum */*.whl || true`)).split('\n').filter(Boolean)
      .map((l) => { const [sha, path] = l.split(/\s+/); return `${path!.split('/').pop()}:${sha}`; }));
    const r = await deploy(venv, ['-e', 'venv_wheel_transport=push'], undefined, undefined, '1', 'lab5');
    expect(r.code, r.stdout.slice(-3000) + r.stderr).to.equal(0);
    expect((await sh(lab, 'lab5', importCheck(venv))).trim()).to.equal('1.0');
    const wh = await sh(lab, 'lab5', `ls ${WH}/*/`);
    expect(wh).to.match(/ww_alpha-1\.0-.*\.whl/);
    // exactly the build's files the wheelhouse lacked were pushed (one put each), not the closure
    const listed = (JSON.parse(await sh(lab, 'lab1', 'cat /var/www/repo/os-releases/master/*/requirements/pushed-wheels.json')) as { wheels: { file: string; sha256: string }[] }).wheels;
    const lacked = listed.filter((w) => !had.has(`${w.file}:${w.sha256}`)).map((w) => w.file);
    expect(lacked.some((f) => /^ww_alpha-1\.0-/.test(f)) && lacked.some((f) => /^ww_gamma-/.test(f)), lacked.join(' ')).to.equal(true);
    expect(lacked.length).to.be.lessThan(listed.length);
    const installed = r.events.find((e) => e.type === 'host_result' && e.host === 'lab5' && e.module === 'venv_install');
    expect(installed?.result.pushedWheels, 'wheels pushed').to.equal(lacked.length);
    // the wheels' byte-code companions travel the same way (the one removed), and are used
    expect(installed?.result.pushedPycs, 'byte-code companions pushed').to.equal(1);
    expect(await sh(lab, 'lab5', `grep '^installed ' ${venv}.log | tail -n1`)).to.match(/, 0 files byte-compiled, [1-9]\d* pycs from the build host\n$/);
    // the no-op with push is one command on the target too (the wheelhouse is looked at only to install)
    const again = await deploy(venv, ['-e', 'venv_wheel_transport=push'], undefined, undefined, '1', 'lab5');
    expect(again.code, again.stdout.slice(-3000)).to.equal(0);
    expect(totalChanged(again)).to.equal(0);
    expect(again.events.find((e) => e.type === 'recap')!.remoteCommands.lab5, 'remote commands on lab5').to.equal(1);
    expect((await sh(lab, 'lab5', `grep -c find-links ${venv}/.wheelwright-marker.json || true`)).trim()).to.be.oneOf(['0', '']);
  });

  it('no-build mode on one host builds on the target itself; more than 2 hosts are refused', async () => {
    const venv = '/openstack/venvs/nobuild';
    const args = ['-e', 'venv_wheel_build_enable=false', '-e', `venv_pip_install_args="--no-index --find-links ${pk.sdists} --find-links /usr/share/python-wheels"`];
    await ship(lab, 'lab6', packTree(PKG_DIR));
    const r = await deploy(venv, args, ['ww-gamma', 'ww-cext'], undefined, '1', 'nobuild');
    expect(r.code, r.stdout.slice(-3000) + r.stderr).to.equal(0);
    expect(await sh(lab, 'lab6', `${venv}/bin/python -c "import ww_gamma, ww_cext; print('ok')"`)).to.equal('ok\n');
    expect(await sh(lab, 'lab6', 'dpkg-query -W -f=\'${Status}\' liblz4-dev')).to.include('install ok installed');
    const refused = await deploy(venv, args, ['ww-gamma'], undefined, '1', 'venv_targets:nobuild');
    expect(refused.code).to.equal(2);
    expect(JSON.stringify(refused.events)).to.include('no-build mode with 5 hosts in this batch');
  });

  it('a venv path that exists on a target and is not wheelwright\'s is refused, naming host and path; nothing there is touched', async () => {
    const venv = '/openstack/venvs/foreign';
    await sh(lab, 'lab2', `rm -rf ${venv} ${venv}.generations && mkdir -p ${venv} && echo rows > ${venv}/data.db`);
    const r = await deploy(venv, [], ['ww-gamma'], ['ww-alpha==1.0'], '1', 'lab2');
    expect(r.code, r.stdout.slice(-3000) + r.stderr).to.equal(2);
    const fail = r.events.find((e) => e.type === 'host_result' && e.status === 'failed');
    expect(fail?.host).to.equal('lab2');
    expect(fail?.result.msg).to.include(`venv ${venv} on lab2`).and.include(`refusing to remove or replace ${venv} on host`).and.include('(data.db)');
    expect(await sh(lab, 'lab2', `cat ${venv}/data.db; ls -A ${venv}; test -e ${venv}.generations && echo generations || echo none`)).to.equal('rows\ndata.db\nnone\n');
    await sh(lab, 'lab2', `rm -rf ${venv}`);
  });

  it('a broken package fails the build cleanly; the next run retries it', async () => {
    const venv = '/openstack/venvs/broken';
    const r = await deploy(venv, [], ['ww-alpha', 'ww-broken']);
    expect(r.code).to.equal(2);
    const fail = r.events.find((e) => e.type === 'host_result' && e.status === 'failed');
    expect(fail?.result.msg).to.include('ww-broken').and.include('full log on lab1');
    expect((await labSsh(lab, 'lab1', 'ls /var/www/repo/os-releases/master/*/requirements/broken-requirements.txt')).code).not.to.equal(0);
    for (const t of TARGETS) expect((await labSsh(lab, t, `test -e ${venv}`)).code).to.equal(1);
    const again = await deploy(venv, [], ['ww-alpha', 'ww-broken']);
    expect(again.code).to.equal(2);
    const log = await sh(lab, 'lab1', 'cat /var/www/repo/os-releases/master/*/requirements/broken-wheel-build.log');
    expect(log.match(/started/g)?.length ?? 0).to.be.greaterThan(1); // pip ran again: nothing was marked done
  });

  it('killing a target mid-install leaves the old venv in service; the rerun finishes it', async () => {
    const venv = '/openstack/venvs/demo';
    const before = (await sh(lab, 'lab3', `readlink ${venv}`)).trim();
    const run = deploy(venv, [], ['ww-gamma', 'ww-cext', pk.gitRequirement, 'ww-beta'], ['ww-alpha==1.0'], '3');
    // wait for lab3 to start building its new generation, then kill the host (sshd and pip with it)
    const t0 = Date.now();
    while (Date.now() - t0 < 120_000) {
      const r = await labHostExec('lab3', `ls ${venv}.generations | wc -l`);
      if (Number(r.stdout.trim()) > 2 || (await labHostExec('lab3', `pgrep -f 'pip install' || true`)).stdout.trim()) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    await labHostKill('lab3');
    const r = await run;
    expect(r.code).to.equal(4);
    expect(recap(r).lab3!.unreachable).to.equal(1);
    expect((await labHostExec('lab3', `readlink ${venv}`)).stdout.trim()).to.equal(before);
    expect((await labHostExec('lab3', `${venv}/bin/python -c "import ww_gamma; print(1)"`)).stdout.trim()).to.equal('1');
    await labHostRestart('lab3');
    const again = await deploy(venv, [], ['ww-gamma', 'ww-cext', pk.gitRequirement, 'ww-beta'], ['ww-alpha==1.0'], '3');
    expect(again.code, again.stdout.slice(-3000)).to.equal(0);
    expect((await sh(lab, 'lab3', `readlink ${venv}`)).trim()).not.to.equal(before);
    expect((await sh(lab, 'lab3', importCheck(venv))).trim()).to.equal('1.0');
  });

  it('an unreachable build host does not break the keys of the reachable ones', async () => {
    const venv = '/openstack/venvs/demo';
    const inv2 = join(work, 'dead-first.yml');
    // lab6 is listed first in repo_all and is down: lab1 (same key) must serve the build
    writeFileSync(inv2, `all:\n  children:\n    repo_all:\n      hosts:\n        lab6: {}\n        lab1: {}\n    venv_targets:\n      hosts:\n        lab2: {}\n  vars:\n    openstack_repo_url: http://${lab.hosts[0]!.address}:8181\n`);
    await labHostKill('lab6');
    try {
      const r = await runCli([
        SITE, '-i', lab.inventoryFile, '-i', inv2, '--limit', 'lab1:lab2', '--output', 'jsonl', '--retry-file', 'none', '-T', '3',
        '-e', JSON.stringify({ target_hosts: 'venv_targets', venv_path: venv, sdists: pk.sdists, global_pins: ['ww-alpha==1.0'], venv_tag: '3', pkgs: ['ww-gamma', 'ww-cext', pk.gitRequirement, 'ww-beta'] }),
      ]);
      expect(r.code, r.stdout.slice(-2000)).to.equal(0);
      expect((await sh(lab, 'lab2', importCheck(venv))).trim()).to.equal('1.0');
    } finally {
      await labHostRestart('lab6');
    }
  });

  it('two concurrent runs on the same targets both end correctly', async () => {
    const venv = '/openstack/venvs/concurrent';
    const [a, b] = await Promise.all([deploy(venv), deploy(venv)]);
    expect(a.code, a.stdout.slice(-2000)).to.equal(0);
    expect(b.code, b.stdout.slice(-2000)).to.equal(0);
    await Promise.all(TARGETS.map(async (t) => {
      expect((await sh(lab, t, importCheck(venv))).trim()).to.equal('1.0');
      expect((await sh(lab, t, `ls ${venv}.generations`)).trim().split('\n')).to.have.length(1);
    }));
  });
});
