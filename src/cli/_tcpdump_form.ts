/**
 * `filter`'s output as `tcpdump -r IN -w OUT` writes it: libpcap hands
 * tcpdump every packet as a `pcap_pkthdr` (microseconds, host byte order,
 * the captured length cut to the snapshot length) and `pcap_dump` writes a
 * classic pcap file of its own: magic `a1b2c3d4`, version 2.4, time zone
 * and accuracy 0, the snapshot length as libpcap adjusted it, the link type
 * as libpcap maps it back. So a pcapng input comes out as pcap (the first
 * interface's link type and snapshot length; an interface of another link
 * type or snapshot length ends the run, as it ends tcpdump's), a
 * nanosecond, big-endian or modified (`a1b2cd34`) pcap as a plain
 * microsecond little-endian one, and a record longer than the file's
 * snaplen cut to it.
 *
 * The router's output (the accepted records, in the input's format) goes
 * through {@linkcode _TcpdumpForm}. A plain little-endian microsecond pcap
 * whose snapshot length no record can exceed (the common case, and every
 * capture tcpdump writes) needs only its 24-byte header rewritten: every
 * later byte goes out as it came, views of the input blocks, no copy.
 * Anything else is decoded again (a {@linkcode CaptureDecoder} over the
 * output: the records' lengths as libpcap reports them) and written record
 * by record.
 *
 * Assumes a little-endian host (tcpdump writes host order; Deno runs on
 * x86-64 and arm64, both little-endian).
 *
 * @module
 */
import { CaptureDecoder } from "../capture/capture_decoder.ts";
import type { CaptureInterface } from "../capture/capture_interface.ts";
import {
  _DEFAULT_MAX_CAPTURED_LENGTH,
  _PCAP_FILE_HEADER,
  _PCAP_RECORD_HEADER,
} from "../capture/_pcap_layout.ts";
import { DataError } from "./data_error.ts";

/** The pcap magic, little-endian, microseconds: what tcpdump writes. */
const _MAGIC_MICRO = 0xa1b2c3d4;
/** Largest snapshot length libpcap takes as given (`INT_MAX`). */
const _INT_MAX = 0x7fffffff;
/** Bytes written out at once when records are rewritten. */
const _OUT_BYTES = 1 << 18;

/**
 * libpcap's `linktype_to_dlt` then `dlt_to_linktype` (Linux): the file's
 * link-type values that tcpdump writes back as another (the DLT values some
 * files store, mapped to their LINKTYPE values); any other comes back as is.
 */
const _LINKTYPE_ROUND_TRIP: ReadonlyMap<number, number> = new Map([
  [11, 100], // DLT_ATM_RFC1483
  [12, 101], // DLT_RAW (Linux)
  [15, 102], // DLT_SLIP_BSDOS
  [16, 103], // DLT_PPP_BSDOS
  [19, 106], // DLT_ATM_CLIP (Linux)
]);

/** libpcap's `max_snaplen_for_dlt`, by the file's link-type value. */
function _maxSnaplen(linkType: number): number {
  switch (linkType) {
    case 231: // DBUS
      return 128 * 1024 * 1024;
    case 279: // EBHSCR
      return 8 * 1024 * 1024;
    case 220: // USB_LINUX_MMAPPED
    case 249: // USBPCAP
      return 1024 * 1024;
    default:
      return _DEFAULT_MAX_CAPTURED_LENGTH;
  }
}

/** libpcap's `pcap_adjust_snapshot`: 0 or above `INT_MAX` is the link type's maximum. */
export function _adjustSnapshot(linkType: number, snaplen: number): number {
  return snaplen === 0 || snaplen > _INT_MAX ? _maxSnaplen(linkType) : snaplen;
}

/** The 24-byte file header `pcap_dump_open` writes. */
export function _tcpdumpHeader(linkTypeField: number, snapshot: number): Uint8Array {
  const header = new Uint8Array(_PCAP_FILE_HEADER);
  const view = new DataView(header.buffer);
  const linkType = linkTypeField & 0xffff;
  const mapped = _LINKTYPE_ROUND_TRIP.get(linkType) ?? linkType;
  view.setUint32(0, _MAGIC_MICRO, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, snapshot, true);
  view.setUint32(20, ((linkTypeField & 0xffff0000) | mapped) >>> 0, true);
  return header;
}

/**
 * The header of a plain pcap (little-endian microsecond magic, 16-byte
 * records) whose records pass through unchanged, rewritten as tcpdump
 * writes it; `undefined` where records must be rewritten too.
 */
