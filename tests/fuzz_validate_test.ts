/**
 * Fuzz tests of validate() and compile(): broken programs give a
 * BpfValidationError with a known code and an index within the program,
 * never another exception; every program validate() accepts compiles with
 * both strategies and runs to a uint32. Replay with FUZZ_SEED (printed on
 * failure).
 */
import assert from "node:assert/strict";
import { validate } from "../src/bpf/validate.ts";
import { compile } from "../src/bpf/compile.ts";
import { interpret } from "../src/bpf/interpret.ts";
import { type BpfValidationCode, BpfValidationError } from "../src/bpf/errors.ts";
import type { Instruction } from "../src/bpf/instruction.ts";
import { _fuzz, _iterations, type _Random } from "./_fuzz.ts";
import { _OPCODES, _validProgram } from "./_fuzz_programs.ts";

const CODES: ReadonlySet<BpfValidationCode> = new Set<BpfValidationCode>([
  "EMPTY_PROGRAM",
  "TOO_LONG",
  "BAD_OPCODE",
  "BAD_FIELD",
  "DIVISION_BY_ZERO",
  "BAD_SHIFT",
  "BAD_SCRATCH_INDEX",
  "JUMP_OUT_OF_RANGE",
  "NO_FINAL_RETURN",
  "BAD_ANCILLARY",
  "UNINITIALIZED_SCRATCH",
]);

const ODD_VALUES: readonly unknown[] = [
  -1,
  0.5,
  NaN,
  Infinity,
  -Infinity,
  2 ** 32,
  2 ** 53,
  -0,
  "6",
  null,
  undefined,
  true,
  {},
  [],
  10n,
];

/** A valid program broken in one to three random ways. */
function broken(random: _Random): unknown[] {
  const program: unknown[] = _validProgram(random, 30);
  const rounds = 1 + random.int(3);
  for (let r = 0; r < rounds; r++) {
    const at = random.int(program.length);
    const insn = { ...(program[at] as Instruction) } as Record<string, unknown>;
    switch (random.int(10)) {
      case 0: // an odd field value
        insn[random.pick(["code", "jt", "jf", "k"])] = random.pick(ODD_VALUES);
        break;
      case 1: // any 16-bit opcode
        insn.code = random.int(0x10000);
        break;
      case 2: // a random allowed opcode with random operands
        insn.code = random.pick(_OPCODES);
        insn.k = random.chance(0.5) ? random.int(40) : random.uint32();
        insn.jt = random.int(256);
        insn.jf = random.int(256);
        break;
      case 3: // a jump far away
        insn.code = random.pick([0x05, 0x15, 0x25, 0x35, 0x45, 0x1d]);
        insn.k = random.pick([random.uint32(), 0xffffffff, 0x80000000, program.length]);
        insn.jt = random.int(256);
        insn.jf = random.int(256);
        break;
      case 4: // a scratch access
        insn.code = random.pick([0x02, 0x03, 0x60, 0x61]);
        insn.k = random.pick([random.int(20), random.uint32()]);
        break;
      case 5: // an instruction that is not one
        program[at] = random.pick([null, undefined, 6, "ret", [], {}]);
        continue;
      case 6: // drop the final return or truncate
        program.length = random.int(program.length + 1);
        continue;
      case 7: // a hole
        delete program[at];
        continue;
      case 8: // an ancillary load
        insn.code = random.pick([0x20, 0x28, 0x30]);
        insn.k = (0xfffff000 + random.int(0x1000)) >>> 0;
        break;
      default: // shifts and divisions by constants
        insn.code = random.pick([0x34, 0x94, 0x64, 0x74]);
        insn.k = random.pick([0, 31, 32, 33, random.uint32()]);
    }
    program[at] = insn;
  }
  return program;
}

/** A fixed `SKF_AD_RANDOM` source so the engines see the same values. */
function fixedRandom(): () => number {
  let n = 0;
  return () => (n = (Math.imul(n, 1103515245) + 12345) >>> 0);
}

