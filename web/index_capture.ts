/**
 * Where each packet record lies in a capture file, for the packet list and
 * the trace: a {@linkcode CaptureDecoder} pass over the file. Records tile
 * the input exactly, so summing their lengths gives each one's file offset.
 *
 * @module
 */
import { CaptureDecoder, type CaptureInterface, type RecordBatch } from "../src/capture/mod.ts";

/** The packet records of a capture, as parallel arrays indexed by packet number. */
export interface CaptureIndex {
  /** Packets indexed. */
  readonly count: number;
  /** Byte offset in the file of each packet's record (headers included). */
  readonly recordStart: Float64Array;
  /** Length of each packet's record in bytes. */
  readonly recordLength: Uint32Array;
  /** Global interface index of each packet (pcap: 0). */
  readonly interfaceIndex: Uint32Array;
  /** The capture's interfaces, in global order. */
  readonly interfaces: readonly CaptureInterface[];
}

function _grow<T extends Float64Array | Uint32Array>(old: T): T {
  const next = new (old.constructor as new (n: number) => T)(old.length * 2);
  next.set(old);
  return next;
}

/**
 * Indexes the packet records of `capture` (up to a bad record, if any).
 *
 * @param capture The pcap or pcapng file.
 * @param chunkSize Largest piece decoded at once (the file's stream chunks
 * are cut to it). @default {the stream's own chunks}
 */
export async function indexCapture(capture: Blob, chunkSize = Infinity): Promise<CaptureIndex> {
  const decoder = new CaptureDecoder();
  let recordStart = new Float64Array(1 << 16);
  let recordLength = new Uint32Array(1 << 16);
  let interfaceIndex = new Uint32Array(1 << 16);
  let count = 0;
  let offset = 0;
  const indexBatch = (batch: RecordBatch): boolean => {
    for (let i = 0; i < batch.count; i++) {
      const length = batch.end[i] - batch.start[i];
      if (batch.kind[i] === 1) {
        if (count === recordStart.length) {
          recordStart = _grow(recordStart);
          recordLength = _grow(recordLength);
          interfaceIndex = _grow(interfaceIndex);
        }
        recordStart[count] = offset;
        recordLength[count] = length;
        interfaceIndex[count] = batch.interfaceIndex[i];
        count++;
      }
      offset += length;
    }
    return batch.error !== undefined;
  };
  let failed = false;
  for await (const value of capture.stream()) {
    for (let at = 0; at < value.length && !failed; at += chunkSize) {
      failed = indexBatch(decoder.push(value.subarray(at, at + chunkSize)));
    }
    if (failed) break;
  }
  return {
    count,
    recordStart: recordStart.subarray(0, count),
    recordLength: recordLength.subarray(0, count),
    interfaceIndex: interfaceIndex.subarray(0, count),
    interfaces: decoder.interfaces,
  };
}
