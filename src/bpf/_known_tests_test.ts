import assert from "node:assert/strict";
import { _MAX_BLOCKS_FACTOR, _MAX_COPY_DEPTH, _removeKnownTests } from "./_known_tests.ts";
import { _lower, type _LoweredProgram } from "./_lower.ts";
import { compileClosure } from "./compile_closure.ts";
import { interpret } from "./interpret.ts";
import { validate } from "./validate.ts";
import type { Instruction } from "./instruction.ts";
import { assertBatchAgrees } from "../../tests/_batch_agreement.ts";
import {
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_B,
  BPF_H,
  BPF_IMM,
  BPF_IND,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_MEM,
  BPF_MISC,
  BPF_MSH,
  BPF_RET,
  BPF_RSH,
  BPF_ST,
  BPF_TAX,
  BPF_TXA,
  BPF_W,
  SKF_AD_OFF,
  SKF_AD_RANDOM,
} from "./opcodes.ts";

const op = (code: number, k = 0, jt = 0, jf = 0): Instruction => ({ code, jt, jf, k: k >>> 0 });
const ret = (k: number) => op(BPF_RET | BPF_K, k);

/** mulberry32: seeded. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Loads the redundant programs test again and again, with the values their packets hold. */
const FIELDS: { load: Instruction; values: number[] }[] = [
  { load: op(BPF_LD | BPF_H | BPF_ABS, 12), values: [0x800, 0x86dd, 0x806] },
  { load: op(BPF_LD | BPF_B | BPF_ABS, 23), values: [6, 17, 1] },
  { load: op(BPF_LD | BPF_H | BPF_ABS, 20), values: [0, 0x2000, 1] },
  { load: op(BPF_LD | BPF_W | BPF_ABS, 26), values: [0x0a000001, 0x0a000002] },
  { load: op(BPF_LD | BPF_B | BPF_IND, 13), values: [2, 0x12, 0x11] },
  { load: op(BPF_LD | BPF_H | BPF_IND, 14), values: [80, 443] },
  { load: op(BPF_LD | BPF_W | BPF_LEN), values: [40, 60] },
];

/**
 * A random program that tests a few packet fields many times, as OR'ed
 * expressions do, between steps that read or change A and X (masks, `tax`,
 * `txa`, scratch memory, `ret a`, constants, the length, `random`).
 */
function redundantProgram(random: () => number): Instruction[] {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  // A few fields a program, so that the same tests come again on a path.
  const fields = [pick(FIELDS), pick(FIELDS), pick(FIELDS)];
  const length = 8 + int(50);
  const body: Instruction[] = [op(BPF_LDX | BPF_B | BPF_MSH, 14), op(BPF_ST, 0)];
  let last = fields[0];
  while (body.length < length) {
    const field = pick(fields);
    const value = (f: typeof field) => random() < 0.9 ? pick(f.values) : int(0x10000);
    const jump = pick([BPF_JEQ, BPF_JEQ, BPF_JEQ, BPF_JSET, BPF_JGT, BPF_JGE]);
    const test = (k: number) => op(BPF_JMP | jump | BPF_K, k, int(4), int(6));
    switch (int(20)) {
      case 0:
      case 1:
        body.push(test(value(last))); // on A as it is
        break;
      case 2:
        body.push(
          field.load,
          op(BPF_ALU | BPF_AND | BPF_K, pick([0xff, 0x1fff, 0xf0])),
          test(value(field)),
        );
        break;
      case 3:
        body.push(
          field.load,
          op(BPF_ALU | BPF_RSH | BPF_K, pick([1, 4, 8])),
          test(value(field) >> 4),
        );
        break;
      case 4:
        body.push(
          pick([
            op(BPF_LDX | BPF_B | BPF_MSH, 14),
            op(BPF_MISC | BPF_TXA),
            op(BPF_LDX | BPF_W | BPF_LEN),
          ]),
        );
        break;
      case 5:
      case 6:
        // Steps that read A, after a test that may have been decided.
        body.push(
          pick([
            op(BPF_MISC | BPF_TAX),
            op(BPF_ST, 0),
            op(BPF_ALU | BPF_ADD | BPF_K, 1),
            op(BPF_RET | 0x10),
          ]),
        );
        break;
      case 7:
        body.push(pick([op(BPF_LD | BPF_MEM, 0), op(BPF_LD | BPF_IMM, value(field)), ret(int(3))]));
        break;
      case 8:
        body.push(op(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_RANDOM));
        break;
      default:
        body.push(field.load, test(value(field)));
        last = field;
    }
  }
  body.push(op(BPF_RET | 0x10));
  // Jumps past the end land on the last instruction.
  return body.map((insn, pc) => {
    if ((insn.code & 0x07) !== BPF_JMP) return insn;
    const room = body.length - pc - 2;
    return { ...insn, jt: Math.min(insn.jt, room), jf: Math.min(insn.jf, room) };
  });
}

