/**
 * Closures for programs that are one operation (private): `ret #k`, or one
 * fused test whose two targets only return (`ip`, `arp`, `ip6`,
 * `ether[k] & m != 0`, `len > n` as the filter compiler emits them).
 *
 * For these the dispatch loop ({@linkcode _executor}) costs more than the
 * program: about 2 ns per call of its entry (context set-up, the loop's
 * checks, the dispatch) against 1-2 ns of work. The closures here run the
 * same test as the loop's case for the operation, reading its operands from
 * the dispatch code at fixed places. Without a context the data starts at 0
 * and every byte loads; with one, where loads start and end come from the
 * shared helpers of `_packet_access.ts`, in plain numbers (these tests load
 * only at non-negative offsets, so no index needs int32 and no buffer needs
 * the loop's fallback to `interpret`). A and X are never read afterwards, so
 * they are not kept.
 *
 * The result is picked with masks, without a branch, as the loop's return
 * pairs do (`_execute.ts` explains the masks): which target a packet takes is
 * data-dependent, and a mispredicted branch costs more than the whole test.
 * Each test is one small kernel, `(P, B, LE, K)` → result, where `B` is the
 * index of the program's offset 0 and `LE` where loads end: the per-packet
 * closure (one function literal per kernel, so a caller's call site sees one
 * function) computes them from the context, and the batch loop
 * ({@linkcode PacketBatch}) from the batch's arrays, with no call per frame
 * left once V8 inlines the kernel. Operands read from the `Int32Array` are
 * untagged int32 where closure constants would need checks.
 *
 * @module
 */
import type { PacketContext } from "./packet_context.ts";
import type { PacketBatch } from "./packet_batch.ts";
import { _captureEnd, _dataStart, _loadEnd, _wireLength } from "./_packet_access.ts";
import { _RET, _RET_PAIR, _T_B, _T_B_EQ, _T_LEN, _T_W, _T_W_EQ } from "./_dispatch_code.ts";
import { _batchCount, type _BatchRun, _frameEnd, _frameLoadEnd } from "./_run_batch.ts";

type _Run = (P: Uint8Array, C?: PacketContext) => number;

/** A one-operation program: its per-packet function and its batch loop. */
export interface _Single {
  run: _Run;
  runBatch: _BatchRun;
}

/** The kernels, by number (the batch loop's `switch`). */
const EQUAL_1 = 0;
const EQUAL_2 = 1;
const EQUAL_4 = 2;
const RANGE_1 = 3;
const RANGE_2 = 4;
const RANGE_4 = 5;
const LENGTH = 6;
const RETURN = 7;

/** The closure for dispatch code that is one operation, or undefined when it is more. */
export function _singleOperation(code: Int32Array): _Single | undefined {
  const op = code[0];
  if (op === _RET) {
    const k = code[1] >>> 0;
    return { run: _returns(k), runBatch: _batch(RETURN, code.subarray(1, 2)) };
  }
  if (op >= _T_B_EQ + _RET_PAIR && op <= _T_W_EQ + _RET_PAIR) {
    const kind = EQUAL_1 + op - _RET_PAIR - _T_B_EQ;
    return { run: _equalTest(kind, code), runBatch: _batch(kind, code) };
  }
  if (op >= _T_B + _RET_PAIR && op <= _T_W + _RET_PAIR) {
    const kind = RANGE_1 + op - _RET_PAIR - _T_B;
    return { run: _rangeTest(kind, code), runBatch: _batch(kind, code) };
  }
  if (op === _T_LEN && code[code[8]] === _RET && code[code[9]] === _RET) {
    // shift, mask, rangeMask, low, span, then the two returned values.
    const operands = Int32Array.of(...code.subarray(3, 8), code[code[8] + 1], code[code[9] + 1]);
    return { run: _lengthTest(operands), runBatch: _batch(LENGTH, operands) };
  }
  return undefined;
}

/** The absolute index where loads end for a packet with a context (`_loadEnd`). */
function _contextLoadEnd(P: Uint8Array, C: PacketContext, base: number): number {
  const end = _captureEnd(P, C);
  return _loadEnd(base, end, _wireLength(C, base, end));
}

