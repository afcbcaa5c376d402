/**
 * The Wasm classifier (`compileRuleSet` with `strategy: "wasm"`) against
 * rule-by-rule evaluation: seeded diverse generated sets (every match kind,
 * both bases, user chains with `-j`/`-g`, RETURN, count-only rules, `!`,
 * `-i`/`-o`), big chains, the recorded kernel tables; every verdict, every
 * deciding rule and every counter, through `classify` and through the batch
 * path (frames of one block in the module's memory). And the fallback where
 * run-time Wasm is refused, as Cloudflare Workers refuse it.
 */
import assert from "node:assert/strict";
import { type CorpusPacket, corpusSkipReason } from "./_corpus.ts";
import { concat, epb, idb, option, shb } from "../src/capture/_test_captures.ts";
import {
  corpusPackets,
  examplePackets,
  framesWithInterfaces,
  trafficProfile,
} from "./_rule_set_fixtures.ts";
import {
  compileRuleSet,
  type CompileRuleSetOptions,
  createFrameRef,
  type FrameRef,
} from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import { _asRecords, _inOneBlock } from "./_wasm_block_fixtures.ts";
import { _routeInChunks } from "./_route_in_chunks.ts";
import { readFileSync } from "node:fs";
import type { RuleSet } from "../src/rules/rule_set.ts";
import { _resetWasmProbe } from "../src/bpf/compile_wasm.ts";
import { _wasmModuleLimits } from "../src/rules/_classifier_wasm_module.ts";
import { _inlineTests } from "../src/rules/_classifier_wasm_chains.ts";
import { _testFunctionsHook } from "../src/rules/_classifier_wasm_rule_tests.ts";
import { _fusedRecords } from "../src/rules/_classifier_wasm_staging.ts";
import {
  _MAX_BLOCK_BYTES,
  _POOL_BLOCK_BYTES,
  type _WasmClassifier,
} from "../src/rules/_classifier_wasm.ts";
import {
  generateRuleSet,
  type GenerateRuleSetOptions,
  type TrafficProfile,
} from "../bench/_rule_set_generator.ts";

const ruleByRule: CompileRuleSetOptions = { evaluation: "rule-by-rule" };
const corpusSkip = corpusSkipReason();

/** The generator options of a seed (as the differential test's: small sets, every 25th large). */
function _options(seed: number, profile: TrafficProfile): GenerateRuleSetOptions {
  const large = seed % 25 === 0;
  const rules = large ? 40 + (seed % 81) : 1 + (seed % 17);
  return {
    rules,
    profile,
    userChains: large
      ? (seed >>> 2) % 9
      : seed % 5 === 0
      ? 0
      : Math.min(rules - 1, (seed >>> 3) % 4),
    negation: [0, 0.1, 0.3][(seed >>> 1) % 3],
    interfaces: seed % 7 !== 0,
  };
}

/** The Wasm classifier of a compiled set (asserting that it is one). */
function _wasm(compiled: unknown, what: string): _WasmClassifier {
  const wasm = compiled as _WasmClassifier & { wasmFallback?: string };
  assert.equal(wasm.wasmFallback, undefined, `${what}: fell back`);
  assert.ok(wasm._batch !== undefined, `${what}: no batch path`);
  return wasm;
}

/**
 * Classifies `frames` with rule-by-rule evaluation and with the Wasm
 * classifier, by `classify` and by the batch path; every verdict, deciding
 * rule and counter must agree. Returns the escape reasons seen.
 */
