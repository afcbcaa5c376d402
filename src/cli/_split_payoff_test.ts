import assert from "node:assert/strict";
import { _SplitPayoff } from "./_split_payoff.ts";

/** Feeds `jobs` jobs, then counts the blocks paused before the split is tried again. */
function _pausedAfter(jobs: number, costMs: number, workMs: number, mine: number, theirs: number) {
  const payoff = new _SplitPayoff();
  for (let i = 0; i < jobs; i++) payoff.record(costMs, workMs, mine, theirs);
  let paused = 0;
  while (payoff.paused()) paused++;
  return paused;
}

Deno.test("_SplitPayoff keeps splitting while the worker's records save more than the hand-off costs", () => {
  // 1,000 records on each side, 1 µs each on the main thread: 1 ms saved per job for 0.1 ms spent.
  assert.equal(_pausedAfter(16, 0.1, 1, 1000, 1000), 0);
});

Deno.test("_SplitPayoff pauses the split for a while after a window that did not pay", () => {
  // The worker took 10 records (0.01 ms of main-thread work) for 2 ms of copying and waiting.
  assert.equal(_pausedAfter(16, 2, 1, 1000, 10), 64);
  // Judged once per window of 16 jobs: 15 such jobs do not pause yet.
  assert.equal(_pausedAfter(15, 2, 1, 1000, 10), 0);
});
