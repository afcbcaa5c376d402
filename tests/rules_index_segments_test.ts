/**
 * The index in segments of rule positions (src/rules/_rule_index.ts,
 * `_segmentEnds`) through every walk that reads it: the data walk
 * (`strategy: "closure"`), the generated JavaScript walk, the default, and
 * the Wasm classifier (`classify` and its batch path), against rule-by-rule
 * evaluation on thousands of seeded diverse rule sets (both bases, user
 * chains with `-j`/`-g`, RETURN, count-only rules, `!`, `-i`/`-o`). The
 * first segment is lowered to 1–6 entries so that these small sets are cut
 * into many segments; every verdict, every deciding rule and every counter
 * must be the same.
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
import { _segmentEnds, _segmentLimits } from "../src/rules/_rule_index.ts";
import { _RuleSetBuilder } from "../src/rules/_rule_set_builder.ts";
import type { _WasmClassifier } from "../src/rules/_classifier_wasm.ts";
import { _asRecords, _inOneBlock } from "./_wasm_block_fixtures.ts";
import {
  generateRuleSet,
  type GenerateRuleSetOptions,
  type TrafficProfile,
} from "../bench/_rule_set_generator.ts";

const ruleByRule: CompileRuleSetOptions = { evaluation: "rule-by-rule" };
const corpusSkip = corpusSkipReason();

/** The generator options of a seed (as the differential test's: small sets, every 25th large). */
function _options(seed: number, profile: TrafficProfile): GenerateRuleSetOptions {
  const large = seed % 25 === 0;
  const rules = large ? 40 + (seed % 81) : 1 + (seed % 17);
  return {
    rules,
    profile,
    userChains: large
      ? (seed >>> 2) % 9
      : seed % 5 === 0
      ? 0
      : Math.min(rules - 1, (seed >>> 3) % 4),
    negation: [0, 0.1, 0.3][(seed >>> 1) % 3],
    interfaces: seed % 7 !== 0,
  };
}

/** The strategies in turn: the default, the data walk, generated source, Wasm. */
const _STRATEGIES = [undefined, "closure", "source", "wasm"] as const;

/** Classifies `frames` with `options` and rule by rule: same verdicts, deciders, counters. */
function _agree(
  ruleSet: RuleSet,
  options: CompileRuleSetOptions,
  frames: FrameRef[],
  what: string,
): void {
  const indexed = compileRuleSet(ruleSet, options);
  const reference = compileRuleSet(ruleSet, { ...ruleByRule, byteCount: options.byteCount });
  const want: boolean[] = [];
  for (let i = 0; i < frames.length; i++) {
    want.push(reference.classify(frames[i]));
    const got = indexed.classify(frames[i]);
    if (got !== want[i] || indexed.decidedBy !== reference.decidedBy) {
      assert.fail(
        `${what}: packet ${i} is ${got ? "accepted" : "dropped"} by rule ${indexed.decidedBy}, ` +
          `rule by rule ${want[i] ? "accepted" : "dropped"} by rule ${reference.decidedBy}`,
      );
    }
  }
  const counters = reference.counters();
  assert.deepEqual(indexed.counters(), counters, `${what}: counters differ`);
  const wasm = indexed as Partial<_WasmClassifier>;
  if (options.strategy !== "wasm") return;
  // Asked for Wasm: the module was built (not the default as a fallback).
  assert.equal((indexed as { wasmFallback?: string }).wasmFallback, undefined, what);
  if (wasm._batch === undefined) assert.fail(`${what}: the Wasm classifier has no batch path`);
  // The batch path, with fresh counters.
  indexed.resetCounters();
  const { block, frames: inBlock } = _inOneBlock(frames);
  const verdicts = new Uint8Array(frames.length);
  wasm._batch.begin(block, verdicts);
  for (let i = 0; i < inBlock.length; i++) wasm._batch.add(inBlock[i], i);
  wasm._batch.finish();
  for (let i = 0; i < frames.length; i++) {
    if ((verdicts[i] !== 0) !== want[i]) {
      assert.fail(`${what}: packet ${i} in a batch: ${verdicts[i]}, rule by rule ${want[i]}`);
    }
  }
  assert.deepEqual(indexed.counters(), counters, `${what}: counters differ (batch)`);
  // The module staging the frames itself, from a decoder's record arrays, with fresh counters.
  indexed.resetCounters();
  const { batch, records, interfaceFrames } = _asRecords(block, inBlock);
  const recordVerdicts = new Uint8Array(batch.count);
  if (wasm._records === undefined) assert.fail(`${what}: the Wasm classifier has no records path`);
  const staged = wasm._records.run(
    batch,
    0,
    batch.count,
    recordVerdicts,
    interfaceFrames.length,
    (k) => interfaceFrames[k],
  );
  assert.ok(staged, `${what}: the module did not stage the records`);
  records.forEach((r, i) => {
    if ((recordVerdicts[r] !== 0) !== want[i]) {
      assert.fail(
        `${what}: packet ${i} staged in Wasm: ${recordVerdicts[r]}, rule by rule ${want[i]}`,
      );
    }
  });
  assert.deepEqual(indexed.counters(), counters, `${what}: counters differ (records)`);
}

