/**
 * The Wasm classifier's rule tests, against rule-by-rule evaluation (the
 * reference interpreter): every verdict, deciding rule and counter.
 * - Program matches whose summary is one exact alternative (`--bytecode`,
 *   `-m u32`, network-base `--expr`, also negated) run as their guards
 *   instead of their program (src/rules/_classifier_wasm_guards.ts
 *   `_emitExactProgram`): hand-picked rules (u32 `@` fields, a second header
 *   length, lengths, negation, link base) and generated diverse sets; a wrong
 *   guard planted must make them disagree.
 * - Guards that the chain's walk proved on every path listing a candidate are
 *   left out (src/rules/_classifier_wasm_facts.ts); a wrong use planted must
 *   disagree.
 * - Tests and walks inlined in the candidate loops, or called, agree alike.
 */
import assert from "node:assert/strict";
import { corpusSkipReason } from "./_corpus.ts";
import {
  corpusPackets,
  examplePackets,
  framesWithInterfaces,
  trafficProfile,
} from "./_rule_set_fixtures.ts";
import { compileRuleSet, type FrameRef } from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import type { RuleSet } from "../src/rules/rule_set.ts";
import type { _Guard } from "../src/rules/_guards.ts";
import { _exactGuardsHook } from "../src/rules/_classifier_wasm_guards.ts";
import { _selectiveFirst } from "../src/rules/_guards.ts";
import { _inlineTests } from "../src/rules/_classifier_wasm_chains.ts";
import { _factsHook } from "../src/rules/_classifier_wasm_facts.ts";
import { _leafChecking } from "../src/rules/_classifier_wasm_leaf_checks.ts";
import { generateRuleSet, type TrafficProfile } from "../bench/_rule_set_generator.ts";

const corpusSkip = corpusSkipReason();

/**
 * The first difference between the Wasm classifier and rule-by-rule
 * evaluation over `frames` (verdict, deciding rule, then counters), or null.
 */
function _difference(ruleSet: RuleSet, frames: readonly FrameRef[]): string | null {
  const reference = compileRuleSet(ruleSet, { evaluation: "rule-by-rule" });
  const wasm = compileRuleSet(ruleSet, { strategy: "wasm" });
  assert.equal((wasm as { wasmFallback?: string }).wasmFallback, undefined, "fell back");
  for (let i = 0; i < frames.length; i++) {
    const want = reference.classify(frames[i]);
    const got = wasm.classify(frames[i]);
    if (got !== want || wasm.decidedBy !== reference.decidedBy) {
      return `packet ${i}: ${got} by rule ${wasm.decidedBy}, rule by rule ${want} by rule ${reference.decidedBy}`;
    }
  }
  try {
    assert.deepEqual(wasm.counters(), reference.counters());
  } catch {
    return "counters differ";
  }
  return null;
}

/** Rules whose program matches have exact one-alternative summaries, of every field form. */
const _EXACT_RULES = `*filter
:INPUT ACCEPT [0:0]
:WEB - [0:0]
-A INPUT -m u32 --u32 "0>>28=4&&6&0xFF=6&&0>>22&0x3C@0&0xFFFF=20:1023"
-A INPUT -m u32 ! --u32 "0>>28=4&&6&0xFF=17&&0>>22&0x3C@0&0xFFFF=50:60"
-A INPUT -m bpf --bytecode "12,48 0 0 0,84 0 0 240,21 0 8 64,48 0 0 9,21 0 6 6,40 0 0 6,69 4 0 8191,177 0 0 0,80 0 0 13,69 0 1 2,6 0 0 262144,6 0 0 0"
-A INPUT -m bpf ! --bytecode "7,48 0 0 0,84 0 0 240,21 0 3 64,48 0 0 8,21 0 1 64,6 0 0 262144,6 0 0 0"
-A INPUT --base link -m bpf --bytecode "9,40 0 0 12,21 2 0 33024,21 1 0 34984,21 0 4 37120,40 0 0 14,84 0 0 4095,21 0 1 103,6 0 0 262144,6 0 0 0" -j DROP
-A INPUT -m bpf --expr "tcp[((tcp[12] & 0xf0) >> 2):4] = 0x47455420" -j WEB
-A INPUT -m u32 --u32 "0>>28=4&&6&0xFF=6&&0>>22&0x3C@12>>26&0x3C@0=0x48545450" -j WEB
-A INPUT -m bpf --expr "ip[8] < 64" -m u32 --u32 "0>>28=4&&6&0xFF=17" -j DROP
-A INPUT -m u32 ! --u32 "0>>28=4&&6&0xFF=6&&0>>22&0x3C@0>>16=443" -j ACCEPT
-A WEB -m u32 --u32 "0>>28=4&&0>>22&0x3C@0&0xFFFF=80" -j RETURN
-A WEB -m bpf --expr "ip6 and tcp dst port 443" -j ACCEPT
-A WEB -j DROP
COMMIT
`;

