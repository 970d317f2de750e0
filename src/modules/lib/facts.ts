/**
 * setup's fact gathering: ONE /bin/sh script (no Python needed on the host) printing `key=value`
 * lines, and a pure parser turning them into ansible_* facts. Both are pure for unit tests.
 */
export interface FactsOptions {
  hardware?: boolean;
  network?: boolean;
}

/** ansible-core 2.14's gather_subset names (collectors and fact ids), as its error message lists them. */
export const VALID_SUBSETS = [
  'all_ipv4_addresses', 'all_ipv6_addresses', 'apparmor', 'architecture', 'caps', 'chroot', 'cmdline', 'date_time', 'default_ipv4',
  'default_ipv6', 'devices', 'distribution', 'distribution_major_version', 'distribution_release', 'distribution_version', 'dns',
  'effective_group_ids', 'effective_user_id', 'env', 'facter', 'fibre_channel_wwn', 'fips', 'hardware', 'interfaces', 'is_chroot',
  'iscsi', 'kernel', 'kernel_version', 'loadavg', 'local', 'lsb', 'machine', 'machine_id', 'mounts', 'network', 'nvme', 'ohai',
  'os_family', 'pkg_mgr', 'platform', 'processor', 'processor_cores', 'processor_count', 'python', 'python_version', 'real_user_id',
  'selinux', 'service_mgr', 'ssh_host_key_dsa_public', 'ssh_host_key_ecdsa_public', 'ssh_host_key_ed25519_public',
  'ssh_host_key_rsa_public', 'ssh_host_pub_keys', 'ssh_pub_keys', 'system', 'system_capabilities', 'system_capabilities_enforced',
  'user', 'user_dir', 'user_gecos', 'user_gid', 'user_id', 'user_shell', 'user_uid', 'virtual', 'virtualization_role',
  'virtualization_tech_guest', 'virtualization_tech_host', 'virtualization_type',
];
/** Ansible's minimal_gather_subset (setup.py): always gathered unless '!min'. */
const MIN = ['apparmor', 'caps', 'cmdline', 'date_time', 'distribution', 'dns', 'env', 'fips', 'local', 'lsb', 'pkg_mgr', 'platform', 'python', 'selinux', 'service_mgr', 'ssh_pub_keys', 'user'];
/** Fact ids that name the collector providing them (Ansible's all_fact_subsets), for the collectors wheelwright has. */
const FACT_ID_COLLECTOR: Record<string, string> = {
  architecture: 'platform', kernel: 'platform', kernel_version: 'platform', machine: 'platform', machine_id: 'platform', python_version: 'platform', system: 'platform',
  distribution_major_version: 'distribution', distribution_release: 'distribution', distribution_version: 'distribution', os_family: 'distribution',
  effective_group_ids: 'user', effective_user_id: 'user', real_user_id: 'user', user_dir: 'user', user_gecos: 'user', user_gid: 'user', user_id: 'user', user_shell: 'user', user_uid: 'user',
  all_ipv4_addresses: 'network', all_ipv6_addresses: 'network', default_ipv4: 'network', default_ipv6: 'network', interfaces: 'network',
  devices: 'hardware', mounts: 'hardware', processor: 'hardware', processor_cores: 'hardware', processor_count: 'hardware',
};
/** Collectors' required_facts (ansible-core 2.14): gathered with them. */
const DEPS: Record<string, string[]> = { pkg_mgr: ['distribution'], service_mgr: ['platform', 'distribution'], hardware: ['platform'], network: ['distribution', 'platform'] };
/** Which collector each fact wheelwright gathers comes from. */
const FACT_COLLECTOR: Record<string, string> = {
  ansible_nodename: 'platform', ansible_hostname: 'platform', ansible_fqdn: 'platform', ansible_domain: 'platform', ansible_kernel: 'platform',
  ansible_system: 'platform', ansible_architecture: 'platform', ansible_machine: 'platform', ansible_python_version: 'platform', ansible_machine_id: 'platform',
  ansible_distribution: 'distribution', ansible_distribution_version: 'distribution', ansible_distribution_major_version: 'distribution',
  ansible_distribution_release: 'distribution', ansible_os_family: 'distribution',
  ansible_python: 'python', ansible_env: 'env',
  ansible_user_id: 'user', ansible_user_uid: 'user', ansible_user_gid: 'user', ansible_user_dir: 'user', ansible_user_shell: 'user',
  ansible_pkg_mgr: 'pkg_mgr', ansible_service_mgr: 'service_mgr',
  ansible_processor_vcpus: 'hardware', ansible_processor_nproc: 'hardware', ansible_memtotal_mb: 'hardware', ansible_memfree_mb: 'hardware', ansible_swaptotal_mb: 'hardware',
  ansible_default_ipv4: 'network',
};

