/**
 * The dispatch code of the closure strategy (private): a lowered program
 * ({@linkcode _lower}) laid out as one `Int32Array` of operations, each an
 * operation number followed by its operands, that {@linkcode _execute} runs
 * in one tight loop. A fused test is one operation: its load (with its own
 * bounds check, or none when its block's start checked), shift, mask and
 * unsigned range test, and the two places to continue at.
 *
 * @module
 */
import type {
  _Exit,
  _LoadAbsolute,
  _LoadHeaderLength,
  _LoadIndirect,
  _LoadScratch,
  _LoweredBlock,
  _LoweredProgram,
  _Step,
  _Test,
} from "./_lower.ts";
import {
  BPF_ADD,
  BPF_AND,
  BPF_DIV,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_LSH,
  BPF_MOD,
  BPF_MUL,
  BPF_OR,
  BPF_RSH,
  BPF_SUB,
  BPF_XOR,
} from "./opcodes.ts";
import { _fieldRunParts, _shortened } from "./_execute_tree_steps.ts";

// Operation numbers; the operands listed after each dash follow it.
/** `if (B + need > LE) return 0` — need */
export const _NEED = 0;
/** `A = [k]`, bounds checked before — k (B/H/W) */
export const _LD_B = 1;
export const _LD_H = 2;
export const _LD_W = 3;
/** `A = [k]` for a negative k (the windows) — k, size */
export const _LD_NEG = 132;
/** `A = [x + k]` — k */
export const _LD_IND_B = 133;
export const _LD_IND_H = 134;
export const _LD_IND_W = 135;
/** `X = 4 * ([k] & 0xf)` (k ≥ 0, checked before / negative k) — k */
export const _LDX_MSH = 4;
export const _LDX_MSH_NEG = 136;
/** `A = <ancillary field>`, ending the run (returning A) for a device field without a device — field */
export const _LD_ANC = 137;
export const _LD_LEN = 138;
export const _LDX_LEN = 139;
/** — value */
export const _LD_IMM = 140;
export const _LDX_IMM = 141;
/** — cell */
export const _LD_MEM = 142;
export const _LDX_MEM = 143;
export const _ST = 144;
export const _STX = 145;
export const _TAX = 146;
export const _TXA = 147;
/** ALU on K — k; on X — (none); `_ALU_K + i` / `_ALU_X + i` for operation i of `_ALU_OPS` */
export const _ALU_K = 148;
export const _ALU_X = 158;
export const _NEG = 168;
/**
 * A field run as one operation: `A = (([k] >>> shift) & mask) + add` for a
 * load at `k ≥ 0` (B/H/W), with its own bounds check (`e` bytes from B, 0
 * none), and `X = A` after it for the `_X` forms — k, e, shift, mask, add.
 * The filter compiler's `u32` offsets (`ld [14]; rsh 22; and 0x3c; add 4;
 * tax`) are one of these instead of five dispatches.
 */
export const _FIELD_B = 169;
export const _FIELD_H = 170;
export const _FIELD_W = 171;
export const _FIELD_B_X = 172;
export const _FIELD_H_X = 173;
export const _FIELD_W_X = 174;
/**
 * A field run on `[x + k]` (B/H/W; `_X`: then `X = A`) — k, 0, shift, mask,
 * add. An `x + k` negative as int32 (the windows) runs in `_step`.
 */
export const _FIELD_IND_B = 175;
export const _FIELD_IND_H = 176;
export const _FIELD_IND_W = 177;
export const _FIELD_IND_B_X = 178;
export const _FIELD_IND_H_X = 179;
export const _FIELD_IND_W_X = 180;
/** A field run on `[k]` then `st M[cell]` — k, e, shift, mask, add, cell. */
export const _FIELD_B_M = 181;
export const _FIELD_H_M = 182;
export const _FIELD_W_M = 183;
/** `ld M[cell]` then a test of A against X (`jge x` after a `u32` offset) — cell, op, true, false. */
export const _T_X_MEM = 184;
/**
 * `ld M[cell]; add x; add #k; tax` (the `u32` offset of a nested header):
 * `A = X = M[cell] + X + k` — cell, k.
 */
export const _X_FROM_CELL = 185;
/** `return k` — k */
export const _RET = 5;
export const _RET_A = 6;
/** Continue at — place; backward: counts against the budget */
export const _GOTO = 7;
export const _GOTO_BACK = 128;
/**
 * Fused tests on K — k (load offset), e (bytes from B to check, 0 none; for
 * `_T_NEG` the load size), shift, mask, rangeMask, low, span, true, false.
 */
