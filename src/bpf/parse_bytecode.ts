import type { Instruction } from "./instruction.ts";
/** STUB — replaced by the engine work. */
export function parseBytecode(_text: string): Instruction[] {
  throw new Error("not implemented");
}
