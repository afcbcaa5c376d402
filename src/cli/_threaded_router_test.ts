import assert from "node:assert/strict";
import { _startSplit, _ThreadedRouter } from "./_threaded_router.ts";
import { _WorkerSplit } from "./_worker_split.ts";
import { _repeatMixed } from "./_test_capture.ts";
import { _OutputRuns } from "./_output_runs.ts";
import { compileRuleSet } from "../rules/compile_rule_set.ts";
import { parseRuleSet } from "../rules/parse_rule_set.ts";
import type { RuleSet } from "../rules/rule_set.ts";
import { _RecordRouter } from "../stream/_record_router.ts";
import type { _WasmClassifier } from "../rules/_classifier_wasm.ts";

/** A rule set of `n` rules (`tcp port 1000 + k`), policy DROP. */
function _portRules(n: number): RuleSet {
  const lines = ["*filter", ":INPUT DROP [0:0]"];
  for (let k = 0; k < n; k++) {
    lines.push(`-A INPUT -m bpf --expr "tcp port ${1000 + k} or udp" -j ACCEPT`);
  }
  lines.push("COMMIT", "");
  return parseRuleSet(lines.join("\n"));
}

/** Routes `capture` in blocks of `block` bytes through `router`; the accepted bytes. */
function _route(router: _RecordRouter, capture: Uint8Array, block: number): Uint8Array {
  const runs = new _OutputRuns();
  const out: number[] = [];
  const take = () => {
    for (const chunk of runs.take()) out.push(...chunk);
    runs.reset();
  };
  for (let at = 0; at < capture.length; at += block) {
    // A copy per block, compacted in place as the command line does.
    const chunk = capture.slice(at, Math.min(at + block, capture.length));
    runs.compactIn(chunk);
    assert.equal(router.push(chunk, runs), undefined);
    take();
  }
  assert.equal(router.finish(runs), undefined);
  take();
  return new Uint8Array(out);
}

/**
 * `actual` equals `expected`, byte for byte; on failure, their lengths and the
 * first difference (a diff of a whole output takes minutes to print).
 */
function _assertSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  const differs = actual.findIndex((byte, i) => byte !== expected[i]);
  assert.deepEqual([actual.length, differs], [expected.length, -1]);
}

Deno.test("_startSplit() starts no worker for --threads 1 nor auto (measured slower), and one for --threads 2", () => {
  const many = _portRules(100);
  assert.equal(_startSplit(many, {}, "1"), undefined);
  assert.equal(_startSplit(many, {}, "auto"), undefined);
  const few = _portRules(3);
  const split = _startSplit(few, {}, "2");
  try {
    assert.ok(split instanceof _WorkerSplit);
    // Ready once given the main thread's compiled set.
    assert.equal(split.waitReady(), false);
    split.attach(compileRuleSet(few, {}));
    assert.equal(split.waitReady(), true);
  } finally {
    split?.close();
  }
});

Deno.test("filter --threads 2 routes as one thread does, the Wasm classifier's records path and frame by frame", () => {
  const capture = _repeatMixed(400);
  const ruleSet = _portRules(60);
  // The Wasm classifier (the default here) classifies chunks of records in
  // one call; the closures classify frame by frame.
  for (const options of [{}, { strategy: "closure" as const }]) {
    const one = compileRuleSet(ruleSet, options);
    const expected = _route(new _RecordRouter(one), capture, 4096);
    const split = _startSplit(ruleSet, options, "2", { waitForWorker: true });
    const router = new _ThreadedRouter(compileRuleSet(ruleSet, options), split, true);
    try {
      _assertSameBytes(_route(router, capture, 4096), expected);
      assert.deepEqual(router.counters(), one.counters());
      assert.ok(router.offloaded > 0, "the worker classified records");
      assert.equal(router.reason, undefined);
      // The Wasm classifier is given to the worker; closures are compiled again there.
      assert.equal(split!.givenClassifier, options.strategy === undefined);
    } finally {
      router.close();
    }
  }
});