export const _T_A = 8;
export const _T_LEN = 129;
/**
 * `_T_LEN` whose targets return (its numbers are not `_T_LEN` plus the
 * variant, which would fall on other operations): both returns, picked with
 * masks (`_RET_PAIR`); the true edge returns; the false edge returns — the
 * same operands as `_T_LEN`, targets as `_emitTargets` writes them. `len >
 * 100`, `greater`/`less` and a length test last in a program run as one
 * dispatch.
 */
export const _T_LEN_RET = 186;
export const _T_LEN_RETTRUE = 187;
export const _T_LEN_RETFALSE = 188;
export const _T_B = 9;
export const _T_H = 10;
export const _T_W = 11;
export const _T_NEG = 130;
export const _T_IND_B = 12;
export const _T_IND_H = 13;
export const _T_IND_W = 14;
/** A test on X, A as it is — op (BPF_JEQ…), true, false */
export const _T_X = 131;
/**
 * The commonest fused tests, `[k] == value` with no shift or mask (their own
 * bounds check, needed or not) — k, value, true, false — and `A == value` —
 * value, true, false: fewer operands to read than the general form.
 */
export const _T_B_EQ = 15;
export const _T_H_EQ = 16;
export const _T_W_EQ = 17;
export const _T_A_EQ = 18;

/**
 * `X = 4 * ([m] & 0xf)` then the fused test on `[x + k]` (B/H/W), each load
 * with its own bounds check; emitted only for `0 ≤ k ≤ 0xffff`, so `x + k`
 * is never negative — m, k, shift, mask, rangeMask, low, span, true, false.
 */
export const _T_MSH_IND_B = 19;
export const _T_MSH_IND_H = 20;
export const _T_MSH_IND_W = 21;
/**
 * A compare chain: `[k] == v1` (B/H/W, own bounds check) or `A == v1`
 * whose false target is a block that only tests `A == v2` — k (not for A),
 * v1, true, v2, true of the second test, false of the second test.
 */
export const _T_B_EQ2 = 22;
export const _T_H_EQ2 = 23;
export const _T_W_EQ2 = 24;
export const _T_A_EQ2 = 25;

/**
 * Added to a fused test's operation number (`_T_A`, `_T_B`…, `_T_IND_*`,
 * `_T_*_EQ`, `_T_MSH_IND_*`) when both its targets are blocks that only
 * return a constant: its two targets are then those constants, and the test
 * returns one, picked without a branch (no misprediction on data-dependent
 * outcomes, as C's conditional moves) and without another dispatch.
 */
export const _RET_PAIR = 32;
/**
 * Added to a fused test's operation number (`_T_A`, `_T_B`…, `_T_IND_*`,
 * `_T_*_EQ`, `_T_MSH_IND_*`) when only its true target is a block that
 * returns a constant: that target is then the constant, returned at once
 * instead of dispatching to the block.
 */
export const _TRUE_RETURNS = 64;
/** The same when only the false target returns (and for the `_T_*_EQ2` chains, their last target). */
export const _FALSE_RETURNS = 96;

/**
 * An equality list: `[k] == v1`, else `A == v2`, … else `A == vn` (n ≥ 3,
 * each test on the previous one's false edge, each with a true target of its
 * own) as one operation, the filter compiler's ORed ports, ether types
 * (`vlan`'s three), protocols and addresses on one load: the load (none for
 * `_T_A_EQN`; `[k]` with its own bounds check; `[x + k]` after `ldx msh` for
 * `_T_MSH_IND_H_EQN`, the ports), then the values in turn — the load's operands (k;
 * m, k), n, then n pairs (value, true), then false. `+ _EQN_RETFALSE`: the
 * false target is a constant, returned. A true target below 0 is `~place` of
 * a constant (a `_RET`'s operand), returned.
 */
export const _T_A_EQN = 189;
export const _T_B_EQN = 190;
export const _T_H_EQN = 191;
export const _T_W_EQN = 192;
export const _T_MSH_IND_H_EQN = 193;
/**
 * A word pair: `[k1] & m1 == v1`, else `[k2] & m2 == v2` (each load with its
 * own bounds check), `net`'s source-or-destination address test, as one
 * operation — k1, m1, v1, true, k2, m2, v2, true of the second test, false
 * (`+ _EQN_RETFALSE`: a constant, returned); true targets as in the equality
 * lists.
 */
export const _T_W_PAIR = 194;
/**
 * The same without masks, `host`'s address test — k1, v1, true, k2, v2, true,
 * false: with the masks (and their two operands read) `host X and port 443`
 * ran 1.09× libpcap against 1.00×.
 */
export const _T_W_EQ_PAIR = 195;
/**
 * `_T_H_EQN` of exactly three values written out, `vlan`'s ether types
 * (0x8100, 0x88a8, 0x9100), the same operands: as the list's loop `vlan 100
 * and udp` ran 1.09× libpcap (most frames leave at this test).
 */
