import assert from "node:assert/strict";
import { compileRuleSet, type CompileRuleSetOptions, type FrameRef } from "./compile_rule_set.ts";
import { parseRuleSet } from "./parse_rule_set.ts";
import { formatRuleSet } from "./format_rule_set.ts";
import { RuleSetError } from "./rule_set_error.ts";
import type { RuleSet } from "./rule_set.ts";
import { _resetStrategyChoice } from "../bpf/_strategy_choice.ts";

// `undefined`: the measured default (what `compile()` picks for this runtime).
const STRATEGIES: CompileRuleSetOptions["strategy"][] = [undefined, "closure", "interpret"];

/** An Ethernet + IPv4 frame with protocol `protocol`, padded to 60 bytes. */
function ipv4Frame(
  protocol: number,
  options: { src?: number[]; dst?: number[]; payload?: number; pad?: number } = {},
): FrameRef {
  const payload = options.payload ?? 8;
  const total = 20 + payload;
  const bytes = new Uint8Array(Math.max(options.pad ?? 60, 14 + total));
  bytes.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00], 0);
  bytes.set([0x45, 0, total >> 8, total & 0xff, 0, 0, 0, 0, 64, protocol, 0, 0], 14);
  bytes.set(options.src ?? [10, 0, 0, 1], 26);
  bytes.set(options.dst ?? [192, 168, 1, 1], 30);
  return frame(bytes, 1);
}

function frame(bytes: Uint8Array, linkType: number, extra: Partial<FrameRef> = {}): FrameRef {
  return {
    bytes,
    start: 0,
    capturedLength: bytes.length,
    wireLength: bytes.length,
    linkType,
    interfaceIndex: 0,
    ...extra,
  };
}

const arpFrame = () => {
  const bytes = new Uint8Array(60);
  bytes.fill(0xff, 0, 6);
  bytes.set([0x08, 0x06], 12);
  return frame(bytes, 1);
};

// Programs (network base unless said otherwise).
const IS_TCP = "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0"; // ldb [9]; jeq #6
const IS_UDP = "4,48 0 0 9,21 0 1 17,6 0 0 1,6 0 0 0";
const LINK_IS_IPV4 = "4,40 0 0 12,21 0 1 2048,6 0 0 1,6 0 0 0"; // ldh [12]; jeq #0x800
const LEN_IS_28 = "4,128 0 0 0,21 0 1 28,6 0 0 1,6 0 0 0"; // ld len; jeq #28

