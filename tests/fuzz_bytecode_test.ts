/**
 * Fuzz tests of parseBytecode: random text and mutated valid programs in all
 * three forms give instructions or a BpfSyntaxError with a place inside the
 * text, nothing else. Replay with FUZZ_SEED (printed on failure).
 */
import { HANG_GUARD_MS } from "./_hang_guard.ts";
import assert from "node:assert/strict";
import { parseBytecode } from "../src/bpf/parse_bytecode.ts";
import { formatBytecode } from "../src/bpf/format_bytecode.ts";
import { BpfSyntaxError } from "../src/bpf/errors.ts";
import type { Instruction } from "../src/bpf/instruction.ts";
import { _fuzz, _iterations, _mutate, _placeWithin, type _Random, _randomText } from "./_fuzz.ts";
import { _validProgram } from "./_fuzz_programs.ts";

/** The `tcpdump -ddd` form: count, then one instruction per line. */
function ddd(program: Instruction[]): string {
  return `${program.length}\n` + program.map((i) => `${i.code} ${i.jt} ${i.jf} ${i.k}`).join("\n") +
    "\n";
}

/** The `tcpdump -dd` form, with random hex/decimal/octal literals. */
function dd(program: Instruction[], random: _Random): string {
  const lit = (n: number) => {
    switch (random.int(3)) {
      case 0:
        return "0x" + n.toString(16);
      case 1:
        return n === 0 ? "0" : "0" + n.toString(8);
      default:
        return String(n);
    }
  };
  return program.map((i) => `{ ${lit(i.code)}, ${i.jt}, ${i.jf}, ${lit(i.k)} },`).join("\n") + "\n";
}

const PIECES = [
  ",",
  "\n",
  " ",
  "{",
  "}",
  "0x",
  "-",
  "-1",
  "4294967296",
  "65536",
  "256",
  "4000000000",
  "99999999999999999999999",
  "0x1ffffffff",
  "08",
  "\r\n",
  "\t",
  "1e3",
  "+1",
];

/** Parses; checks the outcome is instructions or a well-placed BpfSyntaxError. */
function check(text: string): Instruction[] | undefined {
  let program: Instruction[];
  try {
    program = parseBytecode(text);
  } catch (error) {
    if (!(error instanceof BpfSyntaxError)) throw error;
    const problem = _placeWithin(text, error.line, error.column);
    assert.equal(problem, undefined, `${problem}: ${error.message}`);
    assert.match(error.message, /^Cannot parse bytecode: .* at line \d+, column \d+$/s);
    assert.ok(error.message.length < 400, `message too long (${error.message.length})`);
    return undefined;
  }
  assert.ok(Array.isArray(program) && program.length > 0);
  for (const insn of program) {
    assert.deepEqual(Object.keys(insn), ["code", "jt", "jf", "k"]);
    assert.ok(Number.isInteger(insn.code) && insn.code >= 0 && insn.code <= 0xffff);
    assert.ok(Number.isInteger(insn.jt) && insn.jt >= 0 && insn.jt <= 0xff);
    assert.ok(Number.isInteger(insn.jf) && insn.jf >= 0 && insn.jf <= 0xff);
    assert.ok(Number.isInteger(insn.k) && insn.k >= 0 && insn.k <= 0xffffffff);
  }
  return program;
}

Deno.test("fuzz: parseBytecode() reads every valid program in all three forms", async () => {
  await _fuzz("parseBytecode valid forms", (random, note) => {
    for (let n = 0; n < _iterations(300); n++) {
      const program = _validProgram(random, 30);
      for (const text of [formatBytecode(program), ddd(program), dd(program, random)]) {
        note(text);
        assert.deepEqual(parseBytecode(text), program);
      }
    }
  });
});

Deno.test("fuzz: parseBytecode() on random text returns instructions or a placed BpfSyntaxError", async () => {
  await _fuzz("parseBytecode random text", (random, note) => {
    for (let n = 0; n < _iterations(10000); n++) {
      const text = random.chance(0.5)
        ? _randomText(random, 60)
        : _randomText(random, 80, "0123456789 ,\n{}x-");
      note(text);
      check(text);
    }
  });
});

Deno.test("fuzz: parseBytecode() on mutated programs returns instructions or a placed BpfSyntaxError", async () => {
  await _fuzz("parseBytecode mutations", (random, note) => {
    for (let n = 0; n < _iterations(10000); n++) {
      const program = _validProgram(random, 12);
      const base = random.pick([formatBytecode(program), ddd(program), dd(program, random)]);
      const text = _mutate(random, base, PIECES);
      note(text);
      check(text);
    }
  });
});

Deno.test("parseBytecode() does not allocate for huge counts or long texts", () => {
  for (
    const text of [
      "4000000000,6 0 0 0",
      "4294967295,6 0 0 0",
      "99999999999999999999999999999999,6 0 0 0",
      "65536,6 0 0 0",
      "1" + "0".repeat(100_000) + ",6 0 0 0",
      "{ 0x" + "f".repeat(100_000) + ", 0, 0, 0 },",
      "1,6 0 0 " + "9".repeat(100_000),
    ]
  ) {
    assert.throws(() => parseBytecode(text), (error: unknown) => {
      assert.ok(error instanceof BpfSyntaxError);
      assert.ok(error.message.length < 300, error.message);
      return true;
    });
  }
  // A long but valid program parses in linear time.
  const count = 65535;
  const text = `${count},` + "6 0 0 0,".repeat(count);
  const start = performance.now();
  assert.equal(parseBytecode(text).length, count);
  assert.ok(performance.now() - start < HANG_GUARD_MS);
});
