/**
 * Closure trees (private): a program whose every block is a fused test on
 * packet bytes (`[k]`, `[x + k]`, `len`, A itself, or A against X), a
 * return, or straight-line steps before them (ALU operations, scratch
 * cells, `tax`/`txa`, constants, the length, loads into A or X:
 * `_execute_tree_steps.ts`), with no backward jump, as the filter compiler
 * emits `tcp port 80`, `udp`, `host 10.0.0.1` or a `u32` match, runs as one
 * closure per block (and per step), each calling the block its test picks
 * ({@linkcode _closureTree}). No code is generated: the closures come from a
 * few function literals, one per kind of test or step, and capture their
 * operands. Bounded: {@linkcode _MAX_TREE_BLOCKS} blocks,
 * {@linkcode _MAX_TREE_STEPS} step nodes, {@linkcode _MAX_TREE_CONFLICTS}
 * call sites that see two literals (or up to {@linkcode _MAX_TREE_STEPS_UNREPEATED}
 * step nodes where no step literal repeats often on a path).
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
 * A program refused block by block is tried again with each set of values of
 * one field as one node (`_execute_tree_sets.ts`: `vlan`'s three EtherTypes),
 * then also each run of tests on adjacent bytes (`_execute_tree_runs.ts`:
 * `ip6 host X`); one
 * still refused for its size or for a literal held too often on a path (up to
 * {@linkcode _MAX_JOINTED_BLOCKS} blocks) is cut into parts of its own, each
 * entered through a joint (`_execute_tree_joints.ts`); one refused as that too
 * (up to {@linkcode _MAX_PREFIX_BLOCKS} blocks) runs its first tests as a tree
 * whose other blocks restart through the dispatch loop (`_execute_tree_prefix.ts`).
 *
 * A load past the end returns 0, checked at each load as cBPF does (the
 * hoisted checks of `_lower` are not needed: every path's first failing
 * load ends it with 0 either way).
 *
 * @module
 */
import type { PacketContext } from "./packet_context.ts";
import type { PacketBatch } from "./packet_batch.ts";
import type { _LoweredBlock, _LoweredProgram, _Test } from "./_lower.ts";
import { BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET } from "./opcodes.ts";
import {
  _captureEnd,
  _dataStart,
  _loadEnd,
  _readBigEndian,
  _wireLength,
} from "./_packet_access.ts";
import { _batchCount, _frameEnd } from "./_run_batch.ts";
import type { _Single } from "./_execute_single.ts";
import { _jumpTaken } from "./_alu.ts";
import type { _TreeEntries } from "./_execute_tree_entries.ts";
import {
  _equal12,
  _equal13,
  _equal22,
  _equal23,
  _equal42,
  _equalPair2,
  _equalPair3,
  _equalX22,
  _range22,
  _range42,
  _rangeX22,
  _testA2,
  _testA3,
  _testRun2,
  _testRun3,
  _testRun4,
} from "./_execute_tree_second.ts";
import {
  _equalPair,
  _equalWords,
  _pairKind,
  _pairOperands,
  _RUN_STRIDE,
  _testPair,
  type _TestRun,
  _testRun,
  type _TestRuns,
  _testRuns,
} from "./_execute_tree_runs.ts";
import { _isTestSet, _setNode, _withTestSets } from "./_execute_tree_sets.ts";
import { _V8_INLINING_BUDGET } from "./_execute_tree_bytes.ts";
import { _PART_SET_LITERALS, _SET_COPIES, _TREE_SET_LITERALS } from "./_execute_tree_set_nodes.ts";
import { _jointBlocks, _processTreeJoints, _TreeJoints } from "./_execute_tree_joints.ts";
import { type _PrefixCuts, _prefixCuts, _restart } from "./_execute_tree_prefix.ts";
import {
  _equal1Part,
  _equal1Part2,
  _equal1Part3,
  _equal1Part4,
  _equal2Part,
  _equal2Part2,
  _equal2Part3,
  _equal2Part4,
  _equal4Part,
  _equal4Part2,
  _equal4Part3,
  _equal4Part4,
  _equalX2Part,
  _equalX2Part2,
  _equalX2Part3,
  _equalX2Part4,
  _headerPart,
  _headerPart2,
  _headerPart3,
  _headerPart4,
  _range1Part,
  _range1Part2,
  _range1Part3,
  _range1Part4,
  _range2Part,
  _range2Part2,
  _range2Part3,
  _range2Part4,
  _range4Part,
  _range4Part2,
  _range4Part3,
  _range4Part4,
  _rangeX2Part,
  _rangeX2Part2,
  _rangeX2Part3,
  _rangeX2Part4,
  _testAPart,
  _testAPart2,
  _testAPart3,
  _testAPart4,
} from "./_execute_tree_parts.ts";
import {
  _CallSites,
  _stepNodes,
  _TREE_ESCAPED,
  _TREE_STATE_LENGTH,
  type _TreeNode,
  _treeStep,
} from "./_execute_tree_steps.ts";

export type { _TreeNode } from "./_execute_tree_steps.ts";

type _Run = (P: Uint8Array, C?: PacketContext) => number;

/**
 * The most blocks a tree inlined whole may have; a bigger program is cut by
 * joints (up to {@linkcode _MAX_JOINTED_BLOCKS} blocks) or keeps the dispatch loop.
 * V8 inlines about ten nodes into a caller (its budget of inlined bytecode);
 * past that, and wherever a call site has seen nodes of more than four kinds,
 * each node is a real call, about 12 ns: the 734-instruction program of the
 * engine bench ran 2.1× slower than libpcap as a tree of 818 blocks.
 */
export const _MAX_TREE_BLOCKS = 32;

/** A closure tree: its root node and the state its nodes share (scratch cells, X, the wire length). */
export interface _Tree {
  root: _TreeNode;
  state: Int32Array;
  /** Whether a node reads X or the wire length from the state (else they need no store per packet). */
  registers: boolean;
  /** Whether the tree is a prefix whose restarts run the dispatch loop (`_execute_tree_prefix.ts`). */
  restarts?: boolean;
  /** The bytes of node bytecode V8 inlines into the entry (`_TreeLimits.inlinedBytes`). */
  bytes?: number;
}

