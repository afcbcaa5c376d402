/**
 * Prefix trees (private): a program refused as a tree and as a jointed tree
 * (more joints than a tree may have, or more blocks than a jointed tree) runs
 * its first part as a tree anyway, each block where a joint would have been
 * a restart node ({@linkcode _restart}): a packet that gets there runs the
 * whole program again through the dispatch loop, as a load in a negative
 * window does (`_TREE_ESCAPED`). cBPF has no effect but its result, so the
 * second run's result is the program's. {@linkcode _prefixCuts} says which
 * blocks the prefix holds.
 *
 * Why: `ip6 host A or ip6 host B` with two prefixes of their own (48 blocks
 * after the known-tests pass, 25 joints) ran the dispatch loop at 1.13–1.22×
 * libpcap from a shared helper, though nearly every packet leaves it at its
 * first test (the EtherType); as a prefix tree those packets never reach the
 * loop (bench/RESULTS.md, session 20, h20refuse).
 *
 * @module
 */
import type { _LoweredProgram, _Test } from "./_lower.ts";
import type { _TreeNode } from "./_execute_tree_steps.ts";
import { _TREE_ESCAPED } from "./_execute_tree_steps.ts";

/** The blocks of a prefix tree: the restarts, and the blocks above them that are nodes. */
export interface _PrefixCuts {
  /** Blocks that restart the program through the dispatch loop. */
  restarts: ReadonlySet<number>;
  /** The blocks of the prefix (its tests, its restarts, the gotos to them, the returns). */
  live: ReadonlySet<number>;
}

/**
 * The prefix of `lowered`: from block 0, each test one of whose targets returns (a packet may
 * leave there) holds its other target in the prefix if that is such a test too, else that target
 * restarts; at most `budget` tests. Undefined when block 0 is no such test (the first test
 * decides nothing alone: `port 22` tests the EtherType against IPv6, then against IPv4).
 */
export function _prefixCuts(lowered: _LoweredProgram, budget: number): _PrefixCuts | undefined {
  const { blocks } = lowered;
  const resolved = (block: number): number => {
    const exit = blocks[block].exit;
    return exit.kind === "goto" ? resolved(exit.to) : block;
  };
  const returns = (block: number) => blocks[block].exit.kind.startsWith("return");
  const leaves = (block: number): number | undefined => {
    const exit = blocks[block].exit;
    if (exit.kind !== "test") return undefined;
    const [t, f] = [resolved(exit.whenTrue), resolved(exit.whenFalse)];
    return returns(t) ? f : returns(f) ? t : undefined;
  };
  if (blocks[0].exit.kind !== "test" || leaves(0) === undefined) return undefined;
  const live = new Set<number>();
  const restarts = new Set<number>();
  for (let at = 0, tests = 0; !returns(at); tests++) {
    const next = leaves(at);
    live.add(at);
    if (next === undefined || tests === budget) {
      restarts.add(at);
      break;
    }
    // Its targets, and the gotos on the way to them (a goto's node is its target's).
    const exit = blocks[at].exit as _Test;
    for (let block of [exit.whenTrue, exit.whenFalse]) {
      for (live.add(block); blocks[block].exit.kind === "goto"; live.add(block)) {
        block = (blocks[block].exit as { to: number }).to;
      }
    }
    at = next;
  }
  return { restarts, live };
}

/** A node that marks the packet for a run through the dispatch loop (the tree's caller runs it). */
export function _restart(S: Int32Array): _TreeNode {
  return function restart(): number {
    S[_TREE_ESCAPED] = 1;
    return 0;
  };
}