for (const strategy of STRATEGIES) {
  const compileOf = (text: string, options: CompileRuleSetOptions = {}) =>
    compileRuleSet(parseRuleSet(text), { strategy, ...options });

  Deno.test(`compileRuleSet() [${strategy}] first matching rule wins, else the policy`, () => {
    const rules = compileOf(`*filter
:INPUT DROP [0:0]
-A INPUT -m bpf --bytecode "${IS_TCP}" -j ACCEPT
-A INPUT -m bpf --bytecode "${IS_TCP}" -j DROP
-A INPUT -m bpf --bytecode "${IS_UDP}"
COMMIT
`);
    assert.equal(rules.classify(ipv4Frame(6)), true);
    assert.equal(rules.classify(ipv4Frame(17)), false);
    assert.equal(rules.classify(ipv4Frame(1)), false);
    const counters = rules.counters();
    assert.deepEqual(counters.chains.INPUT.rules, [
      { packets: 1, bytes: 60 },
      { packets: 0, bytes: 0 },
      { packets: 1, bytes: 60 },
    ]);
    assert.deepEqual(counters.chains.INPUT.policy, { packets: 2, bytes: 120 });
    assert.deepEqual(counters.frames, { packets: 3, bytes: 180 });
    assert.deepEqual(counters.accepted, { packets: 1, bytes: 60 });
    assert.deepEqual(counters.dropped, { packets: 2, bytes: 120 });
    rules.resetCounters();
    assert.deepEqual(rules.counters().frames, { packets: 0, bytes: 0 });
  });

  Deno.test(`compileRuleSet() [${strategy}] follows jumps, RETURN, goto and nested chains`, () => {
    const rules = compileOf(`*filter
:INPUT ACCEPT [0:0]
:outer - [0:0]
:inner - [0:0]
:gone - [0:0]
-A INPUT -j outer
-A INPUT -m bpf --bytecode "${IS_UDP}" -j DROP
-A outer -j inner
-A outer -m bpf --bytecode "${IS_TCP}" -j DROP
-A outer -p icmp -g gone
-A inner -p udp -j RETURN
-A inner -p igmp -j ACCEPT
-A gone -p icmp -j RETURN
COMMIT
`);
    // UDP: INPUT → outer → inner RETURN → outer (no match) → INPUT rule 2 DROP.
    assert.equal(rules.classify(ipv4Frame(17)), false);
    // TCP: inner falls through, outer rule 2 drops.
    assert.equal(rules.classify(ipv4Frame(6)), false);
    // IGMP: accepted in the innermost chain.
    assert.equal(rules.classify(ipv4Frame(2)), true);
    // ICMP: goto gone, RETURN there goes back to INPUT's caller: nobody → INPUT policy.
    assert.equal(rules.classify(ipv4Frame(1)), true);
    const c = rules.counters().chains;
    assert.deepEqual(c.INPUT.rules.map((r) => r.packets), [4, 1]);
    assert.deepEqual(c.outer.rules.map((r) => r.packets), [4, 1, 1]);
    assert.deepEqual(c.inner.rules.map((r) => r.packets), [1, 1]);
    assert.deepEqual(c.gone.rules.map((r) => r.packets), [1]);
    assert.equal(c.outer.policy, undefined);
    assert.deepEqual(c.INPUT.policy, { packets: 1, bytes: 60 });
  });

  Deno.test(`compileRuleSet() [${strategy}] RETURN in the entry chain applies the policy`, () => {
    const rules = compileOf(`*filter
:INPUT DROP [0:0]
-A INPUT -p tcp -j RETURN
-A INPUT -j ACCEPT
COMMIT
`);
    assert.equal(rules.classify(ipv4Frame(6)), false);
    assert.equal(rules.classify(ipv4Frame(17)), true);
    assert.deepEqual(rules.counters().chains.INPUT.policy, { packets: 1, bytes: 60 });
  });

  Deno.test(`compileRuleSet() [${strategy}] network base trims padding and skips non-IP frames`, () => {
    const rules = compileOf(`*filter
:INPUT DROP [0:0]
-A INPUT -m bpf --bytecode "${LEN_IS_28}" -j ACCEPT
-A INPUT --base link -m bpf --bytecode "${LINK_IS_IPV4}" -j DROP
-A INPUT -j DROP
-A INPUT --base link -j ACCEPT
COMMIT
`);
    // 20 + 8 = 28-byte IP datagram in a 60-byte padded frame: ld len sees 28.
    assert.equal(rules.classify(ipv4Frame(17, { payload: 8 })), true);
    // A longer datagram: not 28; the link-base rule sees the EtherType.
    assert.equal(rules.classify(ipv4Frame(17, { payload: 100 })), false);
    // ARP: network-base rules (1, 3) are skipped, rule 2 does not match, rule 4 accepts.
    assert.equal(rules.classify(arpFrame()), true);
    assert.deepEqual(rules.counters().chains.INPUT.rules.map((r) => r.packets), [1, 1, 0, 1]);
  });

  Deno.test(`compileRuleSet() [${strategy}] inverts bpf and u32 matches`, () => {
    const rules = compileOf(`*filter
:INPUT ACCEPT [0:0]
-A INPUT -m bpf ! --bytecode "${IS_TCP}" -m u32 ! --u32 "6&0xFF=17" -j DROP
COMMIT
`);
    assert.equal(rules.classify(ipv4Frame(6)), true);
    assert.equal(rules.classify(ipv4Frame(17)), true);
    assert.equal(rules.classify(ipv4Frame(1)), false);
  });

  Deno.test(`compileRuleSet() [${strategy}] evaluates -s, -d, -p and -i`, () => {
    const rules = compileOf(`*filter
:INPUT ACCEPT [0:0]
-A INPUT -s 10.0.0.0/8 ! -d 192.168.1.1/32 -j DROP
-A INPUT -i eth+ -p udp -j DROP
-A INPUT ! -s 2001:db8::/32 -p ipv6-icmp -j DROP
COMMIT
`);
    assert.equal(rules.classify(ipv4Frame(6, { dst: [192, 168, 1, 2] })), false);
    assert.equal(rules.classify(ipv4Frame(6)), true);
    const udp = ipv4Frame(17);
    assert.equal(rules.classify(udp), true, "no interface name");
    udp.interfaceName = "eth1";
    assert.equal(rules.classify(udp), false);
    udp.interfaceName = "wlan0";
    assert.equal(rules.classify(udp), true);
    // IPv6 ICMPv6 behind a hop-by-hop header, from outside 2001:db8::/32.
    const bytes = new Uint8Array(14 + 40 + 8 + 8);
    bytes.set([0x86, 0xdd], 12);
    bytes.set([0x60, 0, 0, 0, 0, 16, 0, 64], 14);
    bytes.set([0x20, 0x01, 0x0d, 0xb9], 22);
    bytes.set([58, 0], 54);
    const icmp6 = frame(bytes, 1);
    assert.equal(rules.classify(icmp6), false);
    bytes[25] = 0xb8; // 2001:db8:...: inside the prefix
    assert.equal(rules.classify(icmp6), true);
  });

  Deno.test(`compileRuleSet() [${strategy}] passes the ancillary fields`, () => {
    // ld ifindex; jeq #3 — on a LINUX_SLL2 frame the ifindex comes from its header.
    const ifindex3 = "4,32 0 0 4294963208,21 0 1 3,6 0 0 1,6 0 0 0";
    // ld mark; jeq #7
    const mark7 = "4,32 0 0 4294963220,21 0 1 7,6 0 0 1,6 0 0 0";
    // ld vlan_tci; jeq #5 (SKF_AD_VLAN_TAG = -4096 + 44)
    const vlan5 = "4,32 0 0 4294963244,21 0 1 5,6 0 0 1,6 0 0 0";
    const rules = compileOf(`*filter
:INPUT ACCEPT [0:0]
-A INPUT --base link -m bpf --bytecode "${ifindex3}" -j DROP
-A INPUT --base link -m bpf --bytecode "${mark7}" -j DROP
-A INPUT -m bpf --bytecode "${vlan5}" -j DROP
COMMIT
`);
    const sll2 = new Uint8Array(48);
    sll2.set([0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6], 0);
    sll2.set([0x45, 0, 0, 28], 20);
    assert.equal(rules.classify(frame(sll2, 276)), false);
    sll2[7] = 4;
    assert.equal(rules.classify(frame(sll2, 276)), true);
    assert.equal(rules.classify(frame(sll2, 276, { mark: 7 })), false);
    const tagged = new Uint8Array(64);
    tagged.set([0x81, 0x00, 0x00, 0x05, 0x08, 0x00, 0x45, 0, 0, 28], 12);
    assert.equal(rules.classify(frame(tagged, 1)), false);
    tagged[15] = 6;
    assert.equal(rules.classify(frame(tagged, 1)), true);
    // pcapng interface 2 → ifindex 3.
    assert.equal(rules.classify(frame(new Uint8Array(60), 1, { interfaceIndex: 2 })), false);
  });

  Deno.test(`compileRuleSet() [${strategy}] counts IP bytes with byteCount "ip"`, () => {
    const rules = compileOf("-A INPUT -p udp\n", { byteCount: "ip" });
    rules.classify(ipv4Frame(17, { payload: 8 }));
    rules.classify(arpFrame());
    const c = rules.counters();
    assert.deepEqual(c.chains.INPUT.rules[0], { packets: 1, bytes: 28 });
    assert.deepEqual(c.chains.INPUT.policy, { packets: 2, bytes: 88 });
  });
}

