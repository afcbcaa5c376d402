/**
 * Differential fuzzing of the Wasm classifier's field loads of session 16
 * (private; rev16's review; shared by bench/fuzz_field_loads.ts and
 * tests/rules_classifier_wasm_field_loads_fuzz_test.ts): X of
 * `ldx 4*([0]&0xf)` staged once per frame as `FR_NET_X`, guards on no bits
 * checking only that their field loads, address words skipping the IP
 * checks their frame class proves — against rule-by-rule evaluation
 * (verdicts, deciding rules, every counter), the batch path, and the
 * module's own stage against JavaScript's stager word for word.
 *
 * Sets ({@linkcode _fieldLoadSet}): 20 to 200 rules, half drawn here from
 * shapes that load at X + offset in the network base (`tcp`/`udp` ports,
 * `u32` `0>>22&0x3C@k`, nested `@`, `ldxb 4*([0]&0xf)` bytecode in either
 * base), guards on no bits (`ip[k] & 0 = 0`, `tcp[k] & 0 = 0`, `u32
 * "k&0=0"`, `"0>>22&0x3C@k&0=0"`, and `& 0 = 1`, which 0 does not satisfy),
 * IPv4 and IPv6 `-s/-d` (with `-p`, so the walk narrows the class),
 * link-base `ether`/`vlan` fields, `!`, user chains by `-j`/`-g`, RETURN,
 * count-only rules; half from bench/_rule_set_generator.ts (negation
 * 0.1–0.4, 0–4 user chains). Frames ({@linkcode _fieldLoadFrames}): the
 * examples' and corpus' packets, each whole and (a third) cut at the
 * network header's start and inside it; (half of the IP ones) their IPv4
 * headers with IHL 0–15, version nibbles 0, 4, 5, 6, 15 disagreeing with
 * the link header, Ethernet types swapped, random header bytes changed.
 *
 * @module
 */
import { corpusPackets, examplePackets, trafficProfile } from "./_rule_set_fixtures.ts";
import { compileRuleSet, createFrameRef, type FrameRef } from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import type { _WasmClassifier } from "../src/rules/_classifier_wasm.ts";
import type { _classKnown, _stagedX } from "../src/rules/_classifier_wasm_field_loads.ts";
import type { _guardLoads } from "../src/rules/_classifier_wasm_guards.ts";
import {
  FR_CLASS,
  FR_IP_VERSION,
  FR_IS_IP,
  FR_NET,
  FR_NET_CAPTURED,
  FR_NET_START,
  FR_NET_X,
} from "../src/rules/_classifier_wasm_layout.ts";
import { generateRuleSet } from "../bench/_rule_set_generator.ts";
import { _batchVerdicts, _inOneBlock } from "./_wasm_block_fixtures.ts";

let packets = examplePackets();
try {
  packets = packets.concat(corpusPackets());
} catch { /* no corpus */ }
const profile = trafficProfile(packets);
const IF = ["eth0", "eth1", "lo", ""];

let r = 0x16f;
const rnd = (n: number) => {
  r = (Math.imul(r, 1103515245) + 12345) >>> 0;
  return (r >>> 8) % n;
};

/** Where the network header starts (Ethernet, one or two VLAN tags, cooked, raw), or -1. */
function networkStart(b: Uint8Array, linkType: number): number {
  if (linkType === 101 || linkType === 12 || linkType === 228 || linkType === 229) return 0;
  if (linkType === 113) return 16;
  if (linkType !== 1 || b.length < 14) return -1;
  let at = 12;
  while (at + 4 <= b.length && b[at] === 0x81 && b[at + 1] === 0) at += 4;
  return at + 2;
}

const frameOf = (p: (typeof packets)[number], bytes: Uint8Array, k: number) =>
  createFrameRef({
    bytes,
    start: 0,
    capturedLength: bytes.length,
    wireLength: rnd(4) === 0 ? bytes.length + rnd(100) : p.wireLength,
    linkType: p.linkType,
    interfaceIndex: p.interfaceIndex,
    interfaceName: IF[k % 4],
    outInterfaceName: IF[(k * 3 + 1) % 4],
  });
