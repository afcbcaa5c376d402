/**
 * Rules that repeat a match list (src/rules/_rule_shape.ts): the compile
 * summarises them and the Wasm classifier emits their test once per shape;
 * in long chains, most tests are made on their first call
 * (src/rules/_classifier_wasm_lazy.ts). Sets whose rules repeat generated
 * match lists with other targets, in a chain past the loop with a case per
 * code and in short ones, against rule-by-rule evaluation (every verdict,
 * deciding rule and counter), with tests made lazily and not; a wrong shape
 * planted (negation left out) and a wrong lazily made test must make them
 * disagree.
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
import { _prepareMatch, type _Settings } from "../src/rules/_match_tests.ts";
import { _AncillaryDemand } from "../src/rules/_frame_state.ts";
import { _RuleShapes, _shapeHook } from "../src/rules/_rule_shape.ts";
import { _lazyTests } from "../src/rules/_classifier_wasm_module.ts";
import { _testFunctionsHook } from "../src/rules/_classifier_wasm_rule_tests.ts";
import { _lazyTestLimits, _lazyTestsHook } from "../src/rules/_classifier_wasm_lazy.ts";
import { generateRuleSet } from "../bench/_rule_set_generator.ts";

const corpusSkip = corpusSkipReason();

/** The first difference between the Wasm classifier and rule-by-rule evaluation, or null. */
function _difference(text: string, frames: readonly FrameRef[]): string | null {
  const ruleSet = parseRuleSet(text);
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

/** The match list of a generated rule line (`-A CHAIN matches [-j|-g TARGET]`). */
function _matchesOf(line: string): string {
  return line.replace(/^-A \S+/, "").replace(/ -[jg] \S+$/, "");
}

/** `matches` with its first program, protocol or address match negated (null: none can be). */
function _negated(matches: string): string | null {
  const found = / (-p|-s|-d|--u32|--bytecode|--expr) /.exec(matches);
  if (found === null || matches.slice(0, found.index).endsWith(" !")) return null;
  return `${matches.slice(0, found.index)} !${matches.slice(found.index)}`;
}

/**
 * A set whose INPUT chain (past 256 rules: its tests are called, no facts)
 * and two short user chains repeat the match lists of a generated set with
 * other targets; with `negate`, each also with its first match negated.
 */
function _repeatingSet(seed: number, negate: boolean): string {
  const packets = examplePackets();
  const lines = generateRuleSet(seed, {
    rules: 120,
    profile: trafficProfile(packets),
    userChains: 0,
    negation: 0.2,
    interfaces: true,
  }).text.split("\n").filter((l) => l.startsWith("-A "));
  const lists = lines.map(_matchesOf);
  if (negate) {
    for (const m of [...lists]) {
      const n = _negated(m);
      if (n !== null) lists.push(n);
    }
  }
  const targets = ["", " -j ACCEPT", " -j DROP", " -j SHORT", " -g SHORT"];
  const out = ["*filter", ":INPUT ACCEPT [0:0]", ":SHORT - [0:0]", ":OTHER - [0:0]"];
  for (let round = 0; round < 3; round++) {
    lists.forEach((m, i) => out.push(`-A INPUT${m}${round === 0 ? "" : targets[(i + round) % 5]}`));
  }
  lists.slice(0, 40).forEach((m, i) => {
    out.push(`-A SHORT${m}${i % 3 === 0 ? " -j OTHER" : ""}`);
    out.push(`-A OTHER${m}${i % 2 === 0 ? " -j RETURN" : ""}`);
    out.push(`-A OTHER${m}${i % 4 === 0 ? " -j DROP" : ""}`);
  });
  out.push("COMMIT", "");
  return out.join("\n");
}

Deno.test("_RuleShapes numbers equal match lists alike and tells different ones apart", () => {
  const settings: _Settings = {
    strategy: undefined,
    maxInstructions: 64,
    compiled: new Map(),
    programs: new Map(),
    networks: new Map(),
    ancillary: new _AncillaryDemand(),
    frameDescription: new _AncillaryDemand(),
  };
  const ruleSet = parseRuleSet(`*filter
:INPUT ACCEPT [0:0]
-A INPUT -p tcp -s 10.0.0.0/8 -m u32 --u32 "0>>28=4" -i eth0
-A INPUT -p tcp -s 10.0.0.0/8 -m u32 --u32 "0>>28=4" -i eth0 -j DROP
-A INPUT ! -p tcp -s 10.0.0.0/8 -m u32 --u32 "0>>28=4" -i eth0
-A INPUT -p tcp -d 10.0.0.0/8 -m u32 --u32 "0>>28=4" -i eth0
-A INPUT -p tcp -s 10.0.0.0/9 -m u32 --u32 "0>>28=4" -i eth0
-A INPUT -p tcp -s 10.0.0.0/8 -m u32 ! --u32 "0>>28=4" -i eth0
-A INPUT -p tcp -s 10.0.0.0/8 -m u32 --u32 "0>>28=6" -i eth0
-A INPUT -p tcp -s 10.0.0.0/8 -m u32 --u32 "0>>28=4" -o eth0
-A INPUT -p tcp -s 10.0.0.0/8 -m u32 --u32 "0>>28=4" -i eth1
-A INPUT -p tcp -s 10.0.0.0/8 -m comment --comment "a" -m u32 --u32 "0>>28=4" -i eth0
-A INPUT -p tcp -s 10.0.0.0/8 -m comment --comment "b" -m u32 --u32 "0>>28=4" -i eth0 -j ACCEPT
-A INPUT -p tcp -s 10.0.0.0/8 -m u32 --u32 "0>>28=4" -m comment --comment "a" -i eth0
-A INPUT -p udp -m bpf --expr "udp port 53"
-A INPUT -p udp -m bpf --expr "udp port 54"
-A INPUT -p udp -m bpf --bytecode "1,6 0 0 1"
-A INPUT -p udp -m bpf --bytecode "1,6 0 0 1" -j DROP
COMMIT
`);
  const shapes = new _RuleShapes();
  const numbers = ruleSet.chains[0].rules.map((rule, r) => {
    const prepared = rule.matches.map((m) => _prepareMatch(m, 0, settings, "INPUT", r + 1));
    return shapes.number(prepared, 0)?.[0];
  });
  assert.deepEqual(numbers, [0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 9, 10, 11, 12, 12]);
  // The same matches at another base are another shape.
  const first = ruleSet.chains[0].rules[0].matches.map((m) =>
    _prepareMatch(m, 1, settings, "INPUT", 1)
  );
  assert.deepEqual(shapes.number(first, 1), [13, true]);
  // A program match without a key (not named within the compile) has no shape.
  const [keyless] = ruleSet.chains[0].rules[14].matches.slice(1).map((m) =>
    _prepareMatch(m, 0, settings, "INPUT", 15)
  );
  assert.equal(shapes.number([{ ...keyless, key: undefined }], 0), undefined);
});

Deno.test({
  name:
    "rules that repeat match lists share their Wasm tests and agree with rule-by-rule evaluation",
  ignore: corpusSkip !== undefined,
  fn() {
    const frames = framesWithInterfaces([...examplePackets(), ...corpusPackets()]);
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const text = _repeatingSet(seed, seed % 2 === 0);
      const rules = text.split("\n").filter((l) => l.startsWith("-A ")).length;
      const before = _testFunctionsHook.emitted;
      assert.equal(_difference(text, frames), null, `seed ${seed}`);
      const emitted = _testFunctionsHook.emitted - before;
      // INPUT repeats each list three times: at most about a third of its tests are emitted.
      assert.ok(emitted < rules / 2, `seed ${seed}: ${emitted} tests for ${rules} rules`);
    }
  },
});

