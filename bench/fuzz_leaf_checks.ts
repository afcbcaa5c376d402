/**
 * Fuzz (review rev15b, session 15, issue 11): the Wasm classifier with exact
 * entries checked at their index leaf (src/rules/_classifier_wasm_leaf_checks.ts)
 * against rule-by-rule evaluation: verdicts, deciding rules and every
 * counter, on sets of 20 to 256 rules (two of three drawn here, biased to
 * exact rules of 2 to 4 guards on shared fields: hosts + ports, masked
 * words, `-s/-d/-p`, `!`, u32 `@`, both bases, user chains with `-j`/`-g`,
 * RETURN, count-only rules; one of three from bench/_rule_set_generator.ts)
 * over the examples' and corpus' frames, each also cut to 14..60 bytes and
 * one and three bytes short.
 *
 * Usage: `deno run -A bench/fuzz_leaf_checks.ts FIRST_SEED COUNT`; env
 * `WIDE=1` (more guard shapes: nets, port ranges, masked u32 words, IPv6,
 * ICMP, `len`, VLAN, negated programs), `MUT=1` (mutated header bytes:
 * IHL, fragment fields, protocol, ethertype), `BATCH=1` (the batch path,
 * frames side by side in one block), `NEGATION=0.4` (the generator's share
 * of `!`), `PLANT=1` (the first guard of each
 * check left out: must report mismatches). Prints the mismatches (at most
 * three sets) and the number of rules checked at leaves.
 */
import { corpusPackets, examplePackets, trafficProfile } from "../tests/_rule_set_fixtures.ts";
import { compileRuleSet, createFrameRef, type FrameRef } from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import { _leafChecking } from "../src/rules/_classifier_wasm_leaf_checks.ts";
import { generateRuleSet } from "../bench/_rule_set_generator.ts";
import { _batchVerdicts, _inOneBlock } from "../tests/_wasm_block_fixtures.ts";
const WIDE = Deno.env.get("WIDE") === "1";
const NEGATION = Number(Deno.env.get("NEGATION") ?? 0.1);
const BATCH = Deno.env.get("BATCH") === "1";

const base = Number(Deno.args[0] ?? 1);
const count = Number(Deno.args[1] ?? 100);
let packets = examplePackets();
try {
  packets = packets.concat(corpusPackets());
} catch { /* no corpus */ }
const profile = trafficProfile(packets);
const IF = ["eth0", "eth1", "lo", ""];
const frames: FrameRef[] = [];
let k = 0;
for (const p of packets) {
  const lens = new Set([
    p.data.length,
    14,
    15,
    20,
    23,
    24,
    26,
    30,
    34,
    36,
    38,
    40,
    42,
    46,
    54,
    60,
    p.data.length - 1,
    p.data.length - 3,
  ]);
  for (const len of lens) {
    if (len < 1 || len > p.data.length) continue;
    frames.push(createFrameRef({
      bytes: p.data.subarray(0, len),
      start: 0,
      capturedLength: len,
      wireLength: p.wireLength,
      linkType: p.linkType,
      interfaceIndex: p.interfaceIndex,
      interfaceName: IF[k % 4],
      outInterfaceName: IF[(k * 3 + 1) % 4],
    }));
    k++;
  }
}
let rng = 0;
if (Deno.env.get("MUT") === "1") {
  // Mutated copies: header bytes changed (IHL, fragment fields, protocol, ethertype), some cut.
  let r = 12345;
  const rnd = (n: number) => {
    r = (Math.imul(r, 1103515245) + 12345) >>> 0;
    return (r >>> 8) % n;
  };
  const mutated: FrameRef[] = [];
  const pick0 = (a: number[]) => a[rnd(a.length)];
  for (let i = 0; i < packets.length; i += 3) {
    const p = packets[i];
    for (let m = 0; m < 2; m++) {
      const bytes = p.data.slice();
      const e = p.linkType === 1 ? 14 : 0;
      const spots = [e, e, e + 6, e + 7, e + 9, 12, 13, e + 2, e + 3, e + 20, e + 22, e + 33];
      for (let j = 0; j < 1 + rnd(2); j++) {
        const at = rnd(3) === 0 ? rnd(Math.min(64, bytes.length)) : pick0(spots);
        if (at < bytes.length) {
          bytes[at] = rnd(4) === 0 ? rnd(256) : (at === e ? 0x40 | rnd(16) : rnd(256));
        }
      }
      const len = rnd(3) === 0 ? Math.max(1, bytes.length - rnd(40)) : bytes.length;
      mutated.push(
        createFrameRef({
          bytes: bytes.subarray(0, len),
          start: 0,
          capturedLength: len,
          wireLength: p.wireLength,
          linkType: p.linkType,
          interfaceIndex: p.interfaceIndex,
          interfaceName: IF[i % 4],
          outInterfaceName: IF[(i + 1) % 4],
        }),
      );
    }
  }
  frames.push(...mutated);
}
const rand = (n: number) => {
  rng = (Math.imul(rng, 1103515245) + 12345) >>> 0;
  return (rng >>> 8) % n;
};
const pick = <T>(a: readonly T[]) => a[rand(a.length)];

