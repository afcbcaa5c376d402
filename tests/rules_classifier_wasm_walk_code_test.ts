/**
 * The Wasm classifier's walks as code cut into functions
 * (src/rules/_classifier_wasm_walk.ts `_walkCodeLimits`): dispatches and
 * chains cut into functions of their own, range nodes' children run at their
 * intervals, inline or called. Against rule-by-rule evaluation with every cut
 * taken and none, and the bound on a walk function's size.
 */
import assert from "node:assert/strict";
import { examplePackets, framesWithInterfaces, trafficProfile } from "./_rule_set_fixtures.ts";
import { compileRuleSet, type FrameRef } from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import type { RuleSet } from "../src/rules/rule_set.ts";
import { _testFunctionsHook } from "../src/rules/_classifier_wasm_rule_tests.ts";
import {
  _segmentedRuns,
  _swappedDispatch,
  _walkCodeLimits,
} from "../src/rules/_classifier_wasm_walk.ts";
import { _segmentLimits } from "../src/rules/_rule_index.ts";
import { generateRuleSet } from "../bench/_rule_set_generator.ts";

/** Every verdict, deciding rule and counter of the Wasm classifier against rule-by-rule evaluation. */
function _agree(ruleSet: RuleSet, frames: readonly FrameRef[], what: string): void {
  const reference = compileRuleSet(ruleSet, { evaluation: "rule-by-rule" });
  const wasm = compileRuleSet(ruleSet, { strategy: "wasm" });
  const fallback = (wasm as { wasmFallback?: string }).wasmFallback;
  assert.equal(fallback, undefined, `${what}: fell back`);
  frames.forEach((frame, i) => {
    const want = reference.classify(frame);
    const got = wasm.classify(frame);
    if (got !== want || wasm.decidedBy !== reference.decidedBy) {
      assert.fail(
        `${what}: packet ${i} is ${got ? "accepted" : "dropped"} by rule ${wasm.decidedBy}, ` +
          `rule by rule ${want ? "accepted" : "dropped"} by rule ${reference.decidedBy}`,
      );
    }
  });
  assert.deepEqual(wasm.counters(), reference.counters(), `${what}: counters differ`);
}

/** Runs `fn` with `_walkCodeLimits` (and `_segmentLimits`) changed, then restores them. */
function _with(
  limits: Partial<typeof _walkCodeLimits>,
  segments: Partial<typeof _segmentLimits>,
  fn: () => void,
): void {
  const saved = { ..._walkCodeLimits };
  const savedSegments = { ..._segmentLimits };
  Object.assign(_walkCodeLimits, limits);
  Object.assign(_segmentLimits, segments);
  try {
    fn();
  } finally {
    Object.assign(_walkCodeLimits, saved);
    Object.assign(_segmentLimits, savedSegments);
  }
}

/** The body sizes of the functions of each module compiled while `fn` runs. */
function _functionSizes(fn: () => void): number[][] {
  const modules: number[][] = [];
  const Original = WebAssembly.Module;
  class Capturing extends Original {
    constructor(bytes: BufferSource) {
      modules.push(_bodySizes(new Uint8Array(bytes as ArrayBuffer)));
      super(bytes);
    }
  }
  (WebAssembly as { Module: typeof WebAssembly.Module }).Module = Capturing;
  try {
    fn();
  } finally {
    (WebAssembly as { Module: typeof WebAssembly.Module }).Module = Original;
  }
  return modules;
}

