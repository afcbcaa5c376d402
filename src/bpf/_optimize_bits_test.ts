import assert from "node:assert/strict";
import { interpret } from "./interpret.ts";
import { validate } from "./validate.ts";
import { assemble } from "./assemble.ts";
import { toAssembly } from "./to_assembly.ts";
import { compileClosure } from "./compile_closure.ts";
import { _optimizeProgram } from "./_optimize_program.ts";
import { _processTreeEntries } from "./_execute_tree_entries.ts";
import type { Instruction } from "./instruction.ts";
import { _prng } from "../../tests/_fuzz.ts";

// The bits that may be set (`_optimize_bits.ts`): what they fold, and random programs dense in
// masks, shifts, sums and comparisons against interpret() on packets of edge bytes.

Deno.test("bits: ALU results and comparisons the masks decide fold", () => {
  const optimized = (source: string) =>
    toAssembly(_optimizeProgram(assemble(source))).split("\n").map((line) => line.trim())
      .filter((line) => line !== "").join("\n");
  // `and #7; lsh #3` is at most 56: `rsh #14` leaves 0, and the rest is constant.
  assert.equal(optimized("ld len\nand #7\nlsh #3\nrsh #14\nor #14\nret a"), "ret #14");
  // No common bit: 0.
  assert.equal(optimized("ldb [3]\nand #8\ntax\nand #0x51\nret a"), "ldb [3]\nret #0");
  // An `or` that covers every bit a byte may have.
  assert.equal(optimized("ldb [3]\nor #0x1ff\nret a"), "ldb [3]\nret #511");
  // Comparisons are not decided by the masks (a byte is never above 255, yet the test stays).
  assert.equal(
    _optimizeProgram(assemble("ldb [3]\njgt #255, yes, no\nyes: ret #1\nno: ret #0")).length,
    4,
  );
  // Not decided: a sum that may wrap, a subtraction, a word.
  assert.equal(optimized("ld [0]\nadd #1\nrsh #31\nret a"), "ld [0]\nadd #1\nrsh #31\nret a");
  assert.equal(
    optimized("ldb [0]\nsub #1\nrsh #8\nret a"),
    "ldb [0]\nadd #-1\nrsh #8\nret a",
  );
  // On every path: a byte on one, a word on the other.
  const merged = "ldb [0]\njeq #1, one, two\none: ldb [1]\nja end\ntwo: ld [1]\nend: rsh #8\nret a";
  assert.equal(_optimizeProgram(assemble(merged)).length, 7);
});

Deno.test("bits: a high bit moved down by X (rsh, div, mod by X) sets lower bits", () => {
  for (const operation of ["rsh", "div", "mod"]) {
    const program = assemble(
      `ldb [1]\ntax\nldb [0]\nand #0x80\n${operation} x\njset #1, yes, no\nyes: ret #1\nno: ret #0`,
    );
    const optimized = _optimizeProgram(program);
    for (let x = 0; x < 256; x++) {
      for (const a of [0, 0x80, 0xff]) {
        const packet = Uint8Array.of(a, x);
        assert.equal(
          interpret(optimized, packet),
          interpret(program, packet),
          `${operation} ${a} ${x}`,
        );
      }
    }
  }
});

Deno.test("bits: random programs of masks, shifts, sums and tests agree with interpret()", () => {
  const random = _prng(0xb175);
  const frames: Uint8Array[] = [];
  for (let length = 0; length <= 24; length++) {
    for (let n = 0; n < 4; n++) {
      frames.push(Uint8Array.from({ length }, () => [0, 1, 0x7f, 0x80, 0xff][random.int(5)]));
    }
  }
  const k = () =>
    [
      0,
      1,
      2,
      3,
      7,
      8,
      15,
      16,
      31,
      0xff,
      0x100,
      0xffff,
      0x10000,
      0x7fffffff,
      0x80000000,
      0xffffffff,
    ][
      random.int(16)
    ];
  const op = (code: number, value = 0, jt = 0, jf = 0): Instruction => ({
    code,
    jt,
    jf,
    k: value >>> 0,
  });
  const pieces: (() => Instruction)[] = [
    () => op([0x30, 0x28, 0x20][random.int(3)], random.int(12)), // ldb/ldh/ld [k]
    () => op(0xb1, random.int(12)), // ldxb 4*([k]&0xf)
    () => op(0x80), // ld len
    () => op(0x00, k()), // ld #k
    () => op(0x04 | [0x00, 0x10, 0x20, 0x50, 0x40, 0xa0][random.int(6)], k()), // add/sub/mul/and/or/xor #k
    () => op(0x04 | [0x60, 0x70][random.int(2)], random.int(32)), // lsh/rsh #k
    () => op(0x04 | [0x30, 0x90][random.int(2)], 1 + random.int(300)), // div/mod #k
    () => op(0x0c | [0x00, 0x10, 0x20, 0x30, 0x90, 0x50, 0x40, 0xa0, 0x60, 0x70][random.int(10)]), // op x
    () => op(0x84), // neg
    () => op(0x07), // tax
    () => op(0x87), // txa
    () => op(0x02, random.int(2)), // st M[0..1]
    () => op(0x60, random.int(2)), // ld M[0..1]
    () => op([0x15, 0x25, 0x35, 0x45][random.int(4)], k(), 0, 1 + random.int(2)), // jeq/jgt/jge/jset #k
  ];
  let checked = 0;
  for (let n = 0; n < 3000; n++) {
    const program = [op(0x02, 0), op(0x02, 1)]; // both cells written first
    for (let i = 2 + random.int(12); i > 0; i--) program.push(pieces[random.int(pieces.length)]());
    program.push(op(0x16), op(0x16), op(0x16)); // ret a (jumps land here)
    try {
      validate(program);
    } catch {
      continue;
    }
    const optimized = _optimizeProgram(program);
    _processTreeEntries.reset();
    const run = compileClosure(program);
    for (const packet of frames) {
      const expected = interpret(program, packet);
      const where = `${toAssembly(program)} on [${packet}]`;
      assert.equal(interpret(optimized, packet), expected, where);
      assert.equal(run(packet), expected, where);
    }
    checked++;
  }
  assert.ok(checked > 2000, `only ${checked}`);
});