/** Chains of `ruleSet` that the lowered limits cut into more than one segment. */
function _segmentedChains(ruleSet: RuleSet): number {
  const builder = new _RuleSetBuilder(ruleSet, { strategy: "closure" });
  while (!builder.step()) { /* all steps */ }
  return builder.indexEntries.filter((entries) => _segmentEnds(entries).length > 1).length;
}

/** Runs `seeds` with the first segment lowered; returns chains segmented and rules that matched. */
function _runSeeds(
  seeds: number[],
  framesOf: (seed: number) => FrameRef[],
  profile: TrafficProfile,
  strategyOf: (seed: number) => CompileRuleSetOptions["strategy"],
): { segmented: number; hits: number } {
  const saved = { ..._segmentLimits };
  let segmented = 0;
  let hits = 0;
  try {
    for (const seed of seeds) {
      _segmentLimits.first = 1 + seed % 6;
      const generated = generateRuleSet(seed, _options(seed, profile));
      const ruleSet = parseRuleSet(generated.text);
      const options: CompileRuleSetOptions = {
        strategy: strategyOf(seed),
        byteCount: seed % 3 === 2 ? "ip" : "frame",
      };
      const what = `seed ${seed}, first segment ${_segmentLimits.first}, ${
        JSON.stringify(options)
      }\n${generated.text}`;
      _agree(ruleSet, options, framesOf(seed), what);
      if (seed % 10 === 0) segmented += _segmentedChains(ruleSet);
      const reference = compileRuleSet(ruleSet, ruleByRule);
      for (const frame of framesOf(seed)) reference.classify(frame);
      for (const chain of Object.values(reference.counters().chains)) {
        for (const rule of chain.rules) hits += rule.packets > 0 ? 1 : 0;
      }
    }
  } finally {
    Object.assign(_segmentLimits, saved);
  }
  return { segmented, hits };
}

Deno.test("segmented indexes agree with rule-by-rule evaluation on generated sets, every walk (examples)", () => {
  const packets = examplePackets();
  const frames = framesWithInterfaces(packets);
  const seeds = Array.from({ length: 1500 }, (_, i) => 5000 + i);
  const { segmented, hits } = _runSeeds(
    seeds,
    () => frames,
    trafficProfile(packets),
    (seed) => _STRATEGIES[seed % 3],
  );
  assert.ok(segmented > seeds.length / 20, `only ${segmented} chains had several segments`);
  assert.ok(hits > seeds.length, `only ${hits} rules matched anything`);
});

Deno.test("segmented indexes agree with rule-by-rule evaluation in the Wasm classifier (examples)", () => {
  const packets = examplePackets();
  const frames = framesWithInterfaces(packets);
  const seeds = Array.from({ length: 500 }, (_, i) => 9000 + i);
  const { segmented, hits } = _runSeeds(seeds, () => frames, trafficProfile(packets), () => "wasm");
  assert.ok(segmented > seeds.length / 20, `only ${segmented} chains had several segments`);
  assert.ok(hits > seeds.length, `only ${hits} rules matched anything`);
});

Deno.test({
  name: "segmented indexes agree with rule-by-rule evaluation on generated sets (corpus captures)",
  ignore: corpusSkip !== undefined,
  fn() {
    const packets = [...corpusPackets(), ...examplePackets()];
    const frames = framesWithInterfaces(packets);
    const slices = Array.from({ length: 8 }, (_, s) => frames.filter((_, i) => i % 8 === s));
    const seeds = Array.from({ length: 400 }, (_, i) => 20000 + i);
    const { hits } = _runSeeds(
      seeds,
      (seed) => slices[seed % 8],
      trafficProfile(packets),
      (seed) => _STRATEGIES[seed % 4],
    );
    assert.ok(hits > seeds.length, `only ${hits} rules matched anything`);
  },
});
