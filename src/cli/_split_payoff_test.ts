import assert from "node:assert/strict";
import { _SplitPayoff } from "./_split_payoff.ts";

/** What a block costs the main thread, in milliseconds (see {@linkcode _simulate}). */
interface _Costs {
  /** Handing a block over (the copy, the job). */
  post: number;
  /** Settling a block handed over (its part left to this thread, routing, writing). */
  settle: number;
  /** Routing a block alone (classifying, routing, writing). */
  alone: number;
  /** Reading and decoding the next block. */
  read: number;
}

/** Blocks kept out once the next is handed over, as `_WorkerSplit` keeps them. */
const _DEPTH = 2;
const _MIB = 1 << 20;

/**
 * Blocks of 1 MiB through a payoff, timed as the router runs them: a block
 * handed over is settled once `_DEPTH` later ones are out (or when a block
 * is routed alone: all blocks out first); `costs(k)` gives block `k`'s
 * costs. The blocks' decisions, in order.
 */
function _simulate(costs: (k: number) => _Costs, blocks: number): boolean[] {
  const payoff = new _SplitPayoff(_DEPTH);
  let now = 0;
  let out = 0;
  const decisions: boolean[] = [];
  for (let k = 0; k < blocks; k++) {
    const cost = costs(k);
    const settle = () => {
      now += cost.settle;
      payoff.routed(_MIB);
      out--;
    };
    const handed = payoff.next(now);
    decisions.push(handed);
    if (handed) {
      now += cost.post;
      out++;
      while (out > _DEPTH) settle();
    } else {
      while (out > 0) settle();
      now += cost.alone;
      payoff.routed(_MIB);
    }
    now += cost.read;
  }
  return decisions;
}

/** How many of `decisions` handed the block over. */
function _handed(decisions: boolean[]): number {
  return decisions.filter((d) => d).length;
}

Deno.test("_SplitPayoff keeps handing blocks over while that makes blocks faster", () => {
  const handed = _handed(_simulate(() => ({ post: 0.1, settle: 0.5, alone: 1, read: 0.2 }), 1000));
  // Besides probes of routing alone (8 blocks in every 56).
  assert.ok(handed > 820, `${handed} of 1000 handed over`);
});

Deno.test("_SplitPayoff routes blocks alone once handing them over proves slower", () => {
  const handed = _handed(_simulate(() => ({ post: 0.1, settle: 1.5, alone: 1, read: 0.2 }), 1000));
  // The first window (48 blocks) hands over; then only probes do.
  assert.ok(handed < 48 + 150, `${handed} of 1000 handed over`);
  assert.ok(handed >= 48, "the first window hands over");
});

Deno.test("_SplitPayoff is not biased towards handing over: 5% slower that way, only probes go", () => {
  // Handing over costs 1.05 ms a block (post and settle), routing alone 1 ms.
  const handed = _handed(_simulate(() => ({ post: 0.05, settle: 1, alone: 1, read: 0.2 }), 2000));
  // The first window, then one probe of 8 per 56 blocks (about 280).
  assert.ok(handed < 48 + 300, `${handed} of 2000 handed over`);
});

Deno.test("_SplitPayoff is not biased against handing over: 5% faster that way, it keeps it", () => {
  const handed = _handed(_simulate(() => ({ post: 0.05, settle: 0.9, alone: 1, read: 0.2 }), 2000));
  // Besides one probe of routing alone per 56 blocks.
  assert.ok(handed > 2000 - 300, `${handed} of 2000 handed over`);
});

Deno.test("_SplitPayoff follows a change: a worker that becomes slow loses the blocks", () => {
  const decisions = _simulate(
    (k) => ({ post: 0.1, settle: k < 1000 ? 0.5 : 2.5, alone: 1.5, read: 0.2 }),
    2000,
  );
  const late = _handed(decisions.slice(1200));
  assert.ok(late < 200, `${late} of the last 800 handed over`);
});
