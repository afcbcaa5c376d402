/**
 * The CLI's messages for the mistakes a new user makes: each names the
 * place, says what to do, and never prints raw control bytes.
 */
import assert from "node:assert/strict";
import { runCli } from "./run_cli.ts";
import { _escapeControls } from "./run_cli.ts";
import { _testIo } from "./_test_io.ts";
import { _mixed, _packets } from "./_test_capture.ts";
import { compileFilter } from "../filter/compile_filter.ts";
import { formatBytecode } from "../bpf/format_bytecode.ts";

Deno.test("errors: control bytes in a message are written as \\xNN", async () => {
  assert.equal(_escapeControls("a\x00b\x1b[2Jc\x7f\x9bd\né"), "a\\x00b\\x1b[2Jc\\x7f\\x9bd\\x0aé");
  // A rule file whose first line carries control characters.
  const t = _testIo({ stdin: _mixed, files: { "r.rules": "-A INPUT \x1b[31m -j ACCEPT\n" } });
  assert.equal(await runCli(["filter", "--rules", "r.rules"], t.io), 1);
  const controls = [...t.stderr()].filter((c) => c !== "\n" && (c < " " || c === "\x7f"));
  assert.deepEqual(controls, [], JSON.stringify(t.stderr()));
  assert.match(t.stderr(), /\\x1b\[31m/);
});

Deno.test("filter --rules -: a capture given as the rule file is named as binary data", async () => {
  const t = _testIo({ stdin: _mixed });
  assert.equal(await runCli(["filter", "--rules", "-"], t.io), 1);
  assert.equal(
    t.stderr(),
    "bpfstream: <stdin>: Cannot parse rule set: the input is binary data, not iptables-save text at line 1, column 1 (give the rules with --rules FILE and the capture as FILE or on standard input)\n",
  );
});

Deno.test("filter and check refuse a table other than filter and raw, naming its line", async () => {
  const text =
    "# nat rules\n*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -j ACCEPT\nCOMMIT\n";
  for (const command of ["filter", "check"]) {
    const t = _testIo({ stdin: _mixed, files: { "nat.rules": text } });
    assert.equal(await runCli([command, "--rules", "nat.rules"], t.io), 1);
    assert.equal(
      t.stderr(),
      'bpfstream: nat.rules: Cannot use table "nat": bpfstream only accepts or drops frames, as the filter and raw tables do (nat rules rewrite or mark packets) at line 2, column 1\n',
    );
  }
  const raw = "*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -j DROP\nCOMMIT\n";
  const t = _testIo({ stdin: _mixed, files: { "raw.rules": raw } });
  assert.equal(await runCli(["check", "--rules", "raw.rules"], t.io), 0);
});

Deno.test("filter: a file shorter than the pcap header is reported as the file header", async () => {
  const t = _testIo({ stdin: _mixed.subarray(0, 10) });
  assert.equal(await runCli(["filter", "--expr", "tcp"], t.io), 1);
  assert.equal(
    t.stderr(),
    "bpfstream: <stdin>: Cannot decode capture at byte offset 0: the input ends inside the capture file header (10 of 24 bytes present)\n",
  );
});

Deno.test("filter --expr/--bytecode errors name the option, not the rule built around it", async () => {
  const cases: [string[], string][] = [
    [
      ["--expr", "tcp port"],
      "bpfstream: --expr: Cannot compile filter: syntax error: unexpected end of expression at column 9\n",
    ],
    [
      ["--expr", "arp"],
      "bpfstream: --expr: Cannot compile filter: expression rejects all packets\n",
    ],
    [
      ["--bytecode", "2,6 0 0 1,5 0 0 9"],
      "bpfstream: --bytecode: Cannot validate program: ja goes past the end (k=9, length 2) at instruction 1\n",
    ],
  ];
  for (const [args, expected] of cases) {
    const t = _testIo({ stdin: _mixed });
    assert.equal(await runCli(["filter", ...args], t.io), 1);
    assert.equal(t.stderr(), expected);
    assert.doesNotMatch(t.stderr(), /chain|rule 1/);
  }
});

Deno.test("filter/verdicts: a tcpdump program on the network base that keeps nothing gets a hint", async () => {
  // tcpdump -ddd ip: 4,40 0 0 12,21 0 1 2048,6 0 0 262144,6 0 0 0
  const linkProgram = formatBytecode(compileFilter("ip", { linkType: 1 }));
  assert.equal(linkProgram, "4,40 0 0 12,21 0 1 2048,6 0 0 262144,6 0 0 0");
  const hint = /^bpfstream: hint: the program matched none of \d+ packets; .* try --base link\n$/m;
  const f = _testIo({ stdin: _mixed });
  assert.equal(await runCli(["filter", "--bytecode", linkProgram], f.io), 0);
  assert.equal(_packets(f.stdout()).length, 0);
  assert.match(f.stderr(), hint);
  const v = _testIo({ stdin: _mixed });
  assert.equal(await runCli(["verdicts", "--bytecode", linkProgram], v.io), 0);
  assert.match(v.stderr(), hint);
  // On the link base it matches, and no hint is printed.
  const l = _testIo({ stdin: _mixed });
  assert.equal(await runCli(["filter", "--base", "link", "--bytecode", linkProgram], l.io), 0);
  assert.ok(_packets(l.stdout()).length > 0);
  assert.equal(l.stderr(), "");
  // A network-base program that matches nothing without an EtherType test: no hint.
  const n = _testIo({ stdin: _mixed });
  assert.equal(await runCli(["filter", "--bytecode", "1,6 0 0 0"], n.io), 0);
  assert.equal(n.stderr(), "");
});

Deno.test("filter --stats --json prints the table and then the JSON", async () => {
  const both = _testIo({ stdin: _mixed });
  assert.equal(await runCli(["filter", "--expr", "tcp", "--stats", "--json"], both.io), 0);
  const stats = _testIo({ stdin: _mixed });
  assert.equal(await runCli(["filter", "--expr", "tcp", "--stats"], stats.io), 0);
  const json = _testIo({ stdin: _mixed });
  assert.equal(await runCli(["filter", "--expr", "tcp", "--json"], json.io), 0);
  assert.equal(both.stderr(), stats.stderr() + json.stderr());
  assert.match(stats.stderr(), /^Chain INPUT/);
  const parsed = JSON.parse(json.stderr());
  assert.equal(parsed.table, "filter");
  const kept = _packets(json.stdout()).length;
  assert.ok(kept > 0);
  assert.equal(parsed.chains[0].rules[0].packets, kept);
});

Deno.test("--help lists --version, and --version prints it", async () => {
  const h = _testIo();
  assert.equal(await runCli(["--help"], h.io), 0);
  assert.match(h.stdoutText(), /--version, -V +print the version/);
  const v = _testIo();
  assert.equal(await runCli(["--version"], v.io), 0);
  assert.match(v.stdoutText(), /^bpfstream \d+\.\d+\.\d+\n$/);
});
