/**
 * Link-base `--expr` rules are exact on EN10MB frames (issue 11, session 13):
 * the alternatives of a link-base expression's EN10MB program, each with the
 * guard "the link type is EN10MB", keep the program's exactness, so the
 * index may list such a rule as matched without running its test. Checked
 * here: the index does claim it (entries and matched leaf codes), and every
 * verdict and counter of the default classifier, the Wasm classifier and the
 * closure strategy equals rule-by-rule evaluation on a pcapng capture of
 * several interfaces, link types and snaplens (two EN10MB interfaces, one of
 * snaplen 64), through the router, cut frames included.
 */
import assert from "node:assert/strict";
import { type CorpusPacket, corpusSkipReason } from "./_corpus.ts";
import { concat, epb, idb, option, shb } from "../src/capture/_test_captures.ts";
import { corpusPackets, examplePackets, trafficProfile } from "./_rule_set_fixtures.ts";
import {
  compileRuleSet,
  type CompileRuleSetOptions,
  createFrameRef,
} from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import { _routeInChunks } from "./_route_in_chunks.ts";
import { _RuleSetBuilder } from "../src/rules/_rule_set_builder.ts";
import { _F_LINK_TYPE } from "../src/rules/_fields.ts";
import { LINKTYPE_EN10MB, LINKTYPE_RAW } from "../src/capture/link_types.ts";
import { generateRuleSet } from "../bench/_rule_set_generator.ts";

const ruleByRule = { evaluation: "rule-by-rule" } as CompileRuleSetOptions;
const corpusSkip = corpusSkipReason();

/** Link-base expressions whose EN10MB programs summarise exactly, and some that do not. */
const _EXPRESSIONS = [
  "tcp port 80",
  "udp dst port 53",
  "icmp[0] = 3",
  "ether proto 0x88cc",
  "arp",
  "ip6 and tcp",
  "tcp[13] & 2 != 0",
  "ip[8] = 64",
  "udp port 8080",
  "vlan 101 and udp port 8080",
  "tcp src port 443 or udp src port 443",
  "ip host 10.0.0.1",
];

/** A set of link-base expression rules with every target, policy DROP, a user chain. */
function _ruleText(): string {
  const targets = ["-j ACCEPT", "-j DROP", "", "-j SIDE", "-g SIDE"];
  const lines = _EXPRESSIONS.flatMap((expression, i) => [
    `-A INPUT --base link -m bpf --expr "${expression}" ${targets[i % targets.length]}`,
    `-A SIDE --base link -m bpf --expr "${expression}" ${i % 3 === 0 ? "-j RETURN" : ""}`,
  ]);
  return `*filter\n:INPUT DROP [0:0]\n:SIDE - [0:0]\n${lines.join("\n")}\nCOMMIT\n`;
}

/**
 * A pcapng of `packets` over interfaces per link type (EN10MB twice: snaplen
 * 0 and 64), the frames interleaved, each third one also cut short.
 */
function _capture(packets: CorpusPacket[]): Uint8Array {
  const parts: Uint8Array[] = [shb()];
  const ids = new Map<number, number[]>();
  const snaplens: number[] = [];
  const name = (n: string) =>
    concat(option(2, new TextEncoder().encode(n)), option(0, new Uint8Array(0)));
  for (const packet of packets) {
    if (ids.has(packet.linkType)) continue;
    const own: number[] = [];
    for (const snaplen of packet.linkType === LINKTYPE_EN10MB ? [0, 64] : [0]) {
      own.push(parts.length - 1);
      snaplens.push(snaplen);
      parts.push(idb({ linkType: packet.linkType, snaplen, options: name(`if${parts.length}`) }));
    }
    ids.set(packet.linkType, own);
  }
  const records: Uint8Array[] = [];
  packets.forEach((packet, i) => {
    const own = ids.get(packet.linkType)!;
    const interfaceId = own[i % own.length];
    const data = snaplens[interfaceId] === 0
      ? packet.data
      : packet.data.subarray(0, snaplens[interfaceId]);
    records.push(epb(data, { interfaceId, wire: packet.wireLength }));
    if (i % 3 === 0) {
      const cut = data.subarray(0, (i * 7) % (data.length + 1));
      records.push(epb(cut, { interfaceId, wire: packet.wireLength }));
    }
  });
  const interleaved: Uint8Array[] = [];
  for (let a = 0, b = records.length - 1; a <= b; a++, b--) {
    interleaved.push(records[a]);
    if (b !== a) interleaved.push(records[b]);
  }
  return concat(...parts, ...interleaved);
}

