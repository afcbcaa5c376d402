/**
 * The Wasm record walk against the JavaScript path (the router decoding and
 * classifying every record) and the reference interpreter: random pcap
 * captures in both byte orders, the three magics, odd snaplens, wire
 * lengths below the captured length, corrupted headers and a truncated
 * end, pushed in blocks split anywhere; with and without a drop sink, and
 * with the accepted runs moved within the block.
 */
import assert from "node:assert/strict";
import { interpret } from "../bpf/interpret.ts";
import type { Instruction } from "../bpf/instruction.ts";
import { _resetWasmProbe } from "../bpf/compile_wasm.ts";
import { compileFilter } from "../filter/compile_filter.ts";
import { compileRuleSet } from "../rules/compile_rule_set.ts";
import type { RuleSet } from "../rules/rule_set.ts";
import { _RecordRouter, type _RecordWalk, type _RunSink } from "../stream/_record_router.ts";
import { _decodeRecords, _random } from "../stream/_router_test_helpers.ts";
import { _makeWasmWalk, _programWalk, type _WasmWalk } from "./_wasm_walk.ts";
import { _OutputRuns } from "./_output_runs.ts";
import { _mixed } from "./_test_capture.ts";
import { _loadProgram } from "./_program.ts";
import { _testIo } from "./_test_io.ts";
import { _parseOptions } from "../args/_args.ts";
import { corpusDir, corpusSkipReason, loadCases } from "../../tests/_corpus.ts";

const EXPRESSIONS = [
  "tcp port 80",
  "ip",
  "greater 200",
  "len < 100",
  "ether[60] = 0",
  "ip[2:2] > 500",
  "udp and ip[6:2] & 0x1fff = 0",
  "tcp[13] & 2 != 0",
  "ip6 or arp",
];

/** The one-rule set `filter --expr` builds, evaluated rule by rule as the CLI does. */
function _oneProgram(program: Instruction[]) {
  const ruleSet: RuleSet = {
    table: "filter",
    chains: [{
      name: "INPUT",
      policy: "DROP",
      rules: [{
        base: "link",
        matches: [{ kind: "bpf", invert: false, program }],
        target: "ACCEPT",
      }],
    }],
  };
  return compileRuleSet(ruleSet, { evaluation: "rule-by-rule", maxInstructions: 4096 });
}

interface _Capture {
  bytes: Uint8Array;
  /** Where records start (after the file header), for corrupting them. */
  starts: number[];
  recordHeader: number;
  little: boolean;
}

/** A random pcap capture of `count` records built from the example's frames. */
function _randomCapture(next: () => number, count: number): _Capture {
  const little = (next() & 1) === 0;
  const magic = [0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34][next() % 3];
  const recordHeader = magic === 0xa1b2cd34 ? 24 : 16;
  const snaplen = [0, 30, 64, 96, 65535, 1 << 20][next() % 6];
  const frames = _decodeRecords(_mixed).filter((r) => r.kind === 1).map((r) => r.data);
  const parts: Uint8Array[] = [];
  const header = new Uint8Array(24);
  const h = new DataView(header.buffer);
  h.setUint32(0, magic, little);
  h.setUint16(4, 2, little);
  h.setUint16(6, 4, little);
  h.setUint32(16, snaplen, little);
  h.setUint32(20, 1, little);
  parts.push(header);
  const starts: number[] = [];
  let at = 24;
  for (let i = 0; i < count; i++) {
    const frame = frames[next() % frames.length];
    let data = frame.slice(0, frame.length - (next() % 3 === 0 ? next() % frame.length : 0));
    if (next() % 40 === 0) {
      // A record longer than the output's direct-write threshold (32 KiB) and than most blocks.
      const big = new Uint8Array(32768 + (next() % 40000));
      big.set(data);
      data = big;
    }
    if (next() % 5 === 0 && data.length > 20) data[12 + (next() % 8)] ^= 1 << (next() % 8);
    const record = new Uint8Array(recordHeader + data.length);
    const v = new DataView(record.buffer);
    v.setUint32(8, data.length, little);
    // Wire lengths below the captured length, and some near 2^32 (the totals pass 32 bits).
    const pick = next() % 9;
    const wire = pick === 0
      ? next() % (data.length + 1)
      : pick === 1
      ? 0xffffff00 + (next() % 256)
      : data.length + (next() % 40);
    v.setUint32(12, wire, little);
    record.set(data, recordHeader);
    parts.push(record);
    starts.push(at);
    at += record.length;
  }
  const bytes = new Uint8Array(at);
  let p = 0;
  for (const part of parts) {
    bytes.set(part, p);
    p += part.length;
  }
  return { bytes, starts, recordHeader, little };
}