/**
 * Ansible's get_collector_names: min, then the additions, minus the exclusions (except what was
 * asked for by name), plus the collectors those need. Throws Ansible's message on an unknown subset.
 */
export function selectCollectors(subset: readonly string[] | undefined): Set<string> {
  const list = subset && subset.length ? subset : ['all'];
  const valid = new Set(VALID_SUBSETS);
  const add = new Set<string>();
  const exclude = new Set<string>();
  const explicit = new Set<string>();
  for (const raw of ['min', ...list]) {
    if (raw === 'min') { MIN.forEach((x) => add.add(x)); continue; }
    if (raw === 'all') { valid.forEach((x) => add.add(x)); continue; }
    if (raw.startsWith('!')) {
      const s = raw.slice(1);
      if (s === 'min') MIN.forEach((x) => exclude.add(x));
      else if (s === 'all') valid.forEach((x) => !MIN.includes(x) && exclude.add(x));
      else {
        // '!hardware' also excludes the hardware collector's fact ids (Ansible's aliases_map)
        exclude.add(s);
        for (const [id, c] of Object.entries(FACT_ID_COLLECTOR)) if (c === s) exclude.add(id);
      }
      continue;
    }
    if (!valid.has(raw)) throw new Error(`Bad subset '${raw}' given to Ansible. gather_subset options allowed: all, ${[...valid].sort().join(', ')}`);
    explicit.add(raw);
    add.add(raw);
  }
  if (!add.size) valid.forEach((x) => add.add(x));
  for (const x of exclude) if (!explicit.has(x)) add.delete(x);
  const out = new Set<string>();
  for (const x of add) out.add(FACT_ID_COLLECTOR[x] ?? x);
  for (const c of [...out]) for (const d of DEPS[c] ?? []) out.add(d);
  return out;
}

/** Resolve Ansible's gather_subset (all, min, hardware, network, virtual, !x...) to what we gather. */
export function subsetOptions(subset: readonly string[] | undefined): FactsOptions {
  let sel: Set<string>;
  try {
    sel = selectCollectors(subset);
  } catch {
    sel = new Set(['hardware', 'network']);
  }
  return { hardware: sel.has('hardware'), network: sel.has('network') };
}

/** Keep the facts of the selected collectors (facts wheelwright cannot place are kept). */
export function factsOfCollectors(facts: Record<string, unknown>, collectors: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(facts)) {
    const c = FACT_COLLECTOR[k];
    if (c === undefined || collectors.has(c)) out[k] = v;
  }
  return out;
}

