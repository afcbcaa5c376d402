/**
 * A TransformStream from frame objects back to capture bytes.
 *
 * @module
 */
import type { CaptureInterface } from "./capture_interface.ts";
import type { CapturedFrame } from "./captured_frame.ts";

/**
 * Options of {@linkcode CaptureEncoderStream}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CaptureDecoderStream } from "./capture_decoder_stream.ts";
 * import {
 *   CaptureEncoderStream,
 *   type CaptureEncoderStreamOptions,
 * } from "./capture_encoder_stream.ts";
 * const pcap = new Uint8Array([
 *   0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
 *   1, 0, 0, 0, 5, 0, 0, 0, 2, 0, 0, 0, 60, 0, 0, 0, 0xaa, 0xbb,
 * ]);
 * const options: CaptureEncoderStreamOptions = { format: "pcapng" };
 * const out = ReadableStream.from([pcap])
 *   .pipeThrough(new CaptureDecoderStream())
 *   .pipeThrough(new CaptureEncoderStream(options));
 * const bytes = new Uint8Array(await new Response(out).arrayBuffer());
 * const blockType = new DataView(bytes.buffer).getUint32(0, true);
 * assert.equal(blockType.toString(16), "a0d0d0a");
 * ```
 */
export interface CaptureEncoderStreamOptions {
  /**
   * Output format. By default the format of the first frame's interface, so
   * pcap stays pcap and pcapng stays pcapng.
   *
   * @default {the format of the first frame's interface}
   */
  format?: "pcap" | "pcapng";
}

/**
 * Encodes {@linkcode CapturedFrame}s (e.g. from `CaptureDecoderStream`) as a
 * capture that `tcpdump -r` / `tshark -r` read.
 *
 * - pcap out: the first frame's pcap file header, byte for byte (same magic,
 *   byte order, time stamp resolution, snaplen, link type), then one record
 *   per frame in that byte order. Frames from pcapng get a little-endian
 *   header of their own. Every frame must have the header's link type.
 * - pcapng out: for frames from pcapng, the frame's Section Header Block and
 *   Interface Description Block are copied verbatim (options, `if_tsresol`
 *   and byte order kept) the first time a frame needs them; a new section
 *   starts when the frames' section changes. Interface ids are renumbered in
 *   order of first use (an interface without packets is not written). Packets
 *   become Enhanced Packet Blocks with their options (Simple Packet Blocks
 *   stay simple where that reads back identically). Frames from pcap get a
 *   little-endian section with nanosecond interfaces.
 *
 * Nothing is written for an empty stream.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CaptureDecoderStream } from "./capture_decoder_stream.ts";
 * import { CaptureEncoderStream } from "./capture_encoder_stream.ts";
 * const pcap = new Uint8Array([
 *   0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
 *   1, 0, 0, 0, 5, 0, 0, 0, 2, 0, 0, 0, 60, 0, 0, 0, 0xaa, 0xbb,
 * ]);
 * const out = ReadableStream.from([pcap])
 *   .pipeThrough(new CaptureDecoderStream())
 *   .pipeThrough(new CaptureEncoderStream());
 * const bytes = new Uint8Array(await new Response(out).arrayBuffer());
 * assert.equal(bytes.length, pcap.length);
 * ```
 */
export class CaptureEncoderStream extends TransformStream<CapturedFrame, Uint8Array> {
  /** Creates the stream. */
  constructor(options: CaptureEncoderStreamOptions = {}) {
    const writer = new _Writer(options.format);
    super({
      transform(frame, controller) {
        writer.write(frame, (bytes) => controller.enqueue(bytes));
      },
    });
  }
}

const _PCAP_RECORD_HEADER = 16;

class _Writer {
  #format: "pcap" | "pcapng" | undefined;
  // pcap
  #pcapLittle = true;
  #pcapResolution = 1e6;
  #pcapLinkType = -1;
  #pcapSource: CaptureInterface | undefined;
  // pcapng
  #sectionKey: unknown = undefined;
  #sectionLittle = true;
  #ids = new Map<unknown, number>();

  constructor(format: "pcap" | "pcapng" | undefined) {
    this.#format = format;
  }

