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
 * Everything is written inline: V8 does not always inline even a one-line
 * helper into these closures (measured 1 ns more per call), and operands
 * read from the `Int32Array` are untagged int32 where closure constants would
 * need checks.
 *
 * @module
 */
import type { PacketContext } from "./packet_context.ts";
import { _captureEnd, _dataStart, _loadEnd, _wireLength } from "./_packet_access.ts";
import { _RET, _RET_PAIR, _T_B, _T_B_EQ, _T_LEN, _T_W, _T_W_EQ } from "./_dispatch_code.ts";

type _Run = (P: Uint8Array, C?: PacketContext) => number;

/** The closure for dispatch code that is one operation, or undefined when it is more. */
export function _singleOperation(code: Int32Array): _Run | undefined {
  const op = code[0];
  if (op === _RET) return _returns(code[1] >>> 0);
  if (op >= _T_B_EQ + _RET_PAIR && op <= _T_W_EQ + _RET_PAIR) {
    return _equalTest(op - _RET_PAIR - _T_B_EQ + 1, code);
  }
  if (op >= _T_B + _RET_PAIR && op <= _T_W + _RET_PAIR) {
    return _rangeTest(op - _RET_PAIR - _T_B + 1, code);
  }
  if (op === _T_LEN && code[code[8]] === _RET && code[code[9]] === _RET) {
    // shift, mask, rangeMask, low, span, then the two returned values.
    const operands = Int32Array.of(...code.subarray(3, 8), code[code[8] + 1], code[code[9] + 1]);
    return _lengthTest(operands);
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

/** `[k] == v ? t : f` for a load of `size` bytes: `_T_*_EQ` + `_RET_PAIR`, operands k, v, t, f. */
function _equalTest(size: number, K: Int32Array): _Run {
  if (size === 1) {
    return function run(P: Uint8Array): number {
      const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
      const B = C === undefined ? 0 : _dataStart(C);
      const LE = C === undefined ? P.length : _contextLoadEnd(P, C, B);
      const i = B + K[1];
      if (i + 1 > LE) return 0;
      const x = P[i] ^ K[2];
      const f = K[4];
      return (f ^ ((K[3] ^ f) & (((x - 1) & ~x) >> 31))) >>> 0;
    } as _Run;
  }
  if (size === 2) {
    return function run(P: Uint8Array): number {
      const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
      const B = C === undefined ? 0 : _dataStart(C);
      const LE = C === undefined ? P.length : _contextLoadEnd(P, C, B);
      const i = B + K[1];
      if (i + 2 > LE) return 0;
      const x = ((P[i] << 8) | P[i + 1]) ^ K[2];
      const f = K[4];
      return (f ^ ((K[3] ^ f) & (((x - 1) & ~x) >> 31))) >>> 0;
    } as _Run;
  }
  return function run(P: Uint8Array): number {
    const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
    const B = C === undefined ? 0 : _dataStart(C);
    const LE = C === undefined ? P.length : _contextLoadEnd(P, C, B);
    const i = B + K[1];
    if (i + 4 > LE) return 0;
    const x = ((P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3]) ^ K[2];
    const f = K[4];
    return (f ^ ((K[3] ^ f) & (((x - 1) & ~x) >> 31))) >>> 0;
  } as _Run;
}

/**
 * `(([k] >>> shift) & mask)` in a range ? t : f for a load of `size` bytes:
 * `_T_B`/`_T_H`/`_T_W` + `_RET_PAIR`, operands k, e (bytes from the data's
 * start to check), shift, mask, rangeMask, low, span, t, f.
 */
function _rangeTest(size: number, K: Int32Array): _Run {
  if (size === 1) {
    return function run(P: Uint8Array): number {
      const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
      const B = C === undefined ? 0 : _dataStart(C);
      const LE = C === undefined ? P.length : _contextLoadEnd(P, C, B);
      if (B + (K[2] >>> 0) > LE) return 0;
      const A = (P[B + K[1]] >>> K[3]) & K[4];
      const d = ((A & K[5]) - K[6]) | 0;
      const s = K[7];
      const t = K[8];
      return (t ^ ((t ^ K[9]) & (((~s & d) | (~(s ^ d) & (s - d))) >> 31))) >>> 0;
    } as _Run;
  }
  if (size === 2) {
    return function run(P: Uint8Array): number {
      const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
      const B = C === undefined ? 0 : _dataStart(C);
      const LE = C === undefined ? P.length : _contextLoadEnd(P, C, B);
      if (B + (K[2] >>> 0) > LE) return 0;
      const i = B + K[1];
      const A = (((P[i] << 8) | P[i + 1]) >>> K[3]) & K[4];
      const d = ((A & K[5]) - K[6]) | 0;
      const s = K[7];
      const t = K[8];
      return (t ^ ((t ^ K[9]) & (((~s & d) | (~(s ^ d) & (s - d))) >> 31))) >>> 0;
    } as _Run;
  }
  return function run(P: Uint8Array): number {
    const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
    const B = C === undefined ? 0 : _dataStart(C);
    const LE = C === undefined ? P.length : _contextLoadEnd(P, C, B);
    if (B + (K[2] >>> 0) > LE) return 0;
    const i = B + K[1];
    const A = (((P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3]) >>> K[3]) & K[4];
    const d = ((A & K[5]) - K[6]) | 0;
    const s = K[7];
    const t = K[8];
    return (t ^ ((t ^ K[9]) & (((~s & d) | (~(s ^ d) & (s - d))) >> 31))) >>> 0;
  } as _Run;
}

/**
 * `ld len` tested (`_T_LEN`) with two targets that only return; without a
 * context, len is the packet's length. Operands: shift, mask, rangeMask,
 * low, span, t, f.
 */
function _lengthTest(K: Int32Array): _Run {
  return function run(P: Uint8Array): number {
    const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
    let W = P.length;
    if (C !== undefined) {
      const B = _dataStart(C);
      W = _wireLength(C, B, _captureEnd(P, C));
    }
    const A = (W >>> K[0]) & K[1];
    const d = ((A & K[2]) - K[3]) | 0;
    const s = K[4];
    const t = K[5];
    return (t ^ ((t ^ K[6]) & (((~s & d) | (~(s ^ d) & (s - d))) >> 31))) >>> 0;
  } as _Run;
}