export function composeFactsScript(opts: FactsOptions = { hardware: true, network: true }): string {
  const lines = [
    `o() { printf '%s=%s\\n' "$1" "$2"; }`,
    // few processes: the shell's own read for one-line files, one uname for its four answers
    `first() { _l=; { IFS= read -r _l || :; } < "$1" 2>/dev/null; o "$2" "$_l"; }`,
    `nl='`,
    `'`,
    `set -- $(uname -snrm 2>/dev/null)`,
    `o system "$1"; o nodename "$2"; o kernel "$3"; o machine "$4"`,
    // hostname(1) prints gethostname(), which is uname's nodename (Ansible: platform.node()): no process for it
    `if command -v timeout >/dev/null 2>&1; then o fqdn "$(timeout 2 hostname -f 2>/dev/null)"; else o fqdn "$(hostname -f 2>/dev/null)"; fi`,
    `if [ -r /etc/os-release ]; then while IFS= read -r l; do case "$l" in ID=*|ID_LIKE=*|NAME=*|VERSION=*|VERSION_ID=*|VERSION_CODENAME=*|PRETTY_NAME=*) echo "os_$l";; esac; done < /etc/os-release; fi`,
    `[ -r /etc/debian_version ] && first /etc/debian_version debian_version`,
    `[ -r /etc/redhat-release ] && first /etc/redhat-release redhat_release`,
    `for m in apt-get dnf5 dnf yum zypper apk pacman; do command -v $m >/dev/null 2>&1 && o "has_$m" 1; done`,
    `first /proc/1/comm pid1`,
    `[ -d /run/systemd/system ] && o systemd_booted 1`,
    `[ -d /etc/init.d ] && o initd 1`,
    `command -v openrc >/dev/null 2>&1 && o openrc 1`,
    `for py in /usr/bin/python3 /usr/libexec/platform-python /usr/local/bin/python3 python3; do`,
    // a path is tested by the shell itself (command -v in a subshell is a fork)
    `  case "$py" in /*) [ -f "$py" ] && [ -x "$py" ] || continue; p=$py ;; *) p=$(command -v "$py" 2>/dev/null) || continue ;; esac`,
    // \`-V\` prints the version before the interpreter starts: a fifth of \`-S -c\`'s CPU
    `  v=$("$p" -V 2>&1) || continue`,
    `  o python "$p"; o python_V "$v"; break`,
    `done`,
    `o env_PATH "$PATH"; o env_HOME "\${HOME:-}"; o env_USER "\${USER:-}"; o env_LOGNAME "\${LOGNAME:-}"; o env_SHELL "\${SHELL:-}"; o env_LANG "\${LANG:-}"; o env_PWD "\${PWD:-}"`,
    // the effective uid and gid (and the allowed CPUs) from the shell's own /proc/self/status, the
    // name from /etc/passwd (getpwuid's first match there): no id process; else one id (C locale)
    `su=; sg=; sc=; if [ -r /proc/self/status ]; then while read -r k a b c; do case "$k" in Uid:) su=$b ;; Gid:) sg=$b ;; Cpus_allowed_list:) sc=$a ;; esac; done < /proc/self/status; fi`,
    `sn=; if [ -n "$su" ] && [ -n "$sg" ] && [ -r /etc/passwd ]; then while IFS=: read -r n x u r; do [ "$u" = "$su" ] && { sn=$n; break; }; done < /etc/passwd; fi`,
    `if [ -n "$sn" ]; then o id "uid=$su($sn) gid=$sg"; else o id "$(LC_ALL=C id 2>/dev/null)"; fi`,
    `[ -r /etc/machine-id ] && first /etc/machine-id machine_id`,
  ];
  if (opts.hardware) {
    lines.push(
      // nproc's answer (the allowed CPUs) counted from Cpus_allowed_list (0-3,6), unless OMP_* settings change nproc's
      `n=0; case "\${OMP_NUM_THREADS:-}\${OMP_THREAD_LIMIT:-}:$sc" in :*[0-9]*) oi=$IFS; IFS=,; for r in $sc; do case "$r" in *-*) n=$((n + \${r#*-} - \${r%-*} + 1)) ;; *) n=$((n + 1)) ;; esac; done; IFS=$oi ;; esac`,
      `if [ "$n" -gt 0 ]; then o vcpus "$n"; else o vcpus "$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null)"; fi`,
      `[ -r /proc/meminfo ] && while read -r k v u; do case "$k" in MemTotal:) o memtotal_kb "$v";; MemFree:) o memfree_kb "$v";; SwapTotal:) o swaptotal_kb "$v";; esac; done < /proc/meminfo`,
    );
  }
  if (opts.network) {
    // the first line of the answer, cut by the shell (no head process)
    lines.push(`if command -v ip >/dev/null 2>&1; then r=$(ip -4 route get 1.1.1.1 2>/dev/null); o route4 "\${r%%"$nl"*}"; fi`);
  }
  lines.push('true');
  return lines.join('\n');
}

/**
 * sys.version_info from `python -V` ("Python 3.11.2", "Python 3.12.0rc1", "Python 3.13.0a4+"):
 * [major, minor, micro, releaselevel, serial], or undefined when it is not that.
 */
export function pythonVersion(v: string): [number, number, number, string, number] | undefined {
  const m = /^Python (\d+)\.(\d+)\.(\d+)(?:(a|b|rc)(\d+))?\+?\s*$/.exec(v.trim());
  if (!m) return undefined;
  const level = m[4] === 'a' ? 'alpha' : m[4] === 'b' ? 'beta' : m[4] === 'rc' ? 'candidate' : 'final';
  return [Number(m[1]), Number(m[2]), Number(m[3]), level, m[5] ? Number(m[5]) : 0];
}

