/**
 * Where a big rule set's fixed cost goes (issue 11): in one fresh process,
 * the time of `parseRuleSet` on a rule file, then of the compile's steps
 * (`_RuleSetBuilder`): the rules (prepare and summarise), the index, and
 * `finish` (for the Wasm classifier: emit the module and instantiate it).
 * The CLI pays these once per run, with V8's code cold: run this once per
 * measurement, alternating the trees compared.
 *
 * Usage:
 *
 *   npx -y deno@2.9.6 run -A bench/rule_set_phases.ts --rules FILE [--rules FILE2 ...] [--cpu | --heap]
 *
 * Prints one line per rule file: `parse MS rules MS index MS finish MS
 * total MS`. With several files, each is parsed and compiled in turn in the
 * same process: the first pays for cold code, the later ones show the same
 * work warm (use a different set of the same size, e.g. another generator
 * seed: module-level caches remember a set's `--expr` and `--u32` texts).
 * `--cpu` measures the main thread's CPU time (Linux
 * `/proc/thread-self/schedstat`) instead of wall time: steadier on a busy
 * machine. `--heap` prints the MB each phase allocates instead (the growth
 * of `heapUsed`): run it with a young generation large enough that nothing
 * is collected, `--v8-flags=--min-semi-space-size=1024,--max-semi-space-size=1024`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import { _RuleSetBuilder } from "../src/rules/_rule_set_builder.ts";
import { _makeWasmClassifier } from "../src/rules/_classifier_wasm.ts";

const { values } = parseArgs({
  options: {
    rules: { type: "string", multiple: true },
    cpu: { type: "boolean" },
    heap: { type: "boolean" },
  },
});
if (values.rules === undefined || values.rules.length === 0) {
  console.error("usage: rule_set_phases.ts --rules FILE [--rules FILE2 ...] [--cpu | --heap]");
  Deno.exit(2);
}
const now = values.heap
  ? () => Deno.memoryUsage().heapUsed / 1e6
  : values.cpu
  ? () => Number(Deno.readTextFileSync("/proc/thread-self/schedstat").split(" ")[0]) / 1e6
  : () => performance.now();
for (const file of values.rules) {
  const text = Deno.readTextFileSync(file);
  const t0 = now();
  const ruleSet = parseRuleSet(text);
  const t1 = now();
  const builder = new _RuleSetBuilder(ruleSet, {}, { make: _makeWasmClassifier, choose: true });
  // The first steps compile the rules, one per step, then one per chain to move on.
  let ruleSteps = ruleSet.chains.length;
  for (const chain of ruleSet.chains) ruleSteps += chain.rules.length;
  for (let i = 0; i < ruleSteps; i++) builder.step();
  const t2 = now();
  while (!builder.step()) { /* the index, then the walks */ }
  const t3 = now();
  builder.finish();
  const t4 = now();
  const ms = (a: number, b: number) => (b - a).toFixed(1);
  console.log(
    `parse ${ms(t0, t1)} rules ${ms(t1, t2)} index ${ms(t2, t3)} finish ${ms(t3, t4)} total ${
      ms(t0, t4)
    }${values.rules.length > 1 ? `  ${file}` : ""}`,
  );
}
