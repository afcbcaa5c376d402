/**
 * One decoded packet as a plain object, for code off the hot path.
 *
 * @module
 */
import type { CaptureInterface } from "./capture_interface.ts";

/**
 * A packet of a capture with its own copy of the bytes, as yielded by
 * `CaptureDecoderStream` and consumed by `CaptureEncoderStream`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { CapturedFrame } from "./captured_frame.ts";
 * import { CaptureDecoderStream } from "./capture_decoder_stream.ts";
 * function describe(frame: CapturedFrame): string {
 *   return `#${frame.index} ${frame.data.length}/${frame.wireLength} bytes, link type ${frame.linkType}`;
 * }
 * const pcap = new Uint8Array([
 *   0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
 *   1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 60, 0, 0, 0, 0xaa, 0xbb,
 * ]);
 * const frames = ReadableStream.from([pcap]).pipeThrough(new CaptureDecoderStream());
 * const described = (await Array.fromAsync(frames)).map(describe);
 * assert.deepEqual(described, ["#0 2/60 bytes, link type 1"]);
 * ```
 */
export interface CapturedFrame {
  /** 0-based packet number in the stream (packets only, all sections). */
  index: number;
  /** The interface the packet arrived on. */
  interface: CaptureInterface;
  /** `interface.linkType`, for convenience. */
  linkType: number;
  /** The captured bytes (a copy; `capturedLength` bytes as libpcap reports them). */
  data: Uint8Array;
  /** Original length on the wire. */
  wireLength: number;
  /**
   * Raw time stamp in the interface's ticks (`interface.timestampResolution`
   * per second; `if_tsoffset` not applied): pcap `sec * resolution + frac`,
   * pcapng the 64-bit EPB value, 0 for a Simple Packet Block.
   */
  timestamp: bigint;
  /** Nanoseconds since the epoch (`if_tsoffset` applied, rounded down). */
  timestampNanoseconds: bigint;
  /** True for a pcapng Simple Packet Block (no time stamp). */
  simple?: boolean;
  /** pcapng EPB / PB options, raw, in the section's byte order (absent when none). */
  options?: Uint8Array;
}
