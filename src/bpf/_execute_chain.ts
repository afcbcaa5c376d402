/**
 * Closures for compare chains on one load (private): programs that load
 * `[k]` once (one, two or four bytes, `k` not negative) and then only test A
 * (fused tests on K, with their `and`/`rsh` folded in) until each path
 * returns a constant, as the filter compiler emits `vlan` (`[12]` against
 * three EtherTypes), `ip or ip6` or `ip or arp or ip6`.
 *
 * Through the dispatch loop such a program pays the loop's entry and a
 * dispatch per test; here one closure loads the value and finds the result:
 * in a table where A has at most 256 values, by comparing with a list of at
 * most 16 values, by a binary search over the pieces of the chain's value
 * (`_chain_pieces.ts`, any length), else by walking the chain's nodes in a
 * small loop ({@linkcode _chainFrom}, at most 16: `jset` chains on wider
 * fields), with the same kernel for a packet and for a batch
 * ({@linkcode _batch}).
 *
 * @module
 */
import type { PacketContext } from "./packet_context.ts";
import type { _LoweredProgram } from "./_lower.ts";
import { BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET } from "./opcodes.ts";
import { _contextLoadEnd, _dataStart } from "./_packet_access.ts";
import { _batch } from "./_kernel_batch.ts";
import {
  _bits2,
  _bits4,
  _chain1,
  _chain2,
  _chain4,
  _member1,
  _member2,
  _member4,
  _pieces1,
  _pieces2,
  _pieces4,
  _table1,
  _table2,
  _table4,
  BITS_2,
  CHAIN_1,
  CHAIN_2,
  CHAIN_4,
  MEMBER_1,
  MEMBER_2,
  MEMBER_4,
  PIECES_1,
  TABLE_1,
} from "./_execute_kernels.ts";
import type { _Single } from "./_execute_single.ts";
import { type _ChainPieces, _chainPieces } from "./_chain_pieces.ts";
import { type _ChainBits, _chainBits } from "./_chain_bits.ts";

type _Run = (P: Uint8Array, C?: PacketContext) => number;

/** The most test nodes a chain may have (a bigger program keeps the dispatch loop). */
export const _MAX_CHAIN_NODES = 16;

/**
 * The operands of the chain `lowered` is (see {@linkcode _chainFrom}: `[k]`
 * first, then the nodes, then the returned values), with the load's size, or
 * undefined when it is not one.
 */
export function _chainOperands(
  lowered: _LoweredProgram,
): { size: number; operands: Int32Array } | undefined {
  const { blocks } = lowered;
  const first = blocks[0].exit;
  if (lowered.backward || blocks[0].steps.length !== 0 || first.kind !== "test") return undefined;
  const load = first.producer;
  if (load === undefined || load.kind !== "load" || load.offset < 0) return undefined;
  // Number the test blocks (nodes) and the returned values, in the order they are reached.
  const nodes: number[] = [];
  const values: number[] = [];
  const nodeOf = new Map<number, number>();
  const valueOf = new Map<number, number>();
  const pending = [0];
  while (pending.length > 0) {
    const index = pending.pop()!;
    if (nodeOf.has(index) || valueOf.has(index)) continue;
    const block = blocks[index];
    const exit = block.exit;
    if (block.steps.length !== 0) return undefined;
    if (exit.kind === "return") {
      valueOf.set(index, values.length);
      values.push(exit.value);
      continue;
    }
    if (exit.kind !== "test" || exit.useX || (index !== 0 && exit.producer !== undefined)) {
      return undefined;
    }
    if (![BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET].includes(exit.op)) return undefined;
    if (nodes.length === _MAX_CHAIN_NODES) return undefined;
    nodeOf.set(index, nodes.length);
    nodes.push(index);
    pending.push(exit.whenFalse, exit.whenTrue);
  }
  const operands = new Int32Array(1 + nodes.length * 7 + values.length);
  operands[0] = load.offset;
  const valuesAt = 1 + nodes.length * 7;
  const target = (block: number) =>
    nodeOf.has(block) ? 1 + nodeOf.get(block)! * 7 : ~(valuesAt + valueOf.get(block)!);
  nodes.forEach((block, n) => {
    const test = blocks[block].exit;
    if (test.kind !== "test") return;
    operands.set(
      [
        test.shift,
        test.mask,
        test.rangeMask,
        test.low,
        test.span,
        target(test.whenTrue),
        target(test.whenFalse),
      ],
      1 + n * 7,
    );
  });
  values.forEach((value, i) => operands[valuesAt + i] = value);
  return { size: load.size, operands };
}

