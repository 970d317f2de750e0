import { shQuote } from '../../shell/quote.js';
import { SH_OUT } from './exec.js';

/**
 * package/apt/dnf: one script decides (what is missing, upgradable, to remove), refreshes the
 * cache if needed, acts, and prints `@@ww key=value` lines. Pure composers + parser for unit tests.
 */
export interface PkgParams {
  names: string[];
  state: 'present' | 'latest' | 'absent';
  updateCache: boolean;
  /** Seconds; 0 = always refresh when updateCache. */
  cacheValidTime: number;
  check: boolean;
  purge?: boolean;
  autoremove?: boolean;
  installRecommends?: boolean;
  lockTimeout?: number;
  enablerepo?: string[];
  disablerepo?: string[];
  /** apt: where "these packages are installed" is remembered per dpkg database stamp (tests: a scratch dir). */
  memoDir?: string;
}

/** The directory the remote side keeps its state in (root's: src/remote/boot.py, wwremote.distro). */
export const APT_MEMO_DIR = '/var/cache/wheelwright';

/** Package specs end up as separate shell words: reject whitespace and control characters. */
export function validSpec(s: string): boolean {
  return s !== '' && !/[\s\x00-\x1f]/.test(s) && !s.startsWith('-');
}

export function composeAptScript(p: PkgParams): string {
  const lock = p.lockTimeout ?? 60;
  const aptOpts = `-y -q -o DPkg::Lock::Timeout=${lock} -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold`;
  return `${SH_OUT}
set -f
export DEBIAN_FRONTEND=noninteractive
check=${p.check ? 1 : 0}; upd=${p.updateCache ? 1 : 0}; valid=${Math.max(0, Math.floor(p.cacheValidTime))}; state=${shQuote(p.state)}
purge=${p.purge ? 1 : 0}; autoremove=${p.autoremove ? 1 : 0}
set -- ${p.names.map(shQuote).join(' ')}
if [ "$upd" = 1 ]; then
  need=1
  if [ "$valid" -gt 0 ]; then
    now=$(date +%s); m=0; fs=
    for f in /var/lib/apt/periodic/update-success-stamp /var/lib/apt/lists /var/cache/apt/pkgcache.bin; do
      [ -e "$f" ] && fs="$fs $f"
    done
    # one stat for all of them (set -f: no globbing; the paths hold no spaces)
    if [ -n "$fs" ]; then for t in $(stat -c %Y -- $fs); do [ "$t" -gt "$m" ] && m=$t; done; fi
    ww_o cache_age $((now - m))
    [ $((now - m)) -le "$valid" ] && need=0
  fi
  if [ "$need" = 1 ]; then
    if [ "$check" = 1 ]; then ww_o cache_updated 1
    elif out=$(apt-get update -q -o DPkg::Lock::Timeout=${lock} 2>&1); then
      mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/update-success-stamp
      ww_o cache_updated 1
    else
      printf '%s\\n' "$out" >&2; ww_o error cache_update; exit 0
    fi
  else ww_o cache_updated 0
  fi
fi
inst=; rem=; miss=; pend=; names=
for spec in "$@"; do names="$names \${spec%%=*}"; done
# "all of these are installed" is remembered per dpkg database stamp (its status file's inode, size
# and mtime, its journal dir's), as wwremote.distro does for the venv role: a no-op of state=present
# runs no dpkg-query. Only with the system's dpkg-query and a memo dir that is ours and writable by
# no one else (one stat process reads the stamp and those modes); the stamp is read before the query.
memo=0; mstamp=; msame=0; mf=${shQuote(`${p.memoDir ?? APT_MEMO_DIR}/apt-installed`)}; madm=\${DPKG_ADMINDIR:-/var/lib/dpkg}
ww_q=; ww_ifs=$IFS; IFS=:
for ww_d in $PATH; do [ -x "\${ww_d:-.}/dpkg-query" ] && { ww_q=\${ww_d:-.}/dpkg-query; break; }; done
IFS=$ww_ifs
case "$state $# $*" in "present 0"*|present*=*|latest*|absent*) ;; *)
  case "$ww_q" in /usr/bin/dpkg-query|/bin/dpkg-query)
    if [ -O "\${mf%/*}" ] && [ -f "$madm/status" ] && [ -d "$madm/updates" ]; then
      mfs=; [ -O "$mf" ] && mfs=$mf
      ww_m=$(stat -c '%i %s %y|%a' -- "$madm/status" "$madm/updates" "\${mf%/*}" $mfs 2>/dev/null)
      ww_i=0; mok=1
      while IFS='|' read -r ww_a ww_b; do
        ww_i=$((ww_i + 1))
        case $ww_i in 1|2) mstamp="$mstamp $ww_a" ;; *) [ $((0$ww_b & 022)) = 0 ] || mok=0 ;; esac
      done <<WWEOF
$ww_m
WWEOF
      if [ $ww_i -lt 3 ]; then mstamp=
      elif [ $mok = 1 ] && [ -n "$mfs" ]; then
        while IFS= read -r ww_l; do
          [ "$ww_l" = "$mstamp|$names" ] && memo=1
          case "$ww_l" in "$mstamp|"*) msame=1 ;; esac
        done < "$mf"
      fi
      [ $mok = 1 ] || mstamp=
    fi ;;
  esac ;;
esac
if [ $memo = 1 ]; then
  ww_o memo 1
  db=
  for spec in "$@"; do ww_o ok "$spec"; done
  set --
else
  # one dpkg-query for all packages: name|status|version
  db=$(dpkg-query -W -f='\${binary:Package}|\${Package}|\${Status}|\${Version}\n' $names 2>/dev/null)
fi
# the line of a package in db (name or name:arch), read by the shell: status|version into s
ww_db() {
  s=
  while IFS='|' read -r ww_b ww_p ww_s ww_v; do
    if [ "$ww_b" = "$1" ] || [ "$ww_p" = "$1" ]; then s="$ww_s|$ww_v"; break; fi
  done <<WWEOF
$db
WWEOF
}
nok=0
for spec in "$@"; do
  name=\${spec%%=*}; ver=
  case "$spec" in *=*) ver=\${spec#*=} ;; esac
  ww_db "$name"; iv=\${s#*|}
  installed=0; case "$s" in *" installed|"*) installed=1 ;; esac
  cfg=0; case "$s" in *" config-files|"*) cfg=1 ;; esac
  if [ "$state" = absent ]; then
    if [ $installed = 1 ] || { [ "$purge" = 1 ] && [ $cfg = 1 ]; }; then rem="$rem $name"; ww_o remove "$name"; else ww_o ok "$spec"; fi
    continue
  fi
  if [ $installed = 1 ]; then
    if [ -n "$ver" ]; then
      case "$iv" in $ver) ww_o ok "$spec"; continue ;; esac
    elif [ "$state" != latest ]; then ww_o ok "$spec"; nok=$((nok + 1)); continue
    fi
  fi
  pend="$pend $spec"
done
# all installed as dpkg said (state=present): remembered under the stamp read before the query
if [ -n "$mstamp" ] && [ "$check" = 0 ] && [ $nok -gt 0 ] && [ $nok = $# ]; then
  if [ $msame = 1 ]; then printf '%s\n' "$mstamp|$names" >> "$mf"; else printf '%s\n' "$mstamp|$names" > "$mf"; fi 2>/dev/null
fi
if [ -n "$pend" ]; then
  pn=; for spec in $pend; do pn="$pn \${spec%%=*}"; done
  # one apt-cache policy for every package still undecided: name candidate
  pol=$(apt-cache policy $pn 2>/dev/null | awk '/^[^ \t]/ { n = $1; sub(/:$/, "", n) } /^[ \t]+Candidate:/ { print n, $2 }')
  for spec in $pend; do
    name=\${spec%%=*}; ver=
    case "$spec" in *=*) ver=\${spec#*=} ;; esac
    ww_db "$name"; iv=\${s#*|}
    installed=0; case "$s" in *" installed|"*) installed=1 ;; esac
    cand=$(printf '%s\n' "$pol" | awk -v n="$name" '$1 == n { print $2; exit }')
    if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then miss="$miss $spec"; ww_o missing "$spec"; continue; fi
    if [ $installed = 1 ] && [ -z "$ver" ] && [ "$cand" = "$iv" ]; then ww_o ok "$spec"; continue; fi
    inst="$inst $spec"; ww_o install "$spec"
  done
fi
[ -n "$miss" ] && { ww_o error missing; exit 0; }
rc=0
if [ "$check" = 0 ] && [ -n "$inst" ]; then
  apt-get install ${aptOpts} ${p.installRecommends ? '' : '--no-install-recommends'} $inst || rc=$?
  ww_o install_rc $rc
fi
if [ "$check" = 0 ] && [ $rc = 0 ] && [ -n "$rem" ]; then
  if [ "$purge" = 1 ]; then apt-get remove --purge ${aptOpts} $rem || rc=$?; else apt-get remove ${aptOpts} $rem || rc=$?; fi
  ww_o remove_rc $rc
fi
if [ $rc = 0 ] && [ "$autoremove" = 1 ]; then
  sim=$(apt-get -s autoremove -q 2>/dev/null | grep -c '^Remv ')
  if [ "$sim" -gt 0 ]; then
    ww_o autoremoved "$sim"
    if [ "$check" = 0 ]; then
      if [ "$purge" = 1 ]; then apt-get autoremove --purge ${aptOpts} || rc=$?; else apt-get autoremove ${aptOpts} || rc=$?; fi
    fi
  fi
fi
ww_o rc $rc
`;
}

