/**
 * Reading single packets back from the capture file for the packet list and
 * the trace: each packet's record is decoded by the library's
 * {@linkcode CaptureDecoderStream} behind the file header (pcap) or the
 * section header and interface blocks it refers to (pcapng), so time stamps
 * and lengths mean what the library says they mean.
 *
 * @module
 */
import {
  CaptureDecoderStream,
  type CapturedFrame,
  type CaptureInterface,
} from "../src/capture/mod.ts";
import type { CaptureIndex } from "./index_capture.ts";

/** The metadata a record of interface `iface` needs in front of it. */
function _prefix(iface: CaptureInterface, interfaces: readonly CaptureInterface[]): Uint8Array[] {
  if (iface.format === "pcap") return [iface.block];
  const blocks = interfaces
    .filter((other) => other.section === iface.section && other.localIndex <= iface.localIndex)
    .sort((a, b) => a.localIndex - b.localIndex)
    .map((other) => other.block);
  return [iface.sectionHeader!, ...blocks];
}

async function _decode(parts: Uint8Array[]): Promise<CapturedFrame> {
  const stream = new Blob(parts as BlobPart[]).stream().pipeThrough(new CaptureDecoderStream());
  const frames = await Array.fromAsync(stream);
  if (frames.length !== 1) throw new Error(`Cannot read packet: decoded ${frames.length} frames`);
  return frames[0];
}

/**
 * Packets `[from, to)` of the capture, decoded.
 *
 * @param capture The capture file that was filtered.
 * @param index Its index from `indexCapture`.
 */
export async function readPackets(
  capture: Blob,
  index: CaptureIndex,
  from: number,
  to: number,
): Promise<CapturedFrame[]> {
  const last = Math.min(to, index.count);
  if (from >= last) return [];
  const begin = index.recordStart[from];
  const end = index.recordStart[last - 1] + index.recordLength[last - 1];
  const bytes = new Uint8Array(await capture.slice(begin, end).arrayBuffer());
  const interfaces = index.interfaces;
  const frames: CapturedFrame[] = [];
  for (let n = from; n < last; n++) {
    const at = index.recordStart[n] - begin;
    const record = bytes.subarray(at, at + index.recordLength[n]);
    const iface = interfaces[index.interfaceIndex[n]];
    frames.push(await _decode([..._prefix(iface, interfaces), record]));
  }
  return frames;
}
