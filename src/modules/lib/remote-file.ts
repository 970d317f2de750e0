import { createHash, randomBytes } from 'node:crypto';
import { shQuote } from '../../shell/quote.js';
import type { FileDiff, ModuleContext, ModuleResult } from '../types.js';
import { SH_ATTRS, SH_HASH, SH_MODE, SH_OUT, execFailure, normMode, parseMarked, run, statFields, tail } from './exec.js';

/**
 * "Compare and atomically write one file, with mode/owner/group, backup, validate and diff", the
 * logic copy, template and ini_file share. Remote work is ONE round trip: the script compares the
 * remote sha256 with the new content's, and only then writes a temporary file in the destination
 * directory (content arrives on stdin), sets its mode/owner, validates it and renames it over dest.
 * Content above SEND_LIMIT bytes is not sent blindly: a first run without content answers
 * `need_content`, and a second run sends it only when it must be written.
 */
export const SEND_LIMIT = 1024 * 1024;
/** Content up to this size (and without NUL bytes) is drained by the shell when not written. */
export const SHELL_DRAIN_LIMIT = 4096;
/** Before-content above this size is not fetched for --diff. */
export const DIFF_LIMIT = 256 * 1024;

export interface RemoteFileSpec {
  dest: string;
  /** The new content (omit with remoteSrc). */
  content?: Buffer;
  /** copy remote_src: the source file is already on the host. */
  remoteSrc?: string;
  /** When dest is an existing directory, write dest/<baseName> (copy with src); else it is an error. */
  baseName?: string;
  mode?: string;
  owner?: string;
  group?: string;
  backup?: boolean;
  /** false: leave an existing dest alone (copy/template `force: no`). Default true. */
  force?: boolean;
  /** Command run on the temporary file before it replaces dest; `%s` is the file's path. */
  validate?: string;
  check: boolean;
  diff: boolean;
}

/** The file options copy and template share, from their arguments and the run's check/diff flags. */
export function fileOptions(
  args: { dest: string; mode?: string; owner?: string; group?: string; backup?: boolean; force?: boolean; validate?: string },
  ctx: Pick<ModuleContext, 'check' | 'diff'>,
): RemoteFileSpec {
  const { dest, mode, owner, group, backup, force, validate } = args;
  return { dest, mode, owner, group, backup, force, validate, check: ctx.check, diff: ctx.diff };
}

export interface ScriptParams {
  dest: string;
  /** sha256 hex of the new content, '' when the host computes it (remote_src). */
  sha: string;
  /** 1: the content follows on stdin. */
  send: boolean;
  /** What is sent can be drained by the shell itself (small text, no NUL byte): no cat process. */
  drainInShell?: boolean;
  remoteSrc?: string;
  baseName?: string;
  mode?: string;
  owner?: string;
  group?: string;
  backup: boolean;
  force: boolean;
  validate?: string;
  check: boolean;
  diff: boolean;
  /** Random suffix for the temporary file name. */
  tag: string;
}

