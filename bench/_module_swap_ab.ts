/**
 * Private A/B bench (issue 11, session 13): what a hand-edited Wasm
 * classifier module costs per frame against the module it was edited from.
 * The rule set is compiled twice in one process (one tree): A as it is, B
 * with its classifier module's bytes replaced by the file WASM (the same
 * imports, exports and memory layout: e.g. the module dumped by
 * `--dump DIR`, turned into text with `wasm2wat`, edited, and back with
 * `wat2wasm`). Rounds alternate A and B over the router's records path (as
 * bench/_router_cpu_ab.ts) and print the process CPU time per frame of each
 * and the ratio B/A per round (the first round dropped): both modules run
 * in the same process, so a host that slows the process down slows both.
 *
 *   deno run -A bench/_module_swap_ab.ts RULES ROUNDS WASM [--file CAPTURE]
 *   deno run -A bench/_module_swap_ab.ts RULES 0 - --dump DIR   (writes DIR/m<N>.wasm)
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    file: { type: "string", default: new URL("./data/mixed_1m.pcap", import.meta.url).pathname },
    dump: { type: "string" },
  },
});
const [rules, rounds, wasm] = positionals;
if (wasm === undefined) throw new TypeError("Cannot compare: RULES ROUNDS WASM are required");

// The classifier's module is the first one over 1,000 bytes a compile makes (lazy tests come later).
let swapNext: Uint8Array<ArrayBuffer> | undefined;
let dumped = 0;
const Original = WebAssembly.Module;
const Swapping = function (bytes: BufferSource): WebAssembly.Module {
  const given = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes as ArrayBuffer);
  if (values.dump !== undefined) Deno.writeFileSync(`${values.dump}/m${dumped++}.wasm`, given);
  if (swapNext !== undefined && given.length > 1000) {
    const swapped = swapNext;
    swapNext = undefined;
    return new Original(swapped);
  }
  return new Original(bytes);
};
Swapping.prototype = Original.prototype;
(WebAssembly as { Module: unknown }).Module = Swapping;

const root = new URL("..", import.meta.url).pathname;
const { parseRuleSet } = await import(`${root}src/rules/parse_rule_set.ts`);
const { compileRuleSet } = await import(`${root}src/rules/compile_rule_set.ts`);
const { _RecordRouter } = await import(`${root}src/stream/_record_router.ts`);

interface _Pool {
  take(size: number): Uint8Array | undefined;
  give(block: Uint8Array): boolean;
}
const text = Deno.readTextFileSync(rules);
const sets = [undefined, wasm === "-" ? undefined : Deno.readFileSync(wasm)].map((bytes) => {
  swapNext = bytes;
  const ruleSet = compileRuleSet(parseRuleSet(text)) as { _blocks?: _Pool };
  swapNext = undefined;
  return ruleSet;
});
const data = Deno.readFileSync(values.file);
const BLOCK = 1 << 20;
const sink = { active: true, write() {} };
const times: number[][] = [[], []];
let packets = 0;
for (let r = 0; r < Number(rounds); r++) {
  for (const k of r % 2 === 0 ? [0, 1] : [1, 0]) {
    const pool = sets[k]._blocks;
    const router = new _RecordRouter(sets[k]);
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
    times[k].push((used.user + used.system) / 1000);
    packets = router.packets;
  }
}
if (Number(rounds) >= 2) {
  const ns = (ms: number) => (1e6 * ms / packets).toFixed(1);
  const median = (a: number[]) => a.toSorted((x, y) => x - y)[a.length >> 1];
  const ratios = times[1].slice(1).map((t, i) => t / times[0][i + 1]).sort((a, b) => a - b);
  console.log(
    `A ${ns(median(times[0].slice(1)))} B ${
      ns(median(times[1].slice(1)))
    } ns/frame (CPU, medians); ` +
      `B/A per round median ${median(ratios).toFixed(3)} [${ratios[0].toFixed(3)}..${
        ratios.at(-1)!.toFixed(3)
      }]`,
  );
}