function _agree(
  ruleSet: RuleSet,
  options: CompileRuleSetOptions,
  frames: FrameRef[],
  what: string,
) {
  const reference = compileRuleSet(ruleSet, { ...ruleByRule, byteCount: options.byteCount });
  const one = _wasm(compileRuleSet(ruleSet, { ...options, strategy: "wasm" }), what);
  const batched = _wasm(compileRuleSet(ruleSet, { ...options, strategy: "wasm" }), what);
  const recorded = _wasm(compileRuleSet(ruleSet, { ...options, strategy: "wasm" }), what);
  const want: boolean[] = [];
  for (let i = 0; i < frames.length; i++) {
    want.push(reference.classify(frames[i]));
    const got = one.classify(frames[i]);
    if (got !== want[i] || one.decidedBy !== reference.decidedBy) {
      assert.fail(
        `${what}: packet ${i} is ${got ? "accepted" : "dropped"} by rule ${one.decidedBy}, ` +
          `rule by rule ${want[i] ? "accepted" : "dropped"} by rule ${reference.decidedBy}`,
      );
    }
  }
  const counters = reference.counters();
  assert.deepEqual(one.counters(), counters, `${what}: counters differ (classify)`);
  const { block, frames: inBlock } = _inOneBlock(frames);
  const verdicts = new Uint8Array(frames.length);
  // Positions out of order, to check that each verdict lands at its own.
  batched._batch.begin(block, verdicts);
  for (let i = 0; i < inBlock.length; i++) batched._batch.add(inBlock[i], i);
  batched._batch.finish();
  for (let i = 0; i < frames.length; i++) {
    if ((verdicts[i] !== 0) !== want[i]) {
      assert.fail(`${what}: packet ${i} in a batch: ${verdicts[i]}, rule by rule ${want[i]}`);
    }
  }
  assert.deepEqual(batched.counters(), counters, `${what}: counters differ (batch)`);
  // The module staging the frames itself, from a decoder's record arrays.
  const { batch, records, interfaceFrames } = _asRecords(block, inBlock);
  const recordVerdicts = new Uint8Array(batch.count);
  const frameOf = (k: number) => interfaceFrames[k];
  const staged = recorded._records.run(
    batch,
    0,
    batch.count,
    recordVerdicts,
    interfaceFrames.length,
    frameOf,
  );
  assert.ok(staged, `${what}: the module did not stage the records`);
  records.forEach((r, i) => {
    if ((recordVerdicts[r] !== 0) !== want[i]) {
      assert.fail(
        `${what}: packet ${i} staged in Wasm: ${recordVerdicts[r]}, rule by rule ${want[i]}`,
      );
    }
  });
  assert.deepEqual(recorded.counters(), counters, `${what}: counters differ (records)`);
  if (frames.length > 0) assert.equal(recorded.decidedBy, one.decidedBy, `${what}: deciding rule`);
  return one.wasmEscapes;
}

function _runSeeds(
  seeds: number[],
  framesOf: (seed: number) => FrameRef[],
  profile: TrafficProfile,
) {
  const escapes = new Set<string>();
  let hits = 0;
  let inlineEntry = 0;
  for (const seed of seeds) {
    const generated = generateRuleSet(seed, _options(seed, profile));
    const ruleSet = parseRuleSet(generated.text);
    const options: CompileRuleSetOptions = { byteCount: seed % 3 === 2 ? "ip" : "frame" };
    const frames = framesOf(seed);
    for (const reason of _agree(ruleSet, options, frames, `seed ${seed}\n${generated.text}`)) {
      escapes.add(reason);
    }
    const form = _wasm(compileRuleSet(ruleSet, { strategy: "wasm" }), `seed ${seed}`)._form;
    if (form.recordsRunEntry) inlineEntry++;
    const reference = compileRuleSet(ruleSet, ruleByRule);
    for (const frame of frames) reference.classify(frame);
    for (const chain of Object.values(reference.counters().chains)) {
      for (const rule of chain.rules) hits += rule.packets > 0 ? 1 : 0;
    }
  }
  return { escapes, hits, inlineEntry };
}

Deno.test("compileRuleSet() with strategy wasm agrees with rule-by-rule evaluation on generated sets (examples)", () => {
  const packets = examplePackets();
  const frames = framesWithInterfaces(packets);
  const seeds = Array.from({ length: 300 }, (_, i) => i + 1);
  const { escapes, hits, inlineEntry } = _runSeeds(seeds, () => frames, trafficProfile(packets));
  assert.ok(hits > seeds.length, `only ${hits} rules matched anything`);
  // Most generated sets' chains call each other directly: `records` runs the entry chain inline.
  assert.ok(inlineEntry > seeds.length / 2, `the entry chain inline in ${inlineEntry} sets`);
  // Link-base expressions run in Wasm on EN10MB frames (in JavaScript on the others); `-i`/`-o`
  // names and `+` wildcards are bit tests in Wasm.
  assert.ok(
    escapes.has("a link-base --expr on a link type other than EN10MB"),
    [...escapes].join("; "),
  );
  assert.ok(!escapes.has("interface names"), [...escapes].join("; "));
});

