import type { Instruction } from "../bpf/instruction.ts";
import type { U32Test } from "./types.ts";
/** STUB — replaced by the u32 work. */
export function u32ToBpf(_tests: readonly U32Test[]): Instruction[] {
  throw new Error("not implemented");
}
