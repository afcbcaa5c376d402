import assert from "node:assert/strict";
import { compileClosure } from "./compile_closure.ts";
import { interpret } from "./interpret.ts";
import { validate } from "./validate.ts";
import type { Instruction } from "./instruction.ts";
import type { PacketContext } from "./packet_context.ts";
import {
  BPF_ABS,
  BPF_ALU,
  BPF_AND,
  BPF_B,
  BPF_H,
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
  BPF_MISC,
  BPF_MSH,
  BPF_RET,
  BPF_RSH,
  BPF_ST,
  BPF_TAX,
  BPF_W,
  BPF_X,
  SKF_LL_OFF,
  SKF_NET_OFF,
} from "./opcodes.ts";

const op = (code: number, k = 0, jt = 0, jf = 0): Instruction => ({ code, jt, jf, k: k >>> 0 });
const RET_A = op(BPF_RET | 0x10);
const ret = (k: number) => op(BPF_RET | BPF_K, k);
const SIZES = [BPF_B, BPF_H, BPF_W];
const JUMPS = [BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET];
const EDGES = [0, 1, 0x45, 0x800, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

/** Deterministic packets (0 to 47 bytes, pseudo-random) and contexts, including odd ones. */
function cases(): [Uint8Array, PacketContext][] {
  let seed = 0x2545f491;
  const byte = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed >>> 24;
  };
  const contexts: PacketContext[] = [
    {},
    { dataOffset: 14, networkOffset: 14, macOffset: 0 },
    { dataOffset: 2, wireLength: 9 },
    { networkOffset: 6, end: 20 },
    { dataOffset: 30, networkOffset: 4, macOffset: 1 }, // dataOffset past short captures
  ];
  const out: [Uint8Array, PacketContext][] = [];
  for (let length = 0; length < 48; length += 3) {
    for (let round = 0; round < 3; round++) {
      const packet = new Uint8Array(length);
      for (let i = 0; i < length; i++) packet[i] = round === 0 ? (i * 17) & 0xff : byte();
      if (length > 14) packet[14] = 0x40 | (byte() & 0x7); // small IHL, so [x + k] often fits
      for (const context of contexts) out.push([packet, context]);
    }
  }
  return out;
}
const CASES = cases();

function agree(program: Instruction[]): void {
  validate(program);
  const run = compileClosure(program);
  for (const [packet, context] of CASES) {
    if (context === CASES[0][1]) {
      assert.equal(
        run(packet),
        interpret(program, packet),
        `${JSON.stringify(program)} [${packet}]`,
      );
    }
    assert.equal(
      run(packet, context),
      interpret(program, packet, context),
      `program ${JSON.stringify(program)} packet [${packet}] context ${JSON.stringify(context)}`,
    );
  }
}

/** `<prefix>; if (A op k) ret #1 else ret a`, and with the branches swapped. */
function withJump(prefix: Instruction[], jump: number, k: number): Instruction[][] {
  return [
    [...prefix, op(BPF_JMP | jump | BPF_K, k, 0, 1), ret(1), RET_A],
    [...prefix, op(BPF_JMP | jump | BPF_K, k, 1, 0), ret(7), ret(0x12345678)],
  ];
}

Deno.test("compileClosure() fuses a [k] load and its jump, for every size and test", () => {
  for (const size of SIZES) {
    for (const k of [0, 12, 23, 44, 46, (SKF_NET_OFF + 2) >>> 0, (SKF_LL_OFF + 1) >>> 0]) {
      for (const jump of JUMPS) {
        for (const c of EDGES) {
          for (const p of withJump([op(BPF_LD | size | BPF_ABS, k)], jump, c)) agree(p);
        }
      }
    }
  }
});

Deno.test("compileClosure() folds and/rsh runs before a jump into one mask and shift", () => {
  const alu = (o: number, k: number) => op(BPF_ALU | o | BPF_K, k);
  const runs: Instruction[][] = [
    [alu(BPF_AND, 0xffff)],
    [alu(BPF_RSH, 22), alu(BPF_AND, 0x3c)],
    [alu(BPF_AND, 0xf0f0f0f0), alu(BPF_RSH, 4)],
    [alu(BPF_RSH, 16), alu(BPF_RSH, 15)],
    [alu(BPF_RSH, 16), alu(BPF_RSH, 16)], // 32 in all: 0
    [alu(BPF_RSH, 31), alu(BPF_AND, 1), alu(BPF_RSH, 1)],
    [alu(BPF_AND, 0), alu(BPF_RSH, 3)],
  ];
  for (const run of runs) {
    for (const producer of [op(BPF_LD | BPF_W | BPF_ABS, 10), op(BPF_LD | BPF_W | BPF_LEN)]) {
      for (const jump of JUMPS) {
        for (const c of [0, 1, 0x3c, 0xffff, 0xffffffff]) {
          for (const p of withJump([producer, ...run], jump, c)) agree(p);
        }
      }
    }
  }
});

