/**
 * The closure strategy on hand-written edge programs
 * (tests/_closure_edge_programs.ts) against the reference interpreter: each
 * program compiled twice, on every packet and context, per call from its own
 * call site and from one shared helper, and by `runBatch`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { compile } from "../src/bpf/compile.ts";
import { interpret } from "../src/bpf/interpret.ts";
import type { PacketBatch } from "../src/bpf/packet_batch.ts";
import type { PacketContext } from "../src/bpf/packet_context.ts";
import {
  _EDGE_CONTEXTS,
  _EDGE_PROGRAMS,
  _edgePackets,
  _parseProgram,
} from "./_closure_edge_programs.ts";

type _Run = ReturnType<typeof compile>;

/** One call site for every program. */
function callShared(run: _Run, packet: Uint8Array, context?: PacketContext): number {
  return context === undefined ? run(packet) : run(packet, context);
}

/** The packets side by side in one buffer at odd offsets, with wire lengths, as a batch. */
function batchOf(packets: Uint8Array[]): { batch: PacketBatch; contexts: PacketContext[] } {
  const offsets: number[] = [];
  let at = 1;
  for (const p of packets) {
    offsets.push(at);
    at += p.length + 1;
  }
  const bytes = new Uint8Array(at + 3).fill(0xee);
  packets.forEach((p, i) => bytes.set(p, offsets[i]));
  const wires = packets.map((p, i) => i % 3 === 0 ? p.length + 10 : p.length);
  const batch: PacketBatch = {
    bytes,
    offsets: Uint32Array.from(offsets),
    capturedLengths: Uint32Array.from(packets, (p) => p.length),
    wireLengths: Uint32Array.from(wires),
  };
  const contexts = packets.map((p, i): PacketContext => ({
    dataOffset: offsets[i],
    end: offsets[i] + p.length,
    wireLength: wires[i],
    networkOffset: offsets[i],
    macOffset: offsets[i],
  }));
  return { batch, contexts };
}

/**
 * Compiles `n` one-operation programs and runs each once: the process's
 * per-process entries (trees) run out, so that later programs take the
 * dispatch loop (and its fused operations).
 */
function exhaustEntries(n: number): void {
  for (let i = 0; i < n; i++) {
    compile(_parseProgram(`48 0 0 ${i % 60}, 21 0 1 ${i}, 6 0 0 1, 6 0 0 0`), {
      strategy: "closure",
    })(new Uint8Array(64));
  }
}

Deno.test("closure strategy: edge programs agree with interpret() (twice, shared, runBatch, past the entries)", () => {
  const packets = _edgePackets();
  const { batch, contexts } = batchOf(packets);
  const rounds = ["first", "again", "past the entries"];
  for (const round of rounds) {
    if (round === "past the entries") exhaustEntries(300);
    for (const [name, text] of _EDGE_PROGRAMS) {
      const program = _parseProgram(text);
      const run = compile(program, { strategy: "closure" });
      for (const packet of packets) {
        for (const context of _EDGE_CONTEXTS) {
          const want = interpret(program, packet, context);
          const where = `${name} (${round}), ${packet.length} bytes, ${JSON.stringify(context)}`;
          assert.equal(context === undefined ? run(packet) : run(packet, context), want, where);
          assert.equal(callShared(run, packet, context), want, `${where}, shared`);
        }
      }
      const results = new Uint32Array(packets.length);
      run.runBatch!(batch, results);
      contexts.forEach((context, i) => {
        const want = interpret(program, batch.bytes, context);
        assert.equal(results[i], want, `${name} (${round}), runBatch frame ${i}`);
      });
    }
  }
});
