/**
 * The Jinja equivalent of a string written with the project's old Handlebars helpers
 * (`{{default x "y"}}`, `{{basename p}}`, `{{#if c}}...{{/if}}`), for the load-time error.
 */
const FILTER_HELPERS = new Set([
  'default', 'join', 'basename', 'dirname', 'lower', 'upper', 'trim', 'quote', 'to_json', 'to_nice_json', 'to_yaml', 'from_json',
  'from_yaml', 'replace', 'split', 'length', 'first', 'last', 'unique', 'sort', 'union', 'difference', 'intersect', 'bool', 'int',
  'b64encode', 'b64decode', 'regex_replace', 'regex_search',
]);
const OPS: Record<string, string> = { eq: '==', ne: '!=', gt: '>', ge: '>=', lt: '<', le: '<=' };

function words(s: string): string[] | undefined {
  const out: string[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\([^()]*\)|[^\s()]+)/gy;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = re.exec(s))) {
    out.push(m[1]);
    last = re.lastIndex;
  }
  return s.slice(last).trim() === '' ? out : undefined;
}

function arg(w: string): string {
  if (/^"(.*)"$/.test(w)) return `'${w.slice(1, -1).replace(/'/g, "\\'")}'`;
  if (w === 'this') return 'item';
  if (w.startsWith('(') && w.endsWith(')')) return `(${call(w.slice(1, -1)) ?? w.slice(1, -1)})`;
  return w.replace(/^this\./, 'item.').replace(/\.\[(\d+)\]/g, '[$1]');
}

/** `helper a b` -> Jinja expression, or undefined when it is no helper call. */
function call(inner: string): string | undefined {
  const w = words(inner.trim());
  if (!w || w.length < 2) return undefined;
  const [h, ...rest] = w;
  const a = rest.map(arg);
  if (h === 'default') return `${a[0]} | default(${a.slice(1).join(', ')})`;
  if (h === 'concat') return a.join(' ~ ');
  if (h === 'dict_get') return `${a[0]}[${a[1]}]${a[2] ? ` | default(${a[2]})` : ''}`;
  if (h === 'version_compare') return `${a[0]} is version(${a.slice(1).join(', ')})`;
  if (h === 'defined') return `${a[0]} is defined`;
  if (h === 'not') return `not ${a[0]}`;
  if (h === 'and' || h === 'or') return a.join(` ${h} `);
  if (Object.hasOwn(OPS, h)) return `${a[0]} ${OPS[h]} ${a[1]}`;
  if (FILTER_HELPERS.has(h)) return `${a[0]} | ${h}${a.length > 1 ? `(${a.slice(1).join(', ')})` : ''}`;
  return undefined;
}

/** The Jinja form of `src` if it uses Handlebars helper or block syntax; undefined otherwise. */
export function hbsHint(src: string): string | undefined {
  let found = false;
  const out = src.replace(/\{\{(~?)\s*([#/]?)([\s\S]*?)\s*(~?)\}\}/g, (m, _l, sigil: string, body: string) => {
    if (sigil === '#') {
      const w = words(body);
      if (!w) return m;
      const [kw, ...rest] = w;
      const expr = rest.length > 1 ? call(rest.join(' ')) ?? rest.map(arg).join(' ') : rest.map(arg).join(' ');
      found = true;
      if (kw === 'if') return `{% if ${expr} %}`;
      if (kw === 'unless') return `{% if not ${expr} %}`;
      if (kw === 'each') return `{% for item in ${expr} %}`;
      if (kw === 'with') return `{% with it = ${expr} %}`;
      found = false;
      return m;
    }
    if (sigil === '/') {
      found = true;
      return { if: '{% endif %}', unless: '{% endif %}', each: '{% endfor %}', with: '{% endwith %}' }[body.trim()] ?? m;
    }
    if (body.trim() === 'else') {
      found = true;
      return '{% else %}';
    }
    const j = call(body);
    if (j !== undefined) {
      found = true;
      return `{{ ${j} }}`;
    }
    if (body.trim() === 'this' || /^this\./.test(body.trim())) return `{{ ${arg(body.trim())} }}`;
    return m;
  });
  return found ? out : undefined;
}
