/**
 * Pure INI editing for ini_file, Ansible's semantics: other sections, comments and blank lines are
 * preserved; options outside any section are the "global" section (section omitted/null).
 */
export interface IniEdit {
  section?: string | null;
  option?: string;
  value?: string | null;
  state: 'present' | 'absent';
  noExtraSpaces?: boolean;
  allowNoValue?: boolean;
  /** Remove other occurrences of the option in the section (Ansible's default). */
  exclusive?: boolean;
}

const HEADER = /^\s*\[([^\]]*)\]/;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function editIni(text: string, e: IniEdit): string {
  const nl = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n/);
  const section = e.section ?? null;
  const optRe = e.option !== undefined ? new RegExp(`^\\s*${escapeRe(e.option)}\\s*([=:]|$)`) : null;
  const sep = e.noExtraSpaces ? '=' : ' = ';
  const newLine = e.option === undefined ? '' : e.value === undefined || e.value === null ? (e.allowNoValue ? e.option : `${e.option}${sep}`) : `${e.option}${sep}${e.value}`;

  // Locate the section: [start, end) of its body; start = -1 when missing. Global: before first header.
  let start = -1;
  let end = lines.length;
  let headerIdx = -1;
  if (section === null) {
    start = 0;
    end = lines.findIndex((l) => HEADER.test(l));
    if (end < 0) end = lines.length;
  } else {
    for (let i = 0; i < lines.length; i++) {
      const m = HEADER.exec(lines[i]!);
      if (m && m[1]!.trim() === section) {
        headerIdx = i;
        start = i + 1;
        end = lines.length;
        for (let j = i + 1; j < lines.length; j++) if (HEADER.test(lines[j]!)) { end = j; break; }
        break;
      }
    }
  }

  const out = [...lines];
  if (e.state === 'absent') {
    if (start < 0) return text;
    if (e.option === undefined) {
      if (section === null) return text;
      out.splice(headerIdx, end - headerIdx);
    } else {
      for (let i = end - 1; i >= start; i--) if (optRe!.test(out[i]!)) out.splice(i, 1);
    }
    return finish(out, nl, text);
  }
  // present
  if (start < 0) {
    if (out.length && out[out.length - 1]!.trim() !== '') out.push('');
    out.push(`[${section}]`);
    if (e.option !== undefined) out.push(newLine);
    return finish(out, nl, text);
  }
  if (e.option === undefined) return text;
  const hits: number[] = [];
  for (let i = start; i < end; i++) if (optRe!.test(out[i]!)) hits.push(i);
  if (hits.length) {
    const first = hits[0]!;
    if (out[first] !== newLine) out[first] = newLine;
    if (e.exclusive !== false) for (const i of hits.slice(1).reverse()) out.splice(i, 1);
    return finish(out, nl, text);
  }
  // insert after the last non-blank line of the section
  let at = end;
  while (at > start && out[at - 1]!.trim() === '') at--;
  if (section === null && at === 0 && end === 0 && out.length) {
    out.splice(0, 0, newLine);
  } else out.splice(at, 0, newLine);
  return finish(out, nl, text);
}

function finish(out: string[], nl: string, original: string): string {
  const s = out.join(nl);
  if (s === '') return '';
  const r = s + nl;
  return r === original ? original : r;
}
