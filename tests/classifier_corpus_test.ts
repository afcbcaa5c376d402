/**
 * The classifier (`evaluation: "indexed"`) against rule-by-rule evaluation
 * on random diverse rule sets (tests/_classifier_rule_sets.ts) over every
 * packet of the corpus captures: every verdict and every counter must be the
 * same. Run with FUZZ_SEED to replay a failure, FUZZ_ITERATIONS_SCALE for
 * more sets.
 */
import assert from "node:assert/strict";
import { type CorpusPacket, corpusSkipReason, loadFileTable, loadPackets } from "./_corpus.ts";
import { _fuzz, _iterations, type _Random } from "./_fuzz.ts";
import { _randomRuleSet } from "./_classifier_rule_sets.ts";
import {
  compileRuleSet,
  type CompileRuleSetOptions,
  createFrameRef,
} from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";

const skip = corpusSkipReason();

let packets: CorpusPacket[] | undefined;
function _allPackets(): CorpusPacket[] {
  if (packets === undefined) {
    packets = [];
    for (const file of Object.keys(loadFileTable())) packets.push(...loadPackets(file));
  }
  return packets;
}

function _compare(random: _Random, rules: number, chains: number, extra: CompileRuleSetOptions) {
  const text = _randomRuleSet(random, rules, chains);
  const ruleSet = parseRuleSet(text, { maxInstructions: 4096 });
  const options = { maxInstructions: 4096, byteCount: random.pick(["frame", "ip"] as const) };
  const reference = compileRuleSet(ruleSet, { ...options, evaluation: "rule-by-rule" });
  const indexed = compileRuleSet(ruleSet, { ...options, ...extra, evaluation: "indexed" });
  const frame = createFrameRef({
    interfaceName: random.pick(["", "eth0", "eth1", "wlan0"]),
    outInterfaceName: random.pick(["", "eth0", "lo"]),
  });
  const all = _allPackets();
  for (let i = 0; i < all.length; i++) {
    const packet = all[i];
    frame.bytes = packet.data;
    frame.capturedLength = packet.data.length;
    frame.wireLength = packet.wireLength;
    frame.linkType = packet.linkType;
    frame.interfaceIndex = packet.interfaceIndex;
    const want = reference.classify(frame);
    const got = indexed.classify(frame);
    if (got !== want) {
      assert.fail(
        `packet ${i} (link type ${packet.linkType}): indexed ${got}, rule by rule ${want}\n${text}`,
      );
    }
  }
  assert.deepEqual(indexed.counters(), reference.counters(), text);
}

Deno.test({
  name: "indexed classify equals rule-by-rule on random diverse rule sets over the corpus",
  ignore: skip !== undefined,
  async fn() {
    await _fuzz("classifier vs rule by rule", (random, note) => {
      for (let i = 0; i < _iterations(60); i++) {
        note(i);
        _compare(random, 1 + random.int(random.chance(0.2) ? 200 : 40), random.int(4), {});
      }
    });
  },
});

Deno.test({
  name: "indexed classify equals rule-by-rule with the interpreter and the source strategy",
  ignore: skip !== undefined,
  async fn() {
    await _fuzz("classifier strategies", (random, note) => {
      for (let i = 0; i < _iterations(10); i++) {
        note(i);
        _compare(random, 1 + random.int(40), random.int(3), {
          strategy: random.pick(["interpret", "source"] as const),
        });
      }
    });
  },
});
