import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { compileRuleSet, formatBytecode, parseRuleSet } from "../mod.ts";
import { CaptureDecoderStream } from "../src/capture/mod.ts";
import { cliFilter, cliTrace, traceLine } from "./_cli_oracle.ts";
import { filterCapture } from "./filter_capture.ts";
import { indexCapture } from "./index_capture.ts";
import { readPackets } from "./read_packet.ts";
import { ruleLabels } from "./rule_labels.ts";
import { traceDecision } from "./trace_decision.ts";

const root = new URL("../", import.meta.url);
const edgeRules = readFileSync(new URL("examples/edge.rules", root), "utf8");
const mixed = readFileSync(new URL("examples/mixed.pcap", root));
const corpusPcapDir = new URL("../shared/conformance/pcap/", root);
const corpusFiles = existsSync(corpusPcapDir)
  ? readdirSync(corpusPcapDir).filter((name) => /\.(pcap|pcapng|cap)$/.test(name)).sort()
  : [];

async function checkAgainstCli(name: string, capture: Uint8Array, chunkSize: number) {
  const cli = await cliFilter(edgeRules, capture);
  const rules = compileRuleSet(parseRuleSet(edgeRules));
  const outcome = await filterCapture(new Blob([capture as BlobPart]), rules, { chunkSize });
  assert.equal(outcome.stats.error, undefined, name);
  assert.deepEqual(
    new Uint8Array(await new Blob(outcome.accepted as BlobPart[]).arrayBuffer()),
    cli.accepted,
    name,
  );
  assert.deepEqual(
    new Uint8Array(await new Blob(outcome.dropped as BlobPart[]).arrayBuffer()),
    cli.dropped,
    name,
  );
  const counters = outcome.stats.rules;
  assert.deepEqual(counters.frames, cli.stats.frames, name);
  assert.deepEqual(counters.accepted, cli.stats.accepted, name);
  assert.deepEqual(counters.dropped, cli.stats.dropped, name);
  for (const chain of cli.stats.chains) {
    const rulesCounters = counters.chains[chain.name].rules;
    assert.deepEqual(
      rulesCounters.map(({ packets, bytes }) => ({ packets, bytes })),
      chain.rules.map(({ packets, bytes }) => ({ packets, bytes })),
      `${name} ${chain.name}`,
    );
    if (chain.counters) assert.deepEqual(counters.chains[chain.name].policy, chain.counters, name);
  }
  // One verdict per packet; the verdicts add up to the CLI's totals and each
  // ACCEPT/DROP rule decided as many packets as its counter says.
  const { verdicts } = outcome;
  assert.equal(verdicts.count, cli.stats.frames.packets, name);
  assert.equal(verdicts.accepted.reduce((n, v) => n + v, 0), cli.stats.accepted.packets, name);
  const labels = ruleLabels(rules.ruleSet);
  const decided = new Map<number, number>();
  for (const rule of verdicts.decidedBy) decided.set(rule, (decided.get(rule) ?? 0) + 1);
  const flat = cli.stats.chains.flatMap((chain) => chain.rules);
  labels.forEach((label, i) => {
    if (label.target === "ACCEPT" || label.target === "DROP") {
      assert.equal(decided.get(i) ?? 0, flat[i].packets, `${name} rule ${i}`);
    }
  });
  return cli;
}

Deno.test("filterCapture() equals bpfstream filter on examples/mixed.pcap, in any chunk size", async () => {
  for (const chunkSize of [1, 7, 100, 1 << 20]) {
    await checkAgainstCli("mixed.pcap", mixed, chunkSize);
  }
});

