import assert from "node:assert/strict";
import { parseArgs } from "node:util";
import { _ArgvError, type _OptionSpec, _parseArgv } from "./_parse_argv.ts";

/** Options like the subcommands' (compile, asm, filter). */
const OPTIONS: Record<string, _OptionSpec> = {
  help: { type: "boolean", short: "h" },
  d: { type: "boolean", short: "d", multiple: true },
  O: { type: "boolean", short: "O" },
  y: { type: "string", short: "y" },
  rules: { type: "string" },
  expr: { type: "string", multiple: true },
  stats: { type: "boolean" },
};

const TOKENS = [
  "-h",
  "-d",
  "-dd",
  "-ddd",
  "-O",
  "-dO",
  "-Od",
  "-y",
  "-yEN10MB",
  "-dy",
  "-dyRAW",
  "-x",
  "-dx",
  "--help",
  "--stats",
  "--stats=1",
  "--rules",
  "--rules=a.txt",
  "--rules=",
  "--expr",
  "--expr=ip",
  "--nope",
  "--nope=1",
  "--",
  "-",
  "file.pcap",
  "tcp port 80",
  "-5",
  "--d",
  "--y=x",
  "---x",
  "--=",
];

function nodeParse(args: string[]): { values: object; positionals: string[] } | "error" {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
    return { values: { ...values }, positionals };
  } catch {
    return "error";
  }
}

function ourParse(args: string[]): { values: object; positionals: string[] } | "error" {
  try {
    const { values, positionals } = _parseArgv(args, OPTIONS);
    return { values: { ...values }, positionals };
  } catch (error) {
    assert.ok(error instanceof _ArgvError, String(error));
    return "error";
  }
}

Deno.test("_parseArgv() gives what node:util parseArgs (strict) gives, on every 1- and 2-token argv", () => {
  const vectors: string[][] = [[]];
  for (const a of TOKENS) {
    vectors.push([a]);
    for (const b of TOKENS) vectors.push([a, b]);
  }
  for (const args of vectors) {
    assert.deepEqual(ourParse(args), nodeParse(args), JSON.stringify(args));
  }
});

Deno.test("_parseArgv() gives what node:util parseArgs gives on random argv of up to 6 tokens", () => {
  let seed = 12345;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % TOKENS.length;
  for (let n = 0; n < 20000; n++) {
    const args = Array.from({ length: 1 + (n % 6) }, () => TOKENS[next()]);
    assert.deepEqual(ourParse(args), nodeParse(args), JSON.stringify(args));
  }
});

Deno.test("_parseArgv() names the option in its errors", () => {
  assert.throws(() => _parseArgv(["--frobnicate"], OPTIONS), /Unknown option '--frobnicate'/);
  assert.throws(() => _parseArgv(["--rules"], OPTIONS), /'--rules <value>' argument missing/);
  assert.throws(() => _parseArgv(["--stats=1"], OPTIONS), /'--stats' does not take an argument/);
});