export const _T_H_EQ3 = 196;
/** Added to an equality list's (or word pair's) number when its false target is a returned constant (`retend`). */
export const _EQN_RETFALSE = 8;
/** The fewest values an equality list holds (two are a `_T_*_EQ2` chain). */
const _EQN_MIN = 3;

/**
 * The operations a `_T_H_EQ retfalse` may run into without a dispatch of
 * their own: the fused tests that load (each form), the compare chains and
 * equality lists on a load, the word pair and the length tests. A test of A
 * alone (the known-test pass removes it after an ether-type test), at
 * `[x + k]` (X needs a step first) or after `ldx msh` (tcpdump tests the
 * protocol first) does not follow one; the loop's bytecode has no room for
 * cases that never run (see `_execute.ts`). When such
 * a test's true edge is the next operation and that is one of these, the
 * test's number becomes `_T_H_EQ_THEN + i` (i its index here): the loop's
 * case for it does the test, then falls through into the next operation's
 * case (the `ether proto` check before an IPv4/IPv6 test, tcpdump's prefix
 * of most filters).
 */
export const _FOLLOWERS: readonly number[] = [
  ...[_T_B, _T_H, _T_W].flatMap(_forms),
  ...[_T_B_EQ, _T_H_EQ, _T_W_EQ].flatMap(_forms),
  ...[_T_B_EQ2, _T_H_EQ2, _T_W_EQ2].flatMap((op) => [op, op + _FALSE_RETURNS]),
  ..._eqnForms([_T_B_EQN, _T_W_EQN, _T_W_EQ_PAIR]),
  _T_LEN,
  _T_LEN_RET,
  _T_LEN_RETTRUE,
  _T_LEN_RETFALSE,
];
/** The first of the fused `_T_H_EQ retfalse` operations (see {@linkcode _FOLLOWERS}). */
export const _T_H_EQ_THEN = 205;
/**
 * The tests a `_T_H_EQ2` chain whose first true edge is the next operation
 * runs into in the same dispatch: the word and byte tests in each form (the
 * address test of `host` and `net` after the IPv4 ether type, where ARP and
 * RARP go elsewhere; the protocol test after IPv4 or IPv6). The chain's
 * number becomes `_T_H_EQ2_THEN + i`, or `+ _CHAIN_FOLLOWERS.length + i` for
 * the chain that returns at its end; its case holds a copy of the follower's.
 */
export const _CHAIN_FOLLOWERS: readonly number[] = [
  ...[_T_W_EQ, _T_W, _T_B_EQ].flatMap(_forms),
  ..._eqnForms([_T_W_EQN, _T_B_EQN, _T_W_EQ_PAIR]),
];
/** The first of the fused `_T_H_EQ2` operations (see {@linkcode _CHAIN_FOLLOWERS}). */
export const _T_H_EQ2_THEN = _T_H_EQ_THEN + _FOLLOWERS.length;

/** A test's four forms: continuing, both targets returning, the true one, the false one. */
function _forms(op: number): number[] {
  return [op, op + _RET_PAIR, op + _TRUE_RETURNS, op + _FALSE_RETURNS];
}

/** Equality lists' two forms: continuing at the false target, returning it. */
function _eqnForms(ops: readonly number[]): number[] {
  return ops.flatMap((op) => [op, op + _EQN_RETFALSE]);
}

/** The ALU operations in `_ALU_K + i` order. */
export const _ALU_OPS: readonly number[] = [
  BPF_ADD,
  BPF_SUB,
  BPF_MUL,
  BPF_DIV,
  BPF_MOD,
  BPF_AND,
  BPF_OR,
  BPF_XOR,
  BPF_LSH,
  BPF_RSH,
];

/** Lays out a lowered program as dispatch code; block 0 starts at 0. */
export function _encodeDispatch(program: _LoweredProgram): Int32Array {
  const lowered = _withRanges(program);
  const code: number[] = [];
  const blockAt: number[] = [];
  /** Places in `code` holding a block index to replace by the block's place. */
  const patches: number[] = [];
  const emit = (...values: number[]) => {
    for (const v of values) code.push(v | 0);
  };
  /** Where each block's last operation (its exit) starts. */
  const exitAt: number[] = [];
  lowered.blocks.forEach((block, index) => {
    blockAt.push(code.length);
    const fuseHeaderLength = _fusesHeaderLength(block);
    const steps = _shortened(fuseHeaderLength ? block.steps.slice(0, -1) : block.steps);
    const cellTest = _cellTest(block, steps);
    _emitSteps(emit, cellTest === undefined ? steps : steps.slice(0, -1), block.need);
    if (cellTest !== undefined) {
      emit(_T_X_MEM, cellTest.cell, cellTest.test.op, cellTest.test.whenTrue);
      emit(cellTest.test.whenFalse);
      patches.push(code.length - 2, code.length - 1);
      return;
    }
    exitAt.push(code.length);
    if (fuseHeaderLength) {
      const msh = block.steps[block.steps.length - 1] as _LoadHeaderLength;
      _emitHeaderLengthTest(emit, patches, code, msh, block.exit as _Test, lowered.blocks);
    } else _emitExit(emit, patches, code, block.exit, lowered.blocks, index);
  });
  // A negative entry (`~block`, from the lists) is a true target that only returns: it becomes
  // `~place` of the constant, the operand of that block's `_RET`.
  for (const at of patches) {
    code[at] = code[at] < 0 ? ~(blockAt[~code[at]] + 1) : blockAt[code[at]];
  }
  _fuseFollowers(code, exitAt);
  return Int32Array.from(code);
}