/**
 * Runs `fn` with the walk's leaf checks off: an exact rule checked at its
 * leaf needs no test, and these tests are about the tests
 * (tests/rules_classifier_wasm_leaf_checks_test.ts tests the leaf checks).
 */
function _withoutLeafChecks(fn: () => void): () => void {
  return () => {
    _leafChecking.on = false;
    try {
      fn();
    } finally {
      _leafChecking.on = true;
    }
  };
}

Deno.test({
  name: "the Wasm classifier runs exact program matches as their guards, as rule by rule",
  ignore: corpusSkip !== undefined,
  fn: _withoutLeafChecks(() => {
    const frames = framesWithInterfaces([...examplePackets(), ...corpusPackets()]);
    const before = _exactGuardsHook.emitted;
    const difference = _difference(parseRuleSet(_EXACT_RULES), frames);
    assert.equal(difference, null);
    // Most of the twelve program matches above run as their guards (those of one exact
    // alternative; 11 with the summariser of session 8).
    assert.ok(_exactGuardsHook.emitted - before >= 9, `${_exactGuardsHook.emitted - before}`);
  }),
});

/** Small generated diverse sets (as the Wasm differential test's), over `profile`. */
function _generated(seed: number, profile: TrafficProfile, rules = 1 + (seed % 17)): RuleSet {
  return parseRuleSet(
    generateRuleSet(seed, {
      rules,
      profile,
      userChains: seed % 5 === 0 ? 0 : Math.min(rules - 1, (seed >>> 3) % 4),
      negation: [0, 0.1, 0.3][(seed >>> 1) % 3],
      interfaces: seed % 7 !== 0,
    }).text,
  );
}

/** Plants `plant` in the emitted guards; how many of `seeds` then disagree with rule by rule. */
function _plantedDifferences(
  plant: (guards: readonly _Guard[]) => readonly _Guard[],
  seeds: readonly number[],
  frames: readonly FrameRef[],
  profile: TrafficProfile,
): number {
  _exactGuardsHook.plant = plant;
  try {
    let found = 0;
    for (const seed of seeds) {
      if (_difference(_generated(seed, profile), frames) !== null) found++;
    }
    return found;
  } finally {
    _exactGuardsHook.plant = null;
  }
}

Deno.test({
  name: "a wrong guard planted in the Wasm classifier's exact program tests makes them disagree",
  ignore: corpusSkip !== undefined,
  fn: _withoutLeafChecks(() => {
    const packets = [...examplePackets(), ...corpusPackets()];
    const frames = framesWithInterfaces(packets);
    const profile = trafficProfile(packets);
    const seeds = Array.from({ length: 120 }, (_, i) => i + 1);
    // Unplanted, every set agrees.
    for (const seed of seeds) {
      assert.equal(_difference(_generated(seed, profile), frames), null, `seed ${seed}`);
    }
    // A guard left out (the test passes more frames), a range narrowed by one at its top, and
    // the last guard's mask widened: each is found.
    const dropLast = (guards: readonly _Guard[]) => guards.slice(0, -1);
    const narrow = (guards: readonly _Guard[]) =>
      guards.map((g) => g.hi > g.lo ? { ...g, hi: g.hi - 1 } : g);
    const widen = (guards: readonly _Guard[]) =>
      guards.map((g, i) => i === guards.length - 1 ? { ...g, mask: 0xffffffff } : g);
    for (
      const [name, plant] of [["drop", dropLast], ["narrow", narrow], ["widen", widen]] as const
    ) {
      const found = _plantedDifferences(plant, seeds, frames, profile);
      assert.ok(found > 0, `planted ${name}: no set disagreed`);
    }
  }),
});

