/**
 * A seeded mutation corpus for the capture decoder: truncations, bit flips and
 * corrupted length fields of real and synthetic captures, fed in random
 * chunks. The decoder must deliver frames or a CaptureFormatError, never throw
 * anything else, never hang and never hold more memory than its limits allow.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CaptureDecoder } from "../src/capture/capture_decoder.ts";
import { CaptureDecoderStream } from "../src/capture/capture_decoder_stream.ts";
import { CaptureFormatError } from "../src/capture/capture_format_error.ts";
import {
  block,
  bytes,
  concat,
  epb,
  idb,
  option,
  pcapHeader,
  pcapRecord,
  shb,
  spb,
} from "../src/capture/_test_captures.ts";

const pcapDir = fileURLToPath(new URL("../../shared/conformance/pcap/", import.meta.url));
const haveCorpus = existsSync(pcapDir);
if (!haveCorpus) {
  console.warn(`conformance corpus not found at ${pcapDir}; mutating synthetic captures only`);
}

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function seeds(): Uint8Array[] {
  const synthetic = [
    concat(
      pcapHeader(),
      pcapRecord(bytes(60)),
      pcapRecord(bytes(30), { wire: 80 }),
      pcapRecord(bytes(1)),
    ),
    concat(
      pcapHeader({ little: false, magic: 0xa1b23c4d }),
      pcapRecord(bytes(40), { little: false }),
    ),
    concat(
      shb(),
      idb({ options: concat(option(2, bytes(5)), option(9, Uint8Array.of(9))) }),
      epb(bytes(33), { options: option(1, bytes(3)) }),
      spb(bytes(20)),
      block(0x0bad, bytes(6)),
      shb({ little: false }),
      idb({ little: false, linkType: 0, snaplen: 100 }),
      epb(bytes(17), { little: false, type: 2 }),
    ),
  ];
  if (!haveCorpus) return synthetic;
  const names = [
    "test202.pcapng",
    "test006.pcapng",
    "many_interfaces-1.pcapng",
    "nanosecs_big_endian.pcap",
    "pptp.pcap",
    "quic_handshake_truncated.pcap",
    "sll2.pcap",
    "ipsec.pcapng",
  ];
  return [...synthetic, ...names.map((n) => new Uint8Array(readFileSync(pcapDir + n)))];
}

const LIMITS = { maxCapturedLength: 262144, maxBlockLength: 1 << 20, maxInterfaces: 64 };
// The record being assembled and the two last ones lent as `batch.carry`.
const MEMORY_BOUND = 3 * LIMITS.maxBlockLength;

function mutate(input: Uint8Array, random: () => number): Uint8Array {
  const out = input.slice();
  const kind = Math.floor(random() * 5);
  const at = Math.floor(random() * out.length);
  const view = new DataView(out.buffer);
  switch (kind) {
    case 0: // truncate
      return out.subarray(0, at);
    case 1: { // flip 1..4 bits
      const flips = 1 + Math.floor(random() * 4);
      for (let i = 0; i < flips; i++) {
        out[Math.floor(random() * out.length)] ^= 1 << Math.floor(random() * 8);
      }
      return out;
    }
    case 2: { // a 32-bit field (often a length) set to an extreme or nearby value
      const field = at & ~3;
      if (field + 4 > out.length) return out;
      const values = [
        0,
        1,
        3,
        11,
        12,
        13,
        0x7fffffff,
        0x80000000,
        0xfffffffc,
        0xffffffff,
        262145,
        1 << 20,
      ];
      const choice = random() < 0.5
        ? values[Math.floor(random() * values.length)]
        : (view.getUint32(field, true) + Math.floor(random() * 9) - 4) >>> 0;
      view.setUint32(field, choice, random() < 0.5);
      return out;
    }
    case 3: { // delete or duplicate a slice
      const end = Math.min(out.length, at + Math.floor(random() * 64));
      return random() < 0.5
        ? concat(out.subarray(0, at), out.subarray(end))
        : concat(out.subarray(0, end), out.subarray(at));
    }
    default: { // random bytes over a slice
      const end = Math.min(out.length, at + Math.floor(random() * 16));
      for (let i = at; i < end; i++) out[i] = Math.floor(random() * 256);
      return out;
    }
  }
}

Deno.test("CaptureDecoder survives a seeded mutation corpus with only CaptureFormatError and bounded memory", () => {
  const random = prng(0xb9f5);
  let errors = 0;
  let clean = 0;
  let cases = 0;
  for (const seed of seeds()) {
    for (let n = 0; n < 250; n++) {
      const input = mutate(random() < 0.3 ? mutate(seed, random) : seed, random);
      const decoder = new CaptureDecoder(LIMITS);
      let error: unknown;
      let packets = 0;
      try {
        let at = 0;
        while (at < input.length && !error) {
          const size = 1 + Math.floor(random() * (random() < 0.2 ? 8 : 2000));
          const batch = decoder.push(input.subarray(at, at + size));
          at += size;
          for (let i = 0; i < batch.count; i++) {
            const src = i < batch.carried ? batch.carry : batch.bytes;
            assert.ok(batch.end[i] <= src.length && batch.start[i] <= batch.end[i]);
            if (batch.kind[i] === 1) {
              packets++;
              assert.ok(batch.dataStart[i] + batch.capturedLength[i] <= batch.end[i]);
              assert.ok(batch.capturedLength[i] <= LIMITS.maxCapturedLength);
              assert.ok(batch.interfaceIndex[i] < decoder.interfaces.length);
            }
          }
          error = batch.error;
          assert.ok(decoder.bufferSize <= MEMORY_BOUND, `buffer ${decoder.bufferSize}`);
        }
        if (!error) error = decoder.finish().error;
      } catch (thrown) {
        assert.fail(`decoder threw ${thrown} on mutation case ${cases}`);
      }
      if (error !== undefined) {
        assert.ok(error instanceof CaptureFormatError, `not a CaptureFormatError: ${error}`);
        assert.ok(error.byteOffset >= 0 && error.byteOffset <= input.length);
        assert.equal(error.packetIndex, packets);
        errors++;
      } else clean++;
      assert.ok(decoder.interfaces.length <= LIMITS.maxInterfaces);
      cases++;
    }
  }
  // both outcomes occur, so the corpus exercises the error paths and the happy path
  assert.ok(errors > cases / 10, `${errors} errors`);
  assert.ok(clean > cases / 20, `${clean} clean`);
});

Deno.test("CaptureDecoderStream errors with CaptureFormatError after the frames before the damage", async () => {
  const random = prng(7);
  for (let n = 0; n < 200; n++) {
    const input = mutate(seeds()[n % 3], random);
    const frames: number[] = [];
    try {
      for await (
        const frame of ReadableStream.from([input]).pipeThrough(new CaptureDecoderStream())
      ) {
        frames.push(frame.index);
      }
    } catch (error) {
      assert.ok(error instanceof CaptureFormatError, `${error}`);
      assert.equal(error.packetIndex, frames.length);
    }
    assert.deepEqual(frames, frames.map((_, i) => i));
  }
});
