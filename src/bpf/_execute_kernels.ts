/**
 * The test kernels of the small-program closures (private): each is a pure
 * function `(P, B, LE, K)` → result, where `B` is the index of the program's
 * offset 0, `LE` where loads end and `K` the operands; the per-packet
 * closures (`_execute_single.ts`, `_execute_chain.ts`) and the batch loops
 * (`_kernel_batch.ts`) call them, and V8 inlines them into both.
 *
 * The batch loops of the one-test kernels (equality, range) read the
 * operands into locals once per batch and do the kernel's bounds check in the
 * loop, then call the kernel's value function ({@linkcode _pickEqual},
 * {@linkcode _inRange}) on the loaded bytes: reading the operands from `K` in
 * the loop costs a bounds check and a load per operand and frame where V8
 * cannot see `K` as a constant, as from a call site shared by many programs,
 * and calling the whole kernel with the operands as arguments measured slower
 * from a program's own call site (bench/RESULTS.md, "Tiny programs through
 * runBatch from a shared call site, session 12").
 *
 * @module
 */

/** The kernels, by number (`_kernel_batch.ts` picks each one's batch loop by it). */
export const EQUAL_1 = 0;
export const EQUAL_2 = 1;
export const EQUAL_4 = 2;
export const RANGE_1 = 3;
export const RANGE_2 = 4;
export const RANGE_4 = 5;
export const LENGTH = 6;
export const RETURN = 7;
export const CHAIN_1 = 8;
export const CHAIN_2 = 9;
export const CHAIN_4 = 10;
export const MEMBER_1 = 11;
export const MEMBER_2 = 12;
export const MEMBER_4 = 13;
export const PIECES_1 = 14;
export const PIECES_2 = 15;
export const PIECES_4 = 16;
export const TABLE_1 = 17;
export const TABLE_2 = 18;
export const TABLE_4 = 19;
export const BITS_2 = 20;
export const BITS_4 = 21;

/**
 * `t` when `x` is 0, else `f` (uint32), picked with masks, without a branch
 * to mispredict: `((x - 1) & ~x) >> 31` is -1 exactly when `x` is 0.
 */
export function _pickEqual(x: number, t: number, f: number): number {
  return (f ^ ((t ^ f) & (((x - 1) & ~x) >> 31))) >>> 0;
}

/** `[k] == v ? t : f`, one byte: `_T_B_EQ` + `_RET_PAIR`, operands k, v, t, f. */
export function _equal1(P: Uint8Array, B: number, LE: number, K: Int32Array): number {
  const i = B + K[1];
  if (i + 1 > LE) return 0;
  return _pickEqual(P[i] ^ K[2], K[3], K[4]);
}

/** `[k] == v ? t : f`, two bytes. */
export function _equal2(P: Uint8Array, B: number, LE: number, K: Int32Array): number {
  const i = B + K[1];
  if (i + 2 > LE) return 0;
  return _pickEqual(((P[i] << 8) | P[i + 1]) ^ K[2], K[3], K[4]);
}

/** `[k] == v ? t : f`, four bytes. */
export function _equal4(P: Uint8Array, B: number, LE: number, K: Int32Array): number {
  const i = B + K[1];
  if (i + 4 > LE) return 0;
  return _pickEqual(
    ((P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3]) ^ K[2],
    K[3],
    K[4],
  );
}

/**
 * `((A >>> shift) & mask)` in a range ? t : f, A loaded: `((A & rangeMask)
 * - low) >>> 0 <= span`, picked with the borrow out of `span - d` as a mask
 * (`_execute.ts` explains it).
 */
export function _inRange(
  A: number,
  shift: number,
  mask: number,
  rangeMask: number,
  low: number,
  span: number,
  t: number,
  f: number,
): number {
  const d = ((((A >>> shift) & mask) & rangeMask) - low) | 0;
  const s = span;
  return (t ^ ((t ^ f) & (((~s & d) | (~(s ^ d) & (s - d))) >> 31))) >>> 0;
}

/**
 * The range test on one byte: `_T_B` + `_RET_PAIR`, operands k, e (bytes
 * from the data's start to check), shift, mask, rangeMask, low, span, t, f.
 */
export function _range1(P: Uint8Array, B: number, LE: number, K: Int32Array): number {
  if (B + (K[2] >>> 0) > LE) return 0;
  return _inRange(P[B + K[1]], K[3], K[4], K[5], K[6], K[7], K[8], K[9]);
}