/**
 * `program` with each pair of tests `A >= lo` then, on its true edge, a block
 * that only tests `A > hi` and goes where the first fails (the filter
 * compiler's `portrange`: `jge #lo; jgt #hi`) written as one range test, `lo
 * ≤ A ≤ hi`, in the first block: one dispatch instead of two. The second
 * block stays (other edges may reach it).
 */
export function _withRanges(program: _LoweredProgram): _LoweredProgram {
  const blocks = program.blocks.map((block) => {
    const first = block.exit;
    if (first.kind !== "test" || first.useX || first.rangeMask !== 0xffffffff) return block;
    const lo = _lowerBound(first);
    const second = program.blocks[first.whenTrue];
    const next = second.exit;
    if (lo === undefined || second.steps.length > 0 || second.need > 0) return block;
    if (next.kind !== "test" || next.useX || next.producer !== undefined) return block;
    if (next.shift !== 0 || next.mask !== 0xffffffff || next.whenTrue !== first.whenFalse) {
      return block;
    }
    const hi = _upperBoundWhenFalse(next);
    if (hi === undefined || hi < lo) return block;
    const exit: _Test = { ...first, low: lo, span: hi - lo, whenTrue: next.whenFalse };
    return { ...block, exit };
  });
  return { ...program, blocks };
}

/** The least A a `jge`/`jgt` test holds for (its range's low end), if it is one. */
function _lowerBound(test: _Test): number | undefined {
  const k = test.k >>> 0;
  if (test.op === BPF_JGE) return k;
  if (test.op === BPF_JGT && k < 0xffffffff) return k + 1;
  return undefined;
}

/** The greatest A for which a `jgt`/`jge` test on A fails, if it is one that can fail. */
function _upperBoundWhenFalse(test: _Test): number | undefined {
  const k = test.k >>> 0;
  if (test.op === BPF_JGT) return k;
  if (test.op === BPF_JGE && k > 0) return k - 1;
  return undefined;
}

/**
 * Gives each `_T_H_EQ retfalse` exit whose true edge is the next operation,
 * when that is one of {@linkcode _FOLLOWERS}, the number that runs both in
 * one dispatch (`_T_H_EQ_THEN + i`); and each `_T_H_EQ2` chain whose first
 * true edge is, when that is one of {@linkcode _CHAIN_FOLLOWERS}
 * (`_T_H_EQ2_THEN + i`). The next operation keeps its place and
 * number: other edges still reach it.
 */
function _fuseFollowers(code: number[], exitAt: readonly number[]): void {
  for (const at of exitAt) {
    const op = code[at];
    if (op === _T_H_EQ + _FALSE_RETURNS && code[at + 3] === at + 5) {
      const follower = _FOLLOWERS.indexOf(code[at + 5]);
      if (follower >= 0) code[at] = _T_H_EQ_THEN + follower;
    } else if ((op === _T_H_EQ2 || op === _T_H_EQ2 + _FALSE_RETURNS) && code[at + 3] === at + 7) {
      const follower = _CHAIN_FOLLOWERS.indexOf(code[at + 7]);
      const form = op === _T_H_EQ2 ? 0 : _CHAIN_FOLLOWERS.length;
      if (follower >= 0) code[at] = _T_H_EQ2_THEN + form + follower;
    }
  }
}

type _Emit = (...values: number[]) => void;

/**
 * Emits a block's steps, each field run (`_fieldEnd`) as one `_FIELD_*`,
 * the block's bounds check (`need`) folded into its first step when that is
 * a field (nothing observable happens between the two).
 */
