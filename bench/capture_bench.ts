/**
 * Capture decoding throughput: `CaptureDecoder.push()` over a generated
 * capture of 200,000 mixed-size Ethernet frames (60..1514 bytes), pcap and
 * pcapng, in 64 KiB and 1 MiB chunks; plus the allocating
 * `CaptureDecoderStream` for comparison.
 *
 *   deno run -A bench/capture_bench.ts     # prints records/s (bench/RESULTS.md)
 *   deno bench -A bench/capture_bench.ts   # the same cases under deno bench
 */
import { CaptureDecoder } from "../src/capture/capture_decoder.ts";
import { CaptureDecoderStream } from "../src/capture/capture_decoder_stream.ts";

const FRAMES = 200_000;

function generate(format: "pcap" | "pcapng"): Uint8Array {
  let seed = 1;
  const sizes = Array.from({ length: FRAMES }, () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const r = seed % 10;
    return r < 5 ? 60 + (seed >>> 8) % 40 : r < 8 ? 400 + (seed >>> 8) % 400 : 1514;
  });
  const recordSize = (n: number) => format === "pcap" ? 16 + n : 32 + ((n + 3) & ~3);
  const head = format === "pcap" ? 24 : 28 + 20;
  const out = new Uint8Array(head + sizes.reduce((s, n) => s + recordSize(n), 0));
  const view = new DataView(out.buffer);
  let at = 0;
  if (format === "pcap") {
    view.setUint32(0, 0xa1b2c3d4, true);
    view.setUint16(4, 2, true);
    view.setUint16(6, 4, true);
    view.setUint32(16, 262144, true);
    view.setUint32(20, 1, true);
    at = 24;
  } else {
    view.setUint32(0, 0x0a0d0d0a, true);
    view.setUint32(4, 28, true);
    view.setUint32(8, 0x1a2b3c4d, true);
    view.setUint16(12, 1, true);
    view.setBigInt64(16, -1n, true);
    view.setUint32(24, 28, true);
    view.setUint32(28, 1, true);
    view.setUint32(32, 20, true);
    view.setUint16(36, 1, true);
    view.setUint32(44, 20, true);
    at = 48;
  }
  for (let i = 0; i < FRAMES; i++) {
    const n = sizes[i];
    if (format === "pcap") {
      view.setUint32(at, i, true);
      view.setUint32(at + 8, n, true);
      view.setUint32(at + 12, n, true);
    } else {
      const length = recordSize(n);
      view.setUint32(at, 6, true);
      view.setUint32(at + 4, length, true);
      view.setUint32(at + 16, i, true);
      view.setUint32(at + 20, n, true);
      view.setUint32(at + 24, n, true);
      view.setUint32(at + length - 4, length, true);
    }
    out[at + recordSize(n) - 5] = i & 0xff;
    at += recordSize(n);
  }
  return out;
}

const inputs = { pcap: generate("pcap"), pcapng: generate("pcapng") };

function decodeAll(input: Uint8Array, chunk: number): number {
  const decoder = new CaptureDecoder();
  let packets = 0;
  for (let at = 0; at < input.length; at += chunk) {
    const batch = decoder.push(input.subarray(at, at + chunk));
    if (batch.error) throw batch.error;
    const kind = batch.kind;
    for (let i = 0; i < batch.count; i++) packets += kind[i];
  }
  if (decoder.finish().error) throw new Error("unexpected error");
  return packets;
}

async function decodeStream(input: Uint8Array, chunk: number): Promise<number> {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < input.length; at += chunk) chunks.push(input.subarray(at, at + chunk));
  let packets = 0;
  for await (const _ of ReadableStream.from(chunks).pipeThrough(new CaptureDecoderStream())) {
    packets++;
  }
  return packets;
}

for (const format of ["pcap", "pcapng"] as const) {
  for (const chunk of [65536, 1 << 20]) {
    Deno.bench(`CaptureDecoder ${format} ${chunk >> 10} KiB chunks (${FRAMES} frames)`, () => {
      decodeAll(inputs[format], chunk);
    });
  }
}

if (import.meta.main) {
  const rows: string[] = [];
  const measure = (label: string, bytes: number, run: () => number) => {
    run(); // warm up
    run();
    const times: number[] = [];
    for (let k = 0; k < 7; k++) {
      const t = performance.now();
      if (run() !== FRAMES) throw new Error("wrong packet count");
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const ms = times[3];
    rows.push(
      `| ${label} | ${(FRAMES / ms / 1000).toFixed(1)} M records/s | ${
        (ms * 1e6 / FRAMES).toFixed(0)
      } ns/record | ${(bytes / ms / 1e6).toFixed(2)} GB/s |`,
    );
  };
  for (const format of ["pcap", "pcapng"] as const) {
    for (const chunk of [65536, 1 << 20]) {
      measure(
        `CaptureDecoder.push ${format}, ${chunk >> 10} KiB chunks`,
        inputs[format].length,
        () => decodeAll(inputs[format], chunk),
      );
    }
  }
  // the same decode over a 1 MiB prefix that stays in the CPU cache, as a chunk just read is
  for (const format of ["pcap", "pcapng"] as const) {
    const prefix = inputs[format].subarray(0, 1 << 20);
    const rounds = 200;
    let packets = 0;
    const t = performance.now();
    for (let k = 0; k < rounds; k++) {
      const decoder = new CaptureDecoder();
      for (let at = 0; at < prefix.length; at += 65536) {
        const batch = decoder.push(prefix.subarray(at, at + 65536));
        for (let i = 0; i < batch.count; i++) packets += batch.kind[i];
      }
    }
    const ms = performance.now() - t;
    rows.push(
      `| CaptureDecoder.push ${format}, 64 KiB chunks, 1 MiB in cache ×${rounds} | ${
        (packets / ms / 1000).toFixed(1)
      } M records/s | ${(ms * 1e6 / packets).toFixed(0)} ns/record | ${
        (prefix.length * rounds / ms / 1e6).toFixed(2)
      } GB/s |`,
    );
  }
  for (const format of ["pcap", "pcapng"] as const) {
    const t = performance.now();
    const n = await decodeStream(inputs[format], 65536);
    const ms = performance.now() - t;
    if (n !== FRAMES) throw new Error("wrong packet count");
    rows.push(
      `| CaptureDecoderStream ${format}, 64 KiB chunks (objects + copies) | ${
        (FRAMES / ms / 1000).toFixed(1)
      } M records/s | ${(ms * 1e6 / FRAMES).toFixed(0)} ns/record | ${
        (inputs[format].length / ms / 1e6).toFixed(2)
      } GB/s |`,
    );
  }
  console.log(
    `${FRAMES} frames, ${inputs.pcap.length} bytes (pcap), median of 7 runs; ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores`,
  );
  console.log("| case | records/s | per record | input rate |\n|---|---|---|---|");
  console.log(rows.join("\n"));
}
