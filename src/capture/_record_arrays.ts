/**
 * Private: the per-record arrays of a {@linkcode RecordBatch}, named once,
 * and the copies of a range of records that keep them (records handed to
 * another thread, records carried into a later chunk).
 *
 * @module
 */
import type { RecordBatch } from "./record_batch.ts";

/** The names of a batch's per-record arrays (every one a copy of records keeps). */
export const _RECORD_ARRAYS = [
  "kind",
  "start",
  "end",
  "dataStart",
  "capturedLength",
  "wireLength",
  "interfaceIndex",
] as const;

/** A batch's per-record arrays (see {@linkcode _RECORD_ARRAYS}). */
export type _RecordArrays = Pick<RecordBatch, typeof _RECORD_ARRAYS[number]>;

/** One of the arrays, as both kinds of typed array are used here. */
type _AnyArray = Uint8Array | Uint32Array;

/** Copies records `[from, to)` of `records` into `into`, from index 0 (bulk copies). */
export function _copyRecordArrays(
  records: _RecordArrays,
  from: number,
  to: number,
  into: _RecordArrays,
): void {
  for (const name of _RECORD_ARRAYS) {
    (into[name] as _AnyArray).set((records[name] as _AnyArray).subarray(from, to));
  }
}

/** A copy of records `[0, count)` of `records`, in new arrays. */
export function _sliceRecordArrays(records: _RecordArrays, count: number): _RecordArrays {
  const copy: Partial<Record<keyof _RecordArrays, _AnyArray>> = {};
  for (const name of _RECORD_ARRAYS) copy[name] = (records[name] as _AnyArray).slice(0, count);
  return copy as _RecordArrays;
}
