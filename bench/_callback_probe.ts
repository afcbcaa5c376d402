/**
 * Private probe (issue 11): how often the Wasm classifier (`strategy:
 * "wasm"`) calls back into JavaScript per frame, per escaped match's
 * reason (`wasmEscapes`) and for fields (`jsField`), over the first
 * `--frames` frames of a pcap capture (each through `classify`, which the
 * module stages itself). Counts by wrapping the module's imports.
 *
 *   deno run -A bench/_callback_probe.ts --file R [--frames 100000] [--capture F]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import { compileRuleSet } from "../src/rules/compile_rule_set.ts";
import { createFrameRef } from "../src/rules/frame_ref.ts";

const { values } = parseArgs({
  options: {
    capture: { type: "string", default: new URL("./data/mixed_1m.pcap", import.meta.url).pathname },
    file: { type: "string", default: "/tmp/d100.rules" },
    frames: { type: "string", default: "100000" },
  },
});

const matchCalls = new Map<number, number>();
let fieldCalls = 0;
const Instance = WebAssembly.Instance;
// deno-lint-ignore no-explicit-any
(WebAssembly as any).Instance = function (module: WebAssembly.Module, imports: any) {
  const env = imports?.env;
  if (env?.jsMatch !== undefined) {
    const jsMatch = env.jsMatch, jsField = env.jsField;
    env.jsMatch = (q: number, fr: number): number => {
      matchCalls.set(q, (matchCalls.get(q) ?? 0) + 1);
      return jsMatch(q, fr);
    };
    env.jsField = (id: number, fr: number): number => {
      fieldCalls++;
      return jsField(id, fr);
    };
  }
  return new Instance(module, imports);
};

const rules = compileRuleSet(parseRuleSet(Deno.readTextFileSync(values.file!)), {
  strategy: "wasm",
});
const escapes = (rules as unknown as { wasmEscapes: readonly string[] }).wasmEscapes;
const bytes = Deno.readFileSync(values.capture!);
const view = new DataView(bytes.buffer);
const frame = createFrameRef({ bytes, linkType: view.getUint32(20, true) });
const limit = Number(values.frames);
let frames = 0;
for (let at = 24; at + 16 <= bytes.length && frames < limit; frames++) {
  const captured = view.getUint32(at + 8, true);
  frame.start = at + 16;
  frame.capturedLength = captured;
  frame.wireLength = view.getUint32(at + 12, true);
  rules.classify(frame);
  at += 16 + captured;
}
const byReason = new Map<string, number>();
for (const [q, n] of matchCalls) byReason.set(escapes[q], (byReason.get(escapes[q]) ?? 0) + n);
console.log(`${values.file}: ${frames} frames, ${escapes.length} escaped matches`);
for (const [reason, n] of [...byReason].sort((a, b) => b[1] - a[1])) {
  console.log(`  ${(n / frames).toFixed(3)} calls/frame: ${reason}`);
}
console.log(`  ${(fieldCalls / frames).toFixed(3)} calls/frame: jsField`);
