/** docs/keywords.md, written from the keyword declarations (test/unit/keywords.test.ts keeps the file in step). */
import { KEYWORDS, type Place } from './keywords.js';

const PLACES: readonly Place[] = ['play', 'block', 'task', 'handler', 'role'];

export function keywordsMarkdown(): string {
  const cell = (places: readonly Place[], p: Place, ansible: readonly Place[]) => (places.includes(p) ? 'yes' : ansible.includes(p) ? '**no**' : '');
  const lines = [
    '# Playbook keywords',
    '',
    '<!-- generated from src/playbook/keywords.ts by keywordsMarkdown(); do not edit by hand -->',
    '',
    'Every keyword Ansible accepts on plays, blocks, tasks, handlers and `roles:` entries, and where',
    'wheelwright supports it (**no**: Ansible accepts it there, wheelwright refuses it at load with',
    "\"'x' is an Ansible keyword that wheelwright does not support: ...\"). *Templated*: wheelwright",
    'renders variables in the value (Ansible templates every keyword marked *templatable*).',
    '',
    '| keyword | type | play | block | task | handler | role | templatable | templated | inherited | default | meaning |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const k of KEYWORDS) {
    const where = PLACES.map((p) => cell(k.wheelwright, p, k.ansible));
    const dflt = k.default === undefined ? '' : `\`${JSON.stringify(k.default)}\``;
    const meaning = k.instead && k.ansible.some((p) => !k.wheelwright.includes(p)) ? `${k.doc} Instead: ${k.instead}.` : k.doc;
    lines.push(`| \`${k.name}\` | ${k.type} | ${where.join(' | ')} | ${k.templatable ? 'yes' : ''} | ${k.templated ? 'yes' : ''} | ${k.inherited ? 'yes' : ''} | ${dflt} | ${meaning.replace(/\|/g, '\\|')} |`);
  }
  lines.push('');
  return lines.join('\n');
}
