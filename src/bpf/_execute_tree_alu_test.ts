import assert from "node:assert/strict";
import { compileClosure } from "./compile_closure.ts";
import { interpret } from "./interpret.ts";
import { validate } from "./validate.ts";
import { _lower } from "./_lower.ts";
import { _removeKnownTests } from "./_known_tests.ts";
import { _closureTree, _testTree, _TREE_LIMITS, type _TreeLimits } from "./_execute_tree.ts";
import { assemble } from "./assemble.ts";
import { _processTreeEntries } from "./_execute_tree_entries.ts";
import { _optimizeProgram } from "./_optimize_program.ts";
import type { Instruction } from "./instruction.ts";
import {
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_DIV,
  BPF_JGT,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_LSH,
  BPF_MEM,
  BPF_MISC,
  BPF_MOD,
  BPF_MSH,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_RET,
  BPF_RSH,
  BPF_ST,
  BPF_STX,
  BPF_SUB,
  BPF_TAX,
  BPF_W,
  BPF_X,
  BPF_XOR,
} from "./opcodes.ts";
import { _prng } from "../../tests/_fuzz.ts";

// The ALU nodes of closure trees (one literal per operation, on K and on X) and the
// optimiser's strength reductions (`mod`/`div`/`mul` by 2^n, `sub #k`, an `add`/`or`/`xor` an
// `and` masks away) against interpret(), on edge values of A, K and X.

const op = (code: number, k = 0, jt = 0, jf = 0): Instruction => ({ code, jt, jf, k: k >>> 0 });

const OPS = [
  BPF_ADD,
  BPF_SUB,
  BPF_MUL,
  BPF_DIV,
  BPF_MOD,
  BPF_AND,
  BPF_OR,
  BPF_XOR,
  BPF_LSH,
  BPF_RSH,
  BPF_NEG,
];

/** Edge values of a uint32. */
const EDGES = [
  0,
  1,
  2,
  3,
  7,
  8,
  13,
  31,
  32,
  33,
  64,
  1000,
  0xffff,
  0x10000,
  0x7fffffff,
  0x80000000,
  0x80000001,
  0xfffffffe,
  0xffffffff,
];

/** 8-byte packets whose two words are edge values (A from [0], X from [4]), and short ones. */
function packets(random: ReturnType<typeof _prng>): Uint8Array[] {
  const out: Uint8Array[] = [new Uint8Array(0), new Uint8Array(3), new Uint8Array(7)];
  for (const a of EDGES) {
    for (let n = 0; n < 4; n++) {
      const x = n === 0 ? a : EDGES[random.int(EDGES.length)];
      const packet = new Uint8Array(8);
      new DataView(packet.buffer).setUint32(0, a);
      new DataView(packet.buffer).setUint32(4, n === 3 ? random.int(2 ** 32) : x);
      out.push(packet);
    }
  }
  return out;
}

const UNBOUNDED: _TreeLimits = { steps: Infinity, conflicts: Infinity };

/** Asserts the tree of `program` (unbounded), the strategy and the optimised program agree with interpret(). */
function agrees(program: Instruction[], frames: Uint8Array[]): void {
  validate(program);
  const general = compileClosure(program);
  const lowered = _removeKnownTests(_lower(program));
  assert.ok(_closureTree(lowered, UNBOUNDED) !== undefined, JSON.stringify(program));
  const tree = _testTree(lowered, () => ({ run: general, runBatch: general.runBatch }), UNBOUNDED)!;
  _processTreeEntries.reset();
  const strategy = compileClosure(program);
  const optimized = _optimizeProgram(program);
  for (const packet of frames) {
    const expected = interpret(program, packet);
    const where = `${JSON.stringify(program)} packet [${packet}]`;
    assert.equal(tree.run(packet), expected, `tree: ${where}`);
    assert.equal(strategy(packet), expected, `strategy: ${where}`);
    assert.equal(interpret(optimized, packet), expected, `optimised: ${where}`);
  }
}

