/**
 * An `--expr` means what its optimised program means (tcpdump's and
 * `nfbpf_compile`'s program, which the kernel's xt_bpf runs): libpcap's
 * optimiser drops loads whose result the rest of the expression makes moot,
 * so where the unoptimised program fails such a load (past the packet's end:
 * return 0) the optimised one may accept. Every evaluation (the Wasm
 * classifier, the generated walk, rule by rule) and the calls answered over
 * the test-making budget must answer as the optimised program run by the
 * reference interpreter.
 */
import assert from "node:assert/strict";
import { compileFilter } from "../src/filter/compile_filter.ts";
import { interpret } from "../src/bpf/interpret.ts";
import {
  compileRuleSet,
  type CompileRuleSetOptions,
  createFrameRef,
} from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import { _resetTestMakingBudget, _testMakingBudget } from "../src/rules/_test_making_budget.ts";
import { _randomExpression, _randomFrame } from "./_classifier_rule_sets.ts";
import { _prng } from "./_fuzz.ts";
import { LINKTYPE_EN10MB, LINKTYPE_RAW } from "../src/capture/link_types.ts";

const EVALUATIONS: [string, CompileRuleSetOptions][] = [
  ["default", {}],
  ["closure", { strategy: "closure" }],
  ["source", { strategy: "source" }],
  ["rule-by-rule", { evaluation: "rule-by-rule" }],
  ["rule-by-rule interpret", { evaluation: "rule-by-rule", strategy: "interpret" }],
];

/** Whether the optimised program of `expression` (at `base`) accepts the Ethernet `bytes`. */
function _optimisedAccepts(expression: string, base: "network" | "link", bytes: Uint8Array) {
  if (base === "link") {
    const program = compileFilter(expression, { linkType: LINKTYPE_EN10MB });
    return interpret(program, bytes) !== 0;
  }
  // Network base: Ethernet/IPv4 or IPv6 without VLAN tags (the frames below), from byte 14.
  const type = (bytes[12] << 8) | bytes[13];
  if (type !== 0x0800 && type !== 0x86dd) return undefined;
  const version = bytes.length > 14 ? bytes[14] >> 4 : -1;
  if ((type === 0x0800 && version !== 4) || (type === 0x86dd && version !== 6)) return undefined;
  const program = compileFilter(expression, { linkType: LINKTYPE_RAW });
  return interpret(program, bytes.subarray(14)) !== 0;
}

/** The verdicts of a one-rule set (`-j DROP` on a match, policy ACCEPT) under each evaluation. */
function _verdicts(
  expression: string,
  base: "network" | "link",
  frames: Uint8Array[],
  spent: boolean,
): Map<string, boolean[]> {
  const text = [
    "*filter",
    ":INPUT ACCEPT [0:0]",
    `-A INPUT -m bpf --base ${base} --expr "${expression}" -j DROP`,
    "COMMIT",
    "",
  ].join("\n");
  const ruleSet = parseRuleSet(text);
  const out = new Map<string, boolean[]>();
  for (const [name, options] of EVALUATIONS) {
    _resetTestMakingBudget();
    if (spent) {
      _testMakingBudget.windowMs = Number.POSITIVE_INFINITY;
      _testMakingBudget.budgetMs = 0;
    }
    try {
      const compiled = compileRuleSet(ruleSet, options);
      out.set(
        name,
        frames.map((bytes) =>
          !compiled.classify(createFrameRef({
            bytes,
            capturedLength: bytes.length,
            wireLength: bytes.length,
            linkType: LINKTYPE_EN10MB,
          }))
        ),
      );
    } finally {
      _resetTestMakingBudget();
    }
  }
  return out;
}

/** A whole 60-byte Ethernet/IPv4/TCP frame (ports 80 -> 8080). */
function _shortTcpFrame(): Uint8Array {
  const bytes = new Uint8Array(60);
  bytes.set([0x08, 0x00], 12);
  bytes.set([0x45, 0, 0, 46, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  bytes.set([0, 80, 0x1f, 0x90], 34);
  return bytes;
}

for (const base of ["network", "link"] as const) {
  for (const spent of [false, true]) {
    Deno.test(
      `--expr at the ${base} base means its optimised program${
        spent ? " over the making budget" : ""
      } (a load the optimiser drops)`,
      () => {
        // tcpdump -r accepts this whole TCP frame (its optimised program never loads ip[200]);
        // with -O (unoptimised) it does not.
        const expression = "(udp or ip[200] = 1) or not (icmp6)";
        const frame = _shortTcpFrame();
        assert.equal(_optimisedAccepts(expression, base, frame), true);
        for (const [name, verdicts] of _verdicts(expression, base, [frame], spent)) {
          assert.deepEqual(verdicts, [true], `${name} (${base}${spent ? ", budget spent" : ""})`);
        }
      },
    );
  }
}

Deno.test("random --expr sets agree with their optimised programs under every evaluation and budget", () => {
  const random = _prng(10);
  const frames = Array.from({ length: 60 }, () => _randomFrame(random));
  let differing = 0;
  for (let i = 0; i < 24; i++) {
    const base = random.chance(0.5) ? "link" : "network";
    const link = base === "link";
    const expression = `(${_randomExpression(random, link)}) ${random.pick(["or", "and"])} ${
      random.chance(0.5) ? "not " : ""
    }(${_randomExpression(random, link)})`;
    let optimised: (boolean | undefined)[];
    try {
      optimised = frames.map((f) => _optimisedAccepts(expression, base, f));
    } catch {
      continue; // not compiled for that link type (or rejects everything)
    }
    const unoptimised = compileFilter(expression, {
      linkType: link ? LINKTYPE_EN10MB : LINKTYPE_RAW,
      optimize: false,
    });
    for (const [f, frame] of frames.entries()) {
      const bytes = link ? frame : frame.subarray(14);
      if (optimised[f] !== undefined && (interpret(unoptimised, bytes) !== 0) !== optimised[f]) {
        differing++;
      }
    }
    for (const spent of [false, true]) {
      for (const [name, verdicts] of _verdicts(expression, base, frames, spent)) {
        for (const [f, want] of optimised.entries()) {
          if (want === undefined) continue; // network base, not IP as the interpreter is fed
          assert.equal(
            verdicts[f],
            want,
            `${name}${spent ? " (budget spent)" : ""}: ${base} --expr "${expression}", frame ${f}`,
          );
        }
      }
    }
  }
  // The sets include expressions where the two programs differ on some frames.
  assert.ok(differing > 0, "no frame told the optimised and unoptimised programs apart");
});