Deno.test({
  name: "a wrong rule shape planted (negation left out) makes the Wasm classifier disagree",
  ignore: corpusSkip !== undefined,
  fn() {
    const frames = framesWithInterfaces([...examplePackets(), ...corpusPackets()]);
    _shapeHook.plant = (item) => item & ~8;
    try {
      let found = 0;
      for (const seed of [2, 4, 6, 8]) {
        if (_difference(_repeatingSet(seed, true), frames) !== null) found++;
      }
      assert.ok(found > 0, "no set disagreed");
    } finally {
      _shapeHook.plant = null;
    }
  },
});

Deno.test({
  name:
    "tests made on their first call agree with rule-by-rule evaluation, made or not, and a wrong one planted disagrees",
  ignore: corpusSkip !== undefined,
  fn() {
    const frames = framesWithInterfaces([...examplePackets(), ...corpusPackets()]);
    const seeds = [11, 12, 13, 14];
    let lazy = 0;
    const made = _lazyTestsHook.made;
    for (const seed of seeds) {
      const text = _repeatingSet(seed, seed % 2 === 0);
      assert.equal(_difference(text, frames), null, `seed ${seed}`);
      lazy += _testFunctionsHook.lastLazy;
      _lazyTests.on = false;
      try {
        assert.equal(_difference(text, frames), null, `seed ${seed}, none lazy`);
        assert.equal(_testFunctionsHook.lastLazy, 0);
      } finally {
        _lazyTests.on = true;
      }
    }
    assert.ok(lazy > 0, "no test was left to its first call");
    assert.ok(_lazyTestsHook.made > made, "no lazy test was made");
    // A made test that passes every frame: some set disagrees.
    _lazyTestsHook.plant = () => () => 1;
    try {
      let found = 0;
      for (const seed of seeds) {
        if (_difference(_repeatingSet(seed, seed % 2 === 0), frames) !== null) found++;
      }
      assert.ok(found > 0, "no set disagreed");
    } finally {
      _lazyTestsHook.plant = null;
    }
  },
});

