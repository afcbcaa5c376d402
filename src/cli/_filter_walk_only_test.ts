/**
 * `filter --expr`/`--bytecode` on the walk-only path (./_filter_walk_only.ts):
 * the same output, messages and exit status as the rule-set path with the
 * reference interpreter (`--strategy interpret`, no walk), libpcap's
 * verdicts on the corpus, and the rule set compiled exactly where a block
 * needs it (pcapng, a header cut across blocks, blocks not in the walk's
 * memory, programs the walk leaves to JavaScript, Wasm refused).
 */
import assert from "node:assert/strict";
import { _resetWasmProbe } from "../bpf/compile_wasm.ts";
import { concat, epb, idb, pcapHeader, pcapRecord, shb } from "../capture/_test_captures.ts";
import { _decodeRecords } from "../stream/_router_test_helpers.ts";
import { parseBytecode } from "../bpf/parse_bytecode.ts";
import { _needsFrameDescription } from "../rules/_needs_frame_description.ts";
import { _readsAncillary } from "../rules/_reads_ancillary.ts";
import { corpusDir, corpusSkipReason, loadCases } from "../../tests/_corpus.ts";
import { runCli } from "./run_cli.ts";
import { _mixed, _packets } from "./_test_capture.ts";
import { _testIo, type _TestIoOptions } from "./_test_io.ts";

type _Report = Parameters<NonNullable<ReturnType<typeof _testIo>["io"]["_walkReport"]>>[0];

/** `filter ARGS` on `capture`, as `main.ts` reads it (or as `input` says). */
async function _filter(
  args: string[],
  capture: Uint8Array,
  input: _TestIoOptions = { chunkSize: 4096, reads: [1000, 65536, 7] },
) {
  const t = _testIo({ stdin: capture, ...input });
  const reports: _Report[] = [];
  const code = await runCli(["filter", ...args], {
    ...t.io,
    _walkReport: (report) => void reports.push(report),
  });
  assert.ok(reports.length <= 1);
  return {
    code,
    stdout: t.stdout(),
    stderr: t.stderr(),
    dropped: t.written.get("dropped.pcap"),
    report: reports[0],
  };
}

/** The run and the same run by the rule-set path's reference interpreter: equal output. */
async function _sameAsInterpreter(
  args: string[],
  capture: Uint8Array,
  input?: _TestIoOptions,
  where = args.join(" "),
) {
  const walked = await _filter(args, capture, input);
  const reference = await _filter([...args, "--strategy", "interpret"], capture, input);
  assert.deepEqual(
    [walked.code, walked.stdout, walked.stderr, walked.dropped],
    [reference.code, reference.stdout, reference.stderr, reference.dropped],
    where,
  );
  assert.equal(reference.report?.ruleSetCompiled, undefined, where);
  return walked;
}

const _PACKETS = _packets(_mixed).length;

Deno.test("filter --expr/--bytecode walks a classic pcap capture without compiling the rule set: the interpreter path's bytes, on both bases and with --drop-to", async () => {
  const programs = [
    ["--base", "link", "--expr", "udp port 53 or icmp"],
    ["--base", "network", "--expr", "net 10.0.0.0/8 and not port 22"],
    ["--expr", "ip6 or tcp port 443"],
    ["--base", "link", "--bytecode", "4,40 0 0 12,21 0 1 2048,6 0 0 65535,6 0 0 0"],
  ];
  for (const program of programs) {
    for (const extra of [[], ["--drop-to", "dropped.pcap"]]) {
      // Blocks of 4,096 bytes from reads of odd sizes (records cross blocks), and whole.
      for (const input of [undefined, { chunkSize: 1 << 18, reads: [1 << 20] }]) {
        const args = [...program, ...extra];
        const run = await _sameAsInterpreter(args, _mixed, input, `${args} ${input?.reads}`);
        assert.equal(run.code, 0);
        assert.deepEqual(run.report, {
          installed: true,
          walked: _PACKETS,
          reason: undefined,
          wasm: false,
          ruleSetCompiled: false,
        });
      }
    }
  }
});

Deno.test("filter --expr on a header-only capture, and on empty input, compiles nothing and says what the rule-set path says", async () => {
  const header = await _sameAsInterpreter(["--expr", "tcp"], _mixed.subarray(0, 24));
  assert.equal(header.code, 0);
  assert.equal(header.report?.ruleSetCompiled, false);
  assert.equal(header.stdout.length, 24);
  const empty = await _sameAsInterpreter(["--expr", "tcp"], new Uint8Array(0));
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /^bpfstream: <stdin>: /);
});

