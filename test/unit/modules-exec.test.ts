import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalConnection } from '../../src/connection/local.js';
import type { Connection, ExecOptions } from '../../src/connection/types.js';
import { parseMarked } from '../../src/modules/lib/exec.js';
import { composeAptScript, parsePkgOutput } from '../../src/modules/lib/pkg.js';
import { makeCtx, runModule } from '../fixtures/modules/ctx.js';
import { tempDir } from '../helpers/tmp.js';

let dir: string;
beforeEach(async () => {
  dir = tempDir('ww-exec-');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A LocalConnection that counts round trips and remembers the options it was given. */
class Counting extends LocalConnection {
  calls: Array<{ command: string; opts?: ExecOptions }> = [];
  override exec(command: string, opts?: ExecOptions) {
    this.calls.push({ command, opts });
    return super.exec(command, opts);
  }
}

describe('modules: command and shell', () => {
  it('command runs argv without a shell and returns output fields', async () => {
    const r = await runModule('command', { _raw_params: `printf '%s|' "a b" '$HOME' ';'` });
    expect(r.failed, r.msg).to.not.equal(true);
    expect(r).to.include({ changed: true, rc: 0, stdout: 'a b|$HOME|;|', stderr: '' });
    expect(r.stdout_lines).to.deep.equal(['a b|$HOME|;|']);
    const a = await runModule('command', { argv: ['echo', '$(id)', 'x y'] });
    expect(a.stdout).to.equal('$(id) x y');
    const c = await runModule('command', { cmd: 'echo hi' });
    expect(c.stdout).to.equal('hi');
  });

  it("fails on a non-zero rc with Ansible's msg (stderr in stderr)", async () => {
    const r = await runModule('shell', { _raw_params: 'echo out; echo boom >&2; exit 3' });
    expect(r).to.include({ failed: true, rc: 3, stdout: 'out', stderr: 'boom' });
    expect(r.msg).to.equal('non-zero return code');
    expect(r.stderr_lines).to.deep.equal(['boom']);
  });

  it('chdir, creates and removes (with globs), inline options', async () => {
    const marker = join(dir, 'made.flag');
    const r1 = await runModule('shell', { _raw_params: 'touch made.flag && pwd', chdir: dir, creates: join(dir, 'made*') });
    expect(r1.changed, r1.msg).to.equal(true);
    expect(r1.stdout).to.equal(dir);
    const r2 = await runModule('shell', { _raw_params: 'touch made.flag && pwd', chdir: dir, creates: join(dir, 'made*') });
    expect(r2.changed).to.equal(false);
    expect(r2.msg).to.match(/exists/);
    const r3 = await runModule('command', { _raw_params: `rm ${marker} removes=${marker}` });
    expect(r3.changed, r3.msg).to.equal(true);
    const r4 = await runModule('command', { _raw_params: `rm ${marker} removes=${marker}` });
    expect(r4.changed).to.equal(false);
    const r5 = await runModule('command', { _raw_params: `pwd chdir=${dir}` });
    expect(r5.stdout).to.equal(dir);
  });

  it('check mode: skipped, or decided by creates/removes without running', async () => {
    const flag = join(dir, 'f');
    const s = await runModule('shell', { _raw_params: `touch ${flag}` }, makeCtx({ check: true }));
    expect(s.skipped).to.equal(true);
    const w = await runModule('shell', { _raw_params: `touch ${flag}`, creates: flag }, makeCtx({ check: true }));
    expect(w.changed).to.equal(true);
    expect(w.skipped).to.equal(undefined);
    await writeFile(flag, '');
    const o = await runModule('shell', { _raw_params: `rm ${flag}`, creates: flag }, makeCtx({ check: true }));
    expect(o.changed).to.equal(false);
    expect(await readFile(flag, 'utf8')).to.equal('');
  });

  it('shell executable, stdin, environment and become are passed through in one round trip', async () => {
    const conn = new Counting();
    const env = { WW_TEST: 'v a l' };
    const r = await runModule('shell', { _raw_params: 'echo "${BASH_VERSION:+bash} $WW_TEST"; cat', executable: '/bin/bash', stdin: 'in' }, makeCtx({ conn, env }));
    expect(r.stdout).to.equal('bash v a l\nin');
    expect(conn.calls).to.have.length(1);
    expect(conn.calls[0]!.opts!.env).to.deep.equal(env);
  });
});

describe('modules: setup', () => {
  it('gathers facts from this host in one exec', async () => {
    const conn = new Counting();
    const r = await runModule('setup', {}, makeCtx({ conn }));
    expect(conn.calls).to.have.length(1);
    const f = r.ansible_facts as Record<string, any>;
    expect(r.changed).to.equal(false);
    expect(f.ansible_distribution).to.equal('Debian');
    expect(f.ansible_os_family).to.equal('Debian');
    expect(f.ansible_distribution_major_version).to.equal('12');
    expect(f.ansible_distribution_release).to.equal('bookworm');
    expect(f.ansible_pkg_mgr).to.equal('apt');
    expect(f.ansible_architecture).to.match(/^(x86_64|aarch64)$/);
    expect(f.ansible_user_id).to.equal('root');
    expect(f.ansible_env.PATH).to.be.a('string').and.not.equal('');
    expect(f.ansible_processor_vcpus).to.be.a('number').above(0);
    expect(f.ansible_hostname).to.be.a('string').and.not.contain('.');
    expect(f.ansible_service_mgr).to.be.a('string');
    if (f.ansible_python) expect(f.ansible_python_version).to.match(/^3\.\d+\.\d+$/);
  });

  it('filter keeps only matching facts', async () => {
    const r = await runModule('setup', { filter: ['ansible_distribution*'], gather_subset: ['!all'] });
    // discovered_interpreter_python is interpreter discovery's fact (no ansible_python_interpreter here), outside the filter as in Ansible
    expect(Object.keys(r.ansible_facts!).filter((k) => k !== 'discovered_interpreter_python').sort()).to.deep.equal([
      'ansible_distribution', 'ansible_distribution_major_version', 'ansible_distribution_release', 'ansible_distribution_version',
    ]);
  });
});

/** Stub apt tools on PATH, keeping "installed" state in a directory, so nothing is really installed. */
async function fakeApt(root: string): Promise<{ env: Record<string, string>; state: string }> {
  const bin = join(root, 'bin');
  const state = join(root, 'state');
  await mkdir(bin, { recursive: true });
  await mkdir(join(state, 'installed'), { recursive: true });
  await mkdir(join(state, 'available'), { recursive: true });
  const write = async (name: string, body: string) => {
    await writeFile(join(bin, name), `#!/bin/sh\n${body}\n`);
    await chmod(join(bin, name), 0o755);
  };
  await write('dpkg-query', `for n in "$@"; do case "$n" in -*) continue ;; esac
  [ -f "$WW_STATE/installed/$n" ] && printf '%s|%s|install ok installed|%s\\n' "$n" "$n" "$(cat "$WW_STATE/installed/$n")"
done; exit 0`);
  await write('apt-cache', `shift; for n in "$@"; do
  [ -f "$WW_STATE/available/$n" ] || [ -f "$WW_STATE/installed/$n" ] || continue
  echo "$n:"
  if [ -f "$WW_STATE/installed/$n" ]; then echo "  Installed: $(cat "$WW_STATE/installed/$n")"; else echo "  Installed: (none)"; fi
  if [ -f "$WW_STATE/available/$n" ]; then echo "  Candidate: $(cat "$WW_STATE/available/$n")"; else echo "  Candidate: (none)"; fi
done`);
  await write('apt-get', `echo "$*" >> "$WW_STATE/log"
op=; for a in "$@"; do case "$a" in install|remove|update|autoremove) op=$a;; -*|*=*Timeout*|*force-conf*) ;; *) [ -n "$op" ] && pk="$pk $a";; esac; done
for p in $pk; do n=\${p%%=*}
  case "$op" in install) cat "$WW_STATE/available/$n" > "$WW_STATE/installed/$n" ;; remove) rm -f "$WW_STATE/installed/$n" ;; esac
done
echo "Setting up stuff"`);
  return { env: { PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin`, WW_STATE: state }, state };
}

describe('modules: package', () => {
  it('check mode against the real apt: an installed package (coreutils) is ok', async () => {
    const conn = new Counting();
    const r = await runModule('apt', { name: 'coreutils', state: 'present' }, makeCtx({ conn, check: true, facts: { ansible_pkg_mgr: 'apt' } }));
    expect(r.failed, r.msg).to.not.equal(true);
    expect(r.changed).to.equal(false);
    expect(conn.calls).to.have.length(1);
    // latest: the packages apt itself says are upgradable (computed independently here)
    const names = ['coreutils', 'bash', 'dpkg'];
    const pol = execFileSync('apt-cache', ['policy', ...names], { encoding: 'utf8' });
    const upgradable = names.filter((n) => {
      const block = pol.split(/^(?=\S)/m).find((b) => b.startsWith(`${n}:`)) ?? '';
      return /Installed: (\S+)/.exec(block)?.[1] !== /Candidate: (\S+)/.exec(block)?.[1];
    });
    const l = await runModule('package', { name: names, state: 'latest' }, makeCtx({ check: true, facts: { ansible_pkg_mgr: 'apt' } }));
    expect(l.failed, l.msg).to.not.equal(true);
    expect(l.changed).to.equal(upgradable.length > 0);
    expect(l.installed ?? []).to.deep.equal(upgradable);
    const missing = await runModule('package', { name: 'ww-no-such-package-xyz' }, makeCtx({ check: true, facts: { ansible_pkg_mgr: 'apt' } }));
    expect(missing.failed).to.equal(true);
    expect(missing.msg).to.match(/No package matching 'ww-no-such-package-xyz'/);
  });

  it('check mode cache_valid_time: fresh cache is not refreshed, stale one would be', async () => {
    const fresh = await runModule('apt', { update_cache: true, cache_valid_time: 1_000_000_000 }, makeCtx({ check: true, facts: { ansible_pkg_mgr: 'apt' } }));
    expect(fresh).to.include({ changed: false, cache_updated: false });
    const stale = await runModule('apt', { update_cache: true, cache_valid_time: 1 }, makeCtx({ check: true, facts: { ansible_pkg_mgr: 'apt' } }));
    expect(stale.failed, stale.msg).to.not.equal(true);
    expect(stale).to.include({ cache_updated: true, changed: true });
  });

  it('installs, is idempotent, upgrades for latest, removes (stubbed apt tools)', async () => {
    const { env, state } = await fakeApt(dir);
    await writeFile(join(state, 'available', 'foo'), '1.0');
    await writeFile(join(state, 'available', 'bar'), '2.0');
    const ctx = (check = false) => makeCtx({ env, check, facts: { ansible_pkg_mgr: 'apt' } });
    const c = await runModule('apt', { name: ['foo', 'bar'] }, ctx(true));
    expect(c.changed, c.msg).to.equal(true);
    expect(c.installed).to.deep.equal(['foo', 'bar']);
    let log = await readFile(join(state, 'log'), 'utf8').catch(() => '');
    expect(log).to.equal('');
    const r1 = await runModule('apt', { name: ['foo', 'bar'] }, ctx());
    expect(r1.changed, r1.msg).to.equal(true);
    log = await readFile(join(state, 'log'), 'utf8');
    expect(log).to.contain('install').and.contain('--no-install-recommends').and.contain('foo bar');
    const r2 = await runModule('apt', { name: ['foo', 'bar'] }, ctx());
    expect(r2.changed).to.equal(false);
    await writeFile(join(state, 'available', 'foo'), '1.1');
    expect((await runModule('apt', { name: 'foo' }, ctx())).changed).to.equal(false);
    const up = await runModule('apt', { name: 'foo', state: 'latest' }, ctx());
    expect(up.changed).to.equal(true);
    expect(await readFile(join(state, 'installed', 'foo'), 'utf8')).to.equal('1.1');
    expect((await runModule('apt', { name: 'foo', state: 'latest' }, ctx())).changed).to.equal(false);
    expect((await runModule('apt', { name: 'foo=1.1' }, ctx())).changed).to.equal(false);
    expect((await runModule('apt', { name: 'bar', state: 'absent' }, ctx(true))).changed).to.equal(true);
    const rm1 = await runModule('apt', { name: 'bar', state: 'absent' }, ctx());
    expect(rm1.changed).to.equal(true);
    expect((await runModule('apt', { name: 'bar', state: 'absent' }, ctx())).changed).to.equal(false);
  });

  it('apt: "these are installed" remembered per dpkg database stamp: a no-op runs no dpkg-query; any change asks again', async function () {
    if (!existsSync('/usr/bin/dpkg-query')) this.skip();
    // a copy of this machine's dpkg database (DPKG_ADMINDIR), so that it can be changed
    const adm = join(dir, 'dpkg');
    await mkdir(join(adm, 'updates'), { recursive: true });
    await writeFile(join(adm, 'status'), await readFile('/var/lib/dpkg/status'));
    const memo = join(dir, 'memo');
    await mkdir(memo, { mode: 0o755 });
    await chmod(memo, 0o755);
    const run = (o: { names?: string[]; state?: 'present' | 'latest' | 'absent'; check?: boolean; path?: string } = {}) => {
      const script = composeAptScript({ names: o.names ?? ['coreutils', 'dpkg'], state: o.state ?? 'present', updateCache: false, cacheValidTime: 0, check: o.check ?? false, memoDir: memo });
      const out = execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: { PATH: o.path ?? '/usr/sbin:/usr/bin:/sbin:/bin', DPKG_ADMINDIR: adm } });
      const { all } = parseMarked(out);
      return { memo: all.memo?.[0] === '1', ok: all.ok ?? [], outcome: parsePkgOutput(all) };
    };
    expect(run({ check: true })).to.deep.include({ memo: false, ok: ['coreutils', 'dpkg'] });
    expect(existsSync(join(memo, 'apt-installed')), 'check mode remembers nothing').to.equal(false);
    expect(run()).to.deep.include({ memo: false, ok: ['coreutils', 'dpkg'] });
    const second = run();
    expect(second).to.deep.include({ memo: true, ok: ['coreutils', 'dpkg'] });
    expect(second.outcome).to.include({ changed: false, failed: false });
    expect(run({ check: true }).memo, 'check mode reads it').to.equal(true);
    // another set of names is another answer; versions, latest and absent always ask dpkg
    expect(run({ names: ['dpkg'] }).memo).to.equal(false);
    expect(run({ names: ['dpkg'] }).memo).to.equal(true);
    expect(run().memo, 'both answers kept under one stamp').to.equal(true);
    expect(run({ names: ['coreutils=0'], check: true }).memo).to.equal(false);
    expect(run({ state: 'absent', names: ['ww-no-such-package-xyz'] }).memo).to.equal(false);
    // a package change (dpkg rewrites its status file, or journals into updates/): asked again
    await writeFile(join(adm, 'status.new'), await readFile(join(adm, 'status')));
    await rename(join(adm, 'status.new'), join(adm, 'status'));
    expect(run().memo).to.equal(false);
    expect(run().memo).to.equal(true);
    await writeFile(join(adm, 'updates', '0001'), '');
    expect(run().memo).to.equal(false);
    expect(run().memo).to.equal(true);
    // a memo file or directory others may write, or another dpkg-query first on PATH: not used
    await chmod(join(memo, 'apt-installed'), 0o666);
    expect(run().memo).to.equal(false);
    await chmod(join(memo, 'apt-installed'), 0o644);
    expect(run().memo).to.equal(true);
    await chmod(memo, 0o777);
    expect(run().memo).to.equal(false);
    await chmod(memo, 0o755);
    const bin = join(dir, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'dpkg-query'), '#!/bin/sh\nexec /usr/bin/dpkg-query "$@"\n', { mode: 0o755 });
    expect(run({ path: `${bin}:/usr/bin:/bin` })).to.deep.include({ memo: false, ok: ['coreutils', 'dpkg'] });
    expect(run().memo).to.equal(true);
  });

  it('rejects hostile package names before they reach a shell', async () => {
    const r = await runModule('package', { name: ['foo; rm -rf /'] }, makeCtx({ check: true, facts: { ansible_pkg_mgr: 'apt' } }));
    expect(r.failed).to.equal(true);
    expect(r.msg).to.match(/invalid package name/);
  });
});

/** A stub systemctl keeping unit state in files. */
async function fakeSystemd(root: string): Promise<{ env: Record<string, string>; state: string }> {
  const bin = join(root, 'sbin');
  const state = join(root, 'units');
  await mkdir(bin, { recursive: true });
  await mkdir(state, { recursive: true });
  await writeFile(join(bin, 'systemctl'), `#!/bin/sh
S="$WW_UNITS"; cmd=$1; shift
for a in "$@"; do case "$a" in -*) ;; *) u=$a ;; esac; done
echo "$cmd $u" >> "$S/log"
case "$cmd" in
  show) if [ -d "$S/$u" ]; then echo LoadState=loaded; echo "ActiveState=$(cat "$S/$u/active")"; else echo LoadState=not-found; echo ActiveState=inactive; fi ;;
  is-enabled) [ -d "$S/$u" ] || exit 1; cat "$S/$u/enabled"; grep -q '^enabled' "$S/$u/enabled" ;;
  start|restart|reload) echo active > "$S/$u/active" ;;
  stop) echo inactive > "$S/$u/active" ;;
  enable) echo enabled > "$S/$u/enabled" ;;
  disable) echo disabled > "$S/$u/enabled" ;;
  daemon-reload) ;;
