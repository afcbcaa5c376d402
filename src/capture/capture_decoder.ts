/**
 * The push-based, incremental pcap / pcapng decoder at the bottom of every
 * capture path.
 *
 * @module
 */
import { CaptureFormatError } from "./capture_format_error.ts";
import type { CaptureInterface } from "./capture_interface.ts";
import type { RecordBatch } from "./record_batch.ts";
import {
  _DEFAULT_MAX_BLOCK_LENGTH,
  _DEFAULT_MAX_CAPTURED_LENGTH,
  _PCAP_FILE_HEADER,
  _PCAP_MODIFIED_RECORD_HEADER,
  _PCAP_RECORD_HEADER,
  type _PcapLayout,
} from "./_pcap_layout.ts";
import {
  _captureFormat,
  _isPcapMagic,
  _PCAP_MAGIC_MODIFIED,
  _PCAP_MAGIC_NS,
  _PCAPNG_SHB,
} from "./_capture_magic.ts";

/**
 * Options of {@linkcode CaptureDecoder}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CaptureDecoder, type CaptureDecoderOptions } from "./capture_decoder.ts";
 * const options: CaptureDecoderOptions = { maxCapturedLength: 1 };
 * const decoder = new CaptureDecoder(options);
 * // A pcap file header, then a record of 2 captured bytes: over the limit.
 * const batch = decoder.push(new Uint8Array([
 *   0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
 *   1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 60, 0, 0, 0, 0xaa, 0xbb,
 * ]));
 * assert.equal(batch.error?.name, "CaptureFormatError");
 * assert.equal(batch.error?.byteOffset, 24);
 * ```
 */
export interface CaptureDecoderOptions {
  /**
   * Largest captured length accepted in a packet record; a larger one is a
   * {@linkcode CaptureFormatError} (libpcap's limit for every common link type).
   * @default {262144}
   */
  maxCapturedLength?: number;
  /**
   * Largest pcapng block accepted (packet data plus options); a longer block is
   * a {@linkcode CaptureFormatError}. Bounds the decoder's own buffer.
   * @default {16777216}
   */
  maxBlockLength?: number;
  /**
   * Most interfaces (pcapng IDBs, counted over all sections) accepted.
   * @default {65536}
   */
  maxInterfaces?: number;
  /**
   * Why the reader cannot go on past this interface (the pcap file header's,
   * or a pcapng IDB), or `undefined` to accept it: a refused interface ends
   * the input there with a {@linkcode CaptureFormatError} carrying the
   * reason (every record before it decoded), as tcpdump stops on an
   * interface its filter cannot be compiled for.
   * @default {undefined}
   */
  refuseInterface?: (captureInterface: {
    /** The interface's index over the whole input (0 for pcap). */
    readonly index: number;
    /** Its LINKTYPE_ value. */
    readonly linkType: number;
    /** Its snapshot length as the file gives it. */
    readonly snaplen: number;
    /** Whether its section (or the pcap file) is little-endian. */
    readonly littleEndian: boolean;
  }) => string | undefined;
}

const _STATE_START = 0;
const _STATE_PCAP = 1;
const _STATE_PCAPNG = 2;
const _STATE_FAILED = 3;
const _STATE_FINISHED = 4;

const _PCAPNG_BOM = 0x1a2b3c4d;
const _PCAPNG_IDB = 1;
const _PCAPNG_PB = 2;
const _PCAPNG_SPB = 3;
const _PCAPNG_EPB = 6;

const _EMPTY = new Uint8Array(0);

interface _MutableBatch {
  bytes: Uint8Array;
  carry: Uint8Array;
  carried: number;
  count: number;
  kind: Uint8Array;
  start: Uint32Array;
  end: Uint32Array;
  dataStart: Uint32Array;
  capturedLength: Uint32Array;
  wireLength: Uint32Array;
  interfaceIndex: Uint32Array;
  error: CaptureFormatError | undefined;
}

function _hex(value: number): string {
  return "0x" + (value >>> 0).toString(16).padStart(8, "0");
}