/** A sink that keeps every byte written to it. */
class _Collect implements _RunSink {
  readonly active = true;
  readonly parts: Uint8Array[] = [];
  write(bytes: Uint8Array, from: number, to: number): void {
    this.parts.push(bytes.slice(from, to));
  }
  bytes(): Uint8Array {
    const all = new Uint8Array(this.parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of this.parts) {
      all.set(part, at);
      at += part.length;
    }
    return all;
  }
}

/** A walk that counts the records it took. */
function _counting(walk: _RecordWalk): { walk: _RecordWalk; walked: () => number } {
  let walked = 0;
  return {
    walk: {
      walk(chunk, from, layout, captureInterface, accepted, dropped, totals) {
        const stop = walk.walk(chunk, from, layout, captureInterface, accepted, dropped, totals);
        if (stop > from) walked += totals[0];
        return stop;
      },
      walkRecord(bytes, start, end, layout, captureInterface, accepted, dropped, totals) {
        const took = walk.walkRecord(
          bytes,
          start,
          end,
          layout,
          captureInterface,
          accepted,
          dropped,
          totals,
        );
        if (took) walked += totals[0];
        return took;
      },
    },
    walked: () => walked,
  };
}

interface _Run {
  accepted: Uint8Array;
  dropped: Uint8Array;
  error: string | undefined;
  stats: unknown;
  /** Records the walk took. */
  walked: number;
}

/**
 * Routes `bytes` in blocks of `sizes` (cycled); with `walk`, through the Wasm
 * walk, each block copied into its pool first; with `move`, the accepted
 * runs moved within the block (as `filter` without a drop file).
 */
function _routeBlocks(
  program: Instruction[],
  bytes: Uint8Array,
  sizes: number[],
  options: { walk: boolean; drop: boolean; move: boolean },
): _Run {
  const rules = _oneProgram(program);
  const router = new _RecordRouter(rules);
  const walk = options.walk ? _programWalkOf(rules, program) : undefined;
  const counting = walk ? _counting(walk) : undefined;
  if (counting) router._setRecordWalk(counting.walk);
  const accepted = new _OutputRuns();
  const kept: Uint8Array[] = [];
  const dropped = options.drop ? new _Collect() : undefined;
  let error: unknown;
  let at = 0;
  for (let k = 0; at < bytes.length && error === undefined; k++) {
    const size = Math.min(sizes[k % sizes.length], bytes.length - at);
    const block = walk?.take(size) ?? new Uint8Array(size);
    block.set(bytes.subarray(at, at + size));
    at += size;
    if (options.move) accepted.compactIn(block);
    error = router.push(block, accepted, dropped);
    for (const chunk of accepted.take()) kept.push(chunk.slice());
    accepted.reset();
    block.fill(0xee); // read into again: nothing may still refer to it
    walk?.give(block);
  }
  if (error === undefined) {
    error = router.finish(accepted, dropped);
    for (const chunk of accepted.take()) kept.push(chunk.slice());
  }
  const collect = new _Collect();
  for (const chunk of kept) collect.write(chunk, 0, chunk.length);
  return {
    accepted: collect.bytes(),
    dropped: dropped?.bytes() ?? new Uint8Array(0),
    error: error === undefined ? undefined : String((error as Error).message),
    stats: { ...router.snapshot(0, 0), error: undefined },
    walked: counting?.walked() ?? 0,
  };
}

