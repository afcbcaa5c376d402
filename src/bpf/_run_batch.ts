/**
 * Running a compiled program over a {@linkcode PacketBatch} (private): the
 * checks of a batch, where each frame's loads start and end, and the loop for
 * programs that run through a context (the dispatch loop, generated source,
 * Wasm calls).
 *
 * @module
 */
import type { PacketBatch } from "./packet_batch.ts";
import type { PacketContext } from "./packet_context.ts";
import { _loadEnd } from "./_packet_access.ts";

/** Runs a program over a batch, writing frame i's result to `results[i]`. */
export type _BatchRun = (batch: PacketBatch, results: Uint32Array) => void;

/**
 * How many frames of `batch` to run, after checking that every array holds
 * them; a `RangeError` naming the array otherwise.
 */
export function _batchCount(batch: PacketBatch, results: Uint32Array): number {
  const count = batch.count ?? batch.offsets.length;
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`Cannot run batch: count "${count}" is not a frame count`);
  }
  // One check per array, in this order (called for every block: no array of them).
  _holds(batch.offsets, count, "offsets");
  _holds(batch.capturedLengths, count, "capturedLengths");
  _holds(batch.wireLengths, count, "wireLengths");
  _holds(batch.dataOffsets, count, "dataOffsets");
  _holds(results, count, "results");
  return count;
}

/** Throws the `RangeError` of {@linkcode _batchCount} when `array` holds fewer than `count`. */
function _holds(array: ArrayLike<number> | undefined, count: number, name: string): void {
  if (array !== undefined && array.length < count) {
    throw new RangeError(`Cannot run batch: ${count} frames but ${array.length} in ${name}`);
  }
}

/** One past frame i's last captured byte in `bytes` (never past its end). */
export function _frameEnd(bytes: Uint8Array, start: number, captured: number): number {
  const end = start + captured;
  return end < bytes.length ? end : bytes.length;
}

/**
 * Where frame i's loads end (`_loadEnd`): its end, unless its wire length
 * is shorter than the bytes present.
 */
export function _frameLoadEnd(
  base: number,
  end: number,
  wireLengths: Uint32Array | undefined,
  i: number,
): number {
  return wireLengths === undefined ? end : _loadEnd(base, end, wireLengths[i]);
}

/**
 * The batch loop of a program that takes a context: one context object,
 * reused, describes each frame in turn (its offsets, end and wire length
 * over the batch's ancillary fields).
 */
export function _batchThroughContext(
  run: (packet: Uint8Array, context?: PacketContext) => number,
): _BatchRun {
  return function runBatch(batch: PacketBatch, results: Uint32Array): void {
    const count = _batchCount(batch, results);
    const { bytes, offsets, capturedLengths, wireLengths, dataOffsets } = batch;
    const context: PacketContext = {
      ...batch.context,
      dataOffset: 0,
      end: 0,
      wireLength: undefined,
      networkOffset: 0,
      macOffset: 0,
    };
    for (let i = 0; i < count; i++) {
      const start = offsets[i];
      const base = dataOffsets === undefined ? start : start + dataOffsets[i];
      context.dataOffset = base;
      context.networkOffset = base;
      context.macOffset = start;
      context.end = start + capturedLengths[i];
      context.wireLength = wireLengths === undefined ? undefined : wireLengths[i];
      results[i] = run(bytes, context);
    }
  };
}
