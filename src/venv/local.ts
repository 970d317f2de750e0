/** Helpers for local venvs (the `wheelwright venv` / `wheelwright wheels` CLI). */
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { cleanLines } from './ensure.js';

export interface ParsedRequirements {
  requirements: string[];
  constraints: string[];
  /** From `-f/--find-links` lines, made absolute relative to the file that names them. */
  findLinks: string[];
}

const OPT_WITH_ARG = /^(-r|--requirement|-c|--constraint|-f|--find-links)(?:\s+|=)(.+)$/;

/** Logical lines (continuations joined, comments and blanks dropped), each with the number of its first physical line. */
function logicalLines(text: string): Array<{ text: string; line: number }> {
  const out: Array<{ text: string; line: number }> = [];
  let cur = '';
  let start = 0;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    if (!cur) start = i + 1;
    if (raw.endsWith('\\')) {
      cur += raw.slice(0, -1);
      return;
    }
    cur += raw;
    const s = cur.replace(/(^|\s)#.*$/, '').trim();
    cur = '';
    if (s) out.push({ text: s, line: start });
  });
  if (cur.trim()) out.push({ text: cur.replace(/(^|\s)#.*$/, '').trim(), line: start });
  return out;
}

/**
 * The first URL in a requirement line that reaches the network: any `scheme://` other than `file://`
 * (and VCS over file, `git+file://`). Covers `-f/--find-links URL`, `-i/--index-url`,
 * `--extra-index-url`, `-r/-c URL`, `name @ URL`, bare `http(s)://` and `git+https://` lines.
 */
export function networkUrlIn(line: string): string | undefined {
  for (const m of line.matchAll(/([a-z][a-z0-9+.-]*):\/\/[^\s]*/gi)) {
    const scheme = m[1].toLowerCase();
    if (scheme !== 'file' && !scheme.endsWith('+file')) return m[0];
  }
  return undefined;
}

/** Index options need no URL scheme to reach the network (pip reads `-i host/simple` as a URL too). */
const INDEX_OPTION = /^(-i|--index-url|--extra-index-url)(?:\s+|=|$)/;

function absLink(base: string, link: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(link) || isAbsolute(link)) return link;
  return resolve(base, link);
}

/**
 * Read a pip requirements file: `-r` includes are inlined, `-c` files become constraints, `-f`
 * directories become find-links (relative names resolved against the file's directory, as pip
 * does). Other lines (requirements, `--pre`, per-requirement options) are kept as they are.
 */
export function parseRequirementsFile(
  path: string,
  asConstraints = false,
  opts: { allowNetwork?: boolean } = {},
  seen = new Set<string>(),
): ParsedRequirements {
  const abs = resolve(path);
  const res: ParsedRequirements = { requirements: [], constraints: [], findLinks: [] };
  if (seen.has(abs)) return res;
  seen.add(abs);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read ${asConstraints ? 'constraints' : 'requirements'} file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const base = dirname(abs);
  for (const { text: line, line: lineNo } of logicalLines(text)) {
    if (!opts.allowNetwork) {
      const url = networkUrlIn(line) ?? (INDEX_OPTION.test(line) ? line : undefined);
      if (url) {
        throw new UserError(
          `${path}:${lineNo}: '${line}' would use the network (${url}); wheelwright venv installs only from local ` +
            'wheel directories: remove the line, or pass --allow-network',
        );
      }
    }
    const m = OPT_WITH_ARG.exec(line);
    if (m) {
      const [, opt, arg] = m;
      const target = arg.trim();
      if (opt === '-f' || opt === '--find-links') {
        res.findLinks.push(absLink(base, target));
        continue;
      }
      const sub = parseRequirementsFile(absLink(base, target), asConstraints || opt === '-c' || opt === '--constraint', opts, seen);
      res.requirements.push(...sub.requirements);
      res.constraints.push(...sub.constraints);
      res.findLinks.push(...sub.findLinks);
      continue;
    }
    (asConstraints ? res.constraints : res.requirements).push(line);
  }
  return {
    requirements: cleanLines(res.requirements),
    constraints: cleanLines(res.constraints),
    findLinks: cleanLines(res.findLinks),
  };
}

const DIST_FILE = /\.(whl|tar\.gz|tgz|zip|tar\.bz2)$/;

/**
 * What the wheel directories hold: file names, sizes and mtimes (no content hashing, so a large
 * wheel dir costs one stat per file). Any change here makes a different cached venv.
 */
export function wheelDirFingerprint(dirs: string[]): Array<{ dir: string; files: string[] }> {
  const out: Array<{ dir: string; files: string[] }> = [];
  for (const dir of dirs) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(dir)) {
      out.push({ dir, files: [] });
      continue;
    }
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => DIST_FILE.test(n)).sort();
    } catch (e) {
      throw new UserError(`cannot read wheel directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    const files = names.map((n) => {
      const st = statSync(join(dir, n));
      return `${n}:${st.size}:${Math.floor(st.mtimeMs)}`;
    });
    out.push({ dir, files });
  }
  return out;
}

/** `$XDG_CACHE_HOME/wheelwright` (default ~/.cache/wheelwright). */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(env.HOME || homedir(), '.cache');
  return join(xdg, 'wheelwright');
}

export function venvCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'venvs');
}

/** Directories holding pip/setuptools/wheel wheels shipped by the distro (Debian's python3-*-whl). */
export function systemWheelDirs(): string[] {
  return ['/usr/share/python-wheels'].filter((d) => existsSync(d));
}
