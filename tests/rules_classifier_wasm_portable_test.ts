/**
 * A Wasm classifier made again from another's portable form
 * (src/rules/_classifier_wasm_portable.ts: the compiled module and its
 * description, structured-cloned as `postMessage` clones it for the second
 * thread of `filter --threads 2`) against rule-by-rule evaluation: seeded
 * diverse generated sets, with the matches the module calls back for
 * (link-base `--expr` on link types other than EN10MB, programs that read
 * ancillary fields on both bases, many `-i`/`-o` patterns): every verdict
 * through `classify` and through the records path, and the counters of both
 * instances summed by the first (bytes counted per frame and per IP datagram).
 */
import assert from "node:assert/strict";
import { examplePackets, framesWithInterfaces, trafficProfile } from "./_rule_set_fixtures.ts";
import {
  compileRuleSet,
  type CompileRuleSetOptions,
  type FrameRef,
} from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import type { RuleSet, RuleSetCounters } from "../src/rules/rule_set.ts";
import { type _WasmClassifier, _wasmClassifierOf } from "../src/rules/_classifier_wasm.ts";
import { _rawCounterCount } from "../src/rules/_classifier_wasm_memory.ts";
import { _asRecords, _inOneBlock } from "./_wasm_block_fixtures.ts";
import { generateRuleSet } from "../bench/_rule_set_generator.ts";
import { _BASE_LINK, _BASE_NETWORK } from "../src/rules/_match_tests.ts";
import { _leafChecking } from "../src/rules/_classifier_wasm_leaf_checks.ts";

/**
 * Programs that read an ancillary field (`SKF_AD_PROTOCOL`) and a packet
 * byte (offset 9: the IPv4 protocol on the network base, a MAC address byte
 * on the link base), so that they run in JavaScript (the module calls back)
 * and their base matters.
 */
const _ANCILLARY_RULES = [
  `-A INPUT -m bpf --bytecode "6,32 0 0 4294963200,21 0 3 2048,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0" -j ACCEPT`,
  `-A INPUT -m bpf --bytecode "6,32 0 0 4294963200,21 0 3 2048,48 0 0 9,21 1 0 6,6 0 0 1,6 0 0 0" --base link -j DROP`,
];

/** The set of `seed` with the ancillary rules first (their place in the set varies with the seed). */
function _withAncillary(text: string, seed: number): RuleSet {
  const lines = text.split("\n");
  const first = lines.findIndex((line) => line.startsWith("-A INPUT"));
  const at = first < 0 ? lines.indexOf("COMMIT") : first + (seed % 3);
  lines.splice(at, 0, ...(seed % 2 === 0 ? _ANCILLARY_RULES : []));
  return parseRuleSet(lines.join("\n"));
}

/** The Wasm classifier of `ruleSet` (asserting that it is one). */
function _wasm(ruleSet: RuleSet, options: CompileRuleSetOptions = {}): _WasmClassifier {
  const compiled = compileRuleSet(ruleSet, { ...options, strategy: "wasm" }) as _WasmClassifier & {
    wasmFallback?: string;
  };
  assert.equal(compiled.wasmFallback, undefined);
  return compiled;
}

/** `counters` with every packet and byte count doubled. */
function _doubled(counters: RuleSetCounters): RuleSetCounters {
  const twice = (c: { packets: number; bytes: number }) => ({
    packets: 2 * c.packets,
    bytes: 2 * c.bytes,
  });
  const chains: RuleSetCounters["chains"] = {};
  for (const [name, chain] of Object.entries(counters.chains)) {
    chains[name] = {
      ...(chain.policy !== undefined ? { policy: twice(chain.policy) } : {}),
      rules: chain.rules.map(twice),
    };
  }
  return {
    chains,
    frames: twice(counters.frames),
    accepted: twice(counters.accepted),
    dropped: twice(counters.dropped),
  };
}

/**
 * Classifies `frames` with rule-by-rule evaluation, and with an instance
 * made from the portable form of the set's Wasm classifier: frame by frame
 * and through the records path (each frame twice); the first instance then
 * sums both instances' counters.
 */
function _agree(
  ruleSet: RuleSet,
  options: CompileRuleSetOptions,
  frames: FrameRef[],
  what: string,
): number {
  const reference = compileRuleSet(ruleSet, { ...options, evaluation: "rule-by-rule" });
  const want = frames.map((frame) => reference.classify(frame));
  const main = _wasm(ruleSet, options);
  const portable = structuredClone(main._portable());
  const made = _wasmClassifierOf(portable);
  assert.ok(!("reason" in made), `${what}: ${"reason" in made ? made.reason : ""}`);
  frames.forEach((frame, i) => {
    assert.equal(made.classify(frame), want[i], `${what}: packet ${i} (classify)`);
  });
  const { block, frames: inBlock } = _inOneBlock(frames);
  const { batch, records, interfaceFrames } = _asRecords(block, inBlock);
  const verdicts = new Uint8Array(batch.count);
  const staged = made._records.run(
    batch,
    0,
    batch.count,
    verdicts,
    interfaceFrames.length,
    (k) => interfaceFrames[k],
  );
  assert.ok(staged, `${what}: the module did not stage the records`);
  records.forEach((r, i) => {
    assert.equal(verdicts[r] !== 0, want[i], `${what}: packet ${i} (records)`);
  });
  const chains = ruleSet.chains;
  const rules = chains.reduce((n, c) => n + c.rules.length, 0);
  const theirs = new Float64Array(_rawCounterCount(rules, chains.length));
  made._rawCounters(theirs);
  // The main instance classified nothing: the sum is the made instance's counts.
  assert.deepEqual(
    main._countersWith(theirs),
    _doubled(reference.counters()),
    `${what}: counters`,
  );
  return portable.escapes.length;
}