Deno.test("compileRuleSet() restores counters on request and formats them as iptables-save -c", () => {
  const text = `*filter
:INPUT ACCEPT [3:102]
:FORWARD ACCEPT [0:0]
[2:100] -A INPUT -p tcp -j DROP
COMMIT
`;
  const fresh = compileRuleSet(parseRuleSet(text), { strategy: "interpret" });
  assert.deepEqual(fresh.counters().chains.INPUT.policy, { packets: 0, bytes: 0 });
  const restored = compileRuleSet(parseRuleSet(text), {
    strategy: "interpret",
    restoreCounters: true,
  });
  restored.classify(ipv4Frame(6));
  assert.equal(
    formatRuleSet(restored.ruleSet, restored.counters()),
    text.replace("[2:100]", "[3:160]"),
  );
});

Deno.test("compileRuleSet() picks the entry chain and rejects bad models", () => {
  const ruleSet: RuleSet = {
    table: "raw",
    chains: [
      { name: "PREROUTING", policy: "DROP", rules: [] },
      { name: "OUTPUT", policy: "ACCEPT", rules: [] },
      { name: "user", policy: null, rules: [{ base: "network", matches: [], target: "nope" }] },
    ],
  };
  const fixed = structuredClone(ruleSet);
  fixed.chains[2].rules = [];
  assert.equal(compileRuleSet(fixed).chain, "PREROUTING");
  assert.equal(compileRuleSet(fixed, { chain: "OUTPUT" }).chain, "OUTPUT");
  assert.equal(compileRuleSet(fixed, { chain: "OUTPUT" }).classify(arpFrame()), true);
  assert.throws(() => compileRuleSet(fixed, { chain: "user" }), RuleSetError);
  assert.throws(() => compileRuleSet(fixed, { chain: "missing" }), RuleSetError);
  assert.throws(
    () => compileRuleSet(ruleSet),
    (e: unknown) => e instanceof RuleSetError && e.chain === "user" && e.rule === 1,
  );
  const looped = structuredClone(fixed);
  looped.chains[2].rules = [{ base: "network", matches: [], target: "user" }];
  assert.throws(() => compileRuleSet(looped), /forms a loop/);
  const tooLong = structuredClone(fixed);
  tooLong.chains[0].rules = [{
    base: "network",
    matches: [{
      kind: "bpf",
      invert: false,
      program: Array.from({ length: 65 }, () => ({ code: 6, jt: 0, jf: 0, k: 0 })),
    }],
    target: "DROP",
  }];
  assert.throws(() => compileRuleSet(tooLong, { strategy: "interpret" }), RuleSetError);
  compileRuleSet(tooLong, { strategy: "interpret", maxInstructions: 65 });
});

