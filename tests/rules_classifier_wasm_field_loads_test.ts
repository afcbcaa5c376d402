/**
 * The Wasm classifier's field loads (src/rules/_classifier_wasm_field_loads.ts,
 * session 16): loads at X + offset read X of `ldx 4*([0]&0xf)` from the
 * frame record (`FR_NET_X`, staged once per frame), a guard on no bits only
 * checks that its field loads, and an address word skips the IP checks the
 * frame's class proves. Against rule-by-rule evaluation (verdicts, deciding
 * rules, counters) on a hand-built set of such loads and on generated sets,
 * over IPv4 frames whose header length nibble takes every value (0 to 15,
 * options and headers too short included), frames cut short and IP
 * frames whose version nibble disagrees with their link header, and with
 * each of the three off (the form before).
 */
import assert from "node:assert/strict";
import { examplePackets, framesWithInterfaces, trafficProfile } from "./_rule_set_fixtures.ts";
import { compileRuleSet, createFrameRef, type FrameRef } from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import type { RuleSet } from "../src/rules/rule_set.ts";
import { _classKnown, _stagedX } from "../src/rules/_classifier_wasm_field_loads.ts";
import { _guardLoads } from "../src/rules/_classifier_wasm_guards.ts";
import { generateRuleSet } from "../bench/_rule_set_generator.ts";

const packets = examplePackets();
const frames = framesWithInterfaces(packets);
const profile = trafficProfile(packets);

/** The first disagreement of the Wasm classifier with rule-by-rule evaluation, or null. */
function _disagreement(ruleSet: RuleSet, frames: readonly FrameRef[]): string | null {
  const reference = compileRuleSet(ruleSet, { evaluation: "rule-by-rule" });
  const wasm = compileRuleSet(ruleSet, { strategy: "wasm" });
  assert.equal((wasm as { wasmFallback?: string }).wasmFallback, undefined, "fell back");
  for (const [i, frame] of frames.entries()) {
    const want = reference.classify(frame);
    const got = wasm.classify(frame);
    if (got !== want || wasm.decidedBy !== reference.decidedBy) {
      return `frame ${i} is ${got ? "accepted" : "dropped"} by rule ${wasm.decidedBy}, ` +
        `rule by rule ${want ? "accepted" : "dropped"} by rule ${reference.decidedBy}`;
    }
  }
  const [a, b] = [JSON.stringify(wasm.counters()), JSON.stringify(reference.counters())];
  return a === b ? null : `counters differ: ${a} against ${b}`;
}

/** A frame of `bytes` as `like` (its link type and interfaces). */
function _frameOf(like: FrameRef, bytes: Uint8Array): FrameRef {
  return createFrameRef({ ...like, bytes, start: 0, capturedLength: bytes.length });
}

/**
 * Each Ethernet IPv4 frame (no tag) with its header length nibble set to
 * every value, whole and cut to 15, 20, 34, 38, 40 and 54 bytes: loads at X +
 * offset past the header, inside it, and past the captured bytes.
 */
function _headerLengthFrames(): FrameRef[] {
  const out: FrameRef[] = [];
  for (const frame of frames) {
    const b = frame.bytes.subarray(frame.start, frame.start + frame.capturedLength);
    if (frame.linkType !== 1 || b.length < 34 || b[12] !== 8 || b[13] !== 0 || b[14] >> 4 !== 4) {
      continue;
    }
    for (let ihl = 0; ihl < 16; ihl++) {
      const copy = b.slice();
      copy[14] = 0x40 | ihl;
      out.push(_frameOf(frame, copy));
      for (const length of [15, 20, 34, 38, 40, 54]) {
        if (length < copy.length) out.push(_frameOf(frame, copy.subarray(0, length)));
      }
    }
    if (out.length > 6000) break;
  }
  return out;
}

/**
 * Each Ethernet IP frame (no tag) with the version nibble of the other
 * version and of none: frames of class "other IP", whose address words
 * must not be read as the descriptor's version's.
 */
