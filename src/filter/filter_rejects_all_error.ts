/**
 * A filter expression whose optimized program accepts no packet at all (its
 * first instruction is `ret #0`): libpcap's `expression rejects all packets`.
 * The expression is valid, so this is a `RangeError`, not a syntax error;
 * `compileFilter(expression, { allowRejectAll: true })` returns the one-line
 * program instead.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileFilter } from "./compile_filter.ts";
 * import { FilterRejectsAllError } from "./filter_rejects_all_error.ts";
 * assert.throws(() => compileFilter("tcp and not tcp"), FilterRejectsAllError);
 * const program = compileFilter("tcp and not tcp", { allowRejectAll: true });
 * assert.deepEqual(program, [{ code: 0x06, jt: 0, jf: 0, k: 0 }]);
 * ```
 */
export class FilterRejectsAllError extends RangeError {
  /** The expression as given. */
  readonly expression: string;
  /** Builds the error for `expression`; `reason` defaults to libpcap's words. */
  constructor(expression: string, reason = "expression rejects all packets") {
    super(`Cannot compile filter: ${reason}`);
    this.name = "FilterRejectsAllError";
    this.expression = expression;
  }
}
