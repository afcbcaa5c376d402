/**
 * Private probe (issue 11, session 15): is a slow process the code or the
 * machine? Pushes the capture through one tree's records path (as
 * bench/_router_cpu_ab.ts) and, after every slice of blocks, times two
 * workloads that share nothing with the classifier: a small loop of table
 * loads and branches, and a 3,000-case switch taken in a pseudo-random
 * order (a big instruction footprint). Prints per slice the records path's
 * ns per frame and each workload's ns per iteration. When the classifier's
 * slices switch between about 170 and 300 ns per frame, the workloads
 * switch with them (bench/RESULTS.md, session 15): the machine's speed, not
 * the module's code (whose tiers are settled after the first slices).
 *
 *   deno run -A bench/_speed_state_probe.ts RULES TREE [--slice 50] [--file CAPTURE]
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { _Pool, _Sink } from "./_router_shapes.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    file: { type: "string", default: new URL("./data/mixed_1m.pcap", import.meta.url).pathname },
    slice: { type: "string", default: "50" },
  },
});
const [rules, root] = positionals;
if (root === undefined) throw new TypeError("Cannot probe: RULES TREE are required");

const table = new Int32Array(16384).map((_, i) => (i * 2654435761) >>> 7);
/** The small workload: ns per iteration. */
function _small(): number {
  const start = performance.now();
  let x = 1;
  let s = 0;
  for (let i = 0; i < 300_000; i++) {
    x = table[(x ^ i) & 16383];
    if (x & 1) s += x;
    else s ^= i;
    if ((x & 6) === 2) s -= 3;
  }
  return (performance.now() - start) * 1e6 / 300_000 + (s === 7 ? 1e-9 : 0);
}
const cases = Array.from(
  { length: 3000 },
  (_, k) =>
    `case ${k}: s = (s + ((x ^ ${k * 7919}) >>> ${k % 13}) * ${k % 7 + 1} - t[${k % 64}]) | 0; ` +
    `t[${(k * 13) % 64}] = s ^ ${k}; break;`,
);
const big = new Function(
  "n",
  "t",
  "let x = 1, s = 0; for (let i = 0; i < n; i++) { x = (Math.imul(x, 1103515245) + 12345) | 0; " +
    `switch ((x >>> 8) % 3000) {${cases.join("")}} } return s;`,
) as (n: number, t: Int32Array) => number;
const bigTable = new Int32Array(64);
/** The big-footprint workload: ns per iteration. */
function _big(): number {
  const start = performance.now();
  const s = big(200_000, bigTable);
  return (performance.now() - start) * 1e6 / 200_000 + (s === 7 ? 1e-9 : 0);
}

const BLOCK = 1 << 18;
const data = Deno.readFileSync(values.file);
const { parseRuleSet } = await import(`${root}/src/rules/parse_rule_set.ts`);
const { compileRuleSet } = await import(`${root}/src/rules/compile_rule_set.ts`);
const { _RecordRouter } = await import(`${root}/src/stream/_record_router.ts`);
const ruleSet = compileRuleSet(parseRuleSet(Deno.readTextFileSync(rules)));
const pool = (ruleSet as { _blocks?: _Pool })._blocks;
const router = new _RecordRouter(ruleSet);
const sink: _Sink = { active: true, write() {} };
const rows: string[][] = [[], [], []];
let packets = 0;
for (let from = 0; from < data.length; from += Number(values.slice) * BLOCK) {
  const to = Math.min(data.length, from + Number(values.slice) * BLOCK);
  const start = performance.now();
  for (let at = from; at < to; at += BLOCK) {
    const n = Math.min(BLOCK, to - at);
    const block = pool?.take(n) ?? new Uint8Array(n);
    block.set(data.subarray(at, at + n));
    router.push(block, sink, sink);
    pool?.give(block);
  }
  const ms = performance.now() - start;
  rows[0].push((ms * 1e6 / (router.packets - packets)).toFixed(0));
  packets = router.packets;
  rows[1].push(_small().toFixed(1));
  rows[2].push(_big().toFixed(0));
}
router.finish(sink, sink);
console.log(`records ns/frame: ${rows[0].join(" ")}`);
console.log(`small loop ns:    ${rows[1].join(" ")}`);
console.log(`big switch ns:    ${rows[2].join(" ")}`);
