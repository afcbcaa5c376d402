/**
 * Issue 11's differential test: thousands of seeded, diverse rule sets
 * (bench/_rule_set_generator.ts: hosts, nets, ports, port ranges, payload
 * bytes, ICMP types, TCP flags, VLAN, IPv6, u32 with `@`, `-s/-d/-p/-i/-o`,
 * `--expr` and `--bytecode` at both bases, `!`, user chains with `-j`/`-g`,
 * RETURN, count-only rules), each compiled twice: the default classifier and
 * the rule-by-rule reference. Every verdict on every packet of the corpus
 * captures and of examples/*.pcap, and every counter (per rule, per policy,
 * totals), must be the same.
 *
 * A run covers a fixed list of seeds plus a batch from one random base seed
 * (printed on failure; set `BPFS_DIFF_SEED` to replay it).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { corpusSkipReason } from "./_corpus.ts";
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
import { _resetStrategyChoice } from "../src/bpf/_strategy_choice.ts";
import { dataUrl, matchOf, type VerdictTable } from "./kernel/_tables.ts";
import { frameOf, type KernelPacket, markOf } from "./kernel/_frames.ts";
import {
  generateRuleSet,
  type GenerateRuleSetOptions,
  type TrafficProfile,
} from "../bench/_rule_set_generator.ts";

/**
 * The reference: rule-by-rule evaluation. Before the indexed classifier it is
 * `{ fuse: false }`; after it, `{ evaluation: "rule-by-rule" }`. Both keys are
 * given so that this test runs unchanged on either side of that change (each
 * version ignores the key it does not know).
 */
const ruleByRule = { fuse: false, evaluation: "rule-by-rule" } as unknown as CompileRuleSetOptions;

const corpusSkip = corpusSkipReason();

/**
 * The generator options of a seed: mostly small sets of every shape; every
 * 25th set has 40 to 120 rules, enough for fields that many rules test.
 */
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

/** The compile options of a seed: the measured default and both backends, both byte counts. */
function _indexedOptions(seed: number): CompileRuleSetOptions {
  return {
    strategy: ([undefined, "closure", undefined, "source"] as const)[seed % 4],
    byteCount: seed % 3 === 2 ? "ip" : "frame",
  };
}

interface _Summary {
  sets: number;
  verdicts: number;
  ruleHits: number;
  accepted: number;
  dropped: number;
  /** Chains whose index walk was generated source / the data walk (with its reason). */
  generatedWalks: number;
  dataWalks: Set<string>;
}

/** The private per-chain walk fallbacks of a compiled rule set (./src/rules/_classifier.ts). */
function _walkFallbacks(compiled: unknown): readonly (string | undefined)[] {
  return (compiled as { walkFallbacks: readonly (string | undefined)[] }).walkFallbacks;
}

function _runSeeds(
  seeds: number[],
  framesOf: (seed: number) => FrameRef[],
  profile: TrafficProfile,
  replay: string,
): _Summary {
  const summary: _Summary = {
    sets: 0,
    verdicts: 0,
    ruleHits: 0,
    accepted: 0,
    dropped: 0,
    generatedWalks: 0,
    dataWalks: new Set(),
  };
  for (const seed of seeds) {
    const generated = generateRuleSet(seed, _options(seed, profile));
    const ruleSet = parseRuleSet(generated.text);
    const options = _indexedOptions(seed);
    const indexed = compileRuleSet(ruleSet, options);
    const reference = compileRuleSet(ruleSet, { ...ruleByRule, byteCount: options.byteCount });
    const frames = framesOf(seed);
    for (let i = 0; i < frames.length; i++) {
      const want = reference.classify(frames[i]);
      const got = indexed.classify(frames[i]);
      if (got !== want) {
        assert.fail(
          `rule set seed ${seed} (${replay}; ${JSON.stringify(options)}): packet ${i} ` +
            `is ${got ? "accepted" : "dropped"}, rule by rule ${
              want ? "accepted" : "dropped"
            }\n${generated.text}`,
        );
      }
    }
    const want = reference.counters();
    assert.deepEqual(
      indexed.counters(),
      want,
      `rule set seed ${seed} (${replay}; ${
        JSON.stringify(options)
      }): counters differ\n${generated.text}`,
    );
    summary.sets++;
    for (const reason of _walkFallbacks(indexed)) {
      if (reason === undefined) summary.generatedWalks++;
      else summary.dataWalks.add(reason);
    }
    summary.verdicts += frames.length;
    summary.accepted += want.accepted.packets;
    summary.dropped += want.dropped.packets;
    for (const chain of Object.values(want.chains)) {
      for (const rule of chain.rules) summary.ruleHits += rule.packets > 0 ? 1 : 0;
    }
  }
  return summary;
}

