/**
 * Differential tests of fused rule-set evaluation: for random rule sets
 * (random valid programs, libpcap programs of the conformance corpus, u32
 * matches, inverted matches, link and network base, user chains with RETURN,
 * rules without target) the fused `classify` (closure and source) must give
 * the verdict of rule-by-rule evaluation (`fuse: false`) on every packet, and
 * the same counters.
 */
import assert from "node:assert/strict";
import { compileRuleSet, type CompileRuleSetOptions, createFrameRef } from "./compile_rule_set.ts";
import type { Match, Rule, RuleSet } from "./rule_set.ts";
import type { Instruction } from "../bpf/instruction.ts";
import { validate } from "../bpf/validate.ts";
import { SKF_LL_OFF, SKF_NET_OFF } from "../bpf/opcodes.ts";
import {
  corpusSkipReason,
  loadCases,
  loadPackets,
  parseCorpusBytecode,
} from "../../tests/_corpus.ts";
import { _fuseRules } from "./_fuse_rules.ts";

/** Mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CONSTANTS = [0, 1, 2, 4, 6, 17, 20, 40, 0x45, 0x60, 0x800, 0x86dd, 0x8100, 80, 443, 53, 0xff];

/** A random program the kernel's checker accepts. */
function randomProgram(random: () => number): Instruction[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const int = (n: number) => Math.floor(random() * n);
  for (;;) {
    const length = 3 + int(18);
    const program: Instruction[] = [];
    // Initialise two scratch words so later `ld M[]` pass the checker.
    program.push({ code: 0x02, jt: 0, jf: 0, k: 0 }); // st M[0] (A = 0)
    program.push({ code: 0x03, jt: 0, jf: 0, k: 1 }); // stx M[1]
    const offset = () =>
      random() < 0.9
        ? int(64)
        : pick([SKF_NET_OFF + int(30), SKF_LL_OFF + int(20), 0x7ffffff0, 1500]) >>> 0;
    const constant = () => (random() < 0.8 ? pick(CONSTANTS) : int(0x10000)) >>> 0;
    while (program.length < length - 1) {
      const pc = program.length;
      const room = length - 2 - pc; // instructions between the next one and the last
      const r = random();
      if (r < 0.25) {
        program.push({ code: pick([0x20, 0x28, 0x30]), jt: 0, jf: 0, k: offset() }); // ld[hb] [k]
      } else if (r < 0.32) {
        program.push({ code: pick([0x40, 0x48, 0x50]), jt: 0, jf: 0, k: int(40) }); // [x + k]
      } else if (r < 0.37) {
        program.push({ code: 0xb1, jt: 0, jf: 0, k: pick([0, 14, 14, int(40)]) }); // ldxb 4*([k]&0xf)
      } else if (r < 0.4) {
        program.push({ code: pick([0x80, 0x81, 0x00, 0x01]), jt: 0, jf: 0, k: constant() });
      } else if (r < 0.43) {
        program.push({ code: pick([0x60, 0x61]), jt: 0, jf: 0, k: int(2) }); // ld(x) M[]
      } else if (r < 0.45) {
        program.push({ code: pick([0x02, 0x03]), jt: 0, jf: 0, k: int(2) }); // st(x) M[]
      } else if (r < 0.55) {
        const op = pick([0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0]);
        let k = pick([1, 2, 3, 4, 8, 0xf, 0x1fff, 0xff00, 16, 31]);
        if (op === 0x60 || op === 0x70) k = int(32);
        program.push({ code: 0x04 | op | (random() < 0.25 ? 0x08 : 0), jt: 0, jf: 0, k });
      } else if (r < 0.57) {
        program.push({ code: pick([0x84, 0x07, 0x87]), jt: 0, jf: 0, k: 0 }); // neg, tax, txa
      } else if (r < 0.9 && room > 0) {
        const op = pick([0x10, 0x10, 0x10, 0x20, 0x30, 0x40]);
        const x = random() < 0.1 ? 0x08 : 0;
        program.push({ code: 0x05 | op | x, jt: int(room + 1), jf: int(room + 1), k: constant() });
      } else if (r < 0.93 && room > 0) {
        program.push({ code: 0x05, jt: 0, jf: 0, k: int(room + 1) }); // ja
      } else {
        program.push(
          random() < 0.5
            ? { code: 0x06, jt: 0, jf: 0, k: pick([0, 0, 1, 0xffff]) }
            : { code: 0x16, jt: 0, jf: 0, k: 0 },
        );
      }
    }
    program.push(
      random() < 0.5 ? { code: 0x16, jt: 0, jf: 0, k: 0 } : { code: 0x06, jt: 0, jf: 0, k: int(2) },
    );
    try {
      validate(program);
      return program;
    } catch {
      // Try again.
    }
  }
}