/** Bounds on a tree with steps (tests lift them to run every kind of node). */
export interface _TreeLimits {
  /** The most step nodes. */
  steps: number;
  /** The most call sites that see two callee literals, when there are steps. */
  conflicts: number;
  /**
   * The most step nodes past `steps` where no step literal occurs more than four times on one
   * path, nor a header length or `[x + k]` load more than twice (any number of call sites that
   * see two literals then); none: no more than `steps`.
   */
  stepsUnrepeated?: number;
  /**
   * The most nodes and steps on all paths from the root, a shared block once per path; when
   * given, no literal may occur on a path more times than it has copies (none: no bounds).
   */
  inlined?: number;
  /**
   * The most bytes of node bytecode a tree inlined whole may hold, counted along every path
   * from the root as `inlined` counts nodes (`_execute_tree_bytes.ts`; none: no bound); each
   * part of a tree cut by joints may hold V8's whole budget (a joint inlines nothing first).
   */
  inlinedBytes?: number;
  /**
   * Joint literals for trees past `inlined` (`_execute_tree_joints.ts`); none: such trees are
   * refused.
   */
  joints?: _TreeJoints;
}

/**
 * The most test nodes and steps a tree may hold counted along every path from
 * the root (a block that several blocks jump to counts once for each path),
 * as V8 inlines it: a copy of each node per caller, within a budget of
 * bytecode (920 bytes, about ten nodes past the entry). Past it the rest are
 * real calls: from a call site shared by 49 programs, trees of 29 to 50 such
 * nodes ran 1.08–1.64× libpcap (`port 8080 and host 10.0.0.5`,
 * `vlan 100 and udp port 53`, `portrange 1000-2000`), those of 21 or fewer
 * 0.52–0.97× but for two of 10 (1.21×, 1.32×) (bench/RESULTS.md, session 17). Since each
 * node calls its targets from one site (frequency 1 whatever else ran), V8 inlines BOTH
 * targets of every node until the budget runs out, so the whole count is what must fit: at 24,
 * trees of 12–21 such nodes ran 0.88–1.19× libpcap (`not dst port 5432` 1.16×, 0.49× with a
 * budget of 5000); at 11, cut by joints, 0.68–0.85× (bench/RESULTS.md, session 19, h19hyb).
 * The nodes' literals differ a lot in size (3 to 354 bytes): {@linkcode _MAX_TREE_BYTES}
 * bounds their bytecode too.
 */
export const _MAX_TREE_INLINED = 11;

/**
 * The most bytes of node bytecode a tree inlined whole may hold, summed along every path from
 * the root as {@linkcode _MAX_TREE_INLINED} counts nodes (`_execute_tree_bytes.ts`); past it the
 * tree is cut by joints, a part past V8's whole budget (920) a joint more. A tree within
 * {@linkcode _MAX_TREE_INLINED} nodes may be past it: `ip6 host 2001:db8::1 or ether host X`
 * (1361 bytes: two runs of four tests of 295 bytes, four pairs of 168 on its paths) ran
 * 1.61–1.62× libpcap whole from a shared helper, 1.14× cut; `ip6 host X and port 443` (1157)
 * 1.03–1.37× whole, 0.90–0.91× cut. V8's budget less the entry body (920 − 143 = 777) also cut
 * trees that ran faster whole (`port 53 or port 123`, 1000 bytes: 0.48–0.49× whole, 0.57–0.58×
 * cut; `tcp port 80 or tcp port 443`, 958: 0.50–0.51× against 0.63–0.65×): the sum counts every
 * path as if all ran, and V8 spends its budget on the most frequent calls first and none on
 * calls below its least frequency, so cold paths past the budget cost little. Hence 1024,
 * between the two sets (bench/RESULTS.md, session 21, h21budget).
 */
export const _MAX_TREE_BYTES = 1024;

/**
 * The most step nodes (ALU, scratch, moves, field loads: `_execute_tree_steps.ts`) a tree
 * may have. Each kind of step is a literal of its own, used at many places in a program
 * with `u32` matches, so the call sites inside those literals see several callee literals
 * and V8 makes them generic calls, about 8 ns each: unseen generator programs with 12–36
 * step nodes ran 1.2–2.1× slower as trees than through the dispatch loop, those with
 * 5 faster or the same (bench/RESULTS.md, session 15). Past it, a tree where no step
 * literal repeats often on a path still pays off ({@linkcode _MAX_TREE_STEPS_UNREPEATED}).
 */
export const _MAX_TREE_STEPS = 6;

/**
 * The most call sites that see two callee literals ({@linkcode _CallSites}) a tree with
 * steps may have (programs of 5 steps and 23–25 such sites ran 1.5–1.7× slower as trees).
 */
export const _MAX_TREE_CONFLICTS = 14;

/**
 * The most step nodes of a tree past {@linkcode _MAX_TREE_STEPS} in which no step literal occurs
 * more than four times on one path, and no `ldx msh` or `[x + k]` load's more than twice (V8
 * inlines no literal into a copy of itself, so each further one on a path is a real call).
 * Programs on the dispatch loop for their steps (`alu-chain`, `tax-txa`, `scratch`, `u32` and
 * `expr-arith` programs of 7–40 steps) ran 0.1–0.7× as long as trees, from their own call site
 * and from a shared one, but for those with a header length or an `[x + k]` load three times on
 * a path (`ldx msh; ld [x + k]` runs: 1.2–1.4× libpcap through the loop, 1.3–2.1× as trees; copies
 * of those literals did not help) (bench/RESULTS.md, session 21, h21loop).
 */
export const _MAX_TREE_STEPS_UNREPEATED = 40;

/** The limits of the closure strategy's trees (`compileClosure`). */
export const _TREE_LIMITS: _TreeLimits = {
  steps: _MAX_TREE_STEPS,
  conflicts: _MAX_TREE_CONFLICTS,
  stepsUnrepeated: _MAX_TREE_STEPS_UNREPEATED,
  inlined: _MAX_TREE_INLINED,
  inlinedBytes: _MAX_TREE_BYTES,
  joints: _processTreeJoints,
};

/**
 * The most blocks of a tree cut by joints (`_execute_tree_joints.ts`); a bigger program keeps
 * the dispatch loop (its fused operations pay off there).
 */
export const _MAX_JOINTED_BLOCKS = 64;

/**
 * The most blocks of a program whose first part runs as a prefix tree when it is refused as a
 * jointed tree (`_execute_tree_prefix.ts`).
 */
export const _MAX_PREFIX_BLOCKS = 256;

/** The most joints of one tree: each is a call on the paths that cross it. */
export const _MAX_TREE_JOINTS = 8;

