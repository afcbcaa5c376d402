import type { Program } from "./instruction.ts";
/** STUB — replaced by the engine work. */
export function disassemble(_program: Program): string {
  throw new Error("not implemented");
}
