import assert from "node:assert/strict";
import { _ThreadedRouter } from "./_threaded_router.ts";
import { _repeatMixed } from "./_test_capture.ts";
import { _OutputRuns } from "./_output_runs.ts";
import { compileRuleSet, type CompileRuleSetOptions } from "../rules/compile_rule_set.ts";
import { parseRuleSet } from "../rules/parse_rule_set.ts";

const RULES = '*filter\n:INPUT DROP [0:0]\n-A INPUT -m bpf --expr "tcp" -j ACCEPT\nCOMMIT\n';
const BLOCK = 1 << 18;

/**
 * Routes `capture` in 256 KiB blocks through an `auto` router whose CPU clock
 * advances `msPerBlock` over each push it times (a push costs nothing
 * otherwise), `rounds` times; with `untilOffloaded`, then keeps routing it
 * until a started worker took part (its compile takes longer on a loaded
 * machine; at most 60 s). The records the worker classified, how often the
 * clock was read, the rounds routed and the counters.
 */
async function _routeWithClock(
  capture: Uint8Array,
  msPerBlock: number,
  rounds: number,
  untilOffloaded = false,
) {
  const options: CompileRuleSetOptions = {};
  const rules = compileRuleSet(parseRuleSet(RULES), options);
  let now = 0;
  let reads = 0;
  let inPush = false;
  const router = new _ThreadedRouter(rules, options, "auto", {
    cpuMs: () => {
      reads++;
      // The first reading of a push starts it, the second ends it.
      inPush = !inPush;
      if (!inPush) now += msPerBlock;
      return now;
    },
    loadAverage: () => 0,
  });
  try {
    const runs = new _OutputRuns();
    const started = Date.now();
    let round = 0;
    for (
      ;
      round < rounds ||
      (untilOffloaded && router.offloaded === 0 && Date.now() - started < 60_000);
      round++
    ) {
      const from = round === 0 ? 0 : 24; // the file header once
      for (let at = from; at < capture.length; at += BLOCK) {
        router.push(capture.subarray(at, Math.min(at + BLOCK, capture.length)), runs);
        runs.take();
        runs.reset();
      }
      // Let a started worker compile and join.
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return { offloaded: router.offloaded, reads, rounds: round, counters: router.counters() };
  } finally {
    router.close();
  }
}

Deno.test("filter --threads auto starts the worker once timed blocks are slow, and not otherwise", async () => {
  // About 16 MiB: the four windows of 4 MiB that decide.
  const capture = _repeatMixed(12000);
  // 10 ms per 256 KiB block: 40 ms/MiB, slow.
  const slow = await _routeWithClock(capture, 10, 40, true);
  assert.ok(slow.offloaded > 0, "the worker classified some records");
  // 0.01 ms per block: fast; the clock is read twice for one block in four,
  // and only while deciding (16 windows of 4 MiB, the first not timed; a
  // round's last block is short).
  const fast = await _routeWithClock(capture, 0.01, 6);
  assert.equal(fast.offloaded, 0);
  const timed = (15 * (4 << 20)) / BLOCK / 4;
  assert.ok(Math.abs(fast.reads - 2 * timed) <= 6, `${fast.reads} readings`);
  // Both threads together counted every packet of every round once.
  const chains = (c: typeof slow.counters) => c.chains.INPUT;
  const packets = (c: typeof slow.counters) =>
    chains(c).rules[0].packets + chains(c).policy!.packets;
  assert.equal(packets(slow.counters), 16 * 12000 * slow.rounds);
  assert.equal(packets(fast.counters), 16 * 12000 * 6);
});

Deno.test("filter --threads auto does not read the CPU clock before its second window", async () => {
  // About 2.7 MiB, four times: the first window (4 MiB) is not timed.
  const capture = _repeatMixed(2000);
  assert.ok(capture.length < 1 << 22);
  const once = await _routeWithClock(capture, 10, 1);
  assert.equal(once.reads, 0);
  const more = await _routeWithClock(capture, 10, 4);
  assert.ok(more.reads > 0, "read again once the second window began");
});
