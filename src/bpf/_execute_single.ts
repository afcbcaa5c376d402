/**
 * Closures for programs that are one operation (private): `ret #k`, or one
 * fused test whose two targets only return (`ip`, `arp`, `ip6`,
 * `ether[k] & m != 0`, `len > n` as the filter compiler emits them).
 *
 * For these the dispatch loop ({@linkcode _executor}) costs more than the
 * program: about 2 ns per call of its entry (context set-up, the loop's
 * checks, the dispatch) against 1-2 ns of work. The closures here run the
 * same test as the loop's case for the operation, reading its operands from
 * the dispatch code at fixed places, without a context: a call with a second
 * argument (a context, even `undefined`) goes to the loop, which handles every
 * context. A and X are never read afterwards, so they are not kept.
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
import { _RET, _RET_PAIR, _T_B, _T_B_EQ, _T_LEN, _T_W, _T_W_EQ } from "./_dispatch_code.ts";

type _Run = (P: Uint8Array, C?: PacketContext) => number;

/**
 * The closure for dispatch code that is one operation, or undefined when it
 * is more (then the dispatch loop runs it). `loop` is the dispatch loop for
 * the same code: it runs calls with a context.
 */
export function _singleOperation(code: Int32Array, loop: _Run): _Run | undefined {
  const op = code[0];
  if (op === _RET) return _returns(code[1] >>> 0, loop);
  if (op >= _T_B_EQ + _RET_PAIR && op <= _T_W_EQ + _RET_PAIR) {
    return _equalTest(op - _RET_PAIR - _T_B_EQ + 1, code, loop);
  }
  if (op >= _T_B + _RET_PAIR && op <= _T_W + _RET_PAIR) {
    return _rangeTest(op - _RET_PAIR - _T_B + 1, code, loop);
  }
  if (op === _T_LEN && code[code[8]] === _RET && code[code[9]] === _RET) {
    // shift, mask, rangeMask, low, span, then the two returned values.
    const operands = Int32Array.of(...code.subarray(3, 8), code[code[8] + 1], code[code[9] + 1]);
    return _lengthTest(operands, loop);
  }
  return undefined;
}

/** `ret #k`. */
function _returns(k: number, loop: _Run): _Run {
  return function run(P: Uint8Array): number {
    if (arguments.length > 1) return loop(P, arguments[1]);
    return k;
  } as _Run;
}

/** `[k] == v ? t : f` for a load of `size` bytes: `_T_*_EQ` + `_RET_PAIR`, operands k, v, t, f. */
function _equalTest(size: number, K: Int32Array, loop: _Run): _Run {
  if (size === 1) {
    return function run(P: Uint8Array): number {
      if (arguments.length > 1) return loop(P, arguments[1]);
      const i = K[1];
      if (i + 1 > P.length) return 0;
      const x = P[i] ^ K[2];
      const f = K[4];
      return (f ^ ((K[3] ^ f) & (((x - 1) & ~x) >> 31))) >>> 0;
    } as _Run;
  }
  if (size === 2) {
    return function run(P: Uint8Array): number {
      if (arguments.length > 1) return loop(P, arguments[1]);
      const i = K[1];
      if (i + 2 > P.length) return 0;
      const x = ((P[i] << 8) | P[i + 1]) ^ K[2];
      const f = K[4];
      return (f ^ ((K[3] ^ f) & (((x - 1) & ~x) >> 31))) >>> 0;
    } as _Run;
  }
  return function run(P: Uint8Array): number {
    if (arguments.length > 1) return loop(P, arguments[1]);
    const i = K[1];
    if (i + 4 > P.length) return 0;
    const x = ((P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3]) ^ K[2];
    const f = K[4];
    return (f ^ ((K[3] ^ f) & (((x - 1) & ~x) >> 31))) >>> 0;
  } as _Run;
}

/**
 * `(([k] >>> shift) & mask)` in a range ? t : f for a load of `size` bytes:
 * `_T_B`/`_T_H`/`_T_W` + `_RET_PAIR`, operands k, e (bytes to check), shift,
 * mask, rangeMask, low, span, t, f.
 */
function _rangeTest(size: number, K: Int32Array, loop: _Run): _Run {
  if (size === 1) {
    return function run(P: Uint8Array): number {
      if (arguments.length > 1) return loop(P, arguments[1]);
      if ((K[2] >>> 0) > P.length) return 0;
      const A = (P[K[1]] >>> K[3]) & K[4];
      const d = ((A & K[5]) - K[6]) | 0;
      const s = K[7];
      const t = K[8];
      return (t ^ ((t ^ K[9]) & (((~s & d) | (~(s ^ d) & (s - d))) >> 31))) >>> 0;
    } as _Run;
  }
  if (size === 2) {
    return function run(P: Uint8Array): number {
      if (arguments.length > 1) return loop(P, arguments[1]);
      if ((K[2] >>> 0) > P.length) return 0;
      const i = K[1];
      const A = (((P[i] << 8) | P[i + 1]) >>> K[3]) & K[4];
      const d = ((A & K[5]) - K[6]) | 0;
      const s = K[7];
      const t = K[8];
      return (t ^ ((t ^ K[9]) & (((~s & d) | (~(s ^ d) & (s - d))) >> 31))) >>> 0;
    } as _Run;
  }
  return function run(P: Uint8Array): number {
    if (arguments.length > 1) return loop(P, arguments[1]);
    if ((K[2] >>> 0) > P.length) return 0;
    const i = K[1];
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
function _lengthTest(K: Int32Array, loop: _Run): _Run {
  return function run(P: Uint8Array): number {
    if (arguments.length > 1) return loop(P, arguments[1]);
    const A = (P.length >>> K[0]) & K[1];
    const d = ((A & K[2]) - K[3]) | 0;
    const s = K[4];
    const t = K[5];
    return (t ^ ((t ^ K[6]) & (((~s & d) | (~(s ^ d) & (s - d))) >> 31))) >>> 0;
  } as _Run;
}
