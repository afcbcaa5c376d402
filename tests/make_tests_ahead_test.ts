/**
 * Rule tests made before the first frame (src/rules/_make_tests_ahead.ts, as
 * the HTTP server does after each compile): every verdict and counter must
 * equal rule-by-rule evaluation with an unlimited making budget, on generated
 * diverse sets (both bases, `--u32`, `--bytecode`, `!`, user chains) over the
 * corpus and the example captures, with the making budget spent throughout;
 * and a frame that reaches every rule of a set made ahead makes no test and
 * interprets no program (no test asserts a time).
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
  type CompiledRuleSet,
  compileRuleSet,
  createFrameRef,
  type FrameRef,
} from "../src/rules/compile_rule_set.ts";
import { compileRuleSetAsync } from "../src/rules/compile_rule_set_async.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import { generateRuleSet } from "../bench/_rule_set_generator.ts";
import { _resetTestMakingBudget, _testMakingBudget } from "../src/rules/_test_making_budget.ts";
import {
  _compiledRules,
  _makeTestsAhead,
  _testMakingSteps,
} from "../src/rules/_make_tests_ahead.ts";
import { _ipv4Frame } from "../src/server/_test_helpers.ts";
import { compileFilter } from "../src/filter/compile_filter.ts";
import { filterOptionsForInterface } from "../src/filter/filter_options_for_interface.ts";
import { interpret } from "../src/bpf/interpret.ts";

const corpusSkip = corpusSkipReason();

/** Runs `f` with the making budget at `budgetMs` (0: spent), then restores it (not its counts). */
function _withBudget<T>(budgetMs: number, f: () => T): T {
  const b = _testMakingBudget;
  b.windowMs = Number.POSITIVE_INFINITY;
  b.budgetMs = budgetMs;
  b.windowStart = Number.NEGATIVE_INFINITY;
  try {
    return f();
  } finally {
    b.windowMs = 50;
    b.budgetMs = 8;
    b.windowStart = Number.NEGATIVE_INFINITY;
  }
}

/** Runs `f` with the making budget spent (every test not made ahead would be interpreted). */
function _spent<T>(f: () => T): T {
  return _withBudget(0, f);
}

/** Runs `f` with an unlimited making budget (the reference makes every test on first call). */
function _unlimited<T>(f: () => T): T {
  return _withBudget(Number.POSITIVE_INFINITY, f);
}

/** Every verdict of `frames` and every counter of `underTest` against `reference`. */
function _compare(
  text: string,
  frames: readonly FrameRef[],
  reference: CompiledRuleSet,
  underTest: CompiledRuleSet,
  what: string,
): void {
  for (let i = 0; i < frames.length; i++) {
    const want = _unlimited(() => reference.classify(frames[i]));
    const got = _spent(() => underTest.classify(frames[i]));
    assert.equal(got, want, `${what}: packet ${i}\n${text}`);
  }
  assert.deepEqual(underTest.counters(), reference.counters(), `${what}: counters\n${text}`);
}

Deno.test({
  name: "tests made ahead: generated sets agree with rule-by-rule with the making budget spent",
  ignore: corpusSkip !== undefined,
  async fn() {
    _resetTestMakingBudget();
    const packets = [...corpusPackets(), ...examplePackets()];
    const frames = framesWithInterfaces(packets).filter((_, i) => i % 4 === 0);
    const profile = trafficProfile(packets);
    let interpretedWithout = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const rules = seed % 10 === 0 ? 60 + seed : 1 + (seed % 17);
      const generated = generateRuleSet(seed + 500, {
        rules,
        profile,
        userChains: seed % 5 === 0 ? 0 : Math.min(rules - 1, (seed >>> 3) % 4),
        negation: [0, 0.1, 0.3][(seed >>> 1) % 3],
        interfaces: seed % 7 !== 0,
      });
      const ruleSet = parseRuleSet(generated.text);
      const reference = compileRuleSet(ruleSet, { evaluation: "rule-by-rule" });
      const strategy = ([undefined, "closure", "source"] as const)[seed % 3];
      const evaluation = seed % 4 === 0 ? "rule-by-rule" as const : undefined;
      const ahead = await compileRuleSetAsync(ruleSet, { strategy, evaluation });
      await _makeTestsAhead(ahead, { sliceMilliseconds: 1 });
      _compare(generated.text, frames, reference, ahead, `seed ${seed}`);
      // The same set not made ahead interprets (the budget is spent): the comparison is real.
      const lazy = await compileRuleSetAsync(ruleSet, { strategy, evaluation });
      const before = _testMakingBudget.interpreted;
      _spent(() => frames.forEach((frame) => lazy.classify(frame)));
      interpretedWithout += _testMakingBudget.interpreted - before;
    }
    assert.ok(interpretedWithout > 1000, `only ${interpretedWithout} calls interpreted`);
  },
});

/** `count` count-only rules that a TCP frame reaches all of (`!`: the index rules none out). */
function _negatedSet(count: number, base: "network" | "link"): string {
  const lines = ["*filter", ":INPUT ACCEPT [0:0]"];
  const option = base === "link" ? " --base link" : "";
  for (let i = 0; i < count; i++) {
    lines.push(`-A INPUT -m bpf${option} ! --expr "tcp dst port ${i + 1}"`);
  }
  lines.push("COMMIT", "");
  return lines.join("\n");
}