Deno.test("compileRuleSet() names the chain and rule of a bad address in a hand-built model", () => {
  const ruleSet: RuleSet = {
    table: "filter",
    chains: [{
      name: "INPUT",
      policy: "ACCEPT",
      rules: [{ base: "network", matches: [], target: null }, {
        base: "network",
        matches: [{
          kind: "address",
          direction: "source",
          invert: false,
          address: "10.0.0.300",
          prefixLength: 32,
        }],
        target: "DROP",
      }],
    }],
  };
  assert.throws(
    () => compileRuleSet(ruleSet),
    (e: unknown) =>
      e instanceof RuleSetError && e.chain === "INPUT" && e.rule === 2 &&
      /^Cannot compile rule set: "10\.0\.0\.300" is not an IPv4 or IPv6 address .* in chain "INPUT" rule 2$/
        .test(e.message),
  );
});

Deno.test("compileRuleSet() names the chain and rule of a protocol that is not a byte in a hand-built model", () => {
  // A protocol number that is not an integer 0..255 would also have been a rule shape
  // (src/rules/_rule_shape.ts) equal to another's (6.5 as "! -p 6", NaN as a comment).
  for (const protocol of [6.5, Number.NaN, 256, -1]) {
    const ruleSet: RuleSet = {
      table: "filter",
      chains: [{
        name: "INPUT",
        policy: "ACCEPT",
        rules: [{ base: "network", matches: [], target: null }, {
          base: "network",
          matches: [{ kind: "protocol", invert: false, protocol }],
          target: "DROP",
        }],
      }],
    };
    for (const options of [{}, { evaluation: "rule-by-rule" as const }]) {
      assert.throws(
        () => compileRuleSet(ruleSet, options),
        (e: unknown) =>
          e instanceof RuleSetError && e.chain === "INPUT" && e.rule === 2 &&
          e.message ===
            `Cannot compile rule set: protocol "${protocol}" is not a number from 0 to 255 in chain "INPUT" rule 2`,
        `${protocol}`,
      );
    }
  }
});

