/**
 * Runs of tests for closure trees (private): blocks that each load `[k]`, the
 * bytes next to the previous block's load, and test it, where each test's one
 * target is the next block of the run and its other target is the same for all (`ip6 host 2001:db8::1` compares four
 * words of the source address, then four of the destination; `ether host`
 * a word and a half-word; `ip6 net X/N` three words and a masked one). A run
 * is one node of the tree ({@linkcode _testRun}): it loads and tests its
 * fields in order, each load checked, and leaves A as the last one did.
 *
 * Why: each block a node of its own, `ip6 host X` holds `equal4` eight times
 * on one path, V8 never inlines a literal into itself and that literal has two
 * copies, so the program kept the dispatch loop: 1.21–1.23× libpcap from a
 * shared helper, on packets that nearly all leave at its first test
 * (bench/RESULTS.md, session 18, i18words).
 *
 * @module
 */
import type { _LoadAbsolute, _LoweredProgram, _Test } from "./_lower.ts";
import type { _TreeNode } from "./_execute_tree_steps.ts";

/** Int32 cells per test of a run: offset, size, shift, mask, rangeMask, low, span, sense. */
export const _RUN_STRIDE = 8;

/** A run of tests: its blocks (the first one the head), where it goes on, where it leaves. */
export interface _TestRun {
  blocks: number[];
  /** The block after the last test passes. */
  next: number;
  /** The block any test that fails goes to. */
  out: number;
  /** {@linkcode _RUN_STRIDE} cells per test (see {@linkcode _testRun}). */
  tests: Int32Array;
}

/** The runs of `lowered` (two tests or more), by head block; `absorbed`: their other blocks. */
export interface _TestRuns {
  heads: ReadonlyMap<number, _TestRun>;
  absorbed: ReadonlySet<number>;
}

/**
 * The fewest tests of a run whose tests pass to the same block when they hold (alternatives, as
 * `host X`: the source word, else the destination word). Two made `host X and not port 22` and
 * `host A and host B` trees that ran 1.2–1.4× libpcap from a helper shared with other programs,
 * against 0.85–1.0× through the dispatch loop (bench/RESULTS.md, End of session 18).
 */
const _LEAST_ALTERNATIVES = 3;

/** The runs of tests of `lowered` (see the module doc), longest first from each head. */
export function _testRuns(lowered: _LoweredProgram): _TestRuns {
  const { blocks } = lowered;
  const callers = _callerCounts(lowered);
  const heads = new Map<number, _TestRun>();
  const absorbed = new Set<number>();
  for (let index = 0; index < blocks.length; index++) {
    if (absorbed.has(index) || !_runTest(lowered, index)) continue;
    const exit = blocks[index].exit as _Test;
    const onTrue = _runFrom(lowered, callers, index, exit.whenFalse);
    const onFalse = _runFrom(lowered, callers, index, exit.whenTrue);
    const run = onTrue.blocks.length >= onFalse.blocks.length ? onTrue : onFalse;
    if (run.blocks.length < (run === onTrue ? 2 : _LEAST_ALTERNATIVES)) continue;
    heads.set(index, run);
    for (const block of run.blocks.slice(1)) absorbed.add(block);
  }
  return { heads, absorbed };
}

/** How many exits jump to each block. */
export function _callerCounts({ blocks }: Pick<_LoweredProgram, "blocks">): Int32Array {
  const callers = new Int32Array(blocks.length);
  for (const { exit } of blocks) {
    if (exit.kind === "goto") callers[exit.to]++;
    if (exit.kind === "test") {
      callers[exit.whenTrue]++;
      callers[exit.whenFalse]++;
    }
  }
  return callers;
}

/** Whether block `index` can be in a run: no steps, a test on `[k]` (not on X). */
function _runTest({ blocks }: Pick<_LoweredProgram, "blocks">, index: number): boolean {
  const { steps, exit } = blocks[index];
  return steps.length === 0 && exit.kind === "test" && !exit.useX &&
    exit.producer?.kind === "load" && exit.whenTrue !== exit.whenFalse;
}