for (const base of ["network", "link"] as const) {
  for (const strategy of ["closure", "source"] as const) {
    Deno.test(`a frame reaching 1,000 rules made ahead makes and interprets nothing (${base}, ${strategy})`, async () => {
      _resetTestMakingBudget();
      const ruleSet = parseRuleSet(_negatedSet(1000, base));
      const compiled = await compileRuleSetAsync(ruleSet, { strategy });
      await _makeTestsAhead(compiled, { sliceMilliseconds: 2 });
      const reference = compileRuleSet(ruleSet, { evaluation: "rule-by-rule" });
      const bytes = _ipv4Frame(6, 40, 1);
      // On a little-endian Ethernet capture, as a router reads one.
      const captureInterface = { linkType: 1, snaplen: 65535, littleEndian: true };
      const frame = createFrameRef({
        bytes,
        capturedLength: bytes.length,
        wireLength: bytes.length,
        linkType: 1,
        captureInterface,
      });
      const b = _testMakingBudget;
      for (let i = 0; i < 3; i++) {
        const want = _unlimited(() => reference.classify(frame));
        const [madeBefore, interpretedBefore] = [b.made, b.interpreted];
        assert.equal(_spent(() => compiled.classify(frame)), want);
        assert.equal(b.made, madeBefore);
        assert.equal(b.interpreted, interpretedBefore);
      }
      // Not made ahead, the same frame interprets (the comparison is real; the generated walk
      // checks some `!` programs by their guards).
      const before = b.interpreted;
      const lazy = await compileRuleSetAsync(ruleSet, { strategy });
      _spent(() => lazy.classify(frame));
      assert.ok(b.interpreted - before >= 500, `${b.interpreted - before} interpreted`);
      assert.deepEqual(compiled.counters(), reference.counters());
      // Every rule counted each frame: all 1,000 tests ran (none matches port 80 but rule 80).
      assert.equal(compiled.counters().chains.INPUT.rules[0].packets, 3);
      assert.equal(compiled.counters().chains.INPUT.rules[79].packets, 0);
    });
  }
}

Deno.test("making ahead takes one step per rule, over every chain", async () => {
  const text = `*filter
:INPUT DROP [0:0]
:WEB - [0:0]
-A INPUT -p tcp -j WEB
-A INPUT -m u32 --u32 "6&0xFF=1" -j ACCEPT
-A WEB -m bpf --expr "tcp port 80" -j ACCEPT
-A WEB -m bpf --bytecode "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0" -j RETURN
-A WEB -m comment --comment "only counts"
COMMIT
`;
  const compiled = await compileRuleSetAsync(parseRuleSet(text));
  const chains = _compiledRules(compiled)!;
  assert.deepEqual(chains.map((rules) => rules.length), [2, 3]);
  const step = _testMakingSteps(chains);
  let steps = 0;
  while (step()) steps++;
  assert.equal(steps, 5);
  assert.equal(step(), false);
});

Deno.test("link-base programs are made once per link type, whatever the interfaces' snaplens and byte orders", async () => {
  const expressions = ["tcp dst port 80", "ip[8] = 64", "udp or icmp", "greater 70", "ip6 or udp"];
  const text = expressions.map((e) => `-A INPUT -m bpf --base link --expr "${e}"`).join("\n") +
    "\n";
  const compiled = await compileRuleSetAsync(parseRuleSet(text), { strategy: "closure" });
  const packets = [_ipv4Frame(6, 40, 1), _ipv4Frame(17, 10, 2), _ipv4Frame(1, 60, 3)];
  // 120 interfaces (as 120 streams would declare them): 2 link types x 2 byte orders, 30 snaplens.
  const interfaces = Array.from({ length: 120 }, (_, i) => ({
    linkType: i % 4 < 2 ? 1 : 101,
    littleEndian: i % 2 === 0,
    snaplen: i < 4 ? 0 : 60 + 97 * i,
  }));
  const want = expressions.map(() => 0);
  const b = _testMakingBudget;
  const made = b.made;
  _unlimited(() => {
    for (const captureInterface of interfaces) {
      for (const packet of packets) {
        const bytes = captureInterface.linkType === 1 ? packet : packet.subarray(14);
        compiled.classify(createFrameRef({
          bytes,
          capturedLength: bytes.length,
          wireLength: bytes.length,
          linkType: captureInterface.linkType,
          captureInterface,
        }));
        // The oracle: the expression compiled for this very interface (its snaplen too), interpreted.
        expressions.forEach((expression, e) => {
          const program = compileFilter(expression, filterOptionsForInterface(captureInterface));
          if (interpret(program, bytes) !== 0) want[e]++;
        });
      }
    }
  });
  assert.deepEqual(compiled.counters().chains.INPUT.rules.map((r) => r.packets), want);
  assert.ok(want.every((n) => n > 0) && want.some((n) => n < 360), `${want}`);
  // At most one program per rule and link type (byte order only matters to BSD loopback): 2,
  // not 120. (Fewer where an EN10MB frame's rule is matched by its exact index entry, whose
  // program then never runs; the raw-IP frames need every rule's own program.)
  const newly = b.made - made;
  assert.ok(newly >= expressions.length && newly <= expressions.length * 2, `${newly}`);
});
