import assert from "node:assert/strict";
import { validate } from "./validate.ts";
import { BpfValidationError } from "./errors.ts";
import type { Instruction } from "./instruction.ts";

const RET_K: Instruction = { code: 0x06, jt: 0, jf: 0, k: 1 };
const insn = (code: number, k = 0, jt = 0, jf = 0): Instruction => ({ code, jt, jf, k });

function rejects(program: Instruction[], code: string, index: number, options = {}) {
  assert.throws(() => validate(program, options), (error: unknown) => {
    assert.ok(error instanceof BpfValidationError, String(error));
    assert.ok(error instanceof RangeError);
    assert.equal(error.code, code, error.message);
    assert.equal(error.index, index, error.message);
    assert.match(error.message, /^Cannot validate program: /);
    return true;
  });
}

Deno.test("validate() accepts tcpdump's `tcp port 80`", () => {
  const text =
    "40 0 0 12,21 0 6 34525,48 0 0 20,21 0 15 6,40 0 0 54,21 12 0 80,40 0 0 56,21 10 11 80,21 0 10 2048,48 0 0 23,21 0 8 6,40 0 0 20,69 6 0 8191,177 0 0 14,72 0 0 14,21 2 0 80,72 0 0 16,21 0 1 80,6 0 0 262144,6 0 0 0";
  validate(
    text.split(",").map((s) => {
      const [code, jt, jf, k] = s.split(" ").map(Number);
      return { code, jt, jf, k };
    }),
  );
});

Deno.test("validate() rejects empty and too long programs", () => {
  rejects([], "EMPTY_PROGRAM", -1);
  rejects(Array(4097).fill(RET_K), "TOO_LONG", -1);
  validate(Array(4096).fill(RET_K));
  rejects(Array(65).fill(RET_K), "TOO_LONG", -1, { maxInstructions: 64 });
  validate(Array(64).fill(RET_K), { maxInstructions: 64 });
  assert.throws(() => validate([RET_K], { maxInstructions: 5000 }), RangeError);
});

Deno.test("validate() rejects fields out of range", () => {
  rejects([insn(0x06, -1)], "BAD_FIELD", 0);
  rejects([insn(0x06, 2 ** 32)], "BAD_FIELD", 0);
  rejects([insn(0x00, 0, 256), RET_K], "BAD_FIELD", 0);
  rejects([RET_K, insn(0x06, 1.5)], "BAD_FIELD", 1);
  rejects([insn(0x10006)], "BAD_FIELD", 0);
});

Deno.test("validate() rejects fields that are not numbers of their width, whatever their type", () => {
  const field = (name: keyof Instruction, value: unknown): Instruction[] => [
    { ...RET_K, [name]: value } as Instruction,
  ];
  const bad = [NaN, Infinity, -Infinity, "6", 6n, null, undefined, true, [6], { valueOf: () => 6 }];
  for (const name of ["code", "jt", "jf", "k"] as const) {
    for (const value of bad) rejects(field(name, value), "BAD_FIELD", 0);
  }
  for (
    const [name, top] of [["code", 0xffff], ["jt", 0xff], ["jf", 0xff], ["k", 2 ** 32 - 1]] as const
  ) {
    rejects(field(name, top + 1), "BAD_FIELD", 0);
    rejects(field(name, top + 0.5), "BAD_FIELD", 0);
    rejects(field(name, -1), "BAD_FIELD", 0);
  }
  // At the top of each width, and -0 (an integer, 0), they are fields the kernel's struct holds.
  validate([{ code: 0x06, jt: 0xff, jf: 0xff, k: 2 ** 32 - 1 }]);
  validate([{ code: 0x06, jt: -0, jf: -0, k: -0 }]);
});

Deno.test("validate() allows exactly the kernel's 49 opcodes", () => {
  const allowed: number[] = [];
  for (let code = 0; code < 0x10000; code++) {
    // Scratch cell 0 written first, jumps of 0: only the opcode (or k) can be wrong.
    let badOpcode = 0;
    for (const k of [0, 1]) {
      try {
        validate([insn(0x02, 0), insn(code, k), RET_K]);
      } catch (error) {
        assert.ok(error instanceof BpfValidationError);
        if (error.code === "BAD_OPCODE") {
          assert.equal(error.index, 1);
          badOpcode++;
        }
      }
    }
    if (badOpcode === 0) allowed.push(code);
    else assert.equal(badOpcode, 2);
  }
  assert.equal(allowed.length, 49);
  for (const code of [0x0e, 0x08, 0x8c, 0x91, 0xb0, 0x100 | 0x06, 0x28 | 0x8000]) {
    rejects([insn(code, 1), RET_K], "BAD_OPCODE", 0);
  }
});

