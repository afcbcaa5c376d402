/**
 * A program made runnable: apart from `_program.ts`, so that a command that
 * only checks a program (`filter --expr`/`--bytecode`, whose records the
 * Wasm walk runs: ./_check_program.ts) does not load the compilers
 * (start-up).
 *
 * @module
 */
import { compile, type CompiledProgram } from "../bpf/compile.ts";
import type { Instruction } from "../bpf/instruction.ts";
import { interpret } from "../bpf/interpret.ts";
import { DataError } from "./data_error.ts";
import { _checkProgram } from "./_check_program.ts";

/**
 * Validates and compiles a program for running: `interpret` runs the
 * reference interpreter (after the same checks), the others `compile`
 * (`undefined`: the strategy `compile()` picks for this runtime).
 * `allowBackwardJumps` accepts libpcap's `protochain` loops, which Linux
 * refuses.
 */
export function _runnable(
  name: string,
  program: Instruction[],
  strategy: "closure" | "source" | "interpret" | undefined,
  maxInstructions: number,
  allowBackwardJumps = false,
): CompiledProgram {
  if (strategy === "interpret") {
    _checkProgram(name, program, maxInstructions, allowBackwardJumps);
    return (packet, context) => interpret(program, packet, context);
  }
  try {
    return compile(program, { strategy, maxInstructions, allowBackwardJumps });
  } catch (error) {
    throw DataError.from(name, error);
  }
}
