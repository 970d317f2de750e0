/** Errors the user can fix. The CLI prints `message` (never a stack) and exits with EXIT.badInput. */
export interface SourcePos {
  file: string;
  line: number; // 1-based
  col: number; // 1-based
}

export function formatPos(pos?: SourcePos): string {
  return pos ? `${pos.file}:${pos.line}:${pos.col}` : '';
}

export class UserError extends Error {
  constructor(message: string, public readonly pos?: SourcePos) {
    super(pos ? `${formatPos(pos)}: ${message}` : message);
    this.name = 'UserError';
  }
}

/** Process exit codes (documented in README). */
export const EXIT = {
  ok: 0,
  internal: 1,
  hostFailed: 2,
  hostUnreachable: 4,
  badInput: 5,
  /** stopped by SIGINT (128 + 2) / SIGTERM (128 + 15), after a clean stop */
  sigint: 130,
  sigterm: 143,
} as const;

/** The exit code of a run stopped by `signal`. */
export function exitForSignal(signal: string): number {
  return signal === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint;
}
