/**
 * Fuzz test of the command line: runCli on random argument vectors (over the
 * in-memory test I/O, with a real capture, rule files and programs) resolves
 * to 0, 1 or 2, never rejects, and never prints a stack trace. Replay with
 * FUZZ_SEED (printed on failure).
 */
import assert from "node:assert/strict";
import { runCli } from "../src/cli/run_cli.ts";
import { _testIo } from "../src/cli/_test_io.ts";
import { _mixed } from "../src/cli/_test_capture.ts";
import { _fuzz, _iterations, type _Random } from "./_fuzz.ts";

// "serve" listens on a port: not fuzzed here.
const COMMANDS = ["filter", "verdicts", "check", "disasm", "asm", "trace", "compile", "u32"];

const OPTIONS = [
  "--rules",
  "--bytecode",
  "--expr",
  "--asm",
  "--u32",
  "--to-bytecode",
  "--invert",
  "--base",
  "--chain",
  "--drop-to",
  "--stats",
  "--json",
  "--packet",
  "--strategy",
  "--max-instructions",
  "--allow-backward-jumps",
  "-y",
  "-d",
  "-dd",
  "-ddd",
  "-O",
  "-s",
  "-h",
  "--help",
  "--debug",
  "--",
  "-",
  "--nosuch",
  "-Z",
  "--expr=tcp",
  "--packet=-1",
];

const VALUES = [
  "",
  "tcp",
  "tcp port 80",
  "(((",
  "not ".repeat(3000) + "tcp",
  "host foo",
  "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0",
  "1,6 0 0 0",
  "4000000000,6 0 0 0",
  "x",
  "0x6&0xff=0x11",
  "0=1&&",
  "link",
  "network",
  "INPUT",
  "nosuch",
  "0",
  "1",
  "-1",
  "99999999999999999999",
  "NaN",
  "EN10MB",
  "RAW",
  "1",
  "300",
  "closure",
  "source",
  "bogus",
  "capture.pcap",
  "rules.txt",
  "bad.rules",
  "prog.asm",
  "bad.asm",
  "empty",
  "garbage.pcap",
  "truncated.pcap",
  "missing.file",
  "out.pcap",
  "\u0000",
  "é😀",
];

const RULES = `*filter
:INPUT ACCEPT [0:0]
-A INPUT -m bpf --bytecode "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0" -j DROP
-A INPUT -m bpf --expr "udp" -j ACCEPT
COMMIT
`;

function files(): Record<string, Uint8Array | string> {
  return {
    "capture.pcap": _mixed,
    "truncated.pcap": _mixed.slice(0, 100),
    "garbage.pcap": new Uint8Array(64).fill(0xa5),
    "rules.txt": RULES,
    "bad.rules": RULES.replace("COMMIT", "-A INPUT -j nosuch"),
    "prog.asm": "ldh [12]\njneq #0x800, drop\nret #-1\ndrop: ret #0\n",
    "bad.asm": "ldh [12\n",
    "empty": "",
  };
}

/** Working invocations, mutated so that the fuzzer reaches deep into each command. */
const TEMPLATES = [
  ["filter", "--expr", "tcp", "capture.pcap"],
  ["filter", "--rules", "rules.txt", "--stats", "--drop-to", "out.pcap", "capture.pcap"],
  ["filter", "--bytecode", "1,6 0 0 0", "-"],
  ["verdicts", "--expr", "udp", "capture.pcap"],
  ["verdicts", "--asm", "prog.asm", "--json", "capture.pcap"],
  ["trace", "--expr", "tcp", "--packet", "3", "capture.pcap"],
  ["check", "--rules", "rules.txt"],
  ["check", "--bytecode", "1,6 0 0 0"],
  ["disasm", "--expr", "tcp port 80", "--base", "network"],
  ["asm", "-ddd", "prog.asm"],
  ["compile", "-y", "RAW", "-ddd", "tcp", "port", "80"],
  ["u32", "--to-bytecode", "0x6&0xff=0x11", "--invert"],
];

function argv(random: _Random): string[] {
  if (random.chance(0.6)) {
    const args = [...random.pick(TEMPLATES)];
    for (let i = 0, n = random.int(3); i < n; i++) {
      const at = 1 + random.int(args.length);
      const item = random.chance(0.5) ? random.pick(OPTIONS) : random.pick(VALUES);
      switch (random.int(3)) {
        case 0:
          args.splice(at, 1);
          break;
        case 1:
          args.splice(at, 0, item);
          break;
        default:
          args[Math.min(at, args.length - 1)] = item;
      }
    }
    return args;
  }
  const args: string[] = [];
  if (random.chance(0.9)) args.push(random.pick(COMMANDS));
  for (let i = 0, n = random.int(7); i < n; i++) {
    args.push(random.chance(0.55) ? random.pick(OPTIONS) : random.pick(VALUES));
  }
  return args;
}

Deno.test("fuzz: runCli() on random arguments exits 0, 1 or 2 without a stack trace", async () => {
  await _fuzz("runCli arguments", async (random, note) => {
    const statuses = [0, 0, 0];
    for (let n = 0; n < _iterations(400); n++) {
      const args = argv(random);
      const stdin = random.pick([_mixed, new Uint8Array(0), "garbage", _mixed.slice(0, 50)]);
      const t = _testIo({ stdin, files: files(), chunkSize: 1 + random.int(70000) });
      note({ args, stdin: stdin.length });
      const status = await runCli(args, t.io);
      assert.ok([0, 1, 2].includes(status), `exit status ${status}`);
      statuses[status]++;
      const err = t.stderr();
      if (!args.includes("--debug")) {
        assert.doesNotMatch(err, /^\s+at .*:\d+:\d+\)?$/m, "stack trace on stderr");
      }
      if (status === 1 || status === 2) {
        assert.match(err, /^bpfstream: |^Usage: /m, `status ${status} without a message`);
        // an internal error leaking through (TypeError etc.) would not read like ours
        assert.doesNotMatch(
          err,
          /(is not a function|Cannot read properties|undefined is not|is not defined|Maximum call stack)/,
        );
      }
    }
    assert.ok(statuses.every((count) => count > 0), `statuses ${statuses}`); // all paths reached
  });
});