function _plainHeader(head: Uint8Array): Uint8Array | undefined {
  const view = new DataView(head.buffer, head.byteOffset, _PCAP_FILE_HEADER);
  if (view.getUint32(0, true) !== _MAGIC_MICRO) return undefined;
  const linkTypeField = view.getUint32(20, true);
  const snapshot = _adjustSnapshot(linkTypeField & 0xffff, view.getUint32(16, true));
  // A record longer than the decoder's limit is an input error; none is cut.
  if (snapshot < _DEFAULT_MAX_CAPTURED_LENGTH) return undefined;
  return _tcpdumpHeader(linkTypeField, snapshot);
}

/** Seconds and microseconds of a pcapng time stamp `high:low` in `resolution` ticks. */
function _microseconds(
  high: number,
  low: number,
  resolution: number,
  offset: number,
  out: Uint32Array,
): void {
  if (high < 0x200000 && Number.isInteger(resolution)) {
    const ticks = high * 2 ** 32 + low;
    const fraction = ticks % resolution;
    out[0] = Math.floor(ticks / resolution) + offset;
    out[1] = resolution === 1e6 ? fraction : Math.floor(fraction * 1e6 / resolution);
    return;
  }
  // As libpcap computes it, in 64-bit unsigned arithmetic.
  const ticks = (BigInt(high) << 32n) | BigInt(low);
  const res = BigInt(Math.round(resolution));
  const fraction = ((ticks % res) * 1000000n) & 0xffffffffffffffffn;
  out[0] = Number(BigInt.asUintN(32, ticks / res + BigInt(offset)));
  out[1] = Number(BigInt.asUintN(32, fraction / res));
}

/** Whether the metadata record at `start` is a pcapng Interface Description Block (type 1, either byte order). */
function _isInterfaceBlock(bytes: Uint8Array, start: number): boolean {
  const a = bytes[start], b = bytes[start + 1], c = bytes[start + 2], d = bytes[start + 3];
  return b === 0 && c === 0 && ((a === 1 && d === 0) || (a === 0 && d === 1));
}

/** Rewrites the router's output capture as `tcpdump -w` writes it (see the module documentation). */
export class _TcpdumpForm {
  readonly #name: string;
  /** "start": the format not known yet; "plain": bytes pass through; "records": rewritten. */
  #mode: "start" | "plain" | "records" = "start";
  #head = new Uint8Array(0);
  #decoder: CaptureDecoder | undefined;
  /** The file header written (records mode), and the first interface's values. */
  #linkType = -1;
  #snapshot = 0;
  #checked = 0;
  #out = new Uint8Array(_OUT_BYTES);
  #outView = new DataView(this.#out.buffer);
  #used = 0;
  /** Bytes of `#out` already handed out (never written to again). */
  #handed = 0;
  readonly #time = new Uint32Array(2);
  /** An interface tcpdump cannot write: thrown once what came before it is handed out. */
  #failure: DataError | undefined;

  /** `name`: the input, for the message when an interface cannot be written. */
  constructor(name: string) {
    this.#name = name;
  }

