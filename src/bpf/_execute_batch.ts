/**
 * The dispatch loop's batch (private): the frames of a
 * {@linkcode PacketBatch} run inside one call of {@linkcode _executor}'s
 * function, which loops over them itself, handed over in one internal
 * object, {@linkcode _BATCH_CURSOR}, instead of a context.
 *
 * One call per frame, each with the frame's bounds in a cursor, cost `tcp
 * port 80` 25–29 ns a frame against 17–20 per packet (`udp` 19–21 against
 * 11–12): the call, the cursor's stores and loads and the loop's prologue per
 * frame. Looping inside the function leaves a frame only its bounds to
 * compute (bench/RESULTS.md, "Closure engine from a shared call site").
 * `compileClosure` hands batches the loop's copy (`_executorFrames`,
 * `_execute_frames.ts`), so that V8 optimises them apart from per-packet
 * calls; any function of {@linkcode _executor}'s shape serves.
 *
 * @module
 */
import type { PacketBatch } from "./packet_batch.ts";
import type { PacketContext } from "./packet_context.ts";
import { _EMPTY_CONTEXT } from "./_packet_access.ts";
import { _batchCount, type _BatchRun } from "./_run_batch.ts";

/** An empty array, so that a cursor's arrays keep one type when it holds no batch. */
const _NONE = new Uint32Array(0);

/** A batch as the dispatch loop reads it: the arrays of a checked {@linkcode PacketBatch}. */
export class _BatchCursor {
  /** Per frame, its index in the buffer. */
  offsets: Uint32Array = _NONE;
  /** Per frame, its captured bytes. */
  capturedLengths: Uint32Array = _NONE;
  /** Per frame, its wire length; empty when the batch has none. */
  wireLengths: Uint32Array = _NONE;
  /** Per frame, bytes to its data; empty when the batch has none. */
  dataOffsets: Uint32Array = _NONE;
  /** Whether the batch gave wire lengths. */
  hasWireLengths = false;
  /** Whether the batch gave data offsets. */
  hasDataOffsets = false;
  /** Where frame i's result goes. */
  results: Uint32Array = _NONE;
  /** How many frames to run. */
  count = 0;
  /** The batch's ancillary fields. */
  context: PacketContext = _EMPTY_CONTEXT;
}

/**
 * The one cursor: a batch fills it before its call, and the dispatch loop
 * copies it into locals before anything else, so a nested run (from
 * `context.random`) cannot disturb a batch already started.
 */
export const _BATCH_CURSOR: _BatchCursor = new _BatchCursor();

/** The batch function of a dispatch-loop function: one call with the cursor for the whole batch. */
export function _executorBatch(
  run: (P: Uint8Array, C?: PacketContext) => number,
): _BatchRun {
  return function runBatch(batch: PacketBatch, results: Uint32Array): void {
    const count = _batchCount(batch, results);
    if (count === 0) return;
    const cursor = _BATCH_CURSOR;
    cursor.offsets = batch.offsets;
    cursor.capturedLengths = batch.capturedLengths;
    cursor.hasWireLengths = batch.wireLengths !== undefined;
    cursor.wireLengths = batch.wireLengths ?? _NONE;
    cursor.hasDataOffsets = batch.dataOffsets !== undefined;
    cursor.dataOffsets = batch.dataOffsets ?? _NONE;
    cursor.results = results;
    cursor.count = count;
    cursor.context = batch.context ?? _EMPTY_CONTEXT;
    try {
      run(batch.bytes, cursor as PacketContext);
    } finally {
      // Let the batch's arrays go.
      cursor.offsets = cursor.capturedLengths = cursor.wireLengths = _NONE;
      cursor.dataOffsets = cursor.results = _NONE;
      cursor.count = 0;
      cursor.context = _EMPTY_CONTEXT;
    }
  };
}
