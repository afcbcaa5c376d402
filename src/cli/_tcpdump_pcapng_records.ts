/**
 * A pcapng capture's packets as `tcpdump -w` writes them
 * (./_tcpdump_form.ts): libpcap reads pcapng as one pcap stream, so the
 * output is a classic pcap with the first interface's link type and
 * snapshot length; every packet a 16-byte record, its time stamp in
 * microseconds (`if_tsresol`, `if_tsoffset` applied as libpcap applies
 * them), its lengths as libpcap reports them. An interface of another link
 * type or snapshot length ends the output there, as libpcap fails there.
 *
 * The router's output is decoded again, by a {@linkcode CaptureDecoder}
 * (the same lengths, interfaces and time-stamp resolutions as the input's).
 *
 * @module
 */
import { CaptureDecoder } from "../capture/capture_decoder.ts";
import type { CaptureInterface } from "../capture/capture_interface.ts";
import type { RecordBatch } from "../capture/record_batch.ts";
import { _PCAP_FILE_HEADER, _PCAP_RECORD_HEADER } from "../capture/_pcap_layout.ts";
import { DataError } from "./data_error.ts";
import { _CopyBuffer } from "./_copy_buffer.ts";
import { _adjustSnapshot, _tcpdumpHeader } from "./_tcpdump_header.ts";

/** Seconds and microseconds of a pcapng time stamp `high:low` in `resolution` ticks, into `out`. */
export function _microseconds(
  high: number,
  low: number,
  resolution: number,
  offset: number,
  out: Uint32Array,
): void {
  // libpcap scales a decimal resolution above microseconds down by a division
  // (SCALE_DOWN_DEC: a multiple of 10^6, which no power of 2 is); any other by
  // `fraction * 10^6 / resolution` in 64-bit unsigned arithmetic (it wraps).
  const decimal = resolution >= 1e6 && resolution % 1e6 === 0;
  if (high < 0x200000 && Number.isInteger(resolution) && (decimal || resolution < 2 ** 33)) {
    // Exact in doubles: ticks below 2^53, fraction * 10^6 below 2^53 where multiplied.
    const ticks = high * 2 ** 32 + low;
    const fraction = ticks % resolution;
    out[0] = Math.floor(ticks / resolution) + offset;
    out[1] = decimal
      ? Math.floor(fraction / (resolution / 1e6))
      : Math.floor(fraction * 1e6 / resolution);
    return;
  }
  const ticks = (BigInt(high) << 32n) | BigInt(low);
  const res = BigInt(Math.round(resolution));
  out[0] = Number(BigInt.asUintN(32, ticks / res + BigInt(offset)));
  out[1] = decimal
    ? Number(BigInt.asUintN(32, (ticks % res) / (res / 1000000n)))
    : Number(BigInt.asUintN(32, (((ticks % res) * 1000000n) & 0xffffffffffffffffn) / res));
}

/** Whether the metadata record at `start` is an Interface Description Block (type 1, either byte order). */
export function _isInterfaceBlock(bytes: Uint8Array, start: number): boolean {
  const a = bytes[start], b = bytes[start + 1], c = bytes[start + 2], d = bytes[start + 3];
  return b === 0 && c === 0 && ((a === 1 && d === 0) || (a === 0 && d === 1));
}

/**
 * Why libpcap refuses `iface` after an interface of `linkType` and adjusted
 * snapshot length `snapshot` (the message `filter` prints), or `undefined`.
 */
export function _interfaceRefusal(
  iface: CaptureInterface,
  linkType: number,
  snapshot: number,
): string | undefined {
  if (iface.linkType === linkType && _adjustSnapshot(iface.linkType, iface.snaplen) === snapshot) {
    return undefined;
  }
  const what = iface.linkType !== linkType
    ? `a type ${iface.linkType} different from the type`
    : `a snapshot length ${iface.snaplen} different from the snapshot length`;
  return `Cannot write the capture as tcpdump -w does: an interface has ${what} of the first interface (--keep-format writes it as pcapng)`;
}

