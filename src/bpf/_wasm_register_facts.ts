/**
 * What the Wasm backend's emitter (./_wasm_codegen.ts) may assume about A
 * and X at each block of a lowered program (private).
 *
 * **A in the packet's byte order.** A halfword or word load into A is kept
 * as Wasm loads it, little-endian (`raw`), and put in the kernel's order (a
 * byte swap) only where a step needs the value itself: an ALU step other
 * than `and #k`, `tax`, `st`, `ret a`, an ordered compare, a compare with
 * X, a shifted test, an ancillary load. Tests `jeq #k` and `jset #k` (after
 * an `and #m`) compare the raw value against byte-swapped constants instead,
 * so a program whose loads only feed such tests swaps no byte. Where the
 * blocks that jump to a block (where A is live) leave A in different orders,
 * those that left it raw swap it before their exit. On every path a load is
 * swapped at most once, as before.
 *
 * **X small.** After `ldx 4*([k]&0xf)` X is at most 60 (and after `ldx #k`
 * with a small `k`), so an indexed load `[x + k]` with `0 <= k` cannot land at
 * a negative offset: the emitter leaves out the `SKF_NET_OFF`/`SKF_LL_OFF`
 * path there.
 *
 * **Bytes already checked.** A block whose every path in has passed a bounds
 * check of at least the bytes its own needs leaves its check out.
 *
 * @module
 */
import type { _Exit, _LoweredBlock, _LoweredProgram, _Step } from "./_lower.ts";
import { BPF_AND, BPF_JEQ, BPF_JSET } from "./opcodes.ts";

/** How A is held: in the kernel's order (0), or as a little-endian load of 2 or 4 bytes. */
export type _ByteOrder = 0 | 2 | 4;

/** An X no larger than this makes `x + k` (`0 <= k <= 2^31 - 2^16`) a non-negative int32. */
const SMALL_X = 0xffff;

/** The facts at each block of a lowered program. */
export interface _RegisterFacts {
  /** How A is held when a block starts (0 where A is not live there). */
  aOrder: _ByteOrder[];
  /** Whether a block puts A in the kernel's order before its exit. */
  swapAtExit: boolean[];
  /** Whether X is at most 0xffff when a block starts. */
  xSmall: boolean[];
  /**
   * Bytes from offset 0 that every path to a block has already checked are
   * there (a passed check of `need` bytes): its own checks of as many or
   * fewer are left out.
   */
  known: number[];
}

/** The bytes a step's own bounds check covers (0: none). */
export function _checkedBytes(step: _Step): number {
  if ((step.kind === "load" || step.kind === "load-header-length") && step.checked) {
    return step.offset >= 0 ? step.offset + (step.kind === "load" ? step.size : 1) : 0;
  }
  return 0;
}

/** The bytes known to be there after a block's checks, from those known at its start. */
function _knownAfter(block: _LoweredBlock, known: number): number {
  if (block.need > known) known = block.need;
  for (const step of block.steps) known = Math.max(known, _checkedBytes(step));
  const exit = block.exit;
  if (exit.kind === "test" && exit.producer !== undefined) {
    known = Math.max(known, _checkedBytes(exit.producer));
  }
  return known;
}

/** Whether an indexed load at `offset` with a small X can skip the negative windows. */
export function _nonNegativeIndex(xSmall: boolean, offset: number): boolean {
  return xSmall && offset >= 0 && offset <= 0x7fffffff - SMALL_X;
}

/** Whether a step reads A's value (and so needs it in the kernel's order, unless `and #k`). */
function _stepReadsA(step: _Step): boolean {
  switch (step.kind) {
    case "alu":
    case "tax":
    case "load-ancillary":
      return true;
    case "store":
      return step.from === "a";
    default:
      return false;
  }
}

/** Whether a step sets A without reading it. */
function _stepSetsA(step: _Step): boolean {
  switch (step.kind) {
    case "load":
    case "load-indirect":
    case "txa":
      return true;
    case "load-length":
    case "load-constant":
    case "load-scratch":
      return step.into === "a";
    default:
      return false;
  }
}

/** How A is held after a step, from how it was before. */
export function _orderAfterStep(step: _Step, order: _ByteOrder): _ByteOrder {
  if (step.kind === "load" || step.kind === "load-indirect") {
    return step.size === 1 ? 0 : (step.size as 2 | 4);
  }
  if (step.kind === "alu" && step.op === BPF_AND && !step.useX) return order;
  if (_stepReadsA(step) || _stepSetsA(step)) return 0;
  return order;
}

/** Whether a test can compare A held in `order` without swapping it. */
export function _testKeepsOrder(exit: _Exit): boolean {
  return exit.kind === "test" && !exit.useX && exit.shift === 0 &&
    (exit.op === BPF_JEQ || exit.op === BPF_JSET);
}

/** How A is held after the block's steps and its exit (before any swap at its exit). */
function _orderAtExit(block: _LoweredBlock, entry: _ByteOrder): _ByteOrder {
  let order = entry;
  for (const step of block.steps) order = _orderAfterStep(step, order);
  const exit = block.exit;
  if (exit.kind === "test") {
    if (exit.producer !== undefined) order = _orderAfterStep(exit.producer, order);
    if (!_testKeepsOrder(exit)) order = 0;
  }
  return order;
}

