/**
 * The lowered form of a validated program (private): basic blocks of
 * straight-line steps, each block ending in a return, a jump or a fused test
 * (a load, an `and #k` / `rsh #k` run folded into one shift and mask, and a
 * conditional jump). The closure and Wasm backends consume this form instead
 * of each re-reading the opcodes; the block plan and the hoisted bounds
 * checks come from {@linkcode _planBlocks}.
 *
 * @module
 */
import type { Program } from "./instruction.ts";
import { _ancillaryField, _needsDevice } from "./_ancillary.ts";
import { _jumpTarget, _planBlocks } from "./_blocks.ts";
import { _loadSize } from "./_packet_access.ts";
import {
  BPF_A,
  BPF_ALU,
  BPF_AND,
  BPF_IMM,
  BPF_IND,
  BPF_JA,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_LDX,
  BPF_LEN,
  BPF_MEM,
  BPF_MISC,
  BPF_RET,
  BPF_RSH,
  BPF_ST,
  BPF_STX,
  BPF_TAX,
  BPF_X,
} from "./opcodes.ts";

/** `A = [k]` (int32 `offset`; negative: the `SKF_NET_OFF`/`SKF_LL_OFF` windows). */
export interface _LoadAbsolute {
  kind: "load";
  offset: number;
  size: number;
  /** Whether the load checks its own bounds (false: its block's start checked them). */
  checked: boolean;
}
/** `A = [x + k]`. */
export interface _LoadIndirect {
  kind: "load-indirect";
  offset: number;
  size: number;
}
/** `X = 4 * ([k] & 0xf)`. */
export interface _LoadHeaderLength {
  kind: "load-header-length";
  offset: number;
  checked: boolean;
}
/** `A = <SKF_AD_* field>`; `endsWithoutDevice`: with ifindex 0 the program returns A here. */
export interface _LoadAncillary {
  kind: "load-ancillary";
  field: number;
  endsWithoutDevice: boolean;
}
/** `A` or `X` = the wire length (`ld len`). */
export interface _LoadLength {
  kind: "load-length";
  into: "a" | "x";
}
/** `A` or `X` = `value`. */
export interface _LoadConstant {
  kind: "load-constant";
  into: "a" | "x";
  value: number;
}
/** `A` or `X` = `M[cell]`. */
export interface _LoadScratch {
  kind: "load-scratch";
  into: "a" | "x";
  cell: number;
}
/** `M[cell]` = `A` or `X`. */
export interface _Store {
  kind: "store";
  from: "a" | "x";
  cell: number;
}
/** `A = A op K` or `A op X` (`op`: the `BPF_ALU` operation bits). */
export interface _Alu {
  kind: "alu";
  op: number;
  useX: boolean;
  k: number;
}
/** `tax` (X = A) or `txa` (A = X). */
export interface _Transfer {
  kind: "tax" | "txa";
}

/** One straight-line step of a block. */
export type _Step =
  | _LoadAbsolute
  | _LoadIndirect
  | _LoadHeaderLength
  | _LoadAncillary
  | _LoadLength
  | _LoadConstant
  | _LoadScratch
  | _Store
  | _Alu
  | _Transfer;

/** What a fused test reads into A before its mask: a packet load, the length, or A itself. */
export type _Producer = _LoadAbsolute | _LoadIndirect | _LoadLength | undefined;

/** `return value`. */
export interface _Return {
  kind: "return";
  value: number;
}
/** `return A`. */
export interface _ReturnA {
  kind: "return-a";
}
/** Continue at block `to` (a `ja`, a fall-through, or a jump whose two targets agree). */
export interface _Goto {
  kind: "goto";
  to: number;
  /** Whether `to` comes before this block (libpcap's backward `ja`). */
  backward: boolean;
}
/**
 * A fused test: `A = producer` (when given), `A = (A >>> shift) & mask`,
 * then `A op K` or `A op X`. On K it is one unsigned range test,
 * `((A & rangeMask) - low) >>> 0 <= span`.
 */
export interface _Test {
  kind: "test";
  producer: _Producer;
  shift: number;
  mask: number;
  /** BPF_JEQ, BPF_JGT, BPF_JGE or BPF_JSET. */
  op: number;
  useX: boolean;
  k: number;
  rangeMask: number;
  low: number;
  span: number;
  whenTrue: number;
  whenFalse: number;
}
/**
 * Whether the fused test `test` on K is taken for `A` (its `rsh`/`and`
 * already applied): the compile-time form of the range test above, for passes
 * that decide tests on known values (the run-time literals inline it).
 */
export function _testTaken(test: _Test, A: number): boolean {
  return ((A & test.rangeMask) - test.low) >>> 0 <= test.span >>> 0;
}

/** How a block ends. */
export type _Exit = _Return | _ReturnA | _Goto | _Test;

/** A basic block. */
export interface _LoweredBlock {
  /** Its first instruction. */
  start: number;
  /** Bytes from `dataOffset` its unchecked loads need (0: nothing to check). */
  need: number;
  steps: _Step[];
  exit: _Exit;
}

/** A lowered program: blocks in program order, block 0 the entry. */
export interface _LoweredProgram {
  blocks: _LoweredBlock[];
  /** Whether some `goto` goes backwards. */
  backward: boolean;
}