Deno.test("compileRuleSet() with strategy wasm agrees with rule-by-rule evaluation with its records loop calling the entry chain's run (switched off, past its bound)", () => {
  const packets = examplePackets();
  const frames = framesWithInterfaces(packets);
  const seeds = Array.from({ length: 20 }, (_, i) => i + 1);
  // Switched off, or past its bound on the entry chain's code (then the module holds it once).
  const bytes = _fusedRecords.bytes;
  _fusedRecords.enabled = false;
  try {
    assert.equal(_runSeeds(seeds, () => frames, trafficProfile(packets)).inlineEntry, 0);
    _fusedRecords.enabled = true;
    _fusedRecords.bytes = 16;
    const past = seeds.map((seed) => seed + 20);
    assert.equal(_runSeeds(past, () => frames, trafficProfile(packets)).inlineEntry, 0);
  } finally {
    _fusedRecords.enabled = true;
    _fusedRecords.bytes = bytes;
  }
});

/** Count-only `-i`/`-o` rules over `patterns` names (each direction, inverted or not). */
function _interfaceRules(patterns: string[]): string {
  const rules = patterns.flatMap((name, i) => [
    `-A INPUT ${i % 3 === 0 ? "! " : ""}-i ${name}`,
    `-A INPUT ${i % 2 === 0 ? "! " : ""}-o ${name} -p tcp`,
    `-A INPUT -i ${name} -m bpf --expr "ip" -j ${i % 5 === 4 ? "DROP" : "RETURN"}`,
  ]);
  return `*filter\n:INPUT ACCEPT [0:0]\n${rules.join("\n")}\nCOMMIT\n`;
}

Deno.test("compileRuleSet() with strategy wasm agrees with rule-by-rule evaluation on -i/-o wildcards, past the patterns one word holds", () => {
  const packets = examplePackets();
  const frames = framesWithInterfaces(packets);
  const names = ["eth0", "eth1", "lo", "wlan0", "br-lan", "veth3", "x"];
  const prefixes = [...new Set(names.flatMap((n) => [...n].map((_, i) => n.slice(0, i))))];
  // Few patterns: all bit tests in Wasm; many (both directions past 32): the rest call back.
  const few = _agree(
    parseRuleSet(_interfaceRules(["eth+", "+", "br-lan", "wl+", "nope"])),
    {},
    frames,
    "few interface patterns",
  );
  assert.ok(!few.includes("interface names"), few.join("; "));
  const many = _agree(
    parseRuleSet(_interfaceRules([...prefixes.map((p) => `${p}+`), ...names])),
    {},
    frames,
    "many interface patterns",
  );
  assert.ok(many.includes("interface names"), many.join("; "));
});

Deno.test({
  name:
    "compileRuleSet() with strategy wasm agrees with rule-by-rule evaluation on generated sets (corpus)",
  ignore: corpusSkip !== undefined,
  fn() {
    const packets = [...corpusPackets(), ...examplePackets()];
    const frames = framesWithInterfaces(packets);
    const slices = Array.from({ length: 4 }, (_, s) => frames.filter((_, i) => i % 4 === s));
    const seeds = Array.from({ length: 400 }, (_, i) => 1000 + i);
    const { hits } = _runSeeds(seeds, (seed) => slices[seed % 4], trafficProfile(packets));
    assert.ok(hits > seeds.length, `only ${hits} rules matched anything`);
  },
});

Deno.test("compileRuleSet() with strategy wasm agrees with rule-by-rule evaluation on chains of thousands of rules", () => {
  const packets = examplePackets();
  const frames = framesWithInterfaces(packets);
  const profile = trafficProfile(packets);
  for (const [seed, rules] of [[3, 3000], [4, 5000]]) {
    const generated = generateRuleSet(seed, { rules, profile, userChains: 2, interfaces: false });
    _agree(parseRuleSet(generated.text), {}, frames, `big set seed ${seed}`);
  }
});

/**
 * A path of `depth` user chains, each jumping (or, every third, going) to
 * the next on TCP after count-only, RETURN, ACCEPT and DROP rules on ports
 * and protocols, and jumping back into the path's first chain is refused
 * (no loops): a set whose chains call their targets directly (shallow) or
 * run through the chain stack (deeper than the direct calls go).
 */