/** A packet whose fields often hold the values the programs test. */
function packetFor(random: () => number): Uint8Array {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  const packet = new Uint8Array(random() < 0.2 ? int(40) : 40 + int(30));
  for (let i = 0; i < packet.length; i++) packet[i] = int(256);
  const put = (at: number, value: number, size: number) => {
    for (let i = 0; i < size && at + i < packet.length; i++) {
      packet[at + i] = (value >>> (8 * (size - 1 - i))) & 0xff;
    }
  };
  put(12, pick([0x800, 0x86dd, 0x806, 0x8100]), 2);
  put(14, pick([0x45, 0x46, 0x4f]), 1);
  put(20, pick([0, 0x2000, 1]), 2);
  put(23, pick([6, 17, 1, 58]), 1);
  put(26, pick([0x0a000001, 0x0a000002, 0]), 4);
  const x = (packet[14] & 0xf) * 4;
  put(x + 13, pick([2, 0x12, 0x11]), 1);
  put(x + 14, pick([80, 443, 53]), 2);
  return packet;
}

Deno.test("_removeKnownTests: programs that test the same fields again agree with interpret()", () => {
  const random = prng(0x6b6e6f77);
  const packets = Array.from({ length: 60 }, () => packetFor(random));
  let checked = 0;
  for (let n = 0; n < 400; n++) {
    const program = redundantProgram(random);
    try {
      validate(program);
    } catch {
      continue;
    }
    checked++;
    const run = compileClosure(program);
    for (const packet of packets) {
      // `random` changes the packet: what was known of it must be loaded again.
      let calls = 0;
      const context = (bytes: Uint8Array) => ({
        random: () => {
          bytes[12 + (calls % 20)] ^= 0x5a;
          return calls++;
        },
      });
      const mine = packet.slice();
      const theirs = packet.slice();
      const got = run(mine, context(mine));
      calls = 0;
      const expected = interpret(program, theirs, context(theirs));
      assert.equal(got, expected, `${JSON.stringify(program)} [${packet}]`);
    }
    if (n % 8 === 0 && !program.some((i) => i.k === ((SKF_AD_OFF + SKF_AD_RANDOM) >>> 0))) {
      assertBatchAgrees(run.runBatch, program, packets.slice(0, 20), "batch");
    }
  }
  assert.ok(checked > 200, `only ${checked} valid programs`);
});

/** The most tests of `[offset]` any path from the entry makes. */
function mostTestsOf(lowered: _LoweredProgram, offset: number): number {
  const most = new Array<number>(lowered.blocks.length).fill(0);
  for (let b = lowered.blocks.length - 1; b >= 0; b--) {
    const exit = lowered.blocks[b].exit;
    if (exit.kind === "goto") most[b] = most[exit.to];
    if (exit.kind !== "test") continue;
    const here = exit.producer?.kind === "load" && exit.producer.offset === offset ? 1 : 0;
    most[b] = here + Math.max(most[exit.whenTrue], most[exit.whenFalse]);
  }
  return most[0];
}

/** Ten expressions OR'ed: `ether proto 0x800 and ip proto 6 and [34:2] == 20000 + i`. */
function orChain(groups: number): Instruction[] {
  const program: Instruction[] = [];
  for (let i = 0; i < groups; i++) {
    const next = 6 * (groups - i - 1); // from this group's first instruction: the next group
    program.push(
      op(BPF_LD | BPF_H | BPF_ABS, 12),
      op(BPF_JMP | BPF_JEQ | BPF_K, 0x800, 0, 4),
      op(BPF_LD | BPF_B | BPF_ABS, 23),
      op(BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 2),
      op(BPF_LD | BPF_H | BPF_ABS, 34),
      op(BPF_JMP | BPF_JEQ | BPF_K, 20000 + i, next + 1, 0),
    );
  }
  program.push(ret(0), ret(1));
  return program;
}

Deno.test("_removeKnownTests: OR'ed expressions test the EtherType once a path", () => {
  const program = orChain(10);
  validate(program);
  const lowered = _lower(program);
  assert.equal(mostTestsOf(lowered, 12), 10);
  const specialized = _removeKnownTests(lowered);
  assert.equal(mostTestsOf(specialized, 12), 1);
  assert.equal(mostTestsOf(specialized, 23), 1);
  assert.ok(specialized.blocks.length <= _MAX_BLOCKS_FACTOR * lowered.blocks.length + 64);
  const run = compileClosure(program);
  const random = prng(7);
  for (let n = 0; n < 300; n++) {
    const packet = packetFor(random);
    if (random() < 0.5 && packet.length >= 36) {
      packet[34] = 0x4e;
      packet[35] = 0x20 + Math.floor(random() * 12);
    }
    assert.equal(run(packet), interpret(program, packet));
  }
});

