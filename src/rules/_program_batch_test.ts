import assert from "node:assert/strict";
import { compileRuleSet } from "./compile_rule_set.ts";
import { parseRuleSet } from "./parse_rule_set.ts";
import type { _ProgramBatch } from "./_program_batch.ts";
import { _random, _route, _split } from "../stream/_router_test_helpers.ts";
import { _repeatMixed } from "../cli/_test_capture.ts";

const SETS = [
  "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n",
  "*filter\n:INPUT DROP [7:700]\n:mine - [0:0]\n-A mine -p tcp -j ACCEPT\nCOMMIT\n",
];

/** The batch path of a compiled rule set, if it has one. */
function _batchOf(rules: object): _ProgramBatch | undefined {
  return (rules as { _programBatch?: _ProgramBatch })._programBatch;
}

Deno.test("a rule set whose entry chain has no rules routes blocks with its policy batch: the interpreter's bytes and counters", async () => {
  const input = _repeatMixed(10);
  const random = _random(11);
  const cuts = Array.from({ length: 40 }, () => Math.floor(random() * input.length)).sort((a, b) =>
    a - b
  );
  for (const text of SETS) {
    const ruleSet = parseRuleSet(text);
    // (The JavaScript classifier: a rule elsewhere would make the default the Wasm classifier.)
    const batched = compileRuleSet(ruleSet, { strategy: "closure" });
    const reference = compileRuleSet(ruleSet, { strategy: "interpret" });
    // The path: a policy batch, except for the interpreter (frame by frame) and IP byte counts.
    assert.equal(_batchOf(batched)?.policy, text.includes("INPUT ACCEPT"), text);
    assert.equal(_batchOf(reference), undefined, text);
    assert.equal(_batchOf(compileRuleSet(ruleSet, { byteCount: "ip" })), undefined, text);
    for (const chunks of [[input], _split(input, cuts)]) {
      const got = await _route(batched, chunks);
      const expected = await _route(reference, chunks);
      assert.deepEqual(got.accepted, expected.accepted, text);
      assert.deepEqual(got.dropped, expected.dropped, text);
      assert.deepEqual(got.stats, expected.stats, text);
      assert.ok(got.stats.input.packets > 100, text);
    }
    assert.deepEqual(batched.counters(), reference.counters(), text);
    assert.equal(batched.decidedBy, -1);
  }
});
