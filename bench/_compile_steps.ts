/**
 * Bench (private): one cold compile's work before the module's emission, in
 * a fresh process, for instruction counts (bench/_compile_instructions.py):
 * imports TREE's source, parses RULES and runs `_RuleSetBuilder`'s rule and
 * index steps (no `finish`). Prints nothing.
 *
 *   deno run -A bench/_compile_steps.ts TREE RULES
 *
 * TREE is a directory holding a `src/` (this repository, or a copy of
 * main's), so that two trees can be counted side by side.
 *
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [tree, rules] = Deno.args;
const from = (path: string) => pathToFileURL(resolve(tree, path)).href;
const { parseRuleSet } = await import(from("src/rules/parse_rule_set.ts"));
const { _RuleSetBuilder } = await import(from("src/rules/_rule_set_builder.ts"));
const { _makeWasmClassifier } = await import(from("src/rules/_classifier_wasm.ts"));
const ruleSet = parseRuleSet(Deno.readTextFileSync(rules));
const builder = new _RuleSetBuilder(ruleSet, {}, { make: _makeWasmClassifier, choose: true });
while (!builder.step()) { /* the rules, then the index */ }