Deno.test("filter --threads 2 goes on alone, with the reason, when the worker cannot compile", async () => {
  const capture = _repeatMixed(50);
  const ruleSet = _portRules(5);
  // Closures: the worker compiles the set itself (no Wasm classifier to give).
  const one = compileRuleSet(ruleSet, { strategy: "closure" });
  const expected = _route(new _RecordRouter(one), capture, 1000);
  // The worker is given a chain that does not exist: its compile fails.
  const options = { chain: "MISSING", strategy: "closure" as const };
  const split = new _WorkerSplit(ruleSet, options, { waitForWorker: true });
  assert.equal(split.start(), true);
  const router = new _ThreadedRouter(compileRuleSet(ruleSet, { strategy: "closure" }), split, true);
  try {
    _assertSameBytes(_route(router, capture, 1000), expected);
    assert.deepEqual(router.counters(), one.counters());
    assert.equal(router.offloaded, 0);
    assert.match(router.reason ?? "", /the worker failed/);
    // The worker's message (its error) arrives once the event loop runs.
    for (let n = 0; n < 100 && !/MISSING/.test(router.reason ?? ""); n++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.match(router.reason ?? "", /the worker failed: .*chain "MISSING" does not exist/);
  } finally {
    router.close();
  }
});

/** One rule, `-p PROTOCOL -j ACCEPT`, policy DROP. */
function _acceptProtocol(protocol: string): RuleSet {
  return parseRuleSet(`*filter\n:INPUT DROP [0:0]\n-A INPUT -p ${protocol} -j ACCEPT\nCOMMIT\n`);
}

Deno.test("filter --threads 2: the worker classifies with the main thread's compiled module", () => {
  const capture = _repeatMixed(400);
  const udp = _acceptProtocol("udp");
  const expected = _route(new _RecordRouter(compileRuleSet(udp, {})), capture, 4096);
  // The main thread's classifier as posted to the worker, with the module of
  // a set of the same shape that accepts TCP instead: if the worker runs the
  // module it is given, its part of the output changes.
  const main = compileRuleSet(udp, { strategy: "wasm" }) as _WasmClassifier;
  const tcp = compileRuleSet(_acceptProtocol("tcp"), { strategy: "wasm" }) as _WasmClassifier;
  const portable = main._portable;
  (main as { _portable: typeof portable })._portable = () => ({
    ...portable(),
    module: tcp._portable().module,
  });
  const split = _startSplit(udp, { strategy: "wasm" }, "2", { waitForWorker: true });
  const router = new _ThreadedRouter(main, split, true);
  try {
    const routed = _route(router, capture, 4096);
    assert.ok(split!.givenClassifier);
    assert.ok(router.offloaded > 0, "the worker classified records");
    assert.notDeepEqual(routed, expected);
  } finally {
    router.close();
  }
});

Deno.test("filter --threads 2 goes on alone, with the reason, when the worker cannot instantiate the main thread's module", async () => {
  const capture = _repeatMixed(50);
  const ruleSet = _portRules(5);
  const one = compileRuleSet(ruleSet, {});
  const expected = _route(new _RecordRouter(one), capture, 1000);
  const main = compileRuleSet(ruleSet, {}) as _WasmClassifier;
  const portable = main._portable;
  // A module that imports a function the classifier does not give.
  const foreign = new WebAssembly.Module(
    new Uint8Array([
      0,
      97,
      115,
      109,
      1,
      0,
      0,
      0,
      1,
      4,
      1,
      96,
      0,
      0,
      2,
      9,
      1,
      1,
      120,
      3,
      110,
      111,
      112,
      0,
      0,
    ]),
  );
  (main as { _portable: typeof portable })._portable = () => ({ ...portable(), module: foreign });
  const split = _startSplit(ruleSet, {}, "2", { waitForWorker: true });
  const router = new _ThreadedRouter(main, split, true);
  try {
    _assertSameBytes(_route(router, capture, 1000), expected);
    assert.deepEqual(router.counters(), one.counters());
    assert.equal(router.offloaded, 0);
    for (let n = 0; n < 100 && !/Import #0/.test(router.reason ?? ""); n++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.match(
      router.reason ?? "",
      /the worker failed: .*main thread's classifier: .*not instantiated .*Import #0/,
    );
  } finally {
    router.close();
  }
});

Deno.test("filter --threads 2 stops with the worker's reason when the worker throws while classifying", async () => {
  const { generateRuleSet } = await import("../../bench/_rule_set_generator.ts");
  // Chains past 256 rules: their tests are made on their first call, in the worker from their rules.
  const ruleSet = parseRuleSet(generateRuleSet(3, { rules: 900 }).text);
  const main = compileRuleSet(ruleSet, { strategy: "wasm" }) as _WasmClassifier;
  const portable = main._portable;
  // Rules the worker cannot make a test of: its first lazy test throws.
  (main as { _portable: typeof portable })._portable = () => {
    const given = portable();
    assert.ok(given.lazyRules.length > 0, "no test is made on its first call");
    return { ...given, lazyRules: given.lazyRules.map((r) => ({ ...r, matches: null! })) };
  };
  const split = _startSplit(ruleSet, { strategy: "wasm" }, "2", { waitForWorker: true });
  const router = new _ThreadedRouter(main, split, true);
  try {
    assert.throws(() => _route(router, _repeatMixed(400), 4096), /the worker failed/);
    // Its reason arrives as a message (once this thread's event loop runs).
    for (let n = 0; n < 100 && !/TypeError/.test(router.reason ?? ""); n++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.match(router.reason ?? "", /the worker failed: .*was not compiled \(TypeError/);
    assert.throws(
      () => router.counters(),
      /Cannot classify on the second thread: the worker failed: .*was not compiled \(TypeError/,
    );
  } finally {
    router.close();
  }
});

Deno.test("filter --threads 2 routes and counts as one thread does with the tests the worker makes on their first call", async () => {
  const { generateRuleSet } = await import("../../bench/_rule_set_generator.ts");
  // The set and capture of the test above: the worker calls its lazy tests (there they threw).
  const ruleSet = parseRuleSet(generateRuleSet(3, { rules: 900 }).text);
  const capture = _repeatMixed(400);
  const one = compileRuleSet(ruleSet, { evaluation: "rule-by-rule" });
  const expected = _route(new _RecordRouter(one), capture, 4096);
  const split = _startSplit(ruleSet, {}, "2", { waitForWorker: true });
  const router = new _ThreadedRouter(compileRuleSet(ruleSet, {}), split, true);
  try {
    const routed = _route(router, capture, 4096);
    _assertSameBytes(routed, expected);
    assert.deepEqual(router.counters(), one.counters());
    assert.ok(split!.givenClassifier && router.offloaded > 0, "the worker classified records");
  } finally {
    router.close();
  }
});