/** `ret #k`. */
function _returns(k: number): _Run {
  return function run(): number {
    return k;
  } as _Run;
}

/** `[k] == v ? t : f`, one byte: `_T_B_EQ` + `_RET_PAIR`, operands k, v, t, f. */
function _equal1(P: Uint8Array, B: number, LE: number, K: Int32Array): number {
  const i = B + K[1];
  if (i + 1 > LE) return 0;
  const x = P[i] ^ K[2];
  const f = K[4];
  return (f ^ ((K[3] ^ f) & (((x - 1) & ~x) >> 31))) >>> 0;
}

/** `[k] == v ? t : f`, two bytes. */
function _equal2(P: Uint8Array, B: number, LE: number, K: Int32Array): number {
  const i = B + K[1];
  if (i + 2 > LE) return 0;
  const x = ((P[i] << 8) | P[i + 1]) ^ K[2];
  const f = K[4];
  return (f ^ ((K[3] ^ f) & (((x - 1) & ~x) >> 31))) >>> 0;
}

/** `[k] == v ? t : f`, four bytes. */
function _equal4(P: Uint8Array, B: number, LE: number, K: Int32Array): number {
  const i = B + K[1];
  if (i + 4 > LE) return 0;
  const x = ((P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3]) ^ K[2];
  const f = K[4];
  return (f ^ ((K[3] ^ f) & (((x - 1) & ~x) >> 31))) >>> 0;
}

/**
 * `((A >>> shift) & mask)` in a range ? t : f, A loaded: operands from K[3]
 * on (shift, mask, rangeMask, low, span, t, f).
 */
function _inRange(A: number, K: Int32Array): number {
  const a = (A >>> K[3]) & K[4];
  const d = ((a & K[5]) - K[6]) | 0;
  const s = K[7];
  const t = K[8];
  return (t ^ ((t ^ K[9]) & (((~s & d) | (~(s ^ d) & (s - d))) >> 31))) >>> 0;
}

/**
 * The range test on one byte: `_T_B` + `_RET_PAIR`, operands k, e (bytes
 * from the data's start to check), shift, mask, rangeMask, low, span, t, f.
 */
function _range1(P: Uint8Array, B: number, LE: number, K: Int32Array): number {
  if (B + (K[2] >>> 0) > LE) return 0;
  return _inRange(P[B + K[1]], K);
}

/** The range test on two bytes. */
function _range2(P: Uint8Array, B: number, LE: number, K: Int32Array): number {
  if (B + (K[2] >>> 0) > LE) return 0;
  const i = B + K[1];
  return _inRange((P[i] << 8) | P[i + 1], K);
}

/** The range test on four bytes. */
function _range4(P: Uint8Array, B: number, LE: number, K: Int32Array): number {
  if (B + (K[2] >>> 0) > LE) return 0;
  const i = B + K[1];
  return _inRange((P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3], K);
}

/**
 * `ld len` tested (`_T_LEN`) with two targets that only return, for the wire
 * length W. Operands: shift, mask, rangeMask, low, span, t, f.
 */
function _length(W: number, K: Int32Array): number {
  const A = (W >>> K[0]) & K[1];
  const d = ((A & K[2]) - K[3]) | 0;
  const s = K[4];
  const t = K[5];
  return (t ^ ((t ^ K[6]) & (((~s & d) | (~(s ^ d) & (s - d))) >> 31))) >>> 0;
}

/** The per-packet function of an equality kernel (one literal each, see the module doc). */
function _equalTest(kind: number, K: Int32Array): _Run {
  if (kind === EQUAL_1) {
    return function run(P: Uint8Array): number {
      const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
      if (C === undefined) return _equal1(P, 0, P.length, K);
      const B = _dataStart(C);
      return _equal1(P, B, _contextLoadEnd(P, C, B), K);
    } as _Run;
  }
  if (kind === EQUAL_2) {
    return function run(P: Uint8Array): number {
      const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
      if (C === undefined) return _equal2(P, 0, P.length, K);
      const B = _dataStart(C);
      return _equal2(P, B, _contextLoadEnd(P, C, B), K);
    } as _Run;
  }
  return function run(P: Uint8Array): number {
    const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
    if (C === undefined) return _equal4(P, 0, P.length, K);
    const B = _dataStart(C);
    return _equal4(P, B, _contextLoadEnd(P, C, B), K);
  } as _Run;
}

