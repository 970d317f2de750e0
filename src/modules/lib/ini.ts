/**
 * INI editing for ini_file: a line-for-line port of community.general's `do_ini` (6.6.2, the version
 * Debian's `ansible` ships), so files come out byte-identical: commented-out options are taken over by
 * `present`, a new file starts with a blank line, a new section is appended without one, CRLF files are
 * read in text mode (written back with LF). Checked against the real module by
 * test/unit/ini-file-oracle.test.ts.
 */
export interface IniEdit {
  section?: string | null;
  option?: string | null;
  /** value and values merged, as the module's main() does: [] when neither is given */
  values: string[];
  state: 'present' | 'absent';
  exclusive: boolean;
  noExtraSpaces: boolean;
  allowNoValue: boolean;
}

export interface IniOutcome {
  /** the new content (the module writes it when `changed`) */
  text: string;
  changed: boolean;
  msg: string;
}

/** Ansible's fake first section: the hash of the commit that introduced it, so no real section matches. */
const FAKE_SECTION = 'ad01e11446efb704fcdbdb21f2c43757423d91c5';

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Python's re.match with `$` that also matches before a final newline: match the line without it. */
const body = (line: string): string => (line.endsWith('\n') ? line.slice(0, -1) : line);

/** Text as Python's io.open(encoding='utf-8-sig') reads it: BOM dropped, universal newlines, lines keep '\n'. */
export function readIniLines(text: string): string[] {
  const t = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const lines: string[] = [];
  let at = 0;
  while (at < t.length) {
    const nl = t.indexOf('\n', at);
    const end = nl < 0 ? t.length : nl + 1;
    lines.push(t.slice(at, end));
    at = end;
  }
  return lines;
}

/** `content` null: the file does not exist (the caller has checked `create`). */
export function doIni(content: string | null, e: IniEdit): IniOutcome {
  const optRe = e.option != null ? new RegExp(`^[#;]?( |\\t)*(${escapeRe(e.option)})( |\\t)*(=|$)( |\\t)*(.*)`) : null;
  const activeRe = e.option != null ? new RegExp(`^( |\\t)*(${escapeRe(e.option)})( |\\t)*(=|$)( |\\t)*(.*)`) : null;
  const matchOpt = (line: string) => (optRe ? optRe.exec(body(line)) : null);
  const matchActive = (line: string) => (activeRe ? activeRe.exec(body(line)) : null);
  const blankOrComment = (line: string) => /^[ \t]*([#;].*)?$/.test(body(line));
  const values = [...new Set(e.values)];
  const option = e.option;
  const fmt = (o: string, v: string) => (e.noExtraSpaces ? `${o}=${v}\n` : `${o} = ${v}\n`);

  let ini = content === null ? [] : readIniLines(content);
  let changed = false;
  if (!ini.length) ini.push('\n');
  const last = ini[ini.length - 1]!;
  if (last === '' || !last.endsWith('\n')) {
    ini[ini.length - 1] = last + '\n';
    changed = true;
  }
  ini.unshift(`[${FAKE_SECTION}]`);
  ini.push('[');
  const section = e.section ? e.section : FAKE_SECTION;

  let within = false;
  let start = 0;
  let end = 0;
  for (let i = 0; i < ini.length; i++) {
    const line = ini[i]!;
    if (line.startsWith(`[${section}]`)) {
      within = true;
      start = i;
    } else if (line.startsWith('[') && within) {
      end = i;
      break;
    }
  }
  const before = ini.slice(0, start);
  let lines = ini.slice(start, end);
  const after = ini.slice(end);
  const changedLines = lines.map(() => 0);
  let msg = 'OK';
  let noValuePresent = false;
  const update = (i: number, newline: string) => {
    if (lines[i] !== newline) {
      changed = true;
      msg = 'option changed';
    }
    lines[i] = newline;
    changedLines[i] = 1;
  };

  if (e.state === 'present' && option) {
    for (let i = 0; i < lines.length; i++) {
      const m = matchOpt(lines[i]!);
      if (!m) continue;
      if (values.length && values.includes(m[6]!)) {
        const matched = m[6]!;
        if (!matched && e.allowNoValue) {
          update(i, `${option}\n`);
          noValuePresent = true;
        } else update(i, fmt(option, matched));
        values.splice(values.indexOf(matched), 1);
      } else if (!values.length && e.allowNoValue) {
        update(i, `${option}\n`);
        noValuePresent = true;
        break;
      }
    }
  }

  if (e.state === 'present' && e.exclusive && !e.allowNoValue) {
    if (values.length > 0) {
      for (let i = 0; i < lines.length; i++) {
        if (!changedLines[i] && option != null && matchOpt(lines[i]!)) {
          update(i, fmt(option, values.shift()!));
          if (!values.length) break;
        }
      }
    }
    for (let i = lines.length - 1; i > 0; i--) {
      if (!changedLines[i] && matchOpt(lines[i]!)) {
        lines.splice(i, 1);
        changedLines.splice(i, 1);
        changed = true;
        msg = 'option changed';
      }
    }
  }

  if (e.state === 'present') {
    for (let i = lines.length; i > 0; i--) {
      if (blankOrComment(lines[i - 1]!)) continue;
      if (option && values.length) {
        for (const v of [...values].reverse()) {
          lines.splice(i, 0, fmt(option, v));
          msg = 'option added';
          changed = true;
        }
      } else if (option && !values.length && e.allowNoValue && !noValuePresent) {
        lines.splice(i, 0, `${option}\n`);
        msg = 'option added';
        changed = true;
      }
      break;
    }
  }

  if (e.state === 'absent') {
    if (option) {
      if (e.exclusive) {
        const kept = lines.filter((l) => !matchActive(l));
        if (kept.length !== lines.length) {
          changed = true;
          msg = 'option changed';
          lines = kept;
        }
      } else if (values.length) {
        const kept = lines.filter((l) => {
          const m = matchActive(l);
          return !(m && values.includes(m[6]!));
        });
        if (kept.length !== lines.length) {
          changed = true;
          msg = 'option changed';
          lines = kept;
        }
      }
    } else if (lines.length) {
      lines = [];
      msg = 'section removed';
      changed = true;
    }
  }

  ini = [...before, ...lines, ...after];
  ini.shift();
  ini.pop();
  if (!within && e.state === 'present') {
    ini.push(`[${section}]\n`);
    msg = 'section and option added';
    if (option && values.length) for (const v of values) ini.push(fmt(option, v));
    else if (option && !values.length && e.allowNoValue) ini.push(`${option}\n`);
    else msg = 'only section added';
    changed = true;
  }
  return { text: ini.join(''), changed, msg };
}
