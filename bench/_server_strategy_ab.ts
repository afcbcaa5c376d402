/**
 * Private bench (issue 11, session 11): the server's per-frame cost by
 * program strategy. Compiles RULES as `POST /filter` does
 * (`_LoadedRuleSets.compile`: `compileRuleSetAsync` in 5 ms slices, then every
 * test made ahead) with the strategy given, then routes the first FRAMES
 * frames of a pcap through `_RecordRouter` (the synchronous core of the
 * server's `RouterStream`; null sinks): a first pass one frame at a time (the
 * first frame, frames 2–100, the longest later frame), then PASSES whole passes in 1 MiB pieces (steady state). Prints one JSON line
 * (ms and ns per frame, wall time). Run each strategy in a fresh process.
 *
 *   deno run -A bench/_server_strategy_ab.ts RULES closure|source|wasm [FRAMES] [PASSES] [--file CAPTURE]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { _LoadedRuleSets } from "../src/server/_loaded_rule_sets.ts";
import { MemoryRuleSetStore } from "../src/server/memory_rule_set_store.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import { _RecordRouter } from "../src/stream/_record_router.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    file: { type: "string", default: new URL("./data/mixed_1m.pcap", import.meta.url).pathname },
  },
});
const [rules, strategy, framesArg = "30000", passesArg = "5"] = positionals;
if (strategy !== "closure" && strategy !== "source" && strategy !== "wasm") {
  throw new TypeError("Cannot bench: strategy must be closure or source");
}

/** Byte offsets of the ends of the first `count` records of a classic pcap (little-endian). */
function _recordEnds(bytes: Uint8Array, count: number): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ends: number[] = [];
  let at = 24;
  while (ends.length < count && at + 16 <= bytes.length) {
    at += 16 + view.getUint32(at + 8, true);
    ends.push(at);
  }
  return ends;
}

const file = await Deno.open(values.file);
const head = new Uint8Array(64 << 20);
const got = (await file.read(head)) ?? 0;
file.close();
const ends = _recordEnds(head.subarray(0, got), Number(framesArg));
const data = head.slice(0, ends.at(-1));
const frames = ends.length;

const ruleSets = new _LoadedRuleSets(new MemoryRuleSetStore(), {
  now: () => new Date(),
  // "wasm": not a server option (the server's type has closure and source only); measured for comparison.
  strategy: strategy as "closure",
  maxInstructions: 4096,
  maxCompiled: 8,
  maxCompiledRules: 100_000,
  onError: (error) => {
    throw error;
  },
});
const compileStart = performance.now();
const compiled = await ruleSets.compile(parseRuleSet(Deno.readTextFileSync(rules)));
const compileMs = performance.now() - compileStart;

const sink = { active: true, write() {} };
const router = new _RecordRouter(compiled);
// The first pass one frame at a time: the first frame, frames 2–100, the longest single frame.
const first: number[] = [];
let from = 0;
for (const end of ends) {
  const start = performance.now();
  router.push(data.subarray(from, end), sink, sink);
  first.push(performance.now() - start);
  from = end;
}
router.finish(sink, sink);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const steady: number[] = [];
for (let p = 0; p < Number(passesArg); p++) {
  const again = new _RecordRouter(compiled);
  const start = performance.now();
  for (let i = 0; i < data.length; i += 1 << 20) {
    again.push(data.subarray(i, Math.min(data.length, i + (1 << 20))), sink, sink);
  }
  again.finish(sink, sink);
  steady.push(performance.now() - start);
}
const ns = (ms: number, n: number) => Math.round(1e6 * ms / n);
console.log(JSON.stringify({
  rules,
  strategy,
  frames,
  compileMs: Math.round(compileMs),
  firstFrameMs: +first[0].toFixed(2),
  frames2to100Ms: +sum(first.slice(1, 100)).toFixed(2),
  longestLaterFrameMs: +Math.max(...first.slice(1)).toFixed(2),
  firstPassNsPerFrame: ns(sum(first), frames),
  steadyNsPerFrame: ns(Math.min(...steady), frames),
  lastPassNsPerFrame: ns(steady.at(-1)!, frames),
}));
