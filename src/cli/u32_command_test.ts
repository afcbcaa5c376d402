import assert from "node:assert/strict";
import { formatBytecode } from "../bpf/format_bytecode.ts";
import { parseU32 } from "../u32/parse_u32.ts";
import { u32ToBpf } from "../u32/u32_to_bpf.ts";
import { runCli } from "./run_cli.ts";
import { _testIo } from "./_test_io.ts";
import { _mixed } from "./_test_capture.ts";

const PING = "6 & 0xFF = 1 && 4 & 0x3FFF = 0 && 0 >> 22 & 0x3C @ 0 >> 24 = 8";

Deno.test("u32 --to-bytecode prints the BPF translation in iptables form", async () => {
  const t = _testIo();
  assert.equal(await runCli(["u32", "--to-bytecode", PING], t.io), 0);
  assert.equal(t.stdoutText(), formatBytecode(u32ToBpf(parseU32(PING))) + "\n");
  const inverted = _testIo();
  assert.equal(await runCli(["u32", "--to-bytecode", PING, "--invert"], inverted.io), 0);
  assert.notEqual(inverted.stdoutText(), t.stdoutText());
});

Deno.test("u32: the translation matches the u32 rule packet by packet", async () => {
  const program = _testIo();
  assert.equal(await runCli(["u32", "--to-bytecode", PING], program.io), 0);
  const viaBpf = _testIo({ stdin: _mixed });
  assert.equal(await runCli(["filter", "--bytecode", program.stdoutText().trim()], viaBpf.io), 0);
  const rules = `*filter\n:INPUT DROP [0:0]\n-A INPUT -m u32 --u32 "${PING}" -j ACCEPT\nCOMMIT\n`;
  const viaU32 = _testIo({ stdin: _mixed, files: { r: rules } });
  assert.equal(await runCli(["filter", "--rules", "r"], viaU32.io), 0);
  assert.deepEqual(viaBpf.stdout(), viaU32.stdout());
  assert.ok(viaBpf.stdout().length > 24);
});

Deno.test("u32: errors", async () => {
  const syntax = _testIo();
  assert.equal(await runCli(["u32", "--to-bytecode", "6 & = 1"], syntax.io), 1);
  assert.match(syntax.stderr(), /^bpfstream: --to-bytecode: .*column/);
  const usage = _testIo();
  assert.equal(await runCli(["u32", PING], usage.io), 2);
});