/** Compose the one script (pure: unit-testable). Prints `@@ww key=value` lines. */
export function composeFileScript(p: ScriptParams): string {
  const q = (v: string | undefined) => shQuote(v ?? '');
  const validate = p.validate ? p.validate.split('%s').join('"$tmp"') : '';
  return `${SH_OUT}
${SH_HASH}
${SH_MODE}
${SH_ATTRS}
d=${q(p.dest)}; want=${q(p.sha)}; send=${p.send ? 1 : 0}; rsrc=${q(p.remoteSrc)}; sbase=${q(p.baseName)}
mode=${q(normMode(p.mode))}; owner=${q(p.owner)}; group=${q(p.group)}
backup=${p.backup ? 1 : 0}; force=${p.force ? 1 : 0}; check=${p.check ? 1 : 0}; diff=${p.diff ? 1 : 0}; maxdiff=${DIFF_LIMIT}
${p.drainInShell ? `ww_drain() { if [ "$send" = 1 ]; then while IFS= read -r ww_x; do :; done; fi; }` : `ww_drain() { if [ "$send" = 1 ]; then cat >/dev/null; fi; }`}
ww_fail() { ww_drain; ww_o error "$1"; exit 0; }
if [ -d "$d" ]; then
  if [ -n "$sbase" ]; then d="\${d%/}/$sbase"; ww_o dest "$d"; else ww_fail isdir; fi
fi
ww_dir_base "$d"; dir=$ww_dir; base=$ww_base
[ -d "$dir" ] || ww_fail nodir
tmp="$dir/.$base.ww-tmp-${p.tag}"
trap '{ [ -e "$tmp" ] || [ -L "$tmp" ]; } && rm -f -- "$tmp"' EXIT
exists=0
if [ -e "$d" ]; then
  exists=1
  [ -f "$d" ] || ww_fail notfile
  if [ "$force" = 0 ]; then ww_drain; ww_o exists 1; ww_o skipped_force 1; exit 0; fi
  ww_sum < "$d"; cur=$ww_h
  ww_attrs "stat -L" "$d"; cmode=$a_mode; cuid=$a_uid; cgid=$a_gid; csize=$a_size; cown=$a_own; cgrp=$a_grp
fi
if [ -n "$rsrc" ]; then
  [ -f "$rsrc" ] || ww_fail nosrc
  ww_sum < "$rsrc"; want=$ww_h
fi
ww_o exists $exists
ww_o sha "$want"
cchg=0
if [ $exists = 0 ] || [ "$cur" != "$want" ]; then cchg=1; fi
ww_o content_changed $cchg
if [ $cchg = 1 ] && [ "$diff" = 1 ] && [ $exists = 1 ]; then
  if [ "$csize" -le "$maxdiff" ]; then ww_o before_b64 "$(ww_b64 < "$d")"; else ww_o before_big 1; fi
fi
ww_owner_ok() { [ -z "$owner" ] || [ "$owner" = "$1" ] || [ "$owner" = "$2" ]; }
ww_group_ok() { [ -z "$group" ] || [ "$group" = "$1" ] || [ "$group" = "$2" ]; }
ww_final() {
  ww_attrs "stat -L" "$d"
  ww_o mode "$a_mode"; ww_o uid "$a_uid"; ww_o gid "$a_gid"; ww_o size "$a_size"; ww_o owner "$a_own"; ww_o group "$a_grp"
}
if [ $cchg = 0 ]; then
  ww_drain
  achg=0
  if [ -n "$mode" ]; then ww_want_mode "$cmode" "$mode" 0 || ww_fail badmode; wm=$ww_wm; [ "$wm" = "$cmode" ] || achg=1; fi
  ww_owner_ok "$cown" "$cuid" || achg=1
  ww_group_ok "$cgrp" "$cgid" || achg=1
  if [ $achg = 1 ] && [ "$check" = 0 ]; then
    if [ -n "$owner" ]; then chown -- "$owner" "$d" || ww_fail chown; fi
    if [ -n "$group" ]; then chgrp -- "$group" "$d" || ww_fail chgrp; fi
    if [ -n "$mode" ]; then chmod -- "$wm" "$d" || ww_fail chmod; fi
  fi
  ww_o changed $achg
  # nothing changed on disk: what was read above is still so (no stat process)
  if [ $achg = 0 ] || [ "$check" = 1 ]; then
    ww_o mode "$cmode"; ww_o uid "$cuid"; ww_o gid "$cgid"; ww_o size "$csize"; ww_o owner "$cown"; ww_o group "$cgrp"
  else ww_final
  fi
  exit 0
fi
if [ "$send" = 0 ] && [ -z "$rsrc" ]; then ww_o need_content 1; ww_o changed 1; exit 0; fi
if [ "$check" = 1 ]; then ww_drain; ww_o changed 1; [ $exists = 1 ] && ww_final; exit 0; fi
if [ -n "$rsrc" ]; then cat -- "$rsrc" > "$tmp" || ww_fail write; else cat > "$tmp" || ww_fail write; fi
ww_sum < "$tmp"; got=$ww_h
[ "$got" = "$want" ] || { ww_o error transfer; exit 0; }
if [ -n "$mode" ]; then
  ref=$(stat -c %a -- "$tmp"); [ $exists = 1 ] && ref=$cmode
  ww_want_mode "$ref" "$mode" 0 || { ww_o error badmode; exit 0; }
  wm=$ww_wm
  chmod -- "$wm" "$tmp" || { ww_o error chmod; exit 0; }
elif [ $exists = 1 ]; then chmod -- "$cmode" "$tmp" 2>/dev/null
fi
if [ -n "$owner" ]; then chown -- "$owner" "$tmp" || { ww_o error chown; exit 0; }
elif [ $exists = 1 ]; then chown -- "$cuid" "$tmp" 2>/dev/null
fi
if [ -n "$group" ]; then chgrp -- "$group" "$tmp" || { ww_o error chgrp; exit 0; }
elif [ $exists = 1 ]; then chgrp -- "$cgid" "$tmp" 2>/dev/null
fi
${validate ? `vout=$( ${validate} 2>&1 ) || { ww_o error validate; printf '%s\\n' "$vout" >&2; exit 0; }` : ''}
if [ "$backup" = 1 ] && [ $exists = 1 ]; then
  bk="$d.$$.$(date +%Y-%m-%d@%H:%M:%S)~"
  cp -p -- "$d" "$bk" || { ww_o error backup; exit 0; }
  ww_o backup_file "$bk"
fi
mv -f -- "$tmp" "$d" || { ww_o error rename; exit 0; }
ww_o changed 1
ww_final
`;
}