function _emitSteps(emit: _Emit, steps: readonly _Step[], need: number): void {
  let at = 0;
  // The check folds only into a field on [k] (an `[x + k]` one checks its own bounds only).
  const folds = steps[0]?.kind === "load" && _fieldEnd(steps, 0, true) >= 0;
  if (need > 0 && !folds) emit(_NEED, need);
  while (at < steps.length) {
    const fromCell = _xFromCellEnd(steps, at);
    if (fromCell >= 0) {
      const add = steps[fromCell - 1];
      const k = add.kind === "alu" && !add.useX ? add.k : 0;
      emit(_X_FROM_CELL, (steps[at] as _LoadScratch).cell, k);
      at = fromCell + 1;
      continue;
    }
    const end = _fieldEnd(steps, at, at === 0 && need > 0);
    if (end < 0) {
      _emitStep(emit, steps[at++]);
      continue;
    }
    const store = steps[end + 1];
    const toCell = steps[end].kind !== "tax" && steps[at].kind === "load" &&
        store?.kind === "store" && store.from === "a"
      ? store.cell
      : -1;
    _emitField(emit, steps, at, end, at === 0 && folds ? need : 0, toCell);
    at = toCell < 0 ? end + 1 : end + 2;
  }
}

/** Where `ld M[c]; add x; (add #k;)? tax` starting at `first` ends, else -1. */
function _xFromCellEnd(steps: readonly _Step[], first: number): number {
  const load = steps[first];
  const addX = steps[first + 1];
  if (load?.kind !== "load-scratch" || load.into !== "a") return -1;
  if (addX?.kind !== "alu" || !addX.useX || addX.op !== BPF_ADD) return -1;
  const addK = steps[first + 2];
  const last = addK?.kind === "alu" && !addK.useX && addK.op === BPF_ADD ? first + 3 : first + 2;
  return steps[last]?.kind === "tax" ? last : -1;
}

/**
 * The test of a block that ends `ld M[c]; j<op> x` (no shift or mask left
 * on A), laid out as one `_T_X_MEM`; undefined for other blocks.
 */
function _cellTest(
  block: _LoweredBlock,
  steps: readonly _Step[],
): { cell: number; test: _Test } | undefined {
  const test = block.exit;
  const last = steps[steps.length - 1];
  if (test.kind !== "test" || !test.useX || test.producer !== undefined) return undefined;
  if (test.shift !== 0 || test.mask !== 0xffffffff) return undefined;
  if (last?.kind !== "load-scratch" || last.into !== "a") return undefined;
  return { cell: last.cell, test };
}

/**
 * Where a field run starting at `first` ends: a load at `k ≥ 0`, then at most
 * one `rsh #k`, one `and #k` and one `add #k` in that order, then at most one
 * `tax`; -1 when no run starts there, or when it is the load alone and
 * neither checks bounds itself nor takes the block's check (`takesNeed`):
 * a plain load is cheaper as `_LD_*`, a checked one saves the `_NEED`.
 */
function _fieldEnd(steps: readonly _Step[], first: number, takesNeed: boolean): number {
  const load = steps[first];
  const absolute = load?.kind === "load" && load.offset >= 0;
  if (!absolute && load?.kind !== "load-indirect") return -1;
  let at = first + 1;
  for (const op of [BPF_RSH, BPF_AND, BPF_ADD]) {
    const step = steps[at];
    if (step?.kind === "alu" && !step.useX && step.op === op) at++;
  }
  if (steps[at]?.kind === "tax") at++;
  if (at - 1 > first) return at - 1;
  return load.kind === "load" && (load.checked || takesNeed) ? first : -1;
}

function _emitField(
  emit: _Emit,
  steps: readonly _Step[],
  first: number,
  last: number,
  need: number,
  toCell: number,
): void {
  const load = steps[first] as _LoadAbsolute | _LoadIndirect;
  const { shift, mask, add, toX } = _fieldRunParts(steps, first, last);
  const bySize = load.size === 1 ? 0 : load.size === 2 ? 1 : 2;
  if (load.kind === "load-indirect") {
    const op = (toX ? _FIELD_IND_B_X : _FIELD_IND_B) + bySize;
    return emit(op, load.offset, 0, shift, mask, add);
  }
  const own = load.checked ? load.offset + load.size : 0;
  const check = Math.max(own, need);
  if (toCell >= 0) return emit(_FIELD_B_M + bySize, load.offset, check, shift, mask, add, toCell);
  emit((toX ? _FIELD_B_X : _FIELD_B) + bySize, load.offset, check, shift, mask, add);
}

