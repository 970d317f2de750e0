/** POSIX shell quoting. Every value that reaches a remote shell goes through shQuote. */
export function shQuote(value: string | number): string {
  const s = String(value);
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Quote each word and join: shJoin(['pip', 'install', 'a b']) -> pip install 'a b' */
export function shJoin(words: Array<string | number>): string {
  return words.map(shQuote).join(' ');
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `export K='v'; ` prefix. Names are validated, values quoted (sshd usually refuses SetEnv). */
export function shEnvPrefix(env: Record<string, string> | undefined): string {
  if (!env) return '';
  let out = '';
  for (const [k, v] of Object.entries(env)) {
    if (!ENV_NAME.test(k)) throw new Error(`invalid environment variable name: ${JSON.stringify(k)}`);
    out += `export ${k}=${shQuote(v)}; `;
  }
  return out;
}