Deno.test("filter --expr compiles the rule set where a block needs it, with the interpreter path's output: pcapng, a header cut across blocks, blocks not in the walk's memory, a program left to JavaScript", async () => {
  const packets = _packets(_mixed);
  const pcapng = concat(shb(), idb({ snaplen: 65535 }), ...packets.map((p) => epb(p)));
  const cases: { args: string[]; capture: Uint8Array; input?: _TestIoOptions; why: string }[] = [
    // pcapng written as it came (the default reads it as pcap: see below).
    { args: ["--keep-format", "--expr", "tcp port 80"], capture: pcapng, why: "pcapng" },
    {
      args: ["--base", "link", "--expr", "tcp port 80"],
      capture: _mixed,
      input: { chunkSize: 4096, reads: [10, 7, 1000] },
      why: "a first block of 10 bytes",
    },
    {
      args: ["--base", "link", "--expr", "tcp port 80"],
      capture: _mixed,
      input: { chunkSize: 4096, blocks: true },
      why: "blocks of someone else's memory",
    },
    {
      // ld [SKF_AD_OFF + SKF_AD_PROTOCOL]; ret a
      args: ["--base", "link", "--bytecode", "2,32 0 0 4294963200,22 0 0 0"],
      capture: _mixed,
      why: "an ancillary field",
    },
    {
      // X from A: an indexed load that may land below zero is left to JavaScript.
      args: ["--base", "link", "--bytecode", "4,32 0 0 0,7 0 0 0,80 0 0 4294967200,22 0 0 0"],
      capture: _mixed,
      why: "a record that may escape",
    },
    {
      // Not Ethernet: `ether host` compiles for none of a RAW capture's frames.
      args: ["--base", "link", "--expr", "ether host 00:11:22:33:44:55 or ip"],
      capture: concat(pcapHeader({ linkType: 101 }), ...packets.map((p) => pcapRecord(p))),
      why: "an interface whose program does not compile",
    },
  ];
  for (const { args, capture, input, why } of cases) {
    const run = await _sameAsInterpreter(args, capture, input, why);
    assert.equal(run.report?.ruleSetCompiled, true, why);
  }
  // Written as tcpdump writes it, pcapng is read as the pcap it becomes: the
  // walk takes every packet, and no rule set is compiled.
  for (const base of ["link", "network"]) {
    const run = await _sameAsInterpreter(["--base", base, "--expr", "tcp port 80"], pcapng);
    assert.equal(run.report?.ruleSetCompiled, false, base);
    assert.equal(run.report?.walked, packets.length, base);
  }
});

Deno.test("filter --expr with run-time Wasm refused compiles the rule set at the first block: the interpreter path's output", async () => {
  const original = WebAssembly.Module;
  (WebAssembly as { Module: unknown }).Module = function Module() {
    throw new WebAssembly.CompileError("Wasm code generation disallowed by embedder");
  };
  _resetWasmProbe();
  try {
    const run = await _sameAsInterpreter(["--base", "link", "--expr", "tcp"], _mixed);
    assert.equal(run.report?.installed, false);
    assert.match(String(run.report?.reason), /run-time Wasm is refused/);
    assert.equal(run.report?.ruleSetCompiled, true);
  } finally {
    (WebAssembly as { Module: unknown }).Module = original;
    _resetWasmProbe();
  }
});

Deno.test("filter --expr stops at a bad record with the interpreter path's message, status and output before it, without compiling the rule set", async () => {
  const packets = _packets(_mixed);
  const good = packets.map((p) => pcapRecord(p));
  // A captured length over the maximum in the middle, and a record cut at the end.
  const bad = pcapRecord(packets[0], { caplen: 300000 });
  const captures = [
    concat(pcapHeader({ snaplen: 262144 }), ...good.slice(0, 9), bad, ...good.slice(9)),
    concat(pcapHeader({ snaplen: 262144 }), ...good).subarray(0, 24 + 16 * 9 + 500),
  ];
  for (const capture of captures) {
    const run = await _sameAsInterpreter(["--base", "link", "--expr", "ip"], capture);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^bpfstream: <stdin>: .*record/);
    assert.equal(run.report?.ruleSetCompiled, false);
  }
});

Deno.test({
  name:
    "filter --bytecode and --expr without --stats on the corpus: libpcap's verdicts, and the interpreter path's output, walked without the rule set on classic pcap",
  ignore: corpusSkipReason() !== undefined,
  async fn() {
    let compared = 0;
    for (const c of loadCases()) {
      const capture = Deno.readFileSync(corpusDir + c.file);
      const where = `${c.file} (${c.base}): ${c.expr}`;
      // The input's format kept: the expected output is the input's records.
      const base = ["--base", c.base, "--keep-format"];
      const expression = await _sameAsInterpreter(
        [...base, "--expr", c.expr],
        capture,
        undefined,
        where,
      );
      const bytecode = await _sameAsInterpreter(
        [...base, "--bytecode", c.bytecode.replace(/,$/, "")],
        capture,
        undefined,
        where,
      );
      // The rule set is compiled for pcapng, and for a program the walk may
      // leave records of to JavaScript (an indexed load that may land below zero).
      const pcap = capture[0] !== 0x0a;
      if (bytecode.code === 0) {
        const program = parseBytecode(c.bytecode.replace(/,$/, ""));
        const needed = !pcap || _needsFrameDescription(program) || _readsAncillary(program);
        assert.equal(bytecode.report?.ruleSetCompiled, needed, where);
      }
      if (!pcap && expression.code === 0) {
        assert.equal(expression.report?.ruleSetCompiled, true, where);
      }
      // libpcap's verdicts on the link base, where it ran its program (null: it did not).
      if (c.base !== "link" || bytecode.code !== 0 || c.results.some((r) => r === null)) continue;
      const kept: Uint8Array[] = [];
      let packet = 0;
      for (const r of _decodeRecords(capture)) {
        if (r.kind === 0 || c.results[packet++] !== 0) kept.push(r.record);
      }
      assert.deepEqual(bytecode.stdout, concat(...kept), where);
      compared++;
    }
    assert.ok(compared > 100, `${compared} cases compared with libpcap`);
  },
});
