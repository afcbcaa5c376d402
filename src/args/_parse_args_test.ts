import assert from "node:assert/strict";
import { parseArgs } from "node:util";
import { type _ArgSpec, _parseArgs } from "./_parse_args.ts";

/** The option declarations the commands give (`help` first, as `_parseOptions` adds it). */
const _DECLARATIONS: Record<string, _ArgSpec>[] = [
  {
    help: { type: "boolean", short: "h" },
    rules: { type: "string" },
    expr: { type: "string" },
    stats: { type: "boolean" },
    "drop-to": { type: "string" },
  },
  {
    help: { type: "boolean", short: "h" },
    y: { type: "string", short: "y" },
    d: { type: "boolean", short: "d", multiple: true },
    O: { type: "boolean", short: "O" },
    s: { type: "string", short: "s" },
    "max-instructions": { type: "string" },
  },
  {
    help: { type: "boolean", short: "h" },
    f: { type: "string", short: "f", multiple: true },
    v: { type: "boolean", short: "v" },
    x: { type: "boolean", short: "=" },
  },
];

/** Pieces that reach every branch: options, groups, inline values, dashes, unknown names. */
const _PIECES = [
  "--rules",
  "--rules=a",
  "--rules=",
  "--expr",
  "--stats",
  "--stats=1",
  "--drop-to",
  "--drop-to=-x",
  "-h",
  "--help",
  "-d",
  "-dd",
  "-dO",
  "-dy",
  "-dyfoo",
  "-Od-",
  "-y",
  "-yx",
  "-y-",
  "-s",
  "-sd",
  "-f",
  "-fv",
  "-vf",
  "-vfx",
  "-v=",
  "-=",
  "--x",
  "--=",
  "--=a=b",
  "---",
  "--y",
  "--d",
  "--d=",
  "--max-instructions",
  "--max-instructions=4",
  "--bogus",
  "--bogus=1",
  "-q",
  "-qd",
  "--",
  "-",
  "-1",
  "-x",
  "x",
  "in.pcap",
  "",
  "=",
  "-é",
  "--__proto__",
  "--__proto__=1",
];

/** A seeded generator (xorshift32) for the argument lists. */
function _random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

/** What a parser gave: plain values and positionals, or the error's class and message. */
function _outcome(parse: () => { values: object; positionals: string[] }): unknown {
  try {
    const { values, positionals } = parse();
    return {
      prototype: Object.getPrototypeOf(values),
      values: Object.entries(values),
      positionals,
    };
  } catch (error) {
    return { error: error instanceof TypeError, message: (error as Error).message };
  }
}

Deno.test("_parseArgs gives node:util parseArgs's values, positionals and messages", () => {
  const next = _random(15);
  let errors = 0;
  for (let n = 0; n < 20_000; n++) {
    const options = _DECLARATIONS[n % _DECLARATIONS.length];
    const args = Array.from(
      { length: Math.floor(next() * 6) },
      () => _PIECES[Math.floor(next() * _PIECES.length)],
    );
    const expected = _outcome(() =>
      parseArgs({ args, options, allowPositionals: true, strict: true })
    );
    const actual = _outcome(() => _parseArgs(args, options));
    assert.deepEqual(actual, expected, JSON.stringify(args));
    if ("error" in (actual as object)) errors++;
  }
  // Both outcomes are exercised (the pieces are not all errors or all valid).
  assert.ok(errors > 2_000 && errors < 18_000, `${errors} errors`);
});

Deno.test("_parseArgs reads a short string option's value from the next argument", () => {
  const options: Record<string, _ArgSpec> = { y: { type: "string", short: "y" } };
  assert.deepEqual({ ..._parseArgs(["-y", "eth0", "f"], options).values }, { y: "eth0" });
  assert.throws(() => _parseArgs(["-y", "-d"], options), {
    message: "Option '-y' argument is ambiguous.\n" +
      "Did you forget to specify the option argument for '-y'?\n" +
      "To specify an option argument starting with a dash use '--y=-XYZ' or '-y-XYZ'.",
  });
});