/** Whether `op #k` passes validate() (no `div`/`mod` by 0, shifts below 32). */
function validK(operation: number, k: number): boolean {
  if ((operation === BPF_DIV || operation === BPF_MOD) && k === 0) return false;
  return !((operation === BPF_LSH || operation === BPF_RSH) && k >= 32);
}

const loadA = op(BPF_LD | BPF_W | BPF_ABS, 0);
const retA = op(BPF_RET | 0x10);

Deno.test("tree ALU nodes on K: every operation on edge values of A and K agrees with interpret()", () => {
  const frames = packets(_prng(0xa1));
  for (const operation of OPS) {
    for (const k of EDGES) {
      if (!validK(operation, k)) continue;
      agrees([loadA, op(BPF_ALU | operation | BPF_K, k), retA], frames);
      // Then a test, both edges returning constants.
      agrees([
        loadA,
        op(BPF_ALU | operation | BPF_K, k),
        op(BPF_JMP | BPF_JGT | BPF_K, 0x7fffffff, 0, 1),
        op(BPF_RET | BPF_K, 1),
        op(BPF_RET | BPF_K, 0),
      ], frames);
    }
  }
});

Deno.test("tree ALU nodes: two and three operations on K in a row, random, agree with interpret()", () => {
  const random = _prng(0xa2);
  const frames = packets(random);
  const pick = () => {
    for (;;) {
      const operation = OPS[random.int(OPS.length)];
      const k = random.int(3) === 0 ? random.int(2 ** 32) : EDGES[random.int(EDGES.length)];
      if (validK(operation, k)) return op(BPF_ALU | operation | BPF_K, k);
    }
  };
  for (let n = 0; n < 400; n++) {
    const run = Array.from({ length: 2 + random.int(2) }, pick);
    const end = random.int(2) === 0 ? [retA] : [
      op(BPF_JMP | BPF_JGT | BPF_K, EDGES[random.int(EDGES.length)], 0, 1),
      op(BPF_RET | BPF_K, 7),
      retA,
    ];
    agrees([loadA, ...run, ...end], frames);
  }
});

Deno.test("tree ALU nodes on X: every operation on edge values of A and X (0, shifts of 32 and more)", () => {
  const frames = packets(_prng(0xa3));
  for (const operation of OPS.filter((operation) => operation !== BPF_NEG)) {
    agrees([
      op(BPF_LD | BPF_W | BPF_ABS, 4),
      op(BPF_MISC | BPF_TAX),
      loadA,
      op(BPF_ALU | operation | BPF_X),
      retA,
    ], frames);
  }
});