/**
 * The fuzz's frames (see the module comment), from every `every`-th packet
 * (1: all of them).
 */
export function _fieldLoadFrames(every = 1): FrameRef[] {
  const frames: FrameRef[] = [];
  r = 0x16f;
  let k = 0;
  for (let i = 0; i < packets.length; i += every) {
    const p = packets[i];
    const e = networkStart(p.data, p.linkType);
    // Whole and cut (a sample of the packets cut at the network header's start and inside it).
    const lengths = new Set([p.data.length]);
    if (i % 3 === 0 && e >= 0) {
      for (const d of [0, 1, 2, 9, 12, 19, 20, 21, 23, 24, 40]) lengths.add(e + d);
      lengths.add(e + rnd(70));
    }
    for (const len of lengths) {
      if (len >= 1 && len <= p.data.length) frames.push(frameOf(p, p.data.subarray(0, len), k++));
    }
    if (e < 0 || e >= p.data.length || i % 2 !== 0) continue;
    const first = p.data[e] >> 4;
    const variants: Uint8Array[] = [];
    if (first === 4) {
      // Every IHL, cut at random past it or whole.
      for (let ihl = 0; ihl < 16; ihl++) {
        if (rnd(3) !== 0) continue;
        const b = p.data.slice();
        b[e] = 0x40 | ihl;
        variants.push(b);
      }
    }
    // The version nibble disagreeing with the link header's type.
    for (const v of [0, 4, 5, 6, 15]) {
      if (v === first || rnd(3) !== 0) continue;
      const b = p.data.slice();
      b[e] = (v << 4) | (b[e] & 15);
      variants.push(b);
    }
    // The ethertype swapped (Ethernet).
    if (p.linkType === 1 && e >= 2 && rnd(2) === 0) {
      const b = p.data.slice();
      const v6 = b[e - 2] === 0x86;
      b[e - 2] = v6 ? 0x08 : 0x86;
      b[e - 1] = v6 ? 0x00 : 0xdd;
      variants.push(b);
    }
    // Random header bytes (fragment fields, protocol, lengths, ports).
    {
      const b = p.data.slice();
      const spots = [e, e + 2, e + 3, e + 6, e + 7, e + 9, e + 20, e + 22, e + 33, e + 6 + rnd(40)];
      for (let j = 0; j < 1 + rnd(3); j++) {
        const at = spots[rnd(spots.length)];
        if (at < b.length) b[at] = rnd(2) ? rnd(256) : rnd(16);
      }
      variants.push(b);
    }
    for (const b of variants) {
      const len = rnd(3) === 0 ? Math.max(1, Math.min(b.length, e + rnd(64))) : b.length;
      frames.push(frameOf(p, b.subarray(0, len), k++));
    }
  }
  return frames;
}

let rng = 0;
const rand = (n: number) => {
  rng = (Math.imul(rng, 1103515245) + 12345) >>> 0;
  return (rng >>> 8) % n;
};
const pick = <T>(a: readonly T[]) => a[rand(a.length)];