const U32 = [
  "6&0xFF=0x20",
  "6&0xFF=6",
  "6&0xFF=17",
  "0>>22&0x3C@0>>16=80",
  "0>>22&0x3C@0&0xFFFF=53",
  "0&0xFFFF=0x100:0xFFFF",
  "3&0xFF=1:64",
  "0>>22&0x3C@12>>26&0x3C@0=0x10000000:0x20000000",
];

/** A random rule set of `count` rules over the given programs. */
function randomRuleSet(
  random: () => number,
  programs: { program: Instruction[]; base: "link" | "network" }[],
  count: number,
): RuleSet {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const matchOf = (base: "link" | "network"): Match => {
    const r = random();
    if (r < 0.12 && base === "network") {
      return { kind: "u32", invert: random() < 0.3, expression: pick(U32) };
    }
    if (r < 0.17) return { kind: "protocol", invert: random() < 0.3, protocol: pick([6, 17, 1]) };
    if (r < 0.2) {
      return {
        kind: "address",
        direction: "source",
        invert: false,
        address: "10.0.0.0",
        prefixLength: 8,
      };
    }
    const candidates = programs.filter((p) => p.base === base);
    const chosen = candidates.length ? pick(candidates).program : randomProgram(random);
    return { kind: "bpf", invert: random() < 0.2, program: chosen };
  };
  const rulesOf = (n: number, user: boolean): Rule[] => {
    const rules: Rule[] = [];
    let base: "link" | "network" = random() < 0.5 ? "link" : "network";
    for (let i = 0; i < n; i++) {
      if (random() < 0.15) base = base === "link" ? "network" : "link";
      const matches: Match[] = [];
      const m = random();
      if (m < 0.85) matches.push(matchOf(base));
      if (m > 0.75) matches.push(matchOf(base));
      const t = random();
      const target = t < 0.45
        ? "DROP"
        : t < 0.85
        ? "ACCEPT"
        : t < 0.9
        ? null
        : user
        ? (random() < 0.5 ? "RETURN" : "DROP")
        : (random() < 0.5 ? "sub" : "RETURN");
      rules.push({ base, matches, target, goto: target === "sub" && random() < 0.3 });
    }
    return rules;
  };
  return {
    table: "filter",
    chains: [
      { name: "INPUT", policy: random() < 0.5 ? "ACCEPT" : "DROP", rules: rulesOf(count, false) },
      { name: "sub", policy: null, rules: rulesOf(1 + Math.floor(random() * 8), true) },
    ],
  };
}

interface _Packet {
  data: Uint8Array;
  wireLength: number;
  linkType: number;
  interfaceIndex: number;
}

/** Random Ethernet frames: IPv4/IPv6 skeletons with random bytes, truncated at random. */
function randomPackets(random: () => number, count: number): _Packet[] {
  const out: _Packet[] = [];
  for (let i = 0; i < count; i++) {
    const data = new Uint8Array(15 + Math.floor(random() * 80));
    for (let j = 0; j < data.length; j++) data[j] = random() < 0.5 ? 0 : Math.floor(random() * 256);
    const kind = random();
    if (kind < 0.5) {
      data.set([0x08, 0x00, 0x45], 12);
      if (data.length > 23) data[23] = [6, 17, 1, 32][Math.floor(random() * 4)];
      if (data.length > 17) data[16] = 0, data[17] = Math.min(data.length - 14, 60);
    } else if (kind < 0.8) {
      data.set([0x86, 0xdd, 0x60], 12);
      if (data.length > 20) data[20] = [6, 17, 44, 58][Math.floor(random() * 4)];
    }
    const wire = data.length + (random() < 0.2 ? Math.floor(random() * 100) : 0);
    out.push({ data, wireLength: wire, linkType: 1, interfaceIndex: 0 });
  }
  return out;
}

function compare(ruleSet: RuleSet, packets: readonly _Packet[], where: string): void {
  const reference = compileRuleSet(ruleSet, { fuse: false, maxInstructions: 4096 });
  const variants: [string, CompileRuleSetOptions][] = [
    ["closure", { strategy: "closure" }],
    ["source", { strategy: "source" }],
    ["closure, small budget", { strategy: "closure", maxFusedNodes: 40 }],
  ];
  const fused = variants.map(([name, options]) =>
    [name, compileRuleSet(ruleSet, { ...options, maxInstructions: 4096 })] as const
  );
  const frame = createFrameRef({ linkType: 1 });
  packets.forEach((packet, index) => {
    frame.bytes = packet.data;
    frame.capturedLength = packet.data.length;
    frame.wireLength = packet.wireLength;
    frame.linkType = packet.linkType;
    frame.interfaceIndex = packet.interfaceIndex;
    const expected = reference.classify(frame);
    for (const [name, rules] of fused) {
      assert.equal(rules.classify(frame), expected, `${where} packet ${index} (${name})`);
    }
  });
  const counters = reference.counters();
  for (const [name, rules] of fused) {
    assert.deepEqual(rules.counters(), counters, `${where} counters (${name})`);
  }
}