Deno.test("strength reductions: what they rewrite, and random programs agree with interpret()", () => {
  const code = (program: Instruction[]) => _optimizeProgram(program).map((i) => [i.code, i.k]);
  const alu = (operation: number, k: number) => op(BPF_ALU | operation | BPF_K, k);
  assert.deepEqual(code([loadA, alu(BPF_MOD, 64), retA])[1], [BPF_ALU | BPF_AND, 63]);
  assert.deepEqual(code([loadA, alu(BPF_MOD, 0x80000000), retA])[1], [
    BPF_ALU | BPF_AND,
    0x7fffffff,
  ]);
  assert.deepEqual(code([loadA, alu(BPF_DIV, 16), retA])[1], [BPF_ALU | BPF_RSH, 4]);
  assert.deepEqual(code([loadA, alu(BPF_MUL, 0x80000000), retA])[1], [BPF_ALU | BPF_LSH, 31]);
  assert.deepEqual(code([loadA, alu(BPF_SUB, 20), retA])[1], [BPF_ALU | BPF_ADD, 2 ** 32 - 20]);
  // Not powers of two: unchanged.
  assert.deepEqual(code([loadA, alu(BPF_MOD, 1000), retA])[1], [BPF_ALU | BPF_MOD, 1000]);
  assert.deepEqual(code([loadA, alu(BPF_DIV, 0xffffffff), retA])[1], [
    BPF_ALU | BPF_DIV,
    2 ** 32 - 1,
  ]);
  // `(A - 28) % 4`: the subtraction has no bit under the mask; `(A - 20) % 8` has one.
  assert.deepEqual(code([loadA, alu(BPF_SUB, 28), alu(BPF_MOD, 4), retA]).slice(1), [
    [BPF_ALU | BPF_AND, 3],
    [BPF_RET | 0x10, 0],
  ]);
  assert.equal(code([loadA, alu(BPF_SUB, 20), alu(BPF_MOD, 8), retA]).length, 4);
  assert.deepEqual(code([loadA, alu(BPF_OR, 0x100), alu(BPF_AND, 0xff), retA])[1], [
    BPF_ALU | BPF_AND,
    0xff,
  ]);
  assert.equal(code([loadA, alu(BPF_XOR, 0x101), alu(BPF_AND, 0xff), retA]).length, 4);
  // A carry moves up only: `add #0x100; and #0x1ff` keeps the add.
  assert.equal(code([loadA, alu(BPF_ADD, 0x100), alu(BPF_AND, 0x1ff), retA]).length, 4);
  assert.equal(code([loadA, alu(BPF_ADD, 0x200), alu(BPF_AND, 0x1ff), retA]).length, 3);

  const random = _prng(0xa4);
  const frames = packets(random);
  const powers = Array.from({ length: 32 }, (_, n) => 2 ** n);
  for (let n = 0; n < 600; n++) {
    const operations = [BPF_ADD, BPF_SUB, BPF_OR, BPF_XOR, BPF_AND, BPF_MOD, BPF_DIV, BPF_MUL];
    const run: Instruction[] = [];
    for (let i = 1 + random.int(3); i > 0; i--) {
      const operation = operations[random.int(operations.length)];
      const from = random.int(3);
      const k = from === 0
        ? powers[random.int(32)]
        : from === 1
        ? (powers[random.int(32)] - 1) >>> 0
        : EDGES[random.int(EDGES.length)];
      if (validK(operation, k)) run.push(alu(operation, k));
    }
    const program = [loadA, ...run, retA];
    validate(program);
    const optimized = _optimizeProgram(program);
    for (const packet of frames) {
      assert.equal(interpret(optimized, packet), interpret(program, packet), JSON.stringify(run));
    }
  }
});

Deno.test("scratch cells holding packet values: reloads agree with interpret(), over merging paths", () => {
  const random = _prng(0xa5);
  const frames: Uint8Array[] = [];
  for (let length = 0; length <= 40; length++) {
    for (let n = 0; n < 3; n++) {
      frames.push(
        Uint8Array.from({ length }, () => [0, 0x7f, 0x80, 0xff][random.int(4)] ^ random.int(4)),
      );
    }
  }
  const pieces: (() => Instruction[])[] = [
    () => [
      op(BPF_LD | [BPF_W, 0x08, 0x10][random.int(3)] | BPF_ABS, random.int(24)),
      op(BPF_ST, random.int(4)),
    ],
    () => [op(BPF_LDX | 0x10 | BPF_MSH, random.int(24)), op(BPF_STX, random.int(4))],
    () => [op(BPF_LD | BPF_W | BPF_LEN), op(BPF_ST, random.int(4))],
    () => [op(BPF_LD | BPF_MEM, random.int(4))],
    () => [op(BPF_LDX | BPF_MEM, random.int(4))],
    () => [op(BPF_ALU | [BPF_ADD, BPF_SUB, BPF_XOR, BPF_OR][random.int(4)] | BPF_X)],
    () => [op(BPF_ALU | BPF_AND | BPF_K, EDGES[random.int(EDGES.length)])],
    () => [op(BPF_MISC | BPF_TAX)],
    () => [op(BPF_JMP | BPF_JGT | BPF_K, random.int(256), 0, 2)], // skips the next piece's two
  ];
  let checked = 0;
  for (let n = 0; n < 1500; n++) {
    const program: Instruction[] = [];
    // Every cell stored first, so that validate() takes any read.
    for (let c = 0; c < 4; c++) program.push(...pieces[random.int(2)]().slice(0, 1), op(BPF_ST, c));
    for (let i = 4 + random.int(8); i > 0; i--) {
      program.push(...pieces[random.int(pieces.length)]());
    }
    program.push(op(BPF_LD | BPF_MEM, random.int(4)), op(BPF_ALU | BPF_ADD | BPF_X), retA);
    try {
      validate(program);
    } catch {
      continue; // a jump past the end
    }
    const optimized = _optimizeProgram(program);
    _processTreeEntries.reset();
    const run = compileClosure(program);
    for (const packet of frames) {
      const expected = interpret(program, packet);
      assert.equal(interpret(optimized, packet), expected, JSON.stringify(program));
      assert.equal(run(packet), expected, JSON.stringify(program));
    }
    checked++;
  }
  assert.ok(checked > 1000, `only ${checked}`);
});

