import assert from "node:assert/strict";
import { runCli } from "./run_cli.ts";
import { _testIo } from "./_test_io.ts";

function _long(n: number): string {
  return `${n},` + Array(n - 1).fill("6 0 0 1").join(",") + ",6 0 0 0";
}

Deno.test("check accepts a valid program and prints its size", async () => {
  const t = _testIo();
  assert.equal(
    await runCli(["check", "--bytecode", "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0"], t.io),
    0,
  );
  assert.equal(t.stdoutText(), "--bytecode: OK, 4 instructions\n");
});

Deno.test("check reports the kernel checker's error with the instruction index", async () => {
  const t = _testIo();
  assert.equal(await runCli(["check", "--bytecode", "2,96 0 0 3,6 0 0 0"], t.io), 1); // ld M[3] unset
  assert.match(t.stderr(), /^bpfstream: --bytecode: Cannot validate program: .*instruction 0/);
});

Deno.test("check --max-instructions: 64 by default (xt_bpf), up to 4096", async () => {
  const a = _testIo();
  assert.equal(await runCli(["check", "--bytecode", _long(65)], a.io), 1);
  assert.match(a.stderr(), /65|64/);
  const b = _testIo();
  assert.equal(
    await runCli(["check", "--bytecode", _long(65), "--max-instructions", "4096"], b.io),
    0,
  );
  const c = _testIo();
  assert.equal(
    await runCli(["check", "--bytecode", _long(65), "--max-instructions", "5000"], c.io),
    2,
  );
});

Deno.test("check --expr and --asm", async () => {
  const a = _testIo();
  assert.equal(await runCli(["check", "--expr", "udp port 53"], a.io), 0);
  assert.match(a.stdoutText(), /^--expr: OK, \d+ instructions\n$/);
  const b = _testIo({ stdin: "ret #1\n" });
  assert.equal(await runCli(["check", "--asm", "-"], b.io), 0);
  assert.equal(b.stdoutText(), "<stdin>: OK, 1 instruction\n");
});

Deno.test("check --rules: OK, or the file, line and column of the problem", async () => {
  const good = "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp -j ACCEPT\nCOMMIT\n";
  const a = _testIo({ files: { "good.rules": good } });
  assert.equal(await runCli(["check", "--rules", "good.rules"], a.io), 0);
  assert.equal(a.stdoutText(), "good.rules: OK, table filter, 1 chain, 1 rule\n");
  const bad =
    '*filter\n:INPUT DROP [0:0]\n-A INPUT -m bpf --bytecode "1,6 0 0" -j ACCEPT\nCOMMIT\n';
  const b = _testIo({ files: { "bad.rules": bad } });
  assert.equal(await runCli(["check", "--rules", "bad.rules"], b.io), 1);
  assert.match(b.stderr(), /^bpfstream: bad\.rules: .*line 3, column \d+/);
  const c = _testIo();
  assert.equal(await runCli(["check", "--rules", "x", "--bytecode", "1,6 0 0 0"], c.io), 2);
  const d = _testIo();
  assert.equal(await runCli(["check"], d.io), 2);
});