/**
 * The effective user of `id`'s output ("uid=0(root) gid=0(root) groups=0(root)", with euid=/egid=
 * when they differ from the real ones; no "(name)" for an id without a name), as `id -un`, `id -u`
 * and `id -g` answer.
 */
export function idOutput(out: string): { user?: string; uid?: number; gid?: number } {
  const field = (k: string) => new RegExp(`(?:^|\\s)${k}=(\\d+)(?:\\(([^)]*)\\))?`).exec(out);
  const u = field('euid') ?? field('uid');
  const g = field('egid') ?? field('gid');
  return {
    ...(u ? { uid: Number(u[1]) } : {}),
    ...(u?.[2] !== undefined ? { user: u[2] } : {}),
    ...(g ? { gid: Number(g[1]) } : {}),
  };
}

function unquote(v: string): string {
  const t = v.trim();
  if (t.length >= 2 && ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'")))) {
    return t.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
  }
  return t;
}

const DISTRO: Record<string, string> = {
  debian: 'Debian', ubuntu: 'Ubuntu', linuxmint: 'Linux Mint', raspbian: 'Debian', pop: 'Pop!_OS', kali: 'Kali',
  centos: 'CentOS', rhel: 'RedHat', rocky: 'Rocky', almalinux: 'AlmaLinux', fedora: 'Fedora', ol: 'OracleLinux',
  amzn: 'Amazon', 'opensuse-leap': 'openSUSE Leap', 'opensuse-tumbleweed': 'openSUSE Tumbleweed', sles: 'SLES',
  arch: 'Archlinux', alpine: 'Alpine', gentoo: 'Gentoo',
};
const FAMILY: Record<string, string> = {
  Debian: 'Debian', Ubuntu: 'Debian', 'Linux Mint': 'Debian', 'Pop!_OS': 'Debian', Kali: 'Debian',
  CentOS: 'RedHat', RedHat: 'RedHat', Rocky: 'RedHat', AlmaLinux: 'RedHat', Fedora: 'RedHat', OracleLinux: 'RedHat', Amazon: 'RedHat',
  'openSUSE Leap': 'Suse', 'openSUSE Tumbleweed': 'Suse', SLES: 'Suse', Archlinux: 'Archlinux', Alpine: 'Alpine', Gentoo: 'Gentoo',
};

