/**
 * Private probe (issue 11): `_RecordRouter` alone over a capture held in
 * memory (1 MiB chunks), time per pass and the process's minor page faults
 * after each pass, for one rule file and strategy; then the decoder alone.
 * The first pass shows the run-time warm-up (for the Wasm classifier: V8's
 * lazy compilation and tier-up of the module's functions), the later ones
 * the steady per-frame cost.
 *
 * Usage:
 *   deno run -A bench/_route_probe.ts RULES [--strategy wasm] [--passes 6]
 *     [--file bench/data/mixed_1m.pcap]
 *
 * The chunks are views of one buffer read from the file, so their bytes come
 * from memory, not from cache as after a `read`: the decoder's share is
 * larger than in the command line.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { compileRuleSet } from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import { _RecordRouter } from "../src/stream/_record_router.ts";
import { CaptureDecoder } from "../src/capture/capture_decoder.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    strategy: { type: "string" },
    passes: { type: "string", default: "6" },
    file: { type: "string", default: new URL("./data/mixed_1m.pcap", import.meta.url).pathname },
  },
});
if (positionals.length !== 1) {
  console.error("usage: deno run -A bench/_route_probe.ts RULES [--strategy S] [--passes N]");
  Deno.exit(2);
}

/** Minor page faults of this process so far (Linux), or -1. */
function minorFaults(): number {
  try {
    const stat = Deno.readTextFileSync("/proc/self/stat");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[7]);
  } catch {
    return -1;
  }
}

const rules = parseRuleSet(await Deno.readTextFile(positionals[0]));
const data = await Deno.readFile(values.file!);
const chunks: Uint8Array[] = [];
for (let at = 0; at < data.length; at += 1 << 20) chunks.push(data.subarray(at, at + (1 << 20)));
const strategy = values.strategy as "closure" | "source" | "interpret" | "wasm" | undefined;
const compiled = compileRuleSet(rules, strategy === undefined ? {} : { strategy });
let written = 0;
const sink = {
  active: true,
  write: (_bytes: Uint8Array, from: number, to: number) => void (written += to - from),
};
console.log(`minor faults after compile: ${minorFaults()}`);
const passes: string[] = [];
for (let pass = 0; pass < Number(values.passes); pass++) {
  const t = performance.now();
  const router = new _RecordRouter(compiled);
  for (const chunk of chunks) router.push(chunk, sink, sink);
  router.finish(sink, sink);
  passes.push(`${(performance.now() - t).toFixed(0)} ms (faults ${minorFaults()})`);
}
const decodes: string[] = [];
for (let pass = 0; pass < 4; pass++) {
  const t = performance.now();
  const decoder = new CaptureDecoder();
  for (const chunk of chunks) decoder.push(chunk);
  decodes.push((performance.now() - t).toFixed(0));
}
console.log(`route per pass: ${passes.join(", ")}`);
console.log(`decode only, ms per pass: ${decodes.join(" ")} (${written} bytes routed)`);
