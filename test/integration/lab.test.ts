import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { parse } from 'yaml';
import {
  labDown, labHealth, labHostExec, labHostKill, labHostRestart, labLinkDown, labLinkUp, labStatus, labUp, labCli, type Lab,
} from '../../src/lab/index.js';
import { run, tcpConnects } from '../../src/lab/run.js';
import { mountsUnder } from '../../src/lab/mounts.js';
import { isLabProcess, savedPids } from '../../src/lab/state.js';
import { labSsh, labSshArgs, otherLabUsers, skipWithoutLab, useLab } from './_lab-fixture.js';

const N = 6;

async function controllerHas(pkg: string): Promise<boolean> {
  const r = await run('dpkg-query', ['-W', '-f=${Status}', pkg]);
  return r.code === 0 && r.stdout.includes('install ok installed');
}

describe('lab: isolated real hosts', function () {
  this.timeout(300_000);
  let lab: Lab;

  before(async function () {
    skipWithoutLab(this);
    this.timeout(900_000);
    lab = await useLab(N, { fresh: true });
  });

  it(`has ${N} hosts on the lab subnet, each with its own hostname and a strict known_hosts`, async () => {
    expect(lab.hosts.map((h) => h.name)).to.deep.equal(Array.from({ length: N }, (_, i) => `lab${i + 1}`));
    expect(lab.hosts.map((h) => h.address)).to.deep.equal(Array.from({ length: N }, (_, i) => `10.231.0.${11 + i}`));
    const results = await Promise.all(lab.hosts.map((h) => labSsh(lab, h.name, 'hostname')));
    results.forEach((r, i) => {
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout.trim()).to.equal(`lab${i + 1}`);
    });
    const keys = readFileSync(lab.knownHostsFile, 'utf8').trim().split('\n').map((l) => l.split(' ').slice(1).join(' '));
    expect(new Set(keys).size, 'a distinct host key per host').to.equal(N);
  });

  it('refuses a host whose key does not match (strict host key checking is real)', async () => {
    // lab1's key filed under lab2's address
    const lines = readFileSync(lab.knownHostsFile, 'utf8').trim().split('\n');
    const wrong = `/tmp/ww-lab-wrong-kh-${process.pid}`;
    const { writeFileSync, rmSync } = await import('node:fs');
    writeFileSync(wrong, `${lab.hosts[1]!.address} ${lines[0]!.split(' ').slice(1).join(' ')}\n`);
    try {
      // (ssh keeps the first value of an option: replace the lab's known_hosts, do not append another)
      const args = labSshArgs(lab).map((a) => (a.startsWith('UserKnownHostsFile=') ? `UserKnownHostsFile=${wrong}` : a));
      const r = await run('ssh', [...args, `root@${lab.hosts[1]!.address}`, 'true']);
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.match(/HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    } finally {
      rmSync(wrong, { force: true });
    }
  });

  it('has its own pid namespace and process table', async () => {
    const r = await labSsh(lab, 'lab1', 'ps -e -o pid=,comm=');
    expect(r.code, r.stderr).to.equal(0);
    const procs = r.stdout.trim().split('\n');
    expect(procs.length).to.be.lessThan(20);
    expect(procs[0]!.trim()).to.match(/^1 sshd$/);
  });

  it('keeps files apart: written on lab1, absent on lab2 and on the controller', async () => {
    const f = `/root/ww-lab-probe-${randomBytes(4).toString('hex')}`;
    expect((await labSsh(lab, 'lab1', `echo hello > ${f}`)).code).to.equal(0);
    expect((await labSsh(lab, 'lab1', `cat ${f}`)).stdout).to.equal('hello\n');
    expect((await labSsh(lab, 'lab2', `test -e ${f}`)).code).to.equal(1);
    expect(existsSync(f)).to.equal(false);
    // The controller sees it only under lab1's root.
    expect(readFileSync(`${lab.hosts[0]!.root}${f}`, 'utf8')).to.equal('hello\n');
    expect((await labHostExec('lab1', `cat ${f}`)).stdout).to.equal('hello\n');
    expect((await labHostExec('lab2', `test -e ${f}; echo $?`)).stdout.trim()).to.equal('1');
  });

  it('installs tree on lab2 from the local apt repository; the controller and lab3 do not get it', async () => {
    expect(await controllerHas('tree'), 'tree must not be installed on the controller').to.equal(false);
    const r = await labSsh(lab, 'lab2', 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q tree && tree --version');
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    expect(r.stdout).to.match(/tree v2/);
    expect((await labHostExec('lab2', "dpkg-query -W -f='${Status}' tree")).stdout).to.equal('install ok installed');
    expect((await labHostExec('lab3', 'dpkg-query -W tree >/dev/null 2>&1; echo $?')).stdout.trim()).to.equal('1');
    expect(await controllerHas('tree')).to.equal(false);
    // The hosts know only the lab repository.
    expect((await labHostExec('lab3', 'cat /etc/apt/sources.list; ls /etc/apt/sources.list.d | wc -l')).stdout).to.equal(
      `deb [trusted=yes] file:${lab.aptRepoDir} ./\n0\n`,
    );
  });

  it(`provides a Python module package (${'python3-termcolor or similar'}) absent on the controller`, async () => {
    const pkg = lab.pythonModulePackage;
    const mod = pkg.replace(/^python3-/, '');
    expect(await controllerHas(pkg)).to.equal(false);
    const r = await labSsh(lab, 'lab4', `DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${pkg} >/dev/null && python3 -c 'import ${mod}; print(${mod}.__file__)'`);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout.trim()).to.match(new RegExp(`^/usr/lib/python3/dist-packages/${mod}`));
    expect((await run('python3', ['-c', `import ${mod}`])).code).to.not.equal(0);
  });

  it('has a sudo user whose password sudo -S accepts (and a wrong one it refuses)', async () => {
    const { name, password } = lab.sudoUser;
    const ok = await labSsh(lab, 'lab3', "sudo -S -p '' id -u", { user: name, input: `${password}\n` });
    expect(ok.code, ok.stderr).to.equal(0);
    expect(ok.stdout.trim()).to.equal('0');
    const bad = await labSsh(lab, 'lab3', "sudo -S -p '' id -u", { user: name, input: 'wrong-password\n' });
    expect(bad.code).to.not.equal(0);
    expect((await labSsh(lab, 'lab3', 'id -un', { user: name })).stdout.trim()).to.equal(name);
    // Only in the lab: not on the controller.
    expect((await run('id', [name])).code).to.not.equal(0);
    expect(readFileSync(`${lab.dir}/sudo-password`, 'utf8').trim()).to.equal(password);
  });

  it('writes an inventory with group lab, the key, the known_hosts file', () => {
    const inv = parse(readFileSync(lab.inventoryFile, 'utf8'));
    const hosts = inv.all.children.lab.hosts;
    expect(Object.keys(hosts)).to.have.length(N);
    expect(hosts.lab3).to.deep.equal({ ansible_host: '10.231.0.13', ansible_user: 'root', ansible_ssh_private_key_file: lab.privateKeyFile });
    expect(inv.all.vars.wheelwright_known_hosts_file).to.equal(lab.knownHostsFile);
    expect(inv.all.vars.wheelwright_lab_sudo_password).to.equal(lab.sudoUser.password);
  });

  it('kills and restarts a host; takes a link down and up', async () => {
    const lab5 = lab.hosts[4]!;
    await labHostKill('lab5');
    expect(await tcpConnects(lab5.address, 22, 1000)).to.equal(false);
    // Its filesystem is still there for assertions.
    expect((await labHostExec('lab5', 'cat /etc/hostname')).stdout).to.equal('lab5\n');
    const back = await labHostRestart('lab5');
    expect(back.pid).to.not.equal(lab5.pid);
    expect((await labSsh(lab, 'lab5', 'hostname')).stdout.trim()).to.equal('lab5');

    const lab6 = lab.hosts[5]!;
    await labLinkDown('lab6');
    expect(await tcpConnects(lab6.address, 22, 500)).to.equal(false);
    await labLinkUp('lab6');
    expect(await tcpConnects(lab6.address, 22, 3000)).to.equal(true);
    expect((await labHealth()).every((h) => h.reachable)).to.equal(true);
  });

  it('repairs a killed host on the next labUp and is quick when already up', async () => {
    await labHostKill('lab4');
    lab = await labUp(N);
    expect((await labSsh(lab, 'lab4', 'hostname')).stdout.trim()).to.equal('lab4');
    const t0 = Date.now();
    const again = await labUp(N);
    expect(Date.now() - t0).to.be.lessThan(3000);
    expect(again.hosts.map((h) => h.pid)).to.deep.equal(lab.hosts.map((h) => h.pid));
  });

  it('reports status through the CLI entry point', async () => {
    expect(await labCli(['frobnicate'])).to.equal(5);
    expect(await labCli(['up', 'many'])).to.equal(5);
    const st = await labStatus();
    expect(st?.hosts).to.have.length(N);
  });

  it('labDown leaves nothing behind, is safe twice, and labUp works again', async function () {
    const others = otherLabUsers();
    if (others.length && !process.env.CI) {
      // Another test process is using the lab right now: do not pull it from under it.
      this.skip();
    }
    this.timeout(600_000);
    const pids = (await savedPids()).map((p) => ({ ...p }));
    expect(pids).to.have.length(N);
    await labDown();
    await labDown();
    expect((await run('ip', ['netns', 'list'])).stdout).to.not.match(/wwlab/);
    expect((await run('ip', ['-o', 'link', 'show'])).stdout).to.not.match(/wwlab|labbr0/);
    expect(await mountsUnder(lab.dir)).to.deep.equal([]);
    expect(readFileSync('/proc/mounts', 'utf8')).to.not.include(lab.dir);
    for (const p of pids) {
      expect(isLabProcess(p.pid, p.name), `${p.name} pid ${p.pid}`).to.equal(false);
      expect(existsSync(`/proc/${p.pid}`) && !readFileSync(`/proc/${p.pid}/stat`, 'utf8').includes(') Z ')).to.equal(false);
    }
    expect(existsSync(lab.dir)).to.equal(false);
    expect(await labStatus()).to.equal(undefined);
    // With the lab down, a lab address is unreachable at once, not routed out by the default route.
    expect((await run('ip', ['route', 'get', lab.hosts[0]!.address])).stderr).to.match(/No route to host/);

    lab = await labUp(N);
    const r = await labSsh(lab, 'lab6', 'hostname; test -e /usr/bin/tree; echo $?');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal('lab6\n1\n');
    expect((await run('ip', ['route', 'get', lab.hosts[0]!.address])).stdout).to.include('dev labbr0');
    // Fresh: what lab2 installed before is gone.
    expect((await labHostExec('lab2', 'test -e /usr/bin/tree; echo $?')).stdout.trim()).to.equal('1');
  });
});
