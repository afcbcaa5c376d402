/**
 * Closure trees (private): a program whose every block is a fused test on
 * packet bytes (`[k]`, `[x + k]`, `len` or A itself), an `ldx 4*([k]&0xf)`
 * or a return, with no backward jump, as the filter compiler emits
 * `tcp port 80`, `udp` or `host 10.0.0.1`, runs as one closure per block,
 * each calling the block its test picks ({@linkcode _closureTree}). No code
 * is generated: the closures come from a few function literals, one per kind
 * of test, and capture their operands.
 *
 * Why: the dispatch loop (`_execute.ts`) and any loop over a table of nodes
 * share one copy of each branch among all the operations, and cost 4–7 ns an
 * operation here even on one packet repeated (`tcp port 80`: 25–26 ns a
 * packet through the loop, 33–34 through a loop over nodes; the same tests
 * written out by hand, 5 ns). V8 inlines a call whose callee comes from one
 * literal (or a few) into its caller, constants read from the closure's
 * context, so a tree of closures runs as straight code with a branch of its
 * own per test: 12–14 ns, and 13 ns with every other program's tree run
 * first (bench/RESULTS.md, session 14).
 *
 * A load past the end returns 0, checked at each load as cBPF does (the
 * hoisted checks of `_lower` are not needed: every path's first failing
 * load ends it with 0 either way).
 *
 * @module
 */
import type { PacketContext } from "./packet_context.ts";
import type { PacketBatch } from "./packet_batch.ts";
import type { _LoweredProgram, _Test } from "./_lower.ts";
import { BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET } from "./opcodes.ts";
import { _captureEnd, _dataStart, _loadEnd, _wireLength } from "./_packet_access.ts";
import { _batchCount, _frameEnd } from "./_run_batch.ts";
import type { _Single } from "./_execute_single.ts";
import { _jumpTaken } from "./_alu.ts";
import { _stepNodes, _TREE_ESCAPE, type _TreeNode, _treeStep } from "./_execute_tree_steps.ts";

export type { _TreeNode } from "./_execute_tree_steps.ts";

type _Run = (P: Uint8Array, C?: PacketContext) => number;

/**
 * The most blocks a tree may have; a bigger program keeps the dispatch loop.
 * V8 inlines about ten nodes into a caller (its budget of inlined bytecode);
 * past that, and wherever a call site has seen nodes of more than four kinds,
 * each node is a real call, about 12 ns: the 734-instruction program of the
 * engine bench ran 2.1× slower than libpcap as a tree of 818 blocks.
 */
export const _MAX_TREE_BLOCKS = 32;

/**
 * The root of `lowered` as a closure tree, or undefined when some block
 * reachable from the entry cannot be a node (see the module doc).
 */
export function _closureTree(lowered: _LoweredProgram): _TreeNode | undefined {
  const { blocks } = lowered;
  if (lowered.backward || blocks.length > _MAX_TREE_BLOCKS) return undefined;
  if (!blocks.every((_, index) => _treeBlock(lowered, index))) return undefined;
  const built = new Map<number, _TreeNode>();
  const scratch = new Int32Array(16);
  // Blocks only jump forwards, so building from the last block up finds each target built.
  for (let index = blocks.length - 1; index >= 0; index--) {
    built.set(index, _node(lowered, index, (to) => built.get(to)!, scratch));
  }
  return built.get(0);
}

/** Whether block `index` can be a node: steps, producer and exit of the kinds the nodes cover. */
function _treeBlock(lowered: _LoweredProgram, index: number): boolean {
  const { steps, exit } = lowered.blocks[index];
  if (!steps.every(_treeStep)) return false;
  if (exit.kind === "goto") return exit.to > index;
  if (exit.kind !== "test") return true;
  if (![BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET].includes(exit.op)) return false;
  if (exit.whenTrue <= index || exit.whenFalse <= index) return false;
  const producer = exit.producer;
  if (producer === undefined) return true;
  if (producer.kind === "load-length") return producer.into === "a";
  return producer.offset >= 0;
}

