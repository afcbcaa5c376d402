/**
 * Sets of tests for closure trees (private): a block that loads a field
 * (`[k]`, or `[x + k]` of 2 bytes) and tests it for equality, followed by
 * blocks that test the same A for equality again (no load, no steps, nothing
 * folded), where every test's "equal" edge goes to the same block (the set's
 * match) and its other edge to the next test, the last one's to another block
 * (the miss): a membership of one field in a set of values, as the filter
 * compiler emits `vlan` (the EtherTypes 0x8100, 0x88a8 and 0x9100 all jump to
 * the VLAN body), `tcp or udp or sctp` under `port`, `ip or ip6`.
 *
 * Such a set is one node of the tree (`_execute_tree_set_nodes.ts`): one load,
 * up to {@linkcode _SET_VALUES} compares, its two targets called from one call
 * site, so the match block is counted once on the paths (`_inlinedNodes`),
 * not once per value. Sets are given to the tree as runs (`_TestRuns`: a head,
 * the blocks it absorbs, where it goes on and where it leaves) with the values
 * they compare.
 *
 * Why: block by block, `vlan and ip and udp port 8472` counted the VLAN body
 * three times along its paths (21 nodes against a bound of 11) and was cut
 * into parts by two joints: 1.17–1.27× libpcap from a shared helper
 * (bench/RESULTS.md, session 20, h20set).
 *
 * @module
 */
import type { _LoweredProgram, _Test } from "./_lower.ts";
import { _callerCounts, type _TestRun, type _TestRuns } from "./_execute_tree_runs.ts";
import type { _TreeNode } from "./_execute_tree_steps.ts";
import { _SET_VALUES, type _SetLiterals } from "./_execute_tree_set_nodes.ts";

/**
 * A set of tests: as a run, `next` is the match block, `out` the miss block (after the last
 * value), and `tests` is empty (a set is no run of `_testRun`'s: its node is {@linkcode _setNode}).
 */
export interface _TestSet extends _TestRun {
  /** The field: `[k]` (`indirect`: `[x + k]`) of `size` bytes. */
  indirect: boolean;
  offset: number;
  size: number;
  /** The values, as int32 bits (as the loads produce them). */
  values: number[];
}

/** Whether a run is a set of tests. */
export function _isTestSet(run: _TestRun): run is _TestSet {
  return "values" in run;
}

/**
 * `runs` with the sets of tests of `lowered` (see the module doc) added, each from a head that
 * is in no run.
 */
export function _withTestSets(lowered: _LoweredProgram, runs: _TestRuns): _TestRuns {
  const { blocks } = lowered;
  const callers = _callerCounts(lowered);
  const heads = new Map(runs.heads);
  const absorbed = new Set(runs.absorbed);
  const inRun = (block: number) => heads.has(block) || absorbed.has(block);
  for (let index = 0; index < blocks.length; index++) {
    if (inRun(index) || !_setHead(lowered, index)) continue;
    const set = _setFrom(lowered, index, inRun);
    if (set.blocks.length < 2) continue;
    heads.set(index, set);
    // A member another block also jumps to stays a node of its own for those (its test is
    // also in the set), and so do the members after it (it jumps to them).
    for (const block of set.blocks.slice(1)) {
      if (callers[block] !== 1) break;
      absorbed.add(block);
    }
  }
  return { heads, absorbed };
}

/** The node of a set: its literal by load (`copy`: the copy to take, the last if fewer). */
export function _setNode(
  set: _TestSet,
  S: Int32Array,
  t: _TreeNode,
  f: _TreeNode,
  copy: number,
  literals: _SetLiterals,
): _TreeNode {
  const pick = <T>(copies: T[]): T => copies[Math.min(copy, copies.length - 1)];
  const { offset, values } = set;
  const [v0, v1, v2, v3] = [0, 1, 2, 3].map((at) => values[at] ?? values[0]);
  if (set.indirect) return pick(literals.setX2)(S, offset, v0, v1, v2, v3, t, f);
  const literal = pick(
    set.size === 1 ? literals.set1 : set.size === 2 ? literals.set2 : literals.set4,
  );
  return literal(offset, v0, v1, v2, v3, t, f);
}

/** Whether a test is `A == k` on the whole value (no shift, no mask), with two targets. */
function _equality(test: _Test): boolean {
  return !test.useX && test.shift === 0 && (test.mask | 0) === -1 &&
    (test.rangeMask | 0) === -1 && test.span === 0 && test.whenTrue !== test.whenFalse;
}

/** Whether block `index` can head a set: no steps, `[k] == v` or `[x + k] == v` (2 bytes). */
function _setHead({ blocks }: _LoweredProgram, index: number): boolean {
  const { steps, exit } = blocks[index];
  if (steps.length !== 0 || exit.kind !== "test" || !_equality(exit)) return false;
  const load = exit.producer;
  if (load?.kind === "load") return load.offset >= 0;
  return load?.kind === "load-indirect" && load.size === 2;
}

/** Whether block `index` is `A == v` (no steps, no load) matching to `match`. */
function _setMember({ blocks }: _LoweredProgram, index: number, match: number): boolean {
  const { steps, exit } = blocks[index];
  return steps.length === 0 && exit.kind === "test" && exit.producer === undefined &&
    _equality(exit) && exit.whenTrue === match;
}

/** The longest set from `head` (at most {@linkcode _SET_VALUES} values). */
function _setFrom(
  lowered: _LoweredProgram,
  head: number,
  inRun: (block: number) => boolean,
): _TestSet {
  const first = lowered.blocks[head].exit as _Test;
  const load = first.producer as { kind: string; offset: number; size: number };
  const match = first.whenTrue;
  const blocks = [head];
  const values = [first.low | 0];
  let miss = first.whenFalse;
  while (
    values.length < _SET_VALUES && !inRun(miss) && _setMember(lowered, miss, match)
  ) {
    const exit = lowered.blocks[miss].exit as _Test;
    blocks.push(miss);
    values.push(exit.low | 0);
    miss = exit.whenFalse;
  }
  return {
    blocks,
    next: match,
    out: miss,
    tests: new Int32Array(0),
    indirect: load.kind === "load-indirect",
    offset: load.offset,
    size: load.size,
    values,
  };
}
