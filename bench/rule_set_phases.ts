/**
 * Where a big rule set's fixed cost goes (issue 11): in one fresh process,
 * the wall time of `parseRuleSet` on a rule file, then of the compile's
 * steps (`_RuleSetBuilder`): the rules (prepare and summarise), the index,
 * and `finish` (for the Wasm classifier: emit the module and instantiate
 * it). The CLI pays these once per run, with V8's code cold: run this once
 * per measurement, alternating the trees compared.
 *
 * Usage:
 *
 *   npx -y deno@2.9.6 run -A bench/rule_set_phases.ts --rules FILE
 *
 * Prints one line: `parse MS rules MS index MS finish MS total MS`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import { _RuleSetBuilder } from "../src/rules/_rule_set_builder.ts";

const { values } = parseArgs({ options: { rules: { type: "string" } } });
if (values.rules === undefined) {
  console.error("usage: rule_set_phases.ts --rules FILE");
  Deno.exit(2);
}
const text = Deno.readTextFileSync(values.rules);
const t0 = performance.now();
const ruleSet = parseRuleSet(text);
const t1 = performance.now();
const builder = new _RuleSetBuilder(ruleSet, {}, true);
// The first steps compile the rules, one per step, then one per chain to move on.
let ruleSteps = ruleSet.chains.length;
for (const chain of ruleSet.chains) ruleSteps += chain.rules.length;
for (let i = 0; i < ruleSteps; i++) builder.step();
const t2 = performance.now();
while (!builder.step()) { /* the index, then the walks */ }
const t3 = performance.now();
builder.finish();
const t4 = performance.now();
const ms = (a: number, b: number) => (b - a).toFixed(0);
console.log(
  `parse ${ms(t0, t1)} rules ${ms(t1, t2)} index ${ms(t2, t3)} finish ${ms(t3, t4)} total ${
    ms(t0, t4)
  }`,
);
