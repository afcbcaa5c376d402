import assert from "node:assert/strict";
import { _startSplit, _ThreadedRouter } from "./_threaded_router.ts";
import { _WorkerSplit } from "./_worker_split.ts";
import { _repeatMixed } from "./_test_capture.ts";
import { _OutputRuns } from "./_output_runs.ts";
import { compileRuleSet } from "../rules/compile_rule_set.ts";
import { parseRuleSet } from "../rules/parse_rule_set.ts";
import type { RuleSet } from "../rules/rule_set.ts";
import { _RecordRouter } from "../stream/_record_router.ts";

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

Deno.test("_startSplit() starts no worker for --threads 1 nor auto (measured slower), and one for --threads 2", () => {
  const many = _portRules(100);
  assert.equal(_startSplit(many, {}, "1"), undefined);
  assert.equal(_startSplit(many, {}, "auto"), undefined);
  const split = _startSplit(_portRules(3), {}, "2");
  try {
    assert.ok(split instanceof _WorkerSplit);
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
      assert.deepEqual(_route(router, capture, 4096), expected);
      assert.deepEqual(router.counters(), one.counters());
      assert.ok(router.offloaded > 0, "the worker classified records");
      assert.equal(router.reason, undefined);
    } finally {
      router.close();
    }
  }
});

Deno.test("filter --threads 2 goes on alone, with the reason, when the worker cannot compile", async () => {
  const capture = _repeatMixed(50);
  const ruleSet = _portRules(5);
  const one = compileRuleSet(ruleSet, {});
  const expected = _route(new _RecordRouter(one), capture, 1000);
  // The worker is given a chain that does not exist: its compile fails.
  const split = new _WorkerSplit(ruleSet, { chain: "MISSING" }, { waitForWorker: true });
  assert.equal(split.start(), true);
  const router = new _ThreadedRouter(compileRuleSet(ruleSet, {}), split, true);
  try {
    assert.deepEqual(_route(router, capture, 1000), expected);
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