/** Parse the facts script's output into Ansible's fact names. */
export function parseFactsOutput(stdout: string): Record<string, unknown> {
  const kv: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) kv[line.slice(0, eq)] = line.slice(eq + 1);
  }
  const f: Record<string, unknown> = {};
  const nodename = kv.nodename || kv.hostname || '';
  const fqdn = kv.fqdn && kv.fqdn !== '' ? kv.fqdn : kv.hostname || nodename;
  f.ansible_nodename = nodename;
  f.ansible_hostname = (kv.hostname || nodename).split('.')[0];
  f.ansible_fqdn = fqdn;
  f.ansible_domain = fqdn.includes('.') ? fqdn.slice(fqdn.indexOf('.') + 1) : '';
  f.ansible_kernel = kv.kernel;
  f.ansible_system = kv.system;
  f.ansible_architecture = kv.machine;
  f.ansible_machine = kv.machine;

  const id = unquote(kv.os_ID ?? '').toLowerCase();
  const like = unquote(kv.os_ID_LIKE ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  let distro = DISTRO[id] ?? (unquote(kv.os_NAME ?? '') || kv.system || 'Unknown');
  let version = unquote(kv.os_VERSION_ID ?? '');
  if (id === 'debian' && kv.debian_version && /^\d+(\.\d+)*$/.test(kv.debian_version.trim())) version = kv.debian_version.trim();
  if (!id && kv.redhat_release) {
    const m = /^(.*?) release ([\d.]+)/.exec(kv.redhat_release);
    if (m) {
      distro = /centos/i.test(m[1]!) ? 'CentOS' : /red hat/i.test(m[1]!) ? 'RedHat' : m[1]!;
      version = m[2]!;
    }
  }
  let release = unquote(kv.os_VERSION_CODENAME ?? '');
  if (!release) {
    const m = /\(([^)]+)\)/.exec(unquote(kv.os_VERSION ?? ''));
    if (m) release = m[1]!;
  }
  f.ansible_distribution = distro;
  f.ansible_distribution_version = version;
  f.ansible_distribution_major_version = version.split('.')[0] ?? '';
  f.ansible_distribution_release = release;
  let family = FAMILY[distro];
  if (!family) {
    if (like.some((l) => l === 'debian' || l === 'ubuntu')) family = 'Debian';
    else if (like.some((l) => ['rhel', 'fedora', 'centos'].includes(l))) family = 'RedHat';
    else if (like.some((l) => l.includes('suse'))) family = 'Suse';
    else if (like.includes('arch')) family = 'Archlinux';
    else family = distro;
  }
  f.ansible_os_family = family;

  const has = (m: string) => kv[`has_${m}`] === '1';
  let pkg = 'unknown';
  if (family === 'Debian' && has('apt-get')) pkg = 'apt';
  else if (family === 'RedHat') pkg = has('dnf5') && !has('dnf') ? 'dnf5' : has('dnf') ? 'dnf' : has('yum') ? 'yum' : 'unknown';
  else if (has('apt-get')) pkg = 'apt';
  else if (has('dnf')) pkg = 'dnf';
  else if (has('yum')) pkg = 'yum';
  else if (has('zypper')) pkg = 'zypper';
  else if (has('apk')) pkg = 'apk';
  else if (has('pacman')) pkg = 'pacman';
  f.ansible_pkg_mgr = pkg;

  let svc: string;
  if (kv.systemd_booted === '1' || kv.pid1 === 'systemd') svc = 'systemd';
  else if (kv.openrc === '1' || kv.pid1 === 'openrc-init') svc = 'openrc';
  else if (kv.initd === '1') svc = 'sysvinit';
  else svc = 'service';
  f.ansible_service_mgr = svc;

  const py = pythonVersion(kv.python_V ?? '');
  if (kv.python && py) {
    const [major, minor, micro, releaselevel, serial] = py;
    const version = `${major}.${minor}.${micro}`;
    f.ansible_python = {
      executable: kv.python,
      type: 'CPython',
      version: { major: Number(major), minor: Number(minor), micro: Number(micro), releaselevel, serial: Number(serial) },
      version_info: [Number(major), Number(minor), Number(micro), releaselevel, Number(serial)],
    };
    f.ansible_python_version = version;
    f.discovered_interpreter_python = kv.python;
  }

  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(kv)) if (k.startsWith('env_') && v !== '') env[k.slice(4)] = v;
  f.ansible_env = env;
  const who = idOutput(kv.id ?? '');
  f.ansible_user_id = who.user;
  if (who.uid !== undefined) f.ansible_user_uid = who.uid;
  if (who.gid !== undefined) f.ansible_user_gid = who.gid;
  if (env.HOME) f.ansible_user_dir = env.HOME;
  if (env.SHELL) f.ansible_user_shell = env.SHELL;
  if (kv.machine_id) f.ansible_machine_id = kv.machine_id;
  if (kv.vcpus && /^\d+$/.test(kv.vcpus)) {
    f.ansible_processor_vcpus = Number(kv.vcpus);
    f.ansible_processor_nproc = Number(kv.vcpus);
  }
  if (kv.memtotal_kb) f.ansible_memtotal_mb = Math.floor(Number(kv.memtotal_kb) / 1024);
  if (kv.memfree_kb) f.ansible_memfree_mb = Math.floor(Number(kv.memfree_kb) / 1024);
  if (kv.swaptotal_kb) f.ansible_swaptotal_mb = Math.floor(Number(kv.swaptotal_kb) / 1024);
  if (kv.route4) {
    const r = kv.route4;
    const src = /\bsrc (\S+)/.exec(r)?.[1];
    if (src) {
      const ipv4: Record<string, string> = { address: src };
      const dev = /\bdev (\S+)/.exec(r)?.[1];
      const via = /\bvia (\S+)/.exec(r)?.[1];
      if (dev) ipv4.interface = dev;
      if (via) ipv4.gateway = via;
      f.ansible_default_ipv4 = ipv4;
    }
  }
  for (const k of Object.keys(f)) if (f[k] === undefined) delete f[k];
  return f;
}

/** Ansible's setup `filter`: shell-style patterns on fact names (any matches). */
export function filterFacts(facts: Record<string, unknown>, patterns: readonly string[]): Record<string, unknown> {
  if (!patterns.length || patterns.includes('*')) return facts;
  const res = patterns.map((p) => new RegExp(`^${p.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(facts)) if (res.some((r) => r.test(k))) out[k] = v;
  return out;
}
