/**
 * Fuzz tests of the bpf_asm assembler: random and mutated source gives a
 * program or a BpfSyntaxError with a place inside the text, nothing else;
 * toAssembly/assemble round-trips random valid programs. Replay with
 * FUZZ_SEED (printed on failure).
 */
import { HANG_GUARD_MS } from "./_hang_guard.ts";
import assert from "node:assert/strict";
import { assemble } from "../src/bpf/assemble.ts";
import { toAssembly } from "../src/bpf/to_assembly.ts";
import { BpfSyntaxError } from "../src/bpf/errors.ts";
import type { Instruction } from "../src/bpf/instruction.ts";
import { _fuzz, _iterations, _mutate, _placeWithin, _randomText } from "./_fuzz.ts";
import { _validProgram } from "./_fuzz_programs.ts";

/** Conditional jumps keep jt/jf; opcodes without a k operand in bpf_asm lose k. */
function normalise(program: readonly Instruction[]): Instruction[] {
  const noK = new Set([0x80, 0x81, 0x84, 0x16, 0x0e, 0x07, 0x87]);
  return program.map(({ code, jt, jf, k }) => {
    const conditional = (code & 0x07) === 0x05 && (code & 0xf0) !== 0x00;
    const xForm = (code & 0x08) !== 0 && ((code & 0x07) === 0x04 || (code & 0x07) === 0x05);
    return {
      code,
      jt: conditional ? jt : 0,
      jf: conditional ? jf : 0,
      k: noK.has(code) || xForm ? 0 : k,
    };
  });
}

const PIECES = [
  "ld ",
  "ldh ",
  "ldb ",
  "ldx ",
  "ldxb ",
  "ldi ",
  "ldxi ",
  "st ",
  "stx ",
  "jmp ",
  "ja ",
  "jeq ",
  "jneq ",
  "jlt ",
  "jle ",
  "jgt ",
  "jge ",
  "jset ",
  "add ",
  "div ",
  "mod ",
  "lsh ",
  "neg",
  "ret ",
  "tax",
  "txa",
  "#",
  "[",
  "]",
  "x",
  "%x",
  "a",
  "%",
  "M[",
  "4*([",
  "&0xf)",
  ",",
  ":",
  ";",
  "/*",
  "*/",
  "\n",
  "#len",
  "#proto",
  "#vlan_tci",
  "L1",
  "L2:",
  "drop",
  "0x",
  "0b",
  "-",
  "+",
  "4294967296",
  "-2147483649",
  "0xffffffffff",
  "099",
  "\r",
  "\n#",
];

function check(text: string): Instruction[] | undefined {
  let program: Instruction[];
  try {
    program = assemble(text);
  } catch (error) {
    if (!(error instanceof BpfSyntaxError)) throw error;
    const problem = _placeWithin(text, error.line, error.column);
    assert.equal(problem, undefined, `${problem}: ${error.message}`);
    assert.match(error.message, /^Cannot assemble program: .* at line \d+, column \d+$/s);
    assert.ok(error.message.length < 400, `message too long (${error.message.length})`);
    return undefined;
  }
  assert.ok(Array.isArray(program) && program.length > 0);
  for (const { code, jt, jf, k } of program) {
    assert.ok(Number.isInteger(code) && code >= 0 && code <= 0xffff);
    assert.ok(Number.isInteger(jt) && jt >= 0 && jt <= 0xff, `jt ${jt}`);
    assert.ok(Number.isInteger(jf) && jf >= 0 && jf <= 0xff, `jf ${jf}`);
    assert.ok(Number.isInteger(k) && k >= 0 && k <= 0xffffffff, `k ${k}`);
  }
  return program;
}

Deno.test("fuzz: assemble(toAssembly(p)) is p for random valid programs", async () => {
  await _fuzz("toAssembly/assemble round trip", (random, note) => {
    for (let n = 0; n < _iterations(1000); n++) {
      const program = _validProgram(random, 40);
      note(program);
      const text = toAssembly(program);
      note(text);
      assert.deepEqual(assemble(text), normalise(program));
      // and again: the text is a fixed point
      assert.equal(toAssembly(assemble(text)), text);
    }
  });
});

Deno.test("fuzz: assemble() on random text returns a program or a placed BpfSyntaxError", async () => {
  await _fuzz("assemble random text", (random, note) => {
    for (let n = 0; n < _iterations(5000); n++) {
      const text = random.chance(0.5) ? _randomText(random, 60) : Array.from(
        { length: random.int(12) },
        () => random.pick(PIECES) + random.pick(["", " ", "1", "12", "\n"]),
      ).join("");
      note(text);
      check(text);
    }
  });
});

Deno.test("fuzz: assemble() on mutated programs returns a program or a placed BpfSyntaxError", async () => {
  await _fuzz("assemble mutations", (random, note) => {
    for (let n = 0; n < _iterations(5000); n++) {
      const base = toAssembly(_validProgram(random, 12));
      const text = _mutate(random, base, PIECES);
      note(text);
      check(text);
    }
  });
});

Deno.test("assemble() stays linear on long and hostile inputs", () => {
  const long = "ret #0\n".repeat(100_000);
  let start = performance.now();
  assert.equal(assemble(long).length, 100_000);
  const unterminated = "ret #0 /*" + " ".repeat(200_000);
  assert.throws(() => assemble(unterminated), BpfSyntaxError);
  const labels = Array.from({ length: 50_000 }, (_, i) => `L${i}: ld #${i}`).join("\n") +
    "\nret a\n";
  assert.equal(assemble(labels).length, 50_001);
  const name = "L".repeat(100_000);
  for (
    const text of [
      "ret #" + "9".repeat(100_000),
      "ld [x + " + "1".repeat(100_000) + "]",
      `jmp ${name}\nret #0`, // long names are cut in messages
      `${name}\nret #0`,
      `${name}: ${name}: ret #0`,
      `ret ${name}`,
    ]
  ) {
    assert.throws(() => assemble(text), (error: unknown) => {
      assert.ok(error instanceof BpfSyntaxError);
      assert.ok(error.message.length < 300, error.message.slice(0, 400));
      return true;
    });
  }
  assert.ok(performance.now() - start < HANG_GUARD_MS);
  start = performance.now();
  // Many comment-only lines between instructions.
  assert.equal(assemble(";c\n".repeat(100_000) + "ret #1").length, 1);
  assert.ok(performance.now() - start < HANG_GUARD_MS);
});
