import type { Program } from "./instruction.ts";
import type { PacketContext } from "./packet_context.ts";
/** A compiled program: returns what the program returns for one packet. */
export type CompiledProgram = (packet: Uint8Array, context?: PacketContext) => number;
/** Options of {@linkcode compile}. */
export interface CompileOptions {
  /** How to compile. @default {"closure"} */
  strategy?: "closure" | "source";
  /** Largest accepted program. @default {4096} */
  maxInstructions?: number;
}
/** STUB — replaced by the engine work. */
export function compile(_program: Program, _options?: CompileOptions): CompiledProgram {
  throw new Error("not implemented");
}
