/**
 * The error raised for a capture that is not a valid pcap or pcapng stream.
 *
 * @module
 */

/**
 * A malformed, truncated or hostile capture. Carries the place: the absolute
 * byte offset in the input stream of the record (pcap record or pcapng block)
 * that is bad, and that record's index.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CaptureFormatError } from "./capture_format_error.ts";
 * const error = new CaptureFormatError(
 *   "Cannot decode capture: bad magic number 0x00000000 at byte offset 0",
 *   0,
 *   0,
 *   0,
 * );
 * assert.equal(error.byteOffset, 0);
 * assert.equal(error.recordIndex, 0);
 * assert.ok(error instanceof SyntaxError);
 * ```
 */
export class CaptureFormatError extends SyntaxError {
  /** Absolute offset in the input stream of the start of the bad record. */
  readonly byteOffset: number;
  /**
   * 0-based index of the bad record among all records of the stream, counting
   * metadata records too (the pcap file header is record 0; every pcapng block
   * is a record).
   */
  readonly recordIndex: number;
  /** Number of packets decoded successfully before the bad record. */
  readonly packetIndex: number;
  /** Builds the error; the message should already name the place. */
  constructor(message: string, byteOffset: number, recordIndex: number, packetIndex: number) {
    super(message);
    this.name = "CaptureFormatError";
    this.byteOffset = byteOffset;
    this.recordIndex = recordIndex;
    this.packetIndex = packetIndex;
  }
}
