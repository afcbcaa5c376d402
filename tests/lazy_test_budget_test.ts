/**
 * The budget for making rule tests on their first call
 * (src/rules/_test_making_budget.ts): over it, program matches answer
 * through the reference interpreter and are made on a later call. The budget's
 * clock is replaced (no test asserts a time): either spent from the start,
 * or a clock that ticks once a read, so that windows with and without budget
 * alternate and made and interpreted tests mix. Verdicts and every counter
 * must equal rule-by-rule evaluation run with an unlimited budget (its tests
 * compiled, or run by the interpreter strategy), on generated diverse sets
 * over the corpus and example captures, and on random sets over the corpus.
 */
import assert from "node:assert/strict";
import { corpusSkipReason, loadFileTable, loadPackets } from "./_corpus.ts";
import {
  corpusPackets,
  examplePackets,
  framesWithInterfaces,
  trafficProfile,
} from "./_rule_set_fixtures.ts";
import { _randomRuleSet } from "./_classifier_rule_sets.ts";
import { _prng } from "./_fuzz.ts";
import {
  type CompiledRuleSet,
  compileRuleSet,
  type CompileRuleSetOptions,
  createFrameRef,
  type FrameRef,
} from "../src/rules/compile_rule_set.ts";
import { compileRuleSetAsync } from "../src/rules/compile_rule_set_async.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import { generateRuleSet } from "../bench/_rule_set_generator.ts";
import { _resetTestMakingBudget, _testMakingBudget } from "../src/rules/_test_making_budget.ts";
import { _ipv4Frame } from "../src/server/_test_helpers.ts";

const corpusSkip = corpusSkipReason();

/** How the budget runs while the set under test classifies. */
type _Mode = { kind: "spent" } | { kind: "ticking"; windowMs: number; budgetMs: number };

function _modeOf(seed: number): _Mode {
  return seed % 3 === 0
    ? { kind: "spent" }
    : { kind: "ticking", windowMs: 3 + (seed % 11), budgetMs: 1 + (seed % 3) };
}

/** A clock that advances one millisecond each time it is read. */
function _tickingClock(): () => number {
  let now = 0;
  return () => now++;
}

/** Runs `f` with the budget of `mode` (one clock across calls, so windows pass), then restores it. */
function _withBudget<T>(mode: _Mode, clock: () => number, f: () => T): T {
  const b = _testMakingBudget;
  const saved = { clock: b.clock, windowMs: b.windowMs, budgetMs: b.budgetMs };
  b.clock = clock;
  if (mode.kind === "spent") {
    b.windowMs = Number.POSITIVE_INFINITY;
    b.budgetMs = 0;
  } else {
    b.windowMs = mode.windowMs;
    b.budgetMs = mode.budgetMs;
  }
  b.windowStart = Number.NEGATIVE_INFINITY;
  try {
    return f();
  } finally {
    b.clock = saved.clock;
    b.windowMs = saved.windowMs;
    b.budgetMs = saved.budgetMs;
    b.windowStart = Number.NEGATIVE_INFINITY;
  }
}

/** Runs `f` with an unlimited budget (the reference makes every test on its first call). */
function _unlimited<T>(f: () => T): T {
  const b = _testMakingBudget;
  const saved = b.budgetMs;
  b.budgetMs = Number.POSITIVE_INFINITY;
  try {
    return f();
  } finally {
    b.budgetMs = saved;
  }
}

/**
 * Classifies `frames` with the reference (unlimited budget) and with each set
 * under test (the budget of `mode`); every verdict and counter must agree.
 */
function _compare(
  text: string,
  frames: readonly FrameRef[],
  reference: CompiledRuleSet,
  underTest: CompiledRuleSet[],
  mode: _Mode,
  what: string,
): void {
  const clock = _tickingClock();
  for (let i = 0; i < frames.length; i++) {
    const want = _unlimited(() => reference.classify(frames[i]));
    for (const [s, compiled] of underTest.entries()) {
      const got = _withBudget(mode, clock, () => compiled.classify(frames[i]));
      if (got !== want) {
        assert.fail(
          `${what} (${JSON.stringify(mode)}), set ${s}: packet ${i} is ${
            got ? "accepted" : "dropped"
          }, rule by rule ${want ? "accepted" : "dropped"}\n${text}`,
        );
      }
    }
  }
  const want = reference.counters();
  for (const [s, compiled] of underTest.entries()) {
    assert.deepEqual(compiled.counters(), want, `${what}, set ${s}: counters differ\n${text}`);
  }
}