Deno.test("_removeKnownTests: many independent facts stay within the copy budget", () => {
  // 24 one-bit tests, then the same 24 again: every combination of outcomes is a state.
  const half: Instruction[] = [];
  for (let i = 0; i < 24; i++) {
    half.push(op(BPF_LD | BPF_B | BPF_ABS, i), op(BPF_JMP | BPF_JSET | BPF_K, 1, 1, 0));
    half.push(op(BPF_LD | BPF_IMM, 0));
  }
  const program = [...half, ...half, op(BPF_RET | 0x10)];
  validate(program);
  const lowered = _lower(program);
  const specialized = _removeKnownTests(lowered);
  assert.ok(specialized.blocks.length <= _MAX_BLOCKS_FACTOR * lowered.blocks.length + 64);
  const run = compileClosure(program);
  const random = prng(11);
  for (let n = 0; n < 200; n++) {
    const packet = Uint8Array.from(
      { length: 20 + Math.floor(random() * 10) },
      () => Math.floor(random() * 4),
    );
    assert.equal(run(packet), interpret(program, packet));
  }
});

/** Asserts the closure strategy agrees with `interpret()` on `packets`, each given a fresh copy. */
function agreeOn(
  program: Instruction[],
  packets: Uint8Array[],
  random?: (p: Uint8Array) => number,
) {
  validate(program);
  const run = compileClosure(program);
  for (const packet of packets) {
    const mine = packet.slice();
    const theirs = packet.slice();
    const got = random ? run(mine, { random: () => random(mine) }) : run(mine);
    const expected = random
      ? interpret(program, theirs, { random: () => random(theirs) })
      : interpret(program, theirs);
    assert.equal(got, expected, `${JSON.stringify(program)} [${packet}]`);
  }
}

/** IPv4 TCP-like packets: byte 12-13 the EtherType, 14 the header length, then ports. */
function ipPackets(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const type of [0x800, 0x86dd]) {
    for (const ihl of [5, 6]) {
      for (const port of [80, 443]) {
        const p = new Uint8Array(64).map((_, i) => (i * 7) & 0xff);
        p[12] = type >> 8;
        p[13] = type & 0xff;
        p[14] = 0x40 | ihl;
        p[14 + ihl * 4] = port >> 8;
        p[15 + ihl * 4] = port & 0xff;
        out.push(p);
      }
    }
  }
  return out;
}

const LDH_12 = op(BPF_LD | BPF_H | BPF_ABS, 12);
const MSH_14 = op(BPF_LDX | BPF_B | BPF_MSH, 14);
const LDH_X14 = op(BPF_LD | BPF_H | BPF_IND, 14);
const jeq = (k: number, jt: number, jf: number) => op(BPF_JMP | BPF_JEQ | BPF_K, k, jt, jf);
const RET_A = op(BPF_RET | 0x10);

Deno.test("_removeKnownTests: an ancillary load (random) forgets what was known of the packet", () => {
  // [12] == 0x800, then `random` (which changes byte 13 here), then the same test again.
  const program = [
    LDH_12,
    jeq(0x800, 0, 5),
    op(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_RANDOM),
    LDH_12,
    jeq(0x800, 0, 1),
    ret(1),
    ret(2),
    ret(3),
  ];
  agreeOn(program, ipPackets(), (bytes) => (bytes[13] ^= 1));
});

Deno.test("_removeKnownTests: a decided test leaves A to load where it is read", () => {
  const packets = ipPackets();
  // `ret a` after the second, decided, [12] test: A must be [12].
  agreeOn(
    [LDH_12, jeq(0x800, 0, 3), op(BPF_LD | BPF_IMM, 9), LDH_12, jeq(0x800, 0, 0), RET_A],
    packets,
  );
  agreeOn([
    LDH_12,
    jeq(0x800, 1, 0),
    op(BPF_LD | BPF_IMM, 9),
    LDH_12,
    jeq(0x800, 1, 2),
    RET_A,
    ret(5),
    ret(6),
  ], packets);
  // A masked by the decided test itself: `and #0xff` at a jump target, decided from [12] == 0x800
  // (the later [12] test keeps that fact worth knowing); `st M[0]` reads the masked A.
  agreeOn([
    LDH_12,
    jeq(0x800, 0, 7),
    op(BPF_ALU | BPF_AND | BPF_K, 0xff),
    jeq(0, 0, 5),
    op(BPF_ST, 0),
    LDH_12,
    jeq(0x800, 0, 2),
    op(BPF_LD | BPF_MEM, 0),
    RET_A,
    ret(7),
  ], packets);
  // A from [x + 14] left pending, then X changed before `ret a`: A is loaded before X changes.
  agreeOn([
    MSH_14,
    LDH_X14,
    jeq(80, 0, 5),
    MSH_14,
    LDH_X14,
    jeq(80, 0, 2),
    op(BPF_LDX | BPF_IMM, 2),
    RET_A,
    ret(7),
  ], packets);
});

