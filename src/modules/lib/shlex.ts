/**
 * POSIX-like word splitting for the command module's free form (Python's shlex.split): quotes and
 * backslashes are honoured, nothing is expanded.
 */
export function shlexSplit(s: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === "'") {
      const j = s.indexOf("'", i + 1);
      if (j < 0) throw new Error(`unterminated single quote in: ${s}`);
      cur += s.slice(i + 1, j);
      inWord = true;
      i = j + 1;
    } else if (c === '"') {
      i++;
      let closed = false;
      while (i < s.length) {
        const d = s[i]!;
        if (d === '"') { closed = true; i++; break; }
        if (d === '\\' && i + 1 < s.length && '"\\$`\n'.includes(s[i + 1]!)) { cur += s[i + 1]; i += 2; continue; }
        cur += d;
        i++;
      }
      if (!closed) throw new Error(`unterminated double quote in: ${s}`);
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 < s.length) cur += s[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      i++;
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/**
 * Ansible's inline options in a free-form command (`cmd arg creates=/x chdir=/y`): words of the form
 * `key=value` for a known key are taken out of the command. Returns the remaining raw text and the options.
 */
export function extractInlineArgs(raw: string, keys: readonly string[]): { raw: string; opts: Record<string, string> } {
  const opts: Record<string, string> = {};
  const re = new RegExp(`(^|\\s)(${keys.join('|')})=('([^']*)'|"([^"]*)"|(\\S+))(?=\\s|$)`, 'g');
  const rest = raw.replace(re, (_m, pre: string, key: string, _v, sq?: string, dq?: string, bare?: string) => {
    opts[key] = sq ?? dq ?? bare ?? '';
    return pre;
  });
  return { raw: rest.trim(), opts };
}
