/**
 * Rule-set classifier, the first pass against the next ones (issue 11): in
 * one process, compiles a rule set file and classifies every frame of the
 * 1M-frame capture `--passes` times, printing the compile time and each
 * pass's time. The CLI makes one pass, so its figures include the JIT's
 * warm-up of the generated walks that warm passes do not (bench/RESULTS.md,
 * "Classifier per-frame constants, session 4").
 *
 * Usage:
 *
 *   npx -y deno@2.9.6 run -A bench/rule_set_first_pass.ts RULES_FILE [--passes 3]
 *     [--file bench/data/mixed_1m.pcap]
 *
 * Add `--v8-flags=--trace-opt,--trace-deopt` after `run` to see the tiering.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { compileRuleSet, createFrameRef } from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    file: { type: "string", default: new URL("./data/mixed_1m.pcap", import.meta.url).pathname },
    passes: { type: "string", default: "3" },
  },
});
if (positionals.length !== 1) throw new TypeError("Cannot measure: give one rule set file");

const bytes = Deno.readFileSync(values.file!);
const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const at: number[] = [];
for (let p = 24; p + 16 <= bytes.length;) {
  const caplen = view.getUint32(p + 8, true);
  at.push(p + 16, caplen, view.getUint32(p + 12, true));
  p += 16 + caplen;
}
const t0 = performance.now();
const rules = compileRuleSet(parseRuleSet(Deno.readTextFileSync(positionals[0])));
const compiled = performance.now() - t0;
const frame = createFrameRef({ bytes, linkType: view.getUint32(20, true) });
const passes: number[] = [];
for (let k = 0; k < Number(values.passes); k++) {
  const start = performance.now();
  for (let i = 0; i < at.length; i += 3) {
    frame.start = at[i];
    frame.capturedLength = at[i + 1];
    frame.wireLength = at[i + 2];
    rules.classify(frame);
  }
  passes.push(performance.now() - start);
}
console.log(
  `load ${Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ")}; ${
    at.length / 3
  } frames; compile ${compiled.toFixed(0)} ms; passes ${
    passes.map((ms) => ms.toFixed(0)).join(" / ")
  } ms`,
);
