/**
 * The dispatch loop's batch (private): frames of a {@linkcode PacketBatch}
 * run through {@linkcode _executor}'s function with their bounds handed over
 * in one internal object, {@linkcode _FRAME_CURSOR}, instead of a context.
 *
 * The cursor holds each frame's bounds computed once and checked to fit in
 * int32, in one shape that only the loop reads, so a batch neither builds
 * nor mutates a context and its reads do not depend on the context shapes
 * the process passes elsewhere. Measured about as fast as a context of one
 * shape (`tcp port 80`: 25.4 ns a frame against 24.8–27.7 per packet with a
 * context; bench/RESULTS.md, "Closure engine, session 5"): what a batch pays
 * over a call without a context is its bounds being variables.
 *
 * @module
 */
import type { PacketBatch } from "./packet_batch.ts";
import type { PacketContext } from "./packet_context.ts";
import { _EMPTY_CONTEXT, _loadEnd } from "./_packet_access.ts";
import { _batchCount, type _BatchRun } from "./_run_batch.ts";

/** One frame's bounds, as the dispatch loop's prologue would compute them from a context. */
export class _FrameCursor {
  /** Absolute index of the program's offset 0 (and of the network header). */
  base = 0;
  /** Absolute index where loads end. */
  loadEnd = 0;
  /** What `ld len` loads. */
  wire = 0;
  /** Absolute index of the link-layer header. */
  mac = 0;
  /** The batch's ancillary fields. */
  context: PacketContext = _EMPTY_CONTEXT;
}

/**
 * The one cursor: a batch loop fills it before each call, and the dispatch
 * loop copies it into locals before anything else, so a nested run (from
 * `context.random`) cannot disturb a frame already started.
 */
export const _FRAME_CURSOR: _FrameCursor = new _FrameCursor();

/**
 * The batch loop of a dispatch-loop function: each frame's bounds go through
 * the cursor; a frame whose indices do not fit in int32 goes with an
 * equivalent context instead (the loop hands those to `interpret`).
 */
export function _executorBatch(
  run: (P: Uint8Array, C?: PacketContext) => number,
): _BatchRun {
  return function runBatch(batch: PacketBatch, results: Uint32Array): void {
    const count = _batchCount(batch, results);
    const { bytes, offsets, capturedLengths, wireLengths, dataOffsets } = batch;
    const context = batch.context ?? _EMPTY_CONTEXT;
    const cursor = _FRAME_CURSOR;
    const length = bytes.length;
    for (let i = 0; i < count; i++) {
      const start = offsets[i];
      const base = dataOffsets === undefined ? start : start + dataOffsets[i];
      const captured = start + capturedLengths[i];
      const end = captured < length ? captured : length;
      const present = end > base ? end - base : 0;
      const wire = wireLengths === undefined ? present : wireLengths[i];
      const loadEnd = _loadEnd(base, end, wire);
      if ((base | 0) === base && (wire | 0) === wire && length <= 0x7fffffff) {
        cursor.base = base;
        cursor.loadEnd = loadEnd;
        cursor.wire = wire;
        cursor.mac = start;
        cursor.context = context;
        results[i] = run(bytes, cursor as PacketContext);
      } else {
        results[i] = run(bytes, {
          ...context,
          dataOffset: base,
          end,
          wireLength: wire,
          networkOffset: base,
          macOffset: start,
        });
      }
    }
  };
}
