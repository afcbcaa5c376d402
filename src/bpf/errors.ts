/**
 * Errors of the classic BPF engine, each carrying the place it refers to.
 *
 * @module
 */

/**
 * A program text that cannot be parsed, with the 1-based line and column.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BpfSyntaxError } from "./errors.ts";
 * const error = new BpfSyntaxError("Cannot parse bytecode: missing field k", 1, 12);
 * assert.deepEqual([error.line, error.column], [1, 12]);
 * assert.ok(error instanceof SyntaxError);
 * ```
 */
export class BpfSyntaxError extends SyntaxError {
  /** 1-based line of the problem. */
  readonly line: number;
  /** 1-based column of the problem. */
  readonly column: number;
  /** Builds the error; the message should already name the place. */
  constructor(message: string, line: number, column: number) {
    super(message);
    this.name = "BpfSyntaxError";
    this.line = line;
    this.column = column;
  }
}

/**
 * Stable codes of {@linkcode BpfValidationError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type BpfValidationCode, BpfValidationError } from "./errors.ts";
 * import type { Program } from "./instruction.ts";
 * import { validate } from "./validate.ts";
 * function refusal(program: Program): BpfValidationCode | undefined {
 *   try {
 *     validate(program);
 *     return undefined;
 *   } catch (error) {
 *     if (error instanceof BpfValidationError) return error.code;
 *     throw error;
 *   }
 * }
 * assert.equal(refusal([]), "EMPTY_PROGRAM");
 * assert.equal(refusal([{ code: 0x28, jt: 0, jf: 0, k: 12 }]), "NO_FINAL_RETURN");
 * assert.equal(refusal([{ code: 0x06, jt: 0, jf: 0, k: 0 }]), undefined);
 * ```
 */
export type BpfValidationCode =
  | "EMPTY_PROGRAM"
  | "TOO_LONG"
  | "BAD_OPCODE"
  | "BAD_FIELD"
  | "DIVISION_BY_ZERO"
  | "BAD_SHIFT"
  | "BAD_SCRATCH_INDEX"
  | "JUMP_OUT_OF_RANGE"
  | "NO_FINAL_RETURN"
  | "BAD_ANCILLARY"
  | "UNINITIALIZED_SCRATCH";

/**
 * A program the Linux checker would refuse, with the instruction index and a
 * stable `code`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BpfValidationError } from "./errors.ts";
 * const error = new BpfValidationError(
 *   "Cannot validate program: instruction 0 is not RET", "NO_FINAL_RETURN", 0);
 * assert.deepEqual([error.code, error.index], ["NO_FINAL_RETURN", 0]);
 * ```
 */
export class BpfValidationError extends RangeError {
  /** Stable machine-readable reason. */
  readonly code: BpfValidationCode;
  /** 0-based index of the offending instruction (or -1 for the whole program). */
  readonly index: number;
  /** Builds the error; the message should already name the place. */
  constructor(message: string, code: BpfValidationCode, index: number) {
    super(message);
    this.name = "BpfValidationError";
    this.code = code;
    this.index = index;
  }
}
