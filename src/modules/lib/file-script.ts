import { shQuote } from '../../shell/quote.js';
import { SH_ATTRS, SH_MODE, SH_OUT, normMode, safePath } from './exec.js';

export interface FileScriptParams {
  path: string;
  /** '' = keep the current type (Ansible's default state). */
  state: '' | 'file' | 'directory' | 'absent' | 'link' | 'touch' | 'hard';
  src?: string;
  mode?: string;
  owner?: string;
  group?: string;
  recurse: boolean;
  force: boolean;
  follow: boolean;
  check: boolean;
  tag: string;
}

/** The file module's single script (pure, unit-testable). Prints `@@ww key=value` lines. */
export function composeFileStateScript(p: FileScriptParams): string {
  const q = (v: string | undefined) => shQuote(v ?? '');
  return `${SH_OUT}
${SH_MODE}
${SH_ATTRS}
p=${q(safePath(p.path))}; st=${q(p.state)}; src=${q(p.src)}; mode=${q(normMode(p.mode))}; owner=${q(p.owner)}; group=${q(p.group)}
rec=${p.recurse ? 1 : 0}; force=${p.force ? 1 : 0}; follow=${p.follow ? 1 : 0}; check=${p.check ? 1 : 0}
ww_fail() { ww_o error "$1"; exit 0; }
# few processes on a no-op: the state, the temp name and the attributes without subshells (one stat)
ww_state() {
  if [ -L "$1" ]; then ww_st=link
  elif [ -d "$1" ]; then ww_st=directory
  elif [ -e "$1" ]; then if [ "$(stat -c %h -- "$1")" -gt 1 ]; then ww_st=hard; else ww_st=file; fi
  else ww_st=absent; fi
}
ww_state "$p"; prev=$ww_st
ww_o prev "$prev"
if [ -z "$st" ]; then
  if [ "$prev" != absent ]; then st=$prev; [ "$st" = hard ] && st=file
  elif [ -n "$src" ]; then st=link
  elif [ "$rec" = 1 ]; then st=directory
  else ww_fail absent; fi
fi
ww_o state "$st"
chg=0
ww_tmp() { ww_dir_base "$p"; tmp="$ww_dir/.$ww_base.ww-tmp-${p.tag}"; }
case "$st" in
  absent)
    if [ "$prev" != absent ]; then chg=1; [ "$check" = 1 ] || rm -rf -- "$p" || ww_fail rm; fi
    ww_o changed $chg; exit 0 ;;
  directory)
    if [ "$prev" = absent ]; then chg=1; [ "$check" = 1 ] || mkdir -p -- "$p" || ww_fail mkdir
    elif [ ! -d "$p" ]; then ww_fail notdir; fi ;;
  file)
    [ "$prev" = absent ] && ww_fail absent
    [ -d "$p" ] && ww_fail isdir ;;
  touch)
    chg=1
    if [ "$check" = 0 ]; then touch -- "$p" || ww_fail touch; fi ;;
  link)
    [ -n "$src" ] || ww_fail nosrc
    case "$src" in /*) abs=$src ;; *) abs="$(dirname -- "$p")/$src" ;; esac
    if [ ! -e "$abs" ] && [ ! -L "$abs" ] && [ "$force" = 0 ]; then ww_fail srcmissing; fi
    if [ "$prev" = link ] && [ "$(readlink -- "$p")" = "$src" ]; then :
    else
      if [ "$prev" = directory ]; then
        [ -n "$(ls -A -- "$p")" ] && ww_fail dirnotempty
        [ "$force" = 1 ] || ww_fail dirtolink
      elif [ "$prev" = file ] || [ "$prev" = hard ]; then [ "$force" = 1 ] || ww_fail filetolink
      fi
      chg=1
      if [ "$check" = 0 ]; then
        [ "$prev" = directory ] && { rmdir -- "$p" || ww_fail rm; }
        ww_tmp
        trap 'rm -f -- "$tmp"' EXIT
        ln -s -- "$src" "$tmp" || ww_fail ln
        mv -fT -- "$tmp" "$p" 2>/dev/null || { rm -f -- "$p" && mv -f -- "$tmp" "$p"; } || ww_fail rename
      fi
    fi ;;
  hard)
    [ -n "$src" ] || ww_fail nosrc
    [ -e "$src" ] || ww_fail srcmissing
    if [ "$prev" != absent ] && [ "$p" -ef "$src" ]; then :
    else
      [ -d "$p" ] && [ ! -L "$p" ] && ww_fail isdir
      if [ "$prev" = file ] && [ "$force" = 0 ]; then ww_fail filetohard; fi
      chg=1
      if [ "$check" = 0 ]; then
        ww_tmp
        trap 'rm -f -- "$tmp"' EXIT
        ln -- "$src" "$tmp" || ww_fail ln
        mv -f -- "$tmp" "$p" || ww_fail rename
      fi
    fi ;;
esac
# attributes
if [ ! -e "$p" ] && [ ! -L "$p" ]; then ww_o changed $chg; exit 0; fi
nofollow=0
if [ "$st" = link ] || { [ "$follow" = 0 ] && [ -L "$p" ]; }; then nofollow=1; fi
ww_snap() { find "$p" -exec stat -c '%a %u %g %n' {} + 2>/dev/null | cksum; }
S="stat -L"; [ "$nofollow" = 1 ] && S=stat
read=0; ach=0
if [ "$rec" = 1 ] && [ -d "$p" ] && [ "$nofollow" = 0 ]; then
  if [ "$check" = 1 ]; then
    if [ -n "$owner" ] && [ -n "$(find "$p" ! -user "$owner" -print 2>/dev/null | head -n 1)" ]; then chg=1; fi
    if [ -n "$group" ] && [ -n "$(find "$p" ! -group "$group" -print 2>/dev/null | head -n 1)" ]; then chg=1; fi
    case "$mode" in
      '') ;;
      *[!0-7]*) chg=1; ww_o mode_guess 1 ;;
      *) [ -n "$(find "$p" ! -perm "$mode" -print 2>/dev/null | head -n 1)" ] && chg=1 ;;
    esac
  else
    s1=$(ww_snap)
    if [ -n "$owner" ]; then chown -R -- "$owner" "$p" || ww_fail chown; fi
    if [ -n "$group" ]; then chgrp -R -- "$group" "$p" || ww_fail chgrp; fi
    if [ -n "$mode" ]; then chmod -R -- "$mode" "$p" || ww_fail chmod; fi
    [ "$s1" = "$(ww_snap)" ] || chg=1
  fi
else
  ww_attrs "$S" "$p"; read=1; cmode=$a_mode; cuid=$a_uid; cgid=$a_gid; cown=$a_own; cgrp=$a_grp
  isd=0; [ -d "$p" ] && isd=1
  if [ -n "$owner" ] && [ "$owner" != "$cown" ] && [ "$owner" != "$cuid" ]; then
    chg=1; if [ "$check" = 0 ]; then ach=1; if [ "$nofollow" = 1 ]; then chown -h -- "$owner" "$p"; else chown -- "$owner" "$p"; fi || ww_fail chown; fi
  fi
  if [ -n "$group" ] && [ "$group" != "$cgrp" ] && [ "$group" != "$cgid" ]; then
    chg=1; if [ "$check" = 0 ]; then ach=1; if [ "$nofollow" = 1 ]; then chgrp -h -- "$group" "$p"; else chgrp -- "$group" "$p"; fi || ww_fail chgrp; fi
  fi
  if [ -n "$mode" ] && [ "$nofollow" = 0 ]; then
    ww_want_mode "$cmode" "$mode" $isd || ww_fail badmode
    wm=$ww_wm
    if [ "$wm" != "$cmode" ]; then chg=1; if [ "$check" = 0 ]; then ach=1; chmod -- "$wm" "$p" || ww_fail chmod; fi; fi
  fi
fi
ww_o changed $chg
# the attributes as read above when nothing was applied since (no stat process), else read again
if [ $read = 0 ] || [ $ach = 1 ]; then ww_attrs "$S" "$p" 2>/dev/null; fi
ww_o mode "$a_mode"; ww_o uid "$a_uid"; ww_o gid "$a_gid"; ww_o size "$a_size"; ww_o owner "$a_own"; ww_o group "$a_grp"
`;
}