/**
 * Decodes a pcap or pcapng byte stream split into chunks anywhere. The format
 * is detected from the first bytes: classic pcap in either byte order with
 * microsecond or nanosecond magic, or pcapng (Section Header, Interface
 * Description, Enhanced, Simple and obsolete Packet Blocks; sections of
 * different byte order; interfaces of different link types; any other block
 * kept as metadata).
 *
 * Every `push()` returns a {@linkcode RecordBatch} with all records completed
 * by that chunk, as offsets into the chunk: no per-record allocation, no copy
 * except for the one record that spans two chunks. Every byte of the input
 * belongs to exactly one record, so copying records verbatim reproduces the
 * input.
 *
 * Bad input ends the stream: the batch that reaches the bad record carries
 * every complete record before it and `error`, a {@linkcode CaptureFormatError}
 * with the absolute byte offset and record index; later calls return the same
 * error. Lengths are validated against the limits before anything is
 * allocated, so memory stays bounded by `maxBlockLength` on any input.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CaptureDecoder } from "./capture_decoder.ts";
 * const decoder = new CaptureDecoder();
 * const input = new Uint8Array([
 *   0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
 *   1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 60, 0, 0, 0, 0xaa, 0xbb,
 * ]);
 * let packets = 0;
 * for (const chunk of [input.subarray(0, 30), input.subarray(30)]) {
 *   const batch = decoder.push(chunk);
 *   if (batch.error) throw batch.error;
 *   for (let i = 0; i < batch.count; i++) packets += batch.kind[i];
 * }
 * const last = decoder.finish();
 * if (last.error) throw last.error;
 * assert.equal(decoder.format, "pcap");
 * assert.equal(packets, 1);
 * ```
 */
export class CaptureDecoder {
  readonly #maxCapturedLength: number;
  readonly #maxBlockLength: number;
  readonly #maxInterfaces: number;
  readonly #refuseInterface: CaptureDecoderOptions["refuseInterface"];

  #state = _STATE_START;
  #format: "pcap" | "pcapng" | undefined;
  #interfaces: CaptureInterface[] = [];
  /** Effective snaplen per global interface (for clamping / checks). */
  #snaplens: number[] = [];
  #little = true;

  // pcap
  #pcapRecordHeader = _PCAP_RECORD_HEADER;
  #pcapSnaplen = 0;
  #pcapLayout: _PcapLayout | undefined;

  // pcapng
  #section = -1;
  #sectionFirst = 0;
  #sectionCount = 0;
  #sectionHeader: Uint8Array = _EMPTY;
  #blockLittle = true; // byte order of the block being measured (an SHB sets its own)

  #total = 0; // bytes pushed so far
  #recordIndex = 0;
  #packetIndex = 0;
  #carry: Uint8Array = _EMPTY;
  /** Two spare buffers: a record starting to be carried never goes into one that is lent. */
  #spare: Uint8Array = _EMPTY;
  #spare2: Uint8Array = _EMPTY;
  #carryView: DataView = new DataView(new ArrayBuffer(0));
  #carryLength = 0;
  #carryOffset = 0;
  /** The buffer the last push lent as `batch.carry` (see `push`), or `undefined`. */
  #lent: Uint8Array | undefined;
  #error: CaptureFormatError | undefined;
  #batch: _MutableBatch;

