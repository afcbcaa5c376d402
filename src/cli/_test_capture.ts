/**
 * Test helper: the bundled example capture and a packet splitter.
 *
 * @module
 */
import { CaptureDecoder } from "../capture/capture_decoder.ts";

/** `examples/mixed.pcap` (16 Ethernet frames; see examples/make_example.ts). */
export const _mixed: Uint8Array = Deno.readFileSync(
  new URL("../../examples/mixed.pcap", import.meta.url),
);

/** The packets of a capture (copies) and its metadata records' total size. */
export function _packets(capture: Uint8Array): Uint8Array[] {
  const decoder = new CaptureDecoder();
  const packets: Uint8Array[] = [];
  for (const step of [() => decoder.push(capture), () => decoder.finish()]) {
    const batch = step(); // the batch object is reused: read it before the next call
    for (let i = 0; i < batch.count; i++) {
      if (batch.kind[i] !== 1) continue;
      const bytes = i < batch.carried ? batch.carry : batch.bytes;
      packets.push(bytes.slice(batch.dataStart[i], batch.dataStart[i] + batch.capturedLength[i]));
    }
    if (batch.error) throw batch.error;
  }
  return packets;
}

/** A pcap of `copies` repetitions of the example's packets (for long inputs). */
export function _repeatMixed(copies: number): Uint8Array {
  const records = _mixed.subarray(24);
  const out = new Uint8Array(24 + records.length * copies);
  out.set(_mixed.subarray(0, 24));
  for (let i = 0; i < copies; i++) out.set(records, 24 + i * records.length);
  return out;
}