function guard(): string {
  const h = () => pick(profile.ipv4Hosts);
  const p = () => pick(profile.ports);
  const v6 = () => pick(profile.ipv6Hosts) ?? "2001:db8::1";
  const o = () => pick([0, 1, 2, 4, 8, 12, 13, 16, 20, 40, 60, rand(80)]);
  switch (rand(23)) {
    case 0:
      return `-m bpf --expr "tcp dst port ${p()}"`;
    case 1:
      return `-s ${h()} -m bpf --expr "udp src port ${p()} and ip[8] > ${rand(256)}"`;
    case 2:
      return `-m u32 --u32 "0>>22&0x3C@${pick([0, 2, 4, 12])}>>16=${p()}"`;
    case 3:
      return `-m u32 --u32 "0>>22&0x3C@12>>26&0x3C@${pick([0, 4, 8])}=0x${rand(256).toString(16)}"`;
    case 4:
      return `-m bpf --expr "ip[${o()}] & 0 = 0 and ip src host ${h()}"`;
    case 5:
      return `-m bpf --expr "tcp[${o()}] & 0 = 0"`;
    case 6:
      return `-m u32 --u32 "${o()}&0=0"`;
    case 7:
      return `-m u32 --u32 "0>>22&0x3C@${o()}&0=0"`;
    case 8:
      return `-s ${h()} -p ${pick(["tcp", "udp", "icmp"])}`;
    case 9:
      return `-d ${h()}/${pick([8, 16, 24, 32])} ${pick(["", "-p tcp", "-p udp"])}`;
    case 10:
      return `-s ${v6()} ${pick(["", "-p tcp", "-p udp", "-p 58"])}`;
    case 11:
      return `-d ${v6()}/64 -p tcp -m bpf --expr "tcp dst port ${p()}"`;
    case 12:
      return `${pick(["!", ""])} -s ${h()} -d ${h()}`;
    case 13:
      return `-m bpf --base link --expr "ether[12:2] = 0x${
        pick(["800", "86dd", "8100"])
      } and ip[0] & 0xf = ${rand(16)}"`;
    case 14:
      return `-m bpf --base link --expr "vlan and tcp dst port ${p()}"`;
    case 15:
      return `-m bpf --expr "ip6 and tcp dst port ${p()}"`;
    case 16:
      return `-m bpf --expr "ip[0] & 0xf0 = 0x${pick([4, 6, 5, 0])}0 and tcp src port ${p()}"`;
    case 17:
      return `-p tcp -m bpf ! --expr "tcp[13] & 2 != 0"`;
    case 18:
      return `-m bpf --expr "udp[${o()}:2] & 0 = 0 and udp dst port ${p()}"`;
    case 19:
      return rand(2)
        ? `-m u32 --u32 "0>>22&0x3C@0&0xFFFF=${p()} && ${o()}&0=0"`
        : `-m u32 --u32 "${o()}&0=${pick([0, 1])}"`; // a guard on no bits that 0 does not satisfy
    case 22: // (the same as bytecode, unoptimised: ldb [k]; and #0; jeq #v)
      return `-m bpf --bytecode "5,48 0 0 ${o()},84 0 0 0,21 0 1 ${pick([0, 1])},6 0 0 1,6 0 0 0"`;
    case 20:
      // ldxb 4*([0]&0xf); ldh [x + o]; jgt #v (either base).
      return `-m bpf ${pick(["", "--base link"])} --bytecode "5,177 0 0 0,72 0 0 ${o()},37 0 1 ${
        rand(65536)
      },6 0 0 1,6 0 0 0"`;
    default:
      return `-s ${h()} -m bpf --expr "(tcp dst port ${p()} or udp dst port ${p()}) and len > ${
        rand(200)
      }"`;
  }
}

/** A set of the shapes of {@linkcode guard} (see the module comment), from `seed`. */
function makeSet(seed: number): string {
  rng = seed * 7919 + 1;
  const chains = rand(3);
  const n = 20 + rand(181);
  const names = ["INPUT", ...Array.from({ length: chains }, (_, i) => `C${i}`)];
  const lines = [
    "*filter",
    `:INPUT ${pick(["ACCEPT", "DROP"])} [0:0]`,
    ...names.slice(1).map((c) => `:${c} - [0:0]`),
  ];
  for (let i = 0; i < n; i++) {
    const chain = i < n / 2 || chains === 0 ? "INPUT" : pick(names);
    const user = names.filter((c) => c !== "INPUT" && c > chain);
    let t = pick(["ACCEPT", "DROP", "", "RETURN"]);
    if (t === "RETURN" && chain === "INPUT") t = "DROP";
    if (user.length > 0 && chain === "INPUT" && rand(6) === 0) t = pick(user);
    const jump = t === "" ? "" : (user.includes(t) && rand(2) ? `-g ${t}` : `-j ${t}`);
    lines.push(`-A ${chain} ${guard()} ${jump}`.trimEnd());
  }
  lines.push("COMMIT");
  return lines.join("\n");
}

