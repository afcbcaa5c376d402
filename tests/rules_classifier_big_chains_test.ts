/**
 * Issue 11, big chains: generated diverse rule sets with thousands of rules
 * in one chain (where the classifier indexes a chain with key tables,
 * src/rules/_key_tables.ts) against rule-by-rule evaluation: every verdict
 * and every counter on the example captures and a slice of the corpus, with
 * generated source, closures, and code generation refused. A few seeds per
 * run (each set is compiled several times and the reference runs every rule
 * on every packet), plus one from a random base seed (`BPFS_DIFF_SEED`
 * replays it).
 */
import assert from "node:assert/strict";
import { corpusSkipReason } from "./_corpus.ts";
import {
  corpusPackets,
  examplePackets,
  framesWithInterfaces,
  trafficProfile,
} from "./_rule_set_fixtures.ts";
import {
  compileRuleSet,
  type CompileRuleSetOptions,
  type FrameRef,
} from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import type { RuleSet } from "../src/rules/rule_set.ts";
import type { CompiledRuleSet } from "../src/rules/compiled_rule_set.ts";
import { _resetStrategyChoice } from "../src/bpf/_strategy_choice.ts";
import { _BIG_CHAIN_ENTRIES } from "../src/rules/_key_tables.ts";
import { generateRuleSet, type TrafficProfile } from "../bench/_rule_set_generator.ts";

const _KEY_TABLES = `the chain has ${_BIG_CHAIN_ENTRIES} or more index entries: key tables`;

const envSeed = Deno.env.get("BPFS_DIFF_SEED");
const randomSeed = envSeed !== undefined
  ? Number(envSeed)
  : 1 + Math.floor(Math.random() * 2 ** 30);
const replay = `random seed ${randomSeed}: BPFS_DIFF_SEED=${randomSeed} replays it`;

/** Frames with interface names, so that `-i`/`-o` rules match some. */
function _frames(): FrameRef[] {
  const packets = [
    ...examplePackets(),
    // Every 8th corpus packet: a spread of link types and protocols in bounded time.
    ...(corpusSkipReason() === undefined ? corpusPackets().filter((_, i) => i % 8 === 0) : []),
  ];
  return framesWithInterfaces(packets);
}

/** A set of 3,000 to 5,000 rules, most of them in INPUT (0 or 1 user chain). */
function _ruleSet(seed: number, profile: TrafficProfile): { text: string; ruleSet: RuleSet } {
  const text = generateRuleSet(seed, {
    rules: 3000 + (seed * 977) % 2000,
    profile,
    userChains: seed % 2,
    negation: [0, 0.1, 0.3][seed % 3],
    interfaces: seed % 4 !== 0,
  }).text;
  return { text, ruleSet: parseRuleSet(text) };
}

/** The private per-chain walk fallbacks of a compiled rule set (./src/rules/_classifier.ts). */
function _walkFallbacks(compiled: unknown): readonly (string | undefined)[] {
  return (compiled as { walkFallbacks: readonly (string | undefined)[] }).walkFallbacks;
}

/** Compiles `ruleSet` with `options` and checks it against the reference on `frames`. */
function _agree(
  seed: number,
  ruleSet: RuleSet,
  text: string,
  options: CompileRuleSetOptions,
  frames: FrameRef[],
): number {
  const indexed = compileRuleSet(ruleSet, options);
  const reference = compileRuleSet(ruleSet, {
    evaluation: "rule-by-rule",
    byteCount: options.byteCount,
  });
  const place = `seed ${seed} (${JSON.stringify(options)}; ${replay})`;
  frames.forEach((frame, i) => {
    const want = reference.classify(frame);
    const got = indexed.classify(frame);
    if (got !== want) {
      assert.fail(
        `${place}: packet ${i} is ${got ? "accepted" : "dropped"}, rule by rule not\n${text}`,
      );
    }
  });
  assert.deepEqual(indexed.counters(), reference.counters(), `${place}: counters differ`);
  // Without a strategy, such a set gets the Wasm classifier (measured faster:
  // src/rules/_classifier_wasm_choice.ts); otherwise the big chain was
  // indexed with key tables (the code under test).
  if ((indexed as { _batch?: unknown })._batch !== undefined) {
    assert.equal(options.strategy, undefined, place);
    return _hits(reference);
  }
  const fallbacks = _walkFallbacks(indexed);
  assert.ok(fallbacks.includes(_KEY_TABLES), `${place}: ${fallbacks.join("; ")}`);
  return _hits(reference);
}

/** Rules that matched at least one packet. */
function _hits(reference: CompiledRuleSet): number {
  let hits = 0;
  for (const chain of Object.values(reference.counters().chains)) {
    for (const rule of chain.rules) hits += rule.packets > 0 ? 1 : 0;
  }
  return hits;
}

Deno.test("compileRuleSet() agrees with rule-by-rule evaluation on sets with thousands of rules in one chain", () => {
  const frames = _frames();
  const profile = trafficProfile(examplePackets());
  let hits = 0;
  const seeds = [1, 2, 3, 4, randomSeed];
  for (const [i, seed] of seeds.entries()) {
    const { text, ruleSet } = _ruleSet(seed, profile);
    const options: CompileRuleSetOptions = {
      strategy: ([undefined, "closure", "source"] as const)[i % 3],
      byteCount: i % 2 === 0 ? "frame" : "ip",
    };
    hits += _agree(seed, ruleSet, text, options, frames);
  }
  assert.ok(hits > seeds.length * 20, `only ${hits} rules matched anything`);
});

Deno.test("compileRuleSet() agrees with rule-by-rule evaluation on a big chain where code generation is refused", () => {
  const original = globalThis.Function;
  globalThis.Function = function () {
    throw new EvalError("Code generation from strings disallowed for this context");
  } as unknown as FunctionConstructor;
  _resetStrategyChoice();
  try {
    const frames = _frames();
    const { text, ruleSet } = _ruleSet(5, trafficProfile(examplePackets()));
    assert.ok(_agree(5, ruleSet, text, {}, frames) > 20);
  } finally {
    globalThis.Function = original;
    _resetStrategyChoice();
  }
});