/** The range test on two bytes. */
export function _range2(P: Uint8Array, B: number, LE: number, K: Int32Array): number {
  if (B + (K[2] >>> 0) > LE) return 0;
  const i = B + K[1];
  return _inRange((P[i] << 8) | P[i + 1], K[3], K[4], K[5], K[6], K[7], K[8], K[9]);
}

/** The range test on four bytes. */
export function _range4(P: Uint8Array, B: number, LE: number, K: Int32Array): number {
  if (B + (K[2] >>> 0) > LE) return 0;
  const i = B + K[1];
  const A = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
  return _inRange(A, K[3], K[4], K[5], K[6], K[7], K[8], K[9]);
}

/**
 * `ld len` tested with two targets that only return (`_T_LEN_RET`), for the wire
 * length W. Operands: shift, mask, rangeMask, low, span, t, f.
 */
export function _length(W: number, K: Int32Array): number {
  // As _inRange, with the operands read in place (as arguments, `len > 100`'s batch from its own
  // call site measured 3.4 → 4.3 ns a frame).
  const A = (W >>> K[0]) & K[1];
  const d = ((A & K[2]) - K[3]) | 0;
  const s = K[4];
  const t = K[5];
  return (t ^ ((t ^ K[6]) & (((~s & d) | (~(s ^ d) & (s - d))) >> 31))) >>> 0;
}

/**
 * A compare chain on one loaded value `A`: from node `n = 1` of `K`, each
 * node (7 operands: shift, mask, rangeMask, low, span, then the targets if
 * true and if false) sets `A = (A >>> shift) & mask` and tests
 * `((A & rangeMask) - low) >>> 0 <= span`, as `_lower`'s fused tests do; a
 * target at or above 0 is the next node's index in `K`, one below 0 is
 * `~i`, the index in `K` of the value returned.
 */
export function _chainFrom(A: number, K: Int32Array): number {
  let n = 1;
  for (;;) {
    A = (A >>> K[n]) & K[n + 1];
    n = ((A & K[n + 2]) - K[n + 3]) >>> 0 <= (K[n + 4] >>> 0) ? K[n + 5] : K[n + 6];
    if (n < 0) return K[~n] >>> 0;
  }
}

/**
 * Whether `A` is one of a list (a chain of `jeq` whose true edges all return
 * the same value): `K` holds k, t, f, then the values from `K[3]` on. The
 * values are compared one after another, with no load depending on a
 * compare, where a chain's walk loads each next node's index first.
 */
export function _memberOf(A: number, K: Int32Array): number {
  for (let j = 3; j < K.length; j++) if (A === K[j]) return K[1] >>> 0;
  return K[2] >>> 0;
}

/** Whether `[k]`, one byte, is one of a list (`_memberOf`). */
export function _member1(P: Uint8Array, B: number, LE: number, K: Int32Array): number {
  const i = B + K[0];
  if (i + 1 > LE) return 0;
  return _memberOf(P[i], K);
}

/** Whether `[k]`, two bytes, is one of a list. */
export function _member2(P: Uint8Array, B: number, LE: number, K: Int32Array): number {
  const i = B + K[0];
  if (i + 2 > LE) return 0;
  return _memberOf((P[i] << 8) | P[i + 1], K);
}

/** Whether `[k]`, four bytes, is one of a list. */
export function _member4(P: Uint8Array, B: number, LE: number, K: Int32Array): number {
  const i = B + K[0];
  if (i + 4 > LE) return 0;
  return _memberOf((P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3], K);
}

/** A compare chain on `[k]`, one byte (`K[0]` = k). */
export function _chain1(P: Uint8Array, B: number, LE: number, K: Int32Array): number {
  const i = B + K[0];
  if (i + 1 > LE) return 0;
  return _chainFrom(P[i], K);
}

/** A compare chain on `[k]`, two bytes. */
export function _chain2(P: Uint8Array, B: number, LE: number, K: Int32Array): number {
  const i = B + K[0];
  if (i + 2 > LE) return 0;
  return _chainFrom((P[i] << 8) | P[i + 1], K);
}

/** A compare chain on `[k]`, four bytes. */
export function _chain4(P: Uint8Array, B: number, LE: number, K: Int32Array): number {
  const i = B + K[0];
  if (i + 4 > LE) return 0;
  return _chainFrom((P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3], K);
}

