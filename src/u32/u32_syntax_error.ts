/**
 * Stable reasons of a {@linkcode U32SyntaxError}, one per iptables
 * `libxt_u32` parse error (plus the kernel's shift-count check).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type U32SyntaxCode, U32SyntaxError } from "./u32_syntax_error.ts";
 * import { parseU32 } from "./parse_u32.ts";
 * function problem(expression: string): U32SyntaxCode | undefined {
 *   try {
 *     parseU32(expression);
 *     return undefined;
 *   } catch (error) {
 *     if (error instanceof U32SyntaxError) return error.code;
 *     throw error;
 *   }
 * }
 * assert.equal(problem("6 & 0xFF = 6"), undefined);
 * assert.equal(problem("6 & 0xFF"), "END_AFTER_LOCATION");
 * assert.equal(problem("0 << 32 = 0"), "SHIFT_TOO_LARGE");
 * ```
 */
export type U32SyntaxCode =
  | "NOT_A_NUMBER"
  | "NUMBER_OUT_OF_RANGE"
  | "END_AFTER_LOCATION"
  | "NO_VALUE"
  | "TOO_MANY_TESTS"
  | "LOCATION_MISSING"
  | "SECOND_CHARACTER_EXPECTED"
  | "OPERATOR_EXPECTED"
  | "VALUE_MISSING"
  | "COMMA_OR_AND_EXPECTED"
  | "TOO_MANY_NUMBERS"
  | "TOO_MANY_RANGES"
  | "SHIFT_TOO_LARGE";

/**
 * A `u32` expression that iptables (or the kernel's check) would refuse, with
 * the 1-based column of the problem and a stable `code`.
 *
 * iptables reports a 0-based "char"; `column - 1` is that index.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { U32SyntaxError } from "./u32_syntax_error.ts";
 * const error = new U32SyntaxError(
 *   'Cannot parse u32 expression: operator expected at column 2 ("x")',
 *   "OPERATOR_EXPECTED",
 *   2,
 * );
 * assert.equal(error.column, 2);
 * assert.equal(error.code, "OPERATOR_EXPECTED");
 * assert.ok(error instanceof SyntaxError);
 * ```
 */
export class U32SyntaxError extends SyntaxError {
  /** 1-based column (UTF-16 code unit) of the problem. */
  readonly column: number;
  /** Stable machine-readable reason. */
  readonly code: U32SyntaxCode;
  /** Builds the error; the message should already name the place. */
  constructor(message: string, code: U32SyntaxCode, column: number) {
    super(message);
    this.name = "U32SyntaxError";
    this.code = code;
    this.column = column;
  }
}
