/**
 * The Wasm classifier's calls back into JavaScript read the frame of the
 * record's own slot: JavaScript stages a block's frames in slots (their
 * frames made when first staged, then reused), the module runs them in one
 * call, and a match it escapes (a link-base `--expr` on a link type other
 * than EN10MB) reads each slot's frame. Verdicts against rule-by-rule
 * evaluation, in batches of several frames, again in a second batch (the
 * slots' frames reused) and one by one.
 */
import assert from "node:assert/strict";
import { compileRuleSet, createFrameRef, type FrameRef } from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import type { _WasmClassifier } from "../src/rules/_classifier_wasm.ts";
import { _inOneBlock } from "./_wasm_block_fixtures.ts";

/** LINKTYPE_RAW: frames that start at the IP header. */
const _LINKTYPE_RAW = 101;

/** An IPv4 packet of `protocol` (UDP 17, TCP 6) to destination port `port`, 40 bytes. */
function _ipv4(protocol: number, port: number): Uint8Array {
  const bytes = new Uint8Array(40);
  bytes.set([0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, protocol, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
  bytes[20] = 0x30; // source port 12345
  bytes[21] = 0x39;
  bytes[22] = port >> 8;
  bytes[23] = port & 0xff;
  return bytes;
}

/** Frames whose verdicts differ from one to the next (so a slot reading another's frame shows). */
function _frames(count: number): FrameRef[] {
  const kinds: [number, number][] = [[17, 53], [6, 53], [17, 54], [17, 53], [6, 80]];
  return Array.from({ length: count }, (_, i) => {
    const [protocol, port] = kinds[(i * 7 + (i >> 2)) % kinds.length];
    const bytes = _ipv4(protocol, port);
    return createFrameRef({
      bytes,
      capturedLength: bytes.length,
      wireLength: bytes.length,
      linkType: _LINKTYPE_RAW,
    });
  });
}

const RULES = `*filter
:INPUT ACCEPT [0:0]
-A INPUT --base link -m bpf --expr "udp dst port 53" -j DROP
-A INPUT --base link -m bpf --expr "tcp" -j ACCEPT
-A INPUT -p udp -j DROP
COMMIT
`;

Deno.test("the Wasm classifier's escaped matches read each staged slot's own frame, batch after batch", () => {
  const ruleSet = parseRuleSet(RULES);
  const reference = compileRuleSet(ruleSet, { evaluation: "rule-by-rule" });
  const wasm = compileRuleSet(ruleSet, { strategy: "wasm" }) as unknown as _WasmClassifier & {
    wasmFallback?: string;
  };
  assert.equal(wasm.wasmFallback, undefined);
  assert.ok(
    wasm.wasmEscapes.includes("a link-base --expr on a link type other than EN10MB"),
    wasm.wasmEscapes.join("; "),
  );
  const frames = _frames(50);
  const want = frames.map((frame) => reference.classify(frame));
  assert.ok(want.includes(true) && want.includes(false));
  for (const round of [1, 2]) {
    const { block, frames: inBlock } = _inOneBlock(frames);
    const verdicts = new Uint8Array(frames.length);
    wasm._batch.begin(block, verdicts);
    for (let i = 0; i < inBlock.length; i++) wasm._batch.add(inBlock[i], i);
    wasm._batch.finish();
    assert.deepEqual([...verdicts].map((v) => v !== 0), want, `batch ${round}`);
  }
  assert.deepEqual(frames.map((frame) => wasm.classify(frame)), want, "one by one");
  // Two batches and one by one: three passes, as rule by rule.
  for (const frame of [...frames, ...frames]) reference.classify(frame);
  assert.deepEqual(wasm.counters(), reference.counters());
});