/** The longest run from `head` whose tests all leave to `out`. */
function _runFrom(
  lowered: _LoweredProgram,
  callers: Int32Array,
  head: number,
  out: number,
): _TestRun {
  const members: number[] = [];
  const cells: number[] = [];
  let index = head;
  for (;;) {
    const exit = lowered.blocks[index].exit as _Test;
    const sense = exit.whenFalse === out ? 1 : 0;
    const next = sense === 1 ? exit.whenTrue : exit.whenFalse;
    members.push(index);
    cells.push(..._runCells(exit, sense));
    const follows = _runTest(lowered, next) && callers[next] === 1 &&
      _adjacent(exit, lowered.blocks[next].exit as _Test);
    const exitOf = follows ? lowered.blocks[next].exit as _Test : undefined;
    if (exitOf === undefined || (exitOf.whenTrue !== out && exitOf.whenFalse !== out)) {
      return { blocks: members, next, out, tests: Int32Array.from(cells) };
    }
    index = next;
  }
}

/**
 * Whether the loads of two tests are adjacent bytes (either way round): a
 * run stays within one field, so that a program's first test, which most
 * packets fail (the ether type), stays a node of its own (`ip6 src X` as one
 * run of five tests ran 7.9 ns a packet from a shared helper, 5.5 with the
 * ether type apart).
 */
function _adjacent(first: _Test, second: _Test): boolean {
  const a = first.producer as _LoadAbsolute;
  const b = second.producer as _LoadAbsolute;
  return a.offset + a.size === b.offset || b.offset + b.size === a.offset;
}

/** One test's cells: the load, the fused test's operands, and the outcome that goes on. */
function _runCells(test: _Test, sense: number): number[] {
  const load = test.producer!;
  const size = load.kind === "load" ? load.size : 0;
  return [
    load.kind === "load" ? load.offset : 0,
    size,
    test.shift,
    test.mask | 0,
    test.rangeMask | 0,
    test.low | 0,
    test.span | 0,
    sense,
  ];
}

/**
 * A run's node: for each test in order, `A = ([k] >>> shift) & mask` (0 for
 * the program when `[k]` is past the end), then on to the next test when the
 * range test's outcome is the one that goes on (`sense`), else to `f`; after
 * the last, to `t`, with the last A.
 */