/** The code section's body sizes (WebAssembly core spec 5.5.13). */
function _bodySizes(bytes: Uint8Array): number[] {
  let at = 8;
  const leb = (): number => {
    let value = 0;
    for (let shift = 0;; shift += 7) {
      const byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = leb();
    if (id !== 10) {
      at += size;
      continue;
    }
    const sizes: number[] = [];
    for (let n = leb(); n > 0; n--) {
      const body = leb();
      sizes.push(body);
      at += body;
    }
    return sizes;
  }
  return [];
}

const packets = examplePackets();
const frames = framesWithInterfaces(packets);
const profile = trafficProfile(packets);

Deno.test("the Wasm classifier agrees with rule-by-rule evaluation with every walk dispatch, chain and range child cut into functions", () => {
  _with({ chunkBytes: 0, childBytes: 0, inlineBytes: 0 }, { first: 8, twoStepFirst: 8 }, () => {
    for (let seed = 1; seed <= 120; seed++) {
      const rules = seed % 10 === 0 ? 200 + seed : 5 + (seed % 40);
      const generated = generateRuleSet(seed, { rules, profile, userChains: seed % 4 });
      _agree(parseRuleSet(generated.text), frames, `seed ${seed} (all cut)\n${generated.text}`);
    }
  });
});

Deno.test("the Wasm classifier agrees with rule-by-rule evaluation with range children inlined and nothing cut", () => {
  const none = { chunkBytes: 1 << 30, childBytes: 1 << 30, inlineBytes: 1 << 30 };
  _with(none, {}, () => {
    for (let seed = 200; seed <= 260; seed++) {
      const rules = seed % 10 === 0 ? 300 : 5 + (seed % 40);
      const generated = generateRuleSet(seed, { rules, profile, userChains: seed % 3 });
      _agree(parseRuleSet(generated.text), frames, `seed ${seed} (none cut)\n${generated.text}`);
    }
  });
});

Deno.test("a long chain's Wasm run in steps (a segment, the codes before the next, ...) agrees with rule-by-rule evaluation", () => {
  // Chains past 256 rules take each segment's codes before the later segments are walked; a jump
  // leaves the segments not walked yet to the chain's resumption. `steps: 2` is the two-step form.
  for (const steps of [2, 64]) {
    for (const twoStepFirst of [8, 40]) {
      const saved = _segmentedRuns.steps;
      _segmentedRuns.steps = steps;
      try {
        _with({}, { twoStepFirst }, () => {
          const before = _segmentedRuns.made;
          for (let seed = 1; seed <= 8; seed++) {
            const generated = generateRuleSet(seed, {
              rules: 560 + 40 * seed,
              profile,
              userChains: seed % 3,
              policy: seed % 2 === 0 ? "DROP" : "ACCEPT",
            });
            const ruleSet = parseRuleSet(generated.text);
            assert.ok(
              ruleSet.chains.some((c) => c.rules.length > 256),
              `seed ${seed}: no long chain`,
            );
            const what = `seed ${seed} (${steps} steps from ${twoStepFirst})\n${generated.text}`;
            _agree(ruleSet, frames, what);
          }
          assert.ok(_segmentedRuns.made - before >= 8, "no run in steps was emitted");
        });
      } finally {
        _segmentedRuns.steps = saved;
      }
    }
  }
});

/**
 * A dense jump table whose cases are each under the cut limits: 24
 * destination ports (one table) × 48 rules with other guards under each.
 */
function _denseTableSet(): string {
  const rules: string[] = [];
  for (let p = 0; p < 24; p++) {
    for (let k = 0; k < 12; k++) {
      const port = `tcp dst port ${1000 + p}`;
      rules.push(`-A INPUT -m bpf --expr "${port} and src net 10.${k}.${p}.0/24" -j ACCEPT`);
      rules.push(`-A INPUT -m bpf --expr "${port} and tcp src port ${3000 + 7 * k}" -j DROP`);
      rules.push(`-A INPUT -m bpf --expr "${port} and dst net 10.${100 + k}.${p}.0/24" -j ACCEPT`);
      rules.push(`-A INPUT -m bpf --expr "${port} and ip[8] = ${k * 3}" -j DROP`);
    }
  }
  return `*filter\n:INPUT ACCEPT [0:0]\n${rules.join("\n")}\nCOMMIT\n`;
}

for (
  const [what, text] of [
    [
      "a chain of thousands of rules",
      () => generateRuleSet(5, { rules: 4000, profile, interfaces: false }).text,
    ],
    ["a dense jump table of many short cases", _denseTableSet],
  ] as const
) {
  Deno.test(`no Wasm walk function of ${what} is longer than its bound`, () => {
    const ruleSet = parseRuleSet(text());
    /** The longest function after the rules' tests (the walks, loops, staging). */
    const largest = (
      limits: Partial<typeof _walkCodeLimits>,
      segments: Partial<typeof _segmentLimits> = {},
    ): number => {
      let most = 0;
      _with(limits, segments, () => {
        // The classifier's module (a first compile may probe whether Wasm is allowed).
        const modules = _functionSizes(() => compileRuleSet(ruleSet, { strategy: "wasm" }));
        const tests = _testFunctionsHook.lastModule;
        const classifier = modules.find((sizes) => sizes.length > tests);
        assert.ok(classifier !== undefined && tests > 0, "no classifier module");
        most = Math.max(...classifier.slice(tests));
      });
      return most;
    };
    // A chain piece stops past 2 × chunkBytes (plus its last node, whose
    // children are a call past chunkBytes); a cut dispatch holds two halves of
    // at most chunkBytes, or at most three cases of at most childBytes each.
    const { chunkBytes, childBytes } = _walkCodeLimits;
    const bound = 3 * (chunkBytes + childBytes);
    // With the segments of a walk in steps, and with the chain's first segment as big as the
    // JavaScript walks' (so one segment of the dense table's 1,152 rules).
    const whole = { twoStepFirst: _segmentLimits.first };
    for (const segments of [{}, whole]) {
      const cut = largest({}, segments);
      assert.ok(cut <= bound, `${cut} bytes > ${bound}`);
    }
    // Without the cuts, the same set has a walk function past the bound.
    const uncut = largest({ chunkBytes: 1 << 30, childBytes: 1 << 30 }, whole);
    assert.ok(uncut > bound, `${uncut} bytes`);
  });
}

Deno.test("exact nodes on 2- and 4-byte fields dispatch on the frame's bytes against swapped keys, exactly", () => {
  // Hosts (address words), ports and masked header words, each value tested by several rules so
  // that the index splits on them with exact nodes; a few values dense enough for a jump table.
  const hosts = profile.ipv4Hosts.slice(0, 12);
  const lines = ["*filter", ":INPUT ACCEPT [0:0]", ":SIDE - [0:0]"];
  hosts.forEach((host, i) => {
    lines.push(
      `-A INPUT -s ${host} -p ${i % 2 === 0 ? "tcp" : "udp"} -j ${i % 3 ? "SIDE" : "DROP"}`,
    );
    lines.push(`-A INPUT -d ${host} -m bpf --expr "ip[6:2] & 0x1fff = 0"`);
  });
  for (const port of profile.ports.slice(0, 16)) {
    lines.push(`-A INPUT -m bpf --expr "tcp dst port ${port}" -j ACCEPT`);
    lines.push(`-A SIDE -m bpf --expr "udp src port ${port}" -j RETURN`);
    lines.push(`-A SIDE -m u32 --u32 "0>>28=4&&0>>22&0x3C@0&0xFF00=${port & 0xff00}"`);
  }
  for (let k = 0; k < 6; k++) {
    lines.push(
      `-A INPUT -m bpf --expr "ip[12:4] & 0xff00ff00 = ${(0x0a000000 + k * 0x100) >>> 0}"`,
    );
    lines.push(`-A SIDE --base link -m bpf --expr "ether[12:2] = ${0x0800 + k}" -j ACCEPT`);
  }
  lines.push("COMMIT");
  const sets = [lines.join("\n")];
  for (let seed = 300; seed < 340; seed++) {
    sets.push(generateRuleSet(seed, { rules: 20 + seed % 60, profile, userChains: seed % 3 }).text);
  }
  const saved = _swappedDispatch.most;
  // As shipped (equality chains of at most 3 keys), and decision trees over swapped keys too.
  for (const most of [saved, 64]) {
    _swappedDispatch.most = most;
    const first = _swappedDispatch.made;
    try {
      for (const [i, text] of sets.entries()) {
        const before = _swappedDispatch.made;
        _agree(parseRuleSet(text), frames, `set ${i}, at most ${most} keys\n${text}`);
        if (i === 0) {
          assert.ok(_swappedDispatch.made > before, "no node dispatched on swapped keys");
        }
      }
    } finally {
      _swappedDispatch.most = saved;
    }
    const made = _swappedDispatch.made - first;
    assert.ok(made >= sets.length / 2, `${made} swapped dispatches (at most ${most} keys)`);
  }
});
