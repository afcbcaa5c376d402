/**
 * Compare chains as functions of their loaded value (private): a program
 * that loads `[k]` once (one, two or four bytes, `k` not negative), folds an
 * `and`/`rsh` into its first test, and then only tests A until each path
 * returns a constant, returns a value that depends on `A = ([k] >>> shift) &
 * mask` alone. Over the unsigned line of A that value is piecewise constant
 * ({@linkcode _chainPieces}): `jeq`, `jgt` and `jge` cut it into intervals, so
 * a chain of n such tests has at most 2n + 1 pieces, found by a binary search
 * over their starts (log n compares whatever the chain's length, where the
 * chain itself runs up to n); when A has at most 256 values (a byte, or a
 * field masked or shifted down to 8 bits) every value is looked up in a
 * table, whatever the tests (`jset` too).
 *
 * The pieces are found from the lowered program ({@linkcode _LoweredProgram}),
 * by running the chain on intervals of A (each test splits an interval into at
 * most three that go one way each) or, for a table, on every value: the same
 * fused tests as the dispatch loop's, so no semantics is copied.
 *
 * @module
 */
import type { _Exit, _LoadAbsolute, _LoweredBlock, _LoweredProgram, _Test } from "./_lower.ts";
import { _testTaken } from "./_lower.ts";
import { BPF_JEQ, BPF_JGE } from "./opcodes.ts";

/** The most blocks a chain may have (past it, the program keeps the dispatch loop). */
export const _MAX_PIECE_BLOCKS = 4096;

/** The most pieces kept (a chain cut finer keeps its other path). */
export const _MAX_PIECES = 4096;

/** The most values of A looked up in a table. */
export const _TABLE_VALUES = 256;

/** The most chain steps run to find the pieces (values or intervals times tests). */
const _MAX_WORK = 1 << 21;

/** A compare chain as a piecewise constant function of its loaded value. */
export interface _ChainPieces {
  /** Bytes loaded: 1, 2 or 4. */
  size: number;
  /** The load's offset `k`. */
  offset: number;
  /** `A = (value >>> shift) & mask`, the first test's folded `rsh`/`and`. */
  shift: number;
  mask: number;
  /** The first value of A of each piece after the first (ascending, uint32). */
  starts: number[];
  /** The value returned on each piece (uint32), one more than `starts`. */
  values: number[];
  /** Whether A has at most {@linkcode _TABLE_VALUES} values (0 to `maxA`). */
  table: boolean;
  /** The largest value A can take. */
  maxA: number;
}

/**
 * The pieces of the compare chain `lowered` is, or undefined when it is not
 * one (see the module doc), or is cut too finely to keep.
 */
export function _chainPieces(lowered: _LoweredProgram): _ChainPieces | undefined {
  const { blocks } = lowered;
  if (lowered.backward || blocks.length > _MAX_PIECE_BLOCKS) return undefined;
  const first = blocks[0].exit;
  if (blocks[0].steps.length !== 0 || first.kind !== "test" || first.useX) return undefined;
  const load = first.producer;
  if (load === undefined || load.kind !== "load" || load.offset < 0) return undefined;
  if (!_onlyTestsOnA(lowered)) return undefined;
  const maxA = ((2 ** (8 * load.size) - 1) >>> first.shift & first.mask) >>> 0;
  const table = maxA < _TABLE_VALUES;
  const found = table ? _piecesByValue(lowered, maxA) : _piecesByInterval(lowered, maxA);
  if (found === undefined || found.starts.length >= _MAX_PIECES) return undefined;
  const { shift, mask } = first;
  return { size: load.size, offset: load.offset, shift, mask, ...found, table, maxA };
}

/**
 * Whether every block reachable from the entry is a return of a constant or
 * a test on A with no steps and no load of its own (but the entry's).
 */
function _onlyTestsOnA(lowered: _LoweredProgram): boolean {
  const { blocks } = lowered;
  const seen = new Uint8Array(blocks.length);
  const pending = [0];
  seen[0] = 1;
  while (pending.length > 0) {
    const index = pending.pop()!;
    const { steps, exit } = blocks[index];
    if (steps.length !== 0) return false;
    if (exit.kind === "return") continue;
    if (exit.kind !== "test" && exit.kind !== "goto") return false;
    const test = exit.kind === "test";
    if (test && (exit.useX || (index !== 0 && _transforms(exit)))) return false;
    for (const next of test ? [exit.whenTrue, exit.whenFalse] : [exit.to]) {
      if (seen[next] === 0) {
        seen[next] = 1;
        pending.push(next);
      }
    }
  }
  return true;
}

/** Whether a test (not the entry's) loads, shifts or masks A. */
function _transforms(test: _Test): boolean {
  return test.producer !== undefined || test.shift !== 0 || test.mask !== 0xffffffff;
}

/** The value the chain returns for A (the first test's `rsh`/`and` already applied). */
function _valueAt(lowered: _LoweredProgram, A: number): number {
  let index = 0;
  for (;;) {
    const exit = lowered.blocks[index].exit;
    if (exit.kind === "return") return exit.value >>> 0;
    if (exit.kind === "goto") {
      index = exit.to;
      continue;
    }
    index = _testTaken(exit as _Test, A) ? (exit as _Test).whenTrue : (exit as _Test).whenFalse;
  }
}