export function _testRun(R: Int32Array, t: _TreeNode, f: _TreeNode): _TreeNode {
  const n = R.length;
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function testRun(P, B, LE): number {
    let a = 0;
    let passed = true;
    for (let j = 0; j < n; j += 8) {
      const i = B + R[j];
      const size = R[j + 1];
      if (i + size > LE) return 0;
      const value = size === 4
        ? (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3]
        : size === 2
        ? (P[i] << 8) | P[i + 1]
        : P[i];
      a = (value >>> R[j + 2]) & R[j + 3];
      const taken = ((a & R[j + 4]) - R[j + 5]) >>> 0 <= R[j + 6] >>> 0;
      if (taken !== (R[j + 7] === 1)) {
        passed = false;
        break;
      }
    }
    return (passed ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/**
 * The literal kind of a run of two tests whose tests are both `[k] == v`: `equalPair` for a word
 * then a half-word (`ether host X`, `ether broadcast`: {@linkcode _equalPair}), `equalWords` for
 * two words (`ip6 net X/64`: {@linkcode _equalWords}); else `testPair` ({@linkcode _testPair}).
 */
export function _pairKind(R: Int32Array): "equalPair" | "equalWords" | "testPair" {
  const equal = R.length === 2 * _RUN_STRIDE && R[1] === 4 &&
    [0, _RUN_STRIDE].every((j) =>
      R[j + 2] === 0 && R[j + 3] === -1 && R[j + 4] === -1 && R[j + 6] === 0
    );
  const second = R[_RUN_STRIDE + 1];
  if (!equal) return "testPair";
  return second === 2 ? "equalPair" : second === 4 ? "equalWords" : "testPair";
}

/**
 * The operands of a pair's literal of kind `kind` ({@linkcode _pairKind}), from its cells, before
 * its two targets: each test's offset, size, shift, mask, range mask, low, span (unsigned) and
 * sense (whether it goes on when the test holds); for the equality kinds the offsets, values and
 * senses alone. Operands, not the cells: V8 checks for a hole at each read of a `const` the node
 * captured from its factory's body, in Node's V8 2 bytes more each (`testPair` was 401 bytes of
 * bytecode there against 354 in Deno's).
 */
export function _pairOperands(kind: ReturnType<typeof _pairKind>, R: Int32Array): unknown[] {
  const [first, second] = [R.subarray(0, _RUN_STRIDE), R.subarray(_RUN_STRIDE)];
  if (kind !== "testPair") {
    return [first, second].flatMap((cells) => [cells[0], cells[5], cells[7] === 1]);
  }
  return [first, second].flatMap((cells) => [
    ...cells.subarray(0, 6),
    cells[6] >>> 0,
    cells[7] === 1,
  ]);
}

/**
 * A run of exactly two tests (`ip6 net X/56`: a word, then a masked one), written out without
 * the loop of {@linkcode _testRun}: the same semantics, its cells as operands
 * ({@linkcode _pairOperands}), constants of the closure (V8 folds them where it inlines the
 * node: the sizes' branches go). At most 460 bytes
 * of bytecode (V8's `--max-inlined-bytecode-size`) in Deno's V8 and Node's, or V8 never inlines
 * it (scripts/execute_tree_bytecode_test.ts): reading its operands from the cells, it was 461
 * (468 in Node), and `ether broadcast and tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420` ran at
 * 2.1× libpcap from a helper shared with other programs, 1.1× with this one (bench/RESULTS.md,
 * session 21, h21pair).
 */
export function _testPair(
  k1: number,
  s1: number,
  h1: number,
  m1: number,
  r1: number,
  l1: number,
  n1: number,
  o1: boolean,
  k2: number,
  s2: number,
  h2: number,
  m2: number,
  r2: number,
  l2: number,
  n2: number,
  o2: boolean,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function testPair(P, B, LE): number {
    let i = B + k1;
    if (i + s1 > LE) return 0;
    let a = s1 === 4
      ? (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3]
      : s1 === 2
      ? (P[i] << 8) | P[i + 1]
      : P[i];
    a = (a >>> h1) & m1;
    let passed = (((a & r1) - l1) >>> 0 <= n1) === o1;
    if (passed) {
      i = B + k2;
      if (i + s2 > LE) return 0;
      a = s2 === 4
        ? (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3]
        : s2 === 2
        ? (P[i] << 8) | P[i + 1]
        : P[i];
      a = (a >>> h2) & m2;
      passed = (((a & r2) - l2) >>> 0 <= n2) === o2;
    }
    return (passed ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/**
 * A pair of `equalPair`'s shape ({@linkcode _pairKind}: `ether host X`, the word, then the
 * half-word before it): the cells' values as constants, no shift, mask or range; 168 bytes of
 * bytecode against the general pair's 354, of a budget of 920 for all that V8 inlines into one
 * function.
 */
export function _equalPair(
  k1: number,
  v1: number,
  o1: boolean,
  k2: number,
  v2: number,
  o2: boolean,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equalPair(P, B, LE): number {
    let i = B + k1;
    if (i + 4 > LE) return 0;
    let a = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    let passed = (a === v1) === o1;
    if (passed) {
      i = B + k2;
      if (i + 2 > LE) return 0;
      a = (P[i] << 8) | P[i + 1];
      passed = (a === v2) === o2;
    }
    return (passed ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** A pair of `equalWords`' shape ({@linkcode _pairKind}: `ip6 net X/64`), as {@linkcode _equalPair}. */
export function _equalWords(
  k1: number,
  v1: number,
  o1: boolean,
  k2: number,
  v2: number,
  o2: boolean,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equalWords(P, B, LE): number {
    let i = B + k1;
    if (i + 4 > LE) return 0;
    let a = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    let passed = (a === v1) === o1;
    if (passed) {
      i = B + k2;
      if (i + 4 > LE) return 0;
      a = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
      passed = (a === v2) === o2;
    }
    return (passed ? t : (mark = 0, f))(P, B, LE, a);
  };
}