Deno.test("a link-base --expr's EN10MB alternatives are exact index entries, the others not", () => {
  const builder = new _RuleSetBuilder(parseRuleSet(_ruleText()), { strategy: "wasm" });
  while (!builder.step());
  const fields = builder.fields.fields;
  const isEthernet = (g: { field: number; lo: number; hi: number }) =>
    fields[g.field].kind === _F_LINK_TYPE && g.lo === LINKTYPE_EN10MB && g.hi === LINKTYPE_EN10MB;
  let exactEthernet = 0;
  for (const entries of builder.indexEntries) {
    for (const e of entries) {
      const ethernet = e.guards.some(isEthernet);
      // Alternatives for other link types stay inexact (their test compiles per link type).
      if (!ethernet) assert.equal(e.exact, false);
      else if (e.exact) exactEthernet++;
    }
  }
  // "tcp port 80" and the like: their EN10MB alternatives are exact.
  assert.ok(exactEthernet >= 8, `${exactEthernet} exact EN10MB entries`);
});

Deno.test({
  name:
    "link-base --expr rules agree with rule-by-rule evaluation on a pcapng of several link types and snaplens",
  ignore: corpusSkip !== undefined,
  fn() {
    const packets = [...examplePackets(), ...corpusPackets()];
    const linkTypes = new Set(packets.map((p) => p.linkType));
    assert.ok(
      linkTypes.size >= 3 && linkTypes.has(LINKTYPE_EN10MB),
      `link types ${[...linkTypes]}`,
    );
    const capture = _capture(packets);
    const profile = trafficProfile(packets);
    const sets = [
      _ruleText(),
      // Generated sets with every link-base rule as an --expr too.
      ...[11, 12, 13].map((seed) =>
        generateRuleSet(seed, { rules: 80, profile, policy: "DROP" }).text
      ),
    ];
    for (const [s, text] of sets.entries()) {
      const ruleSet = parseRuleSet(text);
      for (const options of [{}, { strategy: "wasm" }, { strategy: "closure" }] as const) {
        for (const chunk of [1 << 20, 4096]) {
          const what = `set ${s}, ${JSON.stringify(options)}, chunk ${chunk}`;
          const reference = compileRuleSet(ruleSet, ruleByRule);
          const compiled = compileRuleSet(ruleSet, options);
          assert.deepEqual(
            _routeInChunks(compiled, capture, chunk),
            _routeInChunks(reference, capture, chunk),
            what,
          );
          assert.deepEqual(compiled.counters(), reference.counters(), what);
        }
      }
    }
  },
});

/** A frame of `linkType` whose bytes 12 and 13 are 0x88 0xcc (LLDP's ethertype on EN10MB). */
function _lldpLike(linkType: number, interfaceName: string) {
  const bytes = new Uint8Array(60);
  if (linkType === LINKTYPE_RAW) {
    bytes.set([0x45, 0, 0, 60, 0, 0, 0, 0, 64, 17, 0, 0]); // IPv4, UDP, from 136.204.0.1
  }
  bytes.set([0x88, 0xcc, 0, 1], 12);
  return createFrameRef({
    bytes,
    capturedLength: bytes.length,
    wireLength: bytes.length,
    linkType,
    interfaceName,
  });
}

Deno.test("a link-base --expr matched without its test on EN10MB frames only", () => {
  // On a raw-IP frame, bytes 12 and 13 are the source address: the EN10MB
  // guards hold there too, only the link-type guard tells the frames apart.
  const text = "*filter\n:INPUT ACCEPT [0:0]\n" +
    '-A INPUT --base link -m bpf --expr "ether proto 0x88cc" -j DROP\n' +
    "-A INPUT -i eth9 -j DROP\n-A INPUT -p udp\nCOMMIT\n";
  const ruleSet = parseRuleSet(text);
  const frames = [LINKTYPE_EN10MB, LINKTYPE_RAW, LINKTYPE_EN10MB, LINKTYPE_RAW].map((t, i) =>
    _lldpLike(t, i < 2 ? "eth0" : "eth9")
  );
  for (const options of [{}, { strategy: "wasm" }, { strategy: "closure" }] as const) {
    const reference = compileRuleSet(ruleSet, ruleByRule);
    const compiled = compileRuleSet(ruleSet, options);
    const want = frames.map((f) => reference.classify(f));
    assert.deepEqual(want, [false, true, false, false]);
    assert.deepEqual(frames.map((f) => compiled.classify(f)), want, JSON.stringify(options));
    assert.deepEqual(compiled.counters(), reference.counters(), JSON.stringify(options));
  }
});
