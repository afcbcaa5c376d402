import type { Program } from "./instruction.ts";
import type { PacketContext } from "./packet_context.ts";
/** One executed instruction. STUB shape — the engine work may extend it. */
export interface TraceStep {
  /** Index of the executed instruction. */
  pc: number;
  /** Accumulator after the instruction. */
  a: number;
  /** Index register after the instruction. */
  x: number;
  /** Scratch cells read or written by the instruction. */
  scratch: { index: number; value: number; write: boolean }[];
}
/** The steps of one run and what it returned. */
export interface Trace {
  /** Executed instructions in order. */
  steps: TraceStep[];
  /** The program's return value (0 also for a failed load). */
  result: number;
  /** Why the run ended early, if it did (e.g. a load out of bounds). */
  abort?: string;
}
/** STUB — replaced by the engine work. */
export function trace(_program: Program, _packet: Uint8Array, _context?: PacketContext): Trace {
  throw new Error("not implemented");
}
