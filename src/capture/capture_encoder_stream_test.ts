import assert from "node:assert/strict";
import { CaptureDecoderStream } from "./capture_decoder_stream.ts";
import { CaptureEncoderStream } from "./capture_encoder_stream.ts";
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

async function decode(input: Uint8Array): Promise<CapturedFrame[]> {
  return await Array.fromAsync(
    ReadableStream.from([input]).pipeThrough(new CaptureDecoderStream()),
  );
}

async function encode(frames: CapturedFrame[], format?: "pcap" | "pcapng"): Promise<Uint8Array> {
  const out = ReadableStream.from(frames).pipeThrough(new CaptureEncoderStream({ format }));
  return new Uint8Array(await new Response(out).arrayBuffer());
}

const view = (f: CapturedFrame) => [f.data, f.wireLength, f.linkType, f.timestampNanoseconds];

Deno.test("CaptureEncoderStream writes pcap back byte for byte, in its byte order", async () => {
  for (const little of [true, false]) {
    const input = concat(
      pcapHeader({ little, magic: 0xa1b23c4d, linkType: 276 }),
      pcapRecord(bytes(7), { little, sec: 3, frac: 999_999_999, wire: 70 }),
      pcapRecord(bytes(0), { little }),
    );
    assert.deepEqual(await encode(await decode(input)), input);
  }
});

Deno.test("CaptureEncoderStream keeps pcapng sections, interfaces, options and byte order", async () => {
  const input = concat(
    shb(),
    idb({ options: option(2, bytes(4, 65)) }),
    epb(bytes(9), { timestamp: 123456789n, wire: 99, options: option(1, bytes(3)) }),
    shb({ little: false }),
    idb({ little: false, linkType: 0, snaplen: 64, options: option(9, Uint8Array.of(9), false) }),
    spb(bytes(8), { little: false }),
    epb(bytes(5), { little: false, type: 2, timestamp: 5n }),
  );
  const frames = await decode(input);
  const encoded = await encode(frames);
  // here every block is kept: SHB, IDB, EPB, SHB, IDB, SPB, and the PB as an EPB of the same size
  const back = await decode(encoded);
  assert.deepEqual(back.map(view), frames.map(view));
  assert.deepEqual(back.map((f) => f.options), frames.map((f) => f.options));
  assert.deepEqual(back.map((f) => [f.interface.littleEndian, f.interface.section, f.simple]), [
    [true, 0, undefined],
    [false, 1, true],
    [false, 1, undefined],
  ]);
  assert.deepEqual(encoded.subarray(0, input.length - 40), input.subarray(0, input.length - 40));
});

Deno.test("CaptureEncoderStream converts between pcap and pcapng", async () => {
  const pcap = concat(
    pcapHeader({ linkType: 101 }),
    pcapRecord(bytes(20), { sec: 7, frac: 1, wire: 40 }),
  );
  const frames = await decode(pcap);
  const asPcapng = await decode(await encode(frames, "pcapng"));
  assert.deepEqual(asPcapng.map(view), frames.map(view));
  assert.equal(asPcapng[0].interface.format, "pcapng");
  const back = await decode(await encode(asPcapng, "pcap"));
  assert.deepEqual(back.map(view), frames.map(view));
  assert.equal(back[0].interface.timestampResolution, 1e9);
});

Deno.test("CaptureEncoderStream refuses a second link type in pcap output", async () => {
  const input = concat(
    shb(),
    idb({ linkType: 1 }),
    idb({ linkType: 113 }),
    epb(bytes(4)),
    epb(bytes(4), { interfaceId: 1 }),
  );
  const frames = await decode(input);
  await assert.rejects(
    encode(frames, "pcap"),
    /Cannot encode frame 1 as pcap: link type 113 differs/,
  );
});

Deno.test("CaptureEncoderStream writes nothing for no frames", async () => {
  assert.equal((await encode([])).length, 0);
  const input = concat(shb(), block(0x0bad, bytes(4)));
  assert.equal((await decode(input)).length, 0);
});