export function composeDnfScript(p: PkgParams, pm: 'dnf' | 'yum' | 'dnf5'): string {
  const repos = [...(p.enablerepo ?? []).map((r) => `--enablerepo=${r}`), ...(p.disablerepo ?? []).map((r) => `--disablerepo=${r}`)].map(shQuote).join(' ');
  const pmq = `${pm} ${repos}`.trim();
  return `${SH_OUT}
set -f
check=${p.check ? 1 : 0}; upd=${p.updateCache ? 1 : 0}; state=${shQuote(p.state)}; autoremove=${p.autoremove ? 1 : 0}
set -- ${p.names.map(shQuote).join(' ')}
if [ "$upd" = 1 ]; then
  if [ "$check" = 1 ]; then ww_o cache_updated 1
  elif out=$(${pmq} -q -y makecache 2>&1); then ww_o cache_updated 1
  else printf '%s\\n' "$out" >&2; ww_o error cache_update; exit 0
  fi
fi
ww_inst() { rpm -q -- "$1" >/dev/null 2>&1 || rpm -q --whatprovides -- "$1" >/dev/null 2>&1; }
inst=; rem=; have=
for spec in "$@"; do
  if [ "$state" = absent ]; then
    if ww_inst "$spec"; then rem="$rem $spec"; ww_o remove "$spec"; else ww_o ok "$spec"; fi
  elif ww_inst "$spec"; then
    if [ "$state" = latest ]; then have="$have $spec"; else ww_o ok "$spec"; fi
  else inst="$inst $spec"; ww_o install "$spec"
  fi
done
upg=
if [ -n "$have" ]; then
  ups=$(${pmq} -q check-update $have 2>/dev/null | awk 'NF==3 { n=$1; sub(/\\.[^.]*$/, "", n); print n }')
  for spec in $have; do
    hit=0; for u in $ups; do [ "$u" = "$spec" ] && hit=1; done
    if [ $hit = 1 ]; then upg="$upg $spec"; ww_o upgrade "$spec"; else ww_o ok "$spec"; fi
  done
fi
rc=0
if [ "$check" = 0 ]; then
  if [ -n "$inst" ]; then ${pmq} -y install $inst || rc=$?; ww_o install_rc $rc; fi
  if [ $rc = 0 ] && [ -n "$upg" ]; then ${pmq} -y upgrade $upg || rc=$?; ww_o upgrade_rc $rc; fi
  if [ $rc = 0 ] && [ -n "$rem" ]; then ${pm} -y remove $rem || rc=$?; ww_o remove_rc $rc; fi
  if [ $rc = 0 ] && [ "$autoremove" = 1 ]; then ${pm} -y autoremove || rc=$?; fi
fi
ww_o rc $rc
`;
}

export interface PkgOutcome {
  changed: boolean;
  failed: boolean;
  installed: string[];
  upgraded: string[];
  removed: string[];
  missing: string[];
  ok: string[];
  cacheUpdated: boolean;
  error?: string;
  rc: number;
}

/** Interpret the script's `@@ww` lines (from parseMarked(...).all). */
export function parsePkgOutput(all: Record<string, string[]>): PkgOutcome {
  const last = (k: string) => all[k]?.[all[k]!.length - 1];
  const rc = Number(last('rc') ?? last('install_rc') ?? last('remove_rc') ?? '0');
  const installed = all.install ?? [];
  const upgraded = all.upgrade ?? [];
  const removed = all.remove ?? [];
  const autoremoved = Number(last('autoremoved') ?? '0') > 0;
  const error = last('error');
  const failed = !!error || rc !== 0;
  return {
    changed: !failed && (installed.length > 0 || upgraded.length > 0 || removed.length > 0 || autoremoved),
    failed,
    installed,
    upgraded,
    removed,
    missing: all.missing ?? [],
    ok: all.ok ?? [],
    cacheUpdated: last('cache_updated') === '1',
    error,
    rc,
  };
}
