import assert from "node:assert/strict";
import { _fuzz, _iterations } from "../../tests/_fuzz.ts";
import { _randomFrame, _randomRuleSet } from "../../tests/_classifier_rule_sets.ts";
import { compileRuleSet, createFrameRef } from "./compile_rule_set.ts";
import { compileRuleSetAsync } from "./compile_rule_set_async.ts";
import { parseRuleSet } from "./parse_rule_set.ts";
import { RuleSetError } from "./rule_set_error.ts";
import type { RuleSet } from "./rule_set.ts";

Deno.test("compileRuleSetAsync() classifies and counts as compileRuleSet() does", async () => {
  await _fuzz("async vs sync", async (random, note) => {
    for (let i = 0; i < _iterations(20); i++) {
      const text = _randomRuleSet(random, 1 + random.int(80), random.int(3));
      note(text);
      const ruleSet = parseRuleSet(text, { maxInstructions: 4096 });
      const options = { maxInstructions: 4096 };
      const sync = compileRuleSet(ruleSet, options);
      const async = await compileRuleSetAsync(ruleSet, { ...options, sliceMilliseconds: 1 });
      const frame = createFrameRef({ linkType: 1 });
      for (let p = 0; p < 300; p++) {
        frame.bytes = _randomFrame(random);
        frame.capturedLength = frame.wireLength = frame.bytes.length;
        assert.equal(async.classify(frame), sync.classify(frame));
      }
      assert.deepEqual(async.counters(), sync.counters());
      assert.equal(async.chain, sync.chain);
    }
  });
});

function _ports(n: number): string {
  const lines = ["*filter", ":INPUT ACCEPT [0:0]"];
  for (let i = 0; i < n; i++) lines.push(`-A INPUT -m bpf --expr "tcp port ${1000 + i}" -j DROP`);
  return lines.join("\n") + "\nCOMMIT\n";
}

Deno.test("compileRuleSetAsync() yields to the event loop between slices", async () => {
  const ruleSet = parseRuleSet(_ports(2000), { maxInstructions: 4096 });
  let ticks = 0;
  let compiling = true;
  const tick = async () => {
    while (compiling) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      ticks++;
    }
  };
  const ticking = tick();
  const rules = await compileRuleSetAsync(ruleSet, { sliceMilliseconds: 1 });
  compiling = false;
  await ticking;
  // 2000 rules cannot all be compiled in one 1 ms slice: other tasks ran between slices.
  assert.ok(ticks >= 2, `${ticks} timer callbacks ran during the compile`);
  assert.equal(rules.counters().chains.INPUT.rules.length, 2000);
});

Deno.test("compileRuleSetAsync() stops when its signal aborts", async () => {
  const ruleSet = parseRuleSet(_ports(2000), { maxInstructions: 4096 });
  const controller = new AbortController();
  const reason = new Error("stop");
  const compiling = compileRuleSetAsync(ruleSet, {
    sliceMilliseconds: 1,
    signal: controller.signal,
  });
  controller.abort(reason);
  await assert.rejects(compiling, (error) => error === reason);
  await assert.rejects(
    compileRuleSetAsync(ruleSet, { signal: AbortSignal.abort(reason) }),
    (error) => error === reason,
  );
});

Deno.test("compileRuleSetAsync() rejects as compileRuleSet() throws, naming the rule", async () => {
  const model: RuleSet = {
    table: "filter",
    chains: [{
      name: "INPUT",
      policy: "ACCEPT",
      rules: [
        {
          base: "network",
          matches: [{ kind: "protocol", invert: false, protocol: 6 }],
          target: null,
        },
        // A program the checker refuses: no final return.
        {
          base: "network",
          matches: [{ kind: "bpf", invert: false, program: [{ code: 0x28, jt: 0, jf: 0, k: 12 }] }],
          target: "DROP",
        },
      ],
    }],
  };
  assert.throws(() => compileRuleSet(model), RuleSetError);
  let message = "";
  try {
    compileRuleSet(model);
  } catch (error) {
    message = (error as Error).message;
  }
  await assert.rejects(compileRuleSetAsync(model), (error) => {
    assert.ok(error instanceof RuleSetError);
    assert.equal(error.message, message);
    assert.equal(error.rule, 2);
    return true;
  });
});
