/**
 * {@linkcode PacketBatch}: frames side by side in one buffer, for
 * `CompiledProgram.runBatch`.
 *
 * @module
 */
import type { PacketContext } from "./packet_context.ts";

/**
 * Frames side by side in one buffer (a decoder's input block), run by
 * `CompiledProgram.runBatch` with one call for the whole batch. Frame `i`
 * starts at `bytes[offsets[i]]` (its link-layer header, where `SKF_LL_OFF`
 * loads point) and has `capturedLengths[i]` bytes; the program's offset 0
 * (and `SKF_NET_OFF`) is `dataOffsets[i]` bytes further. Each frame runs as
 * {@linkcode interpret} runs it with the context `{ ...context, dataOffset:
 * offsets[i] + dataOffsets[i], end: offsets[i] + capturedLengths[i],
 * wireLength: wireLengths[i], networkOffset: (the data offset), macOffset:
 * offsets[i] }`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { PacketBatch } from "./packet_batch.ts";
 * import { compile } from "./compile.ts";
 * // ldh [12]; jeq #0x800, accept, reject
 * const isIpv4 = compile([
 *   { code: 0x28, jt: 0, jf: 0, k: 12 },
 *   { code: 0x15, jt: 0, jf: 1, k: 0x800 },
 *   { code: 0x06, jt: 0, jf: 0, k: 0xffffffff },
 *   { code: 0x06, jt: 0, jf: 0, k: 0 },
 * ], { strategy: "closure" });
 * const bytes = new Uint8Array(120); // two 60-byte frames
 * bytes[12] = 0x08; // frame 0: IPv4
 * bytes[60 + 12] = 0x86; // frame 1: IPv6
 * bytes[60 + 13] = 0xdd;
 * const batch: PacketBatch = {
 *   bytes,
 *   offsets: new Uint32Array([0, 60]),
 *   capturedLengths: new Uint32Array([60, 60]),
 * };
 * const results = new Uint32Array(2);
 * isIpv4.runBatch!(batch, results); // every function compile() returns has it
 * assert.deepEqual([...results], [0xffffffff, 0]);
 * ```
 */
export interface PacketBatch {
  /** The buffer holding the frames. */
  bytes: Uint8Array;
  /** Per frame, the index in `bytes` where it starts. */
  offsets: Uint32Array;
  /** Per frame, its captured bytes (never read past `bytes`' end). */
  capturedLengths: Uint32Array;
  /** Per frame, what `ld len` loads (`skb->len`, counted from the program's offset 0).
   * @default {the captured bytes from the program's offset 0 on} */
  wireLengths?: Uint32Array;
  /** Per frame, bytes from its start to the program's offset 0 (`skb->data`).
   * @default {0 for every frame} */
  dataOffsets?: Uint32Array;
  /** The `sk_buff` fields ancillary loads read, the same for every frame (its
   * offsets and lengths are ignored: the arrays above give them).
   * @default {{}} */
  context?: PacketContext;
  /** How many frames to run. @default {offsets.length} */
  count?: number;
}