/** The records the interpreter accepts (libpcap's view: the captured bytes cut to the snaplen). */
function _interpreted(program: Instruction[], bytes: Uint8Array): Uint8Array {
  const parts = _decodeRecords(bytes)
    .filter((r) => r.kind === 0 || interpret(program, r.data, { wireLength: r.wireLength }) !== 0)
    .map((r) => r.record);
  const collect = new _Collect();
  for (const part of parts) collect.write(part, 0, part.length);
  return collect.bytes();
}

Deno.test("Wasm record walk: the JavaScript path's and the interpreter's output, counters and errors on random captures", () => {
  const next = _random(12);
  let walkedAll = 0;
  for (let round = 0; round < 60; round++) {
    const capture = _randomCapture(next, 20 + (next() % 200));
    const expression = EXPRESSIONS[round % EXPRESSIONS.length];
    const program = compileFilter(expression, { linkType: 1 });
    let bytes = capture.bytes;
    let what = "whole";
    const damage = next() % 4;
    if (damage === 1) {
      // A captured length over the limit in a record's header mid-stream.
      bytes = bytes.slice();
      const at = capture.starts[next() % capture.starts.length];
      new DataView(bytes.buffer).setUint32(at + 8, 0x7fffff00, capture.little);
      what = `bad header at ${at}`;
    } else if (damage === 2) {
      bytes = bytes.slice(0, bytes.length - 1 - (next() % 40));
      what = "truncated";
    }
    const sizes = [1 + (next() % 3000), 1 + (next() % 700), 24 + (next() % 64), 4096];
    const drop = (next() & 1) === 0;
    const move = !drop;
    const plain = _routeBlocks(program, bytes, sizes, { walk: false, drop, move });
    const walked = _routeBlocks(program, bytes, sizes, { walk: true, drop, move });
    const where = `round ${round}, ${expression}, ${what}, blocks ${sizes}, drop ${drop}`;
    assert.deepEqual(walked.accepted, plain.accepted, where);
    assert.deepEqual(walked.dropped, plain.dropped, where);
    assert.equal(walked.error, plain.error, where);
    assert.deepEqual(walked.stats, plain.stats, where);
    if (damage === 0) {
      assert.equal(plain.error, undefined, where);
      assert.deepEqual(walked.accepted, _interpreted(program, bytes), where);
    }
    walkedAll += walked.walked;
  }
  // The walk took part (most records are whole inside their blocks).
  assert.ok(walkedAll > 1000, `walked ${walkedAll} records`);
});

/** The walk of one program (as `_programWalk` makes it for `--bytecode`). */
function _programWalkOf(rules: ReturnType<typeof _oneProgram>, program: Instruction[]): _WasmWalk {
  const batch =
    (rules as { _programBatch?: { counted: (a: number, b: number, c: number, d: number) => void } })
      ._programBatch;
  assert.ok(batch, "the one-program set has a batch path");
  const walk = _makeWasmWalk({ programFor: () => program, counted: batch.counted });
  assert.ok(!("reason" in walk), "run-time Wasm is allowed here");
  return walk as _WasmWalk;
}

Deno.test("_programWalk walks every record of `tcp port 80` blocks as filter --expr compiles it", async () => {
  const parsed = _parseOptions("filter", ["--expr", "tcp port 80"], { expr: { type: "string" } });
  const source = await _loadProgram(parsed, "filter", _testIo().io, "link", ["expr"]);
  const program = source.forLinkType(1);
  const rules = _oneProgram(program);
  const walk = _programWalk(rules, source);
  assert.ok(walk !== undefined);
  const router = new _RecordRouter(rules);
  const counting = _counting(walk);
  router._setRecordWalk(counting.walk);
  const block = walk.take(_mixed.length)!;
  block.set(_mixed);
  const accepted = new _Collect();
  assert.equal(router.push(block, accepted), undefined);
  assert.equal(router.finish(accepted), undefined);
  // All records but the file header went through the walk.
  assert.equal(counting.walked(), _decodeRecords(_mixed).length - 1);
  assert.deepEqual(accepted.bytes(), _interpreted(program, _mixed));
});