function _chainPath(depth: number): string {
  const chains = Array.from({ length: depth }, (_, k) => `C${k}`);
  const rules = ["-A INPUT -p udp -j C0", "-A INPUT -j C0", "-A INPUT -p icmp -j DROP"];
  chains.forEach((name, k) => {
    const next = k + 1 < depth ? chains[k + 1] : undefined;
    rules.push(`-A ${name} -m bpf --expr "tcp port ${80 + k}"`);
    rules.push(`-A ${name} -m bpf ! --expr "udp port ${53 + k}" -p udp -j RETURN`);
    if (k % 4 === 1) rules.push(`-A ${name} -m bpf --expr "ip6 and tcp" -j ACCEPT`);
    if (k % 5 === 2) rules.push(`-A ${name} -m bpf --expr "tcp[13] & 2 != 0" -j DROP`);
    if (k % 7 === 3) rules.push(`-A ${name} -m u32 --u32 "6&0xFF=6&&0>>22&0x3C@12>>26=5" -j DROP`);
    if (next !== undefined) rules.push(`-A ${name} -p tcp ${k % 3 === 2 ? "-g" : "-j"} ${next}`);
    rules.push(`-A ${name} -m bpf --expr "ip6"`);
  });
  const declared = chains.map((name) => `:${name} - [0:0]`).join("\n");
  return `*filter\n:INPUT ACCEPT [0:0]\n${declared}\n${rules.join("\n")}\nCOMMIT\n`;
}

Deno.test("compileRuleSet() with strategy wasm agrees with rule-by-rule evaluation on paths of jumps shallow and deeper than its direct calls go", () => {
  const frames = framesWithInterfaces(examplePackets());
  for (const depth of [1, 3, 12, 31, 32, 33, 60]) {
    const ruleSet = parseRuleSet(_chainPath(depth));
    _agree(ruleSet, {}, frames, `a path of ${depth} chains`);
    _agree(ruleSet, { byteCount: "ip" }, frames, `a path of ${depth} chains (ip bytes)`);
    // INPUT and `depth` chains: direct calls up to a path of 32 chains, the chain stack past it.
    const form = _wasm(compileRuleSet(ruleSet, { strategy: "wasm" }), `depth ${depth}`)._form;
    assert.equal(form.directCalls, depth + 1 <= 32, `a path of ${depth} chains`);
  }
});

/**
 * A chain `name` of `n` rules: tests that count, accept and fall through,
 * a jump or goto to `target` three rules before the end, RETURN, and a DROP.
 */
function _longChain(name: string, n: number, k: number, target?: string, goto = false): string[] {
  const rules: string[] = [];
  for (let i = 0; i < n; i++) {
    if (target !== undefined && i === n - 3) {
      rules.push(`-A ${name} -p tcp ${goto ? "-g" : "-j"} ${target}`);
    } else if (i === n - 2) rules.push(`-A ${name} -p udp -j RETURN`);
    else if (i === n - 1) {
      rules.push(`-A ${name} -m bpf --expr "tcp port ${(i * 7 + k) % 1000}" -j DROP`);
    } else if (i % 3 === 0) {
      rules.push(`-A ${name} -m bpf --expr "tcp port ${(i * 13 + k) % 2000}"`);
    } else if (i % 3 === 1) rules.push(`-A ${name} -s 10.${k % 250}.${i % 250}.0/24 -j ACCEPT`);
    else rules.push(`-A ${name} -m bpf --expr "ip[8] = ${i % 256}"`);
  }
  return rules;
}

Deno.test("compileRuleSet() with strategy wasm agrees with rule-by-rule evaluation on chains just under, at and over the case-loop limit", () => {
  const frames = framesWithInterfaces(examplePackets());
  for (const n of [255, 256, 257]) {
    for (const goto of [false, true]) {
      const rules = [..._longChain("INPUT", n, goto ? 3 : 1, "U", goto), ..._longChain("U", n, 2)];
      const policy = goto ? "DROP" : "ACCEPT";
      const ruleSet = parseRuleSet(
        `*filter\n:INPUT ${policy} [0:0]\n:U - [0:0]\n${rules.join("\n")}\nCOMMIT\n`,
      );
      const what = `two chains of ${n} rules${goto ? " (goto)" : ""}`;
      _agree(ruleSet, {}, frames, what);
      _agree(ruleSet, { byteCount: "ip" }, frames, `${what} (ip bytes)`);
      // Up to 256 rules a chain's loop has a case per code, and chains call their targets.
      const form = _wasm(compileRuleSet(ruleSet, { strategy: "wasm" }), what)._form;
      assert.deepEqual(
        form,
        { directCalls: n <= 256, recordsRunEntry: n <= 256, caseChains: n <= 256 ? 2 : 0 },
        what,
      );
    }
  }
});

