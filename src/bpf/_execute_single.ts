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
  _straight1,
  _straight2,
  _straight4,
  _straightAlu,
  EQUAL_1,
  EQUAL_2,
  LENGTH,
  RANGE_1,
  RANGE_2,
  RETURN,
  STRAIGHT_1,
  STRAIGHT_LENGTH,
} from "./_execute_kernels.ts";
import type { _LoweredProgram } from "./_lower.ts";
import { BPF_DIV, BPF_MOD } from "./opcodes.ts";

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

/**
 * The closure for a straight program that returns a load, or a load and one
 * ALU operation on a constant (`ld [k]; ret a`, `ld len; ret a`,
 * `ld [k]; neg; ret a`, `ld [k]; xor #k; ret a`), or undefined for any other
 * program. The operation is `_alu`'s, picked by its operation bits.
 */
export function _straightProgram(lowered: _LoweredProgram): _Single | undefined {
  const { steps, exit } = lowered.blocks[0];
  if (exit.kind !== "return-a" || steps.length < 1 || steps.length > 2) return undefined;
  const [load, alu] = steps;
  let op = -1;
  let k = 0;
  if (alu !== undefined) {
    if (alu.kind !== "alu" || alu.useX) return undefined;
    if ((alu.op === BPF_DIV || alu.op === BPF_MOD) && alu.k === 0) return undefined;
    op = alu.op;
    k = alu.k;
  }
  if (load.kind === "load-length" && load.into === "a") {
    const K = Int32Array.of(0, op, k);
    return { run: _straightLength(K), runBatch: _batch(STRAIGHT_LENGTH, K) };
  }
  if (load.kind !== "load" || load.offset < 0) return undefined;
  const K = Int32Array.of(load.offset, op, k);
  const runs = [_straightRun1, _straightRun2, _straightRun4];
  return { run: runs[load.size >> 1](K), runBatch: _batch(STRAIGHT_1 + (load.size >> 1), K) };
}

function _straightLength(K: Int32Array): _Run {
  return function run(P: Uint8Array): number {
    const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
    if (C === undefined) return _straightAlu(P.length, K);
    const B = _dataStart(C);
    return _straightAlu(_wireLength(C, B, _captureEnd(P, C)), K);
  } as _Run;
}

function _straightRun1(K: Int32Array): _Run {
  return function run(P: Uint8Array): number {
    const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
    if (C === undefined) return _straight1(P, 0, P.length, K);
    const B = _dataStart(C);
    return _straight1(P, B, _contextLoadEnd(P, C, B), K);
  } as _Run;
}

function _straightRun2(K: Int32Array): _Run {
  return function run(P: Uint8Array): number {
    const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
    if (C === undefined) return _straight2(P, 0, P.length, K);
    const B = _dataStart(C);
    return _straight2(P, B, _contextLoadEnd(P, C, B), K);
  } as _Run;
}

function _straightRun4(K: Int32Array): _Run {
  return function run(P: Uint8Array): number {
    const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
    if (C === undefined) return _straight4(P, 0, P.length, K);
    const B = _dataStart(C);
    return _straight4(P, B, _contextLoadEnd(P, C, B), K);
  } as _Run;
}
