/**
 * `-m bpf --expr "..."` rules against libpcap: for every corpus case, a
 * one-rule set with the case's *expression* (compiled by our filter-language
 * compiler: for the frame's link type on `--base link`, for raw IP on the
 * network base) must accept exactly the packets libpcap's bytecode accepted.
 */
import assert from "node:assert/strict";
import { corpusSkipReason, loadCases, loadPackets } from "./_corpus.ts";
import { compileRuleSet, createFrameRef } from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";

const skip = corpusSkipReason();
if (skip) console.warn(skip);

function _quote(expression: string): string {
  return `"${expression.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

Deno.test({
  name: "rules: -m bpf --expr accepts exactly what libpcap accepts, link and network base",
  ignore: skip !== undefined,
  fn() {
    const frame = createFrameRef();
    let compared = 0;
    let cases = 0;
    for (const testCase of loadCases()) {
      // Unrolled protochain is longer than a rule may be by default: allow it.
      const base = testCase.base === "link" ? "--base link " : "";
      const ruleSet = parseRuleSet(
        `*filter\n:INPUT DROP [0:0]\n-A INPUT ${base}-m bpf --expr ${
          _quote(testCase.expr)
        } -j ACCEPT\nCOMMIT\n`,
        { maxInstructions: 4096 },
      );
      const rules = compileRuleSet(ruleSet, { maxInstructions: 4096 });
      cases++;
      loadPackets(testCase.file).forEach((packet, i) => {
        const expected = testCase.results[i];
        if (expected === null) return;
        frame.bytes = packet.data;
        frame.capturedLength = packet.data.length;
        frame.wireLength = packet.wireLength;
        frame.linkType = packet.linkType;
        frame.interfaceIndex = packet.interfaceIndex;
        assert.equal(
          rules.classify(frame),
          expected !== 0,
          `${testCase.file} packet ${i}: ${testCase.base} --expr "${testCase.expr}"`,
        );
        compared++;
      });
    }
    assert.ok(cases > 400 && compared > 30_000, `only ${cases} cases, ${compared} packets`);
  },
});