Deno.test("compileRuleSet() decidedBy is the rule with a verdict whose counter the frame hit", () => {
  // Oracle: the counters. After each frame exactly one ACCEPT/DROP rule's
  // packet counter rose (that rule decided), or else the policy counter did.
  const text = `*filter
:INPUT DROP [0:0]
:WEB - [0:0]
:LEAF - [0:0]
-A INPUT -m bpf --bytecode "${IS_TCP}"
-A INPUT -p udp -j WEB
-A INPUT -p icmp -g LEAF
-A INPUT -s 10.0.0.9 -j ACCEPT
-A WEB -d 192.168.1.1 -j RETURN
-A WEB -m bpf --bytecode "${LEN_IS_28}" -j DROP
-A WEB -j ACCEPT
-A LEAF -s 10.0.0.1 -j DROP
COMMIT
`;
  const frames = [
    ipv4Frame(6),
    ipv4Frame(6, { src: [10, 0, 0, 9] }),
    ipv4Frame(17),
    ipv4Frame(17, { dst: [192, 168, 1, 2] }),
    ipv4Frame(17, { dst: [192, 168, 1, 2], payload: 20 }),
    ipv4Frame(17, { src: [10, 0, 0, 9] }),
    ipv4Frame(1),
    ipv4Frame(1, { src: [10, 0, 0, 2] }),
    arpFrame(),
  ];
  const ruleSet = parseRuleSet(text);
  const targets = ruleSet.chains.flatMap((chain) => chain.rules.map((rule) => rule.target));
  for (const options of [{}, { fuse: false }, { strategy: "interpret" as const }]) {
    const rules = compileRuleSet(ruleSet, options);
    assert.equal(rules.decidedBy, -1);
    const seen = new Set<number>();
    for (const frame of frames) {
      const before = rules.counters();
      const accepted = rules.classify(frame);
      const after = rules.counters();
      const flat = (c: typeof after) =>
        ruleSet.chains.flatMap((chain) => c.chains[chain.name].rules.map((r) => r.packets));
      const [was, now] = [flat(before), flat(after)];
      const hit = now.flatMap((n, i) =>
        n > was[i] && (targets[i] === "ACCEPT" || targets[i] === "DROP") ? [i] : []
      );
      const policyHit = after.chains.INPUT.policy!.packets > before.chains.INPUT.policy!.packets;
      assert.equal(hit.length + (policyHit ? 1 : 0), 1);
      const expected = policyHit ? -1 : hit[0];
      assert.equal(rules.decidedBy, expected, JSON.stringify(options));
      if (expected >= 0) assert.equal(accepted, targets[expected] === "ACCEPT");
      seen.add(expected);
    }
    // The frames reach the policy and rules in INPUT, WEB and LEAF.
    assert.deepEqual([...seen].sort((a, b) => a - b), [-1, 3, 5, 6, 7]);
  }
});

Deno.test("compileRuleSet() without a strategy falls back like compile() where code generation is refused", () => {
  const text = `*filter
:INPUT DROP [0:0]
-A INPUT -m bpf --bytecode "${IS_TCP}" -j ACCEPT
-A INPUT -m bpf --expr "udp and ip[8] = 64" -j ACCEPT
-A INPUT -m u32 --u32 "6&0xFF=1" -j ACCEPT
COMMIT
`;
  const frames = [ipv4Frame(6), ipv4Frame(17), ipv4Frame(1), ipv4Frame(2), arpFrame()];
  const reference = compileRuleSet(parseRuleSet(text), { strategy: "interpret" });
  const expected = frames.map((f) => reference.classify(f));
  const original = globalThis.Function;
  globalThis.Function = function () {
    throw new EvalError("Code generation from strings disallowed for this context");
  } as unknown as FunctionConstructor;
  _resetStrategyChoice();
  let verdicts: boolean[];
  let counters;
  try {
    const rules = compileRuleSet(parseRuleSet(text));
    verdicts = frames.map((f) => rules.classify(f));
    counters = rules.counters();
  } finally {
    globalThis.Function = original;
    _resetStrategyChoice();
  }
  assert.deepEqual(verdicts, expected);
  assert.deepEqual(counters, reference.counters());
});