Deno.test("two fields of one size in a row (the first of another literal) agree with interpret()", () => {
  const frames = packets(_prng(0xa6));
  for (const size of [BPF_W, 0x08, 0x10]) {
    for (const [shift, mask] of [[0, 0xffffffff], [3, 0xff], [31, 1]]) {
      agrees([
        op(BPF_LD | size | BPF_ABS, 1),
        op(BPF_ALU | BPF_RSH | BPF_K, shift),
        op(BPF_ALU | BPF_AND | BPF_K, mask),
        op(BPF_ALU | BPF_ADD | BPF_K, 0x80000000),
        op(BPF_MISC | BPF_TAX),
        op(BPF_LD | size | BPF_ABS, 3),
        op(BPF_ALU | BPF_XOR | BPF_X),
        retA,
      ], frames);
    }
  }
});

Deno.test("past the steps bound: a tree while no step literal repeats too often on a path", () => {
  const loweredOf = (source: string) =>
    _removeKnownTests(_lower(_optimizeProgram(assemble(source))));
  // Nine steps, two of them register copies (`st`, `ldx M[1]`): a tree, but not as a prefix's.
  const distinct = "ldb [14]\ntax\nld [20]\nxor x\nst M[1]\nmul #3\nor #5\nldx M[1]\nlsh #2\n" +
    "sub x\njgt #100, yes, no\nyes: ret #1\nno: ret #0";
  assert.ok(_closureTree(loweredOf(distinct), _TREE_LIMITS) !== undefined);
  const strict = { ..._TREE_LIMITS, stepsUnrepeated: undefined };
  assert.equal(_closureTree(loweredOf(distinct), strict), undefined);
  // Three header lengths, each before a load at x + k: the dispatch loop.
  const headers = "ldxb 4*([14]&0xf)\nld [x + 16]\nst M[0]\nldxb 4*([18]&0xf)\nld [x + 20]\n" +
    "st M[1]\nldxb 4*([22]&0xf)\nld [x + 24]\ntax\nld M[0]\nadd x\ntax\nld M[1]\nadd x\n" +
    "jgt #100, yes, no\nyes: ret #1\nno: ret #0";
  assert.equal(_closureTree(loweredOf(headers), _TREE_LIMITS), undefined);
  const frames = packets(_prng(0xa7)).concat(
    Array.from({ length: 64 }, (_, n) => Uint8Array.from({ length: n + 20 }, (_, i) => i * 29 + n)),
  );
  for (const source of [distinct, headers]) {
    const program = assemble(source);
    _processTreeEntries.reset();
    const run = compileClosure(program);
    for (const packet of frames) assert.equal(run(packet), interpret(program, packet), source);
  }
});
