/**
 * The Wasm classifier's walk checking an exact entry's unchecked guards at
 * its leaf (src/rules/_classifier_wasm_leaf_checks.ts): against rule-by-rule
 * evaluation (verdicts, deciding rules, counters) on a hand-built set whose
 * leaves hold exact rules not split on all their guards and on generated
 * sets (chains, RETURN, `-g`, negation, count-only rules), on whole frames
 * and on frames cut short; and the same comparison failing when a wrong
 * check is planted.
 */
import assert from "node:assert/strict";
import { examplePackets, framesWithInterfaces, trafficProfile } from "./_rule_set_fixtures.ts";
import { compileRuleSet, createFrameRef, type FrameRef } from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import type { RuleSet } from "../src/rules/rule_set.ts";
import { _leafChecking } from "../src/rules/_classifier_wasm_leaf_checks.ts";
import type { _Guard } from "../src/rules/_guards.ts";
import { generateRuleSet } from "../bench/_rule_set_generator.ts";

const packets = examplePackets();
const frames = framesWithInterfaces(packets);
const profile = trafficProfile(packets);

/** The first disagreement of the Wasm classifier with rule-by-rule evaluation, or null. */
function _disagreement(ruleSet: RuleSet, frames: readonly FrameRef[]): string | null {
  const reference = compileRuleSet(ruleSet, { evaluation: "rule-by-rule" });
  const wasm = compileRuleSet(ruleSet, { strategy: "wasm" });
  const fallback = (wasm as { wasmFallback?: string }).wasmFallback;
  assert.equal(fallback, undefined, "fell back");
  for (const [i, frame] of frames.entries()) {
    const want = reference.classify(frame);
    const got = wasm.classify(frame);
    if (got !== want || wasm.decidedBy !== reference.decidedBy) {
      return `packet ${i} is ${got ? "accepted" : "dropped"} by rule ${wasm.decidedBy}, ` +
        `rule by rule ${want ? "accepted" : "dropped"} by rule ${reference.decidedBy}`;
    }
  }
  assert.equal(typeof wasm.counters, "function");
  const [a, b] = [JSON.stringify(wasm.counters()), JSON.stringify(reference.counters())];
  return a === b ? null : `counters differ: ${a} against ${b}`;
}

/**
 * Ports and hosts tested by two rules each with guards on other fields, so
 * that leaves of at most two entries hold exact rules whose other guards
 * the path did not split on; a user chain reached by `-j` and `-g`, RETURN,
 * count-only rules and a negated match.
 */
function _handBuilt(): string {
  const hosts = profile.ipv4Hosts.slice(0, 8);
  const ports = profile.ports.slice(0, 8);
  const lines = ["*filter", ":INPUT ACCEPT [0:0]", ":SIDE - [0:0]"];
  ports.forEach((port, i) => {
    lines.push(`-A INPUT -m bpf --expr "tcp dst port ${port} and ip[8] < 200" -j SIDE`);
    lines.push(`-A INPUT -p udp -m u32 --u32 "0>>22&0x3C@0&0xFFFF=${port}" -j DROP`);
    lines.push(`-A SIDE -s ${hosts[i]} -m bpf --expr "tcp src port ${port}" -j RETURN`);
    lines.push(`-A SIDE -m bpf --expr "ip[6:2] & 0x1fff = 0 and tcp[13] & 2 != 0"`);
  });
  hosts.forEach((host, i) => {
    lines.push(
      `-A INPUT -d ${host} -p ${i % 2 === 0 ? "tcp" : "icmp"} -j ${i % 3 ? "DROP" : "ACCEPT"}`,
    );
    lines.push(`-A INPUT -s ${host} ! -p tcp -g SIDE`);
  });
  lines.push("COMMIT");
  return lines.join("\n");
}

/** The hand-built set and generated ones (both bases, chains, negation, count-only rules). */
function _sets(): string[] {
  const sets = [_handBuilt()];
  for (let seed = 500; seed < 540; seed++) {
    sets.push(generateRuleSet(seed, { rules: 10 + seed % 90, profile, userChains: seed % 4 }).text);
  }
  return sets;
}

Deno.test("exact rules checked at their leaf agree with rule-by-rule evaluation", () => {
  const sets = _sets();
  const first = _leafChecking.made;
  for (const [i, text] of sets.entries()) {
    const before = _leafChecking.made;
    const wrong = _disagreement(parseRuleSet(text), frames);
    assert.equal(wrong, null, `set ${i}: ${wrong}\n${text}`);
    if (i === 0) {
      assert.ok(_leafChecking.made > before, "the hand-built set checks no rule at a leaf");
    }
  }
  assert.ok(_leafChecking.made - first >= sets.length, `${_leafChecking.made - first} leaf checks`);
});

/**
 * The frames cut short (14 to 60 bytes, and one byte short of whole): a
 * guard checked at a leaf past the captured bytes must fail as its load
 * fails in rule-by-rule evaluation (review rev15b: a check that skipped its
 * bounds test passed every test above).
 */
function _cutFrames(): FrameRef[] {
  const cut: FrameRef[] = [];
  frames.forEach((frame) => {
    for (const length of [14, 18, 20, 24, 30, 34, 38, 42, 46, 54, 60, frame.capturedLength - 1]) {
      if (length < 1 || length >= frame.capturedLength) continue;
      cut.push(createFrameRef({
        ...frame,
        bytes: frame.bytes.subarray(frame.start, frame.start + length),
        start: 0,
        capturedLength: length,
      }));
    }
  });
  return cut;
}

Deno.test("exact rules checked at their leaf agree with rule-by-rule evaluation on frames cut short", () => {
  const cut = _cutFrames();
  const first = _leafChecking.made;
  for (const [i, text] of _sets().entries()) {
    const wrong = _disagreement(parseRuleSet(text), cut);
    assert.equal(wrong, null, `set ${i}: ${wrong}\n${text}`);
  }
  assert.ok(_leafChecking.made > first, "no rule checked at a leaf");
});

Deno.test("a wrong leaf check disagrees with rule-by-rule evaluation", () => {
  const plants: [string, (guards: readonly _Guard[]) => readonly _Guard[]][] = [
    ["the first guard left out", (guards) => guards.slice(1)],
    ["the last guard left out", (guards) => guards.slice(0, -1)],
    ["a value one off", (guards) => guards.map((g) => ({ ...g, lo: g.lo + 1, hi: g.hi + 1 }))],
  ];
  const sets = _sets();
  for (const [what, plant] of plants) {
    _leafChecking.plant = plant;
    try {
      const found = sets.some((text) => _disagreement(parseRuleSet(text), frames) !== null);
      assert.ok(found, `${what}: no set disagrees`);
    } finally {
      _leafChecking.plant = null;
    }
  }
});

Deno.test("without leaf checks the Wasm classifier lists the index's codes, and agrees", () => {
  _leafChecking.on = false;
  const before = _leafChecking.made;
  try {
    const wrong = _disagreement(parseRuleSet(_handBuilt()), frames);
    assert.equal(wrong, null, wrong ?? "");
    assert.equal(_leafChecking.made, before);
  } finally {
    _leafChecking.on = true;
  }
});
