import assert from "node:assert/strict";
import { _codeFacts, _impliedBy } from "./_classifier_wasm_facts.ts";
import type { _Guard } from "./_guards.ts";
import { corpusSkipReason } from "../../tests/_corpus.ts";
import {
  corpusPackets,
  examplePackets,
  framesWithInterfaces,
  trafficProfile,
} from "../../tests/_rule_set_fixtures.ts";
import { generateRuleSet } from "../../bench/_rule_set_generator.ts";
import { parseRuleSet } from "./parse_rule_set.ts";
import { _RuleSetBuilder } from "./_rule_set_builder.ts";
import { _collectCandidates, type _Collected, _EMPTY, _END, _maxLists } from "./_rule_index.ts";
import { FrameContext } from "./frame_context.ts";
import { _newFrameState } from "./_new_frame_state.ts";
import { _fillWindow } from "./_frame_state.ts";
import { _frameClass } from "./_frame_class.ts";
import { _loadField } from "./_fields.ts";

const fact = (lo: number, hi: number, mask = 0xff, field = 3): _Guard => ({ field, mask, lo, hi });

Deno.test("_impliedBy() proves a guard inside a fact on the same field and mask", () => {
  assert.equal(_impliedBy(fact(6, 6), [fact(6, 6)]), true);
  assert.equal(_impliedBy(fact(0, 10), [fact(3, 7)]), true);
  assert.equal(_impliedBy(fact(4, 10), [fact(3, 7)]), false);
  // Another field, or a mask with bits the fact does not know.
  assert.equal(_impliedBy(fact(6, 6, 0xff, 4), [fact(6, 6)]), false);
  assert.equal(_impliedBy(fact(6, 6, 0xffff), [fact(6, 6)]), false);
});

Deno.test("_impliedBy() proves a guard on fewer bits over every value of the fact's range", () => {
  // The version byte's range 0x40-0x4f implies the nibble guard `& 0xf0 = 0x40`, 0x40-0x50 does not.
  assert.equal(_impliedBy(fact(0x40, 0x40, 0xf0), [fact(0x40, 0x4f)]), true);
  assert.equal(_impliedBy(fact(0x40, 0x40, 0xf0), [fact(0x40, 0x50)]), false);
  // A guard on no bits (the field loads) holds wherever the field has a value.
  assert.equal(_impliedBy(fact(0, 0, 0), [fact(9, 9)]), true);
  assert.equal(_impliedBy(fact(1, 1, 0), [fact(9, 9)]), false);
  // Past the enumeration bound, only the same mask proves anything.
  assert.equal(_impliedBy(fact(0, 0xff, 0xff, 3), [fact(0, 0xfffff, 0xfffff)]), false);
});

const skip = corpusSkipReason();

Deno.test({
  name: "_codeFacts(): every fact of a candidate code holds on every frame whose walk lists it",
  ignore: skip !== undefined,
  fn() {
    const packets = [...examplePackets(), ...corpusPackets()];
    const frames = framesWithInterfaces(packets);
    const profile = trafficProfile(packets);
    let checked = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const text = generateRuleSet(seed, {
        rules: 10 + seed * 3,
        profile,
        userChains: seed % 4,
        negation: seed % 3 === 0 ? 0.2 : 0,
        interfaces: true,
      }).text;
      const ruleSet = parseRuleSet(text);
      const builder = new _RuleSetBuilder(ruleSet, { strategy: "wasm" });
      while (!builder.step());
      const fields = builder.fields.fields;
      const roots = builder.indexRoots;
      const facts = roots.map((root, c) => _codeFacts(root, builder.chainRules[c].length));
      const contexts = new FrameContext();
      const state = _newFrameState(contexts);
      for (const frame of frames) {
        state.frame = frame;
        state.bytes = frame.bytes;
        contexts.load(frame);
        state.isIp = contexts.isIp;
        state.networkStart = frame.start + contexts.descriptor.networkOffset;
        if (state.isIp) _fillWindow(state.networkWindow, state.bytes, state.network);
        _fillWindow(state.linkWindow, state.bytes, state.link);
        state.frameClass = _frameClass(state, true);
        roots.forEach((root, c) => {
          const into: _Collected = {
            lists: new Array(Math.max(1, _maxLists(root))).fill(_EMPTY),
            count: 0,
            bound: _END,
          };
          _collectCandidates(root, state, into);
          for (let l = 0; l < into.count; l++) {
            for (const code of into.lists[l]) {
              // Matched codes (even) run no test: they get no facts.
              if ((code & 1) === 0) continue;
              const known = facts[c][code];
              assert.ok(known !== null, `seed ${seed}: code ${code} listed but has no facts`);
              for (const f of known) {
                const value = _loadField(fields[f.field], state);
                const masked = (value & f.mask) >>> 0;
                if (value < 0 || masked < f.lo || masked > f.hi) {
                  assert.fail(
                    `seed ${seed} chain ${c} code ${code}: fact ${JSON.stringify(f)} fails ` +
                      `(value ${value})\n${text}`,
                  );
                }
                checked++;
              }
            }
          }
        });
      }
    }
    assert.ok(checked > 10_000, `only ${checked} facts checked`);
  },
});