Deno.test("a Wasm classifier made from another's portable form classifies and counts as rule-by-rule evaluation does", () => {
  const packets = examplePackets();
  const frames = framesWithInterfaces(packets);
  const profile = trafficProfile(packets);
  let escapes = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const generated = generateRuleSet(seed, {
      rules: 20 + (seed * 13) % 90,
      profile,
      userChains: seed % 4,
      negation: [0, 0.1, 0.3][seed % 3],
      interfaces: seed % 5 !== 0,
    });
    const options: CompileRuleSetOptions = { byteCount: seed % 3 === 2 ? "ip" : "frame" };
    escapes += _agree(_withAncillary(generated.text, seed), options, frames, `seed ${seed}`);
  }
  assert.ok(escapes > 40, `only ${escapes} matches called back into JavaScript`);
});

Deno.test("a Wasm classifier's portable form names each escaped match with its rule's base", () => {
  // Leaf checks off: a rule checked at its leaf (its ancillary field split on) escapes nothing.
  _leafChecking.on = false;
  let main: _WasmClassifier;
  try {
    main = _wasm(
      parseRuleSet(`*filter\n:INPUT ACCEPT [0:0]\n${_ANCILLARY_RULES.join("\n")}\nCOMMIT\n`),
    );
  } finally {
    _leafChecking.on = true;
  }
  const { escapes } = main._portable();
  assert.deepEqual(escapes.map((e) => e.base), [_BASE_NETWORK, _BASE_LINK]);
  assert.deepEqual(escapes.map((e) => e.match.kind), ["bpf", "bpf"]);
});

Deno.test("a Wasm classifier made from another's portable form runs the tests the first made on their first call", async () => {
  const { _lazyTestsHook } = await import("../src/rules/_classifier_wasm_lazy.ts");
  const packets = examplePackets();
  const frames = framesWithInterfaces(packets);
  const profile = trafficProfile(packets);
  for (const seed of [3, 8]) {
    // Chains past 256 rules call their tests through the table: those are made lazily.
    const generated = generateRuleSet(seed, { rules: 900, profile, userChains: 2 });
    const ruleSet = parseRuleSet(generated.text);
    const portable = _wasm(ruleSet)._portable();
    assert.ok(portable.lazySlots.length > 0, `seed ${seed}: no test was left to its first call`);
    const before = _lazyTestsHook.made;
    _agree(ruleSet, {}, frames, `seed ${seed} (900 rules)`);
    assert.ok(_lazyTestsHook.made > before, `seed ${seed}: the made instance made no test`);
  }
});

Deno.test("a Wasm classifier's portable form emits none of the tests left to their first call", async () => {
  const { _testFunctionsHook } = await import("../src/rules/_classifier_wasm_rule_tests.ts");
  const profile = trafficProfile(examplePackets());
  const generated = generateRuleSet(5, { rules: 900, profile, userChains: 2 });
  const main = _wasm(parseRuleSet(generated.text));
  const before = _testFunctionsHook.emitted;
  const portable = main._portable();
  // Most are never called (a worker emits each on its first call): none is emitted here.
  assert.ok(portable.lazySlots.length > 100, `only ${portable.lazySlots.length} lazy tests`);
  assert.equal(_testFunctionsHook.emitted, before);
});

Deno.test("a test made on its first call that would call back into JavaScript is refused, not run against a module made without it", async () => {
  const { _portableLazyTests } = await import("../src/rules/_classifier_wasm_portable.ts");
  const profile = trafficProfile(examplePackets());
  const portable = _wasm(parseRuleSet(generateRuleSet(3, { rules: 900, profile }).text))
    ._portable();
  assert.ok(portable.lazyRules.length > 0, "no test was left to its first call");
  // A program that reads an ancillary field runs in JavaScript (`jsMatch`): never made lazily.
  const ancillary = parseRuleSet(
    `*filter\n:INPUT ACCEPT [0:0]\n${_ANCILLARY_RULES[0]}\nCOMMIT\n`,
  ).chains[0].rules[0].matches;
  const pages = 1 + Math.ceil(portable.chainRules.reduce((n, c) => n + c, 0) / 1000);
  const sound = _portableLazyTests(portable, pages);
  assert.ok(sound.module([0], 1 << 20).length > 0);
  const forged = { ...portable, lazyRules: [{ ...portable.lazyRules[0], matches: ancillary }] };
  assert.throws(
    () => _portableLazyTests(forged, pages).module([0], 1 << 20),
    /reads more than its module/,
  );
});
