import assert from "node:assert/strict";
import { compileFilter } from "../filter/compile_filter.ts";
import { formatBytecode } from "../bpf/format_bytecode.ts";
import { interpret } from "../bpf/interpret.ts";
import { runCli } from "./run_cli.ts";
import { _testIo } from "./_test_io.ts";
import { _mixed, _packets } from "./_test_capture.ts";

const ARP = "4,40 0 0 12,21 0 1 2054,6 0 0 262144,6 0 0 0"; // tcpdump -ddd arp

Deno.test("verdicts prints one line per packet: the link-base program's value", async () => {
  const t = _testIo({ stdin: _mixed });
  assert.equal(await runCli(["verdicts", "--base", "link", "--bytecode", ARP], t.io), 0);
  const lines = t.stdoutText().trimEnd().split("\n");
  const packets = _packets(_mixed);
  assert.equal(lines.length, packets.length);
  // The reference interpreter on the whole frame is the oracle here.
  const program = [
    { code: 40, jt: 0, jf: 0, k: 12 },
    { code: 21, jt: 0, jf: 1, k: 2054 },
    { code: 6, jt: 0, jf: 0, k: 262144 },
    { code: 6, jt: 0, jf: 0, k: 0 },
  ];
  assert.deepEqual(lines, packets.map((p) => String(interpret(program, p))));
  assert.ok(lines.includes("262144") && lines.includes("0"));
});

Deno.test("verdicts prints '-' where a network-base program is not run", async () => {
  const t = _testIo({ stdin: _mixed });
  assert.equal(await runCli(["verdicts", "--bytecode", "1,6 0 0 7"], t.io), 0);
  const lines = t.stdoutText().trimEnd().split("\n");
  const packets = _packets(_mixed);
  packets.forEach((frame, i) => {
    const type = (frame[12] << 8) | frame[13];
    const ip = type === 0x0800 || type === 0x86dd ||
      (type === 0x8100 && ((frame[16] << 8) | frame[17]) === 0x0800);
    assert.equal(lines[i], ip ? "7" : "-", `packet ${i + 1}`);
  });
});

Deno.test("verdicts --expr on the link base equals the program compile prints", async () => {
  const expression = "tcp port 80 or icmp";
  const a = _testIo({ stdin: _mixed });
  assert.equal(await runCli(["verdicts", "--base", "link", "--expr", expression], a.io), 0);
  const b = _testIo({ stdin: _mixed });
  // As tcpdump -r, a match returns the file's snaplen (65535 in this capture).
  const bytecode = formatBytecode(compileFilter(expression, { linkType: 1, snaplen: 65535 }));
  assert.equal(await runCli(["verdicts", "--base", "link", "--bytecode", bytecode], b.io), 0);
  assert.equal(a.stdoutText(), b.stdoutText());
});

Deno.test("verdicts: every strategy gives the same lines", async () => {
  const outputs = [];
  for (const strategy of ["closure", "source", "interpret"]) {
    const t = _testIo({ stdin: _mixed });
    assert.equal(
      await runCli(["verdicts", "--expr", "udp or tcp[13] & 2 != 0", "--strategy", strategy], t.io),
      0,
    );
    outputs.push(t.stdoutText());
  }
  assert.equal(outputs[0], outputs[1]);
  assert.equal(outputs[0], outputs[2]);
});

Deno.test("verdicts --asm reads a bpf_asm file", async () => {
  const source = "ldh [12]\njeq #0x806, yes, no\nyes: ret #1\nno: ret #0\n";
  const t = _testIo({ stdin: _mixed, files: { "arp.bpf": source } });
  assert.equal(await runCli(["verdicts", "--base", "link", "--asm", "arp.bpf"], t.io), 0);
  const u = _testIo({ stdin: _mixed });
  assert.equal(await runCli(["verdicts", "--base", "link", "--bytecode", ARP], u.io), 0);
  assert.equal(t.stdoutText().replaceAll("262144", "1"), u.stdoutText().replaceAll("262144", "1"));
});

Deno.test("verdicts: errors", async () => {
  const usage = [[], ["--bytecode", ARP, "--expr", "tcp"], [
    "--bytecode",
    ARP,
    "--strategy",
    "jit",
  ]];
  for (const args of usage) {
    const t = _testIo({ stdin: _mixed });
    assert.equal(await runCli(["verdicts", ...args], t.io), 2, args.join(" "));
  }
  const syntax = _testIo({ stdin: _mixed });
  assert.equal(await runCli(["verdicts", "--expr", "tcp port"], syntax.io), 1);
  assert.match(syntax.stderr(), /^bpfstream: --expr: Cannot compile filter: .* column \d+/);
  const truncated = _testIo({ stdin: _mixed.subarray(0, 200) });
  assert.equal(await runCli(["verdicts", "--bytecode", "1,6 0 0 1"], truncated.io), 1);
  assert.equal(truncated.stdoutText(), "1\n1\n", "the packets before the bad record are printed");
  assert.match(truncated.stderr(), /^bpfstream: <stdin>: Cannot decode capture at byte offset \d+/);
});
