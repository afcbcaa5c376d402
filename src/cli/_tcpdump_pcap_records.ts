/**
 * A classic pcap's records as `tcpdump -w` writes them (./_tcpdump_form.ts):
 * 16-byte record headers, little-endian, microseconds, the captured length
 * cut to the snapshot length (the data after it left out). Records already
 * in that form go out as views of their chunk; a chunk of 16-byte records
 * in the other byte order or in nanoseconds is copied once and its headers
 * rewritten in place; modified (24-byte) headers and records to cut are
 * written one by one.
 *
 * @module
 */
import { _PCAP_FILE_HEADER, _PCAP_RECORD_HEADER } from "../capture/_pcap_layout.ts";
import { _PCAP_MAGIC_MODIFIED, _PCAP_MAGIC_NS } from "../capture/_capture_magic.ts";
import { _CopyBuffer } from "./_copy_buffer.ts";
import { _adjustSnapshot, _INT_MAX, _tcpdumpHeader } from "./_tcpdump_header.ts";

const _EMPTY = new Uint8Array(0);

/** See the module documentation. */
export class _PcapRecordsForm {
  /** The file header tcpdump writes for this input. */
  readonly header: Uint8Array;
  readonly #little: boolean;
  readonly #recordHeader: number;
  readonly #nano: boolean;
  readonly #snapshot: number;
  /** Records already in tcpdump's form (unless cut). */
  readonly #plain: boolean;
  /** The start of a record the last chunk ended in (the router writes whole records: none). */
  #partial = _EMPTY;
  readonly #out = new _CopyBuffer();

  /** `fileHeader`: the input's 24-byte pcap file header (a magic the decoder took). */
  constructor(fileHeader: Uint8Array) {
    const view = new DataView(fileHeader.buffer, fileHeader.byteOffset, _PCAP_FILE_HEADER);
    // The magic reads as one of pcap's in the file's byte order.
    const little = view.getUint32(0, true) >>> 16 === 0xa1b2;
    const magic = view.getUint32(0, little);
    const linkTypeField = view.getUint32(20, little);
    let snapshot = _adjustSnapshot(linkTypeField & 0xffff, view.getUint32(16, little));
    const modified = magic === _PCAP_MAGIC_MODIFIED;
    // libpcap on a modified (Kuznetzov) pcap of Ethernet: 14 bytes more.
    if (modified && (linkTypeField & 0xffff) === 1) snapshot = Math.min(snapshot + 14, _INT_MAX);
    this.#little = little;
    this.#recordHeader = modified ? 24 : _PCAP_RECORD_HEADER;
    this.#nano = magic === _PCAP_MAGIC_NS;
    this.#snapshot = snapshot;
    this.#plain = little && !this.#nano && !modified;
    this.header = _tcpdumpHeader(linkTypeField, snapshot);
  }

  /** Appends the bytes to write for `chunk` (records after the file header) to `pieces`. */
  transform(chunk: Uint8Array, pieces: Uint8Array[]): void {
    if (this.#partial.length > 0) {
      const joined = new Uint8Array(this.#partial.length + chunk.length);
      joined.set(this.#partial);
      joined.set(chunk, this.#partial.length);
      chunk = joined;
      this.#partial = _EMPTY;
    }
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const header = this.#recordHeader, little = this.#little, snapshot = this.#snapshot;
    // The whole records, and whether one is cut.
    let end = 0;
    let cut = false;
    while (end + header <= chunk.length) {
      const captured = view.getUint32(end + 8, little);
      if (end + header + captured > chunk.length) break;
      if (captured > snapshot) cut = true;
      end += header + captured;
    }
    if (end < chunk.length) this.#partial = chunk.slice(end);
    if (end === 0) return;
    this.#out.reuse();
    if (cut || header !== _PCAP_RECORD_HEADER) {
      this.#oneByOne(chunk, view, end, pieces);
    } else if (this.#plain) {
      pieces.push(end === chunk.length ? chunk : chunk.subarray(0, end));
    } else {
      this.#inPlace(chunk.subarray(0, end), pieces);
    }
  }

  /** The bytes of a record cut short at the end (none, from the router). */
  finish(pieces: Uint8Array[]): void {
    if (this.#partial.length > 0) pieces.push(this.#partial);
    this.#partial = _EMPTY;
  }

  /** 16-byte records: copied at once, their headers rewritten in the copy. */
  #inPlace(records: Uint8Array, pieces: Uint8Array[]): void {
    const out = this.#out;
    out.room(records.length, pieces);
    const view = out.view, little = this.#little, nano = this.#nano;
    out.bytes.set(records, out.used);
    for (let at = out.used, end = out.used + records.length; at < end;) {
      const seconds = view.getUint32(at, little);
      const fraction = view.getUint32(at + 4, little);
      const captured = view.getUint32(at + 8, little);
      const wire = view.getUint32(at + 12, little);
      view.setUint32(at, seconds, true);
      view.setUint32(at + 4, nano ? Math.floor(fraction / 1000) : fraction, true);
      view.setUint32(at + 8, captured, true);
      view.setUint32(at + 12, wire, true);
      at += _PCAP_RECORD_HEADER + captured;
    }
    out.used += records.length;
    out.hand(pieces);
  }

  /** Records written one by one: a new header, the data up to the snapshot length. */
  #oneByOne(chunk: Uint8Array, view: DataView, end: number, pieces: Uint8Array[]): void {
    const out = this.#out, header = this.#recordHeader, little = this.#little;
    for (let at = 0; at < end;) {
      const captured = view.getUint32(at + 8, little);
      const kept = Math.min(captured, this.#snapshot);
      out.room(_PCAP_RECORD_HEADER + kept, pieces);
      const fraction = view.getUint32(at + 4, little);
      const o = out.used, to = out.view;
      to.setUint32(o, view.getUint32(at, little), true);
      to.setUint32(o + 4, this.#nano ? Math.floor(fraction / 1000) : fraction, true);
      to.setUint32(o + 8, kept, true);
      to.setUint32(o + 12, view.getUint32(at + 12, little), true);
      out.bytes.set(chunk.subarray(at + header, at + header + kept), o + _PCAP_RECORD_HEADER);
      out.used = o + _PCAP_RECORD_HEADER + kept;
      at += header + captured;
    }
    out.hand(pieces);
  }
}
