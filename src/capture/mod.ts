/**
 * Captures (`bpfstream/capture`): streaming pcap / pcapng decoding and encoding.
 *
 * - {@linkcode CaptureDecoder}: the push-based, allocation-free batch decoder
 *   (struct-of-arrays {@linkcode RecordBatch}) that the router is built on.
 * - {@linkcode CaptureDecoderStream} / {@linkcode CaptureEncoderStream}:
 *   convenient TransformStreams of {@linkcode CapturedFrame} objects (one
 *   decoded packet with its own copy of the bytes).
 * - {@linkcode describeFrame}: what a frame's link header says (where the
 *   network header starts, the `sk_buff` fields), into a reusable
 *   {@linkcode FrameDescriptor}.
 * - Constants, under libpcap's and the kernel's names: link types
 *   (`LINKTYPE_*`, `DLT_RAW_*`), device types for `SKF_AD_HATYPE`
 *   (`ARPHRD_*`) and EtherTypes for `SKF_AD_PROTOCOL` (`ETH_P_*`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CaptureDecoderStream, LINKTYPE_ETHERNET } from "./mod.ts";
 * const pcap = new Uint8Array([
 *   0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
 *   1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 60, 0, 0, 0, 0xaa, 0xbb,
 * ]);
 * const frames = await Array.fromAsync(
 *   ReadableStream.from([pcap]).pipeThrough(new CaptureDecoderStream()),
 * );
 * assert.deepEqual(frames.map((f) => [f.linkType, f.wireLength]), [[LINKTYPE_ETHERNET, 60]]);
 * ```
 *
 * @module
 */
export { CaptureDecoder, type CaptureDecoderOptions } from "./capture_decoder.ts";
export type { RecordBatch } from "./record_batch.ts";
export { CaptureDecoderStream } from "./capture_decoder_stream.ts";
export {
  CaptureEncoderStream,
  type CaptureEncoderStreamOptions,
} from "./capture_encoder_stream.ts";
export type { CapturedFrame } from "./captured_frame.ts";
export type { CaptureInterface } from "./capture_interface.ts";
export { CaptureFormatError } from "./capture_format_error.ts";
export { createFrameDescriptor, describeFrame, type FrameDescriptor } from "./link_types.ts";
/** Deprecated alias, kept for one release (see the README's migration note). */
export type { LinkFrame } from "./link_types.ts";

// Link types of pcap / pcapng (LINKTYPE_* and the DLT_RAW aliases some files store).
export {
  DLT_RAW_12,
  DLT_RAW_14,
  LINKTYPE_EN10MB,
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
} from "./link_types.ts";

// Device types (SKF_AD_HATYPE) and EtherTypes (SKF_AD_PROTOCOL, VLAN TPIDs).
export {
  ARPHRD_ETHER,
  ARPHRD_LOOPBACK,
  ARPHRD_NONE,
  ARPHRD_VOID,
  ETH_P_8021AD,
  ETH_P_8021Q,
  ETH_P_IP,
  ETH_P_IPV6,
  ETH_P_QINQ1,
} from "./link_types.ts";