  /** The bytes to write for `chunk` (views of it, or copies). */
  transform(chunk: Uint8Array): Uint8Array[] {
    if (this.#mode === "plain") return [chunk];
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#mode === "start") {
      const head = new Uint8Array(this.#head.length + chunk.length);
      head.set(this.#head);
      head.set(chunk, this.#head.length);
      if (head.length < _PCAP_FILE_HEADER) {
        this.#head = head;
        return [];
      }
      this.#head = new Uint8Array(0);
      const plain = _plainHeader(head);
      if (plain !== undefined) {
        this.#mode = "plain";
        const rest = head.subarray(_PCAP_FILE_HEADER);
        return rest.length > 0 ? [plain, rest] : [plain];
      }
      this.#mode = "records";
      this.#decoder = new CaptureDecoder();
      chunk = head;
    }
    const pieces: Uint8Array[] = [];
    this.#records(this.#decoder!.push(chunk), pieces);
    // Every chunk's records leave with it (a live capture is not held back).
    this.#hand(pieces);
    return pieces;
  }

  /** The bytes still held, at the end of the output. */
  finish(): Uint8Array[] {
    const pieces: Uint8Array[] = [];
    if (this.#mode === "start" && this.#head.length > 0) {
      // Not a capture the router writes (it would have failed first): as is.
      pieces.push(this.#head);
    } else if (this.#mode === "records") {
      if (this.#failure !== undefined) throw this.#failure;
      this.#records(this.#decoder!.finish(), pieces);
    }
    this.#hand(pieces);
    return pieces;
  }

  /** Hands the bytes of `#out` written since the last call to `pieces`. */
  #hand(pieces: Uint8Array[]): void {
    if (this.#used > this.#handed) pieces.push(this.#out.subarray(this.#handed, this.#used));
    this.#handed = this.#used;
  }

  /** Writes the packets of `batch` (a push of the decoder over the output) into `pieces`. */
  #records(batch: ReturnType<CaptureDecoder["push"]>, pieces: Uint8Array[]): void {
    if (batch.error !== undefined) throw DataError.from(this.#name, batch.error);
    const decoder = this.#decoder!;
    for (let i = 0; i < batch.count; i++) {
      const bytes = i < batch.carried ? batch.carry : batch.bytes;
      if (batch.kind[i] === 0) {
        // The pcap file header, or a pcapng Interface Description Block: the next interface.
        if (decoder.format === "pcap" || _isInterfaceBlock(bytes, batch.start[i])) {
          this.#interface(decoder.interfaces[this.#checked++], pieces);
          if (this.#failure !== undefined) return;
        }
        continue;
      }
      const captured = batch.capturedLength[i];
      const iface = decoder.interfaces[batch.interfaceIndex[i]];
      this.#stamp(bytes, batch.start[i], iface);
      this.#room(_PCAP_RECORD_HEADER + captured, pieces);
      const view = this.#outView, at = this.#used;
      view.setUint32(at, this.#time[0], true);
      view.setUint32(at + 4, this.#time[1], true);
      view.setUint32(at + 8, captured, true);
      view.setUint32(at + 12, batch.wireLength[i], true);
      const data = batch.dataStart[i];
      this.#out.set(bytes.subarray(data, data + captured), at + _PCAP_RECORD_HEADER);
      this.#used = at + _PCAP_RECORD_HEADER + captured;
    }
  }

  /**
   * The file header at the first interface; every later one must have its
   * link type and snapshot length (libpcap fails on the others, and so
   * does this run, once the packets before it are written).
   */
  #interface(iface: CaptureInterface | undefined, pieces: Uint8Array[]): void {
    if (iface === undefined) return;
    const pcap = iface.format === "pcap";
    const field = pcap
      ? new DataView(iface.block.buffer, iface.block.byteOffset).getUint32(
        20,
        iface.littleEndian,
      )
      : iface.linkType;
    let snapshot = _adjustSnapshot(iface.linkType, iface.snaplen);
    // libpcap's modified (Kuznetzov) pcap on Ethernet: 14 bytes more.
    if (pcap && iface.linkType === 1 && this.#decoder!._pcapLayout?.recordHeader === 24) {
      snapshot = Math.min(snapshot + 14, _INT_MAX);
    }
    if (this.#linkType < 0) {
      this.#linkType = iface.linkType;
      this.#snapshot = snapshot;
      this.#room(_PCAP_FILE_HEADER, pieces);
      this.#out.set(_tcpdumpHeader(field, snapshot), this.#used);
      this.#used += _PCAP_FILE_HEADER;
    } else if (iface.linkType !== this.#linkType || snapshot !== this.#snapshot) {
      const what = iface.linkType !== this.#linkType
        ? `a type ${iface.linkType} different from the type`
        : `a snapshot length ${iface.snaplen} different from the snapshot length`;
      this.#failure = new DataError(
        this.#name,
        `Cannot write the capture as tcpdump -w does: an interface has ${what} of the first interface (--keep-format writes it as pcapng)`,
      );
    }
  }

  /** The record at `start`'s time stamp in seconds and microseconds, into `#time`. */
  #stamp(bytes: Uint8Array, start: number, iface: CaptureInterface): void {
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const little = iface.littleEndian;
    if (iface.format === "pcap") {
      const fraction = view.getUint32(start + 4, little);
      this.#time[0] = view.getUint32(start, little);
      this.#time[1] = iface.timestampResolution === 1e9 ? Math.floor(fraction / 1000) : fraction;
      return;
    }
    // Enhanced (6) and obsolete (2) packet blocks: the time stamp at 12; simple (3): none.
    const simple = view.getUint32(start, little) === 3;
    const high = simple ? 0 : view.getUint32(start + 12, little);
    const low = simple ? 0 : view.getUint32(start + 16, little);
    _microseconds(high, low, iface.timestampResolution, iface.timestampOffset, this.#time);
  }

  /** Makes room for `bytes` in the output buffer, handing the full one to `pieces`. */
  #room(bytes: number, pieces: Uint8Array[]): void {
    if (this.#used + bytes <= this.#out.length) return;
    this.#hand(pieces);
    // A new buffer: the handed bytes are written after this call returns.
    this.#out = new Uint8Array(Math.max(_OUT_BYTES, bytes));
    this.#outView = new DataView(this.#out.buffer);
    this.#used = this.#handed = 0;
  }
}