function guard(): string {
  const h = () => pick(profile.ipv4Hosts), p = () => pick(profile.ports);
  const net = () => h().split(".").slice(0, 2).join(".") + ".0.0/" + pick([8, 12, 16, 24]);
  const v6 = () => pick(profile.ipv6Hosts);
  if (WIDE && rand(2) === 0) {
    switch (rand(12)) {
      case 0:
        return `-s ${net()} -p tcp -m bpf --expr "tcp dst portrange ${p()}-${p() + 100}"`;
      case 1:
        return `-m u32 --u32 "12&0xffff0000=0x${rand(65536).toString(16)}0000 && 16=0x${
          h().split(".").map((x) => (+x).toString(16).padStart(2, "0")).join("")
        }"`;
      case 2:
        return v6() ? `-s ${v6()} -p tcp -m bpf --expr "tcp dst port ${p()}"` : `-p udp`;
      case 3:
        return `-d ${net()} -m bpf --expr "icmp[0] = ${pick([0, 3, 8, 11])}"`;
      case 4:
        return `-m bpf --expr "len >= ${rand(1500)} and ip dst host ${h()}"`;
      case 5:
        return `-m bpf --base link --expr "ether[0:4] & 0xffff0000 = 0x${
          rand(65536).toString(16)
        }0000 and ip[9] = 6"`;
      case 6:
        return `-s ${h()} -m bpf ! --expr "ip[8] < ${rand(256)}"`;
      case 7:
        return `! -s ${h()} -d ${h()} -p tcp`;
      case 8:
        return `-m u32 --u32 "0>>22&0x3C@12>>26&0x3C@0=${rand(256)}"`;
      case 9:
        return `-m bpf --base link --expr "vlan ${
          pick(profile.vlanIds.length ? profile.vlanIds : [1])
        } and ip src host ${h()}"`;
      case 10:
        return `-p tcp -m bpf --expr "tcp[13] & 0x12 = 0x12 and tcp src port ${p()}"`;
      default:
        return `-s ${h()} -m bpf --expr "udp[8:2] = ${rand(65536)} and udp dst port ${p()}"`;
    }
  }
  switch (rand(16)) {
    case 0:
      return `-s ${h()} -d ${h()} -p ${pick(["tcp", "udp"])}`;
    case 1:
      return `-m bpf --expr "tcp dst port ${p()} and ip src host ${h()}"`;
    case 2:
      return `-m bpf --expr "udp port ${p()} and ip[8] = ${pick(profile.ttls)}"`;
    case 3:
      return `-s ${h()} -m u32 --u32 "0>>22&0x3C@0&0xFFFF=${p()}"`;
    case 4:
      return `-d ${h()} -m u32 --u32 "0>>22&0x3C@0>>16=${p()}"`;
    case 5:
      return `-s ${h()} ${pick(["!", ""])} -p tcp`;
    case 6:
      return `-m bpf ${pick(["!", ""])} --expr "tcp src port ${p()} and tcp dst port ${p()}"`;
    case 7:
      return `-p tcp -m bpf --expr "ip[6:2] & 0x1fff = 0 and tcp dst port ${p()}"`;
    case 8:
      return `-m bpf --base link --expr "ether[12:2] = 0x800 and ip src host ${h()} and tcp dst port ${p()}"`;
    case 9:
      return `-m bpf --base link --expr "vlan and tcp dst port ${p()}"`;
    case 10:
      return `-m bpf --expr "ip6 and tcp dst port ${p()}"`;
    case 11:
      return `-d ${h()} -m bpf --expr "ip[2:2] & 0xff00 = ${rand(4) * 256}"`;
    case 12:
      return `-m u32 --u32 "12=0x${rand(256).toString(16)}000000:0xffffffff"`;
    case 13:
      return `-s ${h()} -m bpf --expr "tcp[13] & 2 != 0"`;
    case 14:
      return `-d ${h()} ! -s ${h()}`;
    default:
      return `-m bpf --expr "(tcp dst port ${p()} or udp dst port ${p()}) and ip dst host ${h()}"`;
  }
}
function makeSet(seed: number): string {
  rng = seed * 7919 + 1;
  const chains = rand(3);
  const n = 20 + rand(237);
  const names = ["INPUT", ...Array.from({ length: chains }, (_, i) => `C${i}`)];
  const lines = [
    "*filter",
    `:INPUT ${pick(["ACCEPT", "DROP"])} [0:0]`,
    ...names.slice(1).map((c) => `:${c} - [0:0]`),
  ];
  for (let i = 0; i < n; i++) {
    const chain = i < n / 2 || chains === 0 ? "INPUT" : pick(names);
    const targets = ["ACCEPT", "DROP", "", "RETURN"];
    const user = names.filter((c) => c !== "INPUT" && c > chain);
    let t = pick(targets);
    if (t === "RETURN" && chain === "INPUT") t = "DROP";
    if (user.length > 0 && chain === "INPUT" && rand(6) === 0) t = pick(user);
    const jump = t === "" ? "" : (user.includes(t) && rand(2) ? `-g ${t}` : `-j ${t}`);
    lines.push(`-A ${chain} ${guard()} ${jump}`.trimEnd());
  }
  lines.push("COMMIT");
  return lines.join("\n");
}
const blocked = BATCH ? _inOneBlock(frames) : null;
function check(text: string): string | null {
  const rs = parseRuleSet(text);
  const ref = compileRuleSet(rs, { evaluation: "rule-by-rule" });
  const w = compileRuleSet(rs, { strategy: "wasm" });
  const fb = (w as { wasmFallback?: string }).wasmFallback;
  if (fb !== undefined) return "FALLBACK " + fb;
  if (BATCH) {
    const { block, frames: inBlock } = blocked!;
    const verdicts = _batchVerdicts(w, block, inBlock);
    for (const [i, f] of frames.entries()) {
      const a = ref.classify(f);
      if (a !== (verdicts[i] !== 0)) {
        return `batch frame ${i} len ${f.capturedLength}: wasm ${
          verdicts[i]
        }, rbr ${a} by ${ref.decidedBy}`;
      }
    }
  } else {for (const [i, f] of frames.entries()) {
      const a = ref.classify(f), b = w.classify(f);
      if (a !== b || ref.decidedBy !== w.decidedBy) {
        return `frame ${i} len ${f.capturedLength}: wasm ${b} by ${w.decidedBy}, rbr ${a} by ${ref.decidedBy}`;
      }
    }}
  const [x, y] = [JSON.stringify(w.counters!()), JSON.stringify(ref.counters!())];
  return x === y ? null : `counters ${x} vs ${y}`;
}
if (Deno.env.get("PLANT") === "1") _leafChecking.plant = (g) => g.slice(1);
let bad = 0, fallbacks = 0, setsChecked = 0;
const made0 = _leafChecking.made;
for (let s = base; s < base + count; s++) {
  const text = s % 3 === 2
    ? generateRuleSet(s, { rules: 20 + s % 237, profile, userChains: s % 4, negation: NEGATION })
      .text
    : makeSet(s);
  let r: string | null;
  const before = _leafChecking.made;
  try {
    r = check(text);
  } catch (e) {
    r = "THROW " + e;
  }
  if (_leafChecking.made > before) setsChecked++;
  if (r?.startsWith("FALLBACK")) {
    fallbacks++;
    continue;
  }
  if (r !== null) {
    bad++;
    if (bad <= 3) console.log(`seed ${s}: ${r}\n${text}\n`);
  }
}
const made = _leafChecking.made - made0;
console.log(`seeds ${base}..${base + count - 1} frames ${frames.length}`);
console.log(
  `mismatches ${bad} fallbacks ${fallbacks} leafchecks ${made} setsWithChecks ${setsChecked}`,
);