/** The node of block `index`, whose targets come from `target`. */
function _node(
  lowered: _LoweredProgram,
  index: number,
  target: (block: number) => _TreeNode,
  scratch: Int32Array,
): _TreeNode {
  const { steps, exit } = lowered.blocks[index];
  let node: _TreeNode;
  if (exit.kind === "return") node = _returns(exit.value >>> 0);
  else if (exit.kind === "return-a") node = _returnsA();
  else if (exit.kind === "goto") node = target(exit.to);
  else if (exit.useX) {
    node = _testX(
      exit.shift,
      exit.mask | 0,
      exit.op,
      target(exit.whenTrue),
      target(exit.whenFalse),
    );
    if (exit.producer !== undefined) node = _stepNodes([exit.producer], node, scratch);
  } else node = _testNode(exit, target(exit.whenTrue), target(exit.whenFalse));
  // `tcp port 80`'s blocks: no step, or the header length alone.
  if (steps.length === 0) return node;
  const step = steps[0];
  if (steps.length === 1 && step.kind === "load-header-length") return _header(step.offset, node);
  return _stepNodes(steps, node, scratch);
}

/** Whether a test is `A == k` on the whole value (no shift, no mask). */
function _isEquality(test: _Test): boolean {
  return test.shift === 0 && (test.mask | 0) === -1 && (test.rangeMask | 0) === -1 &&
    test.span === 0;
}

function _testNode(test: _Test, t: _TreeNode, f: _TreeNode): _TreeNode {
  const producer = test.producer;
  const { shift, low } = test;
  const mask = test.mask | 0;
  const rangeMask = test.rangeMask | 0;
  const span = test.span >>> 0;
  if (producer === undefined) return _testA(shift, mask, rangeMask, low, span, t, f);
  if (producer.kind === "load-length") return _testLength(shift, mask, rangeMask, low, span, t, f);
  const indirect = producer.kind === "load-indirect";
  const k = producer.offset;
  if (_isEquality(test)) {
    // The value as int32 bits, as the loads produce them.
    const v = low | 0;
    if (producer.size === 1) return indirect ? _equalX1(k, v, t, f) : _equal1(k, v, t, f);
    if (producer.size === 2) return indirect ? _equalX2(k, v, t, f) : _equal2(k, v, t, f);
    return indirect ? _equalX4(k, v, t, f) : _equal4(k, v, t, f);
  }
  if (indirect) return _range(producer.size, k, shift, mask, rangeMask, low, span, t, f);
  const range = producer.size === 1 ? _range1 : producer.size === 2 ? _range2 : _range4;
  return range(k, shift, mask, rangeMask, low, span, t, f);
}

// One literal per kind of node: a call site that sees closures of one literal (or a few)
// inlines them, and each inlined copy has branches of its own.

function _returns(value: number): _TreeNode {
  return function returns(): number {
    return value;
  };
}

function _returnsA(): _TreeNode {
  return function returnsA(_P, _B, _LE, _W, A): number {
    return A >>> 0;
  };
}

/** `X = 4 * ([h] & 0xf)`, then `next`. */
function _header(h: number, next: _TreeNode): _TreeNode {
  return function header(P, B, LE, W, A): number {
    const i = B + h;
    if (i + 1 > LE) return 0;
    return next(P, B, LE, W, A, (P[i] & 0xf) << 2);
  };
}

/** Whether the fused test on `A` (already shifted and masked) is taken. */
function _taken(A: number, rangeMask: number, low: number, span: number): boolean {
  return ((A & rangeMask) - low) >>> 0 <= span;
}

function _testA(
  shift: number,
  mask: number,
  rangeMask: number,
  low: number,
  span: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  return function testA(P, B, LE, W, A, X): number {
    const a = (A >>> shift) & mask;
    return _taken(a, rangeMask, low, span) ? t(P, B, LE, W, a, X) : f(P, B, LE, W, a, X);
  };
}

/** `A = (A >>> shift) & mask`, then `A op X`. */
function _testX(shift: number, mask: number, op: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  return function testX(P, B, LE, W, A, X): number {
    const a = (A >>> shift) & mask;
    return _jumpTaken(op, a >>> 0, X >>> 0) === 1 ? t(P, B, LE, W, a, X) : f(P, B, LE, W, a, X);
  };
}

