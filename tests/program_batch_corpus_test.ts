/**
 * A rule set of one program rule, evaluated rule by rule, classifies each
 * block's frames as one batch (src/rules/_program_batch.ts): verdicts,
 * outputs and every counter must be the walk's. The reference is the same
 * rule set run by the interpreter (no batch path), over every link-base
 * program of the conformance corpus (libpcap's verdicts checked too), with
 * the rule inverted, a DROP rule under an ACCEPT policy, chunks split at
 * random points, and `--expr` programs compiled per capture interface.
 */
import assert from "node:assert/strict";
import { type CompiledRuleSet, compileRuleSet } from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import type { _ProgramBatch } from "../src/rules/_program_batch.ts";
import {
  _decodeRecords,
  _random,
  _route,
  _split,
  _verdicts,
} from "../src/stream/_router_test_helpers.ts";

const corpus = new URL("../../shared/conformance/", import.meta.url);
let data: {
  cases: {
    file: string;
    expr: string;
    base: "link" | "network";
    bytecode: string;
    results: (number | null)[];
  }[];
  files: Record<string, { packets: number }>;
} | undefined;
try {
  data = JSON.parse(await Deno.readTextFile(new URL("filters.json", corpus)));
} catch {
  data = undefined;
}
const ignore = data === undefined;

function _ruleSet(text: string, strategy?: "closure" | "source" | "interpret"): CompiledRuleSet {
  return compileRuleSet(parseRuleSet(text, { maxInstructions: 4096 }), {
    maxInstructions: 4096,
    evaluation: "rule-by-rule",
    strategy,
  });
}

/** Counts the blocks the rule set's batch path classified (it may decline some). */
function _countBatches(rules: CompiledRuleSet): { batches: number } {
  const holder = rules as { _programBatch?: _ProgramBatch };
  const inner = holder._programBatch;
  assert.ok(inner, "a one-program rule set rule by rule has a batch path");
  const seen = { batches: 0 };
  holder._programBatch = {
    invert: inner.invert,
    ruleAccepts: inner.ruleAccepts,
    run(batch, from, to, frame, oneInterface) {
      const verdicts = inner.run(batch, from, to, frame, oneInterface);
      if (verdicts !== undefined) seen.batches++;
      return verdicts;
    },
    counted: (...counts) => inner.counted(...counts),
  };
  return seen;
}

const captures = new Map<string, Uint8Array>();
async function _capture(file: string): Promise<Uint8Array> {
  let bytes = captures.get(file);
  if (!bytes) {
    bytes = await Deno.readFile(new URL(file, corpus));
    captures.set(file, bytes);
  }
  return bytes;
}

/** Routes `input` through `rules` and the reference, in the same chunks: same bytes and counters. */
async function _assertSameAsReference(
  text: string,
  input: Uint8Array,
  chunks: Uint8Array[],
  label: string,
): Promise<{ batches: number; verdicts: number[] }> {
  const reference = await _route(_ruleSet(text, "interpret"), chunks);
  let batches = 0;
  let verdicts: number[] = [];
  for (const strategy of [undefined, "closure", "source"] as const) {
    const rules = _ruleSet(text, strategy);
    const seen = _countBatches(rules);
    const routed = await _route(rules, chunks);
    const where = `${label} strategy ${strategy ?? "default"}`;
    assert.equal(routed.error, undefined, where);
    assert.deepEqual(routed.accepted, reference.accepted, where);
    assert.deepEqual(routed.dropped, reference.dropped, where);
    assert.deepEqual(routed.stats.rules, reference.stats.rules, where);
    assert.deepEqual(routed.stats.accepted, reference.stats.accepted, where);
    batches += seen.batches;
    verdicts = _verdicts(
      _decodeRecords(input),
      _decodeRecords(routed.accepted),
      _decodeRecords(routed.dropped),
    ).filter((v) => v !== 2);
  }
  return { batches, verdicts };
}

Deno.test({
  name: "one program rule as a batch: libpcap's verdicts, the walk's outputs and counters",
  ignore,
  async fn() {
    const next = _random(12);
    let batched = 0;
    let cases = 0;
    let checked = 0;
    for (const [index, c] of data!.cases.entries()) {
      if (c.base !== "link" || index % 3 !== 0) continue;
      // Programs the Linux checker refuses (backward jumps) are not rules.
      try {
        _ruleSet(
          `*filter\n:INPUT DROP [0:0]\n-A INPUT --base link -m bpf --bytecode "${c.bytecode}" -j ACCEPT\nCOMMIT\n`,
        );
      } catch {
        continue;
      }
      const input = await _capture(c.file);
      const cuts = Array.from({ length: 1 + next() % 6 }, () => next() % input.length);
      for (const chunks of [[input], _split(input, cuts)]) {
        const variants = [["DROP", "", "ACCEPT"], ["ACCEPT", "! ", "DROP"], ["ACCEPT", "", "DROP"]];
        for (const [policy, invert, target] of variants) {
          const text = `*filter\n:INPUT ${policy} [0:0]\n` +
            `-A INPUT --base link -m bpf ${invert}--bytecode "${c.bytecode}" -j ${target}\nCOMMIT\n`;
          const label = `case ${index} (${c.file} "${c.expr}") ${policy}/${invert}${target}`;
          const { batches, verdicts } = await _assertSameAsReference(text, input, chunks, label);
          batched += batches;
          // Accepted: the frames libpcap's program accepts, or (a plain DROP rule) the others.
          const accepts = target === "ACCEPT" || invert !== "";
          c.results.forEach((expected, i) => {
            if (expected === null) return;
            checked++;
            assert.equal(verdicts[i], (expected !== 0) === accepts ? 1 : 0, `${label} packet ${i}`);
          });
        }
      }
      cases++;
    }
    assert.ok(cases > 100, `only ${cases} cases`);
    assert.ok(checked > 1000, `only ${checked} verdicts checked`);
    assert.ok(batched > cases, `the batch path ran on ${batched} blocks only`);
  },
});

Deno.test({
  name: "one --expr rule as a batch: per capture interface, described when a program needs it",
  ignore,
  async fn() {
    const files = Object.keys(data!.files);
    let batched = 0;
    for (const expr of ["tcp port 80", "ip or ip6", "vlan", "inbound", "ifindex 3", "udp", "arp"]) {
      for (const file of files) {
        const input = await _capture(file);
        const text = `*filter\n:INPUT DROP [0:0]\n` +
          `-A INPUT --base link -m bpf --expr "${expr}" -j ACCEPT\nCOMMIT\n`;
        const { batches } = await _assertSameAsReference(text, input, [input], `${file} "${expr}"`);
        batched += batches;
      }
    }
    assert.ok(batched > 100, `the batch path ran on ${batched} blocks only`);
  },
});