/**
 * INPUT of `n` rules jumping to S1 and going to S2 (short chains of mixed
 * tests: counts, RETURN, ACCEPT, DROP, a jump from S1 to S2 that S2's end
 * returns from).
 */
function _longWithShortChains(n: number): RuleSet {
  const input = _longChain("INPUT", n, 4, "S1");
  input.splice(5, 0, `-A INPUT -m u32 --u32 "6&0xFF=17" -g S2`);
  // S1 jumps to S2 on most TCP frames and goes on after S2 ends: its later tests run resumed.
  const s1 = [
    `-A S1 -m bpf ! --expr "tcp port 22"`,
    `-A S1 -m u32 --u32 "0>>22&0x3C@12>>26&0x3C@0=0" -j DROP`,
    `-A S1 -p tcp -j S2`,
    `-A S1 -m bpf --expr "ip[8] < 64"`,
    `-A S1 -m u32 --u32 "0>>22&0x3C@0>>16=80:1024" -j ACCEPT`,
    `-A S1 -s 10.0.0.0/8 -j ACCEPT`,
    `-A S1 -m bpf --expr "tcp[13] & 2 != 0" -j DROP`,
    `-A S1 -p tcp -j RETURN`,
    `-A S1 -m bpf --expr "ip[8] > 100" -j DROP`,
  ];
  const s2 = [
    `-A S2 -m bpf --expr "udp port 53" -j ACCEPT`,
    `-A S2 -m u32 ! --u32 "0>>28=4&&6&0xFF=17&&0>>22&0x3C@0&0xFFFF=1000:40000"`,
    `-A S2 -m bpf --expr "ip6 and udp" -j DROP`,
    `-A S2 -m bpf --expr "ip[8] = 1" -j DROP`,
  ];
  return parseRuleSet(
    `*filter\n:INPUT ACCEPT [0:0]\n:S1 - [0:0]\n:S2 - [0:0]\n${
      [...input, ...s1, ...s2].join("\n")
    }\nCOMMIT\n`,
  );
}

Deno.test("compileRuleSet() with strategy wasm inlines the tests and walks of short chains next to a chain past the case-loop limit, exactly", () => {
  const packets = examplePackets();
  const frames = framesWithInterfaces(packets);
  const profile = trafficProfile(packets);
  const sets: [string, RuleSet][] = [
    ["INPUT of 300 rules, two short chains", _longWithShortChains(300)],
    ["INPUT of 200 rules, two short chains", _longWithShortChains(200)],
  ];
  for (const seed of [3, 4, 6]) {
    const generated = generateRuleSet(seed, { rules: 700, profile, userChains: 3 });
    sets.push([`seed ${seed}, 700 rules`, parseRuleSet(generated.text)]);
  }
  for (const [what, ruleSet] of sets) {
    const long = ruleSet.chains.some((chain) => chain.rules.length > 256);
    const testFunctions: number[] = [];
    try {
      for (const inline of [false, true]) {
        Object.assign(_inlineTests, { inline, walk: inline });
        _agree(ruleSet, {}, frames, `${what}, inline ${inline}`);
        _agree(ruleSet, { byteCount: "ip" }, frames, `${what}, inline ${inline} (ip bytes)`);
        const form = _wasm(compileRuleSet(ruleSet, { strategy: "wasm" }), what)._form;
        assert.equal(form.directCalls, !long, what);
        testFunctions.push(_testFunctionsHook.lastModule);
      }
    } finally {
      Object.assign(_inlineTests, { inline: true, walk: true });
    }
    // Inlined, the short chains' rules have no test function of their own.
    assert.ok(testFunctions[1] < testFunctions[0], `${what}: ${testFunctions}`);
  }
});

