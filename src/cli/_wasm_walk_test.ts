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
import { LINKTYPE_RAW } from "../capture/link_types.ts";
import { compileRuleSet } from "../rules/compile_rule_set.ts";
import type { RuleSet } from "../rules/rule_set.ts";
import { _RecordRouter, type _RecordWalk, type _RunSink } from "../stream/_record_router.ts";
import { _decodeRecords, _random } from "../stream/_router_test_helpers.ts";
import { _makeWasmWalk, _programWalk, _WasmWalk } from "./_wasm_walk.ts";
import type { _ProgramBatch } from "../rules/_program_batch.ts";
import { _OutputRuns } from "./_output_runs.ts";
import { _mixed } from "./_test_capture.ts";
import { _loadProgram } from "./_program.ts";
import { _testIo } from "./_test_io.ts";
import { _parseOptions } from "../args/_args.ts";
import { corpusDir, corpusSkipReason, loadCases } from "../../tests/_corpus.ts";
import { CaptureDecoder } from "../capture/capture_decoder.ts";
import { validate } from "../bpf/validate.ts";

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

/** Network-base expressions (compiled for LINKTYPE_RAW) for the network-base walk. */
const NETWORK_EXPRESSIONS = [
  "tcp port 80",
  "ip",
  "greater 200",
  "len < 100",
  "ip[2:2] > 500",
  "udp and ip[6:2] & 0x1fff = 0",
  "tcp[13] & 2 != 0",
  "ip6 or ip[0] & 0xf != 5",
  "ip6 and udp",
];

/** The one-rule set `filter --expr` builds, evaluated rule by rule as the CLI does. */
function _oneProgram(
  program: Instruction[],
  strategy?: "interpret",
  base: "link" | "network" = "link",
  rule: { invert: boolean; accepts: boolean } = { invert: false, accepts: true },
) {
  const ruleSet: RuleSet = {
    table: "filter",
    chains: [{
      name: "INPUT",
      policy: rule.accepts ? "DROP" : "ACCEPT",
      rules: [{
        base,
        matches: [{ kind: "bpf", invert: rule.invert, program }],
        target: rule.accepts ? "ACCEPT" : "DROP",
      }],
    }],
  };
  return compileRuleSet(ruleSet, { evaluation: "rule-by-rule", maxInstructions: 4096, strategy });
}

interface _Capture {
  bytes: Uint8Array;
  /** Where records start (after the file header), for corrupting them, and end. */
  starts: number[];
  ends: number[];
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
  const ends: number[] = [];
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
    ends.push(at);
  }
  const bytes = new Uint8Array(at);
  let p = 0;
  for (const part of parts) {
    bytes.set(part, p);
    p += part.length;
  }
  return { bytes, starts, ends, recordHeader, little };
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
  options: {
    walk: boolean;
    drop: boolean;
    move: boolean;
    strategy?: "interpret";
    base?: "link" | "network";
    rule?: { invert: boolean; accepts: boolean };
  },
): _Run {
  const rules = _oneProgram(program, options.strategy, options.base, options.rule);
  const router = new _RecordRouter(rules);
  const walk = options.walk ? _programWalkOf(rules, program, options.base) : undefined;
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
    // The records the walk must take: every whole record before a bad one.
    let walkable = capture.starts.length;
    const damage = next() % 4;
    if (damage === 1) {
      // A captured length over the limit in a record's header mid-stream.
      bytes = bytes.slice();
      walkable = next() % capture.starts.length;
      const at = capture.starts[walkable];
      new DataView(bytes.buffer).setUint32(at + 8, 0x7fffff00, capture.little);
      what = `bad header at ${at}`;
    } else if (damage === 2) {
      bytes = bytes.slice(0, bytes.length - 1 - (next() % 40));
      walkable = capture.ends.filter((end) => end <= bytes.length).length;
      what = "truncated";
    }
    const sizes = [1 + (next() % 3000), 1 + (next() % 700), 24 + (next() % 64), 4096];
    const drop = (next() & 1) === 0;
    const move = !drop;
    // Every third round the rule is inverted or drops (its policy accepts).
    const rule = round % 3 !== 2
      ? { invert: false, accepts: true }
      : { invert: (next() & 1) === 0, accepts: (next() & 1) === 0 };
    const plain = _routeBlocks(program, bytes, sizes, { walk: false, drop, move, rule });
    const walked = _routeBlocks(program, bytes, sizes, { walk: true, drop, move, rule });
    const where = `round ${round}, ${expression}, ${what}, blocks ${sizes}, drop ${drop}, ${
      JSON.stringify(rule)
    }`;
    assert.deepEqual(walked.accepted, plain.accepted, where);
    assert.deepEqual(walked.dropped, plain.dropped, where);
    assert.equal(walked.error, plain.error, where);
    assert.deepEqual(walked.stats, plain.stats, where);
    if (damage === 0 && rule.accepts && !rule.invert) {
      assert.equal(plain.error, undefined, where);
      assert.deepEqual(walked.accepted, _interpreted(program, bytes), where);
    }
    // The walk takes every record up to the first bad one: those whole in a
    // block, those carried across blocks, after a file header split anyhow.
    assert.equal(walked.walked, walkable, where);
    walkedAll += walked.walked;
  }
  assert.ok(walkedAll > 1000, `walked ${walkedAll} records`);
});