/** Lowers a validated program into blocks with fused tests. */
export function _lower(program: Program): _LoweredProgram {
  const plan = _planBlocks(program);
  const length = program.length;
  const blockOf = new Int32Array(length).fill(-1);
  const starts: number[] = [];
  for (let pc = 0; pc < length; pc++) {
    if (plan.leader[pc]) {
      blockOf[pc] = starts.length;
      starts.push(pc);
    }
  }
  const blocks = starts.map((start, index): _LoweredBlock => {
    const end = index + 1 < starts.length ? starts[index + 1] : length;
    return _lowerBlock(program, start, end, plan.need[start], plan.hoisted, blockOf);
  });
  return { blocks, backward: plan.backward };
}

function _lowerBlock(
  program: Program,
  start: number,
  end: number,
  need: number,
  hoisted: Uint8Array,
  blockOf: Int32Array,
): _LoweredBlock {
  const steps: _Step[] = [];
  for (let pc = start; pc < end; pc++) {
    const { code, jt, jf, k } = program[pc];
    const cls = code & 0x07;
    if (cls === BPF_RET) {
      const exit: _Exit = (code & 0x18) === BPF_A
        ? { kind: "return-a" }
        : { kind: "return", value: k >>> 0 };
      return { start, need, steps, exit };
    }
    if (cls === BPF_JMP) {
      if ((code & 0xf0) === BPF_JA) {
        const to = _jumpTarget(pc, k | 0);
        return { start, need, steps, exit: _goto(blockOf[to], to <= pc) };
      }
      const t = blockOf[pc + 1 + jt];
      const f = blockOf[pc + 1 + jf];
      if (t === f) return { start, need, steps, exit: _goto(t, false) };
      return { start, need, steps, exit: _fuseTest(steps, code, k, t, f) };
    }
    steps.push(_step(code, k, hoisted[pc] === 1));
  }
  // Falls through into the next block.
  return { start, need, steps, exit: _goto(blockOf[end], false) };
}

function _goto(to: number, backward: boolean): _Goto {
  return { kind: "goto", to, backward };
}

/** The step of one non-jump, non-return instruction. */
function _step(code: number, k: number, isHoisted: boolean): _Step {
  const into = (code & 0x07) === BPF_LDX ? "x" : "a";
  switch (code & 0x07) {
    case BPF_ALU:
      return { kind: "alu", op: code & 0xf0, useX: (code & BPF_X) !== 0, k: k >>> 0 };
    case BPF_MISC:
      return { kind: (code & 0xf8) === BPF_TAX ? "tax" : "txa" };
    case BPF_ST:
      return { kind: "store", from: "a", cell: k };
    case BPF_STX:
      return { kind: "store", from: "x", cell: k };
  }
  switch (code & 0xe0) {
    case BPF_IMM:
      return { kind: "load-constant", into, value: k >>> 0 };
    case BPF_MEM:
      return { kind: "load-scratch", into, cell: k };
    case BPF_LEN:
      return { kind: "load-length", into };
    case BPF_IND:
      return { kind: "load-indirect", offset: k | 0, size: _loadSize(code) };
  }
  if (into === "x") return { kind: "load-header-length", offset: k | 0, checked: !isHoisted };
  const field = _ancillaryField(k);
  if (field >= 0) return { kind: "load-ancillary", field, endsWithoutDevice: _needsDevice(field) };
  return { kind: "load", offset: k | 0, size: _loadSize(code), checked: !isHoisted };
}

/**
 * The block's exit for a conditional jump: takes the trailing `and #k` /
 * `rsh #k` run and, before it, a packet load or `ld len` off the steps and
 * folds them into the test.
 */
function _fuseTest(steps: _Step[], code: number, k: number, t: number, f: number): _Test {
  let shift = 0;
  let mask = 0xffffffff;
  // The ALU run, read backwards: folding `A = (A >>> s) & m` then `op`.
  let first = steps.length;
  while (first > 0 && steps.length - first < 8) {
    const step = steps[first - 1];
    if (step.kind !== "alu" || step.useX || (step.op !== BPF_AND && step.op !== BPF_RSH)) break;
    first--;
  }
  for (let i = first; i < steps.length; i++) {
    const { op, k: operand } = steps[i] as _Alu;
    if (op === BPF_AND) mask = (mask & operand) >>> 0;
    else {
      const r = operand & 31; // as `a >>> k`
      if (shift + r >= 32) {
        shift = 0;
        mask = 0;
      } else {
        shift += r;
        mask >>>= r;
      }
    }
  }
  steps.length = first;
  let producer: _Producer;
  const last = steps[steps.length - 1];
  if (
    last !== undefined &&
    (last.kind === "load" || last.kind === "load-indirect" ||
      (last.kind === "load-length" && last.into === "a"))
  ) {
    producer = last;
    steps.length--;
  }
  const op = code & 0xf0;
  const useX = (code & BPF_X) !== 0;
  let rangeMask = 0xffffffff;
  let low = k >>> 0;
  let span = 0; // BPF_JEQ
  if (op === BPF_JGE) span = 0xffffffff - low;
  else if (op === BPF_JSET) {
    rangeMask = k >>> 0;
    low = 1;
    span = 0xfffffffe;
  } else if (op === BPF_JGT) {
    if (low === 0xffffffff) rangeMask = 0; // never: (0 - k) >>> 0 is 1, above span 0
    else {
      low = low + 1;
      span = 0xffffffff - low;
    }
  }
  return {
    kind: "test",
    producer,
    shift,
    mask,
    op,
    useX,
    k: k >>> 0,
    rangeMask,
    low,
    span,
    whenTrue: t,
    whenFalse: f,
  };
}
