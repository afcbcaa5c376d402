/**
 * Private probe (issue 11, session 9, the first pass): one pass of the
 * router's records path (`_RecordRouter.push` over 1 MiB blocks from the
 * Wasm classifier's block pool, null sinks, as `_router_cpu_ab.ts`) over a
 * capture, printing per ten blocks the wall time and the process CPU time
 * (which includes V8's background compiles) per frame: where a command-line
 * run, which makes one pass, spends its first frames.
 *
 *   deno run -A bench/_first_pass_probe.ts RULES [TREE] [--file CAPTURE]
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    file: { type: "string", default: new URL("./data/mixed_1m.pcap", import.meta.url).pathname },
  },
});
const [rules, root = new URL("..", import.meta.url).pathname] = positionals;
if (rules === undefined) throw new TypeError("Cannot probe: RULES is required");

interface _Pool {
  take(size: number): Uint8Array | undefined;
  give(block: Uint8Array): boolean;
}
const { parseRuleSet } = await import(`${root}/src/rules/parse_rule_set.ts`);
const { compileRuleSet } = await import(`${root}/src/rules/compile_rule_set.ts`);
const { _RecordRouter } = await import(`${root}/src/stream/_record_router.ts`);
const data = Deno.readFileSync(values.file);
const ruleSet = compileRuleSet(parseRuleSet(Deno.readTextFileSync(rules)));
const pool = (ruleSet as { _blocks?: _Pool })._blocks;
const router = new _RecordRouter(ruleSet);
const sink = { active: true, write() {} };
const BLOCK = 1 << 20;
const groups: string[] = [];
const start = performance.now();
let wall = start, cpu = process.cpuUsage(), packets = 0, blocks = 0;
for (let i = 0; i < data.length; i += BLOCK) {
  const n = Math.min(BLOCK, data.length - i);
  const block = pool?.take(n) ?? new Uint8Array(n);
  block.set(data.subarray(i, i + n));
  router.push(block, sink, sink);
  pool?.give(block);
  if (++blocks % 10 === 0) {
    const now = performance.now();
    const used = process.cpuUsage(cpu);
    const frames = router.packets - packets;
    groups.push(
      `${(1e6 * (now - wall) / frames).toFixed(0)}/${
        (1e3 * (used.user + used.system) / frames).toFixed(0)
      }`,
    );
    wall = now;
    cpu = process.cpuUsage();
    packets = router.packets;
  }
}
console.log(
  `pass ${(performance.now() - start).toFixed(1)} ms; per 10 blocks, wall/CPU ns per frame:`,
);
console.log(groups.join(" "));