  /** Creates a decoder; see {@linkcode CaptureDecoderOptions} for the limits. */
  constructor(options: CaptureDecoderOptions = {}) {
    this.#maxCapturedLength = options.maxCapturedLength ?? _DEFAULT_MAX_CAPTURED_LENGTH;
    this.#maxBlockLength = options.maxBlockLength ?? _DEFAULT_MAX_BLOCK_LENGTH;
    this.#maxInterfaces = options.maxInterfaces ?? 65536;
    this.#refuseInterface = options.refuseInterface;
    const capacity = 256;
    this.#batch = {
      bytes: _EMPTY,
      carry: _EMPTY,
      carried: 0,
      count: 0,
      kind: new Uint8Array(capacity),
      start: new Uint32Array(capacity),
      end: new Uint32Array(capacity),
      dataStart: new Uint32Array(capacity),
      capturedLength: new Uint32Array(capacity),
      wireLength: new Uint32Array(capacity),
      interfaceIndex: new Uint32Array(capacity),
      error: undefined,
    };
  }

  /** The detected format, `undefined` until the first 4 bytes have arrived. */
  get format(): "pcap" | "pcapng" | undefined {
    return this.#format;
  }

  /**
   * Interfaces seen so far, indexed by global interface index: grows as
   * pcapng Interface Description Blocks arrive; pcap has exactly one.
   */
  get interfaces(): readonly CaptureInterface[] {
    return this.#interfaces;
  }

  /** Number of bytes pushed so far. */
  get bytesRead(): number {
    return this.#total;
  }

  /**
   * Bytes of memory the decoder holds for records that span chunks (never more
   * than three times the largest record the limits allow: the record being
   * assembled, and the two last ones lent as `batch.carry`).
   */
  get bufferSize(): number {
    return this.#carry.length + this.#spare.length + this.#spare2.length;
  }

  /** Number of packet records decoded so far. */
  get packetCount(): number {
    return this.#packetIndex;
  }

  /**
   * For a caller that decodes whole pcap records itself between pushes (the
   * command line's Wasm walk, with {@linkcode CaptureDecoder._skipPcapRecords}):
   * the capture's record layout while records of a pcap capture are being
   * decoded (not before its file header, not after a failure or `finish`),
   * else `undefined`.
   *
   * @internal
   */
  get _pcapLayout(): _PcapLayout | undefined {
    return this.#state === _STATE_PCAP ? this.#pcapLayout : undefined;
  }

  /**
   * With {@linkcode CaptureDecoder._pcapLayout} defined: how many more bytes
   * the record carried over from the last chunk needs (its header, or then
   * its whole record; 1 for a header whose captured length is over the
   * limit, which the next push reports), or 0 when none is carried.
   *
   * @internal
   */
  get _pcapCarryNeed(): number {
    const have = this.#carryLength;
    if (have === 0) return 0;
    const header = this.#pcapRecordHeader;
    if (have < header) return header - have;
    const caplen = this.#carryView.getUint32(8, this.#little);
    return caplen > this.#maxCapturedLength ? 1 : header + caplen - have;
  }

  /**
   * Counts `records` whole pcap records, `bytes` bytes in all, that the
   * caller decoded itself from the start of its next chunk (so the decoder's
   * offsets and record indices in later errors stay those of the stream).
   * Only while {@linkcode CaptureDecoder._pcapLayout} is defined and nothing
   * is carried.
   *
   * @internal
   */
  _skipPcapRecords(bytes: number, records: number): void {
    if (this.#state !== _STATE_PCAP || this.#carryLength !== 0) {
      throw new TypeError("Cannot skip pcap records: the decoder is not between pcap records");
    }
    this.#total += bytes;
    this.#recordIndex += records;
    this.#packetIndex += records;
  }

  /**
   * While the input is pcapng: how many more bytes the block carried over
   * from the last chunk needs (at least its first 12, then its whole
   * length; 1 where that length is bad, which the next push reports), or 0
   * when none is carried.
   *
   * @internal
   */
  get _pcapngCarryNeed(): number {
    const have = this.#carryLength;
    if (have === 0 || this.#state !== _STATE_PCAPNG) return 0;
    if (have < 12) return 12 - have;
    const length = this.#carryView.getUint32(4, this.#blockLittle);
    return length > have ? length - have : 1;
  }

  /** Bytes of the record or block carried over from the last chunk (0: none). @internal */
  get _carried(): number {
    return this.#carryLength;
  }

  /**
   * Where a caller may read Enhanced Packet Blocks itself (the pcapng
   * input's current section is little-endian, nothing is carried, no error):
   * the interfaces the section declares and the smallest of their snapshot
   * lengths, as {@linkcode CaptureDecoder.push} checks them (a block on
   * interface `id >= interfaces`, or whose captured length is over
   * `snaplen`, is for the decoder to take or report); else `undefined`.
   *
   * @internal
   */
  get _pcapngPacketBlocks(): { interfaces: number; snaplen: number } | undefined {
    if (this.#state !== _STATE_PCAPNG || this.#carryLength !== 0 || !this.#little) return undefined;
    const first = this.#sectionFirst, count = this.#sectionCount;
    let snaplen = this.#maxCapturedLength;
    for (let i = first; i < first + count; i++) snaplen = Math.min(snaplen, this.#snaplens[i]);
    return { interfaces: count, snaplen };
  }

  /**
   * Counts `records` whole Enhanced Packet Blocks, `bytes` bytes in all,
   * that the caller decoded itself from the start of its next chunk (see
   * {@linkcode CaptureDecoder._pcapngPacketBlocks}), so that the decoder's
   * offsets and record indices in later errors stay those of the stream.
   *
   * @internal
   */
  _skipPcapngBlocks(bytes: number, records: number): void {
    if (this._pcapngPacketBlocks === undefined) {
      throw new TypeError("Cannot skip pcapng blocks: the decoder is not between pcapng blocks");
    }
    this.#total += bytes;
    this.#recordIndex += records;
    this.#packetIndex += records;
  }

  /**
   * Decodes every record completed by `chunk`. The returned batch (and its
   * arrays) is valid until the next call on this decoder; the record it
   * carried over (`batch.carry`) stays valid one call longer, whatever that
   * call does (a record carried over is never assembled in a buffer lent by
   * either of the two last calls), so that a caller pushing one input block
   * in parts may still hold it.
   */
  push(chunk: Uint8Array): RecordBatch {
    const batch = this.#batch;
    batch.bytes = chunk;
    batch.carry = _EMPTY;
    batch.carried = 0;
    batch.count = 0;
    batch.error = undefined;
    if (this.#state === _STATE_FINISHED) {
      throw new TypeError("Cannot push to a capture decoder: finish() was already called");
    }
    if (this.#state === _STATE_FAILED) {
      batch.error = this.#error;
      return batch;
    }
    // The record the last push carried over: its buffer is not written into this time.
    const lentBefore = this.#lent;
    this.#lent = undefined;
    const base = this.#total;
    this.#total += chunk.length;
    const length = chunk.length;
    let pos = 0;
    if (this.#carryLength > 0) {
      for (;;) {
        const need = this.#measure(
          this.#carryView,
          this.#carry,
          0,
          this.#carryLength,
          this.#carryOffset,
        );
        if (need < 0) return this.#fail(batch);
        if (this.#carryLength >= need) {
          if (!this.#emit(this.#carry, this.#carryView, 0, need, this.#carryOffset)) {
            return this.#fail(batch);
          }
          batch.carry = this.#carry.subarray(0, need);
          batch.carried = 1;
          this.#lent = this.#carry;
          this.#carryLength = 0;
          break;
        }
        const take = Math.min(need - this.#carryLength, length - pos);
        if (take === 0) return batch;
        this.#reserveCarry(need);
        this.#carry.set(chunk.subarray(pos, pos + take), this.#carryLength);
        this.#carryLength += take;
        pos += take;
      }
    }
    if (pos >= length) return batch;
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.#state === _STATE_PCAP) pos = this.#pcapFastPath(chunk, view, pos);
    while (pos < length) {
      if (this.#state === _STATE_PCAPNG) {
        pos = this.#pcapngFastPath(chunk, view, pos);
        if (pos >= length) break;
      }
      const avail = length - pos;
      const need = this.#measure(view, chunk, pos, avail, base + pos);
      if (need < 0) return this.#fail(batch);
      if (need > avail) {
        if (this.#carry === this.#lent || this.#carry === lentBefore) {
          this.#carryElsewhere(lentBefore);
        }
        this.#reserveCarry(need);
        this.#carry.set(chunk.subarray(pos), 0);
        this.#carryLength = avail;
        this.#carryOffset = base + pos;
        break;
      }
      if (!this.#emit(chunk, view, pos, need, base + pos)) return this.#fail(batch);
      pos += need;
    }
    return batch;
  }

  /**
   * The hot loop for classic pcap records that are whole inside `chunk`;
   * stops (for the general loop to handle) at a partial or bad record.
   */
  #pcapFastPath(chunk: Uint8Array, view: DataView, pos: number): number {
    const little = this.#little;
    const header = this.#pcapRecordHeader;
    const snap = this.#pcapSnaplen;
    const max = this.#maxCapturedLength;
    const length = chunk.length;
    const batch = this.#batch;
    let i = batch.count;
    let records = 0;
    while (length - pos >= header) {
      const caplen = view.getUint32(pos + 8, little);
      const end = pos + header + caplen;
      if (caplen > max || end > length) break;
      if (i === batch.kind.length) this.#grow(batch);
      batch.kind[i] = 1;
      batch.start[i] = pos;
      batch.end[i] = end;
      batch.dataStart[i] = pos + header;
      batch.capturedLength[i] = caplen > snap ? snap : caplen;
      batch.wireLength[i] = view.getUint32(pos + 12, little);
      batch.interfaceIndex[i] = 0;
      i++;
      records++;
      pos = end;
    }
    batch.count = i;
    this.#recordIndex += records;
    this.#packetIndex += records;
    return pos;
  }

  /**
   * The hot loop for pcapng Enhanced Packet Blocks that are whole inside
   * `chunk` and pass every check `#measureBlock` and `#emitBlock` make; stops
   * (for the general loop to handle, or to report) at any other block, a
   * partial one or a bad one.
   */
  #pcapngFastPath(chunk: Uint8Array, view: DataView, pos: number): number {
    const little = this.#little;
    const first = this.#sectionFirst;
    const count = this.#sectionCount;
    const snaplens = this.#snaplens;
    const max = this.#maxCapturedLength;
    const maxBlock = this.#maxBlockLength;
    const length = chunk.length;
    const batch = this.#batch;
    let i = batch.count;
    let records = 0;
    while (length - pos >= 32 && view.getUint32(pos, little) === _PCAPNG_EPB) {
      const size = view.getUint32(pos + 4, little);
      if (size < 32 || (size & 3) !== 0 || size > maxBlock || size > length - pos) break;
      if (view.getUint32(pos + size - 4, little) !== size) break;
      const id = view.getUint32(pos + 8, little);
      const caplen = view.getUint32(pos + 20, little);
      if (id >= count || caplen > size - 32 || caplen > max || caplen > snaplens[first + id]) break;
      if (i === batch.kind.length) this.#grow(batch);
      batch.kind[i] = 1;
      batch.start[i] = pos;
      batch.end[i] = pos + size;
      batch.dataStart[i] = pos + 28;
      batch.capturedLength[i] = caplen;
      batch.wireLength[i] = view.getUint32(pos + 24, little);
      batch.interfaceIndex[i] = first + id;
      i++;
      records++;
      pos += size;
    }
    batch.count = i;
    this.#recordIndex += records;
    this.#packetIndex += records;
    return pos;
  }

  /**
   * Ends the input. Returns an empty batch, or one whose `error` reports
   * empty input or a record cut short by the end of the stream.
   */
  finish(): RecordBatch {
    const batch = this.#batch;
    batch.bytes = _EMPTY;
    batch.carry = _EMPTY;
    batch.carried = 0;
    batch.count = 0;
    batch.error = undefined;
    if (this.#state === _STATE_FAILED) {
      batch.error = this.#error;
      return batch;
    }
    if (this.#state === _STATE_FINISHED) return batch;
    if (this.#total === 0) {
      this.#error = new CaptureFormatError(
        "Cannot decode capture at byte offset 0: the input is empty",
        0,
        0,
        0,
      );
      return this.#fail(batch);
    }
    if (this.#carryLength > 0) {
      const need = this.#measure(
        this.#carryView,
        this.#carry,
        0,
        this.#carryLength,
        this.#carryOffset,
      );
      if (need < 0) return this.#fail(batch);
      // In the start state the bytes are the pcap file header or the first
      // pcapng section header, not a record.
      const inside = this.#state !== _STATE_START
        ? `record ${this.#recordIndex}`
        : this.#carryLength >= 4 && this.#carryView.getUint32(0, false) === _PCAPNG_SHB
        ? "the pcapng section header block"
        : "the capture file header";
      this.#error = new CaptureFormatError(
        `Cannot decode capture at byte offset ${this.#carryOffset}: the input ends inside ${inside} (${this.#carryLength} of ${need} bytes present)`,
        this.#carryOffset,
        this.#recordIndex,
        this.#packetIndex,
      );
      return this.#fail(batch);
    }
    this.#state = _STATE_FINISHED;
    return batch;
  }

  /**
   * Makes a spare buffer lent by neither this push nor the last one (`lentBefore`)
   * the one to carry into (nothing is carried at this point).
   */
  #carryElsewhere(lentBefore: Uint8Array | undefined): void {
    const current = this.#carry;
    const lentNow = this.#lent;
    let next = this.#spare;
    if (next === lentNow || next === lentBefore) {
      next = this.#spare2;
      this.#spare2 = current;
    } else {
      this.#spare = current;
    }
    this.#carry = next;
    this.#carryView = new DataView(next.buffer, next.byteOffset, next.byteLength);
    this.#carryLength = 0;
  }

  #fail(batch: _MutableBatch): RecordBatch {
    this.#state = _STATE_FAILED;
    this.#carryLength = 0;
    this.#carry = _EMPTY;
    this.#spare = _EMPTY;
    this.#spare2 = _EMPTY;
    this.#carryView = new DataView(new ArrayBuffer(0));
    batch.error = this.#error;
    return batch;
  }

  #reserveCarry(size: number): void {
    if (this.#carry.length >= size) return;
    const next = new Uint8Array(Math.max(size, 64));
    next.set(this.#carry.subarray(0, this.#carryLength));
    this.#carry = next;
    this.#carryView = new DataView(next.buffer);
  }

  /** Adds an interface unless `refuseInterface` refuses it (then the decoder has failed). */
  #pushInterface(captureInterface: CaptureInterface, offset: number): boolean {
    const refusal = this.#refuseInterface?.(captureInterface);
    if (refusal !== undefined) {
      this.#error = new CaptureFormatError(
        `Cannot read past interface ${captureInterface.index} at byte offset ${offset}: ${refusal}`,
        offset,
        this.#recordIndex,
        this.#packetIndex,
      );
      return false;
    }
    this.#interfaces.push(captureInterface);
    return true;
  }

  #bad(reason: string, offset: number): -1 {
    const what = this.#format === "pcapng"
      ? "pcapng block"
      : this.#format === "pcap" && this.#recordIndex > 0
      ? "pcap record"
      : "capture header";
    this.#error = new CaptureFormatError(
      `Cannot decode ${what} ${this.#recordIndex} at byte offset ${offset}: ${reason}`,
      offset,
      this.#recordIndex,
      this.#packetIndex,
    );
    return -1;
  }

  /**
   * How many bytes the record at `pos` needs: the whole record's length once
   * its header is there (validated against the limits), else the header size.
   * -1 on bad input (`#error` set).
   */
  #measure(view: DataView, bytes: Uint8Array, pos: number, avail: number, offset: number): number {
    const state = this.#state;
    if (state === _STATE_PCAP) {
      const header = this.#pcapRecordHeader;
      if (avail < header) return header;
      const caplen = view.getUint32(pos + 8, this.#little);
      if (caplen > this.#maxCapturedLength) {
        return this.#bad(
          `captured length ${caplen} is larger than the maximum of ${this.#maxCapturedLength}`,
          offset,
        );
      }
      return header + caplen;
    }
    if (state === _STATE_PCAPNG) return this.#measureBlock(view, bytes, pos, avail, offset);
    // _STATE_START
    if (avail < 4) return 4;
    const magic = view.getUint32(pos, false);
    const format = _captureFormat(magic, view.getUint32(pos, true));
    if (format === "pcapng") return this.#measureBlock(view, bytes, pos, avail, offset);
    if (format === "pcap") return _PCAP_FILE_HEADER;
    return this.#bad(`bad magic number ${_hex(magic)} (neither pcap nor pcapng)`, offset);
  }

  #measureBlock(
    view: DataView,
    bytes: Uint8Array,
    pos: number,
    avail: number,
    offset: number,
  ): number {
    if (avail < 8) return 8;
    let little = this.#little;
    if (
      bytes[pos] === 0x0a && bytes[pos + 1] === 0x0d && bytes[pos + 2] === 0x0d &&
      bytes[pos + 3] === 0x0a
    ) {
      if (avail < 12) return 12;
      const bom = view.getUint32(pos + 8, true);
      if (bom === _PCAPNG_BOM) little = true;
      else if (bom === 0x4d3c2b1a) little = false;
      else {
        return this.#bad(
          `bad byte-order magic ${_hex(view.getUint32(pos + 8, false))} in section header`,
          offset,
        );
      }
    }
    this.#blockLittle = little;
    const length = view.getUint32(pos + 4, little);
    if (length < 12) return this.#bad(`block length ${length} is shorter than 12`, offset);
    if ((length & 3) !== 0) {
      return this.#bad(`block length ${length} is not a multiple of 4`, offset);
    }
    if (length > this.#maxBlockLength) {
      return this.#bad(
        `block length ${length} is larger than the maximum of ${this.#maxBlockLength}`,
        offset,
      );
    }
    return length;
  }

  #add(
    kind: number,
    start: number,
    end: number,
    dataStart: number,
    capturedLength: number,
    wireLength: number,
    interfaceIndex: number,
  ): void {
    const batch = this.#batch;
    const i = batch.count;
    if (i === batch.kind.length) this.#grow(batch);
    batch.kind[i] = kind;
    batch.start[i] = start;
    batch.end[i] = end;
    batch.dataStart[i] = dataStart;
    batch.capturedLength[i] = capturedLength;
    batch.wireLength[i] = wireLength;
    batch.interfaceIndex[i] = interfaceIndex;
    batch.count = i + 1;
    this.#recordIndex++;
    this.#packetIndex += kind;
  }

  #grow(batch: _MutableBatch): void {
    const capacity = batch.kind.length * 2;
    const grow8 = (a: Uint8Array) => {
      const b = new Uint8Array(capacity);
      b.set(a);
      return b;
    };
    const grow32 = (a: Uint32Array) => {
      const b = new Uint32Array(capacity);
      b.set(a);
      return b;
    };
    batch.kind = grow8(batch.kind);
    batch.start = grow32(batch.start);
    batch.end = grow32(batch.end);
    batch.dataStart = grow32(batch.dataStart);
    batch.capturedLength = grow32(batch.capturedLength);
    batch.wireLength = grow32(batch.wireLength);
    batch.interfaceIndex = grow32(batch.interfaceIndex);
  }

  /** Records the complete record `[pos, pos + length)`; false on bad input. */
  #emit(
    bytes: Uint8Array,
    view: DataView,
    pos: number,
    length: number,
    offset: number,
  ): boolean {
    const state = this.#state;
    if (state === _STATE_PCAP) {
      const little = this.#little;
      const caplen = view.getUint32(pos + 8, little);
      const wire = view.getUint32(pos + 12, little);
      const snap = this.#pcapSnaplen;
      const header = this.#pcapRecordHeader;
      this.#add(1, pos, pos + length, pos + header, caplen > snap ? snap : caplen, wire, 0);
      return true;
    }
    if (state === _STATE_PCAPNG) return this.#emitBlock(bytes, view, pos, length, offset);
    // _STATE_START
    if (bytes[pos] === 0x0a && bytes[pos + 1] === 0x0d) {
      this.#format = "pcapng";
      this.#state = _STATE_PCAPNG;
      return this.#emitBlock(bytes, view, pos, length, offset);
    }
    return this.#emitPcapHeader(bytes, view, pos, offset);
  }

  #emitPcapHeader(bytes: Uint8Array, view: DataView, pos: number, offset: number): boolean {
    const big = view.getUint32(pos, false);
    const little = !_isPcapMagic(big);
    const magic = view.getUint32(pos, little);
    this.#format = "pcap";
    const major = view.getUint16(pos + 4, little);
    if (major < 2) {
      this.#bad(
        `pcap version ${major}.${view.getUint16(pos + 6, little)} is not supported`,
        offset,
      );
      return false;
    }
    const snaplen = view.getUint32(pos + 16, little);
    const linkType = view.getUint32(pos + 20, little) & 0x03ffffff;
    this.#little = little;
    this.#pcapRecordHeader = magic === _PCAP_MAGIC_MODIFIED
      ? _PCAP_MODIFIED_RECORD_HEADER
      : _PCAP_RECORD_HEADER;
    // libpcap: a snaplen of 0 or above the maximum means the maximum
    this.#pcapSnaplen = snaplen === 0 || snaplen > this.#maxCapturedLength
      ? this.#maxCapturedLength
      : snaplen;
    this.#snaplens.push(this.#pcapSnaplen);
    this.#pcapLayout = {
      recordHeader: this.#pcapRecordHeader,
      littleEndian: little,
      snaplen: this.#pcapSnaplen,
      maxCapturedLength: this.#maxCapturedLength,
    };
    const added = this.#pushInterface({
      index: 0,
      localIndex: 0,
      section: 0,
      format: "pcap",
      linkType,
      snaplen,
      littleEndian: little,
      timestampResolution: magic === _PCAP_MAGIC_NS ? 1e9 : 1e6,
      timestampOffset: 0,
      block: bytes.slice(pos, pos + _PCAP_FILE_HEADER),
    }, offset);
    if (!added) return false;
    this.#state = _STATE_PCAP;
    this.#add(0, pos, pos + _PCAP_FILE_HEADER, pos, 0, 0, 0);
    return true;
  }

  #emitBlock(
    bytes: Uint8Array,
    view: DataView,
    pos: number,
    length: number,
    offset: number,
  ): boolean {
    const little = this.#blockLittle;
    const trailing = view.getUint32(pos + length - 4, little);
    if (trailing !== length) {
      this.#bad(
        `leading block length ${length} and trailing block length ${trailing} differ`,
        offset,
      );
      return false;
    }
    const type = view.getUint32(pos, little);
    switch (type) {
      case _PCAPNG_EPB:
      case _PCAPNG_PB: {
        if (length < 32) {
          this.#bad(`block length ${length} is too short for a packet block (minimum 32)`, offset);
          return false;
        }
        const id = type === _PCAPNG_EPB
          ? view.getUint32(pos + 8, little)
          : view.getUint16(pos + 8, little);
        const caplen = view.getUint32(pos + 20, little);
        const wire = view.getUint32(pos + 24, little);
        if (id >= this.#sectionCount) {
          this.#bad(
            `packet refers to interface ${id} but its section declares ${this.#sectionCount}`,
            offset,
          );
          return false;
        }
        if (caplen > length - 32) {
          this.#bad(`captured length ${caplen} does not fit in a block of ${length} bytes`, offset);
          return false;
        }
        if (caplen > this.#maxCapturedLength) {
          this.#bad(
            `captured length ${caplen} is larger than the maximum of ${this.#maxCapturedLength}`,
            offset,
          );
          return false;
        }
        const iface = this.#sectionFirst + id;
        const snap = this.#snaplens[iface];
        if (caplen > snap) {
          this.#bad(
            `captured length ${caplen} is larger than interface ${id}'s snaplen of ${snap}`,
            offset,
          );
          return false;
        }
        this.#add(1, pos, pos + length, pos + 28, caplen, wire, iface);
        return true;
      }
      case _PCAPNG_SPB: {
        if (length < 16) {
          this.#bad(
            `block length ${length} is too short for a simple packet block (minimum 16)`,
            offset,
          );
          return false;
        }
        if (this.#sectionCount === 0) {
          this.#bad("simple packet block before any interface description block", offset);
          return false;
        }
        const wire = view.getUint32(pos + 8, little);
        const iface = this.#sectionFirst;
        let caplen = wire;
        const snap = this.#snaplens[iface];
        if (caplen > snap) caplen = snap;
        if (caplen > length - 16) caplen = length - 16;
        this.#add(1, pos, pos + length, pos + 12, caplen, wire, iface);
        return true;
      }
      case _PCAPNG_SHB: {
        if (length < 28) {
          this.#bad(
            `block length ${length} is too short for a section header (minimum 28)`,
            offset,
          );
          return false;
        }
        const major = view.getUint16(pos + 12, little);
        if (major !== 1) {
          this.#bad(
            `pcapng version ${major}.${view.getUint16(pos + 14, little)} is not supported`,
            offset,
          );
          return false;
        }
        this.#little = little;
        this.#section++;
        this.#sectionFirst = this.#interfaces.length;
        this.#sectionCount = 0;
        this.#sectionHeader = bytes.slice(pos, pos + length);
        this.#add(0, pos, pos + length, pos, 0, 0, 0);
        return true;
      }
      case _PCAPNG_IDB: {
        if (length < 20) {
          this.#bad(
            `block length ${length} is too short for an interface description (minimum 20)`,
            offset,
          );
          return false;
        }
        if (this.#interfaces.length >= this.#maxInterfaces) {
          this.#bad(`more than ${this.#maxInterfaces} interfaces`, offset);
          return false;
        }
        if (!this.#addInterface(bytes, view, pos, length, offset, little)) return false;
        this.#add(0, pos, pos + length, pos, 0, 0, 0);
        return true;
      }
      default:
        this.#add(0, pos, pos + length, pos, 0, 0, 0);
        return true;
    }
  }

  #addInterface(
    bytes: Uint8Array,
    view: DataView,
    pos: number,
    length: number,
    offset: number,
    little: boolean,
  ): boolean {
    const linkType = view.getUint16(pos + 8, little);
    const snaplen = view.getUint32(pos + 12, little);
    let resolution = 1e6;
    let tsOffset = 0;
    let name: string | undefined;
    let description: string | undefined;
    const end = pos + length - 4;
    let p = pos + 16;
    while (p + 4 <= end) {
      const code = view.getUint16(p, little);
      const size = view.getUint16(p + 2, little);
      if (code === 0) break; // opt_endofopt
      const value = p + 4;
      if (value + size > end) {
        this.#bad(
          `interface option ${code} of ${size} bytes runs past the end of the block`,
          offset,
        );
        return false;
      }
      if (code === 2) name = _utf8(bytes.subarray(value, value + size));
      else if (code === 3) description = _utf8(bytes.subarray(value, value + size));
      else if (code === 9 && size >= 1) {
        const v = bytes[value];
        const exponent = v & 0x7f;
        if ((v & 0x80) !== 0 ? exponent > 63 : exponent > 19) {
          this.#bad(`interface time stamp resolution ${_hex(v)} is out of range`, offset);
          return false;
        }
        resolution = (v & 0x80) !== 0 ? 2 ** exponent : 10 ** exponent;
      } else if (code === 14 && size >= 8) {
        tsOffset = Number(view.getBigInt64(value, little));
      }
      p = value + ((size + 3) & ~3);
    }
    const index = this.#interfaces.length;
    const added = this.#pushInterface({
      index,
      localIndex: this.#sectionCount,
      section: this.#section,
      format: "pcapng",
      linkType,
      snaplen,
      littleEndian: little,
      timestampResolution: resolution,
      timestampOffset: tsOffset,
      ...(name === undefined ? {} : { name }),
      ...(description === undefined ? {} : { description }),
      block: bytes.slice(pos, pos + length),
      sectionHeader: this.#sectionHeader,
    }, offset);
    if (!added) return false;
    this.#snaplens.push(
      snaplen === 0 || snaplen > this.#maxCapturedLength ? this.#maxCapturedLength : snaplen,
    );
    this.#sectionCount++;
    return true;
  }
}

const _decoder = new TextDecoder();
function _utf8(bytes: Uint8Array): string {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--; // some writers NUL-terminate
  return _decoder.decode(bytes.subarray(0, end));
}
