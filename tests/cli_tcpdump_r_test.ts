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

/** A pcap file with snaplen 40 and one 60-byte record that claims all 60 bytes. */
function _overlongRecord(): Uint8Array {
  const bytes = new Uint8Array(24 + 16 + 60);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0xa1b2c3d4, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, 40, true); // snaplen
  view.setUint32(20, 1, true); // Ethernet
  view.setUint32(24, 1, true);
  view.setUint32(32, 60, true); // caplen > snaplen
  view.setUint32(36, 60, true);
  const frame = bytes.subarray(40);
  frame.set([0x08, 0x00], 12);
  frame[14] = 0x45;
  frame[30] = 9;
  frame[50] = 7;
  return bytes;
}

Deno.test("a record longer than the snaplen: programs see the snaplen's bytes as tcpdump -r, the record is cut as tcpdump -w cuts it (--keep-format: unchanged)", async () => {
  // tcpdump -r FILE 'ether[50] = 7' keeps 0 packets, 'ether[30] = 9' and 'len = 60' keep 1
  // (tcpdump 4.99.3 / libpcap 1.10.3; its -w output cuts the record to 40 bytes).
  const file = _overlongRecord();
  const verdict = async (expr: string) => {
    const t = _testIo({ files: { "f.pcap": file } });
    assert.equal(await runCli(["verdicts", "--base", "link", "--expr", expr, "f.pcap"], t.io), 0);
    return t.stdoutText();
  };
  assert.equal(await verdict("ether[50] = 7"), "0\n");
  assert.equal(await verdict("ether[30] = 9"), "40\n"); // the file's snaplen, as tcpdump -r
  assert.equal(await verdict("len = 60"), "40\n");
  const filter = async (extra: string[]) => {
    const t = _testIo({ files: { "f.pcap": file } });
    const args = ["filter", "--base", "link", "--expr", "ether[30] = 9", ...extra, "f.pcap"];
    assert.equal(await runCli(args, t.io), 0);
    return t.stdout();
  };
  assert.deepEqual(await filter(["--keep-format"]), file);
  // tcpdump -w's output: the header, then the record cut to 40 bytes (caplen 40, len 60).
  const cut = file.slice(0, 24 + 16 + 40);
  new DataView(cut.buffer).setUint32(24 + 8, 40, true);
  assert.deepEqual(await filter([]), cut);
});

Deno.test({
  name: "trace --base link --expr runs tcpdump -r's program for the file",
  ignore: skip !== undefined,
  async fn() {
    const file = "pcap/icmpv6-RFC2894-RR.pcap";
    const theirs = data.savefilePrograms.find((s) => s.file === file && s.expr === "ip6")!;
    const { status, t } = await _run(
      ["trace", "--base", "link", "--expr", "ip6", "--packet", "1"],
      file,
    );
    assert.equal(status, 0, t.stderr());
    const program = parseBytecode(theirs.ddd);
    const p = loadPackets(file)[0];
    const want = interpret(program, p.data, { wireLength: p.wireLength });
    assert.ok(want > 0);
    assert.match(t.stdoutText(), new RegExp(`result: ${want} \\(match\\)\\n$`));
    // tcpdump -r's program: every BSD AF_INET6, then ret #65535 (the file's snaplen).
    for (const k of ["0x1e000000", "0x18000000", "0x1c000000", "ret      #65535"]) {
      assert.ok(t.stdoutText().includes(k), k);
    }
  },
});
