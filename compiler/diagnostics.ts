// User-facing errors. Anything a user can cause (a bad file, a bad option, an unsupported op) is thrown as
// a TinyforgeError with enough context to act on; the CLI prints it as one line and exits 1 (2 for usage).
export interface Where {
  file?: string;
  line?: number;
  column?: number;
  /** Operator index and/or name in the model. */
  op?: number | string;
}

export class TinyforgeError extends Error {
  readonly where: Where;
  readonly hint?: string;
  readonly exitCode: number;
  constructor(message: string, where: Where = {}, hint?: string, exitCode = 1) {
    super(message);
    this.name = 'TinyforgeError';
    this.where = where;
    this.hint = hint;
    this.exitCode = exitCode;
  }
  /** `file:line:col: op N: message (hint)` */
  format(): string {
    const w = this.where;
    let loc = '';
    if (w.file) loc += w.file + (w.line !== undefined ? `:${w.line}` + (w.column !== undefined ? `:${w.column}` : '') : '') + ': ';
    if (w.op !== undefined) loc += `op ${w.op}: `;
    return loc + this.message + (this.hint ? ` (${this.hint})` : '');
  }
}

export class UsageError extends TinyforgeError {
  constructor(message: string) {
    super(message, {}, undefined, 2);
    this.name = 'UsageError';
  }
}

/** The default of an exhaustive switch over a union (op kinds): a compile error when a member is not handled. */
export function assertNever(x: never, what: string): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(x)}`);
}
