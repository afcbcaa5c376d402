import type { Program } from "./instruction.ts";
import type { PacketContext } from "./packet_context.ts";
/** STUB — replaced by the engine work. */
export function interpret(
  _program: Program,
  _packet: Uint8Array,
  _context?: PacketContext,
): number {
  throw new Error("not implemented");
}