Deno.test("Wasm record walk on the network base: the interpreter rule set's output and counters on random captures (cut and damaged link and IP headers, short wire lengths)", () => {
  const next = _random(31);
  let walkedAll = 0;
  for (let round = 0; round < 60; round++) {
    const capture = _randomCapture(next, 20 + (next() % 200));
    const expression = NETWORK_EXPRESSIONS[round % NETWORK_EXPRESSIONS.length];
    const program = compileFilter(expression, { linkType: LINKTYPE_RAW });
    const sizes = [1 + (next() % 3000), 1 + (next() % 700), 24 + (next() % 64), 4096];
    const drop = (next() & 1) === 0;
    // The rule inverted or not, accepting (policy DROP) or dropping (policy ACCEPT).
    const rule = { invert: (next() & 1) === 0, accepts: (next() & 1) === 0 };
    const options = { drop, move: !drop, base: "network" as const, rule };
    const plain = _routeBlocks(program, capture.bytes, sizes, {
      ...options,
      walk: false,
      strategy: "interpret",
    });
    const walked = _routeBlocks(program, capture.bytes, sizes, { ...options, walk: true });
    const where = `round ${round}, ${expression}, ${JSON.stringify(rule)}, blocks ${sizes}`;
    // Compared as booleans: a failing deepEqual of long arrays takes minutes to print.
    assert.ok(_same(walked.accepted, plain.accepted), `${where}: accepted bytes`);
    assert.ok(_same(walked.dropped, plain.dropped), `${where}: dropped bytes`);
    assert.equal(walked.error, undefined, where);
    assert.deepEqual(walked.stats, plain.stats, where);
    assert.equal(walked.walked, capture.starts.length, where);
    walkedAll += walked.walked;
  }
  assert.ok(walkedAll > 1000, `walked ${walkedAll} records`);
});

/** The walk of one program (as `_programWalk` makes it for `--bytecode`). */
function _programWalkOf(
  rules: ReturnType<typeof _oneProgram>,
  program: Instruction[],
  base: "link" | "network" = "link",
): _WasmWalk {
  const batch = (rules as { _programBatch?: _ProgramBatch })._programBatch;
  assert.ok(batch, "the one-program set has a batch path");
  const walk = _makeWasmWalk({
    programFor: () => program,
    counted: batch.counted,
    base,
    invert: batch.invert,
    ruleAccepts: batch.ruleAccepts,
  });
  assert.ok(!("reason" in walk), "run-time Wasm is allowed here");
  return walk as _WasmWalk;
}

