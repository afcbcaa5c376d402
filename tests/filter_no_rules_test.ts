/**
 * `filter --rules` with a set whose entry chain has no rules (issue 11,
 * session 10): every frame gets the entry chain's policy, walked in Wasm as
 * the program `ret #-1` or `ret #0` (src/cli/_one_program_rule.ts) and
 * counted by the rule set's policy batch (src/rules/_program_batch.ts).
 * The oracle is `--strategy interpret`, which classifies frame by frame.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { runCli } from "../src/cli/run_cli.ts";
import { _testIo } from "../src/cli/_test_io.ts";
import { _repeatMixed } from "../src/cli/_test_capture.ts";
import { corpusDir, corpusSkipReason, loadFileTable } from "./_corpus.ts";

const corpusSkip = corpusSkipReason();

/** Rule sets without rules in the chain frames enter, and the extra arguments that pick it. */
const SETS: [label: string, text: string, args: string[]][] = [
  ["ACCEPT", "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n", []],
  ["DROP", "*filter\n:INPUT DROP [0:0]\nCOMMIT\n", []],
  [
    "DROP, empty user chains",
    "*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:mine - [0:0]\n:other - [0:0]\nCOMMIT\n",
    [],
  ],
  [
    "--chain FORWARD (ACCEPT), rules in another chain",
    "*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n-A INPUT -p tcp -j ACCEPT\nCOMMIT\n",
    ["--chain", "FORWARD"],
  ],
  [
    "DROP, rules in an unreachable user chain",
    "*filter\n:INPUT DROP [3:99]\n:mine - [0:0]\n-A mine -p udp -j ACCEPT\n-A mine -j RETURN\nCOMMIT\n",
    [],
  ],
];

interface _Run {
  code: number;
  stdout: Uint8Array;
  dropped: Uint8Array | undefined;
  stderr: string;
  walked: number;
}

/** `filter --rules r --json --drop-to d.out in ARGS` over `capture`, read in odd-sized blocks. */
async function _run(text: string, capture: Uint8Array, args: string[]): Promise<_Run> {
  const t = _testIo({
    files: { r: text, in: capture },
    chunkSize: 4096,
    reads: [1000, 65536, 7],
    env: { BPFSTREAM_WAIT_FOR_WORKER: "1" },
  });
  let walked = 0;
  const code = await runCli(
    ["filter", "--keep-format", "--rules", "r", "--json", "--drop-to", "d.out", ...args, "in"],
    { ...t.io, _walkReport: (report) => void (walked = report.walked) },
  );
  return { code, stdout: t.stdout(), dropped: t.written.get("d.out"), stderr: t.stderr(), walked };
}

/** Asserts that the default run (and `--threads 2`) gives the interpreter's bytes, counters and error. */
async function _assertAsInterpreter(
  where: string,
  text: string,
  capture: Uint8Array,
  args: string[],
): Promise<_Run> {
  const reference = await _run(text, capture, [...args, "--strategy", "interpret"]);
  assert.equal(reference.walked, 0, `${where}: the interpreter walks nothing`);
  const chosen = await _run(text, capture, args);
  assert.deepEqual({ ...chosen, walked: 0 }, reference, where);
  const two = await _run(text, capture, [...args, "--threads", "2"]);
  assert.equal(two.walked, 0, `${where}: two threads are not walked`);
  assert.deepEqual({ ...two, walked: 0 }, reference, `${where}, --threads 2`);
  return chosen;
}

Deno.test("filter walks a rule set without rules as its policy: the interpreter's bytes, drop file and counters", async () => {
  const capture = _repeatMixed(30);
  for (const [label, text, args] of SETS) {
    const chosen = await _assertAsInterpreter(label, text, capture, args);
    assert.equal(chosen.code, 0, label);
    const stats = JSON.parse(chosen.stderr);
    // Every frame, counted once, by the policy of the chain entered.
    assert.ok(stats.frames.packets >= 300, label);
    const entered = stats.chains.find((c: { name: string }) => c.name === (args[1] ?? "INPUT"));
    assert.deepEqual(entered.counters, stats.frames, label);
    // The walk took the records (those not split across blocks, at least).
    assert.ok(chosen.walked > stats.frames.packets / 2, `${label}: ${chosen.walked} walked`);
    // With a strategy, no walk (the policy batch, or the Wasm classifier): the same again.
    for (const strategy of ["closure", "source", "wasm"]) {
      const other = await _run(text, capture, [...args, "--strategy", strategy]);
      assert.deepEqual(other, { ...chosen, walked: 0 }, `${label}, --strategy ${strategy}`);
    }
  }
});

Deno.test("filter without rules stops at a damaged or truncated capture as the interpreter does", async () => {
  const capture = _repeatMixed(20);
  const view = new DataView(capture.buffer, capture.byteOffset);
  // The 200th record's captured length made huge (past the limit), and a cut mid-record.
  let at = 24;
  for (let n = 0; n < 200; n++) at += 16 + view.getUint32(at + 8, true);
  const damaged = capture.slice();
  new DataView(damaged.buffer).setUint32(at + 8, 0x7fffffff, true);
  const truncated = capture.subarray(0, at + 16 + 5);
  for (const [label, text, args] of SETS.slice(0, 2)) {
    for (const [kind, input] of [["damaged", damaged], ["truncated", truncated]] as const) {
      const chosen = await _assertAsInterpreter(`${label}, ${kind}`, text, input, args);
      assert.equal(chosen.code, 1, `${label}, ${kind}`);
      assert.match(chosen.stderr, /bpfstream: in: /, `${label}, ${kind}`);
      // What came before the bad record left: 200 records, in the output or the drop file.
      const out = label === "ACCEPT" ? chosen.stdout : chosen.dropped!;
      assert.deepEqual(out, capture.subarray(0, at), `${label}, ${kind}`);
    }
  }
});

Deno.test({
  name:
    "filter without rules on every corpus capture (pcap and pcapng, each link type): the interpreter's bytes and counters",
  ignore: corpusSkip !== undefined,
  async fn() {
    let walkedFiles = 0;
    const table = loadFileTable() as Record<string, { format?: string }>;
    const files = Object.keys(table);
    assert.ok(files.length > 40);
    for (const file of files) {
      const capture = new Uint8Array(readFileSync(corpusDir + file));
      for (const [label, text, args] of SETS.slice(0, 2)) {
        const chosen = await _assertAsInterpreter(`${file}: ${label}`, text, capture, args);
        assert.equal(chosen.code, 0, `${file}: ${label}`);
        // Classic pcap records are walked; pcapng blocks are not the walk's.
        if (table[file].format === "pcap") {
          assert.ok(chosen.walked > 0, `${file}: ${label}: walked`);
          walkedFiles++;
        } else assert.equal(chosen.walked, 0, `${file}: ${label}`);
      }
    }
    assert.ok(walkedFiles > 70, `${walkedFiles} walked`);
  },
});
