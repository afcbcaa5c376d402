/**
 * Private to `filter`: `compileRuleSet` with the Wasm classifier's modules
 * (about a third of the rule-set code) loaded only for a set that may become
 * one, so that `--expr` and `--bytecode` (one rule, tested directly) and an
 * empty rule set start without loading them (bench/RESULTS.md, issue 12,
 * session 10).
 *
 * @module
 */
import type { CompiledRuleSet, CompileRuleSetOptions } from "../rules/compiled_rule_set.ts";
import type { RuleSet } from "../rules/rule_set.ts";
import { _buildRuleSet } from "../rules/_rule_set_builder.ts";
import { _prefersWasm } from "../rules/_classifier_wasm_choice.ts";

/**
 * `ruleSet` compiled as `compileRuleSet` compiles it. The Wasm classifier is
 * loaded first only where the set may become one: evaluated with an index,
 * and either asked for (`strategy: "wasm"`) or, without a strategy, of a size
 * the measured choice can pick (`_prefersWasm`, with any number of inexact
 * index entries: not an empty set). Others are compiled without it.
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
  const rules = ruleSet.chains.reduce((count, chain) => count + chain.rules.length, 0);
  const mayBeWasm = options.evaluation !== "rule-by-rule" &&
    (options.strategy === "wasm" ||
      (options.strategy === undefined && _prefersWasm(rules, Infinity)));
  if (!mayBeWasm) return _buildRuleSet(ruleSet, options);
  const { _makeWasmClassifier } = await import("../rules/_classifier_wasm.ts");
  return _buildRuleSet(ruleSet, options, { make: _makeWasmClassifier, choose: true });
}