/** See the module documentation. */
export class _PcapngRecordsForm {
  readonly #name: string;
  readonly #decoder = new CaptureDecoder();
  readonly #out = new _CopyBuffer();
  /** The first interface's link type (-1: no file header written yet) and snapshot length. */
  #linkType = -1;
  #snapshot = 0;
  /** Interfaces met so far. */
  #checked = 0;
  readonly #time = new Uint32Array(2);
  /** An interface tcpdump cannot write: thrown once what came before it is handed out. */
  #failure: DataError | undefined;

  /** `name`: the input, for the message when an interface cannot be written. */
  constructor(name: string) {
    this.#name = name;
  }

  /** Appends the bytes to write for `chunk` to `pieces`. */
  transform(chunk: Uint8Array, pieces: Uint8Array[]): void {
    if (this.#failure !== undefined) throw this.#failure;
    this.#out.reuse();
    this.#records(this.#decoder.push(chunk), pieces);
    this.#out.hand(pieces);
  }

  /** Appends the bytes still held to `pieces`. */
  finish(pieces: Uint8Array[]): void {
    if (this.#failure !== undefined) throw this.#failure;
    this.#out.reuse();
    this.#records(this.#decoder.finish(), pieces);
    this.#out.hand(pieces);
  }

  /** Writes the packets of `batch` into the copy buffer. */
  #records(batch: RecordBatch, pieces: Uint8Array[]): void {
    if (batch.error !== undefined) throw DataError.from(this.#name, batch.error);
    const interfaces = this.#decoder.interfaces;
    const out = this.#out, time = this.#time;
    let bytes = batch.bytes;
    let view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < batch.count; i++) {
      if (i < batch.carried || (i === batch.carried && i > 0)) {
        bytes = i < batch.carried ? batch.carry : batch.bytes;
        view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      }
      const start = batch.start[i];
      if (batch.kind[i] === 0) {
        if (_isInterfaceBlock(bytes, start)) this.#interface(interfaces[this.#checked++], pieces);
        if (this.#failure !== undefined) return;
        continue;
      }
      const iface = interfaces[batch.interfaceIndex[i]];
      const little = iface.littleEndian;
      // Enhanced (6) and obsolete (2) packet blocks: the time stamp at 12; simple (3): none.
      const simple = view.getUint32(start, little) === 3;
      _microseconds(
        simple ? 0 : view.getUint32(start + 12, little),
        simple ? 0 : view.getUint32(start + 16, little),
        iface.timestampResolution,
        iface.timestampOffset,
        time,
      );
      const captured = batch.capturedLength[i];
      out.room(_PCAP_RECORD_HEADER + captured, pieces);
      const o = out.used, to = out.view;
      to.setUint32(o, time[0], true);
      to.setUint32(o + 4, time[1], true);
      to.setUint32(o + 8, captured, true);
      to.setUint32(o + 12, batch.wireLength[i], true);
      const data = batch.dataStart[i];
      out.bytes.set(bytes.subarray(data, data + captured), o + _PCAP_RECORD_HEADER);
      out.used = o + _PCAP_RECORD_HEADER + captured;
    }
  }

  /**
   * The file header at the first interface; every later one must have its
   * link type and snapshot length (libpcap fails on the others, and so does
   * this output, once the packets before it are written).
   */
  #interface(iface: CaptureInterface | undefined, pieces: Uint8Array[]): void {
    if (iface === undefined) return;
    const snapshot = _adjustSnapshot(iface.linkType, iface.snaplen);
    if (this.#linkType < 0) {
      this.#linkType = iface.linkType;
      this.#snapshot = snapshot;
      this.#out.room(_PCAP_FILE_HEADER, pieces);
      this.#out.bytes.set(_tcpdumpHeader(iface.linkType, snapshot), this.#out.used);
      this.#out.used += _PCAP_FILE_HEADER;
    } else {
      const refusal = _interfaceRefusal(iface, this.#linkType, this.#snapshot);
      if (refusal !== undefined) this.#failure = new DataError(this.#name, refusal);
    }
  }
}
