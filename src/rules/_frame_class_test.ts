/**
 * Frame classes against the guards they prune: on random frames and the
 * entries of random diverse rule sets, an entry whose guards all hold on a
 * frame (fields loaded as the classifier loads them) lists the frame's
 * class; and rules of the network base never list frames without an IP
 * header.
 */
import { _newFrameState } from "./_new_frame_state.ts";
import assert from "node:assert/strict";
import { _prng } from "../../tests/_fuzz.ts";
import { _randomFrame, _randomRuleSet } from "../../tests/_classifier_rule_sets.ts";
import { FrameContext } from "./frame_context.ts";
import { _C_IPV4, _C_IPV6, _C_NOT_IP, _C_OTHER_IP, _frameClass } from "./_frame_class.ts";
import { _fillWindow } from "./_frame_state.ts";
import { _loadField } from "./_fields.ts";
import { createFrameRef } from "./compile_rule_set.ts";
import { parseRuleSet } from "./parse_rule_set.ts";
import { _RuleSetBuilder } from "./_rule_set_builder.ts";

Deno.test("_entryClasses() lists the class of every frame on which the entry's guards hold", () => {
  const random = _prng(11);
  const contexts = new FrameContext();
  const state = _newFrameState(contexts);
  state.frame = createFrameRef({ linkType: 1 });
  state.frameClass = 0;
  const seen = new Set<number>();
  let holding = 0;
  for (let i = 0; i < 20; i++) {
    const ruleSet = parseRuleSet(_randomRuleSet(random, 60), { maxInstructions: 4096 });
    const builder = new _RuleSetBuilder(ruleSet, { maxInstructions: 4096 });
    while (!builder.step());
    const fields = builder.fields.fields;
    const rules = ruleSet.chains[0].rules;
    for (let p = 0; p < 100; p++) {
      const bytes = _randomFrame(random);
      state.frame.bytes = state.bytes = bytes;
      state.frame.capturedLength = state.frame.wireLength = bytes.length;
      contexts.load(state.frame);
      state.isIp = contexts.isIp;
      state.networkStart = contexts.descriptor.networkOffset;
      if (state.isIp) _fillWindow(state.networkWindow, bytes, state.network);
      _fillWindow(state.linkWindow, bytes, state.link);
      const frameClass = _frameClass(state, state.isIp);
      seen.add(frameClass);
      for (const entry of builder.indexEntries[0]) {
        const network = rules[entry.position].base === "network";
        if (network) assert.equal(entry.classes & _C_NOT_IP, 0);
        const holds = entry.guards.every((g) => {
          const value = _loadField(fields[g.field], state);
          const masked = (value & g.mask) >>> 0;
          return value >= 0 && masked >= g.lo && masked <= g.hi;
        });
        if (!holds || (network && !state.isIp)) continue;
        holding++;
        assert.notEqual(entry.classes & frameClass, 0, JSON.stringify(entry));
      }
    }
  }
  assert.ok(holding > 1000, `${holding}`);
  // The random frames reach every class the walk knows but "other IP".
  for (const c of [_C_NOT_IP, _C_IPV4, _C_IPV6]) assert.ok(seen.has(c), `class ${c}`);
  void _C_OTHER_IP;
});
