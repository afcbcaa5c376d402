import assert from "node:assert/strict";
import { _compileRules } from "./_compile_rules.ts";
import { compileRuleSet, type FrameRef } from "../rules/compile_rule_set.ts";
import type { CompiledRuleSet } from "../rules/compiled_rule_set.ts";
import { parseRuleSet } from "../rules/parse_rule_set.ts";
import {
  examplePackets,
  framesWithInterfaces,
  trafficProfile,
} from "../../tests/_rule_set_fixtures.ts";
import { generateRuleSet } from "../../bench/_rule_set_generator.ts";

type _Inspected = CompiledRuleSet & { _batch?: unknown; wasmFallback?: string };

/** Whether `compiled` is the Wasm classifier (as tests/rules_classifier_wasm_choice_test.ts tells). */
function _isWasm(compiled: CompiledRuleSet): boolean {
  return (compiled as _Inspected)._batch !== undefined;
}

const packets = examplePackets();
const frames = framesWithInterfaces(packets);
const profile = trafficProfile(packets);

/** Verdicts, deciding rules and counters of `compiled` and `reference` on every frame agree. */
function _agree(compiled: CompiledRuleSet, reference: CompiledRuleSet, what: string): void {
  frames.forEach((frame: FrameRef, i) => {
    assert.equal(compiled.classify(frame), reference.classify(frame), `${what}: packet ${i}`);
    assert.equal(compiled.decidedBy, reference.decidedBy, `${what}: packet ${i}`);
  });
  assert.deepEqual(compiled.counters(), reference.counters(), what);
}

Deno.test("_compileRules() makes what compileRuleSet makes, Wasm classifier included", async () => {
  for (const [seed, rules] of [[3, 12], [7, 60], [11, 200]]) {
    const ruleSet = parseRuleSet(generateRuleSet(seed, { rules, profile }).text);
    const what = `seed ${seed}, ${rules} rules`;
    const compiled = await _compileRules(ruleSet, {});
    const library = compileRuleSet(ruleSet);
    assert.equal(_isWasm(compiled), _isWasm(library), what);
    assert.equal((compiled as _Inspected).wasmFallback, (library as _Inspected).wasmFallback, what);
    _agree(compiled, compileRuleSet(ruleSet, { evaluation: "rule-by-rule" }), what);
  }
  // The measured choice takes small sets: this one must become the Wasm classifier.
  const small = parseRuleSet(generateRuleSet(3, { rules: 12, profile }).text);
  assert.ok(_isWasm(await _compileRules(small, {})));
  // Asked for, on a set the measured choice would leave alone too.
  const asked = await _compileRules(small, { strategy: "wasm" });
  assert.ok(_isWasm(asked));
});

Deno.test("_compileRules() compiles a rule-by-rule set without the Wasm classifier", async () => {
  const ruleSet = parseRuleSet(generateRuleSet(5, { rules: 40, profile }).text);
  const compiled = await _compileRules(ruleSet, { evaluation: "rule-by-rule" });
  assert.equal(_isWasm(compiled), false);
  _agree(compiled, compileRuleSet(ruleSet, { evaluation: "rule-by-rule" }), "rule by rule");
});

Deno.test("_compileRules() compiles sets that cannot become the Wasm classifier as the library does", async () => {
  const sets = [
    ["an empty set", parseRuleSet("*filter\n:INPUT DROP [0:0]\nCOMMIT\n"), {}],
    [
      "a closure set",
      parseRuleSet(generateRuleSet(9, { rules: 30, profile }).text),
      { strategy: "closure" as const },
    ],
  ] as const;
  for (const [what, ruleSet, options] of sets) {
    const compiled = await _compileRules(ruleSet, options);
    const library = compileRuleSet(ruleSet, options);
    assert.equal(_isWasm(compiled), false, what);
    assert.equal(_isWasm(library), false, what);
    assert.equal((compiled as _Inspected).wasmFallback, (library as _Inspected).wasmFallback, what);
    _agree(compiled, compileRuleSet(ruleSet, { evaluation: "rule-by-rule" }), what);
  }
});
