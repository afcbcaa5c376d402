/**
 * A program checked as the kernel's checker checks it, before it runs.
 *
 * @module
 */
import type { Instruction } from "../bpf/instruction.ts";
import { validate } from "../bpf/validate.ts";
import { DataError } from "./data_error.ts";

/**
 * Checks `program` as the reference interpreter runs it (the kernel's
 * checker, at most `maxInstructions`; `allowBackwardJumps` accepts
 * libpcap's `protochain` loops): throws a {@linkcode DataError} naming
 * `name`.
 */
export function _checkProgram(
  name: string,
  program: Instruction[],
  maxInstructions: number,
  allowBackwardJumps = false,
): void {
  try {
    validate(program, { maxInstructions, allowBackwardJumps });
  } catch (error) {
    throw DataError.from(name, error);
  }
}