Deno.test("_removeKnownTests: the header-length load before a decided test stays when X is read", () => {
  // X = 5 between the two [x + 14] tests; after the second, `txa; ret a` reads X.
  const packets = ipPackets();
  agreeOn([
    MSH_14,
    LDH_X14,
    jeq(80, 0, 6),
    op(BPF_LDX | BPF_IMM, 5),
    MSH_14,
    LDH_X14,
    jeq(80, 0, 2),
    op(BPF_MISC | BPF_TXA),
    RET_A,
    ret(7),
  ], packets);
  // The same with `ret a` alone: X is not read, but the pending A = [x + 14] needs it.
  agreeOn([
    MSH_14,
    LDH_X14,
    jeq(80, 0, 5),
    op(BPF_LDX | BPF_IMM, 5),
    MSH_14,
    LDH_X14,
    jeq(80, 0, 1),
    RET_A,
    ret(7),
  ], packets);
});

Deno.test("_removeKnownTests: a test on A after a decided test loads A itself, shifts and masks folded", () => {
  const packets = ipPackets();
  for (const packet of [...packets]) {
    const other = packet.slice();
    other[26] = 0x12;
    other[27] = 0x34;
    packets.push(other);
  }
  const rsh = (k: number) => op(BPF_ALU | BPF_RSH | BPF_K, k);
  const and = (k: number) => op(BPF_ALU | BPF_AND | BPF_K, k);
  // [12] is not 0x86dd (decided the second time, A = [12] left pending); then (A >> 4) & 0xff.
  agreeOn([
    LDH_12,
    jeq(0x86dd, 7, 0),
    LDH_12,
    jeq(0x86dd, 5, 0),
    rsh(4),
    and(0xff),
    jeq(0x80, 0, 1),
    RET_A,
    ret(5),
    ret(7),
  ], packets);
  // A = [26] >> 16 left pending; a further >> 16 makes 0 (32 bits of shift in all).
  for (const last of [jeq(0, 0, 1), op(BPF_JMP | BPF_JGT | BPF_K, 0, 0, 1)]) {
    agreeOn([
      op(BPF_LD | BPF_W | BPF_ABS, 26),
      rsh(16),
      jeq(0x1234, 6, 0),
      op(BPF_LD | BPF_W | BPF_ABS, 26),
      rsh(16),
      jeq(0x1234, 3, 0),
      rsh(16),
      last,
      RET_A,
      ret(2),
    ], packets);
  }
  // A = [26] & 0xff00 left pending; then (A >> 8) == 0x1200c4, and `ret a` of the folded value.
  agreeOn([
    op(BPF_LD | BPF_W | BPF_ABS, 26),
    and(0xff00ff00),
    jeq(0x1234, 6, 0),
    op(BPF_LD | BPF_W | BPF_ABS, 26),
    and(0xff00ff00),
    jeq(0x1234, 3, 0),
    rsh(8),
    jeq(0x1200c4, 0, 1),
    RET_A,
    ret(2),
  ], packets);
});

/** `units` times `ldb [14]; jeq #5, 1, 0; ret #0`, then `ret #1`: one path `units` tests long. */
function _repeatedTestChain(units: number): Instruction[] {
  const program: Instruction[] = [];
  for (let i = 0; i < units; i++) {
    program.push({ code: BPF_LD | BPF_B | BPF_ABS, jt: 0, jf: 0, k: 14 });
    program.push({ code: BPF_JMP | BPF_JEQ | BPF_K, jt: 1, jf: 0, k: 5 });
    program.push({ code: BPF_RET | BPF_K, jt: 0, jf: 0, k: 0 });
  }
  program.push({ code: BPF_RET | BPF_K, jt: 0, jf: 0, k: 1 });
  return program;
}

Deno.test("_removeKnownTests: a path deeper than the copy depth bound is left as it is, and agrees", () => {
  const packets = [new Uint8Array(20), new Uint8Array(20).fill(5), new Uint8Array(14)];
  for (const units of [_MAX_COPY_DEPTH >> 1, _MAX_COPY_DEPTH + 100]) {
    const program = _repeatedTestChain(units);
    validate(program);
    const lowered = _lower(program);
    const out = _removeKnownTests(lowered);
    // Below the bound the repeated tests are decided; past it nothing is copied.
    assert.equal(out === lowered, units > _MAX_COPY_DEPTH, `units ${units}`);
    const filter = compileClosure(program);
    for (const packet of packets) assert.equal(filter(packet), interpret(program, packet));
  }
});
