/**
 * A pcap-filter expression that cannot be compiled: a syntax error or a
 * semantic one (an unknown host name, a qualifier that does not apply, a
 * primitive the link type cannot carry), with the 1-based column.
 *
 * The message reads like libpcap's (`syntax error`, `unknown host 'foo'`,
 * `illegal qualifier of 'port'`) inside the project's `Cannot <action>:
 * <reason>` form, and always names the column. Runs of 64 or more
 * characters quoted from the input are cut to 40 and `…`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FilterSyntaxError } from "./filter_syntax_error.ts";
 * const error = new FilterSyntaxError("syntax error", 5);
 * assert.equal(error.message, "Cannot compile filter: syntax error at column 5");
 * assert.deepEqual([error.line, error.column, error.reason], [1, 5, "syntax error"]);
 * ```
 */
export class FilterSyntaxError extends SyntaxError {
  /** Always 1: filter expressions are one line (newlines count as blanks). */
  readonly line: number;
  /** 1-based column of the token the error refers to. */
  readonly column: number;
  /** The libpcap-style reason alone, e.g. `syntax error`. */
  readonly reason: string;
  /** Builds the error from the reason and the 1-based column. */
  constructor(reason: string, column: number) {
    // Quoted input can be arbitrarily long ('xxxx…' of a megabyte): cut long runs.
    reason = reason.replace(/[^\s'"]{64,}/g, (run) => run.slice(0, 40) + "…");
    super(`Cannot compile filter: ${reason} at column ${column}`);
    this.name = "FilterSyntaxError";
    this.line = 1;
    this.column = column;
    this.reason = reason;
  }
}
