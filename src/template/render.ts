/**
 * Template rendering for YAML values, task arguments and template files. The language is
 * Jinja2 with Ansible's semantics (./jinja/); Handlebars renders `.hbs` files only.
 */
import { isDict } from './jinja/py.js';
import { looksLikeTemplate, renderFile, renderNative, renderText } from './jinja/index.js';
import { renderHbs } from './hbs.js';
import type { TemplateWhere } from './undefined.js';

export type { TemplateWhere } from './undefined.js';
export { UndefinedVariableError, TemplateError, isUndefined } from './undefined.js';

/** Render `text` as a Jinja template; always returns a string. */
export function renderString(text: string, vars: Record<string, unknown>, where?: TemplateWhere): string {
  if (typeof text !== 'string') return String(text);
  if (!looksLikeTemplate(text)) return text;
  return renderText(text, vars, where);
}

/**
 * Deep-render strings inside lists and dicts (keys are left alone). A string that is a single
 * `{{ expression }}` yields the expression's native value (list, dict, number, bool, null).
 */
export function renderValue(value: unknown, vars: Record<string, unknown>, where?: TemplateWhere): unknown {
  if (typeof value === 'string') return looksLikeTemplate(value) ? renderNative(value, vars, where) : value;
  if (Array.isArray(value)) return value.map((v) => renderValue(v, vars, where));
  if (isDict(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = renderValue(v, vars, where);
    return out;
  }
  return value;
}

/** A template file's text: `.hbs` with Handlebars, anything else (`.j2`) with Jinja (trim_blocks). */
export function renderTemplateFile(text: string, path: string, vars: Record<string, unknown>, where?: TemplateWhere): string {
  if (path.endsWith('.hbs')) return renderHbs(text, vars, where ?? { file: path });
  return renderFile(text, vars, where ?? { file: path });
}

/** True if `value` (deeply) holds a template (`{{`, `{%` or `{#`). */
export function hasTemplate(value: unknown): boolean {
  if (typeof value === 'string') return looksLikeTemplate(value);
  if (Array.isArray(value)) return value.some(hasTemplate);
  if (isDict(value)) return Object.values(value).some(hasTemplate);
  return false;
}