const ERRORS: Record<string, (dest: string, spec: RemoteFileSpec) => string> = {
  isdir: (d) => `destination ${d} is a directory`,
  nodir: (d) => `destination directory of ${d} does not exist`,
  notfile: (d) => `destination ${d} exists and is not a regular file`,
  nosrc: (_d, s) => `remote source ${s.remoteSrc} does not exist or is not a regular file`,
  badmode: (_d, s) => `bad mode ${JSON.stringify(s.mode)}`,
  chown: (d, s) => `chown ${s.owner} ${d} failed`,
  chgrp: (d, s) => `chgrp ${s.group} ${d} failed`,
  chmod: (d, s) => `chmod ${s.mode} ${d} failed`,
  write: (d) => `could not write a temporary file next to ${d}`,
  transfer: (d) => `content of ${d} arrived corrupted (checksum mismatch)`,
  validate: (d, s) => `failed to validate ${d} with ${JSON.stringify(s.validate)}`,
  backup: (d) => `could not back up ${d}`,
  rename: (d) => `could not rename the temporary file onto ${d}`,
};

function isBinary(b: Buffer): boolean {
  return b.subarray(0, 8192).includes(0);
}

/** Run the script (once, or twice for large content that must be written) and build the result. */
export async function putFile(ctx: ModuleContext, spec: RemoteFileSpec): Promise<ModuleResult> {
  if (spec.validate && !spec.validate.includes('%s')) {
    return { changed: false, failed: true, msg: `validate must contain %s: ${spec.validate}` };
  }
  const content = spec.content;
  const sha = content ? createHash('sha256').update(content).digest('hex') : '';
  const base: Omit<ScriptParams, 'send'> = {
    dest: spec.dest,
    sha,
    remoteSrc: spec.remoteSrc,
    baseName: spec.baseName,
    mode: spec.mode,
    owner: spec.owner,
    group: spec.group,
    backup: !!spec.backup,
    force: spec.force !== false,
    validate: spec.validate,
    check: spec.check,
    diff: spec.diff,
    tag: randomBytes(6).toString('hex'),
  };
  // Small content goes with the first (and only) run; large content only when needed.
  let send = !!content && !spec.check && content.length <= SEND_LIMIT;
  // a few KB of text the shell's read drains (a byte a read() on a pipe: no more than that)
  const drainInShell = !!content && content.length <= SHELL_DRAIN_LIMIT && !content.includes(0);
  let r = await run(ctx, composeFileScript({ ...base, send, drainInShell }), send ? content : undefined);
  if (r.code !== 0) return execFailure(`writing ${spec.dest}`, r);
  let p = parseMarked(r.stdout);
  const first = p.kv;
  const beforeB64 = first.before_b64;
  if (p.kv.need_content === '1' && content && !spec.check) {
    send = true;
    r = await run(ctx, composeFileScript({ ...base, diff: false, send }), content);
    if (r.code !== 0) return execFailure(`writing ${spec.dest}`, r);
    p = parseMarked(r.stdout);
  }
  const kv = p.kv;
  const dest = kv.dest ?? spec.dest;
  if (kv.error) {
    const f = ERRORS[kv.error];
    const detail = tail(r.stderr);
    return { changed: false, failed: true, msg: `${f ? f(dest, spec) : kv.error}${detail ? `: ${detail}` : ''}`, dest };
  }
  if (!('changed' in kv) && kv.skipped_force !== '1') return execFailure(`writing ${spec.dest}`, r);
  const changed = kv.changed === '1';
  const result: ModuleResult = { changed, dest };
  if (kv.sha) result.checksum_sha256 = kv.sha;
  if (kv.mode) Object.assign(result, statFields(kv));
  if (kv.backup_file) result.backup_file = kv.backup_file;
  if (kv.skipped_force === '1') result.msg = 'file already exists (force: no)';
  const contentChanged = first.content_changed === '1';
  if (spec.diff && changed && contentChanged) {
    const d: FileDiff = { path: dest, before: '', after: '' };
    if (beforeB64 !== undefined) {
      const b = Buffer.from(beforeB64, 'base64');
      d.before = isBinary(b) ? '(binary file)\n' : b.toString('utf8');
    } else if (first.before_big === '1') d.before = '(file larger than the diff limit)\n';
    if (content) d.after = isBinary(content) ? '(binary file)\n' : content.length > DIFF_LIMIT ? '(file larger than the diff limit)\n' : content.toString('utf8');
    else d.after = '(content on the host)\n';
    result.diff = [d];
  }
  return result;
}
