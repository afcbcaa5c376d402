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
 * Each test is one small kernel of `_execute_kernels.ts`, `(P, B, LE, K)` → result, where `B` is the
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
import { _captureEnd, _contextLoadEnd, _dataStart, _wireLength } from "./_packet_access.ts";
import { _RET, _RET_PAIR, _T_B, _T_B_EQ, _T_LEN_RET, _T_W, _T_W_EQ } from "./_dispatch_code.ts";
import type { _BatchRun } from "./_run_batch.ts";
import { _batch } from "./_kernel_batch.ts";
import {
  _equal1,
  _equal2,
  _equal4,
  _length,
  _range1,
  _range2,
  _range4,
  EQUAL_1,
  EQUAL_2,
  LENGTH,
  RANGE_1,
  RANGE_2,
  RETURN,
} from "./_execute_kernels.ts";

type _Run = (P: Uint8Array, C?: PacketContext) => number;

/** A one-operation program: its per-packet function and its batch loop. */
export interface _Single {
  run: _Run;
  runBatch: _BatchRun;
}

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
  if (op === _T_LEN_RET) {
    // shift, mask, rangeMask, low, span, then the two returned values.
    const operands = code.subarray(3, 10);
    return { run: _lengthTest(operands), runBatch: _batch(LENGTH, operands) };
  }
  return undefined;
}

/** `ret #k`. */
function _returns(k: number): _Run {
  return function run(): number {
    return k;
  } as _Run;
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
