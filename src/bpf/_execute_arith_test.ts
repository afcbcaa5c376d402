/**
 * The arithmetic copy of the dispatch loop (`_execute_arith.ts`) and its
 * fused pairs (`_dispatch_fused.ts`) against interpret(), run on that loop
 * itself (compile() may run programs this small as trees): random programs
 * `load; op; …; op; test` of each fused pair (field then ALU, ALU then test,
 * ALU then `tax` or `st`, `ld M[c]` then ALU with X, the moves of tcpdump's
 * binary arithmetic and `ldx msh` then `[x + k]`), with K values and
 * packet bytes that cross 2^31 (unsigned division, `>>>`, compares), every
 * packet length to 40, three contexts; tests of A against X that return
 * (`_RETURNING_TESTS`), alone and second in a pair. Every fused number must
 * be laid out at least once.
 */
import assert from "node:assert/strict";
import { interpret } from "./interpret.ts";
import { validate } from "./validate.ts";
import { compile } from "./compile.ts";
import { _lower } from "./_lower.ts";
import { _removeKnownTests } from "./_known_tests.ts";
import {
  _encodeDispatch,
  _FALSE_RETURNS,
  _LD_MEM,
  _T_H_EQ,
  _T_H_EQ2_THEN,
  _T_H_EQ_THEN,
  _T_X,
} from "./_dispatch_code.ts";
import {
  _fuseArithmetic,
  _FUSED_FIRST,
  _FUSED_PAIRS,
  _FUSED_PAIRS_FIRST,
  _RETURNING_TESTS,
  _T_X_RET,
} from "./_dispatch_fused.ts";
import { _operationWidth } from "./_dispatch_walk.ts";
import { _ARITHMETIC_LEFT_OUT, _executorArithmetic } from "./_execute_arith.ts";
import type { Instruction } from "./instruction.ts";
import type { PacketContext } from "./packet_context.ts";
import { type Random, random } from "../../tests/_labelled_assembly.ts";

const LEFT_OUT = new Set(_ARITHMETIC_LEFT_OUT);
const op = (code: number, k = 0, jt = 0, jf = 0): Instruction => ({ code, jt, jf, k: k >>> 0 });

const BYTES = [0, 1, 2, 3, 0x7f, 0x80, 0xff];

/** Packets of 0 to 40 bytes. */
function packets(rng: Random): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let length = 0; length <= 40; length += 3) {
    for (let n = 0; n < 4; n++) out.push(Uint8Array.from({ length }, () => rng.pick(BYTES)));
  }
  return out;
}

const CONTEXTS: (PacketContext | undefined)[] = [
  undefined,
  { dataOffset: 6, networkOffset: 10, macOffset: 0 },
  { dataOffset: 2, wireLength: 9 },
];

/** The ALU operations' bits in `_ALU_K + i` order (add … rsh). */
const ALU = [0x00, 0x10, 0x20, 0x30, 0x90, 0x50, 0x40, 0xa0, 0x60, 0x70];

/** `op #k` (`BPF_ALU | BPF_K`), with a valid K, or `op x` (`BPF_X`). */
function alu(rng: Random, withX = false): Instruction {
  const bits = rng.pick(ALU);
  if (withX) return op(0x0c | bits);
  const shift = bits === 0x60 || bits === 0x70;
  const divides = bits === 0x30 || bits === 0x90;
  const k = shift
    ? rng.pick([0, 1, 3, 31])
    : divides
    ? rng.pick([1, 3, 7, 0x10000, 0x80000001, 0xffffffff])
    : rng.pick([0, 1, 3, 0x7f, 0xffff, 0x80000000, 0xffffffff]);
  return op(0x04 | bits, k);
}

/** A load of A: `[k]` of each size (a field run when masked or shifted), `len`, or `M[c]`. */
function load(rng: Random): Instruction[] {
  const size = rng.pick([0x30, 0x28, 0x20]); // ldb, ldh, ld [k]
  switch (rng.below(6)) {
    case 0:
      return [op(0x80)]; // ld len
    case 1: // X from a load, A from a cell, then an operation with X
      return [
        op(0x00, rng.pick([0, 5, 0x80000000])),
        op(0x02, 3),
        op(0x30, 1),
        op(0x07),
        op(0x60, 3),
        alu(rng, true),
      ];
    case 2:
      return [op(size, rng.below(24)), op(0x54, rng.pick([0xf, 0xff, 0xffff0000]))];
    default:
      return [op(size, rng.below(24))];
  }
}