esac
`);
  await chmod(join(bin, 'systemctl'), 0o755);
  return { env: { PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin`, WW_UNITS: state }, state };
}

describe('modules: service', () => {
  it('started/enabled idempotent, restarted always changed, check mode acts on nothing (stubbed systemctl)', async () => {
    const { env, state } = await fakeSystemd(dir);
    await mkdir(join(state, 'web.service'));
    await writeFile(join(state, 'web.service', 'active'), 'inactive\n');
    await writeFile(join(state, 'web.service', 'enabled'), 'disabled\n');
    const ctx = (check = false) => makeCtx({ env, check, facts: { ansible_service_mgr: 'systemd' } });
    const c = await runModule('service', { name: 'web.service', state: 'started', enabled: true }, ctx(true));
    expect(c.changed, c.msg).to.equal(true);
    expect(await readFile(join(state, 'web.service', 'active'), 'utf8')).to.equal('inactive\n');
    const r1 = await runModule('systemd', { name: 'web.service', state: 'started', enabled: true }, ctx());
    expect(r1.changed, r1.msg).to.equal(true);
    expect({ state: r1.state, enabled: r1.enabled }).to.deep.equal({ state: 'started', enabled: true });
    expect(await readFile(join(state, 'web.service', 'active'), 'utf8')).to.equal('active\n');
    expect(await readFile(join(state, 'web.service', 'enabled'), 'utf8')).to.equal('enabled\n');
    const r2 = await runModule('service', { name: 'web.service', state: 'started', enabled: true }, ctx());
    expect(r2.changed).to.equal(false);
    expect((await runModule('service', { name: 'web.service', state: 'restarted' }, ctx())).changed).to.equal(true);
    expect((await runModule('service', { name: 'web.service', state: 'stopped', enabled: false }, ctx())).changed).to.equal(true);
    expect(await readFile(join(state, 'web.service', 'enabled'), 'utf8')).to.equal('disabled\n');
    expect((await runModule('service', { name: 'web.service', state: 'stopped' }, ctx())).changed).to.equal(false);
    const nf = await runModule('service', { name: 'nope.service', state: 'started' }, ctx());
    expect(nf.failed).to.equal(true);
    expect(nf.msg).to.match(/Could not find/);
  });
});
