import assert from "node:assert/strict";
import { disassemble } from "../bpf/disassemble.ts";
import { parseBytecode } from "../bpf/parse_bytecode.ts";
import { runCli } from "./run_cli.ts";
import { _testIo } from "./_test_io.ts";

Deno.test("disasm --bytecode prints the tcpdump -d listing", async () => {
  const program = "4,40 0 0 12,21 0 1 2048,6 0 0 262144,6 0 0 0";
  const t = _testIo();
  assert.equal(await runCli(["disasm", "--bytecode", program], t.io), 0);
  assert.equal(t.stdoutText(), disassemble(parseBytecode(program)));
  assert.ok(t.stdoutText().startsWith("(000) ldh      [12]\n"));
});

Deno.test("disasm: errors", async () => {
  const a = _testIo();
  assert.equal(await runCli(["disasm", "--bytecode", "2,6 0 0 0"], a.io), 1);
  assert.match(a.stderr(), /^bpfstream: --bytecode: Cannot parse .*column/);
  const b = _testIo();
  assert.equal(await runCli(["disasm", "4,40 0 0 12"], b.io), 2);
});