/** `load; op; …; op; then` and a test whose edges return, continue, or one of each. */
function programOf(rng: Random): Instruction[] {
  const ops: Instruction[] = [];
  for (let n = 1 + rng.below(3); n > 0; n--) {
    ops.push(alu(rng));
    if (rng.below(5) === 0) ops.push(rng.pick([op(0x07), op(0x02, 2)])); // tax, st M[2]
  }
  const jump = rng.pick([0x15, 0x25, 0x35, 0x45]); // jeq, jgt, jge, jset #k
  const value = rng.pick([0, 1, 2, 6, 0x7f, 0x80000000, 0xfffffffe]);
  const [jt, jf, ...ends] = rng.pick(
    [
      [0, 1, op(0x06, 1), op(0x06, 2)],
      [0, 2, op(0x30, 1), op(0x16), op(0x30, 2), op(0x16)],
      [0, 2, op(0x30, 1), op(0x16), op(0x06, 2)],
      [1, 0, op(0x87), op(0x16)], // txa; ret a — a test whose true edge continues
    ] as const,
  );
  return [...load(rng), ...ops, op(jump, value, jt, jf), ...ends];
}

/** Pieces of tcpdump's binary arithmetic and header-length loads, in any order. */
function piece(rng: Random): Instruction[] {
  const size = rng.pick([0x30, 0x28, 0x20]); // ldb, ldh, ld [k]
  const cell = rng.below(4);
  switch (rng.below(11)) {
    case 0:
      return [op(0x80)]; // ld len
    case 1:
      return [op(0x07)]; // tax
    case 2:
      return [op(0x60, cell)]; // ld M[c]
    case 3:
      return [op(0x02, cell)]; // st M[c]
    case 4:
      return [op(0x00, rng.pick([0, 3, 0x80000000]))]; // ld #k
    case 5: // ldx msh; ld [x + k], as is or as a field; x + k below 0 in the windows, or past them
      return [
        op(0xb1, rng.below(8)),
        op(size + 0x20, rng.pick([0, 2, 5, 0xfff00000, 0xfff00002, 0xffe00001, 0x80000000])),
        ...rng.pick([[], [op(0x54, 0xf0)], [op(0x07)], [op(0x54, 0xf0), op(0x07)]]),
      ];
    case 6: // a field on [k], then X = A
      return [op(size, rng.below(24)), op(0x74, rng.below(3)), op(0x54, 0x3c), op(0x07)];
    case 7:
      return [alu(rng, true)];
    case 8:
      return [alu(rng), rng.pick([op(0x07), op(0x02, cell)])];
    default:
      return [op(0x61, cell)]; // ldx M[c]
  }
}

/** Pieces, then a test of A against X or K whose edges return. */
function movesProgramOf(rng: Random): Instruction[] {
  // Every cell written first (the checker refuses a read before a write).
  const pieces = [0, 1, 2, 3].flatMap((
    cell,
  ) => [op(0x00, rng.pick([0, 9, 0xffffffff])), op(0x02, cell)]);
  for (let n = 2 + rng.below(6); n > 0; n--) pieces.push(...piece(rng));
  const test = rng.pick([
    [op(0x1d, 0, 0, 1), op(0x06, 1), op(0x06, 2)], // jeq x
    [op(0x2d, 0, 0, 1), op(0x16), op(0x06, 2)], // jgt x
    [op(0x60, 1), op(0x3d, 0, 0, 1), op(0x06, 1), op(0x06, 2)], // ld M[1]; jge x
    [op(0x60, 1), op(0x3d, 0, 0, 1), op(0x06, 1), op(0x16)], // the same, one edge to `ret a`
    [op(0x35, 6, 0, 1), op(0x06, 1), op(0x16)], // jge #6
    [op(0x25, 6, 0, 1), op(0x16), op(0x06, 2)], // jgt #6, the false edge returning
    [op(0x25, 6, 0, 1), op(0x06, 1), op(0x06, 2)], // jgt #6, both returning
  ]);
  return [...pieces, ...test];
}

function agrees(program: Instruction[], code: Int32Array, data: Uint8Array[]): void {
  const run = _executorArithmetic(code, (packet, context) => interpret(program, packet, context));
  for (const packet of data) {
    for (const context of CONTEXTS) {
      assert.equal(
        run(packet, context),
        interpret(program, packet, context),
        `${JSON.stringify(program)} packet [${packet}] ${JSON.stringify(context)}`,
      );
    }
  }
}