function _emitStep(emit: _Emit, step: _Step): void {
  switch (step.kind) {
    case "load":
      if (step.offset < 0) return emit(_LD_NEG, step.offset, step.size);
      if (step.checked) emit(_NEED, step.offset + step.size);
      return emit(step.size === 1 ? _LD_B : step.size === 2 ? _LD_H : _LD_W, step.offset);
    case "load-indirect":
      return emit(
        step.size === 1 ? _LD_IND_B : step.size === 2 ? _LD_IND_H : _LD_IND_W,
        step.offset,
      );
    case "load-header-length":
      if (step.offset < 0) return emit(_LDX_MSH_NEG, step.offset);
      if (step.checked) emit(_NEED, step.offset + 1);
      return emit(_LDX_MSH, step.offset);
    case "load-ancillary":
      return emit(_LD_ANC, step.field);
    case "load-length":
      return emit(step.into === "a" ? _LD_LEN : _LDX_LEN);
    case "load-constant":
      return emit(step.into === "a" ? _LD_IMM : _LDX_IMM, step.value);
    case "load-scratch":
      return emit(step.into === "a" ? _LD_MEM : _LDX_MEM, step.cell);
    case "store":
      return emit(step.from === "a" ? _ST : _STX, step.cell);
    case "alu": {
      const index = _ALU_OPS.indexOf(step.op);
      if (index < 0) return emit(_NEG);
      return step.useX ? emit(_ALU_X + index) : emit(_ALU_K + index, step.k);
    }
    case "tax":
      return emit(_TAX);
    case "txa":
      return emit(_TXA);
  }
}

/**
 * Whether a block ends with `ldxb 4*([m]&0xf)` (m ≥ 0) and a test on
 * `[x + k]` with `0 ≤ k ≤ 0xffff`, laid out as one `_T_MSH_IND_*`.
 */
function _fusesHeaderLength(block: _LoweredBlock): boolean {
  const last = block.steps[block.steps.length - 1];
  const exit = block.exit;
  return last?.kind === "load-header-length" && last.offset >= 0 && exit.kind === "test" &&
    !exit.useX && exit.producer?.kind === "load-indirect" && exit.producer.offset >= 0 &&
    exit.producer.offset <= 0xffff;
}

function _emitHeaderLengthTest(
  emit: _Emit,
  patches: number[],
  code: number[],
  msh: _LoadHeaderLength,
  test: _Test,
  blocks: readonly _LoweredBlock[],
): void {
  const { offset, size } = test.producer as _LoadIndirect;
  const list = _equalList(test, blocks);
  if (list !== undefined && size === 2) {
    return _emitEqualList(
      emit,
      patches,
      code,
      _T_MSH_IND_H_EQN,
      [msh.offset, offset],
      list,
      blocks,
    );
  }
  const opAt = code.length;
  emit(size === 1 ? _T_MSH_IND_B : size === 2 ? _T_MSH_IND_H : _T_MSH_IND_W, msh.offset, offset);
  emit(test.shift, test.mask, test.rangeMask, test.low, test.span);
  _emitTargets(emit, patches, code, opAt, test, blocks);
}

/** The constant a block returns, if all it does is return one. */
function _returnOnly(block: _LoweredBlock): number | undefined {
  const exit = block.exit;
  if (block.steps.length > 0 || block.need > 0 || exit.kind !== "return") return undefined;
  return exit.value;
}

/**
 * Emits a fused test's last two operands, its targets: two constants and the
 * operation number raised by `_RET_PAIR` (at `opAt`) when both targets only
 * return, else the two blocks (patched to places later).
 */
function _emitTargets(
  emit: _Emit,
  patches: number[],
  code: number[],
  opAt: number,
  test: _Test,
  blocks: readonly _LoweredBlock[],
): void {
  const whenTrue = _returnOnly(blocks[test.whenTrue]);
  const whenFalse = _returnOnly(blocks[test.whenFalse]);
  if (whenTrue !== undefined && whenFalse !== undefined) {
    code[opAt] += _RET_PAIR;
    return emit(whenTrue, whenFalse);
  }
  if (whenTrue !== undefined) {
    code[opAt] += _TRUE_RETURNS;
    emit(whenTrue, test.whenFalse);
    patches.push(code.length - 1);
    return;
  }
  if (whenFalse !== undefined) {
    code[opAt] += _FALSE_RETURNS;
    emit(test.whenTrue, whenFalse);
    patches.push(code.length - 2);
    return;
  }
  emit(test.whenTrue, test.whenFalse);
  patches.push(code.length - 2, code.length - 1);
}

/** Whether a test has no load, shift or mask: `A == k` on K. */
function _isPlainEqual(test: _Test): boolean {
  return !test.useX && test.op === BPF_JEQ && test.shift === 0 && test.mask === 0xffffffff;
}

/** The `A == v` test a block is made of (no steps, no bounds check), if it is only that. */
function _onlyEqualOnA(block: _LoweredBlock): _Test | undefined {
  const exit = block.exit;
  if (block.steps.length > 0 || block.need > 0 || exit.kind !== "test") return undefined;
  return exit.producer === undefined && _isPlainEqual(exit) ? exit : undefined;
}

/** An equality list's values with their true targets, and its last false target. */
interface _EqualList {
  pairs: [value: number, whenTrue: number][];
  whenFalse: number;
}

/** The most values one equality list takes (a longer run goes on in a second one). */
const _EQN_MAX = 64;