Deno.test({
  name:
    "filterCapture() equals bpfstream filter on every corpus capture; readPackets() decodes each packet as the whole-file decoder does",
  ignore: corpusFiles.length === 0,
  async fn() {
    for (const name of corpusFiles) {
      const capture = readFileSync(new URL(name, corpusPcapDir));
      const cli = await checkAgainstCli(name, capture, 997);
      const index = await indexCapture(new Blob([capture as BlobPart]), 997);
      assert.equal(index.count, cli.stats.frames.packets, name);
      const whole = await Array.fromAsync(
        new Blob([capture as BlobPart]).stream().pipeThrough(new CaptureDecoderStream()),
      );
      const blob = new Blob([capture as BlobPart]);
      const read = await readPackets(blob, index, 0, index.count);
      assert.equal(read.length, whole.length, name);
      read.forEach((frame, i) => {
        assert.deepEqual(frame.data, whole[i].data, `${name} packet ${i + 1}`);
        assert.equal(frame.wireLength, whole[i].wireLength, `${name} packet ${i + 1}`);
        assert.equal(frame.linkType, whole[i].linkType, `${name} packet ${i + 1}`);
        assert.equal(
          frame.timestampNanoseconds,
          whole[i].timestampNanoseconds,
          `${name} packet ${i + 1}`,
        );
        assert.equal(
          index.interfaceIndex[i],
          whole[i].interface.index,
          `${name} packet ${i + 1}`,
        );
      });
    }
  },
});

Deno.test("traceDecision() shows the steps bpfstream trace prints for the deciding --bytecode rule", async () => {
  const rules = compileRuleSet(parseRuleSet(edgeRules));
  const outcome = await filterCapture(new Blob([mixed as BlobPart]), rules);
  const flatRules = rules.ruleSet.chains.flatMap((chain) => chain.rules);
  const index = await indexCapture(new Blob([mixed as BlobPart]));
  const frames = await readPackets(new Blob([mixed as BlobPart]), index, 0, index.count);
  let traced = 0;
  for (let n = 0; n < outcome.verdicts.count; n++) {
    const decidedBy = outcome.verdicts.decidedBy[n];
    const rule = flatRules[decidedBy];
    const match = rule?.matches.find((m) => m.kind === "bpf" && m.program);
    if (!match || match.kind !== "bpf" || !match.program) continue;
    const frame = frames[n];
    const [program] = traceDecision(rules.ruleSet, decidedBy, {
      data: frame.data,
      wireLength: frame.wireLength,
      linkType: frame.linkType,
      interfaceIndex: index.interfaceIndex[n],
    });
    const expected = await cliTrace(formatBytecode(match.program), rule.base, n + 1, mixed);
    const steps = expected.filter((line) => line.startsWith("("));
    const shown = program.rows.map((row) =>
      traceLine(
        row.instruction,
        "0x" + (row.a >>> 0).toString(16).padStart(8, "0"),
        "0x" + (row.x >>> 0).toString(16).padStart(8, "0"),
        row.scratch,
      )
    );
    assert.deepEqual(shown, steps, `packet ${n + 1}`);
    assert.equal(
      expected.at(-1),
      `result: ${program.result} (${program.result === 0 ? "no match" : "match"})`,
    );
    traced++;
  }
  assert.ok(traced >= 3, `only ${traced} packets were decided by a --bytecode rule`);
});

Deno.test("filterCapture() keeps what precedes a bad record and reports the error", async () => {
  const cut = mixed.length - 10; // the last record ends early
  const truncated = mixed.slice(0, cut);
  const rules = compileRuleSet(parseRuleSet(edgeRules));
  const outcome = await filterCapture(new Blob([truncated as BlobPart]), rules, { chunkSize: 100 });
  assert.equal((outcome.stats.error as Error).name, "CaptureFormatError");
  assert.equal(outcome.verdicts.count, outcome.stats.input.packets);
  const cli = await cliFilter(edgeRules, mixed);
  assert.equal(outcome.verdicts.count, cli.stats.frames.packets - 1);
  const index = await indexCapture(new Blob([truncated as BlobPart]), 100);
  assert.equal(index.count, outcome.verdicts.count);
  const text = new TextEncoder().encode("not a capture at all");
  const none = await filterCapture(new Blob([text]), rules);
  assert.equal((none.stats.error as Error).name, "CaptureFormatError");
  assert.equal(none.verdicts.count, 0);
});
