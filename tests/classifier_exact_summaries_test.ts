/**
 * Exact rule summaries against the reference: for random diverse rules
 * (tests/_classifier_rule_sets.ts), on every packet of the corpus captures,
 * an alternative the summariser calls exact that holds (fields loaded as the
 * classifier loads them) means the rule matches, as the rule-by-rule
 * evaluation with the reference interpreter says; and a rule that matches
 * has an alternative that holds. Run with FUZZ_SEED to replay a failure.
 */
import { _newFrameState } from "../src/rules/_new_frame_state.ts";
import assert from "node:assert/strict";
import { type CorpusPacket, corpusSkipReason, loadFileTable, loadPackets } from "./_corpus.ts";
import { _fuzz, _iterations } from "./_fuzz.ts";
import { _randomMatches } from "./_classifier_rule_sets.ts";
import { compileRuleSet, createFrameRef } from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import { FrameContext } from "../src/rules/frame_context.ts";
import { _fillWindow, type _Frame } from "../src/rules/_frame_state.ts";
import { type _Field, _loadField } from "../src/rules/_fields.ts";
import type { _Guard } from "../src/rules/_guards.ts";
import { _RuleSetBuilder } from "../src/rules/_rule_set_builder.ts";

const skip = corpusSkipReason();

let packets: CorpusPacket[] | undefined;
function _allPackets(): CorpusPacket[] {
  if (packets === undefined) {
    packets = [];
    for (const file of Object.keys(loadFileTable())) packets.push(...loadPackets(file));
  }
  return packets;
}

function _allHold(guards: readonly _Guard[], fields: readonly _Field[], state: _Frame): boolean {
  return guards.every((g) => {
    const value = _loadField(fields[g.field], state);
    if (value < 0) return false;
    const masked = (value & g.mask) >>> 0;
    return masked >= g.lo && masked <= g.hi;
  });
}

/** Checks one rule on every corpus packet; returns how often an exact alternative held. */
function _checkRule(matches: string, interfaceName: string, outInterfaceName: string): number {
  const text = `*filter\n:INPUT DROP [0:0]\n-A INPUT ${matches} -j ACCEPT\nCOMMIT\n`;
  const ruleSet = parseRuleSet(text, { maxInstructions: 4096 });
  const reference = compileRuleSet(ruleSet, {
    strategy: "interpret",
    evaluation: "rule-by-rule",
    maxInstructions: 4096,
  });
  const builder = new _RuleSetBuilder(ruleSet, { maxInstructions: 4096 });
  while (!builder.step());
  const entries = builder.indexEntries[0];
  const fields = builder.fields.fields;
  const network = ruleSet.chains[0].rules[0].base === "network";
  const contexts = new FrameContext();
  const frame = createFrameRef({ interfaceName, outInterfaceName });
  const state = _newFrameState(contexts);
  state.frame = frame;
  let exactly = 0;
  for (const packet of _allPackets()) {
    frame.bytes = packet.data;
    frame.capturedLength = packet.data.length;
    frame.wireLength = packet.wireLength;
    frame.linkType = packet.linkType;
    frame.interfaceIndex = packet.interfaceIndex;
    const matched = reference.classify(frame);
    state.bytes = packet.data;
    contexts.load(frame);
    state.isIp = contexts.isIp;
    state.networkStart = frame.start + contexts.descriptor.networkOffset;
    if (state.isIp) _fillWindow(state.networkWindow, state.bytes, state.network);
    _fillWindow(state.linkWindow, state.bytes, state.link);
    // A network-base rule never matches a frame without an IP header.
    const admitted = !network || state.isIp;
    const holding = entries.filter((e) => _allHold(e.guards, fields, state));
    if (admitted && holding.some((e) => e.exact)) {
      exactly++;
      if (!matched) assert.fail(`an exact alternative holds but the rule does not match\n${text}`);
    }
    if (matched && holding.length === 0) {
      assert.fail(`the rule matches but no alternative holds\n${text}`);
    }
  }
  return exactly;
}

Deno.test({
  name: "exact summaries: a holding exact alternative means the rule matches, on the corpus",
  ignore: skip !== undefined,
  async fn() {
    let exactly = 0;
    await _fuzz("exact summaries vs interpret", (random, note) => {
      for (let i = 0; i < _iterations(60); i++) {
        const matches = _randomMatches(random);
        note(matches);
        exactly += _checkRule(
          matches,
          random.pick(["", "eth0", "eth1"]),
          random.pick(["", "eth0", "lo"]),
        );
      }
    });
    // Exactness is claimed often enough for the check to mean something.
    assert.ok(exactly > 100, `${exactly}`);
  },
});
