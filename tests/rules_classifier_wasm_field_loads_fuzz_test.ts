/**
 * The Wasm classifier's field loads of session 16 (staged X, guards on no
 * bits, address words by class) against rule-by-rule evaluation on random
 * sets over mutated frames (see tests/_field_loads_fuzz.ts): IPv4 headers
 * with every IHL, version nibbles disagreeing with the link header (VLAN,
 * cooked, raw IP too), Ethernet types swapped, frames cut at and inside
 * the network header; single frames and the batch path, and the module's
 * stage against JavaScript's. Seeded and bounded; bench/fuzz_field_loads.ts
 * runs the same for long.
 */
import assert from "node:assert/strict";
import {
  _checkFieldLoads,
  _fieldLoadCounts,
  _fieldLoadFrames,
  _fieldLoadSet,
} from "./_field_loads_fuzz.ts";
import { _classKnown, _stagedX } from "../src/rules/_classifier_wasm_field_loads.ts";
import { _guardLoads } from "../src/rules/_classifier_wasm_guards.ts";

Deno.test("the Wasm classifier's field loads agree with rule-by-rule evaluation on mutated frames", () => {
  const frames = _fieldLoadFrames(4);
  const before = [_stagedX.made, _guardLoads.made, _classKnown.made];
  const records = _fieldLoadCounts.recordsCompared;
  for (const seed of [2, 3, 4, 7]) {
    assert.equal(
      _checkFieldLoads(_fieldLoadSet(seed), frames, seed % 2 === 0),
      null,
      `set ${seed}`,
    );
  }
  // Each of the three forms was emitted, and records were compared.
  assert.ok(_stagedX.made > before[0], "no load at X + offset read the staged X");
  assert.ok(_guardLoads.made > before[1], "no guard on no bits");
  assert.ok(_classKnown.made > before[2], "no address check skipped by class");
  assert.ok(_fieldLoadCounts.recordsCompared > records + 1000, "too few records compared");
});