function packet(random: _Random): Uint8Array {
  const bytes = new Uint8Array(random.int(80));
  for (let i = 0; i < bytes.length; i++) bytes[i] = random.int(256);
  return bytes;
}

/** Validates; on success compiles and runs; on failure checks the error. */
function check(
  program: unknown[],
  random: _Random,
  backward: boolean,
  note: (input: unknown) => void,
): boolean {
  note({ program, backward });
  try {
    validate(program as Instruction[], { allowBackwardJumps: backward });
  } catch (error) {
    if (!(error instanceof BpfValidationError)) throw error;
    assert.ok(CODES.has(error.code), `unknown code ${error.code}`);
    assert.ok(Number.isInteger(error.index), `index ${error.index}`);
    assert.ok(
      error.index === -1 || (error.index >= 0 && error.index < program.length),
      `index ${error.index} outside the program (length ${program.length})`,
    );
    if (error.index === -1) assert.ok(["EMPTY_PROGRAM", "TOO_LONG"].includes(error.code));
    assert.match(error.message, /^Cannot validate program: /);
    assert.ok(error.message.length < 300, error.message);
    // compile() refuses it the same way
    assert.throws(
      () => compile(program as Instruction[], { allowBackwardJumps: backward }),
      (again: unknown) => again instanceof BpfValidationError && again.code === error.code,
    );
    return false;
  }
  const valid = program as Instruction[];
  const bytes = packet(random);
  note({ program, backward, packet: Array.from(bytes) });
  const expected = interpret(valid, bytes, { random: fixedRandom() });
  for (const strategy of ["closure", "source"] as const) {
    const run = compile(valid, { strategy, allowBackwardJumps: backward });
    const got = run(bytes, { random: fixedRandom() });
    assert.ok(Number.isInteger(got) && got >= 0 && got <= 0xffffffff, `${strategy}: ${got}`);
    assert.ok(Object.is(got, expected), `${strategy}: ${got}, interpreter ${expected}`);
  }
  return true;
}

Deno.test("fuzz: validate() throws only BpfValidationError on broken programs; compile() takes the rest", async () => {
  await _fuzz("validate broken programs", (random, note) => {
    let accepted = 0;
    let refused = 0;
    for (let n = 0; n < _iterations(2000); n++) {
      const program = broken(random);
      note(program);
      if (check(program, random, random.chance(0.3), note)) accepted++;
      else refused++;
    }
    assert.ok(refused > accepted / 10, `only ${refused} refused`); // the fuzzer really breaks things
  });
});

Deno.test("fuzz: compile() never throws for valid programs", async () => {
  await _fuzz("compile valid programs", (random, note) => {
    for (let n = 0; n < _iterations(300); n++) {
      const program = _validProgram(random, 60);
      note(program);
      assert.ok(check(program, random, false, note));
    }
  });
});

Deno.test("fuzz: validate() refuses programs with backward ja unless allowed, and loops terminate", async () => {
  await _fuzz("backward jumps", (random, note) => {
    for (let n = 0; n < _iterations(200); n++) {
      const program = _validProgram(random, 12);
      const at = random.int(program.length - 1);
      program[at] = { code: 0x05, jt: 0, jf: 0, k: (-1 - random.int(at + 3)) >>> 0 };
      note(program);
      assert.throws(() => validate(program), BpfValidationError);
      check(program, random, true, note);
    }
  });
});

Deno.test("validate() on huge and sparse arrays is bounded", () => {
  const huge = new Array(2 ** 31); // sparse: no memory behind it
  assert.throws(() => validate(huge), (error: unknown) => {
    assert.ok(error instanceof BpfValidationError);
    assert.equal(error.code, "TOO_LONG");
    return true;
  });
  const sparse = new Array(10);
  sparse[9] = { code: 6, jt: 0, jf: 0, k: 0 };
  assert.throws(() => validate(sparse), (error: unknown) => {
    assert.ok(error instanceof BpfValidationError);
    assert.equal(error.code, "BAD_FIELD");
    assert.equal(error.index, 0);
    return true;
  });
});