const envSeed = Deno.env.get("BPFS_DIFF_SEED");
const randomBase = envSeed !== undefined
  ? Number(envSeed)
  : 1 + Math.floor(Math.random() * 2 ** 30);
const replay = `random base seed ${randomBase}: BPFS_DIFF_SEED=${randomBase} replays it`;

function _seeds(fixed: number, random: number): number[] {
  const seeds: number[] = [];
  for (let seed = 1; seed <= fixed; seed++) seeds.push(seed);
  for (let i = 0; i < random; i++) seeds.push((randomBase * 1000 + i) >>> 0);
  return seeds;
}

function _checkCoverage(summary: _Summary, sets: number): void {
  assert.equal(summary.sets, sets);
  // The sets must classify for real: rules match, and both verdicts occur.
  assert.ok(summary.ruleHits > sets, `only ${summary.ruleHits} rules matched anything`);
  assert.ok(summary.accepted > 0 && summary.dropped > 0, JSON.stringify(summary));
  // Both index walks ran: generated source (default, "source") and the data walk ("closure").
  assert.ok(summary.generatedWalks > 0, "no chain had a generated walk");
  assert.ok(summary.dataWalks.has("the strategy is not generated source"));
}

/** Quarters of the corpus (every 4th packet, all files), for sets in turn. */
const _SLICES = 4;

Deno.test({
  name: "compileRuleSet() agrees with rule-by-rule evaluation on generated sets (corpus captures)",
  ignore: corpusSkip !== undefined,
  fn() {
    const packets = [...corpusPackets(), ...examplePackets()];
    const frames = framesWithInterfaces(packets);
    const slices = Array.from(
      { length: _SLICES },
      (_, slice) => frames.filter((_, i) => i % _SLICES === slice),
    );
    const seeds = _seeds(1200, 300);
    const summary = _runSeeds(
      seeds,
      (seed) => slices[seed % _SLICES],
      trafficProfile(packets),
      replay,
    );
    _checkCoverage(summary, seeds.length);
    console.log(
      `${summary.sets} rule sets, each on a quarter of ${frames.length} corpus and example ` +
        `packets: ${summary.verdicts} verdicts, ${summary.ruleHits} rules matched at least once ` +
        `(${replay})`,
    );
  },
});

Deno.test("compileRuleSet() agrees with rule-by-rule evaluation on generated sets (examples)", () => {
  const packets = examplePackets();
  assert.ok(packets.length > 0, "examples/*.pcap holds packets");
  const frames = framesWithInterfaces(packets);
  const seeds = _seeds(400, 100);
  const summary = _runSeeds(seeds, () => frames, trafficProfile(packets), replay);
  _checkCoverage(summary, seeds.length);
  console.log(
    `${summary.sets} rule sets × ${frames.length} example packets: ${summary.verdicts} verdicts, ` +
      `${summary.ruleHits} rules matched at least once (${replay})`,
  );
});