/**
 * A chain of `n` count-only rules, each a `--bytecode` program the index
 * cannot summarise (`ldb [0]; mul #3; and #k; jeq #j`): every frame runs
 * every rule's test.
 */
function _unsummarisedChain(n: number): string {
  const out = ["*filter", ":INPUT ACCEPT [0:0]"];
  for (let i = 0; i < n; i++) {
    out.push(
      `-A INPUT -m bpf --bytecode "6,48 0 0 0,36 0 0 3,84 0 0 ${i + 1},21 0 1 ${
        i % 7
      },6 0 0 1,6 0 0 0"`,
    );
  }
  out.push("-A INPUT -p udp -j DROP", "COMMIT", "");
  return out.join("\n");
}

Deno.test("tests made on their first call are made in few modules where the traffic reaches all of them", () => {
  const frames = framesWithInterfaces(examplePackets());
  const text = _unsummarisedChain(1000);
  const { singleTests, batchShift, batchBytes } = _lazyTestLimits;
  const made = () => [_lazyTestsHook.made, _lazyTestsHook.modules];
  let before = made();
  assert.equal(_difference(text, frames), null);
  assert.equal(_testFunctionsHook.lastLazy, 1000);
  assert.equal(_lazyTestsHook.made - before[0], 1000);
  // One module a test up to `singleTests`, then batches of an eighth of what is made.
  const most = singleTests +
    Math.ceil(Math.log(1000 / singleTests) / Math.log(1 + 2 ** -batchShift)) + 1;
  assert.ok(_lazyTestsHook.modules - before[1] <= most, `${_lazyTestsHook.modules} modules`);
  // Batches cut at their bytes bound (here: one test each), and fewer single ones.
  try {
    _lazyTestLimits.batchBytes = 1;
    _lazyTestLimits.singleTests = 3;
    before = made();
    assert.equal(_difference(text, frames), null);
    assert.deepEqual([_lazyTestsHook.made - before[0], _lazyTestsHook.modules - before[1]], [
      1000,
      1000,
    ]);
  } finally {
    _lazyTestLimits.batchBytes = batchBytes;
    _lazyTestLimits.singleTests = singleTests;
  }
});

Deno.test("a test made on its first call whose module is not compiled stops the classification with an error naming its rule", () => {
  const frames = framesWithInterfaces(examplePackets());
  const wasm = compileRuleSet(parseRuleSet(_unsummarisedChain(300)), { strategy: "wasm" });
  assert.equal((wasm as { wasmFallback?: string }).wasmFallback, undefined, "fell back");
  _lazyTestsHook.refuse = true;
  try {
    assert.throws(
      () => wasm.classify(frames[0]),
      /^Error: Cannot classify: the Wasm test of chain "INPUT" rule 1, made on its first call, was not compiled \(CompileError: refused by a test\)$/,
    );
  } finally {
    _lazyTestsHook.refuse = false;
  }
  // Made once allowed, with the verdicts and counters of rule-by-rule evaluation.
  const reference = compileRuleSet(parseRuleSet(_unsummarisedChain(300)), {
    evaluation: "rule-by-rule",
  });
  for (const frame of frames) assert.equal(wasm.classify(frame), reference.classify(frame));
});

Deno.test("a rule of `! -p all` (a rule set object: the parser refuses the text) is not of `-p all`'s shape", () => {
  const frames = framesWithInterfaces(examplePackets());
  const ruleSet = parseRuleSet(`*filter
:INPUT ACCEPT [0:0]
-A INPUT -p all
-A INPUT -p all -j DROP
-A INPUT ! -p tcp -j DROP
COMMIT
`);
  // `! -p all` never matches (iptables refuses it: "rule would never match protocol").
  ruleSet.chains[0].rules[1].matches[0] = { kind: "protocol", invert: true, protocol: 0 };
  for (const options of [{}, { strategy: "wasm" as const }]) {
    const reference = compileRuleSet(ruleSet, { evaluation: "rule-by-rule" });
    const compiled = compileRuleSet(ruleSet, options);
    for (let i = 0; i < frames.length; i++) {
      const want = reference.classify(frames[i]);
      assert.equal(compiled.classify(frames[i]), want, `${JSON.stringify(options)} packet ${i}`);
      assert.equal(
        compiled.decidedBy,
        reference.decidedBy,
        `${JSON.stringify(options)} packet ${i}`,
      );
    }
    assert.deepEqual(compiled.counters(), reference.counters(), JSON.stringify(options));
    assert.ok(reference.counters().chains.INPUT.rules[2].packets > 0, "no frame reached rule 3");
  }
});
