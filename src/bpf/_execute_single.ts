/**
 * Closures for programs that are one operation (private): `ret #k`, or one
 * fused test whose two targets only return (`ip`, `arp`, `ip6`,
 * `ether[k] & m != 0`, `len > n` as the filter compiler emits them).
 *
 * For these the dispatch loop ({@linkcode _executor}) costs more than the
 * program: about 2 ns per call of its entry (context set-up, the loop's
 * checks, reading operands from the code array) against 1-2 ns of work. The
 * closures here read the operation's operands from closure constants and run
 * the same test as the loop's case for it, without a context: a call with a
 * second argument (a context, even `undefined`) goes to the loop, which
 * handles every context. A and X are never read afterwards, so they are not
 * kept.
 *
 * The result is picked without a branch (`_pick`), as the loop's return
 * pairs do: which target a packet takes is data-dependent, and a mispredicted
 * branch costs more than the whole test.
 *
 * @module
 */
import type { PacketContext } from "./packet_context.ts";
import {
  _RET,
  _RET_PAIR,
  _T_B,
  _T_B_EQ,
  _T_LEN,
  _T_W,
  _T_W_EQ,
} from "./_dispatch_code.ts";

type _Run = (P: Uint8Array, C?: PacketContext) => number;

/** `a` when `mask` is 0, `b` when it is -1, as uint32, without a branch. */
function _pick(mask: number, a: number, b: number): number {
  return (a ^ ((a ^ b) & mask)) >>> 0;
}

/** -1 when the int32 bits `a` and `b` are equal, else 0. */
function _equalMask(a: number, b: number): number {
  const x = a ^ b;
  return ((x - 1) & ~x) >> 31;
}

/**
 * -1 when the fused range test fails (`((A & rangeMask) - low) >>> 0 >
 * span >>> 0`, the borrow out of `span - d`), else 0.
 */
function _outsideMask(A: number, rangeMask: number, low: number, span: number): number {
  const d = ((A & rangeMask) - low) | 0;
  return ((~span & d) | (~(span ^ d) & (span - d))) >> 31;
}

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
    return _lengthTest(code, loop);
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

/** `[k] == v ? t : f` for a load of `size` bytes (`_T_*_EQ` + `_RET_PAIR`). */
function _equalTest(size: number, code: Int32Array, loop: _Run): _Run {
  const k = code[1];
  const v = code[2];
  const t = code[3];
  const f = code[4];
  const end = k + size;
  if (size === 1) {
    return function run(P: Uint8Array): number {
      if (arguments.length > 1) return loop(P, arguments[1]);
      if (end > P.length) return 0;
      return _pick(_equalMask(P[k], v), f, t);
    } as _Run;
  }
  if (size === 2) {
    return function run(P: Uint8Array): number {
      if (arguments.length > 1) return loop(P, arguments[1]);
      if (end > P.length) return 0;
      return _pick(_equalMask((P[k] << 8) | P[k + 1], v), f, t);
    } as _Run;
  }
  return function run(P: Uint8Array): number {
    if (arguments.length > 1) return loop(P, arguments[1]);
    if (end > P.length) return 0;
    const A = (P[k] << 24) | (P[k + 1] << 16) | (P[k + 2] << 8) | P[k + 3];
    return _pick(_equalMask(A, v), f, t);
  } as _Run;
}

/**
 * `(([k] >>> shift) & mask)` in a range ? t : f for a load of `size` bytes
 * (`_T_B`/`_T_H`/`_T_W` + `_RET_PAIR`; `e` the bytes to check, as the loop).
 */
function _rangeTest(size: number, code: Int32Array, loop: _Run): _Run {
  const k = code[1];
  const e = code[2] >>> 0;
  const [shift, mask, rangeMask, low, span, t, f] = code.subarray(3, 10);
  if (size === 1) {
    return function run(P: Uint8Array): number {
      if (arguments.length > 1) return loop(P, arguments[1]);
      if (e > P.length) return 0;
      const A = (P[k] >>> shift) & mask;
      return _pick(_outsideMask(A, rangeMask, low, span), t, f);
    } as _Run;
  }
  if (size === 2) {
    return function run(P: Uint8Array): number {
      if (arguments.length > 1) return loop(P, arguments[1]);
      if (e > P.length) return 0;
      const A = (((P[k] << 8) | P[k + 1]) >>> shift) & mask;
      return _pick(_outsideMask(A, rangeMask, low, span), t, f);
    } as _Run;
  }
  return function run(P: Uint8Array): number {
    if (arguments.length > 1) return loop(P, arguments[1]);
    if (e > P.length) return 0;
    const A = (((P[k] << 24) | (P[k + 1] << 16) | (P[k + 2] << 8) | P[k + 3]) >>> shift) & mask;
    return _pick(_outsideMask(A, rangeMask, low, span), t, f);
  } as _Run;
}

/** `ld len` tested (`_T_LEN`) with two targets that only return: without a context, len is the packet's length. */
function _lengthTest(code: Int32Array, loop: _Run): _Run {
  const [shift, mask, rangeMask, low, span] = code.subarray(3, 8);
  const t = code[code[8] + 1];
  const f = code[code[9] + 1];
  return function run(P: Uint8Array): number {
    if (arguments.length > 1) return loop(P, arguments[1]);
    const A = (P.length >>> shift) & mask;
    return _pick(_outsideMask(A, rangeMask, low, span), t, f);
  } as _Run;
}