/**
 * The operands of a chain that only asks whether A is one of a list (every
 * node `A == v` on the whole value, its true edge returning one value `t`
 * and its false edge the next node, the last one's returning `f`): k, t, f,
 * then the values (see `_memberOf`); undefined for any other chain.
 */
export function _memberOperands(chain: Int32Array): Int32Array | undefined {
  const values: number[] = [];
  let n = 1;
  let whenTrue: number | undefined;
  while (n >= 0) {
    const [shift, mask, rangeMask, low, span, t, f] = chain.subarray(n, n + 7);
    if (shift !== 0 || mask !== -1 || rangeMask !== -1 || span !== 0 || t >= 0) return undefined;
    if (whenTrue !== undefined && chain[~t] !== whenTrue) return undefined;
    whenTrue = chain[~t];
    values.push(low);
    if (f < 0) return Int32Array.of(chain[0], whenTrue, chain[~f], ...values);
    n = f;
  }
  return undefined;
}

/**
 * The operands of a chain's pieces kernel (`_execute_kernels.ts`,
 * `_pieceOf`; a table's when A has at most 256 values): k, shift, mask, then
 * n and the starts, biased, then the values; for a table 0, then the value
 * of every A from 0.
 */
export function _piecesOperands(pieces: _ChainPieces): Int32Array {
  const { offset, shift, mask, starts, values } = pieces;
  if (pieces.table) {
    const table = new Int32Array(5 + pieces.maxA);
    table.set([offset, shift, mask, 0]);
    values.forEach((value, i) => table.fill(value, 4 + (i === 0 ? 0 : starts[i - 1])));
    return table;
  }
  const operands = new Int32Array(5 + 2 * starts.length);
  operands.set([offset, shift, mask, starts.length]);
  starts.forEach((start, i) => operands[4 + i] = start ^ 0x80000000);
  operands.set(values, 4 + starts.length);
  return operands;
}

/** The operands of a `jset` ladder's kernel (`_bitsOf`): k, shift, mask, bytes, tables, values. */
export function _bitsOperands(bits: _ChainBits): Int32Array {
  const { offset, shift, mask, bytes, tables, values } = bits;
  const operands = new Int32Array(4 + tables.length + values.length);
  operands.set([offset, shift, mask, bytes]);
  operands.set(tables, 4);
  operands.set(values, 4 + tables.length);
  return operands;
}

/**
 * The closure (and batch loop) for a program that is a compare chain, or
 * undefined: a table where A has at most 256 values, else a membership list
 * of at most {@linkcode _MAX_CHAIN_NODES} values
 * (compared one after another: on values that vary from packet to packet,
 * such as ports, the search over pieces mispredicts a branch at about every
 * other step, `jeq list of 16 ports` 11.4 → 18.1 ns from a shared helper,
 * bench/RESULTS.md, session 19), else pieces ({@linkcode _chainPieces}) where
 * it has them, else per-byte tables for a ladder of `jset` tests
 * ({@linkcode _chainBits}), else the walk of its nodes.
 */
export function _compareChain(lowered: _LoweredProgram): _Single | undefined {
  const chain = _chainOperands(lowered);
  const pieces = _chainPieces(lowered);
  const member = pieces?.table ? undefined : chain && _memberOperands(chain.operands);
  if (chain !== undefined && member !== undefined) {
    if (chain.size === 1) return { run: _memberRun1(member), runBatch: _batch(MEMBER_1, member) };
    if (chain.size === 2) return { run: _memberRun2(member), runBatch: _batch(MEMBER_2, member) };
    return { run: _memberRun4(member), runBatch: _batch(MEMBER_4, member) };
  }
  if (pieces !== undefined) {
    const K = _piecesOperands(pieces);
    const kind = (pieces.table ? TABLE_1 : PIECES_1) + (pieces.size >> 1);
    const runs = pieces.table ? [_tableRun1, _tableRun2, _tableRun4] : [
      _piecesRun1,
      _piecesRun2,
      _piecesRun4,
    ];
    return { run: runs[pieces.size >> 1](K), runBatch: _batch(kind, K) };
  }
  const bits = _chainBits(lowered);
  if (bits !== undefined) {
    const K = _bitsOperands(bits);
    const run = bits.size === 2 ? _bitsRun2(K) : _bitsRun4(K);
    return { run, runBatch: _batch(BITS_2 + (bits.size >> 2), K) };
  }
  if (chain === undefined) return undefined;
  const K = chain.operands;
  if (chain.size === 1) return { run: _chainRun1(K), runBatch: _batch(CHAIN_1, K) };
  if (chain.size === 2) return { run: _chainRun2(K), runBatch: _batch(CHAIN_2, K) };
  return { run: _chainRun4(K), runBatch: _batch(CHAIN_4, K) };
}

