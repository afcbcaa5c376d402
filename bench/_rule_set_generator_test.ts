/**
 * The rule-set generator: seeded, valid, diverse, and its tcpdump
 * expressions match what the rules match (checked through the rule engine:
 * each rule's matches against `--base link --expr` of its expression, on
 * the untagged, whole Ethernet frames of the corpus and the examples).
 */
import assert from "node:assert/strict";
import {
  BENCH_CAPTURE_PROFILE,
  generateRuleSet,
  type GenerateRuleSetOptions,
  tcpdumpFilter,
  type TrafficProfile,
} from "./_rule_set_generator.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import { compileRuleSet, createFrameRef, type FrameRef } from "../src/rules/compile_rule_set.ts";
import { compileFilter } from "../src/filter/compile_filter.ts";
import { type CorpusPacket, corpusSkipReason } from "../tests/_corpus.ts";
import { corpusPackets, examplePackets, trafficProfile } from "../tests/_rule_set_fixtures.ts";

function _ruleCount(text: string): number {
  return parseRuleSet(text).chains.reduce((n, chain) => n + chain.rules.length, 0);
}

Deno.test("generateRuleSet() is the same for the same seed and differs between seeds", () => {
  const options: GenerateRuleSetOptions = { rules: 40 };
  assert.equal(generateRuleSet(5, options).text, generateRuleSet(5, options).text);
  assert.notEqual(generateRuleSet(5, options).text, generateRuleSet(6, options).text);
});

Deno.test("generateRuleSet() makes valid sets of the requested size, every user chain entered", () => {
  for (let seed = 0; seed < 200; seed++) {
    const rules = seed % 50;
    const set = generateRuleSet(seed, { rules, userChains: seed % 4 });
    const ruleSet = parseRuleSet(set.text);
    assert.equal(_ruleCount(set.text), rules);
    assert.equal(set.rules.length, rules);
    assert.equal(ruleSet.chains.length, 1 + seed % 4);
    // With a few rules per chain, each user chain is entered from an earlier one.
    if (rules < 2 * ruleSet.chains.length) continue;
    for (const [index, chain] of ruleSet.chains.entries()) {
      if (index === 0) continue;
      const entered = ruleSet.chains.slice(0, index).some((c) =>
        c.rules.some((rule) => rule.target === chain.name)
      );
      assert.ok(entered, `seed ${seed}: chain ${chain.name} is never entered\n${set.text}`);
    }
  }
  assert.throws(() => generateRuleSet(1, { rules: -1 }), RangeError);
});

