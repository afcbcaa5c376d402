/**
 * Two threads for rule sets (issue 11, session 8): where the time of
 * `filter --threads` goes, per thread, in CPU time, which a loaded machine
 * does not blur as it blurs wall time. The 1M-frame capture is routed in
 * process as the command line routes it (256 KiB blocks read into the block
 * pool, runs moved in place and handed over), warm (round 0 not counted),
 * through one thread (`_RecordRouter`) and through two (`_ThreadedRouter`,
 * every block handed to the worker: no payoff pauses), for each rule file.
 * Per round: the wall time, the main thread's CPU time, the CPU time of the
 * process's other threads (the worker, and V8's background threads: GC,
 * Wasm tier-up), and the share of the records the worker classified. With
 * an idle core for the worker, two threads take about the larger of the
 * main thread's and the worker's time.
 *
 * Usage (Linux: reads /proc/self/task/* /schedstat):
 *
 *   npx -y deno@2.9.6 run -A bench/threads_cpu.ts [--rounds 6] [--file bench/data/mixed_1m.pcap] RULES...
 *
 * @module
 */
import { parseArgs } from "node:util";
import { compileRuleSet } from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import { _RecordRouter } from "../src/stream/_record_router.ts";
import { _ThreadedRouter } from "../src/cli/_threaded_router.ts";
import { _WorkerSplit } from "../src/cli/_worker_split.ts";
import { _OutputRuns } from "../src/cli/_output_runs.ts";
import type { _BlockPool } from "../src/cli/_sync_block_source.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    file: { type: "string", default: new URL("./data/mixed_1m.pcap", import.meta.url).pathname },
    rounds: { type: "string", default: "6" },
  },
});
const capture = Deno.readFileSync(values.file!);
const rounds = Number(values.rounds);
const BLOCK = 1 << 18;

/** CPU milliseconds of this thread, and of the whole process. */
function _cpu(): { main: number; all: number } {
  const read = (path: string) => Number(Deno.readTextFileSync(path).split(" ")[0]) / 1e6;
  let all = 0;
  for (const task of Deno.readDirSync("/proc/self/task")) {
    try {
      all += read(`/proc/self/task/${task.name}/schedstat`);
    } catch {
      // A thread that ended meanwhile.
    }
  }
  return { main: read("/proc/thread-self/schedstat"), all };
}

function _median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

/** Routes the capture `rounds` times: medians of wall, main CPU, other CPU, share offloaded. */
function _run(router: _RecordRouter, pool: _BlockPool | undefined, offloaded: () => number) {
  const runs = new _OutputRuns();
  const walls: number[] = [], mains: number[] = [], others: number[] = [], shares: number[] = [];
  for (let round = 0; round <= rounds; round++) {
    const before = _cpu(), began = performance.now(), was = offloaded();
    let packets = 0;
    for (let at = round === 0 ? 0 : 24; at < capture.length; at += BLOCK) {
      const n = Math.min(BLOCK, capture.length - at);
      const block = (pool?.take(BLOCK) ?? new Uint8Array(BLOCK)).subarray(0, n);
      block.set(capture.subarray(at, at + n));
      runs.compactIn(block);
      router.push(block, runs);
      runs.take();
      runs.reset();
      pool?.give(block);
    }
    router.settle(runs);
    runs.take();
    runs.reset();
    packets = router.packets;
    const after = _cpu();
    if (round === 0) continue;
    walls.push(performance.now() - began);
    mains.push(after.main - before.main);
    others.push(after.all - after.main - (before.all - before.main));
    shares.push((offloaded() - was) / (packets / (round + 1)));
  }
  const f = (x: number) => x.toFixed(0).padStart(5);
  return `wall ${f(_median(walls))} ms  main CPU ${f(_median(mains))} ms  other threads ${
    f(_median(others))
  } ms  worker's share ${(100 * _median(shares)).toFixed(0).padStart(3)}%`;
}

console.log(`load ${Deno.readTextFileSync("/proc/loadavg").trim()}`);
for (const path of positionals) {
  const text = Deno.readTextFileSync(path);
  const ruleSet = parseRuleSet(text);
  const one = compileRuleSet(ruleSet, {});
  const blocks = (one as { _blocks?: _BlockPool })._blocks;
  console.log(`${path}, one thread:  ${_run(new _RecordRouter(one), blocks, () => 0)}`);
  const split = new _WorkerSplit(ruleSet, {}, { payoff: false });
  split.start();
  const rules = compileRuleSet(ruleSet, {});
  const router = new _ThreadedRouter(rules, split, true);
  try {
    const pool = split.poolOver((rules as { _blocks?: _BlockPool })._blocks);
    console.log(`${path}, two threads: ${_run(router, pool, () => router.offloaded)}`);
  } finally {
    router.close();
  }
}
console.log(`load ${Deno.readTextFileSync("/proc/loadavg").trim()}`);
