/**
 * Private A/B bench (issue 11, session 15): a toggle of one tree off (A) and
 * on (B), both compiled in one process, the capture pushed through both
 * routers' records path in alternating slices of a few blocks (A then B, then
 * B then A), so that each pair of slices runs in the same machine state.
 *
 * This machine's speed changes by up to 1.7× for seconds at a time, within a
 * process and between processes (bench/RESULTS.md, session 15: the
 * "bimodal" processes); whole passes alternated (bench/_router_cpu_ab.ts)
 * spread B/A over ±30% per round, slices of 20 blocks over ±1% (A/A).
 * Prints the median and quartiles of the per-slice B/A (wall time; the first
 * pass's first 10 slices, the warm-up, are left out).
 *
 *   deno run -A bench/_slice_ab.ts RULES PASSES TREE MODULE EXPORT [--aa] [--slice 20] [--file CAPTURE] [--set KEY=VALUE]...
 *
 * MODULE (a path in TREE) exports EXPORT, an object whose `on` is the toggle;
 * `--aa` compiles A with it on too (the method's own noise).
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { _Pool, _Router, _Sink } from "./_router_shapes.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    file: { type: "string", default: new URL("./data/mixed_1m.pcap", import.meta.url).pathname },
    slice: { type: "string", default: "20" },
    aa: { type: "boolean", default: false },
    set: { type: "string", multiple: true, default: [] },
  },
});
const [rules, passes, root, modulePath, exportName] = positionals;
if (exportName === undefined) {
  throw new TypeError("Cannot compare: RULES PASSES TREE MODULE EXPORT are required");
}

interface _Side {
  router: _Router;
  pool: _Pool | undefined;
}

const BLOCK = 1 << 18;
const slice = Number(values.slice) * BLOCK;
const data = Deno.readFileSync(values.file);
const { parseRuleSet } = await import(`${root}/src/rules/parse_rule_set.ts`);
const { compileRuleSet } = await import(`${root}/src/rules/compile_rule_set.ts`);
const { _RecordRouter } = await import(`${root}/src/stream/_record_router.ts`);
const toggle = (await import(`${root}/${modulePath}`))[exportName] as Record<string, unknown> & {
  on: boolean;
};
// `--set KEY=VALUE`: another setting of the toggle's object, for both sides (numbers, booleans).
for (const setting of values.set) {
  const [key, value] = setting.split("=");
  toggle[key] = value === "true" ? true : value === "false" ? false : Number(value);
}
const parsed = parseRuleSet(Deno.readTextFileSync(rules));
toggle.on = values.aa;
const a = compileRuleSet(parsed);
toggle.on = true;
const b = compileRuleSet(parsed);
const sink: _Sink = { active: true, write() {} };

/** Pushes `data[from, to)` through `side` in blocks; the wall time in ms. */
function _push(side: _Side, from: number, to: number): number {
  const start = performance.now();
  for (let at = from; at < to; at += BLOCK) {
    const n = Math.min(BLOCK, to - at);
    const block = side.pool?.take(n) ?? new Uint8Array(n);
    block.set(data.subarray(at, at + n));
    side.router.push(block, sink, sink);
    side.pool?.give(block);
  }
  return performance.now() - start;
}

const ratios: number[] = [];
const times: [number[], number[]] = [[], []];
for (let pass = 0; pass < Number(passes); pass++) {
  const sides: _Side[] = [a, b].map((ruleSet) => ({
    router: new _RecordRouter(ruleSet),
    pool: (ruleSet as { _blocks?: _Pool })._blocks,
  }));
  for (let from = 0, k = 0; from < data.length; from += slice, k++) {
    const to = Math.min(data.length, from + slice);
    const t = [0, 0];
    for (const s of k % 2 === 0 ? [0, 1] : [1, 0]) t[s] = _push(sides[s], from, to);
    if (pass > 0 || k >= 10) {
      ratios.push(t[1] / t[0]);
      times[0].push(t[0]);
      times[1].push(t[1]);
    }
  }
  for (const side of sides) side.router.finish(sink, sink);
}
const sorted = (v: number[]) => v.toSorted((x, y) => x - y);
const at = (v: number[], f: number) => sorted(v)[Math.floor(f * (v.length - 1))];
console.log(
  `slices ${ratios.length}: B/A median ${at(ratios, 0.5).toFixed(3)} ` +
    `(quartiles ${at(ratios, 0.25).toFixed(3)}..${at(ratios, 0.75).toFixed(3)}); ` +
    `A ${at(times[0], 0.5).toFixed(2)} B ${at(times[1], 0.5).toFixed(2)} ms per slice`,
);
