import assert from "node:assert/strict";
import { runCli } from "./run_cli.ts";
import { cliCommands } from "./commands.ts";
import { _testIo } from "./_test_io.ts";

Deno.test("runCli() --help lists every command and exits 0", async () => {
  const t = _testIo();
  assert.equal(await runCli(["--help"], t.io), 0);
  for (const command of cliCommands) {
    assert.match(t.stdoutText(), new RegExp(`\\n  ${command.name} `));
  }
  assert.equal(t.stderr(), "");
});

Deno.test("runCli() without a command prints the usage to stderr and exits 2", async () => {
  const t = _testIo();
  assert.equal(await runCli([], t.io), 2);
  assert.match(t.stderr(), /^Usage: bpfstream/);
});

Deno.test("runCli() rejects an unknown command with status 2 and one message", async () => {
  const t = _testIo();
  assert.equal(await runCli(["frobnicate"], t.io), 2);
  const lines = t.stderr().trimEnd().split("\n");
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^bpfstream: Cannot run 'frobnicate': unknown command/);
  assert.equal(lines[1], "Try 'bpfstream --help'.");
});

Deno.test("runCli() COMMAND --help and help COMMAND print that command's usage", async () => {
  for (const entry of cliCommands) {
    const command = await entry.load();
    assert.equal(command.name, entry.name);
    const a = _testIo();
    assert.equal(await runCli([command.name, "--help"], a.io), 0);
    assert.equal(a.stdoutText(), command.usage + "\n");
    const b = _testIo();
    assert.equal(await runCli(["help", command.name], b.io), 0);
    assert.equal(b.stdoutText(), command.usage + "\n");
  }
});

Deno.test("runCli() --version prints the version", async () => {
  const t = _testIo();
  assert.equal(await runCli(["--version"], t.io), 0);
  assert.match(t.stdoutText(), /^bpfstream \d+\.\d+\.\d+\n$/);
});

Deno.test("runCli() reports an unknown option as a usage error naming the command", async () => {
  const t = _testIo();
  assert.equal(await runCli(["verdicts", "--frobnicate"], t.io), 2);
  assert.match(t.stderr(), /^bpfstream: Cannot run verdicts: .*--frobnicate/);
  assert.match(t.stderr(), /Try 'bpfstream verdicts --help'\.\n$/);
});

Deno.test("runCli() prints a data error once, without a stack trace", async () => {
  const t = _testIo();
  assert.equal(await runCli(["check", "--bytecode", "2,6 0 0 0"], t.io), 1);
  assert.equal(t.stderr().trimEnd().split("\n").length, 1);
  assert.match(t.stderr(), /^bpfstream: --bytecode: Cannot parse/);
  assert.doesNotMatch(t.stderr(), /\n\s+at /);
});

Deno.test("runCli() --debug adds the stack trace and the cause", async () => {
  for (const t of [_testIo(), _testIo({ env: { BPFSTREAM_DEBUG: "1" } })]) {
    const args = ["check", "--bytecode", "2,6 0 0 0"];
    assert.equal(await runCli(t.io.env("BPFSTREAM_DEBUG") ? args : ["--debug", ...args], t.io), 1);
    assert.match(t.stderr(), /\n\s+at /);
    assert.match(t.stderr(), /Caused by: BpfSyntaxError/);
  }
});

Deno.test("runCli() ends quietly with status 141 when stdout is closed", async () => {
  const brokenPipe = Object.assign(new Error("Broken pipe (os error 32)"), { name: "BrokenPipe" });
  const t = _testIo({ stdoutError: brokenPipe });
  assert.equal(await runCli(["compile", "tcp"], t.io), 141);
  assert.equal(t.stderr(), "");
});
