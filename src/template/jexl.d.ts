// Minimal typings for jexl 2.3 (the package ships none).
declare module 'jexl' {
  interface OnDemand {
    eval(): { then(fn: (v: unknown) => unknown): unknown };
  }
  interface Expression {
    evalSync(context?: Record<string, unknown>): unknown;
  }
  class Jexl {
    addBinaryOp(op: string, precedence: number, fn: (left: OnDemand, right: OnDemand) => unknown, manualEval: true): void;
    addBinaryOp(op: string, precedence: number, fn: (left: unknown, right: unknown) => unknown, manualEval?: false): void;
    addUnaryOp(op: string, fn: (right: unknown) => unknown): void;
    addTransform(name: string, fn: (value: unknown, ...args: unknown[]) => unknown): void;
    addFunction(name: string, fn: (...args: unknown[]) => unknown): void;
    removeOp(op: string): void;
    compile(expression: string): Expression;
    evalSync(expression: string, context?: Record<string, unknown>): unknown;
  }
  const instance: Jexl & { Jexl: typeof Jexl };
  export default instance;
}