function _versionFrames(): FrameRef[] {
  const out: FrameRef[] = [];
  for (const frame of frames) {
    const b = frame.bytes.subarray(frame.start, frame.start + frame.capturedLength);
    const v6 = b[12] === 0x86 && b[13] === 0xdd;
    if (frame.linkType !== 1 || b.length < 34 || !(v6 || (b[12] === 8 && b[13] === 0))) continue;
    for (const nibble of [v6 ? 4 : 6, 0]) {
      const copy = b.slice();
      copy[14] = (nibble << 4) | (copy[14] & 15);
      out.push(_frameOf(frame, copy));
    }
  }
  return out;
}

/**
 * Loads at X + offset (ports, `u32` with `@`, ICMP type, TCP flags, a
 * second `@`), `u32` words that only have to load (a guard on no bits),
 * addresses of both versions, at both bases, with a user chain, RETURN,
 * count-only rules and negation.
 */
function _handBuilt(): string {
  const v4 = profile.ipv4Hosts.slice(0, 6);
  const v6 = profile.ipv6Hosts.slice(0, 3);
  const ports = profile.ports.slice(0, 6);
  const lines = ["*filter", ":INPUT ACCEPT [0:0]", ":SIDE - [0:0]"];
  ports.forEach((port, i) => {
    lines.push(`-A INPUT -m bpf --expr "tcp dst port ${port}" -s ${v4[i]} -j SIDE`);
    lines.push(`-A INPUT -p udp -m u32 --u32 "0>>22&0x3C@0&0xFFFF=${port}" -j DROP`);
    lines.push(`-A INPUT -m u32 --u32 "0>>22&0x3C@4=0:0xFFFFFFFF" -d ${v4[(i + 1) % 6]}`);
    lines.push(`-A INPUT -m u32 --u32 "0>>22&0x3C@12>>26&0x3C@0=${port}" -j ACCEPT`);
    lines.push(`-A SIDE -m bpf --expr "tcp src port ${port} and tcp[13] & 2 != 0" -j RETURN`);
    lines.push(`-A INPUT --base link -m u32 --u32 "14>>22&0x3C@14&0xFFFF=${port}" -j DROP`);
  });
  v6.forEach((host, i) => {
    lines.push(`-A INPUT -s ${host} -p tcp -j ${i % 2 === 0 ? "DROP" : "ACCEPT"}`);
    lines.push(`-A INPUT ! -d ${host} -m bpf --expr "icmp[0] = 8"`);
  });
  lines.push(`-A INPUT -m bpf --expr "icmp[icmptype] = 0 and ip[8] < 128" -j DROP`);
  lines.push(`-A INPUT -m u32 --u32 "0>>22&0x3C@8=0:0xFFFFFFFF&&6&0xFF=6" -j SIDE`);
  lines.push("COMMIT");
  return lines.join("\n");
}

/** The hand-built set and generated ones. */
function _sets(): string[] {
  const sets = [_handBuilt()];
  for (let seed = 560; seed < 580; seed++) {
    sets.push(generateRuleSet(seed, { rules: 20 + seed % 80, profile, userChains: seed % 3 }).text);
  }
  return sets;
}

const _TOGGLES = [
  ["X staged", _stagedX],
  ["guards on no bits", _guardLoads],
  ["classes known", _classKnown],
] as const;

Deno.test("Wasm field loads agree with rule-by-rule evaluation on every IPv4 header length", () => {
  const tested = [...frames, ..._headerLengthFrames(), ..._versionFrames()];
  const made = _TOGGLES.map(([, toggle]) => toggle.made);
  for (const [i, text] of _sets().entries()) {
    const wrong = _disagreement(parseRuleSet(text), tested);
    assert.equal(wrong, null, `set ${i}: ${wrong}\n${text}`);
  }
  // Each of the three was emitted (so this test cannot pass idle).
  _TOGGLES.forEach(([what, toggle], i) => assert.ok(toggle.made > made[i], `no ${what}`));
});

Deno.test("Wasm field loads agree as before each of session 16's changes", () => {
  const tested = [...frames, ..._headerLengthFrames(), ..._versionFrames()];
  const text = _handBuilt();
  for (const [what, toggle] of _TOGGLES) {
    toggle.on = false;
    try {
      const wrong = _disagreement(parseRuleSet(text), tested);
      assert.equal(wrong, null, `without ${what}: ${wrong}`);
    } finally {
      toggle.on = true;
    }
  }
});
