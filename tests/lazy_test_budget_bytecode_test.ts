/**
 * The test-making budget (src/rules/_test_making_budget.ts) with `--bytecode`
 * programs that read ancillary fields (`SKF_AD_PROTOCOL`, `_MARK`, `_QUEUE`,
 * `_IFINDEX`, `_VLAN_TAG`, ...), the packet length or packet bytes, some
 * inverted, beside other matches in the same rule (`-m bpf ... -m u32 ...
 * -s ...`), at both bases, in sets with user chains and both byte counts:
 * with the budget spent from the start or windows that alternate, every
 * verdict and counter equals rule-by-rule evaluation by the reference
 * interpreter with an unlimited budget. (The ancillary fields are filled only
 * once a program that reads them is made or interpreted: the demand must be
 * told before its first interpreted run.)
 */
import assert from "node:assert/strict";
import {
  compileRuleSet,
  type CompileRuleSetOptions,
  createFrameRef,
  type FrameRef,
} from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import { _resetTestMakingBudget, _testMakingBudget } from "../src/rules/_test_making_budget.ts";
import { _randomFrame, _randomMatches } from "./_classifier_rule_sets.ts";
import { _prng, type _Random } from "./_fuzz.ts";

/** `SKF_AD_OFF` (-4096 as a uint32). */
const SKF_AD_OFF = 0xfffff000;

/** A `--bytecode` program: an ancillary field, the length or a packet byte compared to a value. */
function _randomBytecode(random: _Random): string {
  const kind = random.int(3);
  if (kind === 0) {
    const [offset, value] = random.pick([
      [0, random.pick([0x800, 0x86dd, 0x806])], // SKF_AD_PROTOCOL
      [4, random.int(5)], // SKF_AD_PKTTYPE
      [8, random.int(4)], // SKF_AD_IFINDEX
      [20, random.int(3)], // SKF_AD_MARK
      [24, random.int(2)], // SKF_AD_QUEUE
      [28, 1], // SKF_AD_HATYPE
      [44, random.int(8)], // SKF_AD_VLAN_TAG
      [48, 1], // SKF_AD_VLAN_TAG_PRESENT
    ]);
    return `4,32 0 0 ${SKF_AD_OFF + offset},21 0 1 ${value},6 0 0 1,6 0 0 0`;
  }
  if (kind === 1) return `4,128 0 0 0,37 0 1 ${random.int(120)},6 0 0 65535,6 0 0 0`;
  return `4,48 0 0 ${random.int(60)},21 0 1 ${random.int(256)},6 0 0 1,6 0 0 0`;
}

/** A random set of rules of one to three matches, half of them `--bytecode`. */
function _randomSet(random: _Random): string {
  const names = Array.from({ length: random.int(3) }, (_, i) => `U${i}`);
  const lines = [
    "*filter",
    `:INPUT ${random.pick(["ACCEPT", "DROP"])} [0:0]`,
    ...names.map((n) => `:${n} - [0:0]`),
  ];
  const target = (from: number): string => {
    const later = names.slice(from);
    const r = random.next();
    if (r < 0.35) return " -j ACCEPT";
    if (r < 0.65) return " -j DROP";
    if (r < 0.75) return "";
    if (r < 0.82 && from > 0) return " -j RETURN";
    if (later.length > 0) return ` ${random.chance(0.8) ? "-j" : "-g"} ${random.pick(later)}`;
    return " -j DROP";
  };
  // One group of other matches at most (an option is given once a rule), at a random place.
  const rule = (): string => {
    const parts: string[] = [];
    for (let n = 1 + random.int(3); n > 0; n--) {
      parts.push(`-m bpf ${random.chance(0.3) ? "! " : ""}--bytecode "${_randomBytecode(random)}"`);
    }
    // `_randomMatches` picks the rule's base (its link-base expressions need it).
    const other = random.chance(0.6) ? _randomMatches(random) : "";
    const link = other.startsWith("--base link") || (other === "" && random.chance(0.4));
    if (other !== "") {
      parts.splice(random.int(parts.length + 1), 0, other.replace("--base link", ""));
    }
    return (link ? "--base link " : "") + parts.join(" ");
  };
  for (let n = 1 + random.int(25); n > 0; n--) lines.push(`-A INPUT ${rule()}${target(0)}`);
  names.forEach((name, c) => {
    for (let n = 1 + random.int(5); n > 0; n--) lines.push(`-A ${name} ${rule()}${target(c + 1)}`);
  });
  lines.push("COMMIT", "");
  return lines.join("\n");
}

function _randomFrames(random: _Random, count: number): FrameRef[] {
  return Array.from({ length: count }, () => {
    const bytes = _randomFrame(random);
    return createFrameRef({
      bytes,
      capturedLength: bytes.length,
      wireLength: bytes.length + 20 * random.int(3),
      linkType: 1,
      mark: random.int(3),
      queue: random.int(2),
      interfaceIndex: random.int(3),
      interfaceName: random.pick(["eth0", "eth1", "lo", undefined]),
    });
  });
}

Deno.test("--bytecode with ancillary loads beside other matches: over the making budget as rule by rule", () => {
  const random = _prng(23);
  let interpreted = 0;
  try {
    for (let set = 0; set < 16; set++) {
      const text = _randomSet(random);
      const ruleSet = parseRuleSet(text);
      const byteCount = random.chance(0.3) ? "ip" : "frame";
      const frames = _randomFrames(random, 60);
      _resetTestMakingBudget();
      _testMakingBudget.budgetMs = Number.POSITIVE_INFINITY;
      const reference = compileRuleSet(ruleSet, {
        evaluation: "rule-by-rule",
        strategy: "interpret",
        byteCount,
      });
      const want = frames.map((frame) => reference.classify(frame));
      const evaluations: CompileRuleSetOptions[] = [
        {},
        { strategy: "closure" },
        { strategy: "source" },
        { evaluation: "rule-by-rule" },
      ];
      for (const options of evaluations) {
        for (const spent of [true, false]) {
          _resetTestMakingBudget();
          let now = 0;
          _testMakingBudget.clock = () => now++;
          _testMakingBudget.windowMs = spent ? Number.POSITIVE_INFINITY : 3 + random.int(7);
          _testMakingBudget.budgetMs = spent ? 0 : 1 + random.int(2);
          const compiled = compileRuleSet(ruleSet, { ...options, byteCount });
          const where = `${JSON.stringify(options)}, ${
            spent ? "spent" : "alternating"
          }, ${byteCount}`;
          for (const [f, frame] of frames.entries()) {
            assert.equal(compiled.classify(frame), want[f], `${where}: frame ${f}\n${text}`);
          }
          assert.deepEqual(compiled.counters(), reference.counters(), `${where}\n${text}`);
          interpreted += _testMakingBudget.interpreted;
        }
      }
    }
  } finally {
    _resetTestMakingBudget();
  }
  // The interpreted path ran for real.
  assert.ok(interpreted > 1000, `only ${interpreted} calls were interpreted`);
});
