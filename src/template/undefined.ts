/**
 * Jinja-like undefined values shared by templates and expressions.
 *
 * A missing variable resolves to an Undefined sentinel instead of JS `undefined`, so that
 * `default`, `if`, `is defined` can treat it as missing while any other use (printing it,
 * comparing it, passing it to a helper) throws an UndefinedVariableError naming the variable.
 */
import { UserError } from '../errors.js';

/** Where a template or expression comes from, for error messages. */
export interface TemplateWhere {
  file?: string;
  task?: string;
  line?: number;
  col?: number;
}

/** ` in task 'T' (file:12:3)`; empty when nothing is known. */
export function formatWhere(where?: TemplateWhere): string {
  if (!where) return '';
  let out = '';
  if (where.task) out += ` in task '${where.task}'`;
  if (where.file) {
    let pos = where.file;
    if (where.line !== undefined) {
      pos += `:${where.line}`;
      if (where.col !== undefined) pos += `:${where.col}`;
    }
    out += ` (${pos})`;
  }
  return out;
}

function hasWhere(where?: TemplateWhere): boolean {
  return !!where && (where.task !== undefined || where.file !== undefined);
}

/** A UserError about a template/expression; `detail` is the message without the location. */
export class TemplateError extends UserError {
  constructor(
    public readonly detail: string,
    public readonly where?: TemplateWhere,
  ) {
    super(detail + formatWhere(where));
    this.name = 'TemplateError';
  }

  /** The same error located at `where`, unless it already carries a location. */
  withWhere(where?: TemplateWhere): TemplateError {
    if (hasWhere(this.where) || !hasWhere(where)) return this;
    return this.relocate(where!);
  }

  protected relocate(where: TemplateWhere): TemplateError {
    return new TemplateError(this.detail, where);
  }
}

/** `undefined variable 'venv_path' in task 'Create venv' (roles/x/tasks/main.yml:12:3)` */
export class UndefinedVariableError extends TemplateError {
  constructor(
    public readonly variable: string,
    where?: TemplateWhere,
  ) {
    super(`undefined variable '${variable}'`, where);
    this.name = 'UndefinedVariableError';
  }

  protected override relocate(where: TemplateWhere): TemplateError {
    return new UndefinedVariableError(this.variable, where);
  }
}

/** Attach `where` to template errors; leave other errors alone. */
export function locate(err: unknown, where?: TemplateWhere): unknown {
  return err instanceof TemplateError ? err.withWhere(where) : err;
}

const UNDEF_NAME = Symbol('wheelwright.undefined');

class UndefinedTarget {
  readonly [UNDEF_NAME]: string;
  constructor(name: string) {
    this[UNDEF_NAME] = name;
  }
}

function thrower(name: string) {
  return () => {
    throw new UndefinedVariableError(name);
  };
}

/**
 * The Undefined sentinel for `name`. Any property read on it yields itself (so `a.b.c` with `a`
 * missing still names `a`); converting it to a string or JSON throws UndefinedVariableError.
 */
export function makeUndefined(name: string): object {
  const target = new UndefinedTarget(name);
  const self: object = new Proxy(target, {
    get(t, key) {
      if (key === UNDEF_NAME) return name;
      if (key === Symbol.toPrimitive || key === 'toString' || key === 'valueOf' || key === 'toJSON') return thrower(name);
      if (typeof key === 'symbol') return undefined;
      return self;
    },
    has: () => false,
    // Handlebars only follows own properties: report every name as one, holding the sentinel.
    getOwnPropertyDescriptor: (t, key) =>
      typeof key === 'string' ? { value: self, writable: false, enumerable: false, configurable: true } : Reflect.getOwnPropertyDescriptor(t, key),
    ownKeys: () => [],
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
    setPrototypeOf: () => false,
  });
  return self;
}

export function isUndefined(v: unknown): boolean {
  return v instanceof UndefinedTarget;
}

/** The variable an Undefined sentinel stands for (undefined for other values). */
export function undefinedName(v: unknown): string | undefined {
  return v instanceof UndefinedTarget ? v[UNDEF_NAME] : undefined;
}

/** Throw UndefinedVariableError if `v` is the Undefined sentinel. */
export function assertDefined(v: unknown): void {
  if (v instanceof UndefinedTarget) throw new UndefinedVariableError(v[UNDEF_NAME]);
}
