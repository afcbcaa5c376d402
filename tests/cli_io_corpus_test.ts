/**
 * The `filter` I/O path (blocking reads into recycled blocks, the routing
 * core, runs written block by block) on every corpus capture, pcap and
 * pcapng, read as a regular file and as pipes that run dry at odd sizes, in
 * blocks far smaller than the records so that records straddle blocks. Each
 * output is checked against libpcap's verdicts (../shared/conformance),
 * against tcpdump -w's packets (tests/data/router/tcpdump_golden.json) and
 * byte for byte against the RouterStream path.
 */
import assert from "node:assert/strict";
import { BpfValidationError } from "../src/bpf/errors.ts";
import { runCli } from "../src/cli/run_cli.ts";
import { _testIo } from "../src/cli/_test_io.ts";
import {
  _decodeRecords,
  _oneRule,
  _packetDigest,
  _route,
  _verdicts,
} from "../src/stream/_router_test_helpers.ts";
import { corpusSkipReason, loadCases } from "./_corpus.ts";

const skip = corpusSkipReason();
if (skip) console.warn(skip);
const corpus = new URL("../../shared/conformance/", import.meta.url);

const golden: Map<
  number,
  { packets?: number; sha256?: string; refused?: string; divergent?: boolean }
> = new Map(
  JSON.parse(
    Deno.readTextFileSync(new URL("./data/router/tcpdump_golden.json", import.meta.url)),
  ).cases.map((g: { case: number }) => [g.case, g]),
);

/** How the capture arrives: block size and the sizes reads return in turn. */
const READS: { name: string; blockSize: number; reads: number[] }[] = [
  { name: "regular file, 4093-byte blocks", blockSize: 4093, reads: [1 << 30] },
  {
    name: "pipe running dry at odd sizes, 1000-byte blocks",
    blockSize: 1000,
    reads: [7, 333, 65536],
  },
  { name: "pipe, 1 MiB blocks", blockSize: 1 << 20, reads: [65536, 65536, 4097] },
];

/** The first link-base case of each capture whose program Linux loads. */
function _casePerFile() {
  const chosen = new Map<string, { index: number; bytecode: string; results: (number | null)[] }>();
  for (const [index, c] of loadCases().entries()) {
    if (c.base !== "link" || chosen.has(c.file)) continue;
    try {
      _oneRule(c.bytecode, "link");
    } catch (error) {
      assert.ok((error as Error).cause instanceof BpfValidationError, String(error));
      continue;
    }
    chosen.set(c.file, { index, bytecode: c.bytecode, results: c.results });
  }
  return chosen;
}

Deno.test({
  name:
    "filter's I/O path: every corpus capture, split anywhere, gives libpcap's and tcpdump's packets, byte for byte the RouterStream output",
  ignore: skip !== undefined,
  async fn() {
    let files = 0;
    let pcapng = 0;
    let straddling = 0;
    for (const [file, c] of _casePerFile()) {
      const input = await Deno.readFile(new URL(file, corpus));
      const rules = _oneRule(c.bytecode, "link");
      const reference = await _route(rules, [input]);
      assert.equal(reference.error, undefined, file);
      const inputRecords = _decodeRecords(input);
      if (inputRecords.some((r) => r.record.length > 1000)) straddling++;
      for (const how of READS) {
        const t = _testIo({ stdin: input, chunkSize: how.blockSize, reads: how.reads });
        // The input's format kept: the reference is the RouterStream's output.
        const args = [
          "filter",
          "--keep-format",
          "--base",
          "link",
          "--bytecode",
          c.bytecode,
          "--drop-to",
          "d",
        ];
        assert.equal(await runCli(args, t.io), 0, `${file}, ${how.name}: ${t.stderr()}`);
        const accepted = t.stdout();
        const dropped = t.written.get("d")!;
        assert.deepEqual(accepted, reference.accepted, `${file}, ${how.name}: accepted`);
        assert.deepEqual(dropped, reference.dropped, `${file}, ${how.name}: dropped`);
        // libpcap's verdict for every packet it recorded one for.
        const verdicts = _verdicts(
          inputRecords,
          _decodeRecords(accepted),
          _decodeRecords(dropped),
        ).filter((v) => v !== 2);
        c.results.forEach((expected, i) => {
          if (expected !== null) assert.equal(verdicts[i], expected !== 0 ? 1 : 0, `${file} #${i}`);
        });
      }
      const g = golden.get(c.index)!;
      if (!g.refused && !g.divergent) {
        const digest = await _packetDigest(_decodeRecords(reference.accepted));
        assert.equal(digest, g.sha256, `${file}: the packets tcpdump -w keeps`);
      }
      files++;
      if (inputRecords[0].record[0] === 0x0a) pcapng++;
    }
    assert.ok(files > 40 && pcapng > 5 && straddling > 5, `${files} files, ${pcapng} pcapng`);
  },
});