function _testLength(
  shift: number,
  mask: number,
  rangeMask: number,
  low: number,
  span: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  return function testLength(P, B, LE, W, _A, X): number {
    const a = (W >>> shift) & mask;
    return _taken(a, rangeMask, low, span) ? t(P, B, LE, W, a, X) : f(P, B, LE, W, a, X);
  };
}

function _equal1(k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  return function equal1(P, B, LE, W, _A, X): number {
    const i = B + k;
    if (i + 1 > LE) return 0;
    const a = P[i];
    return a === v ? t(P, B, LE, W, a, X) : f(P, B, LE, W, a, X);
  };
}

function _equal2(k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  return function equal2(P, B, LE, W, _A, X): number {
    const i = B + k;
    if (i + 2 > LE) return 0;
    const a = (P[i] << 8) | P[i + 1];
    return a === v ? t(P, B, LE, W, a, X) : f(P, B, LE, W, a, X);
  };
}

function _equal4(k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  return function equal4(P, B, LE, W, _A, X): number {
    const i = B + k;
    if (i + 4 > LE) return 0;
    const a = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    return a === v ? t(P, B, LE, W, a, X) : f(P, B, LE, W, a, X);
  };
}

function _equalX1(k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  return function equalX1(P, B, LE, W, _A, X): number {
    const o = (X + k) | 0;
    if (o < 0) throw _TREE_ESCAPE;
    if (o > LE - B - 1) return 0;
    const i = B + o;
    const a = P[i];
    return a === v ? t(P, B, LE, W, a, X) : f(P, B, LE, W, a, X);
  };
}

function _equalX2(k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  return function equalX2(P, B, LE, W, _A, X): number {
    const o = (X + k) | 0;
    if (o < 0) throw _TREE_ESCAPE;
    if (o > LE - B - 2) return 0;
    const i = B + o;
    const a = (P[i] << 8) | P[i + 1];
    return a === v ? t(P, B, LE, W, a, X) : f(P, B, LE, W, a, X);
  };
}

function _equalX4(k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  return function equalX4(P, B, LE, W, _A, X): number {
    const o = (X + k) | 0;
    if (o < 0) throw _TREE_ESCAPE;
    if (o > LE - B - 4) return 0;
    const i = B + o;
    const a = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    return a === v ? t(P, B, LE, W, a, X) : f(P, B, LE, W, a, X);
  };
}

// Any other test on `[k]`: shift, mask, then the range test; one literal per size, so that
// each is small enough for V8 to inline many (its budget counts bytecode: 242 bytes with
// the size chosen inside, the budget 920).

function _range1(
  k: number,
  shift: number,
  mask: number,
  rangeMask: number,
  low: number,
  span: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  return function range1(P, B, LE, W, _A, X): number {
    const i = B + k;
    if (i + 1 > LE) return 0;
    const a = (P[i] >>> shift) & mask;
    return ((a & rangeMask) - low) >>> 0 <= span ? t(P, B, LE, W, a, X) : f(P, B, LE, W, a, X);
  };
}

function _range2(
  k: number,
  shift: number,
  mask: number,
  rangeMask: number,
  low: number,
  span: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  return function range2(P, B, LE, W, _A, X): number {
    const i = B + k;
    if (i + 2 > LE) return 0;
    const a = (((P[i] << 8) | P[i + 1]) >>> shift) & mask;
    return ((a & rangeMask) - low) >>> 0 <= span ? t(P, B, LE, W, a, X) : f(P, B, LE, W, a, X);
  };
}

function _range4(
  k: number,
  shift: number,
  mask: number,
  rangeMask: number,
  low: number,
  span: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  return function range4(P, B, LE, W, _A, X): number {
    const i = B + k;
    if (i + 4 > LE) return 0;
    const value = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    const a = (value >>> shift) & mask;
    return ((a & rangeMask) - low) >>> 0 <= span ? t(P, B, LE, W, a, X) : f(P, B, LE, W, a, X);
  };
}