Deno.test("compileClosure() fuses an [x + k] load and its jump, after ldxb 4*([k]&0xf) or ldx #len", () => {
  for (const size of SIZES) {
    for (const k of [0, 14, 16, 40, (SKF_NET_OFF + 1) >>> 0, 0xfffffff0]) {
      for (const jump of JUMPS) {
        for (const c of [0, 80, 0x50000000, 0xffffffff]) {
          const msh = op(BPF_LDX | BPF_B | BPF_MSH, 14);
          const ind = op(BPF_LD | size | BPF_IND, k);
          for (const p of withJump([msh, ind], jump, c)) agree(p);
          for (const p of withJump([msh, ind, op(BPF_ALU | BPF_AND | BPF_K, 0xff)], jump, c)) {
            agree(p);
          }
          for (const p of withJump([op(BPF_LDX | BPF_W | BPF_LEN), ind], jump, c)) agree(p);
        }
      }
    }
  }
});

Deno.test("compileClosure() fuses tax; ld #len with a jump on X", () => {
  for (const first of [op(BPF_LD | BPF_B | BPF_ABS, 3), op(BPF_LD | BPF_W | 0x00, 20)]) {
    for (const jump of JUMPS) {
      agree([
        first,
        op(BPF_MISC | BPF_TAX),
        op(BPF_LD | BPF_W | BPF_LEN),
        op(BPF_JMP | jump | BPF_X, 0, 0, 1),
        ret(1),
        RET_A,
      ]);
    }
  }
});

Deno.test("compileClosure() keeps a block's hoisted bounds check when its first load is fused", () => {
  for (const far of [9, 20, 30, 45]) {
    // The leader load's jump ends the block, so only the leader's own check applies.
    agree([
      op(BPF_LD | BPF_B | BPF_ABS, 1),
      op(BPF_ST, 0),
      op(BPF_LD | BPF_H | BPF_ABS, far),
      op(BPF_JMP | BPF_JEQ | BPF_K, 0x1234, 0, 1),
      ret(1),
      RET_A,
    ]);
    agree([
      op(BPF_LDX | BPF_B | BPF_MSH, far),
      op(BPF_LD | BPF_B | BPF_ABS, 2),
      op(BPF_JMP | BPF_JGT | BPF_K, 0x10, 0, 1),
      ret(1),
      RET_A,
    ]);
    agree([
      op(BPF_LD | BPF_H | BPF_ABS, far),
      op(BPF_LDX | BPF_B | BPF_MSH, 3),
      op(BPF_LD | BPF_B | BPF_IND, 1),
      op(BPF_JMP | BPF_JSET | BPF_K, 0x81, 0, 1),
      ret(1),
      RET_A,
    ]);
  }
});

Deno.test("compileClosure() runs every ALU operation, scratch cell and [x + k] load in the loop", () => {
  const ops = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0];
  const word = op(BPF_LD | BPF_W | BPF_ABS, 2);
  for (const o of ops) {
    for (const k of [1, 3, 31, 0x7fffffff, 0x80000000, 0xffffffff]) {
      if ((o === 0x30 || o === 0x90) && k === 0) continue;
      const shiftK = o === 0x60 || o === 0x70 ? k & 31 : k;
      // On K, then on X (X from a second word, 0 in short packets: division by 0 ends with 0).
      agree([word, op(BPF_ALU | o | BPF_K, shiftK), RET_A]);
      if (o === 0x80) continue; // neg: no X form
      agree([word, op(BPF_LDX | BPF_W | 0x00, k), op(BPF_ALU | o | BPF_X), RET_A]);
      agree([word, op(BPF_LDX | BPF_W | BPF_LEN), op(BPF_ALU | o | BPF_X), RET_A]);
    }
  }
  for (let cell = 0; cell < 16; cell += 5) {
    agree([
      word,
      op(BPF_ST, cell),
      op(BPF_LD | 0x00, 7),
      op(BPF_LDX | 0x60, cell),
      op(BPF_MISC | 0x80),
      RET_A,
    ]);
    agree([op(BPF_LDX | BPF_W | BPF_LEN), op(0x03, cell), op(BPF_LD | 0x60, cell), RET_A]);
  }
  for (const size of SIZES) {
    for (const k of [0, 5, 40, 0x7ffffff0, 0xfffffff0]) {
      agree([op(BPF_LDX | BPF_B | BPF_MSH, 14), op(BPF_LD | size | BPF_IND, k), RET_A]);
      agree([op(BPF_LDX | BPF_W | 0x00, 30), op(BPF_LD | size | BPF_IND, k), RET_A]);
    }
  }
});
