/**
 * The low-level result of `CaptureDecoder.push()`.
 *
 * @module
 */
import type { CaptureFormatError } from "./capture_format_error.ts";

/**
 * The records decoded from one pushed chunk, as parallel typed arrays (struct
 * of arrays), so that a consumer can run one pass over all records of a chunk
 * without any per-record object.
 *
 * Records are in input order and tile the input exactly: `end[i] ===
 * start[i + 1]` while both records live in the same byte array, and the bytes
 * of every record (packet or metadata) appear in exactly one batch. Copying
 * `[start[i], end[i])` of each record verbatim reproduces the input byte for
 * byte (pcap header, pcapng sections, interfaces, options and byte order
 * included).
 *
 * **Where the bytes are.** Records `0 .. carried - 1` (at most one: the
 * record that began in an earlier chunk and was completed by this one) live
 * in `carry`; all others live in `bytes` (the pushed chunk itself, never
 * copied). Offsets are relative to the array the record lives in. Use
 * `i < batch.carried ? batch.carry : batch.bytes`.
 *
 * **Lifetime.** The batch object, its typed arrays and `carry` are reused:
 * they are valid until the next `push()`/`finish()` on the same decoder. Copy
 * what you keep. Only indices `< count` are meaningful.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CaptureDecoder } from "./capture_decoder.ts";
 * const decoder = new CaptureDecoder();
 * const pcap = new Uint8Array([
 *   0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
 *   1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 60, 0, 0, 0, 0xaa, 0xbb,
 * ]);
 * const batch = decoder.push(pcap);
 * const packets = [];
 * for (let i = 0; i < batch.count; i++) {
 *   if (batch.kind[i] !== 1) continue; // metadata: copy to every output
 *   const bytes = i < batch.carried ? batch.carry : batch.bytes;
 *   const packet = bytes.subarray(batch.dataStart[i], batch.dataStart[i] + batch.capturedLength[i]);
 *   packets.push([[...packet], batch.wireLength[i], batch.interfaceIndex[i]]);
 * }
 * assert.deepEqual(packets, [[[0xaa, 0xbb], 60, 0]]);
 * ```
 */
export interface RecordBatch {
  /** The pushed chunk: offsets of records `>= carried` refer to it. */
  readonly bytes: Uint8Array;
  /** Assembled bytes of the records `< carried` (empty when `carried` is 0). */
  readonly carry: Uint8Array;
  /** 0 or 1: how many leading records live in `carry` instead of `bytes`. */
  readonly carried: number;
  /** Number of records in this batch. */
  readonly count: number;
  /**
   * 1 = packet record (pcap record, pcapng EPB / SPB / PB); 0 = metadata
   * (pcap file header, SHB, IDB, NRB, ISB, DSB, custom and unknown blocks),
   * which belongs in every output.
   */
  readonly kind: Uint8Array;
  /** Start of the whole record (headers included). */
  readonly start: Uint32Array;
  /** End (exclusive) of the whole record (padding and trailing length included). */
  readonly end: Uint32Array;
  /** Start of the packet bytes (packets only; metadata: `start`). */
  readonly dataStart: Uint32Array;
  /**
   * Captured length as libpcap reports it (packets only; metadata: 0): pcap
   * caplen clamped to the file's snaplen, SPB length derived from the
   * original length, interface 0's snaplen and the block room.
   */
  readonly capturedLength: Uint32Array;
  /** Original length on the wire (packets only; metadata: 0). */
  readonly wireLength: Uint32Array;
  /** Global interface index (see `CaptureDecoder.interfaces`; pcap: 0; metadata: 0). */
  readonly interfaceIndex: Uint32Array;
  /**
   * Set when the input is bad: every complete record before the bad one is in
   * this batch; the decoder refuses further input.
   */
  readonly error: CaptureFormatError | undefined;
}
