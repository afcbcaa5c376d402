/**
 * `filter --base link --expr E` on captures whose link type the filter
 * compiler has no link-layer description for (DLT_USER0, 147) or does not
 * know at all (20, 105): as `tcpdump -r IN -w OUT E`, an expression that
 * needs no link header (`greater 10`) keeps every packet, and one that
 * cannot be compiled there (`ip` on 147; anything on 20 or 105) fails the
 * run, naming the input, the link type and the compiler's reason, after the
 * packets before that interface. A rule file keeps its per-interface
 * meaning (the rule does not match there). The live check against tcpdump
 * is skipped where tcpdump is not installed.
 */
import assert from "node:assert/strict";
import { runCli } from "../src/cli/run_cli.ts";
import { _testIo } from "../src/cli/_test_io.ts";
import {
  bytes,
  concat,
  epb,
  idb,
  pcapHeader,
  pcapRecord,
  shb,
} from "../src/capture/_test_captures.ts";
import { hasTcpdump } from "./_tcpdump_link_free.ts";

/** A pcap of `linkType` with three 60-byte records. */
function _pcap(linkType: number): Uint8Array {
  const records = [0, 1, 2].map((i) => pcapRecord(bytes(60, i), { sec: i }));
  return concat(pcapHeader({ linkType, snaplen: 262144 }), ...records);
}

/** `filter --base link --expr expression [extra] in.cap`, read as a file or as a stream. */
async function _filter(
  capture: Uint8Array,
  expression: string,
  file: boolean,
  extra: string[] = [],
) {
  const t = file
    ? _testIo({ files: { "in.cap": capture }, chunkSize: 8192 })
    : _testIo({ stdin: capture, chunkSize: 33 });
  const args = ["filter", "--base", "link", ...extra, "--expr", expression, file ? "in.cap" : "-"];
  const code = await runCli(args, t.io);
  return { code, stdout: t.stdout(), stderr: t.stderr() };
}

const _VARIANTS: { file: boolean; extra: string[] }[] = [
  { file: true, extra: [] },
  { file: false, extra: [] },
  // The rule-set path (counters), one thread and two.
  { file: true, extra: ["--stats"] },
  { file: true, extra: ["--threads", "2"] },
  { file: true, extra: ["--keep-format"] },
];

Deno.test("filter --expr 'greater 10' on DLT_USER0 (147) keeps every packet, as tcpdump", async () => {
  const capture = _pcap(147);
  for (const { file, extra } of _VARIANTS) {
    const ours = await _filter(capture, "greater 10", file, extra);
    assert.equal(ours.code, 0, `${extra}: ${ours.stderr}`);
    assert.deepEqual(ours.stdout, capture, `${file} ${extra}`);
  }
});

Deno.test("filter --expr fails, naming input, link type and reason, where the expression cannot be compiled", async () => {
  const cases = [
    {
      linkType: 147,
      expression: "ip",
      reason: /DLT 147 link-layer type filtering not implemented/,
    },
    { linkType: 147, expression: "greater 10 and tcp", reason: /filtering not implemented/ },
    { linkType: 20, expression: "greater 10", reason: /link type 20 is not supported/ },
    { linkType: 105, expression: "greater 10", reason: /link type 105 is not supported/ },
  ];
  for (const { linkType, expression, reason } of cases) {
    for (const { file, extra } of _VARIANTS) {
      const ours = await _filter(_pcap(linkType), expression, file, extra);
      const label = `${linkType} '${expression}' ${file} ${extra}`;
      assert.equal(ours.code, 1, label);
      assert.match(ours.stderr, file ? /in\.cap/ : /<stdin>|-:/, label);
      assert.match(ours.stderr, new RegExp(`link type ${linkType}\\b`), label);
      assert.match(ours.stderr, reason, label);
      // No packet was written (at most a file header).
      assert.ok(ours.stdout.length <= 24, `${label}: ${ours.stdout.length} bytes`);
    }
  }
});

Deno.test("filter --keep-format --expr writes a pcapng's packets before the interface it cannot filter, then fails", async () => {
  const ipv4 = bytes(60, 0);
  ipv4.set([0x08, 0x00, 0x45], 12);
  const before = concat(shb(), idb({ linkType: 1 }), epb(ipv4), epb(ipv4));
  const capture = concat(before, idb({ linkType: 147 }), epb(bytes(60, 9), { interfaceId: 1 }));
  for (const file of [true, false]) {
    const ours = await _filter(capture, "ip", file, ["--keep-format"]);
    assert.equal(ours.code, 1, ours.stderr);
    assert.match(ours.stderr, /interface 1 .*link type 147/);
    assert.deepEqual(ours.stdout, before);
    // An expression compiled for both interfaces keeps all.
    const all = await _filter(capture, "greater 10", file, ["--keep-format"]);
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual(all.stdout, capture);
  }
});

Deno.test("a rule file's link-base rule that cannot be compiled for an interface does not match there (exit 0)", async () => {
  const rules =
    '*filter\n:INPUT DROP [0:0]\n-A INPUT --base link -m bpf --expr "ip" -j ACCEPT\nCOMMIT\n';
  const t = _testIo({ files: { "in.cap": _pcap(147), "r.rules": rules }, chunkSize: 8192 });
  assert.equal(await runCli(["filter", "--rules", "r.rules", "in.cap"], t.io), 0, t.stderr());
  assert.equal(t.stdout().length, 24);
});

Deno.test({
  name:
    "live: filter --expr on DLT_USER0 writes what tcpdump -r -w writes, or fails where it fails",
  ignore: !hasTcpdump(),
  async fn() {
    const capture = _pcap(147);
    for (
      const expression of ["greater 10", "less 10", "link[0] = 1", "ip", "ether host 1:2:3:4:5:6"]
    ) {
      const path = Deno.makeTempFileSync({ suffix: ".pcap" });
      try {
        Deno.writeFileSync(path, capture);
        const theirs = new Deno.Command("tcpdump", {
          args: ["-r", path, "-w", "-", expression],
          stdout: "piped",
          stderr: "piped",
        }).outputSync();
        const ours = await _filter(capture, expression, true);
        assert.equal(ours.code === 0, theirs.success, `${expression}: ${ours.stderr}`);
        if (theirs.success) assert.deepEqual(ours.stdout, theirs.stdout, expression);
      } finally {
        Deno.removeSync(path);
      }
    }
  },
});
