import assert from "node:assert/strict";
import { compileFilter } from "../filter/compile_filter.ts";
import { disassemble } from "../bpf/disassemble.ts";
import { parseBytecode } from "../bpf/parse_bytecode.ts";
import { runCli } from "./run_cli.ts";
import { _testIo } from "./_test_io.ts";

// Golden output of `tcpdump -y EN10MB -dd ip` (libpcap 1.10).
const IP_DD = `{ 0x28, 0, 0, 0x0000000c },
{ 0x15, 0, 1, 0x00000800 },
{ 0x6, 0, 0, 0x00040000 },
{ 0x6, 0, 0, 0x00000000 },
`;

async function _compile(...args: string[]): Promise<string> {
  const t = _testIo();
  assert.equal(await runCli(["compile", ...args], t.io), 0, t.stderr());
  return t.stdoutText();
}

Deno.test("compile -dd prints tcpdump's C array form", async () => {
  assert.equal(await _compile("-dd", "ip"), IP_DD);
});

Deno.test("compile: the four output forms describe the same program", async () => {
  const expression = ["tcp", "port", "443", "and", "not", "net", "10.0.0.0/8"];
  const line = (await _compile("-y", "RAW", ...expression)).trim();
  const ddd = await _compile("-y", "RAW", "-ddd", ...expression);
  const dd = await _compile("-y", "raw", "-dd", ...expression);
  const d = await _compile("-y", "DLT_RAW", "-d", ...expression);
  const program = compileFilter(expression.join(" "), { linkType: 101 });
  assert.deepEqual(parseBytecode(line), program);
  assert.deepEqual(parseBytecode(ddd), program);
  assert.deepEqual(parseBytecode(dd), program);
  assert.equal(d, disassemble(program));
  assert.equal(ddd.split("\n")[0], String(program.length));
});

Deno.test("compile -y takes names and numbers; -s and -O are passed on", async () => {
  assert.equal(await _compile("-y", "LINUX_SLL", "arp"), await _compile("-y", "113", "arp"));
  assert.match(await _compile("-s", "65535", "-ddd", "ip"), /\n6 0 0 65535\n/);
  const optimized = parseBytecode(await _compile("-ddd", "tcp or udp"));
  const plain = parseBytecode(await _compile("-O", "-ddd", "tcp or udp"));
  assert.ok(plain.length >= optimized.length);
});

Deno.test("compile: errors", async () => {
  const syntax = _testIo();
  assert.equal(await runCli(["compile", "tcp", "port"], syntax.io), 1);
  assert.match(syntax.stderr(), /^bpfstream: expression: Cannot compile filter: .*column \d+/);
  const linkType = _testIo();
  assert.equal(await runCli(["compile", "-y", "TOKENRING", "ip"], linkType.io), 2);
  assert.match(linkType.stderr(), /unknown link type 'TOKENRING'/);
  const empty = _testIo();
  assert.equal(await runCli(["compile"], empty.io), 2);
});

Deno.test("compile: an expression that rejects every packet is an error, as tcpdump's", async () => {
  // tcpdump -y RAW -d arp: "tcpdump: expression rejects all packets", status 1.
  const t = _testIo();
  assert.equal(await runCli(["compile", "-y", "RAW", "arp"], t.io), 1);
  assert.equal(
    t.stderr(),
    "bpfstream: expression: Cannot compile filter: expression rejects all packets (link type 101 (RAW))\n",
  );
  assert.equal(t.stdoutText(), "");
  // The opt-in prints the empty program.
  assert.equal(await _compile("-y", "RAW", "--allow-reject-all", "arp"), "1,6 0 0 0\n");
  // -O does not optimize, so there is no error (tcpdump -O -ddd '1 = 0' prints a 10-instruction
  // program that computes 1 - 0 and returns 0; bpfstream folds the constants as it parses).
  assert.equal(await _compile("-O", "-ddd", "1 = 0"), "1\n6 0 0 0\n");
});
