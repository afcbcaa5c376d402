/**
 * In-process: the router's CPU over a capture held in memory, 256 KiB blocks,
 * `--expr` link base rule by rule, with and without the one-program batch
 * path, alternating. Usage: deno run -A bench/_one_program_router.ts FILE [ROUNDS] [EXPR]
 */
import { _RecordRouter, type _RunSink } from "../src/stream/_record_router.ts";
import { compileRuleSet } from "../src/rules/compile_rule_set.ts";
import type { RuleSet } from "../src/rules/rule_set.ts";

const [file, roundsText, expr, only] = Deno.args;
const rounds = Number(roundsText ?? 5);
const expression = expr ?? "tcp port 80";
const data = Deno.readFileSync(file);
const BLOCK = 256 * 1024;
const ruleSet: RuleSet = {
  chains: [{
    name: "INPUT",
    policy: "DROP",
    rules: [{
      base: "link",
      matches: [{ kind: "bpf", expression, invert: false }],
      target: "ACCEPT",
      goto: false,
    }],
  }],
} as unknown as RuleSet;
/** The main thread's CPU time in ms (Linux). */
function cpuMs(): number {
  return Number(Deno.readTextFileSync("/proc/thread-self/schedstat").split(" ")[0]) / 1e6;
}
const sink: _RunSink = { active: true, write() {} };
function once(batch: boolean): [number, number] {
  const rules = compileRuleSet(ruleSet, { evaluation: "rule-by-rule" });
  if (!batch) delete (rules as { _programBatch?: unknown })._programBatch;
  const router = new _RecordRouter(rules);
  const t0 = cpuMs();
  // Each block copied into one reused buffer first, as the command line reads.
  const block = new Uint8Array(BLOCK);
  for (let at = 0; at < data.length; at += BLOCK) {
    const size = Math.min(BLOCK, data.length - at);
    block.set(data.subarray(at, at + size));
    router.push(block.subarray(0, size), sink, sink);
  }
  router.finish(sink, sink);
  return [cpuMs() - t0, router.snapshot(0, 0).accepted.packets];
}
const times: Record<string, number[]> = { walk: [], batch: [] };
for (let r = 0; r < rounds; r++) {
  for (const mode of only ? [only] : ["walk", "batch"]) {
    const [ms, accepted] = once(mode === "batch");
    times[mode].push(ms);
    if (r === 0) console.log(mode, "accepted", accepted);
  }
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
for (const [mode, t] of Object.entries(times).filter(([, t]) => t.length > 0)) {
  console.log(mode, "median ms", median(t).toFixed(1), "all", t.map((x) => x.toFixed(0)).join(" "));
}