/** Pieces from the value of every A from 0 to `maxA` (a table's), or undefined past the work bound. */
function _piecesByValue(
  lowered: _LoweredProgram,
  maxA: number,
): { starts: number[]; values: number[] } | undefined {
  if ((maxA + 1) * lowered.blocks.length > _MAX_WORK) return undefined;
  const starts: number[] = [];
  const values = [_valueAt(lowered, 0)];
  for (let A = 1; A <= maxA; A++) {
    const value = _valueAt(lowered, A);
    if (value === values[values.length - 1]) continue;
    starts.push(A);
    values.push(value);
  }
  return { starts, values };
}

/**
 * Pieces from intervals of A run down the chain: each test on the whole of
 * A (`jeq`, `jgt`, `jge`: `rangeMask` all ones) cuts an interval where its
 * range starts and where it ends; undefined when a test is on some bits only
 * (`jset`) or past the work bound.
 */
function _piecesByInterval(
  lowered: _LoweredProgram,
  maxA: number,
): { starts: number[]; values: number[] } | undefined {
  const { blocks } = lowered;
  const found: { low: number; value: number }[] = [];
  // Disjoint intervals [low, high] of A and the block they reach.
  const pending: number[] = [0, 0, maxA];
  let work = 0;
  while (pending.length > 0) {
    const high = pending.pop()!;
    const low = pending.pop()!;
    const index = pending.pop()!;
    if (++work > _MAX_WORK) return undefined;
    const exit = blocks[index].exit;
    if (exit.kind === "return") {
      found.push({ low, value: exit.value >>> 0 });
      continue;
    }
    if (exit.kind === "goto") {
      pending.push(exit.to, low, high);
      continue;
    }
    const test = exit as _Test;
    if (test.rangeMask !== 0xffffffff && test.rangeMask !== 0) return undefined;
    // Where the test's outcome may change inside [low, high]: its range's first value and the one
    // after its last (the range wraps past 0xffffffff only as a whole line).
    const cuts = [test.low, (test.low + test.span + 1) % 2 ** 32]
      .filter((cut) => cut > low && cut <= high)
      .sort((a, b) => a - b);
    let from = low;
    for (const to of [...cuts, high + 1]) {
      if (to > from) {
        pending.push(_testTaken(test, from) ? test.whenTrue : test.whenFalse, from, to - 1);
      }
      from = to;
    }
  }
  found.sort((a, b) => a.low - b.low);
  const starts: number[] = [];
  const values = [found[0].value];
  for (const { low, value } of found.slice(1)) {
    if (value === values[values.length - 1]) continue;
    starts.push(low);
    values.push(value);
  }
  return { starts, values };
}

/** The most tests on a path of {@linkcode _chainAsTests}' program. */
export const _MAX_TEST_DEPTH = 2;

/**
 * A compare chain cut into few pieces, as the fewest tests that return the
 * same (`lowered` itself for any other program): one test when the chain's
 * value is constant wherever the load succeeds (a test that always passes),
 * has two pieces (`A >= s`), or three whose outer two return the same value
 * (`A` in the middle piece's range); else a balanced search of `A >= s`
 * tests, at most {@linkcode _MAX_TEST_DEPTH} on a path. A one-test program
 * then runs as the one-test closures do (`_execute_single.ts`, or a tree
 * while entries are left), whatever the chain's length.
 */
export function _chainAsTests(lowered: _LoweredProgram): _LoweredProgram {
  const pieces = _chainPieces(lowered);
  if (pieces === undefined) return lowered;
  const { starts, values } = pieces;
  const first = lowered.blocks[0].exit as _Test;
  const blocks: _LoweredBlock[] = [];
  const block = (exit: _Exit): number => {
    blocks.push({ start: blocks.length, need: 0, steps: [], exit });
    return blocks.length - 1;
  };
  // Reserve the root (block 0); its test carries the load and the first test's rsh/and.
  block({ kind: "return", value: 0 });
  const test = (low: number, high: number, whenTrue: number, whenFalse: number): _Test => ({
    kind: "test",
    producer: undefined,
    shift: 0,
    mask: 0xffffffff,
    op: low === high ? BPF_JEQ : BPF_JGE,
    useX: false,
    k: low,
    rangeMask: 0xffffffff,
    low,
    span: high - low,
    whenTrue,
    whenFalse,
  });
  // The test choosing among pieces [from, to] (two or more), children first.
  const choose = (from: number, to: number, depth: number): _Test | undefined => {
    if (to - from === 2 && values[from] === values[to]) {
      const inside = block({ kind: "return", value: values[from + 1] });
      const outside = block({ kind: "return", value: values[from] });
      return test(starts[from], starts[from + 1] - 1, inside, outside);
    }
    if (depth === _MAX_TEST_DEPTH) return undefined;
    const middle = (from + to + 1) >> 1;
    const above = node(middle, to, depth + 1);
    const below = node(from, middle - 1, depth + 1);
    if (above === undefined || below === undefined) return undefined;
    return test(starts[middle - 1], 0xffffffff, above, below);
  };
  const node = (from: number, to: number, depth: number): number | undefined => {
    if (from === to) return block({ kind: "return", value: values[from] });
    const exit = choose(from, to, depth);
    return exit === undefined ? undefined : block(exit);
  };
  let root: _Test | undefined;
  if (values.length === 1) {
    const value = block({ kind: "return", value: values[0] });
    root = test(0, 0xffffffff, value, value);
  } else root = choose(0, values.length - 1, 1);
  if (root === undefined) return lowered;
  // The load checks its own bounds (no block of this program hoists a check).
  const producer = { ...(first.producer as _LoadAbsolute), checked: true };
  const { shift, mask } = first;
  blocks[0] = { start: 0, need: 0, steps: [], exit: { ...root, producer, shift, mask } };
  return { blocks, backward: false };
}