Deno.test({
  name:
    "the Wasm classifier's tests leave out the guards their walk proved, and a wrong fact planted makes them disagree",
  ignore: corpusSkip !== undefined,
  fn() {
    const packets = [...examplePackets(), ...corpusPackets()];
    const frames = framesWithInterfaces(packets);
    const profile = trafficProfile(packets);
    const seeds = Array.from({ length: 120 }, (_, i) => i + 1);
    // The sets of the test above agree with guards left out (it ran them so): some were.
    const before = _factsHook.implied;
    for (const seed of seeds.slice(0, 30)) {
      assert.equal(_difference(_generated(seed, profile), frames), null, `seed ${seed}`);
    }
    assert.ok(_factsHook.implied - before > 0, "no guard was left out");
    // A wrong use of the facts (the facts themselves are checked against the walk in
    // src/rules/_classifier_wasm_facts_test.ts): a code with facts taken to need none of its
    // guards. (A fact on a field taken to imply any guard on that field is not found: a code is
    // listed only where its own guards on the fields split on hold.)
    const plants = [
      () => {
        _factsHook.implies = (_, facts) => facts.length > 0;
      },
    ];
    for (const [i, plant] of plants.entries()) {
      plant();
      try {
        let found = 0;
        for (const seed of seeds) {
          if (_difference(_generated(seed, profile, 30 + seed % 40), frames) !== null) found++;
        }
        assert.ok(found > 0, `planted ${i}: no set disagreed`);
      } finally {
        _factsHook.implies = null;
      }
    }
  },
});

Deno.test({
  name:
    "the Wasm classifier agrees with rule-by-rule evaluation with its tests and walks inlined in the candidate loops or called",
  ignore: corpusSkip !== undefined,
  fn() {
    const packets = [...examplePackets(), ...corpusPackets()];
    const frames = framesWithInterfaces(packets);
    const profile = trafficProfile(packets);
    const forms = [
      { inline: false, walk: false },
      { inline: true, walk: false },
      { inline: false, walk: true },
    ];
    try {
      for (const form of forms) {
        Object.assign(_inlineTests, form);
        for (let seed = 1; seed <= 60; seed++) {
          const rules = seed % 10 === 0 ? 40 + seed : 1 + (seed % 17);
          const difference = _difference(_generated(seed, profile, rules), frames);
          assert.equal(difference, null, `${JSON.stringify(form)} seed ${seed}`);
        }
      }
    } finally {
      Object.assign(_inlineTests, { inline: true, walk: true });
    }
  },
});

Deno.test("an exact program's guards are checked rarest first, each of them once", () => {
  // version nibble (1/16), a port equality (1/65536), the field loads (mask 0: all),
  // a port range (1/256 of the values), the fragment offset zero (1/8192)
  const guards: _Guard[] = [
    { field: 0, mask: 0xf0, lo: 0x40, hi: 0x40 },
    { field: 1, mask: 0xffff, lo: 80, hi: 80 },
    { field: 2, mask: 0, lo: 0, hi: 0 },
    { field: 3, mask: 0xffff, lo: 0, hi: 255 },
    { field: 4, mask: 0x1fff, lo: 0, hi: 0 },
  ];
  const ordered = _selectiveFirst(guards);
  assert.deepEqual(ordered.map((g) => g.field), [1, 4, 3, 0, 2]);
  // A permutation: the same guards, none dropped or repeated; the input untouched.
  assert.deepEqual(ordered.toSorted((a, b) => a.field - b.field), guards);
  assert.deepEqual(guards.map((g) => g.field), [0, 1, 2, 3, 4]);
  // Ties keep the summary's order.
  const tied = [guards[0], { ...guards[0], field: 9 }];
  assert.deepEqual(_selectiveFirst(tied).map((g) => g.field), [0, 9]);
});
