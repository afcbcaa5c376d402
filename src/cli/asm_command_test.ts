import assert from "node:assert/strict";
import { runCli } from "./run_cli.ts";
import { _testIo } from "./_test_io.ts";

const SOURCE = `; IPv4 TCP, network base
  ldb [9]
  jeq #6, tcp, other
tcp: ret #-1
other: ret #0
`;

Deno.test("asm turns bpf_asm text into an iptables --bytecode line", async () => {
  const t = _testIo({ stdin: SOURCE });
  assert.equal(await runCli(["asm"], t.io), 0);
  assert.equal(t.stdoutText(), "4,48 0 0 9,21 0 1 6,6 0 0 4294967295,6 0 0 0\n");
  const back = _testIo();
  assert.equal(await runCli(["check", "--bytecode", t.stdoutText().trim()], back.io), 0);
});

Deno.test("asm -ddd and -dd print tcpdump's other forms of the same program", async () => {
  const a = _testIo({ files: { "p.bpf": SOURCE } });
  assert.equal(await runCli(["asm", "-ddd", "p.bpf"], a.io), 0);
  assert.equal(a.stdoutText(), "4\n48 0 0 9\n21 0 1 6\n6 0 0 4294967295\n6 0 0 0\n");
  const b = _testIo({ files: { "p.bpf": SOURCE } });
  assert.equal(await runCli(["asm", "-dd", "p.bpf"], b.io), 0);
  assert.equal(b.stdoutText().split("\n")[0], "{ 0x30, 0, 0, 0x00000009 },");
});

Deno.test("asm: a syntax error names the file and line", async () => {
  const t = _testIo({ files: { "bad.bpf": "ldb [9]\nfrob #1\nret #0\n" } });
  assert.equal(await runCli(["asm", "bad.bpf"], t.io), 1);
  assert.match(t.stderr(), /^bpfstream: bad\.bpf: Cannot .*line 2/);
  const missing = _testIo();
  assert.equal(await runCli(["asm", "nope.bpf"], missing.io), 1);
  assert.match(missing.stderr(), /^bpfstream: nope\.bpf: Cannot read file/);
});
