import assert from "node:assert/strict";
import { CaptureDecoderStream } from "./capture_decoder_stream.ts";
import { CaptureFormatError } from "./capture_format_error.ts";
import type { CapturedFrame } from "./captured_frame.ts";
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
} from "./_test_captures.ts";

async function frames(input: Uint8Array, size = 7): Promise<CapturedFrame[]> {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < input.length; at += size) chunks.push(input.subarray(at, at + size));
  const out: CapturedFrame[] = [];
  for await (const f of ReadableStream.from(chunks).pipeThrough(new CaptureDecoderStream())) {
    out.push(f);
  }
  return out;
}

Deno.test("CaptureDecoderStream decodes pcap microsecond and nanosecond time stamps", async () => {
  const us = await frames(
    concat(pcapHeader(), pcapRecord(bytes(4), { sec: 10, frac: 999999, wire: 9 })),
  );
  assert.equal(us[0].timestamp, 10_999_999n);
  assert.equal(us[0].timestampNanoseconds, 10_999_999_000n);
  assert.deepEqual([us[0].index, us[0].linkType, us[0].data, us[0].wireLength], [
    0,
    1,
    bytes(4),
    9,
  ]);
  const ns = await frames(
    concat(
      pcapHeader({ little: false, magic: 0xa1b23c4d }),
      pcapRecord(bytes(4), { little: false, sec: 2, frac: 5 }),
    ),
  );
  assert.equal(ns[0].timestampNanoseconds, 2_000_000_005n);
});

Deno.test("CaptureDecoderStream decodes pcapng if_tsresol, if_tsoffset, SPB and options", async () => {
  const input = concat(
    shb(),
    idb({ options: option(9, Uint8Array.of(0x80 | 10)) }), // 1/1024 s
    idb({
      linkType: 0,
      options: concat(
        option(9, Uint8Array.of(3)),
        option(14, Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0)),
      ),
    }),
    epb(bytes(3), { timestamp: 1536n }),
    epb(bytes(2), { interfaceId: 1, timestamp: 250n, options: option(1, bytes(4)) }),
    spb(bytes(5)),
  );
  const [a, b, c] = await frames(input);
  assert.equal(a.timestampNanoseconds, 1_500_000_000n);
  assert.equal(b.timestampNanoseconds, 1_250_000_000n);
  assert.equal(b.linkType, 0);
  assert.deepEqual(b.options, option(1, bytes(4)));
  assert.equal(a.options, undefined);
  assert.equal(c.simple, true);
  assert.deepEqual(c.data, bytes(5));
  assert.equal(c.interface.index, 0);
});

Deno.test("CaptureDecoderStream delivers every frame before the error, then errors", async () => {
  const input = concat(
    shb(),
    idb(),
    epb(bytes(3)),
    epb(bytes(4)),
    block(6, bytes(20), { trailing: 8 }),
  );
  const seen: number[] = [];
  await assert.rejects(
    async () => {
      for await (
        const f of ReadableStream.from([input]).pipeThrough(new CaptureDecoderStream())
      ) seen.push(f.data.length);
    },
    (error) =>
      error instanceof CaptureFormatError && error.byteOffset === 120 && error.packetIndex === 2,
  );
  assert.deepEqual(seen, [3, 4]);
});
