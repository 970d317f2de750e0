/**
 * Ansible's `!unsafe` YAML tag: the text is never templated, and what is rendered from it stays
 * untemplated. wheelwright reads it as a template that renders to exactly that text (a Jinja
 * `raw` block), so every place that renders values (variables, vars_files, group_vars, module
 * arguments, set_fact) gives the text unchanged, and a variable that references it gets the text,
 * not its templating.
 */
const TEMPLATE_START = /\{[{%#]/;

/** The text of an `!unsafe` scalar as a template whose output is exactly `s`. */
export function unsafeText(s: string): string {
  if (!TEMPLATE_START.test(s)) return s; // nothing in it a template would act on
  // `{% endraw %}` inside the text closes the raw block: put it back as a string expression
  return s
    .split('{% endraw %}')
    .map((part) => (part ? `{% raw %}${part}{% endraw %}` : ''))
    .join(`{{ '{% endraw %}' }}`);
}

/** `customTags` entry for the yaml package. */
export const unsafeYamlTag = { tag: '!unsafe', resolve: (s: string): string => unsafeText(s) };
