import type { ModuleContext, ModuleDef, ModuleResult } from './types.js';
import { execFailure, inSh, parseMarked, run, tail } from './lib/exec.js';
import { composeAptScript, composeDnfScript, parsePkgOutput, validSpec, type PkgParams } from './lib/pkg.js';

export interface PackageArgs {
  name?: string[];
  state: 'present' | 'installed' | 'latest' | 'absent' | 'removed';
  update_cache: boolean;
  cache_valid_time: number;
  purge: boolean;
  autoremove: boolean;
  install_recommends: boolean;
  lock_timeout: number;
  enablerepo?: string[];
  disablerepo?: string[];
  use: 'auto' | 'apt' | 'dnf' | 'yum';
  force_apt_get: boolean;
}

/** Which manager: `use`, else the ansible_pkg_mgr fact, else one probe of the host. */
async function pickManager(args: PackageArgs, ctx: ModuleContext): Promise<string> {
  if (args.use !== 'auto') return args.use;
  const fact = ctx.facts.ansible_pkg_mgr ?? ctx.facts.pkg_mgr;
  if (typeof fact === 'string' && fact && fact !== 'unknown') return fact;
  return ctx.once(`pkg_mgr:${ctx.conn.host}`, async () => {
    const r = await run(ctx, 'for m in apt-get dnf yum dnf5; do if command -v $m >/dev/null 2>&1; then echo $m; exit 0; fi; done; echo unknown');
    const m = r.stdout.trim();
    return m === 'apt-get' ? 'apt' : m;
  });
}

/** package (aliases apt, dnf): ensure packages are present, latest or absent, in one round trip. */
export const packageModule: ModuleDef<PackageArgs> = {
  name: 'package',
  description: "Install, upgrade or remove packages with apt or dnf/yum (one round trip).",
  notes: "One round trip decides and acts: apt uses `dpkg-query -W` (installed + version) and\n`apt-cache policy` (candidate, upgradable, missing) then `DEBIAN_FRONTEND=noninteractive apt-get\ninstall -y -q --no-install-recommends` with `--force-confdef/--force-confold`; dnf/yum use `rpm -q`,\n`check-update`, `install`/`upgrade`/`remove`. `changed` only when something was installed, upgraded\nor removed (a cache-only task: when the cache was refreshed). Unknown packages fail with\n`No package matching 'x' is available` (apt, also in check mode). Network retries belong to the task's\n`retries` with `until: result is success`. Returns `installed, upgraded, removed, cache_updated, stdout, stderr, rc, msg`.\n\napt, `state: present` without versions: \"these packages are installed\" is remembered per dpkg\ndatabase stamp (inode, size and mtime of `/var/lib/dpkg/status`, mtime of `updates/`) in\n`/var/cache/wheelwright/apt-installed` (only when that directory is the running user's and no one\nelse may write it or the file), so a no-op runs no `dpkg-query`; any package change asks dpkg again.",
  aliases: ['apt', 'dnf', 'yum'],
  argSpec: {
    name: { description: "package names (name=version / name-version pins)", type: 'list', elements: 'str', aliases: ['pkg', 'package'] },
    state: { description: "present, latest, absent", type: 'str', choices: ['present', 'installed', 'latest', 'absent', 'removed'], default: 'present' },
    update_cache: { description: "refresh the package lists first", type: 'bool', default: false, aliases: ['update-cache'] },
    cache_valid_time: { description: "apt: refresh only when older than this many seconds", type: 'int', default: 0 },
    purge: { description: "apt: remove configuration files too", type: 'bool', default: false },
    autoremove: { description: "remove unneeded dependencies", type: 'bool', default: false },
    install_recommends: { description: "apt: install recommended packages", type: 'bool', default: false, aliases: ['install-recommends'] },
    lock_timeout: { description: "seconds to wait for the package manager lock", type: 'int', default: 60 },
    enablerepo: { description: "dnf: repositories to enable", type: 'list', elements: 'str' },
    disablerepo: { description: "dnf: repositories to disable", type: 'list', elements: 'str' },
    use: { description: "the package manager (auto, apt, dnf, yum)", type: 'str', choices: ['auto', 'apt', 'dnf', 'yum'], default: 'auto' },
    force_apt_get: { description: "accepted for compatibility", type: 'bool', default: false },
  },
  async run(args, ctx) {
    const names = (args.name ?? []).map(String).filter((n) => n !== '');
    const bad = names.filter((n) => !validSpec(n));
    if (bad.length) return { changed: false, failed: true, msg: `invalid package name(s): ${bad.map((b) => JSON.stringify(b)).join(', ')}` };
    const state = args.state === 'installed' ? 'present' : args.state === 'removed' ? 'absent' : args.state;
    const updateCache = args.update_cache || args.cache_valid_time > 0;
    if (!names.length && !updateCache) return { changed: false, failed: true, msg: 'name is required unless update_cache is set' };
    const mgr = await pickManager(args, ctx);
    const params: PkgParams = {
      names,
      state,
      updateCache,
      cacheValidTime: args.cache_valid_time,
      check: ctx.check,
      purge: args.purge,
      autoremove: args.autoremove,
      installRecommends: args.install_recommends,
      lockTimeout: args.lock_timeout,
      enablerepo: args.enablerepo,
      disablerepo: args.disablerepo,
    };
    let script: string;
    if (mgr === 'apt') script = composeAptScript(params);
    else if (mgr === 'dnf' || mgr === 'yum' || mgr === 'dnf5') {
      params.names = names.map((n) => n.replace(/^([^=<>]+)=(?!=)/, '$1-'));
      script = composeDnfScript(params, mgr);
    } else return { changed: false, failed: true, msg: `unsupported package manager '${mgr}' (supported: apt, dnf, yum)` };
    const r = await run(ctx, mgr === 'apt' ? inSh(ctx, script) : script);
    if (r.code !== 0) return execFailure(`${mgr} packages`, r);
    const parsed = parseMarked(r.stdout);
    if (!('rc' in parsed.kv) && !parsed.kv.error) return execFailure(`${mgr} packages`, r);
    const o = parsePkgOutput(parsed.all);
    const result: ModuleResult = {
      changed: names.length ? o.changed : o.cacheUpdated,
      cache_updated: o.cacheUpdated,
      stdout: parsed.rest.trim(),
      stderr: r.stderr.trim(),
      rc: o.rc,
    };
    if (o.installed.length) result.installed = o.installed;
    if (o.upgraded.length) result.upgraded = o.upgraded;
    if (o.removed.length) result.removed = o.removed;
    if (o.failed) {
      result.changed = false;
      result.failed = true;
      if (o.error === 'missing') result.msg = `No package matching ${o.missing.map((m) => `'${m}'`).join(', ')} is available`;
      else if (o.error === 'cache_update') result.msg = `Failed to update the ${mgr} cache: ${tail(r.stderr)}`;
      else result.msg = `${mgr} failed (rc=${o.rc}): ${tail(r.stderr) || tail(parsed.rest)}`;
    } else {
      const what = [...o.installed, ...o.upgraded].length ? `installed: ${[...o.installed, ...o.upgraded].join(' ')}` : '';
      const rem = o.removed.length ? `removed: ${o.removed.join(' ')}` : '';
      result.msg = [what, rem].filter(Boolean).join('; ') || 'nothing to do';
      if (ctx.diff && result.changed) {
        result.diff = [{ before: [...o.removed, ...o.upgraded].map((n) => `${n}\n`).join(''), after: [...o.installed, ...o.upgraded].map((n) => `${n}\n`).join('') }];
      }
    }
    return result;
  },
};
