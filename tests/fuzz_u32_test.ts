/**
 * Fuzz tests of the u32 match: random and mutated expressions give tests or a
 * U32SyntaxError with a column inside the text; for every accepted one,
 * compileU32 and the BPF translation (u32ToBpf, run by compile) agree on
 * random packets. Replay with FUZZ_SEED (printed on failure).
 */
import { HANG_GUARD_MS } from "./_hang_guard.ts";
import assert from "node:assert/strict";
import { compileU32, parseU32, U32SyntaxError, type U32Test, u32ToBpf } from "../src/u32/mod.ts";
import { compile } from "../src/bpf/compile.ts";
import { validate } from "../src/bpf/validate.ts";
import { _fuzz, _iterations, _mutate, type _Random, _randomText } from "./_fuzz.ts";

const PIECES = [
  "&",
  "&&",
  "<<",
  ">>",
  "@",
  "=",
  ",",
  ":",
  " ",
  "0x",
  "0xFF",
  "0x3C",
  "0xffffffff",
  "4294967296",
  "0x100000000",
  "017",
  "09",
  "+",
  "-1",
  "32",
  "31",
  "\t",
  "\n",
];

function number(random: _Random): string {
  const n = random.pick([0, 1, 2, 4, 6, 8, 9, 12, 16, 20, 22, 0x3c, 0xff, 0xffff, random.uint32()]);
  switch (random.int(3)) {
    case 0:
      return "0x" + n.toString(16);
    case 1:
      return n === 0 ? "0" : "0" + n.toString(8);
    default:
      return String(n);
  }
}

/** A random well-formed u32 expression. */
function expression(random: _Random): string {
  const tests: string[] = [];
  for (let t = 0, n = 1 + random.int(3); t < n; t++) {
    let location = String(random.int(4) === 0 ? random.int(60) : random.pick([0, 4, 6, 8, 12]));
    for (let o = 0, m = random.int(4); o < m; o++) {
      const op = random.pick(["&", "<<", ">>", "@"]);
      const operand = op === "<<" || op === ">>"
        ? String(random.int(32))
        : op === "@"
        ? String(random.pick([0, 4, 8, 12]))
        : number(random);
      location += `${random.chance(0.3) ? " " : ""}${op}${operand}`;
    }
    const ranges: string[] = [];
    for (let r = 0, n2 = 1 + random.int(3); r < n2; r++) {
      ranges.push(random.chance(0.5) ? number(random) : `${number(random)}:${number(random)}`);
    }
    tests.push(`${location}=${ranges.join(",")}`);
  }
  return tests.join(random.chance(0.5) ? "&&" : " && ");
}

function packet(random: _Random): Uint8Array {
  const bytes = new Uint8Array(random.int(80));
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = random.chance(0.6) ? random.int(16) : random.int(256);
  }
  if (bytes.length >= 20 && random.chance(0.5)) bytes[0] = 0x45;
  return bytes;
}

/** Parses; on success checks that the closure and the BPF translation agree. */
function check(text: string, random: _Random): U32Test[] | undefined {
  let tests: U32Test[];
  try {
    tests = parseU32(text);
  } catch (error) {
    if (!(error instanceof U32SyntaxError)) throw error;
    assert.ok(
      Number.isInteger(error.column) && error.column >= 1 && error.column <= text.length + 1,
      `column ${error.column} outside 1..${text.length + 1}: ${error.message}`,
    );
    assert.match(error.message, /^Cannot parse u32 expression: .* at column \d+$/s);
    assert.ok(error.message.length < 300, error.message.slice(0, 400));
    return undefined;
  }
  assert.ok(tests.length >= 1 && tests.length <= 10);
  for (const invert of [false, true]) {
    const matcher = compileU32(tests, { invert });
    const program = u32ToBpf(tests, { invert });
    validate(program);
    const run = compile(program);
    for (let n = 0; n < 6; n++) {
      const bytes = packet(random);
      assert.equal(
        run(bytes) !== 0,
        matcher(bytes),
        `invert=${invert}, packet ${JSON.stringify(Array.from(bytes))}`,
      );
    }
  }
  return tests;
}

Deno.test("fuzz: parseU32() on random expressions; compileU32 and u32ToBpf agree", async () => {
  await _fuzz("u32 expressions", (random, note) => {
    let accepted = 0;
    for (let n = 0; n < _iterations(1000); n++) {
      const text = expression(random);
      note(text);
      if (check(text, random)) accepted++;
    }
    assert.ok(accepted > 500, `only ${accepted} accepted`);
  });
});

Deno.test("fuzz: parseU32() on mutated and random text gives tests or a placed U32SyntaxError", async () => {
  await _fuzz("u32 mutations", (random, note) => {
    for (let n = 0; n < _iterations(4000); n++) {
      const text = random.chance(0.2)
        ? _randomText(random, 40, random.chance(0.5) ? undefined : "0123456789x&<>@=,: ")
        : _mutate(random, expression(random), PIECES);
      note(text);
      check(text, random);
    }
  });
});

Deno.test("parseU32() stays bounded on long inputs", () => {
  for (
    const text of [
      "0=" + "9".repeat(100_000),
      "0x" + "f".repeat(100_000) + "=1",
      "0" + " ".repeat(100_000) + "=1",
      "0=1" + "&&0=1".repeat(50_000),
      "0" + "&1".repeat(50_000) + "=1",
      "0=1" + ",1".repeat(50_000),
    ]
  ) {
    const start = performance.now();
    try {
      parseU32(text);
    } catch (error) {
      assert.ok(error instanceof U32SyntaxError, String(error));
      assert.ok(error.message.length < 300, error.message.slice(0, 400));
    }
    assert.ok(performance.now() - start < HANG_GUARD_MS);
  }
});