Deno.test("the arithmetic loop's fused pairs agree with interpret(), and each pair is laid out", () => {
  const rng = random(0x19a1);
  const data = packets(rng);
  const seen = new Set<number>();
  for (let n = 0; n < 8000; n++) {
    const program = n % 2 === 0 ? programOf(rng) : movesProgramOf(rng);
    validate(program);
    const code = _encodeDispatch(_removeKnownTests(_lower(program)));
    const fused = _fuseArithmetic(code, LEFT_OUT);
    if (fused === undefined) continue;
    for (let pc = 0; pc < code.length; pc += _operationWidth(code, pc)) {
      if (fused[pc] !== code[pc]) seen.add(fused[pc]);
    }
    agrees(program, fused, data);
  }
  const missing = [
    ..._RETURNING_TESTS.filter((_, i) => !seen.has(_FUSED_FIRST + i)).map(([test]) => [test, 6]),
    ..._FUSED_PAIRS.filter((_, i) => !seen.has(_FUSED_PAIRS_FIRST + i)),
  ];
  assert.deepEqual(missing.map(([a, b]) => `${a}>${b}`).join(" "), "", "pairs never laid out");
});

Deno.test("compile() with the closure strategy agrees with interpret() on arithmetic programs", () => {
  const rng = random(0x19a2);
  const data = packets(rng);
  for (let n = 0; n < 400; n++) {
    const program = n % 2 === 0 ? programOf(rng) : movesProgramOf(rng);
    const run = compile(program, { strategy: "closure" });
    for (const packet of data) {
      for (const context of CONTEXTS) {
        assert.equal(run(packet, context), interpret(program, packet, context));
      }
    }
  }
});

Deno.test("_fuseArithmetic() renumbers pair starts and returning tests only, and leaves programs of left-out cases alone", () => {
  // ld M[1]; sub x — the pair's first operation takes the fused number, the second keeps its own.
  const code = _encodeDispatch(
    _lower([op(0x01, 4), op(0x00, 9), op(0x02, 1), op(0x60, 1), op(0x1c), op(0x16)]),
  );
  const fused = _fuseArithmetic(code, LEFT_OUT)!;
  const at = code.indexOf(_LD_MEM);
  assert.ok(fused[at] >= _FUSED_FIRST);
  assert.deepEqual([...fused.slice(0, at), ...fused.slice(at + 1)], [
    ...code.slice(0, at),
    ...code.slice(at + 1),
  ]);
  // `jgt x` whose targets both `ret #k` takes its returning form; with `ret a` on one, not.
  const test = (last: Instruction) =>
    _encodeDispatch(_lower([op(0x01, 4), op(0x80), op(0x3d, 0, 0, 1), op(0x06, 1), last]));
  const returning = test(op(0x06, 2));
  assert.ok(_fuseArithmetic(returning, LEFT_OUT)!.includes(_T_X_RET));
  assert.ok(returning.includes(_T_X));
  assert.ok(!(_fuseArithmetic(test(op(0x16)), LEFT_OUT)?.includes(_T_X_RET) ?? false));
  // A program whose only operations are left out (or pair with nothing) is not fused.
  assert.equal(_fuseArithmetic(Int32Array.of(5, 1), LEFT_OUT), undefined);
  assert.equal(_fuseArithmetic(code, new Set([code[0]])), undefined);
});

Deno.test("an ether-type prefix the arithmetic loop leaves out runs there as its plain test", () => {
  // ldh [12]; jeq #0x800; ld [26]; jeq #10.0.0.1; ldh [16]; mul #3; jgt #100; ret #1; ret #0
  const program = [
    op(0x28, 12),
    op(0x15, 0x800, 0, 6),
    op(0x20, 26),
    op(0x15, 0x0a000001, 0, 4),
    op(0x28, 16),
    op(0x24, 3),
    op(0x25, 100, 0, 1),
    op(0x06, 1),
    op(0x06, 0),
  ];
  const code = _encodeDispatch(_removeKnownTests(_lower(program)));
  assert.ok(code[0] >= _T_H_EQ_THEN && code[0] < _T_H_EQ2_THEN && LEFT_OUT.has(code[0]));
  const fused = _fuseArithmetic(code, LEFT_OUT)!;
  assert.equal(fused[0], _T_H_EQ + _FALSE_RETURNS);
  const run = _executorArithmetic(fused, () => 0);
  const rng = random(0x19a3);
  for (let n = 0; n < 2000; n++) {
    const packet = Uint8Array.from({ length: rng.below(40) }, () => rng.pick(BYTES));
    if (packet.length > 13 && rng.below(2) === 0) packet.set([8, 0], 12);
    if (packet.length > 29 && rng.below(2) === 0) packet.set([10, 0, 0, 1], 26);
    for (const context of CONTEXTS) {
      assert.equal(run(packet, context), interpret(program, packet, context), `[${packet}]`);
    }
  }
});
