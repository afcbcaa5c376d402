/**
 * How long the first classification of a frame takes when it is the first
 * call of many rules' tests (each rule's matches are compiled on its first
 * test, src/rules/_rule_set_builder.ts `_lazyTest`), after a
 * `compileRuleSetAsync` as the HTTP server runs it: that first call runs in
 * one piece of a `/filter` stream, on the server's event loop.
 *
 * Usage: `deno run -A bench/_lazy_test_stall.ts [--rules N] [--shape NAME] [--strategy closure|source|wasm]
 * [--file RULES --capture PCAP]` (`--capture`: the longest classification of one frame of a
 * little-endian microsecond Ethernet pcap, frames in order)
 *
 * @module
 */
import { parseArgs } from "node:util";
import { compileRuleSetAsync } from "../src/rules/compile_rule_set_async.ts";
import { parseRuleSetAsync } from "../src/rules/parse_rule_set_async.ts";
import { compileRuleSet, createFrameRef } from "../src/rules/compile_rule_set.ts";
import { _ipv4Frame } from "../src/server/_test_helpers.ts";

const { values } = parseArgs({
  options: {
    rules: { type: "string", default: "10000" },
    shape: { type: "string", default: "negated-expr" },
    strategy: { type: "string" },
    file: { type: "string" },
    capture: { type: "string" },
  },
});
const rules = Number(values.rules);
/** Rule lines whose tests a TCP frame reaches all of (none is ruled out by the index). */
const shapes: Record<string, (i: number) => string> = {
  // `!` matches say nothing to the index: every rule is a candidate; count-only, so all are tested.
  "negated-expr": (i) => `-A INPUT -m bpf ! --expr "tcp dst port ${i % 65535 + 1}"`,
  "negated-expr-drop": (i) => `-A INPUT -m bpf ! --expr "udp dst port ${i % 65535 + 1}" -j DROP`,
  "negated-u32": (i) => `-A INPUT -m u32 ! --u32 "6&0xFF=0x11&&0>>22&0x3C@0>>16=${i % 65535 + 1}"`,
  "expr-count": (i) =>
    `-A INPUT -p tcp -m bpf --expr "tcp[13] & ${(i % 255) + 1} != 0 or len > ${i}"`,
};
const line = shapes[values.shape!];
if (line === undefined) throw new Error(`unknown shape ${values.shape}`);
const text = values.file !== undefined ? await Deno.readTextFile(values.file) : [
  "*filter",
  ":INPUT ACCEPT [0:0]",
  ...Array.from({ length: rules }, (_, i) => line(i)),
  "COMMIT",
  "",
].join("\n");
const ruleSet = await parseRuleSetAsync(text, { maxInstructions: 64 });
const strategy = values.strategy as "closure" | "source" | "wasm" | undefined;
const compileStart = performance.now();
// `--strategy wasm`: the library's Wasm classifier (its tests made on first call: `lazyTest`),
// which the server never builds (`compileRuleSetAsync` without strategy "wasm").
const compiled = values.strategy === "wasm"
  ? compileRuleSet(ruleSet, { strategy: "wasm", maxInstructions: 64 })
  : await compileRuleSetAsync(ruleSet, { strategy, maxInstructions: 64, sliceMilliseconds: 5 });
const compileMs = performance.now() - compileStart;
const bytes = _ipv4Frame(6, 40, 1);
const frame = createFrameRef({
  bytes,
  capturedLength: bytes.length,
  wireLength: bytes.length,
  linkType: 1,
});
if (values.capture !== undefined) {
  // Every frame of a little-endian microsecond Ethernet pcap once, in order: the longest
  // classification (first calls included) and the sum.
  const data = await Deno.readFile(values.capture);
  const view = new DataView(data.buffer);
  let longest = 0, sum = 0, frames = 0;
  for (let at = 24; at + 16 <= data.length;) {
    const length = view.getUint32(at + 8, true);
    const bytes = data.subarray(at + 16, at + 16 + length);
    at += 16 + length;
    const ref = createFrameRef({
      bytes,
      capturedLength: length,
      wireLength: view.getUint32(at - length - 4, true),
      linkType: 1,
    });
    const t = performance.now();
    compiled.classify(ref);
    const ms = performance.now() - t;
    longest = Math.max(longest, ms);
    sum += ms;
    frames++;
  }
  console.log(JSON.stringify({
    file: values.file,
    capture: values.capture,
    strategy: strategy ?? "default",
    compileMs: Math.round(compileMs),
    frames,
    longestClassifyMs: Number(longest.toFixed(1)),
    totalClassifyMs: Math.round(sum),
  }));
  Deno.exit(0);
}
const times: number[] = [];
for (let i = 0; i < 5; i++) {
  const t = performance.now();
  compiled.classify(frame);
  times.push(performance.now() - t);
}
const tested = compiled.counters().chains.INPUT.rules.filter((r) => r.packets > 0).length;
console.log(JSON.stringify({
  shape: values.shape,
  rules,
  strategy: strategy ?? "default",
  compileMs: Math.round(compileMs),
  firstClassifyMs: Number(times[0].toFixed(1)),
  nextClassifyMs: times.slice(1).map((t) => Number(t.toFixed(2))),
  rulesMatched: tested,
}));