/**
 * The equality list `test` starts ({@linkcode _T_A_EQN}): its own `== v`,
 * then each block on the false edges that only tests `A == v`; undefined
 * when that makes fewer than `_EQN_MIN` values.
 */
function _equalList(test: _Test, blocks: readonly _LoweredBlock[]): _EqualList | undefined {
  if (test.useX || !_isPlainEqual(test)) return undefined;
  const pairs: [number, number][] = [[test.k, test.whenTrue]];
  let whenFalse = test.whenFalse;
  for (let next = _onlyEqualOnA(blocks[whenFalse]); next !== undefined;) {
    if (pairs.length === _EQN_MAX) break;
    pairs.push([next.k, next.whenTrue]);
    whenFalse = next.whenFalse;
    next = _onlyEqualOnA(blocks[whenFalse]);
  }
  return pairs.length >= _EQN_MIN ? { pairs, whenFalse } : undefined;
}

/**
 * A list's true target before patching: the block, or `~block` when the block
 * only returns a constant (the list returns it then, read from that block's
 * `_RET`, instead of dispatching to it).
 */
function _listTarget(block: number, blocks: readonly _LoweredBlock[]): number {
  return _returnOnly(blocks[block]) === undefined ? block : ~block;
}

/** Emits an equality list: `op` (raised by `_EQN_RETFALSE` when the false target returns), its load's operands, n, the pairs, the false target. */
function _emitEqualList(
  emit: _Emit,
  patches: number[],
  code: number[],
  op: number,
  loadOperands: readonly number[],
  { pairs, whenFalse }: _EqualList,
  blocks: readonly _LoweredBlock[],
): void {
  const last = _returnOnly(blocks[whenFalse]);
  emit(last === undefined ? op : op + _EQN_RETFALSE, ...loadOperands, pairs.length);
  for (const [value, whenTrue] of pairs) {
    emit(value, _listTarget(whenTrue, blocks));
    patches.push(code.length - 1);
  }
  emit(last ?? whenFalse);
  if (last === undefined) patches.push(code.length - 1);
}

/** Whether a test is `[k] & mask == v` on a word at `k ≥ 0`. */
function _maskedWordEqual(test: _Test): boolean {
  const producer = test.producer;
  return !test.useX && test.op === BPF_JEQ && test.shift === 0 && producer?.kind === "load" &&
    producer.size === 4 && producer.offset >= 0;
}

/** The masked word test a block is made of (no steps, no bounds check), if it is only that. */
function _onlyMaskedWordEqual(block: _LoweredBlock): _Test | undefined {
  const exit = block.exit;
  if (block.steps.length > 0 || block.need > 0 || exit.kind !== "test") return undefined;
  return _maskedWordEqual(exit) ? exit : undefined;
}

/** Emits the word pair `first` starts with `second` on its false edge ({@linkcode _T_W_PAIR}, {@linkcode _T_W_EQ_PAIR}). */
function _emitWordPair(
  emit: _Emit,
  patches: number[],
  code: number[],
  first: _Test,
  second: _Test,
  blocks: readonly _LoweredBlock[],
): void {
  const last = _returnOnly(blocks[second.whenFalse]);
  const masked = first.mask !== 0xffffffff || second.mask !== 0xffffffff;
  const op = masked ? _T_W_PAIR : _T_W_EQ_PAIR;
  emit(last === undefined ? op : op + _EQN_RETFALSE);
  for (const test of [first, second]) {
    const offset = (test.producer as _LoadAbsolute).offset;
    if (masked) emit(offset, test.mask, test.k, _listTarget(test.whenTrue, blocks));
    else emit(offset, test.k, test.whenTrue);
    patches.push(code.length - 1);
  }
  emit(last ?? second.whenFalse);
  if (last === undefined) patches.push(code.length - 1);
}

function _emitExit(
  emit: _Emit,
  patches: number[],
  code: number[],
  exit: _Exit,
  blocks: readonly _LoweredBlock[],
  index: number,
): void {
  switch (exit.kind) {
    case "return":
      return emit(_RET, exit.value);
    case "return-a":
      return emit(_RET_A);
    case "goto":
      emit(exit.backward ? _GOTO_BACK : _GOTO, exit.to);
      patches.push(code.length - 1);
      return;
    case "test":
      return _emitTest(emit, patches, code, exit, blocks, index);
  }
}