  write(frame: CapturedFrame, out: (bytes: Uint8Array) => void): void {
    if (this.#format === undefined) this.#format = frame.interface.format;
    if (this.#format === "pcap") this.#writePcap(frame, out);
    else this.#writePcapng(frame, out);
  }

  #writePcap(frame: CapturedFrame, out: (bytes: Uint8Array) => void): void {
    const iface = frame.interface;
    if (this.#pcapLinkType < 0) {
      let header: Uint8Array;
      if (iface.format === "pcap") {
        header = iface.block.slice(0, 24);
        this.#pcapLittle = iface.littleEndian;
        this.#pcapResolution = iface.timestampResolution;
        this.#pcapSource = iface;
      } else {
        header = new Uint8Array(24);
        const view = new DataView(header.buffer);
        view.setUint32(0, 0xa1b23c4d, true);
        view.setUint16(4, 2, true);
        view.setUint16(6, 4, true);
        view.setUint32(16, iface.snaplen === 0 ? 262144 : iface.snaplen, true);
        view.setUint32(20, iface.linkType, true);
        this.#pcapResolution = 1e9;
      }
      this.#pcapLinkType = frame.linkType;
      out(header);
    } else if (frame.linkType !== this.#pcapLinkType) {
      throw new RangeError(
        `Cannot encode frame ${frame.index} as pcap: link type ${frame.linkType} differs from the file's link type ${this.#pcapLinkType}`,
      );
    }
    const data = frame.data;
    const record = new Uint8Array(_PCAP_RECORD_HEADER + data.length);
    const view = new DataView(record.buffer);
    const little = this.#pcapLittle;
    const resolution = BigInt(this.#pcapResolution);
    const ticks = frame.interface === this.#pcapSource
      ? frame.timestamp
      : _ticks(frame, this.#pcapResolution);
    view.setUint32(0, Number((ticks / resolution) & 0xffffffffn), little);
    view.setUint32(4, Number(ticks % resolution), little);
    view.setUint32(8, data.length, little);
    view.setUint32(12, frame.wireLength, little);
    record.set(data, _PCAP_RECORD_HEADER);
    out(record);
  }

  #writePcapng(frame: CapturedFrame, out: (bytes: Uint8Array) => void): void {
    const iface = frame.interface;
    const native = iface.format === "pcapng" && iface.sectionHeader !== undefined;
    const key = native ? iface.sectionHeader : _SYNTHETIC;
    if (key !== this.#sectionKey) {
      this.#sectionKey = key;
      this.#ids.clear();
      this.#sectionLittle = native ? iface.littleEndian : true;
      out(native ? iface.sectionHeader!.slice() : _syntheticSectionHeader());
    }
    let id = this.#ids.get(iface);
    if (id === undefined) {
      id = this.#ids.size;
      this.#ids.set(iface, id);
      out(native ? iface.block.slice() : _syntheticInterface(iface));
    }
    const little = this.#sectionLittle;
    const data = frame.data;
    const padded = (data.length + 3) & ~3;
    if (native && frame.simple && id === 0) {
      const snap = iface.snaplen === 0 ? Infinity : iface.snaplen;
      if (Math.min(frame.wireLength, snap, padded) === data.length) {
        const block = new Uint8Array(16 + padded);
        const view = new DataView(block.buffer);
        view.setUint32(0, 3, little);
        view.setUint32(4, block.length, little);
        view.setUint32(8, frame.wireLength, little);
        block.set(data, 12);
        view.setUint32(block.length - 4, block.length, little);
        out(block);
        return;
      }
    }
    const options = native && frame.options ? frame.options : undefined;
    const block = new Uint8Array(32 + padded + (options ? options.length : 0));
    const view = new DataView(block.buffer);
    const ticks = native ? frame.timestamp : _ticks(frame, 1e9);
    view.setUint32(0, 6, little);
    view.setUint32(4, block.length, little);
    view.setUint32(8, id, little);
    view.setUint32(12, Number((ticks >> 32n) & 0xffffffffn), little);
    view.setUint32(16, Number(ticks & 0xffffffffn), little);
    view.setUint32(20, data.length, little);
    view.setUint32(24, frame.wireLength, little);
    block.set(data, 28);
    if (options) block.set(options, 28 + padded);
    view.setUint32(block.length - 4, block.length, little);
    out(block);
  }
}

const _SYNTHETIC = Symbol("synthetic section");

/** Ticks at `resolution` per second from the frame's nanoseconds. */
function _ticks(frame: CapturedFrame, resolution: number): bigint {
  const ns = frame.timestampNanoseconds < 0n ? 0n : frame.timestampNanoseconds;
  return (ns * BigInt(resolution)) / 1_000_000_000n;
}

function _syntheticSectionHeader(): Uint8Array {
  const block = new Uint8Array(28);
  const view = new DataView(block.buffer);
  view.setUint32(0, 0x0a0d0d0a, true);
  view.setUint32(4, 28, true);
  view.setUint32(8, 0x1a2b3c4d, true);
  view.setUint16(12, 1, true);
  view.setUint16(14, 0, true);
  view.setBigInt64(16, -1n, true);
  view.setUint32(24, 28, true);
  return block;
}

function _syntheticInterface(iface: CaptureInterface): Uint8Array {
  // IDB with if_tsresol = 9 (nanoseconds) and opt_endofopt
  const block = new Uint8Array(32);
  const view = new DataView(block.buffer);
  view.setUint32(0, 1, true);
  view.setUint32(4, 32, true);
  view.setUint16(8, iface.linkType, true);
  view.setUint32(12, iface.snaplen, true);
  view.setUint16(16, 9, true);
  view.setUint16(18, 1, true);
  block[20] = 9;
  view.setUint32(28, 32, true);
  return block;
}
