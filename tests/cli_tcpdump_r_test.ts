/**
 * The CLI against `tcpdump -r`: a link-base `--expr` is compiled as tcpdump
 * compiles it for the file being read (BSD loopback address families, the
 * file's snaplen as the match value). Oracle: tcpdump's own programs and
 * verdicts for the corpus files, recorded in tests/data/filter/filter_cases.json
 * by make_filter_cases.ts.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { corpusDir, corpusSkipReason, loadPackets } from "./_corpus.ts";
import { runCli } from "../src/cli/run_cli.ts";
import { _testIo } from "../src/cli/_test_io.ts";
import { _packets } from "../src/cli/_test_capture.ts";
import { interpret } from "../src/bpf/interpret.ts";
import { parseBytecode } from "../src/bpf/parse_bytecode.ts";

const skip = corpusSkipReason();

interface Data {
  cases: { expr: string; linktype: number; file: string; verdicts: string; rejectsAll?: true }[];
  savefilePrograms: { expr: string; file: string; ddd: string }[];
}
const data: Data = JSON.parse(
  readFileSync(new URL("./data/filter/filter_cases.json", import.meta.url), "utf8"),
);

async function _run(args: string[], file: string) {
  const t = _testIo({ files: { [file]: Deno.readFileSync(corpusDir + file) } });
  const status = await runCli([...args, file], t.io);
  return { status, t };
}

Deno.test({
  name:
    "verdicts --base link --expr returns what tcpdump -r's program returns (match value = snaplen)",
  ignore: skip !== undefined,
  async fn() {
    assert.ok(data.savefilePrograms.length >= 40);
    for (const s of data.savefilePrograms) {
      const theirs = parseBytecode(s.ddd);
      const expected = loadPackets(s.file).map((p) =>
        String(interpret(theirs, p.data, { wireLength: p.wireLength }))
      );
      const { status, t } = await _run(["verdicts", "--base", "link", "--expr", s.expr], s.file);
      assert.equal(status, 0, t.stderr());
      assert.deepEqual(t.stdoutText().trimEnd().split("\n"), expected, `${s.file} ${s.expr}`);
    }
  },
});

Deno.test({
  name: "filter --base link --expr keeps the packets tcpdump -r keeps on BSD loopback captures",
  ignore: skip !== undefined,
  async fn() {
    const nullCases = data.cases.filter((c) => c.linktype === 0 && !c.rejectsAll);
    assert.ok(nullCases.length > 300);
    // The reproducers first, then every 7th case.
    const reproducers = [
      ["pcap/icmpv6-RFC2894-RR.pcap", "ip6"],
      ["pcap/null_loopback.pcap", "tcp"],
      ["pcap/quic_handshake_truncated.pcap", "udp or icmp6"],
    ];
    const picked = nullCases.filter((c, i) =>
      i % 7 === 0 || reproducers.some(([file, expr]) => c.file === file && c.expr === expr)
    );
    assert.ok(picked.length >= 3 + 40);
    for (const c of picked) {
      const { status, t } = await _run(["filter", "--base", "link", "--expr", c.expr], c.file);
      assert.equal(status, 0, t.stderr());
      const all = _packets(Deno.readFileSync(corpusDir + c.file));
      const kept = _packets(t.stdout());
      assert.deepEqual(kept, all.filter((_, i) => c.verdicts[i] === "1"), `${c.file} ${c.expr}`);
    }
  },
});