/**
 * The value of a compare chain on its pieces (`_chain_pieces.ts`) at `A`:
 * `K` holds k, shift, mask, n, then the n starts of the pieces after the
 * first (ascending, each `^ 0x80000000` so that a signed compare orders them
 * as unsigned), then the n + 1 values. A binary search for the last start at
 * or below A.
 */
export function _pieceOf(A: number, K: Int32Array): number {
  const x = A ^ 0x80000000;
  const n = K[3];
  let low = 4;
  let high = 4 + n;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (K[middle] <= x) low = middle + 1;
    else high = middle;
  }
  return K[low + n] >>> 0;
}

/** A chain's pieces on `[k]`, one byte: `A = ([k] >>> K[1]) & K[2]`. */
export function _pieces1(P: Uint8Array, B: number, LE: number, K: Int32Array): number {
  const i = B + K[0];
  if (i + 1 > LE) return 0;
  return _pieceOf((P[i] >>> K[1]) & K[2], K);
}

/** A chain's pieces on `[k]`, two bytes. */
export function _pieces2(P: Uint8Array, B: number, LE: number, K: Int32Array): number {
  const i = B + K[0];
  if (i + 2 > LE) return 0;
  return _pieceOf((((P[i] << 8) | P[i + 1]) >>> K[1]) & K[2], K);
}

/** A chain's pieces on `[k]`, four bytes. */
export function _pieces4(P: Uint8Array, B: number, LE: number, K: Int32Array): number {
  const i = B + K[0];
  if (i + 4 > LE) return 0;
  const v = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
  return _pieceOf((v >>> K[1]) & K[2], K);
}

/**
 * A chain looked up in a table (A has at most 256 values): `K` holds k,
 * shift, mask, 0, then the value for each A from 0.
 */
export function _table1(P: Uint8Array, B: number, LE: number, K: Int32Array): number {
  const i = B + K[0];
  if (i + 1 > LE) return 0;
  return K[4 + ((P[i] >>> K[1]) & K[2])] >>> 0;
}

/** A chain looked up in a table, two bytes. */
export function _table2(P: Uint8Array, B: number, LE: number, K: Int32Array): number {
  const i = B + K[0];
  if (i + 2 > LE) return 0;
  return K[4 + ((((P[i] << 8) | P[i + 1]) >>> K[1]) & K[2])] >>> 0;
}

/** A chain looked up in a table, four bytes. */
export function _table4(P: Uint8Array, B: number, LE: number, K: Int32Array): number {
  const i = B + K[0];
  if (i + 4 > LE) return 0;
  const v = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
  return K[4 + ((v >>> K[1]) & K[2])] >>> 0;
}

/**
 * The value of a `jset` ladder (`_chain_bits.ts`) at `A`: `K` holds k,
 * shift, mask, the bytes b of A with tables, then a table of 256 per byte
 * (the first test that byte's value makes leave), then the values (each
 * test's, then the one past the last). The least of the bytes' answers.
 */
export function _bitsOf(A: number, K: Int32Array): number {
  // The least of the answers without a branch (which byte answers first depends on the packet):
  // `b + ((a - b) & ((a - b) >> 31))` is min(a, b) for these small numbers.
  const bytes = K[3];
  const a = K[4 + (A & 0xff)];
  const b = K[260 + ((A >>> 8) & 0xff)];
  let first = b + ((a - b) & ((a - b) >> 31));
  if (bytes > 2) {
    const c = K[516 + ((A >>> 16) & 0xff)];
    const d = bytes > 3 ? K[772 + (A >>> 24)] : c;
    const later = d + ((c - d) & ((c - d) >> 31));
    first = later + ((first - later) & ((first - later) >> 31));
  }
  return K[4 + bytes * 256 + first] >>> 0;
}

/** A `jset` ladder on `[k]`, two bytes: `A = ([k] >>> K[1]) & K[2]`. */
export function _bits2(P: Uint8Array, B: number, LE: number, K: Int32Array): number {
  const i = B + K[0];
  if (i + 2 > LE) return 0;
  return _bitsOf((((P[i] << 8) | P[i + 1]) >>> K[1]) & K[2], K);
}

/** A `jset` ladder on `[k]`, four bytes. */
export function _bits4(P: Uint8Array, B: number, LE: number, K: Int32Array): number {
  const i = B + K[0];
  if (i + 4 > LE) return 0;
  const v = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
  return _bitsOf((v >>> K[1]) & K[2], K);
}
