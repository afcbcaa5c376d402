/**
 * Captures: streaming pcap / pcapng decoding and encoding.
 *
 * - {@linkcode CaptureDecoder}: the push-based, allocation-free batch decoder
 *   (struct-of-arrays {@linkcode RecordBatch}) that the router is built on.
 * - {@linkcode CaptureDecoderStream} / {@linkcode CaptureEncoderStream}:
 *   convenient TransformStreams of {@linkcode CapturedFrame} objects.
 *
 * @module
 */
export { CaptureDecoder, type CaptureDecoderOptions } from "./capture_decoder.ts";
export { CaptureDecoderStream } from "./capture_decoder_stream.ts";
export {
  CaptureEncoderStream,
  type CaptureEncoderStreamOptions,
} from "./capture_encoder_stream.ts";
export { CaptureFormatError } from "./capture_format_error.ts";
export type { CaptureInterface } from "./capture_interface.ts";
export type { CapturedFrame } from "./captured_frame.ts";
export type { RecordBatch } from "./record_batch.ts";
export * from "./link_types.ts";