Deno.test("validate() rejects constant division and modulo by zero", () => {
  rejects([insn(0x34, 0), RET_K], "DIVISION_BY_ZERO", 0);
  rejects([RET_K, insn(0x94, 0), RET_K], "DIVISION_BY_ZERO", 1);
  validate([insn(0x3c), insn(0x9c), RET_K]); // by X: checked at run time
});

Deno.test("validate() rejects constant shifts of 32 or more", () => {
  rejects([insn(0x64, 32), RET_K], "BAD_SHIFT", 0);
  rejects([insn(0x74, 0xffffffff), RET_K], "BAD_SHIFT", 0);
  validate([insn(0x64, 31), insn(0x74, 31), RET_K]);
});

Deno.test("validate() rejects scratch indices of 16 or more", () => {
  for (const code of [0x02, 0x03, 0x60, 0x61]) {
    rejects([insn(code, 16), RET_K], "BAD_SCRATCH_INDEX", 0);
  }
});

Deno.test("validate() rejects jumps past the end", () => {
  rejects([insn(0x05, 1), RET_K], "JUMP_OUT_OF_RANGE", 0);
  validate([insn(0x05, 1), RET_K, RET_K]);
  rejects([insn(0x15, 0, 1, 0), RET_K], "JUMP_OUT_OF_RANGE", 0);
  rejects([insn(0x15, 0, 0, 1), RET_K], "JUMP_OUT_OF_RANGE", 0);
  validate([insn(0x1d, 0, 1, 0), RET_K, RET_K]);
  rejects([insn(0x05, 0xffffffff), RET_K], "JUMP_OUT_OF_RANGE", 0);
});

Deno.test("validate() accepts backward ja only with allowBackwardJumps", () => {
  const loop = [RET_K, insn(0x05, 0xfffffffe), RET_K];
  rejects(loop, "JUMP_OUT_OF_RANGE", 1);
  validate(loop, { allowBackwardJumps: true });
  rejects([insn(0x05, 0xfffffffe), RET_K], "JUMP_OUT_OF_RANGE", 0, { allowBackwardJumps: true });
});

Deno.test("validate() requires a final ret #k or ret a", () => {
  rejects([insn(0x28, 12)], "NO_FINAL_RETURN", 0);
  rejects([RET_K, insn(0x07)], "NO_FINAL_RETURN", 1);
  validate([insn(0x16)]);
  rejects([insn(0x0e)], "BAD_OPCODE", 0); // ret x is not a Linux opcode
});

Deno.test("validate() accepts only known ancillary offsets", () => {
  for (let field = 0; field < 64; field += 4) {
    for (const code of [0x20, 0x28, 0x30]) validate([insn(code, (-0x1000 + field) >>> 0), RET_K]);
  }
  rejects([insn(0x20, (-0x1000 + 64) >>> 0), RET_K], "BAD_ANCILLARY", 0);
  rejects([insn(0x28, (-0x1000 + 2) >>> 0), RET_K], "BAD_ANCILLARY", 0);
  rejects([insn(0x30, 0xffffffff), RET_K], "BAD_ANCILLARY", 0);
  // Below SKF_AD_OFF: the negative windows, allowed (they fail at run time if out of range).
  validate([
    insn(0x20, (-0x100000) >>> 0),
    insn(0x20, (-0x200000) >>> 0),
    insn(0x20, 0x80000000),
    RET_K,
  ]);
  // Indirect loads and ldx msh are not ancillary and not checked.
  validate([insn(0x40, 0xffffffff), insn(0xb1, 0xfffff000), RET_K]);
});

Deno.test("validate() rejects scratch memory read before it is written", () => {
  rejects([insn(0x60, 3), RET_K], "UNINITIALIZED_SCRATCH", 0);
  rejects([insn(0x61, 0), RET_K], "UNINITIALIZED_SCRATCH", 0);
  validate([insn(0x02, 3), insn(0x60, 3), RET_K]);
  // Written on one branch only.
  rejects(
    [
      insn(0x15, 0, 0, 1), // jeq #0, L, M
      insn(0x02, 5), // st M[5]
      insn(0x60, 5), // ld M[5]: reached from the jf branch without the store
      RET_K,
    ],
    "UNINITIALIZED_SCRATCH",
    2,
  );
  // Written on both branches.
  validate([
    insn(0x15, 0, 0, 1),
    insn(0x02, 5),
    insn(0x03, 5),
    insn(0x60, 5),
    RET_K,
  ]);
  // The kernel's linear scan keeps the set across a ret (unreachable code after it).
  validate([insn(0x02, 1), RET_K, insn(0x60, 1), RET_K]);
});
