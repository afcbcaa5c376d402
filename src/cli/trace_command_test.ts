import assert from "node:assert/strict";
import { disassemble } from "../bpf/disassemble.ts";
import { parseBytecode } from "../bpf/parse_bytecode.ts";
import { runCli } from "./run_cli.ts";
import { _testIo } from "./_test_io.ts";
import { _mixed } from "./_test_capture.ts";

// tcpdump -ddd 'tcp port 22' (EN10MB): uses X; plus a scratch-memory program.
const PORT_22 =
  "20,40 0 0 12,21 0 6 34525,48 0 0 20,21 0 15 6,40 0 0 54,21 12 0 22,40 0 0 56,21 10 11 22,21 0 10 2048,48 0 0 23,21 0 8 6,40 0 0 20,69 6 0 8191,177 0 0 14,72 0 0 14,21 2 0 22,72 0 0 16,21 0 1 22,6 0 0 262144,6 0 0 0";
const SCRATCH = "4,48 0 0 9,2 0 0 3,96 0 0 3,22 0 0 0"; // ldb [9]; st M[3]; ld M[3]; ret a

Deno.test("trace prints each executed instruction with A, X and the result", async () => {
  const all = _testIo({ stdin: _mixed });
  assert.equal(await runCli(["verdicts", "--base", "link", "--bytecode", PORT_22], all.io), 0);
  const verdicts = all.stdoutText().trimEnd().split("\n");
  const listing = disassemble(parseBytecode(PORT_22)).split("\n");
  for (const n of [1, 3, 9]) {
    const t = _testIo({ files: { "in.pcap": _mixed } });
    assert.equal(
      await runCli([
        "trace",
        "--base",
        "link",
        "--bytecode",
        PORT_22,
        "--packet",
        String(n),
        "in.pcap",
      ], t.io),
      0,
    );
    const lines = t.stdoutText().trimEnd().split("\n");
    assert.match(lines[0], new RegExp(`^packet ${n}: \\d+ bytes captured`));
    assert.equal(lines.at(-1)!.split(" ")[1], verdicts[n - 1], `packet ${n} result`);
    const steps = lines.slice(1, -1);
    assert.ok(steps[0].startsWith(listing[0].replaceAll("\t", " ")));
    for (const step of steps) assert.match(step, /^\(\d{3}\) .* A=0x[0-9a-f]{8} X=0x[0-9a-f]{8}/);
  }
});

Deno.test("trace shows the scratch cells an instruction touches", async () => {
  const t = _testIo({ stdin: _mixed });
  assert.equal(await runCli(["trace", "--bytecode", SCRATCH, "--packet", "1"], t.io), 0);
  const text = t.stdoutText();
  assert.match(text, /^\(001\) st .* M\[3\]<-0x00000006$/m);
  assert.match(text, /^\(002\) ld .* M\[3\]=0x00000006$/m);
  assert.match(text, /^result: 6 \(match\)$/m);
});

Deno.test("trace says when a network-base program is not run", async () => {
  const t = _testIo({ stdin: _mixed });
  assert.equal(await runCli(["trace", "--bytecode", SCRATCH, "--packet", "9"], t.io), 0); // ARP
  assert.match(t.stdoutText(), /not run: .*IPv4\/IPv6/);
});

Deno.test("trace: errors", async () => {
  const missing = _testIo({ stdin: _mixed });
  assert.equal(await runCli(["trace", "--bytecode", SCRATCH], missing.io), 2);
  const zero = _testIo({ stdin: _mixed });
  assert.equal(await runCli(["trace", "--bytecode", SCRATCH, "--packet", "0"], zero.io), 2);
  const past = _testIo({ stdin: _mixed });
  assert.equal(await runCli(["trace", "--bytecode", SCRATCH, "--packet", "99"], past.io), 1);
  assert.match(
    past.stderr(),
    /^bpfstream: <stdin>: Cannot trace packet 99: the capture has 16 packets/,
  );
});