/** Whether A is live when each block starts (blocks only jump forwards). */
function _liveA(blocks: readonly _LoweredBlock[]): boolean[] {
  const live: boolean[] = new Array(blocks.length).fill(false);
  for (let b = blocks.length - 1; b >= 0; b--) {
    const { steps, exit } = blocks[b];
    let liveAfter = exit.kind === "return-a" ||
      (exit.kind === "test" && exit.producer === undefined);
    if (
      exit.kind === "test" && exit.producer !== undefined && exit.producer.kind === "load-length"
    ) {
      liveAfter = false;
    }
    if (exit.kind === "goto") liveAfter = live[exit.to];
    else if (exit.kind === "test" && exit.producer === undefined) liveAfter = true;
    let isLive = liveAfter;
    for (let i = steps.length - 1; i >= 0; i--) {
      if (_stepReadsA(steps[i])) isLive = true;
      else if (_stepSetsA(steps[i])) isLive = false;
    }
    live[b] = isLive;
  }
  return live;
}

/** Whether X is small after a step, from whether it was before. */
export function _xSmallAfterStep(step: _Step, small: boolean): boolean {
  switch (step.kind) {
    case "load-header-length":
      return true;
    case "load-constant":
      return step.into === "x" ? step.value <= SMALL_X : small;
    case "load-length":
    case "load-scratch":
      return step.into === "x" ? false : small;
    case "tax":
      return false;
    default:
      return small;
  }
}

/** Whether X is small after a block's steps, from whether it was at its start. */
function _xSmallAfter(block: _LoweredBlock, small: boolean): boolean {
  for (const step of block.steps) small = _xSmallAfterStep(step, small);
  return small;
}

/** The facts of each lowered program (a module's functions emit the same program twice). */
const _factsOf = new WeakMap<_LoweredProgram, _RegisterFacts>();

/** The facts of a lowered program without backward jumps. */
export function _registerFacts(lowered: _LoweredProgram): _RegisterFacts {
  let facts = _factsOf.get(lowered);
  if (facts === undefined) {
    facts = _computeFacts(lowered.blocks);
    _factsOf.set(lowered, facts);
  }
  return facts;
}

/** The blocks that jump to each block (each once). */
function _predecessors(blocks: readonly _LoweredBlock[]): number[][] {
  const predecessors: number[][] = blocks.map(() => []);
  for (let b = 0; b < blocks.length; b++) {
    const exit = blocks[b].exit;
    if (exit.kind === "goto") predecessors[exit.to].push(b);
    else if (exit.kind === "test") {
      predecessors[exit.whenTrue].push(b);
      if (exit.whenFalse !== exit.whenTrue) predecessors[exit.whenFalse].push(b);
    }
  }
  return predecessors;
}

function _computeFacts(blocks: readonly _LoweredBlock[]): _RegisterFacts {
  const n = blocks.length;
  const predecessors = _predecessors(blocks);
  const live = _liveA(blocks);
  const xSmall: boolean[] = new Array(n).fill(true);
  const known: number[] = new Array(n).fill(0);
  const xSmallOut: boolean[] = new Array(n).fill(true);
  const knownOut: number[] = new Array(n).fill(0);
  for (let b = 0; b < n; b++) {
    const from = predecessors[b];
    if (b > 0 && from.length > 0) {
      let small = true;
      let least = Infinity;
      for (const p of from) {
        small &&= xSmallOut[p];
        if (knownOut[p] < least) least = knownOut[p];
      }
      xSmall[b] = small;
      known[b] = least;
    }
    xSmallOut[b] = _xSmallAfter(blocks[b], xSmall[b]);
    knownOut[b] = _knownAfter(blocks[b], known[b]);
  }
  const swapAtExit: boolean[] = new Array(n).fill(false);
  const aOrder: _ByteOrder[] = new Array(n).fill(0);
  const exitOrder: _ByteOrder[] = new Array(n).fill(0);
  // Swaps only ever get added, so this settles (in one or two passes in practice).
  for (let changed = true; changed;) {
    changed = false;
    for (let b = 0; b < n; b++) {
      const from = predecessors[b];
      let order: _ByteOrder = 0;
      if (b > 0 && live[b] && from.length > 0) {
        order = exitOrder[from[0]];
        for (const p of from) {
          if (exitOrder[p] !== order) order = -1 as _ByteOrder;
        }
        if (order === (-1 as _ByteOrder)) {
          order = 0;
          for (const p of from) {
            if (exitOrder[p] !== 0 && !swapAtExit[p]) {
              swapAtExit[p] = true;
              changed = true;
            }
          }
        }
      }
      aOrder[b] = order;
      exitOrder[b] = swapAtExit[b] ? 0 : _orderAtExit(blocks[b], order);
    }
  }
  return { aOrder, swapAtExit, xSmall, known };
}