Deno.test("compileRuleSet() with strategy wasm classifies a block past the copy bound frame by frame, exactly", () => {
  const packets = examplePackets();
  const generated = generateRuleSet(11, { rules: 60, profile: trafficProfile(packets) });
  const ruleSet = parseRuleSet(generated.text);
  const frames = framesWithInterfaces(packets);
  const { block, frames: inBlock } = _inOneBlock(frames);
  // The block, repeated past _MAX_BLOCK_BYTES: its frames are packed into the memory.
  const copies = Math.ceil((_MAX_BLOCK_BYTES + 1) / block.length);
  const big = new Uint8Array(copies * block.length);
  for (let i = 0; i < copies; i++) big.set(block, i * block.length);
  const all: FrameRef[] = [];
  for (let i = 0; i < copies; i++) {
    for (const f of inBlock) all.push({ ...f, bytes: big, start: f.start + i * block.length });
  }
  const reference = compileRuleSet(ruleSet, ruleByRule);
  const want = all.map((f) => reference.classify(f));
  const wasm = _wasm(compileRuleSet(ruleSet, { strategy: "wasm" }), "packed");
  const verdicts = new Uint8Array(all.length);
  wasm._batch.begin(big, verdicts);
  all.forEach((f, i) => wasm._batch.add(f, i));
  wasm._batch.finish();
  assert.deepEqual([...verdicts].map((v) => v !== 0), want);
  assert.deepEqual(wasm.counters(), reference.counters());
});

Deno.test("compileRuleSet() with strategy wasm classifies blocks read into its block pool in place, exactly", () => {
  const packets = examplePackets();
  const generated = generateRuleSet(12, { rules: 60, profile: trafficProfile(packets) });
  const ruleSet = parseRuleSet(generated.text);
  const frames = framesWithInterfaces(packets);
  const { block, frames: inBlock } = _inOneBlock(frames);
  const reference = compileRuleSet(ruleSet, ruleByRule);
  const wasm = _wasm(compileRuleSet(ruleSet, { strategy: "wasm" }), "pool");
  const pool = wasm._blocks;
  assert.equal(pool.take(_POOL_BLOCK_BYTES + 1), undefined);
  // Every slot lent at once, then the blocks read "into" them classified in turn.
  const lent: Uint8Array[] = [];
  for (let b; (b = pool.take(block.length)) !== undefined;) lent.push(b);
  assert.ok(lent.length >= 2, `only ${lent.length} blocks lent`);
  assert.equal(pool.give(new Uint8Array(block.length)), false);
  for (const [n, into] of lent.entries()) {
    // Each block a different rotation of the frames, so a stale slot would show.
    const order = inBlock.map((_, i) => inBlock[(i + n * 7) % inBlock.length]);
    let at = 0;
    const placed = order.map((f) => {
      into.set(block.subarray(f.start, f.start + f.capturedLength), at);
      const frame = { ...f, bytes: into, start: at };
      at += f.capturedLength;
      return frame;
    });
    // A carried frame classified on its own in between (copied, below the pool).
    assert.equal(wasm.classify(frames[n]), reference.classify(frames[n]));
    const want = placed.map((f) => reference.classify(f));
    const verdicts = new Uint8Array(placed.length);
    wasm._batch.begin(into.subarray(0, at), verdicts);
    placed.forEach((f, i) => wasm._batch.add(f, i));
    wasm._batch.finish();
    assert.deepEqual([...verdicts].map((v) => v !== 0), want, `block ${n}`);
    assert.deepEqual(wasm.counters(), reference.counters(), `block ${n}`);
  }
  for (const b of lent) assert.equal(pool.give(b.subarray(0, 10)), true);
  assert.equal(pool.give(lent[0]), false);
  assert.ok(pool.take(block.length) !== undefined);
});

Deno.test("compileRuleSet() with strategy wasm restores counters, enters the chain asked for, and resets", () => {
  const packets = examplePackets();
  const frames = framesWithInterfaces(packets);
  const text = generateRuleSet(8, { rules: 30, profile: trafficProfile(packets) }).text
    .replace(/^:INPUT (\w+) \[0:0\]$/m, ":INPUT $1 [5:500]\n:FORWARD ACCEPT [7:700]")
    .replace(
      /^-A INPUT (.*)$/gm,
      (_, rule: string) => `[3:300] -A INPUT ${rule}\n[1:10] -A FORWARD ${rule}`,
    );
  const ruleSet = parseRuleSet(text);
  for (const chain of ["INPUT", "FORWARD"]) {
    const options: CompileRuleSetOptions = { chain, restoreCounters: true, byteCount: "ip" };
    const reference = compileRuleSet(ruleSet, { ...options, ...ruleByRule });
    const wasm = _wasm(compileRuleSet(ruleSet, { ...options, strategy: "wasm" }), chain);
    assert.deepEqual(wasm.counters(), reference.counters());
    for (const frame of frames) assert.equal(wasm.classify(frame), reference.classify(frame));
    assert.deepEqual(wasm.counters(), reference.counters());
    wasm.resetCounters();
    reference.resetCounters();
    assert.deepEqual(wasm.counters(), reference.counters());
    assert.equal(wasm.counters().frames.packets, 0);
  }
});