Deno.test({
  name: "first-call tests over the making budget: generated sets agree with rule-by-rule",
  ignore: corpusSkip !== undefined,
  fn() {
    _resetTestMakingBudget();
    const packets = [...corpusPackets(), ...examplePackets()];
    const all = framesWithInterfaces(packets);
    const frames = all.filter((_, i) => i % 3 === 0);
    const profile = trafficProfile(packets);
    let interpreted = 0;
    for (let seed = 1; seed <= 240; seed++) {
      const large = seed % 20 === 0;
      const rules = large ? 60 + (seed % 61) : 1 + (seed % 17);
      const generated = generateRuleSet(seed, {
        rules,
        profile,
        userChains: seed % 5 === 0 ? 0 : Math.min(rules - 1, (seed >>> 3) % 4),
        negation: [0, 0.1, 0.3][(seed >>> 1) % 3],
        interfaces: seed % 7 !== 0,
      });
      const ruleSet = parseRuleSet(generated.text);
      const byteCount = seed % 3 === 2 ? "ip" : "frame";
      const reference = compileRuleSet(ruleSet, {
        evaluation: "rule-by-rule",
        byteCount,
        strategy: seed % 2 === 0 ? "interpret" : undefined,
      });
      const strategy = ([undefined, "closure", "source"] as const)[seed % 3];
      const options: CompileRuleSetOptions = { strategy, byteCount };
      const underTest = [
        compileRuleSet(ruleSet, options),
        compileRuleSet(ruleSet, { ...options, evaluation: "rule-by-rule" }),
      ];
      const before = _testMakingBudget.interpreted;
      _compare(generated.text, frames, reference, underTest, _modeOf(seed), `seed ${seed}`);
      interpreted += _testMakingBudget.interpreted - before;
    }
    // The interpreted path ran for real.
    assert.ok(interpreted > 1000, `only ${interpreted} calls were interpreted`);
  },
});

Deno.test({
  name: "first-call tests over the making budget: random sets agree with rule-by-rule (corpus)",
  ignore: corpusSkip !== undefined,
  fn() {
    _resetTestMakingBudget();
    const frames: FrameRef[] = [];
    for (const file of Object.keys(loadFileTable())) {
      for (const packet of loadPackets(file)) {
        frames.push(createFrameRef({
          bytes: packet.data,
          capturedLength: packet.data.length,
          wireLength: packet.wireLength,
          linkType: packet.linkType,
          interfaceIndex: packet.interfaceIndex,
          interfaceName: ["", "eth0", "eth1"][frames.length % 3],
        }));
      }
    }
    const random = _prng(11);
    for (let i = 0; i < 30; i++) {
      const text = _randomRuleSet(random, 1 + random.int(60), random.int(3));
      const ruleSet = parseRuleSet(text, { maxInstructions: 4096 });
      const options = { maxInstructions: 4096 };
      const reference = compileRuleSet(ruleSet, { ...options, evaluation: "rule-by-rule" });
      const underTest = [
        compileRuleSet(ruleSet, { ...options, strategy: random.pick(["closure", "source"]) }),
      ];
      _compare(text, frames, reference, underTest, _modeOf(i), `random set ${i}`);
    }
  },
});

/** `count` count-only rules that a TCP frame reaches all of (`!`: the index rules none out). */
function _negatedExprSet(count: number): string {
  const lines = ["*filter", ":INPUT ACCEPT [0:0]"];
  for (let i = 0; i < count; i++) {
    lines.push(`-A INPUT -m bpf ! --expr "tcp dst port ${i + 1}"`);
  }
  lines.push("COMMIT", "");
  return lines.join("\n");
}

for (const strategy of ["closure", "source"] as const) {
  Deno.test(`one frame reaching 1,000 untested rules makes at most the budget's tests per window (${strategy})`, async () => {
    _resetTestMakingBudget();
    const ruleSet = parseRuleSet(_negatedExprSet(1000));
    // As the server compiles: in slices.
    const compiled = await compileRuleSetAsync(ruleSet, { strategy });
    const reference = compileRuleSet(ruleSet, {
      evaluation: "rule-by-rule",
      strategy: "interpret",
    });
    const bytes = _ipv4Frame(6, 40, 1);
    const frame = createFrameRef({
      bytes,
      capturedLength: bytes.length,
      wireLength: bytes.length,
      linkType: 1,
    });
    const b = _testMakingBudget;
    let now = 0;
    // Each making spends one tick; 5 ticks per window of 1,000,000.
    b.clock = () => now++;
    b.windowMs = 1_000_000;
    b.budgetMs = 5;
    try {
      let made = 0, interpreted = 0, windows = 0, settled = false;
      for (; !settled && windows < 400; windows++) {
        const [madeBefore, interpretedBefore] = [b.made, b.interpreted];
        const verdict = compiled.classify(frame);
        // At most the budget's makings in this window (each spends a tick): 5.
        assert.ok(b.made - madeBefore <= 5, `window ${windows}: ${b.made - madeBefore} made`);
        made += b.made - madeBefore;
        interpreted += b.interpreted - interpretedBefore;
        // Settled: every test this frame needs is made (nothing interpreted, nothing new made).
        settled = b.made === madeBefore && b.interpreted === interpretedBefore;
        assert.equal(verdict, _unlimited(() => reference.classify(frame)));
        now += 1_000_000; // the next window
      }
      // At most one test per rule (the generated walk checks some `!` programs by their
      // guards: it makes fewer), all made within 1,000 / 5 windows; counters never drifted.
      assert.ok(settled && made <= 1000 && made > 500, `${made} made in ${windows} windows`);
      assert.ok(windows <= 202, `${windows} windows`);
      assert.ok(interpreted >= 495 * 100, `${interpreted} interpreted calls`);
      assert.deepEqual(compiled.counters(), reference.counters());
      // Once all are made, nothing is interpreted any more.
      const before = b.interpreted;
      assert.equal(compiled.classify(frame), _unlimited(() => reference.classify(frame)));
      assert.equal(b.interpreted, before);
      assert.deepEqual(compiled.counters(), reference.counters());
    } finally {
      _resetTestMakingBudget();
    }
  });
}
