/**
 * Rule-set classifier, in process (issue 11, per-frame cost): classifies the
 * first `--frames` frames of the 1M-frame mixed Ethernet capture with
 * generated diverse rule sets (`generateRuleSet(1, { rules: N, policy:
 * "ACCEPT" })`) and reports, per rule count, the median ns per frame of
 * `--runs` passes, the 0-rule set measured in the same rounds.
 *
 * Usage (make the capture first with bench/make_capture.ts or
 * bench/rule_set_throughput.ts):
 *
 *   npx -y deno@2.9.6 run -A bench/rule_set_classify_micro.ts [--frames 100000] [--runs 7]
 *     [--rules 0,100,1000,10000] [--file bench/data/mixed_1m.pcap]
 *
 * Add `--cpu-prof` after `run` to profile. `--strategies default,source,wasm,wasm-batch`
 * adds columns side by side in the same rounds: `source` the generated
 * JavaScript classifier, `wasm` is `compileRuleSet`'s
 * `strategy: "wasm"` through `classify` (one frame's bytes copied per call),
 * `wasm-batch` the same classifier's batch path over 1 MiB blocks of the
 * capture (each block copied once into the module's memory, as the router
 * does).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { generateRuleSet } from "./_rule_set_generator.ts";
import { compileRuleSet, createFrameRef } from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import type { _WasmBatch } from "../src/rules/_classifier_wasm.ts";

const { values } = parseArgs({
  options: {
    file: { type: "string", default: new URL("./data/mixed_1m.pcap", import.meta.url).pathname },
    frames: { type: "string", default: "100000" },
    runs: { type: "string", default: "7" },
    rules: { type: "string", default: "0,100,1000,10000" },
    strategies: { type: "string", default: "default" },
  },
});
const strategies = values.strategies!.split(",");
const limit = Number(values.frames);
const runs = Number(values.runs);
const counts = values.rules!.split(",").map(Number);

/** Frames of a classic little-endian pcap file: [start, caplen, wirelen] triples. */
function _frames(bytes: Uint8Array, most: number): { linkType: number; at: Int32Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const linkType = view.getUint32(20, true);
  const at: number[] = [];
  let p = 24;
  while (p + 16 <= bytes.length && at.length / 3 < most) {
    const caplen = view.getUint32(p + 8, true);
    const wire = view.getUint32(p + 12, true);
    at.push(p + 16, caplen, wire);
    p += 16 + caplen;
  }
  return { linkType, at: Int32Array.from(at) };
}

const bytes = Deno.readFileSync(values.file!);
const { linkType, at } = _frames(bytes, limit);
const n = at.length / 3;
type Rules = ReturnType<typeof compileRuleSet> & { _batch?: _WasmBatch; wasmFallback?: string };
const sets = counts.flatMap((count) => {
  const text = count === 0
    ? "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n"
    : generateRuleSet(1, { rules: count, policy: "ACCEPT" }).text;
  return strategies.map((strategy) => {
    const options = strategy === "default"
      ? {}
      : strategy === "source"
      ? { strategy: "source" as const }
      : { strategy: "wasm" as const };
    const rules = compileRuleSet(parseRuleSet(text), options) as Rules;
    if (rules.wasmFallback !== undefined) console.log(`${count} rules: ${rules.wasmFallback}`);
    return { count, strategy, rules };
  });
});
const frame = createFrameRef({ bytes, linkType });

function _pass(rules: Rules, strategy: string): number {
  if (strategy === "wasm-batch" && rules._batch !== undefined) return _batchPass(rules._batch);
  let accepted = 0;
  const t0 = performance.now();
  for (let i = 0; i < at.length; i += 3) {
    frame.start = at[i];
    frame.capturedLength = at[i + 1];
    frame.wireLength = at[i + 2];
    if (rules.classify(frame)) accepted++;
  }
  const ns = ((performance.now() - t0) * 1e6) / n;
  return accepted >= 0 ? ns : -1;
}

const verdicts = new Uint8Array(n);
/** The frames in blocks of about 1 MiB, each block copied once (as the router's batch path). */
function _batchPass(batch: _WasmBatch): number {
  const t0 = performance.now();
  let i = 0;
  while (i < at.length) {
    const from = at[i] - 16;
    let j = i;
    while (j < at.length && at[j] + at[j + 1] - from <= 1 << 20) j += 3;
    if (j === i) j += 3;
    const block = bytes.subarray(from, at[j - 3] + at[j - 2]);
    const blockFrame = createFrameRef({ bytes: block, linkType });
    batch.begin(block, verdicts);
    for (let k = i; k < j; k += 3) {
      blockFrame.start = at[k] - from;
      blockFrame.capturedLength = at[k + 1];
      blockFrame.wireLength = at[k + 2];
      batch.add(blockFrame, k / 3);
    }
    batch.finish();
    i = j;
  }
  return ((performance.now() - t0) * 1e6) / n;
}

for (const s of sets) _pass(s.rules, s.strategy); // warm up
const times = sets.map(() => [] as number[]);
for (let r = 0; r < runs; r++) sets.forEach((s, i) => times[i].push(_pass(s.rules, s.strategy)));
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
console.log(
  `load ${
    Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ")
  }; ${n} frames, ${runs} runs`,
);
for (let i = 0; i < sets.length; i++) {
  console.log(
    `${String(sets[i].count).padStart(6)} rules, ${sets[i].strategy.padEnd(10)}: ${
      median(times[i]).toFixed(1)
    } ns/frame`,
  );
}
