/**
 * The error for bad input data, with the file it came from.
 *
 * @module
 */

/**
 * Bad data (a capture, a rule file, a program) named by where it came from:
 * the message starts with the file name or option (`rules.txt: Cannot parse
 * rule set: ... at line 3, column 14`) and `cause` is the underlying typed
 * error (`CaptureFormatError`, `RuleSetError`, `BpfSyntaxError`...).
 * `runCli` prints the message and exits with status 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DataError } from "./data_error.ts";
 * const cause = new SyntaxError("Cannot parse bytecode: missing field at line 1, column 9");
 * const error = DataError.from("--bytecode", cause);
 * assert.equal(error.message, "--bytecode: Cannot parse bytecode: missing field at line 1, column 9");
 * ```
 */
export class DataError extends Error {
  /** Where the data came from: a file name, `<stdin>`, or an option such as `--bytecode`. */
  readonly source: string;
  /** Builds the error. */
  constructor(source: string, message: string, options?: { cause?: unknown }) {
    super(`${source}: ${message}`, options);
    this.name = "DataError";
    this.source = source;
  }

  /**
   * Wraps any thrown value, keeping it as `cause` (a `DataError` is returned
   * as is); the messages of the error's causes are appended.
   */
  static from(source: string, error: unknown): DataError {
    if (error instanceof DataError) return error;
    let message = error instanceof Error ? error.message : String(error);
    // A wrapper's message ("bad --bytecode program in chain ...") gains its
    // cause's, which names the instruction, line or column.
    for (let e = error, depth = 0; e instanceof Error && depth < 4; depth++) {
      const cause = e.cause;
      if (cause instanceof Error && !message.includes(cause.message)) {
        message += `: ${cause.message}`;
      }
      e = cause;
    }
    return new DataError(source, message, { cause: error });
  }
}