Deno.test("_makeWasmWalk gives the reason where run-time Wasm is refused (as Workers do), and filter runs as before", async () => {
  const expected = _testIo({ stdin: _mixed, reads: [1000] });
  assert.equal(
    await (await import("./run_cli.ts")).runCli(
      ["filter", "--base", "link", "--expr", "tcp", "--stats"],
      expected.io,
    ),
    0,
  );
  const original = WebAssembly.Module;
  const refuse = function Module() {
    throw new WebAssembly.CompileError(
      "WebAssembly.Module(): Wasm code generation disallowed by embedder",
    );
  } as unknown as typeof WebAssembly.Module;
  (WebAssembly as { Module: typeof WebAssembly.Module }).Module = refuse;
  _resetWasmProbe();
  try {
    const walk = _makeWasmWalk({ programFor: () => [], counted: () => {} });
    assert.ok("reason" in walk);
    assert.match(walk.reason, /run-time Wasm is refused \(CompileError: .*disallowed/);
    const t = _testIo({ stdin: _mixed, reads: [1000] });
    assert.equal(
      await (await import("./run_cli.ts")).runCli(
        ["filter", "--base", "link", "--expr", "tcp", "--stats"],
        t.io,
      ),
      0,
    );
    assert.deepEqual(t.stdout(), expected.stdout());
    assert.equal(t.stderr(), expected.stderr());
  } finally {
    (WebAssembly as { Module: typeof WebAssembly.Module }).Module = original;
    _resetWasmProbe();
  }
});

Deno.test({
  name:
    "filter --base link --expr through the Wasm walk: libpcap's verdicts and the interpreter path's bytes and counters on the corpus",
  ignore: corpusSkipReason() !== undefined,
  async fn() {
    const { runCli } = await import("./run_cli.ts");
    let compared = 0;
    for (const c of loadCases()) {
      // pcapng files too: the walk takes none of their records, but the router
      // pushes their first block in two parts.
      if (c.base !== "link") continue;
      const capture = Deno.readFileSync(corpusDir + c.file);
      const run = async (program: string[], extra: string[] = []) => {
        // Blocks of 4,096 bytes filled by reads of odd sizes: records cross blocks.
        const t = _testIo({ stdin: capture, chunkSize: 4096, reads: [1000, 65536, 7] });
        const args = ["filter", "--base", "link", ...program, "--stats", ...extra];
        const code = await runCli(args, t.io);
        return { code, stdout: t.stdout(), stderr: t.stderr() };
      };
      const where = `${c.file}: ${c.expr}`;
      // The expression as tcpdump -r compiles it for the file: as the interpreter path runs it.
      const expression = ["--expr", c.expr];
      assert.deepEqual(
        await run(expression),
        await run(expression, ["--strategy", "interpret"]),
        where,
      );
      // libpcap's program and its recorded verdicts.
      const bytecode = await run(["--bytecode", c.bytecode.replace(/,$/, "")]);
      if (bytecode.code !== 0) {
        // protochain's loop: Linux, and so --bytecode, refuses backward jumps.
        assert.match(bytecode.stderr, /Cannot validate program: ja goes past the end/, where);
        continue;
      }
      if (c.results.some((r) => r === null)) continue;
      const records = _decodeRecords(capture);
      let packet = 0;
      const expected = new _Collect();
      for (const r of records) {
        if (r.kind === 0 || c.results[packet++] !== 0) expected.write(r.record, 0, r.record.length);
      }
      assert.deepEqual(bytecode.stdout, expected.bytes(), where);
      compared++;
    }
    assert.ok(compared > 100, `${compared} cases compared with libpcap`);
  },
});
