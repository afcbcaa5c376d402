/**
 * Walks the closure strategy's dispatch code (`src/bpf/_dispatch_code.ts`)
 * operation by operation, for tests that check which operations a program
 * is laid out as (operands are skipped, so none is taken for an operation).
 *
 * @module
 */
import { _operationWidth } from "../src/bpf/_dispatch_walk.ts";

/** Words of the operation at `pc` (its number and its operands); an unknown number throws. */
export const operationWidth = _operationWidth;

/** The operation numbers of `code`, walked from the start. */
export function operationsOf(code: Int32Array): number[] {
  const out: number[] = [];
  for (let pc = 0; pc < code.length; pc += operationWidth(code, pc)) out.push(code[pc]);
  return out;
}
