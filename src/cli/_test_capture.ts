/**
 * Test helper: the bundled example capture and a packet splitter.
 *
 * @module
 */
import { _decodeRecords } from "../stream/_router_test_helpers.ts";

/** `examples/mixed.pcap` (16 Ethernet frames; see examples/make_example.ts). */
export const _mixed: Uint8Array = Deno.readFileSync(
  new URL("../../examples/mixed.pcap", import.meta.url),
);

/** The packets of a capture (copies). */
export function _packets(capture: Uint8Array): Uint8Array[] {
  return _decodeRecords(capture).filter((r) => r.kind === 1).map((r) => r.data);
}

/** A pcap of `copies` repetitions of the example's packets (for long inputs). */
export function _repeatMixed(copies: number): Uint8Array {
  const records = _mixed.subarray(24);
  const out = new Uint8Array(24 + records.length * copies);
  out.set(_mixed.subarray(0, 24));
  for (let i = 0; i < copies; i++) out.set(records, 24 + i * records.length);
  return out;
}
