import { UserError } from '../errors.js';

/**
 * POSIX word splitting (Python's shlex.split) for argument strings: the command module's free form,
 * ansible_ssh_common_args, pip argument variables: quotes and
 * backslashes are honoured, nothing is expanded.
 */
export function shSplit(s: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === "'") {
      const j = s.indexOf("'", i + 1);
      if (j < 0) throw new UserError(`unterminated single quote in: ${s}`);
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
      if (!closed) throw new UserError(`unterminated double quote in: ${s}`);
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
