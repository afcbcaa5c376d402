/**
 * The Wasm walk over pcapng Enhanced Packet Blocks in place
 * (`_WasmWalk.walkPacketBlocks`, ../bpf/_wasm_pcap_walk.ts `packetBlocks`)
 * against the reference interpreter: the blocks it accepts are those the
 * interpreter accepts, it walks every block of a run, and it stops where
 * the decoder must take over (another kind of block, an interface id or a
 * captured length over the section's limits, a bad trailing length, a
 * block past the end it is given).
 */
import assert from "node:assert/strict";
import { interpret } from "../bpf/interpret.ts";
import { compileFilter } from "../filter/compile_filter.ts";
import { CaptureDecoder } from "../capture/capture_decoder.ts";
import { concat, epb, idb, shb, spb } from "../capture/_test_captures.ts";
import { _decodeRecords } from "../stream/_router_test_helpers.ts";
import { _makeWasmWalk, type _WasmWalk } from "./_wasm_walk.ts";
import { _mixed, _repeatMixed } from "./_test_capture.ts";

const EXPRESSIONS = [
  "tcp port 80",
  "ip",
  "greater 200",
  "len < 100",
  "ether[60] = 0",
  "ip6 or arp",
];

/**
 * The packets of the mixed test capture (three times) as Enhanced Packet
 * Blocks on interfaces 0 and 1, some with wire lengths past their captured bytes.
 */
function _blocks(): { blocks: Uint8Array[]; data: Uint8Array[]; wire: number[] } {
  const packets = _decodeRecords(_repeatMixed(3)).filter((r) => r.kind === 1);
  return {
    blocks: packets.map((p, k) =>
      epb(p.data, { interfaceId: k & 1, wire: p.wireLength + (k % 3) * 150, timestamp: BigInt(k) })
    ),
    data: packets.map((p) => p.data),
    wire: packets.map((p, k) => p.wireLength + (k % 3) * 150),
  };
}

/** The first interface of a little-endian section of two Ethernet interfaces. */
function _interface() {
  const decoder = new CaptureDecoder();
  decoder.push(concat(shb(), idb(), idb()));
  return decoder.interfaces[0];
}

/** Walks `bytes` (copied into the walk's memory) up to `to` bytes; the accepted block indices and where it stopped. */
function _walk(
  walk: _WasmWalk,
  bytes: Uint8Array,
  limits = { interfaces: 2, snaplen: 262144 },
  to = bytes.length,
) {
  const block = walk.take(bytes.length)!;
  block.set(bytes);
  const base = block.byteOffset;
  const runs: [number, number][] = [];
  const stop = walk.walkPacketBlocks(base, base + to, _interface(), limits, (start, end) => {
    runs.push([start - base, end - base]);
  });
  walk.give(block);
  // Block starts, to name the accepted ones by index.
  const starts: number[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at + 8 <= bytes.length; at += view.getUint32(at + 4, true)) starts.push(at);
  const accepted: number[] = [];
  for (const [start, end] of runs) {
    for (let k = starts.indexOf(start); k >= 0 && starts[k] < end; k++) accepted.push(k);
  }
  return { stop: stop - base, blocks: walk.walkedBlocks, accepted, starts };
}

function _walkOf(expression: string): _WasmWalk {
  const program = compileFilter(expression, { linkType: 1 });
  const walk = _makeWasmWalk({ programFor: () => program, counted: () => {} });
  assert.ok(!("reason" in walk), "run-time Wasm is allowed here");
  return walk as _WasmWalk;
}

Deno.test("Wasm walk of Enhanced Packet Blocks in place: the interpreter's verdicts, every block of the run walked", () => {
  const { blocks, data, wire } = _blocks();
  assert.ok(blocks.length > 20);
  const bytes = concat(...blocks);
  let mixedVerdicts = 0;
  for (const expression of EXPRESSIONS) {
    const program = compileFilter(expression, { linkType: 1 });
    const walked = _walk(_walkOf(expression), bytes);
    assert.equal(walked.stop, bytes.length, expression);
    assert.equal(walked.blocks, blocks.length, expression);
    const expected = data.flatMap((d, k) =>
      interpret(program, d, { wireLength: wire[k] }) !== 0 ? [k] : []
    );
    assert.deepEqual(walked.accepted, expected, expression);
    if (expected.length > 0 && expected.length < blocks.length) mixedVerdicts++;
  }
  assert.ok(mixedVerdicts >= 4, `${mixedVerdicts} expressions both accept and drop`);
});

Deno.test("Wasm walk of Enhanced Packet Blocks stops where the decoder must take over", () => {
  const { blocks } = _blocks();
  const walk = _walkOf("ip");
  const at = 7;
  const starts = _walk(walk, concat(...blocks)).starts;
  const stopsAt = (bytes: Uint8Array, limits?: { interfaces: number; snaplen: number }) => {
    const walked = _walk(walk, bytes, limits);
    return [walked.stop, walked.blocks];
  };
  const packet = _decodeRecords(_mixed).filter((r) => r.kind === 1)[at];
  const replaced = (block: Uint8Array) =>
    concat(...blocks.slice(0, at), block, ...blocks.slice(at + 1));
  // Another kind of block (a Simple Packet Block).
  assert.deepEqual(stopsAt(replaced(spb(packet.data))), [starts[at], at]);
  // An interface id the section does not declare.
  assert.deepEqual(stopsAt(replaced(epb(packet.data, { interfaceId: 2 }))), [starts[at], at]);
  // A captured length over the section's smallest snapshot length.
  const longest = Math.max(...blocks.slice(0, at).map((b) => b.length - 32));
  const limits = { interfaces: 2, snaplen: longest };
  const over = epb(new Uint8Array(longest + 1));
  assert.deepEqual(stopsAt(replaced(over), limits), [starts[at], at]);
  // A bad trailing length.
  const bad = blocks[at].slice();
  new DataView(bad.buffer).setUint32(bad.length - 4, bad.length + 4, true);
  assert.deepEqual(stopsAt(replaced(bad)), [starts[at], at]);
  // A block that runs past the end the walk is given.
  const all = concat(...blocks);
  const cut = _walk(walk, all, undefined, starts[at + 1] - 1);
  assert.deepEqual([cut.stop, cut.blocks], [starts[at], at]);
});
