import type { ExecResult } from '../../connection/types.js';
import { shQuote } from '../../shell/quote.js';
import type { ModuleContext } from '../types.js';

/** Prefix of the machine-readable lines our composed scripts print on stdout. */
export const MARK = '@@ww ';

/** Shell function every composed script uses to print one `@@ww key=value` result line. */
export const SH_OUT = `ww_o() { printf '@@ww %s=%s\\n' "$1" "$2"; }`;

/**
 * sha256 of stdin (`ww_sum` sets `ww_h`, one process), base64 of stdin (one line), with fallbacks
 * for hosts without coreutils.
 */
export const SH_HASH = [
  `ww_sum() { if command -v sha256sum >/dev/null 2>&1; then ww_h=$(sha256sum); elif command -v shasum >/dev/null 2>&1; then ww_h=$(shasum -a 256); else ww_h=$(openssl dgst -sha256); ww_h=\${ww_h##* }; fi; ww_h=\${ww_h%% *}; }`,
  `ww_b64() { if command -v base64 >/dev/null 2>&1; then base64 | tr -d '\\n'; else openssl base64 | tr -d '\\n'; fi; }`,
].join('\n');

/**
 * `ww_attrs STAT PATH` (STAT: `stat` or `stat -L`): the mode (as `stat -c %a`), uid, gid, size,
 * owner and group names of PATH in ONE stat process (the names on lines of their own: they may hold
 * spaces), into a_mode a_uid a_gid a_size a_own a_grp (empty when stat fails).
 * `ww_dir_base PATH`: dirname and basename into ww_dir, ww_base (no process for a plain path).
 */
export const SH_ATTRS = `ww_nl='
'
ww_attrs() {
  ww_s=$($1 -c '%a %u %g %s
%U
%G' -- "$2")
  ww_l=\${ww_s%%"$ww_nl"*}; ww_s=\${ww_s#*"$ww_nl"}
  a_own=\${ww_s%%"$ww_nl"*}; a_grp=\${ww_s#*"$ww_nl"}
  set -- $ww_l; a_mode=$1; a_uid=$2; a_gid=$3; a_size=$4
}
ww_dir_base() {
  case "$1" in
    */|*//*|'') ww_dir=$(dirname -- "$1"); ww_base=$(basename -- "$1") ;;
    */*) ww_dir=\${1%/*}; ww_dir=\${ww_dir:-/}; ww_base=\${1##*/} ;;
    *) ww_dir=.; ww_base=$1 ;;
  esac
}`;

/**
 * `ww_want_mode CURRENT DESIRED ISDIR` sets ww_wm to the octal mode (as `stat -c %a` shows it) that
 * `chmod DESIRED` would give a file whose mode is CURRENT: octal modes are normalised (leading
 * zeros off, in the shell), symbolic ones (u+rwX,g-w) are applied to a scratch file.
 */
export const SH_MODE = `ww_want_mode() {
  case "$2" in
    ''|*[!0-7]*) ;;
    *) ww_wm=\${2#"\${2%%[!0]*}"}; ww_wm=\${ww_wm:-0}; return 0 ;;
  esac
  ww_t=$(mktemp -d 2>/dev/null) || return 1
  if [ "$3" = 1 ]; then mkdir "$ww_t/x"; else : > "$ww_t/x"; fi
  if chmod "$1" "$ww_t/x" && chmod "$2" "$ww_t/x"; then ww_wm=$(stat -c %a "$ww_t/x"); ww_r=0; else ww_r=1; fi
  rm -rf "$ww_t"
  return $ww_r
}`;

/** Run one composed script on the task's connection, with the task's become and environment. */
export function run(ctx: ModuleContext, script: string, stdin?: string | Buffer, timeoutMs?: number): Promise<ExecResult> {
  return ctx.conn.exec(script, { become: ctx.become, env: ctx.env, stdin, timeoutMs });
}

/**
 * A script that starts many processes, run by /bin/sh (as become runs every script, and Ansible
 * its modules) instead of the login shell: a fork of bash costs more than dash's, so the facts and
 * apt scripts cost their host 2-5 ms less; for a script of one or two processes the extra exec
 * costs more than it saves (measured), so only these use it.
 */
export function inSh(ctx: Pick<ModuleContext, 'become'>, script: string): string {
  return ctx.become ? script : `exec /bin/sh -c ${shQuote(script)}`;
}

export interface Parsed {
  /** Last value of each key. */
  kv: Record<string, string>;
  /** Every value of each key, in order. */
  all: Record<string, string[]>;
  /** stdout without the result lines. */
  rest: string;
}

/** Split stdout into our `@@ww key=value` lines and everything else. */
export function parseMarked(stdout: string): Parsed {
  const kv: Record<string, string> = {};
  const all: Record<string, string[]> = {};
  const rest: string[] = [];
  for (const line of stdout.split('\n')) {
    if (line.startsWith(MARK)) {
      const body = line.slice(MARK.length);
      const eq = body.indexOf('=');
      const k = eq < 0 ? body : body.slice(0, eq);
      const v = eq < 0 ? '' : body.slice(eq + 1);
      kv[k] = v;
      (all[k] ??= []).push(v);
    } else rest.push(line);
  }
  return { kv, all, rest: rest.join('\n') };
}

/** Parse plain `key=value` lines (first '=' splits; other lines ignored). */
export function parseKvLines(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** Last `n` non-empty lines of a text, for error messages. */
export function tail(text: string, n = 5): string {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '')
    .slice(-n)
    .join('\n');
}

/** A failed result from an unexpected script failure (become refused, shell missing, timeout). */
export function execFailure(what: string, r: ExecResult): { changed: false; failed: true; msg: string; rc: number | null; stderr: string } {
  const t = tail(r.stderr) || tail(r.stdout);
  return { changed: false, failed: true, msg: `${what} failed (rc=${r.code})${t ? `: ${t}` : ''}`, rc: r.code, stderr: r.stderr };
}

/** Normalise an octal mode string to the form `stat -c %a` prints ('0644' -> '644'); symbolic modes unchanged. */
export function normMode(mode: string | undefined): string | undefined {
  if (mode === undefined || mode === '') return undefined;
  if (/^[0-7]+$/.test(mode)) return parseInt(mode, 8).toString(8);
  return mode;
}

/** Ansible shows modes as '0644'. */
export function showMode(statMode: string | undefined): string | undefined {
  if (!statMode) return undefined;
  return statMode.padStart(4, '0');
}

/** Paths given to find(1) must not look like options. */
export function safePath(p: string): string {
  return p.startsWith('-') ? `./${p}` : p;
}

/** Split a string into lines as Ansible's *_lines do. */
export function lines(text: string): string[] {
  if (text === '') return [];
  return text.replace(/\n$/, '').split('\n');
}

/** mode/owner/group/uid/gid/size as the file scripts print them (`@@ww key=value`), for results. */
export function statFields(kv: Record<string, string | undefined>): Record<string, unknown> {
  return {
    mode: showMode(kv.mode),
    owner: kv.owner,
    group: kv.group,
    uid: Number(kv.uid),
    gid: Number(kv.gid),
    size: Number(kv.size),
  };
}