const RECORD_WORDS = [
  FR_IS_IP,
  FR_CLASS,
  FR_NET,
  FR_NET + 1,
  FR_NET + 2,
  FR_NET_START,
  FR_IP_VERSION,
  FR_NET_CAPTURED,
  FR_NET_X,
];
/** Records compared word for word (module against JavaScript). */
export const _fieldLoadCounts = { recordsCompared: 0 };

/**
 * The first disagreement of the Wasm classifier compiled from `text` with
 * rule-by-rule evaluation on `frames` (single frames, then with `batch` the
 * batch path), or of its module's stage with JavaScript's on every 4th
 * frame; `"FALLBACK ..."` when it fell back; null when they agree.
 */
export function _checkFieldLoads(
  text: string,
  frames: readonly FrameRef[],
  batch = false,
): string | null {
  const ipFrames = frames.filter((_, i) => i % 4 === 0);
  const rs = parseRuleSet(text);
  const ref = compileRuleSet(rs, { evaluation: "rule-by-rule" });
  const w = compileRuleSet(rs, { strategy: "wasm" });
  const fb = (w as { wasmFallback?: string }).wasmFallback;
  if (fb !== undefined) return "FALLBACK " + fb;
  for (const [i, f] of frames.entries()) {
    const a = ref.classify(f), b = w.classify(f);
    if (a !== b || ref.decidedBy !== w.decidedBy) {
      return `frame ${i} [${[...f.bytes.subarray(0, f.capturedLength)]}] link ${f.linkType}: ` +
        `wasm ${b} by ${w.decidedBy}, rule by rule ${a} by ${ref.decidedBy}`;
    }
  }
  const [x, y] = [JSON.stringify(w.counters!()), JSON.stringify(ref.counters!())];
  if (x !== y) return `counters ${x} vs ${y}`;
  if (batch) {
    const { block, frames: inBlock } = _inOneBlock(frames);
    const verdicts = _batchVerdicts(w, block, inBlock);
    for (const [i, f] of frames.entries()) {
      const a = ref.classify(f);
      if (a !== (verdicts[i] !== 0)) {
        return `batch frame ${i} [${[...f.bytes.subarray(0, f.capturedLength)]}]: wasm ${
          verdicts[i]
        }, rule by rule ${a} by ${ref.decidedBy}`;
      }
    }
  }
  // The module's stage against JavaScript's, on IP frames, where the network window is staged.
  const wasm = w as unknown as _WasmClassifier;
  for (const f of ipFrames) {
    const want = wasm._stagedRecord(f, "javascript");
    const got = wasm._stagedRecord(f, "module");
    if (want === undefined || got === undefined || want[FR_IS_IP] !== 1) continue;
    if (got[FR_NET + 0] !== want[FR_NET + 0] && got[FR_NET_X] === want[FR_NET_X]) continue; // (not staged by JS)
    _fieldLoadCounts.recordsCompared++;
    for (const word of RECORD_WORDS) {
      if (got[word] !== want[word]) {
        return `record word ${word} of [${[...f.bytes.subarray(0, f.capturedLength)]}]: module ${
          got[word]
        }, JavaScript ${want[word]}`;
      }
    }
  }
  return null;
}

/** Set `s` of the fuzz: odd seeds from bench/_rule_set_generator.ts, even ones of {@linkcode guard}'s shapes. */
export function _fieldLoadSet(s: number): string {
  return s % 2 === 1
    ? generateRuleSet(s, {
      rules: 20 + s % 181,
      profile,
      userChains: s % 5,
      negation: 0.1 + (s % 4) * 0.1,
    }).text
    : makeSet(s);
}
