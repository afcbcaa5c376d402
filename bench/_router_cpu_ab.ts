/**
 * Private A/B bench (issue 11, session 7, per-frame cost): the router's
 * records path (`_RecordRouter.push` over 1 MiB blocks lent by the Wasm
 * classifier's block pool, as the command line reads them; null sinks) for
 * one rule file, in several trees (each unpacked with `git archive REV |
 * tar -x -C DIR`) loaded into one process, passes interleaved per round.
 * Prints per tree the process CPU time per frame (user + system, which
 * other processes on a loaded machine disturb less than wall time): the
 * least and the median over the rounds. Compile time is not included.
 *
 *   deno run -A bench/_router_cpu_ab.ts RULES ROUNDS DIR [DIR ...] [--file CAPTURE]
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import type { _Pool, _Router, _Sink } from "./_router_shapes.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    file: { type: "string", default: new URL("./data/mixed_1m.pcap", import.meta.url).pathname },
  },
});
const [rules, rounds, ...roots] = positionals;
if (roots.length === 0) throw new TypeError("Cannot compare: RULES ROUNDS DIR... are required");

interface _CountingRouter extends _Router {
  packets: number;
}
interface _Tree {
  root: string;
  ruleSet: unknown;
  router: new (ruleSet: unknown) => _CountingRouter;
  times: number[];
  packets: number;
}

const data = Deno.readFileSync(values.file);
const BLOCK = 1 << 20;
const trees: _Tree[] = [];
for (const root of roots) {
  const { parseRuleSet } = await import(`${root}/src/rules/parse_rule_set.ts`);
  const { compileRuleSet } = await import(`${root}/src/rules/compile_rule_set.ts`);
  const { _RecordRouter } = await import(`${root}/src/stream/_record_router.ts`);
  const ruleSet = compileRuleSet(parseRuleSet(Deno.readTextFileSync(rules)));
  trees.push({ root, ruleSet, router: _RecordRouter, times: [], packets: 0 });
}
const sink: _Sink = { active: true, write() {} };
for (let r = 0; r < Number(rounds); r++) {
  for (const tree of trees) {
    const pool = (tree.ruleSet as { _blocks?: _Pool })._blocks;
    const router = new tree.router(tree.ruleSet);
    const before = process.cpuUsage();
    for (let i = 0; i < data.length; i += BLOCK) {
      const n = Math.min(BLOCK, data.length - i);
      const block = pool?.take(n) ?? new Uint8Array(n);
      block.set(data.subarray(i, i + n));
      router.push(block, sink, sink);
      pool?.give(block);
    }
    router.finish(sink, sink);
    const used = process.cpuUsage(before);
    tree.times.push((used.user + used.system) / 1000);
    tree.packets = router.packets;
  }
}
for (const tree of trees) {
  const times = tree.times.toSorted((a, b) => a - b);
  const ns = (ms: number) => (1e6 * ms / tree.packets).toFixed(1);
  console.log(
    `${ns(times[0])} least, ${ns(times[times.length >> 1])} median ns/frame (CPU)  ${tree.root}`,
  );
}
