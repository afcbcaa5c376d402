/**
 * Checks `CompiledProgram.runBatch` against the reference interpreter: the
 * packets laid side by side in one buffer (with gaps, so a frame's end is
 * not the buffer's), under several batch layouts (with and without data
 * offsets, wire lengths and an ancillary context, offsets past int32), each
 * frame's result compared with `interpret()` given the context that
 * `PacketBatch` documents.
 *
 * @module
 */
import assert from "node:assert/strict";
import { interpret } from "../src/bpf/interpret.ts";
import type { Instruction } from "../src/bpf/instruction.ts";
import type { PacketBatch } from "../src/bpf/packet_batch.ts";
import type { PacketContext } from "../src/bpf/packet_context.ts";

/** What varies between the layouts: per frame, a data offset and a wire length (or none). */
interface _Layout {
  dataOffset?: (i: number) => number;
  wireLength?: (i: number, captured: number) => number;
  context?: PacketContext;
}

const _LAYOUTS: _Layout[] = [
  {},
  { dataOffset: () => 14 },
  { dataOffset: (i) => i % 7, wireLength: (i, captured) => captured + (i % 3) - 1 },
  { wireLength: () => 0xffffffff },
  { wireLength: (i) => i % 5 },
  // Past int32: the data offset, and so every load, beyond the buffer.
  { dataOffset: (i) => (i % 2 === 0 ? 2 ** 31 : 0xffffffff), wireLength: () => 2 ** 31 + 3 },
  { context: { protocol: 0x0800, ifindex: 3, mark: 0x80000001, pktType: 2, hatype: 1 } },
];

/** The frames side by side, three bytes of 0xee between them, under `layout`. */
function _batchOf(packets: readonly Uint8Array[], layout: _Layout): PacketBatch {
  const bytes = new Uint8Array(packets.reduce((sum, p) => sum + p.length + 3, 0)).fill(0xee);
  const offsets = new Uint32Array(packets.length);
  const capturedLengths = new Uint32Array(packets.length);
  let at = 0;
  packets.forEach((packet, i) => {
    bytes.set(packet, at);
    offsets[i] = at;
    capturedLengths[i] = packet.length;
    at += packet.length + 3;
  });
  const batch: PacketBatch = { bytes, offsets, capturedLengths, context: layout.context };
  if (layout.dataOffset) {
    batch.dataOffsets = Uint32Array.from(packets, (_, i) => layout.dataOffset!(i));
  }
  if (layout.wireLength) {
    batch.wireLengths = Uint32Array.from(packets, (p, i) => layout.wireLength!(i, p.length));
  }
  return batch;
}

/** Frame i of `batch` as `interpret()` sees it. */
function _contextOf(batch: PacketBatch, i: number): PacketContext {
  const start = batch.offsets[i];
  const data = start + (batch.dataOffsets?.[i] ?? 0);
  return {
    ...batch.context,
    dataOffset: data,
    end: start + batch.capturedLengths[i],
    wireLength: batch.wireLengths?.[i],
    networkOffset: data,
    macOffset: start,
  };
}

/**
 * Asserts that `runBatch` gives, for every frame of every layout (and for a
 * `count` shorter than the arrays), what `interpret()` gives.
 */
export function assertBatchAgrees(
  runBatch: (batch: PacketBatch, results: Uint32Array) => void,
  program: readonly Instruction[],
  packets: readonly Uint8Array[],
  label = "",
): void {
  for (const layout of _LAYOUTS) {
    const batch = _batchOf(packets, layout);
    const results = new Uint32Array(packets.length + 1).fill(0x5a5a5a5a);
    runBatch(batch, results);
    for (let i = 0; i < packets.length; i++) {
      const context = _contextOf(batch, i);
      const expected = interpret(program as Instruction[], batch.bytes, context);
      assert.equal(
        results[i],
        expected,
        `${label} program ${JSON.stringify(program)} frame ${i} [${packets[i]}] context ${
          JSON.stringify(context)
        }`,
      );
    }
    assert.equal(results[packets.length], 0x5a5a5a5a, "runBatch wrote past the batch");
    if (packets.length > 1) {
      const partial = new Uint32Array(packets.length).fill(7);
      runBatch({ ...batch, count: 1 }, partial);
      assert.equal(partial[0], results[0]);
      assert.ok(partial.subarray(1).every((r) => r === 7), "runBatch ran past count");
    }
  }
}
