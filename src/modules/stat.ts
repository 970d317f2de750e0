import { shQuote } from '../shell/quote.js';
import type { ModuleDef } from './types.js';
import { SH_OUT, execFailure, parseMarked, run } from './lib/exec.js';

export interface StatArgs {
  path: string;
  follow: boolean;
  get_checksum: boolean;
  checksum_algorithm: 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
  get_mime: boolean;
}

export function composeStatScript(a: StatArgs): string {
  return `${SH_OUT}
p=${shQuote(a.path)}; follow=${a.follow ? 1 : 0}; ck=${a.get_checksum ? shQuote(a.checksum_algorithm) : "''"}; mime=${a.get_mime ? 1 : 0}
if [ ! -e "$p" ] && [ ! -L "$p" ]; then ww_o exists 0; exit 0; fi
ww_o exists 1
S=stat; [ "$follow" = 1 ] && S="stat -L"
set -- $($S -c '%f %a %u %g %s %i %d %h %X %Y %Z' -- "$p")
ww_o rawmode "$1"; ww_o mode "$2"; ww_o uid "$3"; ww_o gid "$4"; ww_o size "$5"; ww_o inode "$6"; ww_o dev "$7"; ww_o nlink "$8"
ww_o atime "$9"; shift 9; ww_o mtime "$1"; ww_o ctime "$2"
ww_o pw_name "$($S -c %U -- "$p")"; ww_o gr_name "$($S -c %G -- "$p")"
if [ "$follow" = 0 ] && [ -L "$p" ]; then ww_o islnk 1; ww_o lnk_target "$(readlink -- "$p")"; ww_o lnk_source "$(readlink -f -- "$p")"; fi
[ -r "$p" ] && ww_o readable 1; [ -w "$p" ] && ww_o writeable 1; [ -x "$p" ] && ww_o executable 1
if [ -n "$ck" ] && [ -f "$p" ] && [ -r "$p" ]; then ww_o checksum "$(\${ck}sum < "$p" | cut -d' ' -f1)"; fi
if [ "$mime" = 1 ] && command -v file >/dev/null 2>&1; then ww_o mimetype "$(file -L -b --mime-type -- "$p" 2>/dev/null)"; ww_o charset "$(file -L -b --mime-encoding -- "$p" 2>/dev/null)"; fi
`;
}

/** Turn the script's lines into Ansible's `stat` dictionary. */
export function parseStat(kv: Record<string, string>, path: string): Record<string, unknown> {
  if (kv.exists !== '1') return { exists: false };
  const raw = parseInt(kv.rawmode ?? '0', 16);
  const type = raw & 0o170000;
  const perm = raw & 0o7777;
  const islnk = kv.islnk === '1';
  const s: Record<string, unknown> = {
    exists: true,
    path,
    mode: (kv.mode ?? '0').padStart(4, '0'),
    isdir: type === 0o040000,
    isreg: type === 0o100000,
    islnk,
    ischr: type === 0o020000,
    isblk: type === 0o060000,
    isfifo: type === 0o010000,
    issock: type === 0o140000,
    uid: Number(kv.uid),
    gid: Number(kv.gid),
    size: Number(kv.size),
    inode: Number(kv.inode),
    dev: Number(kv.dev),
    nlink: Number(kv.nlink),
    atime: Number(kv.atime),
    mtime: Number(kv.mtime),
    ctime: Number(kv.ctime),
    pw_name: kv.pw_name,
    gr_name: kv.gr_name,
    readable: kv.readable === '1',
    writeable: kv.writeable === '1',
    executable: kv.executable === '1',
    rusr: !!(perm & 0o400), wusr: !!(perm & 0o200), xusr: !!(perm & 0o100),
    rgrp: !!(perm & 0o40), wgrp: !!(perm & 0o20), xgrp: !!(perm & 0o10),
    roth: !!(perm & 0o4), woth: !!(perm & 0o2), xoth: !!(perm & 0o1),
    isuid: !!(perm & 0o4000), isgid: !!(perm & 0o2000),
  };
  if (islnk) {
    s.lnk_target = kv.lnk_target;
    s.lnk_source = kv.lnk_source;
  }
  if (kv.checksum !== undefined) s.checksum = kv.checksum;
  if (kv.mimetype !== undefined) {
    s.mimetype = kv.mimetype;
    s.charset = kv.charset;
  }
  return s;
}

/** stat: facts about one path (never changes anything). */
export const statModule: ModuleDef<StatArgs> = {
  name: 'stat',
  description: "Information about a path on the host.",
  notes: "Arguments: `path` (required), `follow` (default no), `get_checksum` (default yes),\n`checksum_algorithm` (`sha1` default, `md5`, `sha224`, `sha256`, `sha384`, `sha512`),\n`get_mime` (default no; uses `file(1)`). Never changes anything.\n\nReturns `stat`: `{exists}` only when absent, else `exists, path, mode ('0644'), isdir, isreg, islnk,\nischr, isblk, isfifo, issock, uid, gid, pw_name, gr_name, size, inode, dev, nlink, atime, mtime,\nctime, readable, writeable, executable, rusr\u2026xoth, isuid, isgid, checksum, lnk_target, lnk_source,\nmimetype, charset`.",
  argSpec: {
    path: { description: "the path", type: 'path', required: true, aliases: ['dest', 'name'] },
    follow: { description: "follow symlinks", type: 'bool', default: false },
    get_checksum: { description: "compute a checksum", type: 'bool', default: true },
    checksum_algorithm: { description: "sha1, sha256, ...", type: 'str', default: 'sha1', choices: ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'], aliases: ['checksum', 'checksum_algo'] },
    get_mime: { description: "mime type via file(1)", type: 'bool', default: false, aliases: ['mime', 'mime_type', 'mime-type'] },
  },
  async run(args, ctx) {
    const r = await run(ctx, composeStatScript(args));
    if (r.code !== 0) return execFailure(`stat ${args.path}`, r);
    const kv = parseMarked(r.stdout).kv;
    if (!('exists' in kv)) return execFailure(`stat ${args.path}`, r);
    return { changed: false, stat: parseStat(kv, args.path) };
  },
};
