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