Deno.test("generateRuleSet() covers every feature issue 11 lists", () => {
  const lines = Array.from({ length: 20 }, (_, seed) => generateRuleSet(seed, { rules: 100 }))
    .flatMap((set) => set.rules.map((rule) => rule.line));
  const features: [string, RegExp][] = [
    ["IPv4 host", / -[sd] \d+\.\d+\.\d+\.\d+ /],
    ["IPv4 net", / -[sd] \d+\.\d+\.\d+\.\d+\/\d+ /],
    ["IPv6", / -[sd] [0-9a-f:]+:[0-9a-f:]*(\/64)? |ip6/],
    ["-p", / -p \S+ /],
    ["-i/-o", / -[io] \S+ /],
    ["port", /port \d+/],
    ["port range", /portrange \d+-\d+|=\d+:\d+/],
    ["payload bytes", /udp\[8:2\]|tcp\[\(\(tcp\[12\]|@12>>26&0x3C@0=/],
    ["ICMP type", /icmptype|icmp\[0\]|@0>>24=/],
    ["TCP flags", /tcpflags|tcp\[13\]/],
    ["VLAN", /vlan \d+|0x8100/],
    ["u32 with @", /-m u32 (! )?--u32 "[^"]*@/],
    ["--expr, network base", /^-A \S+ (?!--base link).*--expr/],
    ["--expr, link base", /--base link .*--expr/],
    ["--bytecode, network base", /^-A \S+ (?!--base link).*--bytecode/],
    ["--bytecode, link base", /--base link .*--bytecode/],
    ["negation", / ! /],
    ["ACCEPT", / -j ACCEPT$/],
    ["DROP", / -j DROP$/],
    ["RETURN", / -j RETURN$/],
    ["-j chain", / -j [A-Z_]+$/],
    ["-g chain", / -g [A-Z_]+$/],
    ["count only", /^(?!.* -[jg] \S+$)/],
    ["comment", /-m comment --comment/],
  ];
  for (const [name, pattern] of features) {
    assert.ok(lines.some((line) => pattern.test(line)), `no rule with ${name}`);
  }
});

Deno.test("generateRuleSet() draws from the profile so that rules match its traffic", () => {
  const set = generateRuleSet(2, { rules: 300, profile: BENCH_CAPTURE_PROFILE });
  const text = set.text;
  assert.match(text, / -s 10\.0\./);
  assert.match(text, / -d 192\.168\./);
  assert.match(text, /port (22|53|80|443|8080|3306|5432|6379)\b/);
});

Deno.test("tcpdumpFilter() ORs the expressions of the rules that have one", () => {
  const set = generateRuleSet(4, { rules: 60 });
  const withExpression = set.rules.filter((rule) => rule.tcpdump !== undefined);
  assert.ok(withExpression.length < set.rules.length, "some rules have -i/-o");
  assert.equal(tcpdumpFilter(set.rules), withExpression.map((r) => `(${r.tcpdump})`).join(" or "));
  assert.equal(
    tcpdumpFilter(set.rules, 3),
    withExpression.slice(0, 3).map((r) => `(${r.tcpdump})`).join(" or "),
  );
  const flat = generateRuleSet(4, { rules: 100, interfaces: false });
  assert.ok(flat.rules.every((rule) => rule.tcpdump !== undefined));
  // Every expression compiles for Ethernet (libpcap's grammar, our compiler).
  for (const rule of flat.rules) compileFilter(rule.tcpdump!, { linkType: 1 });
});

/**
 * Untagged Ethernet frames captured whole, whose IP datagram (if any) ends
 * at the frame's end with no IPv6 extension header: where the tcpdump
 * expressions claim to be exact.
 */
function _isPlainFrame(packet: CorpusPacket): boolean {
  const b = packet.data;
  if (packet.linkType !== 1 || b.length !== packet.wireLength || b.length < 14) return false;
  const type = (b[12] << 8) | b[13];
  if (type === 0x8100 || type === 0x88a8 || type === 0x9100) return false;
  if (type === 0x0800) {
    return b.length >= 34 && b[14] >> 4 === 4 && ((b[16] << 8) | b[17]) === b.length - 14;
  }
  if (type === 0x86dd) {
    return b.length >= 54 && b[14] >> 4 === 6 && 40 + ((b[18] << 8) | b[19]) === b.length - 14 &&
      [6, 17, 58, 59].includes(b[20]);
  }
  return true;
}

function _plainFrames(packets: CorpusPacket[]): FrameRef[] {
  return packets.filter(_isPlainFrame).map((packet) =>
    createFrameRef({
      bytes: packet.data,
      capturedLength: packet.data.length,
      wireLength: packet.wireLength,
      linkType: 1,
    })
  );
}

/** The rule's matches alone: `-A INPUT <matches> -j DROP`, policy ACCEPT. */
function _matchesOnly(line: string): string {
  const matches = line.replace(/^-A \S+/, "").replace(/ -[jg] \S+$/, "");
  return `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT${matches} -j DROP\nCOMMIT\n`;
}

function _expressionOnly(expression: string): string {
  return `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT --base link -m bpf --expr "${expression}" -j DROP\nCOMMIT\n`;
}

function _checkEquivalence(
  frames: FrameRef[],
  profile: TrafficProfile,
  seeds: number,
): number {
  let compared = 0;
  let matched = 0;
  for (let seed = 0; seed < seeds; seed++) {
    for (const rule of generateRuleSet(seed, { rules: 30, interfaces: false, profile }).rules) {
      const byRule = compileRuleSet(parseRuleSet(_matchesOnly(rule.line)));
      const byExpression = compileRuleSet(parseRuleSet(_expressionOnly(rule.tcpdump!)));
      for (const frame of frames) {
        const ruleMatches = !byRule.classify(frame);
        if (ruleMatches !== !byExpression.classify(frame)) {
          const hex = Array.from(
            frame.bytes.subarray(0, 80),
            (b) => b.toString(16).padStart(2, "0"),
          ).join("");
          assert.fail(
            `seed ${seed}: "${rule.line}" ${ruleMatches ? "matches" : "does not match"}, ` +
              `"${rule.tcpdump}" does not agree on frame ${hex}`,
          );
        }
        compared++;
        if (ruleMatches) matched++;
      }
    }
  }
  assert.ok(matched > 0 && matched < compared, `${matched} of ${compared}`);
  return compared;
}

Deno.test({
  name: "each rule's tcpdump expression matches what the rule matches (corpus captures)",
  ignore: corpusSkipReason() !== undefined,
  fn() {
    const packets = corpusPackets();
    const frames = _plainFrames(packets);
    assert.ok(frames.length > 500, `${frames.length} plain Ethernet frames`);
    _checkEquivalence(frames, trafficProfile(packets), 80);
  },
});

Deno.test("each rule's tcpdump expression matches what the rule matches (examples)", () => {
  const packets = examplePackets();
  const frames = _plainFrames(packets);
  assert.ok(frames.length > 5, `${frames.length} plain Ethernet frames`);
  _checkEquivalence(frames, trafficProfile(packets), 80);
});