Deno.test("_programWalk walks every record of `tcp port 80` blocks as filter --expr compiles it", async () => {
  const parsed = _parseOptions("filter", ["--expr", "tcp port 80"], { expr: { type: "string" } });
  const source = await _loadProgram(parsed, "filter", _testIo().io, "link", ["expr"]);
  const program = source.forLinkType(1);
  const rules = _oneProgram(program);
  const walk = _programWalk(rules, source);
  assert.ok(walk instanceof _WasmWalk);
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
    const reports: _WalkReport[] = [];
    assert.equal(
      await (await import("./run_cli.ts")).runCli(
        ["filter", "--base", "link", "--expr", "tcp", "--stats"],
        { ...t.io, _walkReport: (report) => void reports.push(report) },
      ),
      0,
    );
    assert.equal(reports.length, 1);
    assert.equal(reports[0].installed, false);
    assert.match(String(reports[0].reason), /run-time Wasm is refused \(CompileError: /);
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
        // The input's format kept: the expected output is the input's records.
        const args = ["filter", "--keep-format", "--base", "link", ...program, "--stats", ...extra];
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

Deno.test({
  name:
    "filter --expr and --bytecode on the network base through the Wasm walk: libpcap's verdicts and the interpreter path's bytes and counters on the corpus",
  ignore: corpusSkipReason() !== undefined,
  async fn() {
    let compared = 0;
    for (const c of loadCases()) {
      if (c.base !== "network") continue;
      const capture = Deno.readFileSync(corpusDir + c.file);
      const where = `${c.file}: ${c.expr}`;
      const expression = await _filterReport(["--expr", c.expr, "--stats"], capture);
      const reference = await _filterReport(
        ["--expr", c.expr, "--stats", "--strategy", "interpret"],
        capture,
      );
      assert.deepEqual(
        [expression.code, expression.stdout, expression.stderr],
        [reference.code, reference.stdout, reference.stderr],
        where,
      );
      // libpcap's program and its recorded verdicts (`null`: not IP to libpcap's
      // reading, which knows fewer link headers than the kernel's: not compared).
      const bytecode = await _filterReport(["--bytecode", c.bytecode.replace(/,$/, "")], capture);
      if (bytecode.code !== 0) {
        // protochain's loop: Linux, and so --bytecode, refuses backward jumps.
        assert.match(bytecode.stderr, /Cannot validate program: ja goes past the end/, where);
        continue;
      }
      // The output is a subsequence of the input: each packet kept or not, in order.
      const kept = _decodeRecords(bytecode.stdout).filter((r) => r.kind === 1);
      let packet = 0, next = 0;
      for (const r of _decodeRecords(capture)) {
        if (r.kind === 0) continue;
        const accepted = next < kept.length && _same(kept[next].record, r.record);
        if (accepted) next++;
        const result = c.results[packet++];
        if (result !== null) assert.equal(accepted, result !== 0, `${where}: packet ${packet}`);
      }
      assert.equal(next, kept.length, where);
      // Classic pcap files are walked whole (pcapng's blocks are not the walk's).
      if (capture[0] !== 0x0a) assert.equal(bytecode.report?.walked, packet, where);
      compared++;
    }
    assert.ok(compared > 20, `${compared} cases compared with libpcap`);
  },
});

type _WalkReport = {
  installed: boolean;
  walked: number;
  reason: string | undefined;
  wasm?: boolean;
  ruleSetCompiled?: boolean;
};

/** `filter ARGS` on `capture` read in blocks: its output and what it says of the walk. */
async function _filterReport(args: string[], capture: Uint8Array, reads = [1000]) {
  const { runCli } = await import("./run_cli.ts");
  const t = _testIo({ stdin: capture, chunkSize: 4096, reads });
  const reports: _WalkReport[] = [];
  const code = await runCli(["filter", "--keep-format", ...args], {
    ...t.io,
    _walkReport: (report) => void reports.push(report),
  });
  assert.ok(reports.length <= 1); // none: filter stopped before reading
  return { code, stdout: t.stdout(), stderr: t.stderr(), report: reports[0] };
}

Deno.test("filter installs the Wasm walk for a single link-base program and walks every record, a file header split across reads included", async () => {
  const packets = _decodeRecords(_mixed).length - 1;
  for (const reads of [[1000], [10, 7, 1000], [24, 65536]]) {
    for (const program of [["--expr", "tcp port 80"], ["--bytecode", "1,6 0 0 65535"]]) {
      const walked = await _filterReport(["--base", "link", ...program, "--stats"], _mixed, reads);
      const where = `${program}, reads ${reads}`;
      assert.deepEqual(
        walked.report,
        { installed: true, walked: packets, reason: undefined, wasm: false },
        where,
      );
      const plain = await _filterReport(
        ["--base", "link", ...program, "--stats", "--strategy", "interpret"],
        _mixed,
        reads,
      );
      assert.deepEqual(plain.report.installed, false, where);
      assert.equal(plain.report.reason, "a strategy is given", where);
      assert.deepEqual([walked.code, walked.stdout, walked.stderr], [
        plain.code,
        plain.stdout,
        plain.stderr,
      ], where);
    }
  }
});

Deno.test("filter walks a program with an indexed load whose X comes from A; one reading an ancillary field is left to the rule set, with the reason", async () => {
  const packets = _decodeRecords(_mixed).length - 1;
  // An HTTP GET at the start of the TCP payload: X from `tax` (the TCP header length).
  const program = ["--base", "link", "--expr", "tcp[((tcp[12:1]&0xf0)>>2):4]=0x47455420"];
  const walked = await _filterReport(program, _mixed);
  assert.deepEqual(walked.report, {
    installed: true,
    walked: packets,
    reason: undefined,
    wasm: false,
    // Without --stats: the walk-only path, which compiles the rule set for a
    // program that may leave a record to it (./_filter_walk_only.ts).
    ruleSetCompiled: true,
  });
  const plain = await _filterReport([...program, "--strategy", "interpret"], _mixed);
  assert.deepEqual(walked.stdout, plain.stdout);
  // ld [SKF_AD_OFF + SKF_AD_PROTOCOL]; ret a
  const ancillary = ["--base", "link", "--bytecode", "2,32 0 0 4294963200,22 0 0 0"];
  const left = await _filterReport(ancillary, _mixed);
  assert.deepEqual(left.report, {
    installed: true,
    walked: 0,
    reason: "the program reads an ancillary field",
    wasm: false,
    ruleSetCompiled: true,
  });
  const reference = await _filterReport([...ancillary, "--strategy", "interpret"], _mixed);
  assert.deepEqual(left.stdout, reference.stdout);
});

/** A random checked program whose indexed loads take X from A, memory or a length: some land below zero. */
function _randomIndexedProgram(next: () => number): Instruction[] {
  const pick = <T>(values: T[]): T => values[next() % values.length];
  const body: Instruction[] = [];
  // Every scratch cell written first (the checker refuses reading one before).
  for (let m = 0; m < 4; m++) body.push({ code: 0x02, jt: 0, jf: 0, k: m });
  for (let i = 0, n = 3 + (next() % 14); i < n; i++) {
    const r = next() % 14;
    const k = next() % 6 === 0 ? pick([0x7fffffff, 0xfff00000, 0xffe00010, 1500]) : next() % 90;
    if (r < 2) body.push({ code: pick([0x20, 0x28, 0x30]), jt: 0, jf: 0, k: next() % 90 });
    else if (r < 5) body.push({ code: pick([0x40, 0x48, 0x50]), jt: 0, jf: 0, k }); // ld [x + k]
    else if (r === 5) body.push({ code: 0xb1, jt: 0, jf: 0, k: next() % 40 }); // ldx msh
    else if (r === 6) body.push({ code: pick([0x80, 0x81]), jt: 0, jf: 0, k: 0 }); // ld/ldx len
    else if (r === 7) {
      const value = pick([0, 14, 0xffffffff, 0xfff00000, 0xffe00000, 0x80000000, next() % 100]);
      body.push({ code: pick([0x00, 0x01]), jt: 0, jf: 0, k: value }); // ld/ldx #k
    } else if (r === 8) {
      const op = pick([0x00, 0x10, 0x20, 0x50, 0x60, 0x70, 0x80, 0xa0]);
      body.push({
        code: 0x04 | op | pick([0, 8]),
        jt: 0,
        jf: 0,
        k: pick([1, 3, 0xff, 0x80000000]),
      });
    } else if (r === 9) body.push({ code: pick([0x02, 0x03]), jt: 0, jf: 0, k: next() % 4 });
    else if (r === 10) body.push({ code: pick([0x60, 0x61]), jt: 0, jf: 0, k: next() % 4 });
    else if (r === 11) body.push({ code: pick([0x07, 0x87]), jt: 0, jf: 0, k: 0 }); // tax, txa
    else body.push({ code: pick([0x15, 0x25, 0x35, 0x45]), jt: 0, jf: 0, k: pick([0, 6, 0x800]) });
  }
  const program = [
    ...body,
    { code: 0x06, jt: 0, jf: 0, k: pick([1, 65535, 0xffffffff]) },
    { code: 0x06, jt: 0, jf: 0, k: 0 },
  ];
  for (let i = 0; i < body.length; i++) {
    if ((program[i].code & 7) === 5) {
      const room = program.length - i - 2;
      program[i].jt = next() % (room + 1);
      program[i].jf = next() % (room + 1);
    }
  }
  return program;
}

Deno.test("Wasm record walk with escapes: random programs with X from A, memory or a length give the interpreter's output; records whose load lands below zero are left to JavaScript", () => {
  const next = _random(21);
  let programs = 0, escaped = 0, walkedAll = 0;
  while (programs < 150) {
    const program = _randomIndexedProgram(next);
    try {
      validate(program);
    } catch {
      continue;
    }
    programs++;
    const capture = _randomCapture(next, 10 + (next() % 60));
    const sizes = [1 + (next() % 3000), 1 + (next() % 700), 24 + (next() % 64), 4096];
    const drop = (next() & 1) === 0;
    const options = { drop, move: !drop };
    // The reference interpreter on described frames (negative offsets read the network header).
    const plain = _routeBlocks(program, capture.bytes, sizes, {
      walk: false,
      strategy: "interpret",
      ...options,
    });
    const walked = _routeBlocks(program, capture.bytes, sizes, { walk: true, ...options });
    const where = `program ${JSON.stringify(program)}, blocks ${sizes}`;
    // Compared as booleans first: a failing deepEqual of long arrays takes minutes to print.
    assert.ok(_same(walked.accepted, plain.accepted), where);
    assert.ok(_same(walked.dropped, plain.dropped), where);
    assert.equal(walked.error, plain.error, where);
    assert.deepEqual(walked.stats, plain.stats, where);
    if (walked.walked < capture.starts.length) escaped++;
    // No escape: no load landed below zero, so the bare interpreter agrees.
    else assert.ok(_same(walked.accepted, _interpreted(program, capture.bytes)), where);
    walkedAll += walked.walked;
  }
  // Both happened: records walked, and records left to JavaScript by an escape.
  assert.ok(walkedAll > 1000, `walked ${walkedAll}`);
  assert.ok(escaped > 10, `${escaped} programs escaped`);
});

Deno.test("the walk may keep scratch memory across records: a program reading a cell before writing it never passes the checker", async () => {
  // M[] is not reset between records in the walk (docs of `_pcapWalkModule`).
  const readFirst = [{ code: 0x60, jt: 0, jf: 0, k: 0 }, { code: 0x16, jt: 0, jf: 0, k: 0 }];
  assert.throws(
    () => validate(readFirst),
    (e) => (e as { code?: string }).code === "UNINITIALIZED_SCRATCH",
  );
  const run = await _filterReport(["--base", "link", "--bytecode", "2,96 0 0 0,22 0 0 0"], _mixed);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /M\[0\] may be read before it is written/);
  assert.equal(run.report, undefined);
});

/** A pcap record of `caplen` bytes (wire length `caplen + 4`), little-endian. */
function _record(caplen: number, fill: number): Uint8Array {
  const record = new Uint8Array(16 + caplen).fill(fill);
  const v = new DataView(record.buffer);
  v.setUint32(0, fill, true);
  v.setUint32(4, 0, true);
  v.setUint32(8, caplen, true);
  v.setUint32(12, caplen + 4, true);
  return record;
}

Deno.test("Wasm record walk stops where the decoder's fast path stops: captured length at the limit and over it, a block one byte short of or past a record, a record header split", () => {
  const max = 100;
  const header = new Uint8Array(24);
  const h = new DataView(header.buffer);
  h.setUint32(0, 0xa1b2c3d4, true);
  h.setUint16(4, 2, true);
  h.setUint16(6, 4, true);
  h.setUint32(16, 40, true); // snaplen 40: longer records are walked, cut to it
  h.setUint32(20, 1, true);
  const program = compileFilter("greater 30", { linkType: 1 });
  const walk = _makeWasmWalk({ programFor: () => program, counted: () => {} }) as _WasmWalk;
  /** caplens, then how many bytes of the records the block holds (relative to their total). */
  const cases: [number[], number][] = [
    [[10, max, 20], 0],
    [[10, max + 1, 20], 0],
    [[10, 50, 41, 40], 0],
    [[10, 20, 30], -1],
    [[10, 20, 30], -(16 + 30) + 1],
    [[10, 20, 30], -(16 + 30) + 8],
    [[10, 20, 30], -(16 + 30) + 12],
    [[10, 20, 30], -(16 + 30) + 16],
    [[10, 20, 30], -(16 + 30)],
    [[max], -1],
    [[0, 0, max], 0],
  ];
  for (const [caplens, delta] of cases) {
    const records = caplens.map((caplen, i) => _record(caplen, i + 1));
    const all = new Uint8Array(records.reduce((n, r) => n + r.length, 0) + 1);
    let at = 0;
    for (const r of records) {
      all.set(r, at);
      at += r.length;
    }
    const length = at + delta;
    const where = `caplens ${caplens}, block ${length} of ${at}`;
    // The decoder's fast path over the same bytes.
    const decoder = new CaptureDecoder({ maxCapturedLength: max });
    decoder.push(header);
    const layout = decoder._pcapLayout!;
    const batch = new CaptureDecoder({ maxCapturedLength: max });
    batch.push(header);
    const decoded = batch.push(all.subarray(0, length));
    const expected = decoded.count === 0 ? 0 : decoded.end[decoded.count - 1];
    const block = walk.take(length)!;
    block.set(all.subarray(0, length));
    const totals = new Float64Array(6);
    const accepted = new _Collect();
    const stop = walk.walk(block, 0, layout, decoder.interfaces[0], accepted, undefined, totals);
    walk.give(block);
    assert.equal(stop, expected, where);
    if (stop > 0) {
      assert.equal(totals[0], decoded.count, where);
      // The interpreter's verdicts on the walked records, their bytes cut to the snaplen.
      const kept = new _Collect();
      for (let i = 0; i < decoded.count; i++) {
        const data = all.subarray(
          decoded.dataStart[i],
          decoded.dataStart[i] + decoded.capturedLength[i],
        );
        if (interpret(program, data, { wireLength: decoded.wireLength[i] }) !== 0) {
          kept.write(all, decoded.start[i], decoded.end[i]);
        }
      }
      assert.deepEqual(accepted.bytes(), kept.bytes(), where);
    }
  }
});

Deno.test("Wasm record walk: a module Wasm refuses leaves the records to the rule set with the reason; any other error is thrown", () => {
  const program = compileFilter("tcp", { linkType: 1 });
  const decoder = new CaptureDecoder();
  decoder.push(_mixed.subarray(0, 24));
  const layout = decoder._pcapLayout!;
  const original = WebAssembly.Module;
  const stub = (error: Error) => {
    (WebAssembly as { Module: unknown }).Module = function Module() {
      throw error;
    };
  };
  try {
    for (const error of [new WebAssembly.CompileError("refused"), new TypeError("a bug")]) {
      const walk = _makeWasmWalk({ programFor: () => program, counted: () => {} }) as _WasmWalk;
      stub(error);
      const block = walk.take(_mixed.length - 24)!;
      block.set(_mixed.subarray(24));
      const run = () =>
        walk.walk(
          block,
          0,
          layout,
          decoder.interfaces[0],
          new _Collect(),
          undefined,
          new Float64Array(6),
        );
      if (error instanceof TypeError) {
        assert.throws(run, TypeError);
      } else {
        assert.equal(run(), 0);
        assert.equal(walk.unusedReason, "run-time Wasm is refused (CompileError: refused)");
      }
      (WebAssembly as { Module: typeof WebAssembly.Module }).Module = original;
    }
  } finally {
    (WebAssembly as { Module: typeof WebAssembly.Module }).Module = original;
  }
});

function _same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
