import assert from "node:assert/strict";
import { _LoadedRuleSets } from "./_loaded_rule_sets.ts";
import { MemoryRuleSetStore } from "./memory_rule_set_store.ts";
import { _ipv4Frame } from "./_test_helpers.ts";
import { compileRuleSet, createFrameRef } from "../rules/compile_rule_set.ts";
import { parseRuleSet } from "../rules/parse_rule_set.ts";
import { compile } from "../bpf/compile.ts";
import { compileFilter } from "../filter/compile_filter.ts";
import { _compiledRules } from "../rules/_make_tests_ahead.ts";
import { _testMakingBudget } from "../rules/_test_making_budget.ts";

function _ruleSets(strategy?: "closure" | "source"): _LoadedRuleSets {
  return new _LoadedRuleSets(new MemoryRuleSetStore(), {
    now: () => new Date(0),
    strategy,
    maxInstructions: 64,
    maxCompiled: 8,
    maxCompiledRules: 10_000,
    onError: (error) => {
      throw error;
    },
  });
}

/** `count` count-only `! --expr` rules that a TCP frame reaches all of. */
function _negated(count: number): string {
  const lines = ["*filter", ":INPUT ACCEPT [0:0]"];
  for (let i = 0; i < count; i++) lines.push(`-A INPUT -m bpf ! --expr "tcp dst port ${i + 1}"`);
  return lines.concat("COMMIT", "").join("\n");
}

/** The strategy each rule's program was compiled with. */
function _strategies(compiled: Parameters<typeof _compiledRules>[0]): Set<string | undefined> {
  const strategies = new Set<string | undefined>();
  for (const rules of _compiledRules(compiled)!) {
    for (const rule of rules) {
      for (const match of rule.matches) strategies.add(match.compiledProgram?.().strategy);
    }
  }
  return strategies;
}

Deno.test("a compile in the server makes every test: the first frame makes and interprets nothing", async () => {
  const ruleSet = parseRuleSet(_negated(400));
  const compiled = await _ruleSets().compile(ruleSet);
  const reference = compileRuleSet(ruleSet, { evaluation: "rule-by-rule", strategy: "interpret" });
  const bytes = _ipv4Frame(6, 40, 1);
  const frame = createFrameRef({
    bytes,
    capturedLength: bytes.length,
    wireLength: bytes.length,
    linkType: 1,
  });
  const b = _testMakingBudget;
  const saved = { windowMs: b.windowMs, budgetMs: b.budgetMs };
  const [made, interpreted] = [b.made, b.interpreted];
  b.windowMs = Number.POSITIVE_INFINITY;
  b.budgetMs = 0; // spent: a test not made would be interpreted
  b.windowStart = Number.NEGATIVE_INFINITY;
  try {
    assert.equal(compiled.classify(frame), true);
  } finally {
    Object.assign(b, saved, { windowStart: Number.NEGATIVE_INFINITY });
  }
  assert.equal(b.made, made);
  assert.equal(b.interpreted, interpreted);
  assert.equal(reference.classify(frame), true);
  assert.deepEqual(compiled.counters(), reference.counters());
});

Deno.test("the server compiles the programs of sets of 1,000 rules or more as closures", async () => {
  const ruleSets = _ruleSets();
  assert.deepEqual(
    _strategies(await ruleSets.compile(parseRuleSet(_negated(1_000)))),
    new Set(["closure"]),
  );
  // Smaller sets: what `compile()` picks for one program here (generated source where the runtime allows it).
  const picked = compile(compileFilter("tcp dst port 1", { linkType: 1 })).strategy;
  assert.deepEqual(
    _strategies(await ruleSets.compile(parseRuleSet(_negated(999)))),
    new Set([picked]),
  );
  assert.deepEqual(
    _strategies(await ruleSets.compile(parseRuleSet(_negated(10)))),
    new Set([picked]),
  );
  // A configured strategy is kept.
  const source = _strategies(await _ruleSets("source").compile(parseRuleSet(_negated(1_000))));
  assert.deepEqual(source, new Set(["source"]));
});
