/**
 * The conformance corpus through compileRuleSet: for every case, a one-rule
 * rule set (`-A INPUT [--base link] -m bpf --bytecode "..." -j ACCEPT`,
 * policy DROP) must accept exactly the packets for which libpcap's program
 * returned non-zero.
 */
import assert from "node:assert/strict";
import { corpusSkipReason, loadCases, loadPackets, networkView } from "./_corpus.ts";
import {
  compileRuleSet,
  type CompileRuleSetOptions,
  createFrameRef,
} from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import { RuleSetError } from "../src/rules/rule_set_error.ts";
import { BpfValidationError } from "../src/bpf/errors.ts";

const skip = corpusSkipReason();

function runCorpus(strategy: CompileRuleSetOptions["strategy"]): void {
  if (skip) {
    console.log(skip);
    return;
  }
  const frame = createFrameRef();
  let compared = 0;
  let notEvaluated = 0;
  let refused = 0;
  let beyondCorpus = 0;
  for (const testCase of loadCases()) {
    const base = testCase.base === "link" ? "--base link " : "";
    const text = `*filter
:INPUT DROP [0:0]
-A INPUT ${base}-m bpf --bytecode "${testCase.bytecode}" -j ACCEPT
COMMIT
`;
    let ruleSet;
    try {
      ruleSet = parseRuleSet(text, { maxInstructions: 4096 });
    } catch (error) {
      // libpcap's `protochain` loops backwards; the kernel's checker (and so
      // xt_bpf) refuses such programs, and so do we.
      assert.ok(error instanceof RuleSetError, String(error));
      assert.ok(error.cause instanceof BpfValidationError, String(error));
      assert.equal(error.cause.code, "JUMP_OUT_OF_RANGE");
      assert.match(testCase.expr, /protochain/);
      refused++;
      continue;
    }
    const rules = compileRuleSet(ruleSet, { strategy, maxInstructions: 4096 });
    const packets = loadPackets(testCase.file);
    let extraMatches = 0;
    let classified = 0;
    assert.equal(packets.length, testCase.results.length, testCase.file);
    packets.forEach((packet, index) => {
      frame.bytes = packet.data;
      frame.capturedLength = packet.data.length;
      frame.wireLength = packet.wireLength;
      frame.linkType = packet.linkType;
      frame.interfaceIndex = packet.interfaceIndex;
      const expected = testCase.results[index];
      const where = `${testCase.file} "${testCase.expr}" ${testCase.base} packet ${index}`;
      if (expected === null) {
        if (testCase.base === "link" || packet.linkType !== testCase.linktype) return;
        // Not an IPv4/IPv6 packet for the corpus: the network-base rule must not see
        // it, so the policy drops it (unless we find IP behind stacked/802.1ad tags).
        assert.equal(networkView(packet), null);
        const verdict = rules.classify(frame);
        classified++;
        if (verdict) {
          assert.ok(packet.linkType === 1, where);
          extraMatches++;
          beyondCorpus++;
        }
        notEvaluated++;
        return;
      }
      assert.equal(rules.classify(frame), expected !== 0, where);
      classified++;
      compared++;
    });
    const counters = rules.counters();
    const matched = testCase.results.filter((r) => r !== null && r !== 0).length;
    assert.equal(counters.chains.INPUT.rules[0].packets, matched + extraMatches, testCase.expr);
    assert.equal(counters.chains.INPUT.policy!.packets, classified - matched - extraMatches);
  }
  assert.ok(compared > 10000, `compared ${compared} verdicts`);
  assert.ok(notEvaluated > 0);
  assert.ok(refused < 20, `${refused} cases refused`);
  console.log(
    `${compared} verdicts compared, ${refused} protochain cases refused, ` +
      `${beyondCorpus} matches on IP behind 802.1ad/QinQ tags the corpus does not evaluate`,
  );
}

Deno.test("compileRuleSet() gives libpcap's verdict on every corpus packet (closure)", () => {
  runCorpus("closure");
});

Deno.test("compileRuleSet() gives libpcap's verdict on every corpus packet (interpreter)", () => {
  runCorpus("interpret");
});

Deno.test("compileRuleSet() gives libpcap's verdict on every corpus packet (Wasm classifier)", () => {
  runCorpus("wasm");
});