/**
 * The most test nodes and steps of one part of a tree cut by joints, counted along every path
 * from the part's first node (`_jointBlocks`): the bound of V8's inlining in the entry or joint
 * that runs the part, as {@linkcode _MAX_TREE_INLINED} is for a whole tree. Programs past
 * {@linkcode _MAX_TREE_INLINED} that ran the dispatch loop at 0.9–1.0× libpcap from a helper
 * shared by 48 programs (`vlan 20 and host X`, `port 53 and not host X`) ran at 0.6–0.8× cut
 * into parts of 16 (bench/RESULTS.md, session 19, h19mid); parts of 10 fit V8's budget with
 * both targets of each node inlined (see {@linkcode _MAX_TREE_INLINED}; session 19, h19hyb).
 */
export const _JOINT_BUDGET = 10;

/**
 * The root of `lowered` as a closure tree, or undefined when some block
 * reachable from the entry cannot be a node (see the module doc).
 */
export function _closureTree(
  lowered: _LoweredProgram,
  limits: _TreeLimits = _TREE_LIMITS,
): _Tree | undefined {
  const { blocks } = lowered;
  if (lowered.backward || blocks.length > _MAX_PREFIX_BLOCKS) return undefined;
  if (!blocks.every((_, index) => _treeBlock(lowered, index))) return undefined;
  // Sets of values of one field as nodes (`_execute_tree_sets.ts`), then runs of tests too.
  const sets = _withTestSets(lowered, { heads: new Map(), absorbed: new Set() });
  const runs = _testRuns(lowered);
  // Past the jointed trees' size, or refused as one: the first tests, the rest restarts.
  const prefix = () => _prefixTree(lowered, limits);
  if (blocks.length > _MAX_JOINTED_BLOCKS) return prefix();
  const ways: (_TestRuns | undefined)[] = [undefined];
  if (sets.heads.size > 0) ways.push(sets);
  if (runs.heads.size > 0) ways.push(_withTestSets(lowered, runs));
  // Cut by joints: with sets first where that takes fewer joints, else as before (where the
  // same number, the joints of a tree with sets may sit higher, on more packets' paths).
  const fewer = sets.heads.size > 0 && _jointsTaken(lowered, limits, sets) <
      _jointsTaken(lowered, limits, undefined);
  const jointed = fewer ? [sets, ...ways.filter((way) => way !== sets)] : ways;
  if (blocks.length <= _MAX_TREE_BLOCKS) {
    // Refused block by block: the same with each set, then each run of tests, one node.
    for (const way of ways) {
      const tree = _builtTree(lowered, limits, way);
      if (tree !== undefined) return tree;
    }
  }
  // Too big to inline whole: cut into parts entered through joints.
  for (const way of jointed) {
    const tree = _jointedTree(lowered, limits, way);
    if (tree !== undefined) return tree;
  }
  return prefix();
}

/** Joints that hand out no literal (a part is its first node): to count the joints a tree takes. */
class _CountedJoints extends _TreeJoints {
  override literal(): (next: _TreeNode) => _TreeNode {
    return (next) => next;
  }
}

/**
 * The joints `lowered` cut with `runs` as nodes takes (Infinity: refused), counted without a
 * joint literal: a joint literal made into a second closure would no longer be specialised.
 */
function _jointsTaken(
  lowered: _LoweredProgram,
  limits: _TreeLimits,
  runs: _TestRuns | undefined,
): number {
  const joints = new _CountedJoints();
  return _jointedTree(lowered, { ...limits, joints }, runs) === undefined ? Infinity : joints.used;
}

/**
 * The first tests of `lowered` as a tree whose other blocks restart through the dispatch loop
 * (`_execute_tree_prefix.ts`), for a program refused for its size alone (its steps and call
 * sites within the bounds of a tree); or undefined.
 */
function _prefixTree(lowered: _LoweredProgram, limits: _TreeLimits): _Tree | undefined {
  // The same switch as the joints': without joints, no tree past the inlining bound.
  if (limits.joints === undefined || limits.inlined === undefined) return undefined;
  const prefix = _prefixCuts(lowered, _JOINT_BUDGET);
  if (prefix === undefined) return undefined;
  // Only within the steps of a tree: a prefix of a program past them restarted too often.
  const strict = { ...limits, stepsUnrepeated: undefined };
  const unbounded = { ...strict, inlined: undefined, inlinedBytes: undefined, joints: undefined };
  if (_builtTree(lowered, unbounded, undefined) === undefined) return undefined;
  return _builtTree(lowered, strict, undefined, undefined, undefined, prefix);
}

/** The tree of `lowered` cut into parts by joints, or undefined (see `_execute_tree_joints.ts`). */
function _jointedTree(
  lowered: _LoweredProgram,
  limits: _TreeLimits,
  runs: _TestRuns | undefined,
): _Tree | undefined {
  const pool = limits.joints;
  if (pool === undefined || limits.inlined === undefined) return undefined;
  const joints = _jointBlocks(lowered, _JOINT_BUDGET, runs);
  // Where a part holds a literal on a path more often than it has copies, a joint more there.
  for (let round = 0; joints !== undefined && round < _MAX_TREE_JOINTS; round++) {
    if (joints.size > _MAX_TREE_JOINTS || joints.size > pool.left) return undefined;
    const overflow = new Set<number>();
    const tree = _builtTree(lowered, limits, runs, joints, overflow);
    if (tree !== undefined) {
      pool.commit(joints.size);
      return tree;
    }
    if (overflow.size === 0) return undefined;
    for (const block of overflow) joints.add(block);
  }
  return undefined;
}

/**
 * The tree of `lowered` (every block a node kind), with `runs` as nodes of their own if given;
 * exported for tests (internal).
 */
