import type { PacketContext } from "../bpf/packet_context.ts";
import type { U32Test } from "./types.ts";
/** STUB — replaced by the u32 work. */
export function compileU32(
  _tests: readonly U32Test[],
): (packet: Uint8Array, context?: PacketContext) => boolean {
  throw new Error("not implemented");
}
