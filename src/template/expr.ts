/**
 * Condition expressions (`when`, `until`, `changed_when`, `failed_when`, `assert that`):
 * bare Jinja expressions evaluated by the one Jinja evaluator (./jinja/), as Ansible's
 * `{% if expr %}` does.
 */
import { compile, evalCondition, evalExpression } from './jinja/index.js';
import type { TemplateWhere } from './undefined.js';

export type { TemplateWhere } from './undefined.js';

/** Evaluate an Ansible-style expression; an Undefined result is an UndefinedVariableError. */
export function evaluate(expr: string | boolean, vars: Record<string, unknown>, where?: TemplateWhere): unknown {
  if (typeof expr === 'boolean' || typeof expr === 'number') return expr;
  return evalExpression(String(expr), vars, where);
}

/** Evaluate a condition; the result's truthiness follows Python (empty lists/strings are false). */
export function evaluateCondition(expr: string | boolean, vars: Record<string, unknown>, where?: TemplateWhere): boolean {
  if (typeof expr === 'boolean') return expr;
  if (typeof expr === 'number') return expr !== 0;
  return evalCondition(String(expr), vars, where);
}

/** Parse a condition without evaluating it (load-time check); throws a located TemplateError. */
export function checkExpression(expr: string | boolean, where?: TemplateWhere): void {
  if (typeof expr !== 'string') return;
  compile(expr, 'expr', where);
}
