/**
 * The Wasm classifier's batch path (frames JavaScript staged, 1,024 per
 * call) where the module calls back into JavaScript for each frame (a
 * program reading ancillary fields, a link-base program on frames off
 * Ethernet): since session 11 each frame record is copied to one fixed
 * address before it is classified (src/rules/_classifier_wasm_layout.ts,
 * `FRAME_AT`), and a call back must still find that record's own frame
 * (its slot word). Every verdict and counter against rule-by-rule
 * evaluation, on the examples alone (no corpus needed).
 */
import assert from "node:assert/strict";
import { examplePackets, framesWithInterfaces } from "./_rule_set_fixtures.ts";
import { compileRuleSet, type FrameRef } from "../src/rules/compile_rule_set.ts";
import type { Rule, RuleSet } from "../src/rules/rule_set.ts";
import { parseBytecode } from "../src/bpf/parse_bytecode.ts";
import { _inOneBlock } from "./_wasm_block_fixtures.ts";
import { _MAX_BLOCK_BYTES, type _WasmClassifier } from "../src/rules/_classifier_wasm.ts";

/** A link-base rule of `bytecode` with `target` (`null`: count only). */
function _rule(bytecode: string, target: "ACCEPT" | "DROP" | null = null): Rule {
  return {
    base: "link",
    matches: [{ kind: "bpf", invert: false, program: parseBytecode(bytecode) }],
    target,
  };
}

// ld [SKF_AD_OFF + field]; jeq k; ret 1; ret 0.
const _ancillary = (field: number, value: number) =>
  `4,32 0 0 ${(0xfffff000 + field) >>> 0},21 0 1 ${value},6 0 0 1,6 0 0 0`;
const SKF_AD_PROTOCOL = 0;
const SKF_AD_PKTTYPE = 4;
const SKF_AD_IFINDEX = 8;

Deno.test("the Wasm classifier's batch path calls back into JavaScript for the frame of each record, 1,024 per call: rule-by-rule's verdicts and counters", () => {
  const frames = framesWithInterfaces(examplePackets());
  const ruleSet: RuleSet = {
    table: "filter",
    chains: [{
      name: "INPUT",
      policy: "DROP",
      rules: [
        _rule(_ancillary(SKF_AD_PKTTYPE, 0)),
        _rule(_ancillary(SKF_AD_IFINDEX, 2)),
        _rule(_ancillary(SKF_AD_PROTOCOL, 0x86dd), "DROP"),
        _rule(_ancillary(SKF_AD_PROTOCOL, 0x0800), "ACCEPT"),
        _rule(_ancillary(SKF_AD_IFINDEX, 3), "ACCEPT"),
      ],
    }],
  };
  const { block, frames: inBlock } = _inOneBlock(frames);
  // The block repeated past _MAX_BLOCK_BYTES (JavaScript stages its frames),
  // each copy's frames in another order, so that a record read in another
  // slot's place would show.
  const copies = Math.ceil((_MAX_BLOCK_BYTES + 1) / block.length);
  const big = new Uint8Array(copies * block.length);
  const all: FrameRef[] = [];
  for (let i = 0; i < copies; i++) {
    big.set(block, i * block.length);
    for (let j = 0; j < inBlock.length; j++) {
      const f = inBlock[(j * 7 + i) % inBlock.length];
      all.push({ ...f, bytes: big, start: f.start + i * block.length });
    }
  }
  assert.ok(all.length > 2 * 1024, `${all.length} frames: more than two calls of 1,024`);
  const reference = compileRuleSet(ruleSet, { evaluation: "rule-by-rule" });
  const want = all.map((f) => reference.classify(f));
  assert.ok(want.some((v) => v) && want.some((v) => !v), "both verdicts");
  const wasm = compileRuleSet(ruleSet, { strategy: "wasm" }) as
    & _WasmClassifier
    & { wasmFallback?: string };
  assert.equal(wasm.wasmFallback, undefined);
  const verdicts = new Uint8Array(all.length);
  wasm._batch.begin(big, verdicts);
  all.forEach((f, i) => wasm._batch.add(f, i));
  wasm._batch.finish();
  // The first frame whose verdict differs (a short message, not a diff of thousands).
  const wrong = want.findIndex((v, i) => (verdicts[i] !== 0) !== v);
  assert.equal(wrong, -1, `frame ${wrong} of ${all.length}: verdict ${verdicts[wrong]}`);
  assert.deepEqual(wasm.counters(), reference.counters());
});
