/**
 * Private to `filter`: `compileRuleSet` with the Wasm classifier's modules
 * (about a third of the rule-set code) loaded only for a set that may become
 * one, so that `--expr` and `--bytecode` (one rule, tested directly) start
 * without loading them (bench/RESULTS.md, issue 12, session 10).
 *
 * @module
 */
import type { CompiledRuleSet, CompileRuleSetOptions } from "../rules/compiled_rule_set.ts";
import type { RuleSet } from "../rules/rule_set.ts";
import { _buildRuleSet } from "../rules/_rule_set_builder.ts";

/**
 * `ruleSet` compiled as `compileRuleSet` compiles it: a set evaluated rule
 * by rule never becomes the Wasm classifier, so it is compiled without it;
 * any other loads the classifier first (it may be chosen, or asked for).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { _compileRules } from "./_compile_rules.ts";
 * import { parseRuleSet } from "../rules/parse_rule_set.ts";
 * const ruleSet = parseRuleSet("-P INPUT DROP\n-A INPUT -p udp -j ACCEPT\n");
 * const oneByOne = await _compileRules(ruleSet, { evaluation: "rule-by-rule" });
 * const indexed = await _compileRules(ruleSet, {});
 * const udp = new Uint8Array(20);
 * udp.set([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17]); // IPv4, protocol 17 (UDP)
 * const frame = { bytes: udp, capturedLength: 20, wireLength: 20, linkType: 101 };
 * const { createFrameRef } = await import("../rules/frame_ref.ts");
 * assert.equal(oneByOne.classify(createFrameRef(frame)), true);
 * assert.equal(indexed.classify(createFrameRef(frame)), true);
 * ```
 */
export async function _compileRules(
  ruleSet: RuleSet,
  options: CompileRuleSetOptions,
): Promise<CompiledRuleSet> {
  if (options.evaluation === "rule-by-rule") return _buildRuleSet(ruleSet, options);
  const { _makeWasmClassifier } = await import("../rules/_classifier_wasm.ts");
  return _buildRuleSet(ruleSet, options, { make: _makeWasmClassifier, choose: true });
}