Deno.test("the router classifies each block through the Wasm classifier's batch path, with the default's output", () => {
  const capture = readFileSync(new URL("../examples/mixed.pcap", import.meta.url));
  const profile = trafficProfile(examplePackets());
  for (const seed of [2, 5, 25, 50]) {
    const ruleSet = parseRuleSet(generateRuleSet(seed, { rules: 40, profile }).text);
    for (const chunk of [1 << 20, 1000, 61]) {
      const reference = compileRuleSet(ruleSet);
      const wasm = _wasm(compileRuleSet(ruleSet, { strategy: "wasm" }), `seed ${seed}`);
      let batches = 0;
      const run = wasm._records.run;
      wasm._records.run = (...args) => {
        const staged = run(...args);
        if (staged) batches++;
        return staged;
      };
      assert.deepEqual(
        _routeInChunks(wasm, capture, chunk),
        _routeInChunks(reference, capture, chunk),
      );
      assert.deepEqual(wasm.counters(), reference.counters());
      // (Tiny chunks complete one record each, carried: `classify` takes those.)
      if (chunk >= 1000) assert.ok(batches > 0, `no batch path (seed ${seed}, chunk ${chunk})`);
    }
  }
});

Deno.test("compileRuleSet() with strategy wasm falls back with a reason where run-time Wasm is refused", () => {
  const ruleSet = parseRuleSet(`*filter
:INPUT DROP [0:0]
-A INPUT -p udp -j ACCEPT
COMMIT
`);
  // As Cloudflare Workers refuse it: compiling a module throws.
  const original = WebAssembly.Module;
  (WebAssembly as { Module: unknown }).Module = function () {
    throw new WebAssembly.CompileError("Wasm code generation disallowed by embedder");
  };
  _resetWasmProbe();
  try {
    const compiled = compileRuleSet(ruleSet, { strategy: "wasm" }) as unknown as {
      wasmFallback?: string;
      _batch?: unknown;
      classify(frame: FrameRef): boolean;
    };
    assert.match(
      compiled.wasmFallback ?? "",
      /^run-time Wasm is refused \(CompileError: .*disallowed/,
    );
    assert.equal(compiled._batch, undefined);
    const bytes = new Uint8Array(28);
    bytes.set([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17]);
    const frame = createFrameRef({ bytes, capturedLength: 28, wireLength: 28, linkType: 101 });
    assert.equal(compiled.classify(frame), true);
    bytes[9] = 6;
    assert.equal(compiled.classify(frame), false);
  } finally {
    (WebAssembly as { Module: unknown }).Module = original;
    _resetWasmProbe();
  }
});

Deno.test("a rule set whose Wasm module would pass a bound falls back to the default classifier, with the reason", () => {
  const text = _multiRuleText(40);
  const ruleSet = parseRuleSet(text);
  const reference = compileRuleSet(ruleSet, { evaluation: "rule-by-rule" });
  const saved = { ..._wasmModuleLimits };
  const cases: [Partial<typeof saved>, RegExp][] = [
    [{ functionBytes: 64 }, /^a function of the Wasm classifier exceeds 64 bytes$/],
    [{ moduleBytes: 256 }, /^the Wasm classifier exceeds 256 bytes$/],
  ];
  try {
    for (const [limits, reason] of cases) {
      Object.assign(_wasmModuleLimits, saved, limits);
      const compiled = compileRuleSet(ruleSet, { strategy: "wasm" }) as unknown as {
        wasmFallback?: string;
        _batch?: unknown;
        classify(frame: FrameRef): boolean;
        counters(): unknown;
      };
      assert.match(compiled.wasmFallback ?? "", reason);
      assert.equal(compiled._batch, undefined);
      for (const packet of examplePackets()) {
        const frame = createFrameRef({
          bytes: packet.data,
          capturedLength: packet.data.length,
          wireLength: packet.wireLength,
          linkType: packet.linkType,
        });
        assert.equal(compiled.classify(frame), reference.classify(frame));
      }
      assert.deepEqual(compiled.counters(), reference.counters());
      reference.resetCounters();
    }
  } finally {
    Object.assign(_wasmModuleLimits, saved);
  }
  // With the bounds restored, the same set gets its module.
  const compiled = compileRuleSet(ruleSet, { strategy: "wasm" }) as unknown as {
    wasmFallback?: string;
  };
  assert.equal(compiled.wasmFallback, undefined);
});

/** `count` rules over UDP/TCP ports and protocols, policy DROP. */
function _multiRuleText(count: number): string {
  const rules = Array.from(
    { length: count },
    (_, i) =>
      `-A INPUT -p ${i % 2 === 0 ? "udp" : "tcp"} -m bpf --expr "port ${1000 + i}" -j ACCEPT`,
  );
  return `*filter\n:INPUT DROP [0:0]\n${rules.join("\n")}\nCOMMIT\n`;
}

/**
 * A pcapng capture of `packets` over one interface per link type (named in
 * turn, one unnamed), the frames interleaved across interfaces, and with
 * each third frame also cut short (caplen 0 up to the whole frame).
 */
function _multiInterfaceCapture(packets: CorpusPacket[]): Uint8Array {
  const names = ["eth0", "eth1", "", "lo", "wlan0"];
  const interfaces = new Map<number, number>();
  const parts: Uint8Array[] = [shb()];
  const records: Uint8Array[] = [];
  packets.forEach((packet, i) => {
    let id = interfaces.get(packet.linkType);
    if (id === undefined) {
      id = interfaces.size;
      interfaces.set(packet.linkType, id);
      const name = names[id % names.length];
      const options = name === ""
        ? new Uint8Array(0)
        : concat(option(2, new TextEncoder().encode(name)), option(0, new Uint8Array(0)));
      parts.push(idb({ linkType: packet.linkType, options }));
    }
    const wire = packet.wireLength;
    records.push(epb(packet.data, { interfaceId: id, wire }));
    if (i % 3 === 0) {
      const cut = packet.data.subarray(0, (i * 7) % (packet.data.length + 1));
      records.push(epb(cut, { interfaceId: id, wire }));
    }
  });
  // Interleave: records from the end and the start in turn (interfaces alternate).
  const interleaved: Uint8Array[] = [];
  for (let a = 0, b = records.length - 1; a <= b; a++, b--) {
    interleaved.push(records[a]);
    if (b !== a) interleaved.push(records[b]);
  }
  return concat(...parts, ...interleaved);
}

Deno.test({
  name:
    "the router's batch path agrees with rule-by-rule evaluation on a pcapng of several interfaces and link types, cut frames included",
  ignore: corpusSkip !== undefined,
  fn() {
    const packets = [...examplePackets(), ...corpusPackets()];
    const linkTypes = new Set(packets.map((p) => p.linkType));
    assert.ok(linkTypes.size >= 3, `only link types ${[...linkTypes]}`);
    const capture = _multiInterfaceCapture(packets);
    const profile = trafficProfile(packets);
    for (const seed of [3, 7, 25, 50, 75]) {
      const ruleSet = parseRuleSet(generateRuleSet(seed, { rules: 60, profile }).text);
      for (const chunk of [1 << 20, 4096]) {
        const reference = compileRuleSet(ruleSet, ruleByRule);
        const wasm = _wasm(compileRuleSet(ruleSet, { strategy: "wasm" }), `seed ${seed}`);
        const what = `seed ${seed}, chunk ${chunk}`;
        // Every block's records staged by the module itself (interfaces from the table).
        let staged = 0;
        const run = wasm._records.run;
        wasm._records.run = (...args) => {
          assert.ok(run(...args), `${what}: a block was not staged by the module`);
          staged++;
          return true;
        };
        assert.deepEqual(
          _routeInChunks(wasm, capture, chunk),
          _routeInChunks(reference, capture, chunk),
          what,
        );
        assert.deepEqual(wasm.counters(), reference.counters(), what);
        assert.ok(staged > 0, what);
      }
    }
  },
});