Deno.test("compileRuleSet() agrees with rule-by-rule evaluation where code generation is refused", () => {
  // As a CSP or an edge runtime refuses it: programs get closures, index walks the data walk.
  const original = globalThis.Function;
  globalThis.Function = function () {
    throw new EvalError("Code generation from strings disallowed for this context");
  } as unknown as FunctionConstructor;
  _resetStrategyChoice();
  try {
    const packets = examplePackets();
    const frames = framesWithInterfaces(packets);
    const seeds = _seeds(150, 50);
    const summary = _runSeeds(seeds, () => frames, trafficProfile(packets), replay);
    assert.equal(summary.sets, seeds.length);
    assert.ok(summary.ruleHits > seeds.length, `only ${summary.ruleHits} rules matched anything`);
    assert.equal(summary.generatedWalks, 0);
    // The default falls back without trying; "source" tries and reports why it failed.
    assert.ok(summary.dataWalks.has("code generation is refused in this runtime"));
    assert.ok(
      [...summary.dataWalks].some((r) => /^code generation failed \(.*disallowed/.test(r)),
      [...summary.dataWalks].join("; "),
    );
  } finally {
    globalThis.Function = original;
    _resetStrategyChoice();
  }
});

const _KERNEL_TABLES = [
  "u32.json",
  "corpus_programs.json",
  "random_programs.json",
  "ancillary.json",
];
/** Rules per count-only set built from a kernel table. */
const _KERNEL_SET_SIZE = 60;

function _readKernel<T>(name: string): T {
  return JSON.parse(readFileSync(dataUrl(name), "utf8"));
}

for (const file of _KERNEL_TABLES) {
  Deno.test(`compileRuleSet() counts exactly the kernel's matches: rule sets from ${file}`, () => {
    const packets = new Map<number, KernelPacket>(
      _readKernel<{ packets: KernelPacket[] }>("packets.json").packets.map((p) => [p.id, p]),
    );
    const table = _readKernel<VerdictTable>(file);
    const frames = table.packets.map((id) => {
      const packet = packets.get(id)!;
      const bytes = frameOf(packet);
      // As the kernel harness received it (tests/kernel/_frames.ts kernelContext).
      return createFrameRef({
        bytes,
        capturedLength: bytes.length,
        wireLength: bytes.length,
        linkType: 1,
        interfaceIndex: table.facts.ifindex - 1,
        mark: markOf(id),
      });
    });
    let compared = 0;
    let matched = 0;
    for (let first = 0; first < table.rules.length; first += _KERNEL_SET_SIZE) {
      const rules = table.rules.slice(first, first + _KERNEL_SET_SIZE);
      // Count-only rules: every rule sees every packet.
      const text = `*raw\n:PREROUTING ACCEPT [0:0]\n${
        rules.map((rule) => `-A PREROUTING ${matchOf(rule)}`).join("\n")
      }\nCOMMIT\n`;
      const ruleSet = parseRuleSet(text);
      // The default, the reference, and the Wasm classifier (issue 12).
      for (const options of [{}, ruleByRule, { strategy: "wasm" } as const]) {
        const compiled = compileRuleSet(ruleSet, options);
        frames.forEach((frame, p) => {
          if (table.delivered[p] !== "1") return;
          compiled.resetCounters();
          compiled.classify(frame);
          const counts = compiled.counters().chains.PREROUTING.rules;
          rules.forEach((rule, r) => {
            const kernel = table.verdicts[first + r][p] === "1";
            if ((counts[r].packets === 1) !== kernel) {
              assert.fail(
                `${file} rule "${rule.name}", packet ${table.packets[p]} (${
                  options === ruleByRule ? "rule by rule" : JSON.stringify(options)
                }): kernel ${kernel ? "matched" : "did not match"}, counter ${counts[r].packets}`,
              );
            }
            compared++;
            if (kernel) matched++;
          });
        });
      }
    }
    assert.ok(compared > 0 && matched > 0 && matched < compared, `${matched} of ${compared}`);
    console.log(`${file}: ${compared} (rule, packet) counters compared, ${matched} kernel matches`);
  });
}
