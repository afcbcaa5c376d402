import type { Program } from "./instruction.ts";
/** Options of {@linkcode validate}. */
export interface ValidateOptions {
  /** Largest accepted program. @default {4096} */
  maxInstructions?: number;
}
/** STUB — replaced by the engine work. */
export function validate(_program: Program, _options?: ValidateOptions): void {
  throw new Error("not implemented");
}