export function _builtTree(
  lowered: _LoweredProgram,
  limits: _TreeLimits,
  runs: _TestRuns | undefined,
  joints?: ReadonlySet<number>,
  overflow?: Set<number>,
  prefix?: _PrefixCuts,
): _Tree | undefined {
  const { blocks } = lowered;
  const whole = joints === undefined && prefix === undefined;
  if (whole && _inlinedNodes(lowered, runs) > (limits.inlined ?? Infinity)) return undefined;
  let jointsMade = 0;
  // Parts of jointed trees and prefixes share no test literal with trees inlined whole.
  const kinds = whole ? _TREE_LITERALS : _PART_LITERALS;
  const built = new Map<number, _TreeNode>();
  const S = new Int32Array(_TREE_STATE_LENGTH);
  const sites = new _CallSites();
  const literals = new _LiteralsBelow(_nodeBlock.bind(null, lowered), overflow);
  const stepLiterals = new _StepsBelow();
  const target = (to: number) => built.get(to)!;
  // The first node of each part below a joint, by the joint's block (`inlinedBytes`).
  const parts = new Map<number, _TreeNode>();
  // Blocks only jump forwards, so building from the last block up finds each target built.
  for (let index = blocks.length - 1; index >= 0; index--) {
    if (runs?.absorbed.has(index)) continue;
    // A prefix: only its blocks, each restart a node that runs the loop (nothing counts below).
    if (prefix !== undefined && !prefix.live.has(index)) continue;
    if (prefix?.restarts.has(index)) {
      built.set(index, _restart(S));
      literals.cut(index);
      stepLiterals.cut(index);
      continue;
    }
    const run = runs?.heads.get(index);
    const node = run === undefined
      ? _node(lowered, index, target, S, sites, literals, kinds)
      : _runNode(run, index, target, sites, literals, S, joints !== undefined);
    stepLiterals.record(index, _successors(lowered, index, runs), sites.names.splice(0));
    if (!joints?.has(index)) built.set(index, node);
    else {
      // A part of its own: its literals start again below the joint.
      const joint = limits.joints!.literal(jointsMade++)(node);
      // A joint stays a call: nothing below it counts against its caller's budget.
      sites.leaf(joint, 0);
      built.set(index, joint);
      parts.set(index, node);
      literals.cut(index);
      stepLiterals.cut(index);
    }
  }
  // A literal more times on a path than it has copies, or a step calling its own literal: V8
  // would not inline the rest (from their own call site, `ip and (ip[2:2] - 20) % 8 == 0`
  // 1.2–1.5× libpcap as a tree, `((ether[13:1] | 17739) << 3) >= 64` 2.0–2.4×: session 18).
  if (limits.inlined !== undefined && (literals.tooMany || sites.selfCalls > 0)) return undefined;
  // Past V8's budget of inlined bytecode: refused whole; cut, a joint more in each part past it
  // (below its first node, on the side that holds more).
  const bytes = limits.inlinedBytes;
  if (bytes !== undefined && prefix === undefined) {
    if (whole && sites.bytes(built.get(0)!) > bytes) return undefined;
    const over = [...parts].filter(([, node]) => sites.bytes(node) > _V8_INLINING_BUDGET);
    if (!whole && sites.bytes(built.get(0)!) > bytes) over.push([0, built.get(0)!]);
    if (over.length > 0) {
      for (const [index] of over) {
        const below = _nodeTargets(lowered, index, runs).filter((to) => !joints?.has(to));
        const most = below.sort((a, b) => sites.bytes(built.get(b)!) - sites.bytes(built.get(a)!));
        if (most.length > 0) overflow?.add(most[0]);
      }
      return undefined;
    }
  }
  if (sites.steps > limits.steps) {
    const unrepeated = limits.stepsUnrepeated ?? 0;
    if (sites.steps > unrepeated || stepLiterals.most > 4 || stepLiterals.mostIndexed > 2) {
      return undefined;
    }
  } else if (sites.steps > 0 && sites.conflicts > limits.conflicts) return undefined;
  // A prefix's entry checks the escape cell after each packet, as with registers.
  const restarts = prefix !== undefined;
  const registers = restarts || blocks.some(_readsRegisters);
  return { root: built.get(0)!, state: S, registers, restarts, bytes: sites.bytes(built.get(0)!) };
}

/** The test nodes and steps on all paths from block 0 (see {@linkcode _MAX_TREE_INLINED}). */
export function _inlinedNodes({ blocks }: _LoweredProgram, runs?: _TestRuns): number {
  const below = new Array<number>(blocks.length).fill(0);
  // Blocks only jump forwards: from the last up, each target is counted first.
  for (let index = blocks.length - 1; index >= 0; index--) {
    const { steps, exit } = blocks[index];
    const run = runs?.heads.get(index);
    // A run is one node; its other blocks are not nodes (nothing jumps to them but the run).
    if (run !== undefined) below[index] = 1 + below[run.next] + below[run.out];
    else if (exit.kind === "goto") below[index] = below[exit.to];
    else if (exit.kind === "test") {
      below[index] = 1 + steps.length + below[exit.whenTrue] + below[exit.whenFalse];
    }
  }
  return below[0] ?? 0;
}

/** The blocks block `index` goes on to: a run's two outcomes, a test's two, a goto's target. */
function _successors(lowered: _LoweredProgram, index: number, runs?: _TestRuns): number[] {
  const run = runs?.heads.get(index);
  if (run !== undefined) return [run.next, run.out];
  const exit = lowered.blocks[index].exit;
  if (exit.kind === "test") return [exit.whenTrue, exit.whenFalse];
  return exit.kind === "goto" ? [exit.to] : [];
}

/** The blocks of the nodes block `index`'s node calls (a goto's target stands for it). */
function _nodeTargets(lowered: _LoweredProgram, index: number, runs?: _TestRuns): number[] {
  const node = runs?.heads.has(index) ? index : _nodeBlock(lowered, index);
  return _successors(lowered, node, runs).map((to) => _nodeBlock(lowered, to));
}

/** The block whose node block `index`'s is: itself, or a goto's target. */
function _nodeBlock({ blocks }: _LoweredProgram, index: number): number {
  const exit = blocks[index].exit;
  return exit.kind === "goto" ? _nodeBlock({ blocks } as _LoweredProgram, exit.to) : index;
}