/** The per-packet function of a range kernel. */
function _rangeTest(kind: number, K: Int32Array): _Run {
  if (kind === RANGE_1) {
    return function run(P: Uint8Array): number {
      const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
      if (C === undefined) return _range1(P, 0, P.length, K);
      const B = _dataStart(C);
      return _range1(P, B, _contextLoadEnd(P, C, B), K);
    } as _Run;
  }
  if (kind === RANGE_2) {
    return function run(P: Uint8Array): number {
      const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
      if (C === undefined) return _range2(P, 0, P.length, K);
      const B = _dataStart(C);
      return _range2(P, B, _contextLoadEnd(P, C, B), K);
    } as _Run;
  }
  return function run(P: Uint8Array): number {
    const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
    if (C === undefined) return _range4(P, 0, P.length, K);
    const B = _dataStart(C);
    return _range4(P, B, _contextLoadEnd(P, C, B), K);
  } as _Run;
}

/** The per-packet function of the length kernel; without a context, len is the packet's length. */
function _lengthTest(K: Int32Array): _Run {
  return function run(P: Uint8Array): number {
    const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
    if (C === undefined) return _length(P.length, K);
    const B = _dataStart(C);
    return _length(_wireLength(C, B, _captureEnd(P, C)), K);
  } as _Run;
}

/** The batch function of a kernel: checks the batch, then runs {@linkcode _kernelLoop}. */
function _batch(kind: number, K: Int32Array): _BatchRun {
  return function runBatch(batch: PacketBatch, results: Uint32Array): void {
    _kernelLoop(kind, K, batch, results, _batchCount(batch, results));
  };
}

/**
 * The batch loop of a kernel: the `switch` picks the kernel once per batch,
 * and each case's loop calls one kernel (a monomorphic call V8 inlines),
 * with each frame's bounds from the batch's arrays. The checks are done by
 * the caller: a call V8 does not inline ahead of the loop (`_batchCount`)
 * measured about 1 ns a frame slower.
 */
function _kernelLoop(
  kind: number,
  K: Int32Array,
  batch: PacketBatch,
  results: Uint32Array,
  n: number,
): void {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: W, dataOffsets: D } = batch;
  switch (kind) {
    case EQUAL_1:
      for (let i = 0; i < n; i++) {
        const B = D === undefined ? O[i] : O[i] + D[i];
        results[i] = _equal1(P, B, _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i), K);
      }
      return;
    case EQUAL_2:
      for (let i = 0; i < n; i++) {
        const B = D === undefined ? O[i] : O[i] + D[i];
        results[i] = _equal2(P, B, _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i), K);
      }
      return;
    case EQUAL_4:
      for (let i = 0; i < n; i++) {
        const B = D === undefined ? O[i] : O[i] + D[i];
        results[i] = _equal4(P, B, _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i), K);
      }
      return;
    case RANGE_1:
      for (let i = 0; i < n; i++) {
        const B = D === undefined ? O[i] : O[i] + D[i];
        results[i] = _range1(P, B, _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i), K);
      }
      return;
    case RANGE_2:
      for (let i = 0; i < n; i++) {
        const B = D === undefined ? O[i] : O[i] + D[i];
        results[i] = _range2(P, B, _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i), K);
      }
      return;
    case RANGE_4:
      for (let i = 0; i < n; i++) {
        const B = D === undefined ? O[i] : O[i] + D[i];
        results[i] = _range4(P, B, _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i), K);
      }
      return;
    case LENGTH:
      for (let i = 0; i < n; i++) {
        const B = D === undefined ? O[i] : O[i] + D[i];
        const E = _frameEnd(P, O[i], L[i]);
        results[i] = _length(W === undefined ? (E > B ? E - B : 0) : W[i], K);
      }
      return;
    default:
      results.fill(K[0] >>> 0, 0, n);
  }
}
