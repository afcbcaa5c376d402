import assert from "node:assert/strict";
import { compileClosure } from "./compile_closure.ts";
import { interpret } from "./interpret.ts";
import { validate } from "./validate.ts";
import { _lower } from "./_lower.ts";
import { _encodeDispatch } from "./_dispatch_code.ts";
import { _singleOperation } from "./_execute_single.ts";
import type { Instruction } from "./instruction.ts";
import type { PacketContext } from "./packet_context.ts";
import { assertBatchAgrees } from "../../tests/_batch_agreement.ts";
import {
  BPF_ABS,
  BPF_ALU,
  BPF_AND,
  BPF_B,
  BPF_H,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_LEN,
  BPF_RET,
  BPF_RSH,
  BPF_W,
} from "./opcodes.ts";

const op = (code: number, k = 0, jt = 0, jf = 0): Instruction => ({ code, jt, jf, k: k >>> 0 });
const ret = (k: number) => op(BPF_RET | BPF_K, k);
const JUMPS = [BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET];
const RETURNS: [number, number][] = [[0x40000, 0], [0, 0xffffffff], [0x80000000, 0x7fffffff]];

/** Packets of 0 to 70 bytes (around the loads' ends), patterned (byte i is `i * 17`) or pseudo-random, some holding `0x0800` at 12. */
function packets(): Uint8Array[] {
  let seed = 0x51e9f00d;
  const byte = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
  const out: Uint8Array[] = [];
  const lengths = [
    ...Array(17).keys(),
    20,
    21,
    22,
    23,
    24,
    25,
    40,
    41,
    43,
    44,
    65,
    66,
    67,
    68,
    69,
    70,
  ];
  for (const length of lengths) {
    for (let round = 0; round < 3; round++) {
      const packet = new Uint8Array(length);
      for (let i = 0; i < length; i++) packet[i] = round === 0 ? (i * 17) & 0xff : byte();
      if (round === 2 && length > 13) packet.set([0x08, 0x00], 12);
      out.push(packet);
    }
  }
  return out;
}
const PACKETS = packets();
/** A third of the packets, for the batch loop (every layout of tests/_batch_agreement.ts). */
const BATCH = PACKETS.filter((_, i) => i % 3 === 2);
const CONTEXTS: PacketContext[] = [
  {},
  { dataOffset: 14, networkOffset: 14, macOffset: 0 },
  { dataOffset: 2, wireLength: 9 },
  { wireLength: 0xffffffff, end: 30 },
  { networkOffset: 6, end: 20 },
  { dataOffset: 60, wireLength: 3 }, // dataOffset past short captures
  // Offsets that do not fit in int32, where the dispatch loop hands over to interpret().
  { dataOffset: 2 ** 31 },
  { dataOffset: 14, end: 2 ** 40 },
  { dataOffset: -5, wireLength: 2 ** 32 + 7 },
];

/** What `[k]` of `size` bytes holds in the patterned packets, so that equality is sometimes true. */
function patternValue(k: number, size: number): number {
  let v = 0;
  for (let i = 0; i < size; i++) v = ((v << 8) | (((k + i) * 17) & 0xff)) >>> 0;
  return v;
}

/**
 * Runs a one-operation program, with and without a context and as a batch,
 * against interpret().
 */
function agree(program: Instruction[]): void {
  validate(program);
  const code = _encodeDispatch(_lower(program));
  assert.ok(_singleOperation(code) !== undefined, `not one operation: ${code}`);
  const run = compileClosure(program);
  const where = (packet: Uint8Array, context?: PacketContext) =>
    `program ${JSON.stringify(program)} packet [${packet}] context ${JSON.stringify(context)}`;
  for (const packet of PACKETS) {
    assert.equal(run(packet), interpret(program, packet), where(packet));
    assert.equal(run(packet, undefined), interpret(program, packet), where(packet));
    for (const context of CONTEXTS) {
      assert.equal(
        run(packet, context),
        interpret(program, packet, context),
        where(packet, context),
      );
    }
  }
  assertBatchAgrees(run.runBatch, program, BATCH);
}

Deno.test("a program of one [k] test with two returns runs as one closure that agrees with interpret()", () => {
  for (const [size, bytes] of [[BPF_B, 1], [BPF_H, 2], [BPF_W, 4]]) {
    for (const k of [0, 12, 13, 40, 66, 67, 69, 70, 0x7fffffff]) {
      for (const jump of JUMPS) {
        const values = [0, 1, 0x800, 0x7fffffff, 0x80000000, 0xffffffff, patternValue(k, bytes)];
        for (const value of values) {
          for (const [t, f] of RETURNS) {
            const load = op(BPF_LD | size | BPF_ABS, k);
            const test = op(BPF_JMP | jump | BPF_K, value, 0, 1);
            agree([load, test, ret(t), ret(f)]);
          }
        }
      }
    }
  }
});

Deno.test("a program of one masked or shifted [k] test with two returns agrees with interpret()", () => {
  const alu = (o: number, k: number) => op(BPF_ALU | o | BPF_K, k);
  const runs = [[alu(BPF_AND, 0x1fff)], [alu(BPF_RSH, 4)], [alu(BPF_RSH, 28), alu(BPF_AND, 0xf)]];
  for (const size of [BPF_B, BPF_H, BPF_W]) {
    for (const run of runs) {
      for (const jump of JUMPS) {
        for (const value of [0, 1, 4, 0x1fff, 0xffffffff]) {
          const load = op(BPF_LD | size | BPF_ABS, 20);
          agree([load, ...run, op(BPF_JMP | jump | BPF_K, value, 1, 0), ret(0), ret(0xffff)]);
        }
      }
    }
  }
});

Deno.test("a program of one ld len test, or of one ret, runs as one closure that agrees with interpret()", () => {
  for (const jump of JUMPS) {
    for (const value of [0, 1, 14, 40, 70, 0x7fffffff, 0xffffffff]) {
      for (const [t, f] of RETURNS) {
        agree([
          op(BPF_LD | BPF_W | BPF_LEN),
          op(BPF_JMP | jump | BPF_K, value, 0, 1),
          ret(t),
          ret(f),
        ]);
      }
    }
  }
  for (const k of [0, 1, 0x40000, 0x80000000, 0xffffffff]) agree([ret(k)]);
});

Deno.test("programs of more than one operation keep the dispatch loop", () => {
  const tcp = [
    op(BPF_LD | BPF_H | BPF_ABS, 12),
    op(BPF_JMP | BPF_JEQ | BPF_K, 0x800, 0, 3),
    op(BPF_LD | BPF_B | BPF_ABS, 23),
    op(BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 1),
    ret(0x40000),
    ret(0),
  ];
  const code = _encodeDispatch(_lower(tcp));
  assert.equal(_singleOperation(code), undefined);
});