/** Whether a block has steps, or a test on X, at `[x + k]` or of the length. */
function _readsRegisters({ steps, exit }: _LoweredBlock): boolean {
  if (steps.length > 0) return true;
  if (exit.kind !== "test") return false;
  return exit.useX || exit.producer?.kind === "load-indirect" ||
    exit.producer?.kind === "load-length";
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

/** The node of the run of tests headed by block `index`. */
function _runNode(
  run: _TestRun,
  index: number,
  target: (block: number) => _TreeNode,
  sites: _CallSites,
  literals: _LiteralsBelow,
  S: Int32Array,
  parts: boolean,
): _TreeNode {
  const t = target(run.next);
  const f = target(run.out);
  let node: _TreeNode;
  if (_isTestSet(run)) {
    // A set of values of one field (`_execute_tree_sets.ts`), and its copy as for a test.
    const sets = parts ? _PART_SET_LITERALS : _TREE_SET_LITERALS;
    node = _setNode(run, S, t, f, 0, sets);
    const level = literals.level(node.name, run.next, run.out);
    if (level > 0) node = _setNode(run, S, t, f, level, sets);
  } else {
    // A run already below this one on some path (`ip6 host X`): the second copy. A run of two
    // tests (`ether host X`) has literals of its own kind, without the loop (`_pairKind`).
    if (run.tests.length === 2 * _RUN_STRIDE) {
      const kind = _pairKind(run.tests);
      const operands = [..._pairOperands(kind, run.tests), t, f] as never[];
      const pairs: ((...operands: never[]) => _TreeNode)[] = _PAIRS[kind];
      node = pairs[0](...operands);
      const level = literals.level(node.name, run.next, run.out);
      if (level > 0) node = _copy(pairs, level)(...operands);
    } else {
      const level = literals.level("testRun", run.next, run.out);
      node = [_testRun, _testRun2, _testRun3, _testRun4][Math.min(level, 3)](run.tests, t, f);
    }
  }
  node = _linked(sites, node, t, f);
  literals.record(index, { kind: "test", whenTrue: run.next, whenFalse: run.out }, [node.name]);
  return node;
}

/** The node of block `index`, whose targets come from `target`. */
function _node(
  lowered: _LoweredProgram,
  index: number,
  target: (block: number) => _TreeNode,
  S: Int32Array,
  sites: _CallSites,
  literals: _LiteralsBelow,
  kinds: _TestLiterals = _TREE_LITERALS,
): _TreeNode {
  const { steps, exit } = lowered.blocks[index];
  let node: _TreeNode;
  if (exit.kind === "return") node = _returns(exit.value >>> 0);
  else if (exit.kind === "return-a") node = _returnsA();
  else if (exit.kind === "goto") node = target(exit.to);
  else if (exit.useX) {
    node = _linked(
      sites,
      _testX(
        S,
        exit.shift,
        exit.mask | 0,
        exit.op,
        target(exit.whenTrue),
        target(exit.whenFalse),
      ),
      target(exit.whenTrue),
      target(exit.whenFalse),
    );
    if (exit.producer !== undefined) node = _stepNodes([exit.producer], node, S, sites);
  } else {
    const t = target(exit.whenTrue);
    const f = target(exit.whenFalse);
    node = _testNode(exit, S, t, f, 0, kinds);
    // A literal already below this node on some path: another copy, so V8 can inline it.
    const level = literals.level(node.name, exit.whenTrue, exit.whenFalse);
    if (level > 0) node = _testNode(exit, S, t, f, level, kinds);
    node = _linked(sites, node, t, f);
  }
  const step = steps[0];
  const header = steps.length === 1 && step.kind === "load-header-length";
  let headerNode = header ? kinds.header[0](step.offset, S, node) : undefined;
  if (headerNode !== undefined && step.kind === "load-header-length" && exit.kind === "test") {
    // As the tests': the copy after those already below it on some path.
    const level = literals.level(headerNode.name, exit.whenTrue, exit.whenFalse);
    if (level > 0) headerNode = _copy(kinds.header, level)(step.offset, S, node);
  }
  literals.record(index, exit, headerNode ? [node.name, headerNode.name] : [node.name]);
  // `tcp port 80`'s blocks: no step, or the header length alone.
  if (steps.length === 0) return node;
  if (headerNode !== undefined) return _linked(sites, headerNode, node);
  return _stepNodes(steps, node, S, sites);
}

/** How many copies of each test literal of jointed trees' parts there are (`_execute_tree_parts.ts`). */
const _PART_COPIES = 4;

/**
 * How many copies of each test literal there are (`_execute_tree_second.ts`);
 * one for every other literal. A path may hold a literal this many times:
 * V8 never inlines a literal into itself.
 */
const _COPIES: Readonly<Record<string, number>> = {
  header: 1,
  equal1: 3,
  equal2: 3,
  equal4: 2,
  equalX2: 2,
  testA: 3,
  testRun: 4,
  // Runs of two tests (`_execute_tree_runs.ts`). Equality pairs (`ether host X`: two on a path)
  // inlined whole with two or three on a path ran 0.55–0.84× libpcap from a helper shared with
  // other programs, 0.75–1.30× cut by a joint; four whole (`ether host A or ether host B`) ran
  // 0.62–1.17× in some processes and 1.58–1.81× in others (past V8's budget of inlined bytecode),
  // cut 0.87–1.13×. Two of the other pairs on a path (`ip6 net X/56 and tcp`) ran 0.97–1.02×
  // whole, 0.85–0.88× cut (bench/RESULTS.md, session 21, h21pair).
  testPair: 1,
  equalPair: 3,
  equalWords: 1,
  range2: 2,
  range4: 2,
  rangeX2: 2,
  testAPart: _PART_COPIES,
  equal1Part: _PART_COPIES,
  equal2Part: _PART_COPIES,
  equal4Part: _PART_COPIES,
  range1Part: _PART_COPIES,
  range2Part: _PART_COPIES,
  range4Part: _PART_COPIES,
  headerPart: _PART_COPIES,
  equalX2Part: _PART_COPIES,
  rangeX2Part: _PART_COPIES,
  ..._SET_COPIES,
};

/** The literals of runs of two tests by kind (`_pairKind`), each kind's copies in order. */
const _PAIRS = {
  testPair: [_testPair],
  equalPair: [_equalPair, _equalPair2, _equalPair3],
  equalWords: [_equalWords],
};

/** The copy `level` of a literal's copies, the last one where there are fewer. */
function _copy<T>(copies: readonly T[], level: number): T {
  return copies[Math.min(level, copies.length - 1)];
}

/** A run's two targets, as a test's (`_LiteralsBelow.record`). */
type _RunExit = { kind: "test"; whenTrue: number; whenFalse: number };

/**
 * For each built block, the most times each literal (by name) occurs on one
 * path from it, itself included; `tooMany` once some path holds a literal
 * more times than it has copies.
 */
class _LiteralsBelow {
  tooMany = false;
  #below = new Map<number, ReadonlyMap<string, number>>();

  /**
   * `nodeBlock`: the block whose node a block's stands for (a goto's target); `overflow`, if
   * given, gets for each literal a path holds too often the block below which it occurs most.
   */
  constructor(
    private readonly nodeBlock: (block: number) => number = (block) => block,
    private readonly overflow?: Set<number>,
  ) {}

  /** The most times `name` occurs on one path from these blocks. */
  level(name: string, ...blocks: number[]): number {
    return Math.max(0, ...blocks.map((block) => this.#below.get(block)?.get(name) ?? 0));
  }

  /** Block `index` starts a part of its own (a joint): nothing below it counts above it. */
  cut(index: number): void {
    this.#below.set(index, new Map());
  }

  /** Records block `index`, whose exit is `exit` and whose nodes have these names. */
  record(index: number, exit: _LoweredBlock["exit"] | _RunExit, names: string[]): void {
    if (exit.kind === "goto") this.#below.set(index, this.#below.get(exit.to) ?? new Map());
    if (exit.kind !== "test") return;
    const counts = new Map<string, number>();
    for (const block of [exit.whenTrue, exit.whenFalse]) {
      for (const [name, count] of this.#below.get(block) ?? []) {
        counts.set(name, Math.max(count, counts.get(name) ?? 0));
      }
    }
    for (const name of names) {
      const count = (counts.get(name) ?? 0) + 1;
      counts.set(name, count);
      if (count <= (_COPIES[name] ?? 1)) continue;
      this.tooMany = true;
      const [t, f] = [exit.whenTrue, exit.whenFalse].map((block) => this.level(name, block));
      this.overflow?.add(this.nodeBlock(t >= f ? exit.whenTrue : exit.whenFalse));
    }
    this.#below.set(index, counts);
  }
}

/** For each built block, the most times each step literal occurs on one path from it. */
class _StepsBelow {
  /** The most times one step literal occurs on one path. */
  most = 0;
  /** The same for the literals of `ldx msh` and of loads at `x + k` (`headerX`, `fieldX`). */
  mostIndexed = 0;
  #below = new Map<number, ReadonlyMap<string, number>>();

  /** Block `index` starts a part of its own (a joint): nothing below it counts above it. */
  cut(index: number): void {
    this.#below.set(index, new Map());
  }

  /** Records block `index`, whose step nodes have these names and which goes on to `below`. */
  record(index: number, below: readonly number[], names: readonly string[]): void {
    const counts = new Map<string, number>();
    for (const block of below) {
      for (const [name, count] of this.#below.get(block) ?? []) {
        counts.set(name, Math.max(count, counts.get(name) ?? 0));
      }
    }
    for (const name of names) {
      const count = (counts.get(name) ?? 0) + 1;
      counts.set(name, count);
      this.most = Math.max(this.most, count);
      if (name === "headerX" || name === "fieldX") {
        this.mostIndexed = Math.max(this.mostIndexed, count);
      }
    }
    this.#below.set(index, counts);
  }
}

/** `node`, its call sites recorded in `sites`. */
function _linked(sites: _CallSites, node: _TreeNode, ...callees: _TreeNode[]): _TreeNode {
  sites.link(node, ...callees);
  return node;
}

/** Whether a test is `A == k` on the whole value (no shift, no mask). */
function _isEquality(test: _Test): boolean {
  return test.shift === 0 && (test.mask | 0) === -1 && (test.rangeMask | 0) === -1 &&
    test.span === 0;
}

/** The literals of a tree's test nodes (and `header`), by kind, each kind's copies in order. */
export interface _TestLiterals {
  testA: (typeof _testA)[];
  equal1: (typeof _equal1)[];
  equal2: (typeof _equal2)[];
  equal4: (typeof _equal4)[];
  equalX2: (typeof _equalX2)[];
  range1: (typeof _range1)[];
  range2: (typeof _range2)[];
  range4: (typeof _range4)[];
  rangeX2: (typeof _rangeX2)[];
  header: (typeof _header)[];
}

/**
 * The node of a test; `copy` > 0: from the literal's other copies
 * (`_execute_tree_second.ts`), the last one where there are fewer. `literals`: the trees'
 * literals, or those of jointed trees' parts (`_execute_tree_parts.ts`).
 */
function _testNode(
  test: _Test,
  S: Int32Array,
  t: _TreeNode,
  f: _TreeNode,
  copy: number,
  literals: _TestLiterals,
): _TreeNode {
  const pick = <T>(copies: T[]): T => copies[Math.min(copy, copies.length - 1)];
  const producer = test.producer;
  const { shift, low } = test;
  const mask = test.mask | 0;
  const rangeMask = test.rangeMask | 0;
  const span = test.span >>> 0;
  if (producer === undefined) {
    return pick(literals.testA)(shift, mask, rangeMask, low, span, t, f);
  }
  if (producer.kind === "load-length") {
    return _testLength(S, shift, mask, rangeMask, low, span, t, f);
  }
  const indirect = producer.kind === "load-indirect";
  const k = producer.offset;
  if (_isEquality(test)) {
    // The value as int32 bits, as the loads produce them.
    const v = low | 0;
    if (indirect) {
      if (producer.size === 1) return _equalX1(S, k, v, t, f);
      return (producer.size === 2 ? pick(literals.equalX2) : _equalX4)(S, k, v, t, f);
    }
    const size = producer.size;
    const equal = pick(
      size === 1 ? literals.equal1 : size === 2 ? literals.equal2 : literals.equal4,
    );
    return equal(k, v, t, f);
  }
  if (indirect && producer.size === 2) {
    return pick(literals.rangeX2)(S, k, shift, mask, rangeMask, low, span, t, f);
  }
  if (indirect) return _range(S, producer.size, k, shift, mask, rangeMask, low, span, t, f);
  const size = producer.size;
  const range = pick(size === 1 ? literals.range1 : size === 2 ? literals.range2 : literals.range4);
  return range(k, shift, mask, rangeMask, low, span, t, f);
}

// One literal per kind of node: a call site that sees closures of one literal (or a few)
// inlines them, and each inlined copy has branches of its own.
//
// A test node calls its target from ONE call site, `(taken ? t : f)(P, B, LE, a)`, called on
// every run of the node (`_execute_tree_runs.ts` and `_execute_tree_second.ts` alike). V8
// inlines a call only if its frequency is at least 0.15: the site's call count over the
// literal's invocations, multiplied down the path; those counts are shared by every closure of
// the literal, every tree of the process, and counted only while it runs unoptimised. With a
// site per target, a test whose passing target is rare in the trees that ran unoptimised first
// cut every other tree's inlining there: `tcp[tcpflags] == tcp-ack and len > 1000` ran 0.47×
// libpcap in one process and 1.26× in another with the same programs (bench/RESULTS.md,
// session 19). One site per node has frequency 1 whatever ran; V8 inlines both targets of its
// constant pair. The false arm stores to `mark`, a cell of the literal's own context (no
// feedback, 3 bytes of bytecode): with an effect in one arm, V8 reuses the test's own branch
// for the two inlined calls; without, it compares the picked closure with each target first
// (`ip and len > 500` 0.85× libpcap against 0.76×, `not dst port 5432` 0.78× against 0.60×:
// bench/RESULTS.md, session 19, h19hyb).

function _returns(value: number): _TreeNode {
  return function returns(): number {
    return value;
  };
}

function _returnsA(): _TreeNode {
  return function returnsA(_P, _B, _LE, A): number {
    return A >>> 0;
  };
}

/** `X = 4 * ([h] & 0xf)`, then `next`. */
function _header(h: number, S: Int32Array, next: _TreeNode): _TreeNode {
  return function header(P, B, LE, A): number {
    const i = B + h;
    if (i + 1 > LE) return 0;
    S[16] = (P[i] & 0xf) << 2; // X
    return next(P, B, LE, A);
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
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function testA(P, B, LE, A): number {
    const a = (A >>> shift) & mask;
    return (((a & rangeMask) - low) >>> 0 <= span ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `A = (A >>> shift) & mask`, then `A op X`. */
function _testX(
  S: Int32Array,
  shift: number,
  mask: number,
  op: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function testX(P, B, LE, A): number {
    const a = (A >>> shift) & mask;
    return (_jumpTaken(op, a >>> 0, S[16] >>> 0) === 1 ? t : (mark = 0, f))(P, B, LE, a);
  };
}

function _testLength(
  S: Int32Array,
  shift: number,
  mask: number,
  rangeMask: number,
  low: number,
  span: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function testLength(P, B, LE): number {
    const a = (S[17] >>> shift) & mask; // the wire length
    return (_taken(a, rangeMask, low, span) ? t : (mark = 0, f))(P, B, LE, a);
  };
}

function _equal1(k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equal1(P, B, LE): number {
    const i = B + k;
    if (i + 1 > LE) return 0;
    const a = P[i];
    return (a === v ? t : (mark = 0, f))(P, B, LE, a);
  };
}

function _equal2(k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equal2(P, B, LE): number {
    const i = B + k;
    if (i + 2 > LE) return 0;
    const a = (P[i] << 8) | P[i + 1];
    return (a === v ? t : (mark = 0, f))(P, B, LE, a);
  };
}

function _equal4(k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equal4(P, B, LE): number {
    const i = B + k;
    if (i + 4 > LE) return 0;
    const a = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    return (a === v ? t : (mark = 0, f))(P, B, LE, a);
  };
}

function _equalX1(S: Int32Array, k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equalX1(P, B, LE): number {
    const o = (S[16] + k) | 0; // X + k
    if (o < 0) {
      S[19] = 1; // _TREE_ESCAPED
      return 0;
    }
    if (o > LE - B - 1) return 0;
    const i = B + o;
    const a = P[i];
    return (a === v ? t : (mark = 0, f))(P, B, LE, a);
  };
}

function _equalX2(S: Int32Array, k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equalX2(P, B, LE): number {
    const o = (S[16] + k) | 0; // X + k
    if (o < 0) {
      S[19] = 1; // _TREE_ESCAPED
      return 0;
    }
    if (o > LE - B - 2) return 0;
    const i = B + o;
    const a = (P[i] << 8) | P[i + 1];
    return (a === v ? t : (mark = 0, f))(P, B, LE, a);
  };
}

function _equalX4(S: Int32Array, k: number, v: number, t: _TreeNode, f: _TreeNode): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function equalX4(P, B, LE): number {
    const o = (S[16] + k) | 0; // X + k
    if (o < 0) {
      S[19] = 1; // _TREE_ESCAPED
      return 0;
    }
    if (o > LE - B - 4) return 0;
    const i = B + o;
    const a = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    return (a === v ? t : (mark = 0, f))(P, B, LE, a);
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
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function range1(P, B, LE): number {
    const i = B + k;
    if (i + 1 > LE) return 0;
    const a = (P[i] >>> shift) & mask;
    return (((a & rangeMask) - low) >>> 0 <= span ? t : (mark = 0, f))(P, B, LE, a);
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
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function range2(P, B, LE): number {
    const i = B + k;
    if (i + 2 > LE) return 0;
    const a = (((P[i] << 8) | P[i + 1]) >>> shift) & mask;
    return (((a & rangeMask) - low) >>> 0 <= span ? t : (mark = 0, f))(P, B, LE, a);
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
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function range4(P, B, LE): number {
    const i = B + k;
    if (i + 4 > LE) return 0;
    const value = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    const a = (value >>> shift) & mask;
    return (((a & rangeMask) - low) >>> 0 <= span ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** Any other test on 2 bytes at `[x + k]` (a port range): shift, mask, then the range test. */
function _rangeX2(
  S: Int32Array,
  k: number,
  shift: number,
  mask: number,
  rangeMask: number,
  low: number,
  span: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function rangeX2(P, B, LE): number {
    const o = (S[16] + k) | 0; // X + k
    if (o < 0) {
      S[19] = 1; // _TREE_ESCAPED
      return 0;
    }
    if (o > LE - B - 2) return 0;
    const i = B + o;
    const a = (((P[i] << 8) | P[i + 1]) >>> shift) & mask;
    return (((a & rangeMask) - low) >>> 0 <= span ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** Any other test on 1 or 4 bytes at `[x + k]`: shift, mask, then the range test. */
function _range(
  S: Int32Array,
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
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function range(P, B, LE): number {
    const o = (S[16] + k) | 0; // X + k
    if (o < 0) {
      S[19] = 1; // _TREE_ESCAPED
      return 0;
    }
    if (o > LE - B - size) return 0;
    const i = B + o;
    const value = _readBigEndian(P, i, size);
    const a = (value >>> shift) & mask;
    return (_taken(a, rangeMask, low, span) ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/**
 * The test literals that have a second copy (`_execute_tree_second.ts`), by
 * name: a test checks that each copy's text is the same (internal).
 */
export const _FIRST_COPIES = {
  testA: _testA,
  equal1: _equal1,
  equal2: _equal2,
  equal4: _equal4,
  equalX2: _equalX2,
  range2: _range2,
  range4: _range4,
  rangeX2: _rangeX2,
  testRun: _testRun,
  equalPair: _equalPair,
} as const;

/** The test literals of trees inlined whole, with their copies (`_execute_tree_second.ts`; internal). */
export const _TREE_LITERALS: _TestLiterals = {
  testA: [_testA, _testA2, _testA3],
  equal1: [_equal1, _equal12, _equal13],
  equal2: [_equal2, _equal22, _equal23],
  equal4: [_equal4, _equal42],
  equalX2: [_equalX2, _equalX22],
  range1: [_range1],
  range2: [_range2, _range22],
  range4: [_range4, _range42],
  rangeX2: [_rangeX2, _rangeX22],
  header: [_header],
};

/** The test literals of trees cut by joints (`_execute_tree_parts.ts`): none shared with those (internal). */
export const _PART_LITERALS: _TestLiterals = {
  testA: [_testAPart, _testAPart2, _testAPart3, _testAPart4],
  equal1: [_equal1Part, _equal1Part2, _equal1Part3, _equal1Part4],
  equal2: [_equal2Part, _equal2Part2, _equal2Part3, _equal2Part4],
  equal4: [_equal4Part, _equal4Part2, _equal4Part3, _equal4Part4],
  range1: [_range1Part, _range1Part2, _range1Part3, _range1Part4],
  range2: [_range2Part, _range2Part2, _range2Part3, _range2Part4],
  range4: [_range4Part, _range4Part2, _range4Part3, _range4Part4],
  header: [_headerPart, _headerPart2, _headerPart3, _headerPart4],
  equalX2: [_equalX2Part, _equalX2Part2, _equalX2Part3, _equalX2Part4],
  rangeX2: [_rangeX2Part, _rangeX2Part2, _rangeX2Part3, _rangeX2Part4],
};

/**
 * The closure and batch loop of a program that is a closure tree, or
 * undefined. `general` makes the dispatch loop's closure and batch loop of
 * the same program, called (once, on first need) for a packet whose tree
 * sets the state's {@linkcode _TREE_ESCAPED} cell.
 */
export function _testTree(
  lowered: _LoweredProgram,
  general: () => _Single,
  limits: _TreeLimits = _TREE_LIMITS,
  entries?: _TreeEntries,
): _Single | undefined {
  if (entries !== undefined && !entries.available) return undefined;
  const tree = _closureTree(lowered, limits);
  if (tree === undefined) return undefined;
  let made: _Single | undefined;
  const escape = () => made ??= general();
  const run = _treeRun(tree, escape);
  // A prefix's batches: the dispatch loop's (it restarts there anyway).
  const runBatch = tree.restarts
    ? (batch: PacketBatch, results: Uint32Array) => escape().runBatch(batch, results)
    : _treeBatch(tree, escape);
  return entries === undefined ? { run, runBatch } : entries.take(run, runBatch);
}

// The per-packet entry is small: V8 inlines the tree into it within a budget of bytecode
// (920 bytes) that the entry's own bytecode counts against, so the context's bounds are
// computed in a function of their own (called only with a context, not inlined then).
function _treeRun(tree: _Tree, escape: () => _Single): _Run {
  const { root, state: S, registers } = tree;
  const withContext = _treeRunWithContext(tree, escape);
  return function run(P: Uint8Array): number {
    if (arguments.length > 1 && arguments[1] !== undefined) return withContext(P, arguments[1]);
    if (registers) {
      S[16] = 0; // X
      S[17] = P.length; // W
    }
    const result = root(P, 0, P.length, 0);
    // Only a node that reads X (`[x + k]`) can escape: without one, nothing to check (one call
    // site of the root: a second one counted against V8's budget for inlining the tree).
    if (!registers || S[_TREE_ESCAPED] === 0) return result;
    S[_TREE_ESCAPED] = 0;
    return escape().run(P);
  } as _Run;
}

function _treeRunWithContext(
  { root, state: S, registers }: _Tree,
  escape: () => _Single,
): (P: Uint8Array, C: PacketContext) => number {
  return function runWithContext(P: Uint8Array, C: PacketContext): number {
    const B = _dataStart(C);
    const end = _captureEnd(P, C);
    const W = _wireLength(C, B, end);
    if (registers) {
      S[16] = 0; // X
      S[17] = W;
    }
    const result = root(P, B, _loadEnd(B, end, W), 0);
    if (S[_TREE_ESCAPED] === 0) return result;
    S[_TREE_ESCAPED] = 0;
    return escape().run(P, C);
  };
}

function _treeBatch(
  tree: _Tree,
  escape: () => _Single,
): (batch: PacketBatch, results: Uint32Array) => void {
  const { root, state: S, registers } = tree;
  return function runBatch(batch: PacketBatch, results: Uint32Array): void {
    const n = _batchCount(batch, results);
    const { bytes: P, offsets: O, capturedLengths: L, wireLengths: WL, dataOffsets: D } = batch;
    const PL = P.length;
    // Below 1 GiB every bound is int32 once a frame's data start is clamped to its end + 1
    // (past its end, every load fails either way), and the nodes' index sums stay int32.
    if (PL > 0x3fffffff) _treeBatchWide(tree, batch, results, n);
    // The loop stays in this closure: in a function of its own it cost 36 ns a frame
    // against 21–23 (session 14).
    else {
      for (let i = 0; i < n; i++) {
        const start = O[i];
        const stop = start + L[i];
        const E = (stop < PL ? stop : PL) | 0;
        const first = D === undefined ? start : start + D[i];
        const B = (first <= E ? first : E + 1) | 0;
        const present = E > B ? (E - B) | 0 : 0;
        const W = WL === undefined ? present : WL[i];
        if (registers) {
          S[16] = 0; // X
          S[17] = W;
        }
        results[i] = root(P, B, WL === undefined ? E : _loadEnd(B, E, W) | 0, 0);
      }
    }
    // A load in a negative window: the whole batch again through the dispatch loop.
    if (S[_TREE_ESCAPED] === 0) return;
    S[_TREE_ESCAPED] = 0;
    escape().runBatch(batch, results);
  };
}

/** `runBatch` over a buffer of 1 GiB or more: the same bounds, as numbers. */
function _treeBatchWide(
  { root, state: S }: _Tree,
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
    S[16] = 0; // X
    S[17] = W;
    results[i] = root(P, B, WL === undefined ? E : _loadEnd(B, E, W), 0);
  }
}
