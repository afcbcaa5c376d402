/**
 * A TransformStream from capture bytes to frame objects.
 *
 * @module
 */
import { CaptureDecoder, type CaptureDecoderOptions } from "./capture_decoder.ts";
import type { CaptureInterface } from "./capture_interface.ts";
import type { CapturedFrame } from "./captured_frame.ts";
import type { RecordBatch } from "./record_batch.ts";

/**
 * Decodes a pcap or pcapng byte stream (split anywhere) into one
 * {@linkcode CapturedFrame} per packet, each with its own copy of the bytes.
 * Metadata blocks are not emitted (see `interfaces`). On bad input every
 * complete frame before the problem reaches the reader, then the readable
 * side errors with a `CaptureFormatError` (and the writable side errors, so a
 * pipe into it stops reading its source). A `{ readable, writable }` pair, like
 * `TextDecoderStream`: use it with `pipeThrough`.
 *
 * This is the convenient, allocating path; the router uses
 * {@linkcode CaptureDecoder} batches directly.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CaptureDecoderStream } from "./capture_decoder_stream.ts";
 * const pcap = new Uint8Array([
 *   0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
 *   1, 0, 0, 0, 5, 0, 0, 0, 2, 0, 0, 0, 60, 0, 0, 0, 0xaa, 0xbb,
 * ]);
 * const frames = ReadableStream.from([pcap]).pipeThrough(new CaptureDecoderStream());
 * const [frame] = await Array.fromAsync(frames);
 * assert.equal(frame.linkType, 1);
 * assert.deepEqual(frame.data, new Uint8Array([0xaa, 0xbb]));
 * assert.equal(frame.wireLength, 60);
 * assert.equal(frame.timestampNanoseconds, 1000005000n);
 * ```
 */
export class CaptureDecoderStream implements ReadableWritablePair<CapturedFrame, Uint8Array> {
  /** The frames, in input order; errors (after the last good frame) on bad input. */
  readonly readable: ReadableStream<CapturedFrame>;
  /** Capture bytes, split anywhere. Errors on bad input so that a pipe into it stops. */
  readonly writable: WritableStream<Uint8Array>;
  readonly #decoder: CaptureDecoder;

  /** Creates the stream; options are those of {@linkcode CaptureDecoder}. */
  constructor(options: CaptureDecoderOptions = {}) {
    const decoder = new CaptureDecoder(options);
    // Our own queue, because erroring a stream discards the chunks it still
    // holds: frames before a bad record must reach the reader first.
    let queue: CapturedFrame[] = [];
    let head = 0;
    let index = 0;
    let failure: { reason: unknown } | undefined;
    let done = false;
    let wakeReader: (() => void) | undefined;
    let wakeWriter: (() => void) | undefined;
    const wake = () => {
      const reader = wakeReader;
      wakeReader = undefined;
      reader?.();
    };
    const collect = (batch: RecordBatch) => {
      const interfaces = decoder.interfaces;
      for (let i = 0; i < batch.count; i++) {
        if (batch.kind[i] !== 1) continue;
        const bytes = i < batch.carried ? batch.carry : batch.bytes;
        queue.push(_toFrame(bytes, batch, i, interfaces[batch.interfaceIndex[i]], index++));
      }
      if (batch.error && !failure) failure = { reason: batch.error };
      wake();
    };
    this.readable = new ReadableStream<CapturedFrame>({
      pull: async (controller) => {
        for (;;) {
          if (head < queue.length) {
            controller.enqueue(queue[head++]);
            if (head === queue.length) {
              queue = [];
              head = 0;
              const writer = wakeWriter;
              wakeWriter = undefined;
              writer?.();
            }
            return;
          }
          if (failure) return controller.error(failure.reason);
          if (done) return controller.close();
          await new Promise<void>((resolve) => wakeReader = resolve);
        }
      },
      cancel: (reason) => {
        failure ??= { reason };
        queue = [];
        head = 0;
        wakeWriter?.();
      },
    }, { highWaterMark: 0 });
    this.writable = new WritableStream<Uint8Array>({
      write: async (chunk) => {
        if (failure) throw failure.reason;
        collect(decoder.push(chunk));
        _rethrow(failure);
        if (head < queue.length) await new Promise<void>((resolve) => wakeWriter = resolve);
      },
      close: () => {
        if (!failure) collect(decoder.finish());
        done = true;
        wake();
        _rethrow(failure);
      },
      abort: (reason) => {
        failure ??= { reason };
        wake();
      },
    });
    this.#decoder = decoder;
  }

  /** Interfaces seen so far (grows with pcapng IDBs). */
  get interfaces(): readonly CaptureInterface[] {
    return this.#decoder.interfaces;
  }

  /** The detected format, once the first bytes have arrived. */
  get format(): "pcap" | "pcapng" | undefined {
    return this.#decoder.format;
  }
}

/** Throws the recorded failure, if any (a function so that narrowing does not hide it). */
function _rethrow(failure: { reason: unknown } | undefined): void {
  if (failure) throw failure.reason;
}

function _toFrame(
  bytes: Uint8Array,
  batch: RecordBatch,
  i: number,
  iface: CaptureInterface,
  index: number,
): CapturedFrame {
  const start = batch.start[i];
  const end = batch.end[i];
  const dataStart = batch.dataStart[i];
  const capturedLength = batch.capturedLength[i];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = iface.littleEndian;
  const resolution = BigInt(iface.timestampResolution);
  let timestamp = 0n;
  let simple = false;
  let options: Uint8Array | undefined;
  if (iface.format === "pcap") {
    timestamp = BigInt(view.getUint32(start, little)) * resolution +
      BigInt(view.getUint32(start + 4, little));
  } else {
    const type = view.getUint32(start, little);
    if (type === 3) simple = true;
    else {
      timestamp = (BigInt(view.getUint32(start + 12, little)) << 32n) |
        BigInt(view.getUint32(start + 16, little));
      const storedLength = view.getUint32(start + 20, little);
      const optionsStart = dataStart + ((storedLength + 3) & ~3);
      if (optionsStart < end - 4) options = bytes.slice(optionsStart, end - 4);
    }
  }
  const frame: CapturedFrame = {
    index,
    interface: iface,
    linkType: iface.linkType,
    data: bytes.slice(dataStart, dataStart + capturedLength),
    wireLength: batch.wireLength[i],
    timestamp,
    timestampNanoseconds: (timestamp * 1_000_000_000n) / resolution +
      BigInt(iface.timestampOffset) * 1_000_000_000n,
  };
  if (simple) frame.simple = true;
  if (options) frame.options = options;
  return frame;
}
