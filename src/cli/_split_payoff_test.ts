import assert from "node:assert/strict";
import { _SplitPayoff } from "./_split_payoff.ts";

/** Blocks of 1 MiB through a payoff whose clock advances `splitMs` after a
 * split block and `aloneMs` after one routed alone: how many were split. */
function _splits(splitMs: number, aloneMs: number, blocks: number): number {
  const payoff = new _SplitPayoff();
  let now = 0, split = 0;
  for (let k = 0; k < blocks; k++) {
    const handed = payoff.next(now, 1 << 20);
    if (handed) split++;
    now += handed ? splitMs : aloneMs;
  }
  return split;
}

Deno.test("_SplitPayoff keeps handing blocks over while that makes blocks faster", () => {
  const split = _splits(1, 2, 1000);
  // Besides probes of routing alone (8 blocks in every 56).
  assert.ok(split > 820, `${split} of 1000 split`);
});

Deno.test("_SplitPayoff routes blocks alone once handing them over proves slower", () => {
  const split = _splits(2, 1, 1000);
  // The first window (48 blocks) splits; then only probes do.
  assert.ok(split < 48 + 150, `${split} of 1000 split`);
  assert.ok(split >= 48, "the first window splits");
});

Deno.test("_SplitPayoff follows a change: a worker that becomes slow loses the blocks", () => {
  const payoff = new _SplitPayoff();
  let now = 0;
  const history: boolean[] = [];
  for (let k = 0; k < 2000; k++) {
    const handed = payoff.next(now, 1 << 20);
    history.push(handed);
    // Handing over pays for the first 1000 blocks, then costs.
    now += k < 1000 ? (handed ? 1 : 2) : (handed ? 3 : 2);
  }
  const late = history.slice(1200).filter((h) => h).length;
  assert.ok(late < 200, `${late} of the last 800 split`);
});