// One literal per load size, so that a caller's call site sees one function.
function _chainRun1(K: Int32Array): _Run {
  return function run(P: Uint8Array): number {
    const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
    if (C === undefined) return _chain1(P, 0, P.length, K);
    const B = _dataStart(C);
    return _chain1(P, B, _contextLoadEnd(P, C, B), K);
  } as _Run;
}

function _chainRun2(K: Int32Array): _Run {
  return function run(P: Uint8Array): number {
    const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
    if (C === undefined) return _chain2(P, 0, P.length, K);
    const B = _dataStart(C);
    return _chain2(P, B, _contextLoadEnd(P, C, B), K);
  } as _Run;
}

function _chainRun4(K: Int32Array): _Run {
  return function run(P: Uint8Array): number {
    const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
    if (C === undefined) return _chain4(P, 0, P.length, K);
    const B = _dataStart(C);
    return _chain4(P, B, _contextLoadEnd(P, C, B), K);
  } as _Run;
}

function _memberRun1(K: Int32Array): _Run {
  return function run(P: Uint8Array): number {
    const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
    if (C === undefined) return _member1(P, 0, P.length, K);
    const B = _dataStart(C);
    return _member1(P, B, _contextLoadEnd(P, C, B), K);
  } as _Run;
}

function _memberRun2(K: Int32Array): _Run {
  return function run(P: Uint8Array): number {
    const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
    if (C === undefined) return _member2(P, 0, P.length, K);
    const B = _dataStart(C);
    return _member2(P, B, _contextLoadEnd(P, C, B), K);
  } as _Run;
}

function _memberRun4(K: Int32Array): _Run {
  return function run(P: Uint8Array): number {
    const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
    if (C === undefined) return _member4(P, 0, P.length, K);
    const B = _dataStart(C);
    return _member4(P, B, _contextLoadEnd(P, C, B), K);
  } as _Run;
}

function _piecesRun1(K: Int32Array): _Run {
  return function run(P: Uint8Array): number {
    const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
    if (C === undefined) return _pieces1(P, 0, P.length, K);
    const B = _dataStart(C);
    return _pieces1(P, B, _contextLoadEnd(P, C, B), K);
  } as _Run;
}

function _piecesRun2(K: Int32Array): _Run {
  return function run(P: Uint8Array): number {
    const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
    if (C === undefined) return _pieces2(P, 0, P.length, K);
    const B = _dataStart(C);
    return _pieces2(P, B, _contextLoadEnd(P, C, B), K);
  } as _Run;
}

function _piecesRun4(K: Int32Array): _Run {
  return function run(P: Uint8Array): number {
    const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
    if (C === undefined) return _pieces4(P, 0, P.length, K);
    const B = _dataStart(C);
    return _pieces4(P, B, _contextLoadEnd(P, C, B), K);
  } as _Run;
}

function _tableRun1(K: Int32Array): _Run {
  return function run(P: Uint8Array): number {
    const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
    if (C === undefined) return _table1(P, 0, P.length, K);
    const B = _dataStart(C);
    return _table1(P, B, _contextLoadEnd(P, C, B), K);
  } as _Run;
}

function _tableRun2(K: Int32Array): _Run {
  return function run(P: Uint8Array): number {
    const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
    if (C === undefined) return _table2(P, 0, P.length, K);
    const B = _dataStart(C);
    return _table2(P, B, _contextLoadEnd(P, C, B), K);
  } as _Run;
}

function _tableRun4(K: Int32Array): _Run {
  return function run(P: Uint8Array): number {
    const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
    if (C === undefined) return _table4(P, 0, P.length, K);
    const B = _dataStart(C);
    return _table4(P, B, _contextLoadEnd(P, C, B), K);
  } as _Run;
}

function _bitsRun2(K: Int32Array): _Run {
  return function run(P: Uint8Array): number {
    const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
    if (C === undefined) return _bits2(P, 0, P.length, K);
    const B = _dataStart(C);
    return _bits2(P, B, _contextLoadEnd(P, C, B), K);
  } as _Run;
}

function _bitsRun4(K: Int32Array): _Run {
  return function run(P: Uint8Array): number {
    const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
    if (C === undefined) return _bits4(P, 0, P.length, K);
    const B = _dataStart(C);
    return _bits4(P, B, _contextLoadEnd(P, C, B), K);
  } as _Run;
}
