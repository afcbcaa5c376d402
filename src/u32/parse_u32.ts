import type { U32Test } from "./types.ts";
/** STUB — replaced by the u32 work. */
export function parseU32(_text: string): U32Test[] {
  throw new Error("not implemented");
}