/** Any other test on `[x + k]`: shift, mask, then the range test. */
function _range(
  size: number,
  k: number,
  shift: number,
  mask: number,
  rangeMask: number,
  low: number,
  span: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  return function range(P, B, LE, W, _A, X): number {
    const o = (X + k) | 0;
    if (o < 0) throw _TREE_ESCAPE;
    if (o > LE - B - size) return 0;
    const i = B + o;
    const value = size === 1
      ? P[i]
      : size === 2
      ? (P[i] << 8) | P[i + 1]
      : (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    const a = (value >>> shift) & mask;
    return _taken(a, rangeMask, low, span) ? t(P, B, LE, W, a, X) : f(P, B, LE, W, a, X);
  };
}

/**
 * The closure and batch loop of a program that is a closure tree, or
 * undefined. `general` makes the dispatch loop's closure and batch loop of
 * the same program, called (once, on first need) for a packet whose tree
 * throws {@linkcode _TREE_ESCAPE}.
 */
export function _testTree(lowered: _LoweredProgram, general: () => _Single): _Single | undefined {
  const root = _closureTree(lowered);
  if (root === undefined) return undefined;
  let made: _Single | undefined;
  const escape = () => made ??= general();
  return { run: _treeRun(root, escape), runBatch: _treeBatch(root, escape) };
}

function _treeRun(root: _TreeNode, escape: () => _Single): _Run {
  return function run(P: Uint8Array): number {
    const C: PacketContext | undefined = arguments.length > 1 ? arguments[1] : undefined;
    try {
      if (C === undefined) return root(P, 0, P.length, P.length, 0, 0);
      const B = _dataStart(C);
      const end = _captureEnd(P, C);
      const W = _wireLength(C, B, end);
      return root(P, B, _loadEnd(B, end, W), W, 0, 0);
    } catch (error) {
      if (error !== _TREE_ESCAPE) throw error;
      return escape().run(P, C);
    }
  } as _Run;
}

function _treeBatch(
  root: _TreeNode,
  escape: () => _Single,
): (batch: PacketBatch, results: Uint32Array) => void {
  return function runBatch(batch: PacketBatch, results: Uint32Array): void {
    const n = _batchCount(batch, results);
    try {
      _treeFrames(root, batch, results, n);
    } catch (error) {
      if (error !== _TREE_ESCAPE) throw error;
      // A load in a negative window: the whole batch again through the dispatch loop.
      escape().runBatch(batch, results);
    }
  };
}

/** The tree over the first `n` frames of `batch`. */
function _treeFrames(root: _TreeNode, batch: PacketBatch, results: Uint32Array, n: number): void {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: WL, dataOffsets: D } = batch;
  const PL = P.length;
  // Below 1 GiB every bound is int32 once a frame's data start is clamped to its end + 1
  // (past its end, every load fails either way), and the nodes' index sums stay int32.
  if (PL > 0x3fffffff) return _treeBatchWide(root, batch, results, n);
  for (let i = 0; i < n; i++) {
    const start = O[i];
    const stop = start + L[i];
    const E = (stop < PL ? stop : PL) | 0;
    const first = D === undefined ? start : start + D[i];
    const B = (first <= E ? first : E + 1) | 0;
    const present = E > B ? (E - B) | 0 : 0;
    const W = WL === undefined ? present : WL[i];
    results[i] = root(P, B, WL === undefined ? E : _loadEnd(B, E, W) | 0, W, 0, 0);
  }
}

/** `runBatch` over a buffer of 1 GiB or more: the same bounds, as numbers. */
function _treeBatchWide(
  root: _TreeNode,
  batch: PacketBatch,
  results: Uint32Array,
  n: number,
): void {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: WL, dataOffsets: D } = batch;
  for (let i = 0; i < n; i++) {
    const B = D === undefined ? O[i] : O[i] + D[i];
    const E = _frameEnd(P, O[i], L[i]);
    const present = E > B ? E - B : 0;
    const W = WL === undefined ? present : WL[i];
    results[i] = root(P, B, WL === undefined ? E : _loadEnd(B, E, W), W, 0, 0);
  }
}
