import assert from "node:assert/strict";
import { CaptureDecoder } from "./capture_decoder.ts";
import type { CaptureInterface } from "./capture_interface.ts";
import { _PcapngDeclarationBlocks } from "./_pcapng_declaration_blocks.ts";
import { block, concat, epb, idb, option, shb } from "./_test_captures.ts";

/** Two sections of either byte order, with packet, simple packet, name-resolution and custom blocks. */
function _capture(): Uint8Array {
  const name = new TextEncoder().encode("eth0");
  const frame = new Uint8Array(60).fill(7);
  return concat(
    shb({ little: true }),
    idb({ little: true, linkType: 1, options: option(2, name, true) }),
    epb(frame),
    block(4, new Uint8Array(8)), // name resolution
    idb({ little: true, linkType: 101, snaplen: 1500 }),
    epb(frame.subarray(20), { interfaceId: 1 }),
    block(3, concat(new Uint8Array([0, 0, 0, 60]), frame)), // simple packet (byte order: LE)
    shb({ little: false }),
    block(0xbad, new Uint8Array(13), { little: false }), // custom, padded
    idb({ little: false, linkType: 0 }),
    epb(frame, { little: false }),
    idb({ little: false, linkType: 113, options: option(9, new Uint8Array([9]), false) }),
    epb(frame, { little: false, interfaceId: 1 }),
  );
}

/** What the router's decoder, decoding every block, declares. */
function _declared(capture: Uint8Array): CaptureInterface[] {
  const decoder = new CaptureDecoder();
  const batch = decoder.push(capture);
  assert.equal(batch.error, undefined);
  return [...decoder.interfaces];
}

Deno.test("the declaration blocks give a decoder the interfaces a full decode declares, however the stream is split", () => {
  const capture = _capture();
  const want = _declared(capture);
  assert.equal(want.length, 4);
  for (let size = 1; size <= capture.length; size++) {
    const blocks = new _PcapngDeclarationBlocks(1 << 24);
    const decoder = new CaptureDecoder();
    let kept = 0;
    for (let at = 0; at < capture.length; at += size) {
      for (const b of blocks.push(capture.subarray(at, at + size))) {
        kept++;
        assert.equal(decoder.push(b).error, undefined, `pieces of ${size} B`);
      }
    }
    assert.equal(blocks.failed, false);
    assert.equal(kept, 6, "2 section headers and 4 interface descriptions");
    assert.deepEqual(decoder.interfaces, want, `pieces of ${size} B`);
  }
});

Deno.test("a block length the decoder refuses ends the scan; a kept block is bounded by the limit", () => {
  const start = concat(shb(), idb());
  const bad: [string, Uint8Array][] = [
    ["shorter than 12", block(6, new Uint8Array(0), { length: 8 })],
    ["not a multiple of 4", block(6, new Uint8Array(8), { length: 18 })],
    ["over the limit", block(6, new Uint8Array(0), { length: 4096 })],
    ["an interface description shorter than 20", block(1, new Uint8Array(4))],
    ["bad byte-order magic", block(0x0a0d0d0a, new Uint8Array(16))],
  ];
  for (const [what, malformed] of bad) {
    // The router's decoder refuses the same stream.
    const router = new CaptureDecoder({ maxBlockLength: 1024 });
    assert.notEqual(router.push(concat(start, malformed)).error, undefined, what);
    const blocks = new _PcapngDeclarationBlocks(1024);
    const kept = blocks.push(concat(start, malformed, idb({ linkType: 101 })));
    assert.equal(blocks.failed, true, what);
    assert.equal(kept.length, 2, `${what}: the blocks before it only`);
    assert.deepEqual(blocks.push(idb()), [], `${what}: nothing after`);
  }
  // An interface description of the largest length allowed, arriving in parts, is kept whole.
  const big = idb({ options: option(2, new Uint8Array(1024 - 24)) });
  assert.equal(big.length, 1024);
  const blocks = new _PcapngDeclarationBlocks(1024);
  const kept = [
    ...blocks.push(concat(shb(), big.subarray(0, 500))),
    ...blocks.push(big.subarray(500)),
  ];
  assert.deepEqual(kept.at(-1), big);
  assert.equal(blocks.failed, false);
  // The router's decoder accepts it too.
  assert.equal(new CaptureDecoder({ maxBlockLength: 1024 }).push(concat(...kept)).error, undefined);
});
