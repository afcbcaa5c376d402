/**
 * Private: a bucket index over the ascending starts of elementary intervals,
 * so that finding a value's interval (a range lookup of the index, per frame)
 * takes a bucket read and a short binary search instead of a search over
 * every start: buckets of the value's top bits, each with its first
 * interval, and 256 sub-buckets for a bucket that holds more than 8
 * intervals. Used by the key tables of big chains (./_key_tables.ts). (The
 * tree's range nodes, ./_rule_index.ts, keep a plain binary search: with
 * buckets its data walk was 9% slower at 1,000 generated rules, measured
 * with `strategy: "closure"`: more memory touched per lookup on small nodes.)
 *
 * Bounds: at most {@linkcode _MAX_BUCKETS} + 1 buckets, and at most
 * `intervals` (each of a bucket's intervals counted once) `/ 8 × 257`
 * sub-bucket entries; building is linear in those plus a binary search per
 * bucket.
 *
 * @module
 */
import { _interval } from "./_rule_index.ts";

/** Most buckets of one lookup (each an interval number). */
export const _MAX_BUCKETS = 4096;

/** What a lookup reads: the buckets (a range table or range node carries these fields). */
export interface _BucketLookup {
  readonly buckets: Int32Array | null;
  readonly bucketShift: number;
  readonly subStarts: Int32Array | null;
  readonly subBuckets: Int32Array | null;
  readonly subShift: number;
}

/**
 * The elementary interval (of `starts`) holding `key`, or -1, as `_interval`
 * (./_rule_index.ts) gives it: its bucket
 * (the top bits of `key - starts[0]`) and, where a bucket holds more than
 * `_DENSE` intervals, its sub-bucket give the first and last interval it
 * can be in, then a binary search between them.
 */
export function _bucketInterval(
  table: _BucketLookup,
  starts: Float64Array,
  key: number,
): number {
  if (starts.length === 0) return -1;
  const base = starts[0];
  if (key < base) return -1;
  const buckets = table.buckets!;
  const offset = key - base;
  const b = offset >>> table.bucketShift;
  if (b >= buckets.length - 1) return starts.length - 1;
  let lo: number;
  let hi: number;
  const sub = table.subStarts![b];
  if (sub < 0) {
    lo = buckets[b];
    hi = buckets[b + 1];
  } else {
    const subBuckets = table.subBuckets!;
    // Sub-buckets split a bucket's `2^bucketShift` values in 256 (`bucketShift` ≥ 8).
    const j = (offset >>> table.subShift) & (_SUB_BUCKETS - 1);
    lo = subBuckets[sub + j];
    hi = subBuckets[sub + j + 1];
  }
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= key) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** A bucket holding more intervals than this gets `_SUB_BUCKETS` sub-buckets. */
const _DENSE = 8;
const _SUB_BUCKETS = 256;

/** The buckets of a range table's lookup (see {@linkcode _bucketInterval}). */
export interface _Buckets {
  buckets: Int32Array;
  bucketShift: number;
  /** Per bucket, where its sub-buckets start in `subBuckets`, or -1. */
  subStarts: Int32Array;
  subBuckets: Int32Array;
  subShift: number;
}

/**
 * A range table's buckets: at most `_MAX_BUCKETS`, and `_SUB_BUCKETS + 1`
 * sub-bucket entries per bucket of more than `_DENSE` intervals (so at most
 * `(_SUB_BUCKETS + 1) / _DENSE` per interval).
 */
export function _buckets(starts: Float64Array): _Buckets {
  let count = 1;
  while (count < 2 * starts.length && count < _MAX_BUCKETS) count *= 2;
  const span = starts[starts.length - 1] - starts[0];
  let bucketShift = 0;
  while (bucketShift < 32 && Math.floor(span / 2 ** bucketShift) >= count) bucketShift++;
  const at = (value: number) => _interval(starts, Math.min(value, 0xffffffff));
  const buckets = new Int32Array(count + 1);
  for (let b = 0; b < count; b++) buckets[b] = at(starts[0] + b * 2 ** bucketShift);
  buckets[count] = starts.length - 1;
  const subShift = bucketShift - 8;
  const subStarts = new Int32Array(count).fill(-1);
  const sub: number[] = [];
  for (let b = 0; b < count; b++) {
    // (A bucket of fewer than 256 values is searched as it is: at most 8 steps.)
    if (buckets[b + 1] - buckets[b] <= _DENSE || bucketShift < 8) continue;
    subStarts[b] = sub.length;
    const from = starts[0] + b * 2 ** bucketShift;
    // The sub-buckets' starts ascend: their intervals are found in one pass.
    let i = buckets[b];
    for (let j = 0; j < _SUB_BUCKETS; j++) {
      const value = from + j * 2 ** subShift;
      while (i + 1 < starts.length && starts[i + 1] <= value) i++;
      sub.push(i);
    }
    sub.push(buckets[b + 1]);
  }
  return {
    buckets,
    bucketShift,
    subStarts,
    subBuckets: Int32Array.from(sub),
    subShift: Math.max(0, subShift),
  };
}
