/**
 * Load-time check of inventory variables (inventory files, group_vars/host_vars) and extra vars:
 * every string holding a template is parsed before any host is contacted, as the playbook's
 * strings are (src/playbook/template-check.ts). Sources keep no positions here, so a problem names
 * the host (or -e) and the variable path.
 */
import { UserError } from '../errors.js';
import type { Inventory } from '../inventory/types.js';
import { checkSource, looksLikeTemplate } from './jinja/index.js';
import { isDict } from './jinja/py.js';

const MAX_PROBLEMS = 20;

function walk(value: unknown, path: string, report: (path: string, detail: string) => void, depth = 0): void {
  if (depth > 64) return;
  if (typeof value === 'string') {
    if (!looksLikeTemplate(value)) return;
    const err = checkSource(value, 'value');
    if (err) report(path, err.detail);
  } else if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`, report, depth + 1));
  else if (isDict(value)) for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`, report, depth + 1);
}

/** Throws a UserError listing every variable whose template does not parse. */
export function checkVariableTemplates(inv: Inventory, extraVars: Record<string, unknown>): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  const report = (where: string) => (path: string, detail: string) => {
    const key = `${path}\u0000${detail}`;
    if (seen.has(key) || problems.length >= MAX_PROBLEMS) return;
    seen.add(key);
    problems.push(`${where} variable '${path}': ${detail}`);
  };
  for (const [k, v] of Object.entries(extraVars)) walk(v, k, report('extra vars (-e):'));
  for (const h of inv.hosts.values()) for (const [k, v] of Object.entries(h.vars)) walk(v, k, report(`host '${h.name}':`));
  if (problems.length) throw new UserError(problems.join('\n'));
}
