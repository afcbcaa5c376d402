/**
 * Every case of ../shared/conformance/filters.json through the interpreter
 * and the closure, source and wasm strategies, per packet and as one batch
 * (`runBatch`): libpcap's exact per-packet value.
 */
import assert from "node:assert/strict";
import { interpret } from "../src/bpf/interpret.ts";
import { compile, type CompiledProgram } from "../src/bpf/compile.ts";
import type { PacketContext } from "../src/bpf/packet_context.ts";
import {
  type CorpusCase,
  type CorpusPacket,
  corpusSkipReason,
  loadCases,
  loadFileTable,
  loadPackets,
  networkView,
  parseCorpusBytecode,
} from "./_corpus.ts";

/**
 * The case's packets as one batch ({@linkcode PacketBatch}): every engine's
 * `runBatch` must return libpcap's value for each.
 */
function batchAgrees(
  testCase: CorpusCase,
  packets: CorpusPacket[],
  engines: CompiledProgram[],
): void {
  const kept = packets.flatMap((_, i) => testCase.results[i] === null ? [] : [i]);
  const bytes = new Uint8Array(kept.reduce((sum, i) => sum + packets[i].data.length, 0));
  const offsets = new Uint32Array(kept.length);
  const capturedLengths = new Uint32Array(kept.length);
  const wireLengths = new Uint32Array(kept.length);
  const dataOffsets = new Uint32Array(kept.length);
  let at = 0;
  kept.forEach((index, i) => {
    const packet = packets[index];
    bytes.set(packet.data, at);
    offsets[i] = at;
    const view = testCase.base === "link" ? null : networkView(packet);
    capturedLengths[i] = view?.end ?? packet.data.length;
    wireLengths[i] = view?.wireLength ?? packet.wireLength;
    dataOffsets[i] = view?.dataOffset ?? 0;
    at += packet.data.length;
  });
  const results = new Uint32Array(kept.length);
  for (const engine of engines) {
    engine.runBatch!({ bytes, offsets, capturedLengths, wireLengths, dataOffsets }, results);
    kept.forEach((index, i) => {
      assert.equal(
        results[i],
        testCase.results[index],
        `${engine.strategy} runBatch: ${testCase.file} packet ${index} "${testCase.expr}"`,
      );
    });
  }
}

const skip = corpusSkipReason();
if (skip !== undefined) console.warn(skip);

Deno.test({
  name: "interpret() and every compile strategy return libpcap's value for every corpus packet",
  ignore: skip !== undefined,
  fn() {
    const files = loadFileTable();
    let evaluated = 0;
    let protochain = 0;
    for (const testCase of loadCases()) {
      const program = parseCorpusBytecode(testCase.bytecode);
      // libpcap's protochain loops jump backwards; Linux would refuse them.
      const backward = program.some((i) => i.code === 0x05 && (i.k | 0) < 0);
      if (backward) protochain++;
      const engines = [
        compile(program, { strategy: "closure", allowBackwardJumps: backward }),
        compile(program, { strategy: "source", allowBackwardJumps: backward }),
        compile(program, { strategy: "wasm", allowBackwardJumps: backward }),
      ];
      // Wasm is not given libpcap's backward jumps: those fall back to closures.
      assert.equal(engines[2].strategy, backward ? "closure" : "wasm");
      const packets = loadPackets(testCase.file);
      assert.equal(packets.length, files[testCase.file].packets, testCase.file);
      assert.equal(testCase.results.length, packets.length, testCase.file);
      const context: PacketContext = {};
      for (let i = 0; i < packets.length; i++) {
        const expected = testCase.results[i];
        if (expected === null) continue;
        const packet = packets[i];
        if (testCase.base === "link") {
          context.dataOffset = 0;
          context.wireLength = packet.wireLength;
          context.end = packet.data.length;
        } else {
          const view = networkView(packet);
          assert.ok(view, `${testCase.file} packet ${i} has no network view`);
          context.dataOffset = view.dataOffset;
          context.wireLength = view.wireLength;
          context.end = view.end;
        }
        const where = `${testCase.file} packet ${i} "${testCase.expr}" (${testCase.base})`;
        assert.equal(interpret(program, packet.data, context), expected, `interpret: ${where}`);
        assert.equal(engines[0](packet.data, context), expected, `closure: ${where}`);
        if (testCase.base === "link" && packet.wireLength === packet.data.length) {
          // The same packet with no context argument (the engines' paths without a context).
          assert.equal(engines[0](packet.data), expected, `closure without context: ${where}`);
          assert.equal(engines[1](packet.data), expected, `source without context: ${where}`);
        }
        assert.equal(engines[1](packet.data, context), expected, `source: ${where}`);
        assert.equal(engines[2](packet.data, context), expected, `wasm: ${where}`);
        evaluated++;
      }
      batchAgrees(testCase, packets, engines);
    }
    assert.ok(evaluated > 30000, `only ${evaluated} packets evaluated`);
    assert.ok(protochain > 0);
  },
});