function _emitTest(
  emit: _Emit,
  patches: number[],
  code: number[],
  test: _Test,
  blocks: readonly _LoweredBlock[],
  index: number,
): void {
  const { producer } = test;
  // A 2-byte list whose first true edge is the next block stays a `_T_H_EQ2` chain, which
  // runs into that block's test in the same dispatch (the ether types before `host`/`net`).
  const chainFirst = producer?.kind === "load" && producer.size === 2 &&
    test.whenTrue === index + 1;
  const list = chainFirst ? undefined : _equalList(test, blocks);
  if (list !== undefined && producer === undefined) {
    return _emitEqualList(emit, patches, code, _T_A_EQN, [], list, blocks);
  }
  if (list !== undefined && producer?.kind === "load" && producer.offset >= 0) {
    const op = _T_B_EQN + (producer.size === 1 ? 0 : producer.size === 2 ? 1 : 2);
    const written = op === _T_H_EQN && list.pairs.length === 3 ? _T_H_EQ3 : op;
    return _emitEqualList(emit, patches, code, written, [producer.offset], list, blocks);
  }
  const second = _maskedWordEqual(test) ? _onlyMaskedWordEqual(blocks[test.whenFalse]) : undefined;
  if (second !== undefined) return _emitWordPair(emit, patches, code, test, second, blocks);
  if (test.useX) {
    // The producer runs as a step; the test reads A as it is after the shift and mask.
    if (producer !== undefined) _emitStep(emit, producer);
    if (test.shift !== 0) emit(_ALU_K + _ALU_OPS.indexOf(BPF_RSH), test.shift);
    if (test.mask !== 0xffffffff) emit(_ALU_K + _ALU_OPS.indexOf(BPF_AND), test.mask);
    emit(_T_X, test.op, test.whenTrue, test.whenFalse);
    patches.push(code.length - 2, code.length - 1);
    return;
  }
  const plain = _isPlainEqual(test);
  const next = plain ? _onlyEqualOnA(blocks[test.whenFalse]) : undefined;
  if (next !== undefined && producer === undefined) {
    const last = _returnOnly(blocks[next.whenFalse]);
    emit(last === undefined ? _T_A_EQ2 : _T_A_EQ2 + _FALSE_RETURNS, test.k, test.whenTrue, next.k);
    emit(next.whenTrue, last ?? next.whenFalse);
    patches.push(code.length - 4, code.length - 2);
    if (last === undefined) patches.push(code.length - 1);
    return;
  }
  if (next !== undefined && producer?.kind === "load" && producer.offset >= 0) {
    const size = producer.size;
    const last = _returnOnly(blocks[next.whenFalse]);
    const op = size === 1 ? _T_B_EQ2 : size === 2 ? _T_H_EQ2 : _T_W_EQ2;
    emit(last === undefined ? op : op + _FALSE_RETURNS, producer.offset, test.k);
    emit(test.whenTrue, next.k, next.whenTrue, last ?? next.whenFalse);
    patches.push(code.length - 4, code.length - 2);
    if (last === undefined) patches.push(code.length - 1);
    return;
  }
  const opAt = code.length;
  if (plain && producer === undefined) {
    emit(_T_A_EQ, test.k);
    return _emitTargets(emit, patches, code, opAt, test, blocks);
  }
  if (plain && producer?.kind === "load" && producer.offset >= 0) {
    const size = producer.size;
    emit(size === 1 ? _T_B_EQ : size === 2 ? _T_H_EQ : _T_W_EQ, producer.offset, test.k);
    return _emitTargets(emit, patches, code, opAt, test, blocks);
  }
  let op = _T_A;
  let k = 0;
  let e = 0;
  if (producer?.kind === "load-length") op = _T_LEN;
  else if (producer?.kind === "load") {
    k = producer.offset;
    if (k < 0) {
      op = _T_NEG;
      e = producer.size;
    } else {
      op = producer.size === 1 ? _T_B : producer.size === 2 ? _T_H : _T_W;
      e = producer.checked ? k + producer.size : 0;
    }
  } else if (producer?.kind === "load-indirect") {
    k = producer.offset;
    op = producer.size === 1 ? _T_IND_B : producer.size === 2 ? _T_IND_H : _T_IND_W;
  }
  emit(op, k, e, test.shift, test.mask, test.rangeMask, test.low, test.span);
  if (op === _T_NEG) {
    emit(test.whenTrue, test.whenFalse);
    patches.push(code.length - 2, code.length - 1);
    return;
  }
  _emitTargets(emit, patches, code, opAt, test, blocks);
  // `_T_LEN`'s variants have numbers of their own (see `_T_LEN_RET`).
  if (op === _T_LEN && code[opAt] !== _T_LEN) code[opAt] = _lengthTestVariant(code[opAt] - _T_LEN);
}

/** The operation of `_T_LEN` raised by `variant` (`_RET_PAIR`, `_TRUE_RETURNS`, `_FALSE_RETURNS`). */
export function _lengthTestVariant(variant: number): number {
  return variant === _RET_PAIR
    ? _T_LEN_RET
    : variant === _TRUE_RETURNS
    ? _T_LEN_RETTRUE
    : _T_LEN_RETFALSE;
}