Deno.test("fused classify equals rule-by-rule on random programs and random packets", () => {
  const random = prng(20240611);
  const packets = randomPackets(random, 300);
  for (let round = 0; round < 60; round++) {
    const pool = Array.from({ length: 6 }, () => ({
      program: randomProgram(random),
      base: (random() < 0.5 ? "link" : "network") as "link" | "network",
    }));
    const ruleSet = randomRuleSet(random, pool, 1 + Math.floor(random() * 25));
    compare(ruleSet, packets, `round ${round}`);
  }
});

Deno.test("fused classify equals rule-by-rule with corpus programs on corpus packets", () => {
  const skip = corpusSkipReason();
  if (skip) {
    console.log(skip);
    return;
  }
  const random = prng(7);
  const cases = loadCases().filter((c) => !/protochain/.test(c.expr));
  const files = [...new Set(cases.map((c) => c.file))];
  const packets: _Packet[] = files.flatMap((file) => loadPackets(file));
  let compared = 0;
  for (let round = 0; round < 12; round++) {
    const pool = Array.from({ length: 30 }, () => {
      const c = cases[Math.floor(random() * cases.length)];
      return { program: parseCorpusBytecode(c.bytecode) as Instruction[], base: c.base };
    });
    const ruleSet = randomRuleSet(random, pool, 10 + Math.floor(random() * 60));
    compare(ruleSet, packets, `corpus round ${round}`);
    compared += packets.length;
  }
  assert.ok(compared > 1000);
});

Deno.test("fused classify shares loads across 100 distinct port rules", () => {
  // `tcp port N` for N = 20000..20099 as libpcap compiles it (Ethernet).
  const portProgram = (port: number): Instruction[] => [
    { code: 0x28, jt: 0, jf: 0, k: 12 },
    { code: 0x15, jt: 0, jf: 6, k: 0x86dd },
    { code: 0x30, jt: 0, jf: 0, k: 20 },
    { code: 0x15, jt: 0, jf: 15, k: 6 },
    { code: 0x28, jt: 0, jf: 0, k: 54 },
    { code: 0x15, jt: 12, jf: 0, k: port },
    { code: 0x28, jt: 0, jf: 0, k: 56 },
    { code: 0x15, jt: 10, jf: 11, k: port },
    { code: 0x15, jt: 0, jf: 10, k: 0x800 },
    { code: 0x30, jt: 0, jf: 0, k: 23 },
    { code: 0x15, jt: 0, jf: 8, k: 6 },
    { code: 0x28, jt: 0, jf: 0, k: 20 },
    { code: 0x45, jt: 6, jf: 0, k: 0x1fff },
    { code: 0xb1, jt: 0, jf: 0, k: 14 },
    { code: 0x48, jt: 0, jf: 0, k: 14 },
    { code: 0x15, jt: 2, jf: 0, k: port },
    { code: 0x48, jt: 0, jf: 0, k: 16 },
    { code: 0x15, jt: 0, jf: 1, k: port },
    { code: 0x06, jt: 0, jf: 0, k: 0x40000 },
    { code: 0x06, jt: 0, jf: 0, k: 0 },
  ];
  const programs = Array.from({ length: 100 }, (_, i) => portProgram(20000 + i));
  programs.forEach((p) => validate(p));
  const graph = _fuseRules(
    programs.map((program) => [{ program, invert: false, opaque: -1 }]),
    { maxNodes: 20000 },
  );
  // Rule by rule would be 100 × 20 instructions; the fused graph tests each
  // port once per path (table lookups) and loads each field once.
  assert.ok(graph.nodes < 1000, `${graph.nodes} nodes`);
  const ruleSet: RuleSet = {
    table: "filter",
    chains: [{
      name: "INPUT",
      policy: "ACCEPT",
      rules: programs.map((program) => ({
        base: "link",
        matches: [{ kind: "bpf", invert: false, program }],
        target: "DROP",
      })),
    }],
  };
  const random = prng(3);
  const packets = randomPackets(random, 2000);
  for (const packet of packets.slice(0, 1000)) {
    // Put a port of the set into a TCP header of some frames.
    if (packet.data[12] === 0x08 && packet.data.length >= 38) {
      packet.data[23] = 6;
      packet.data[14] = 0x45;
      packet.data[20] = 0;
      packet.data[21] = 0;
      const port = 19990 + Math.floor(random() * 120);
      packet.data[36] = port >> 8;
      packet.data[37] = port & 0xff;
    }
  }
  compare(ruleSet, packets, "100 ports");
});
