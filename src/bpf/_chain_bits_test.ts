import assert from "node:assert/strict";
import { compileClosure } from "./compile_closure.ts";
import { interpret } from "./interpret.ts";
import { validate } from "./validate.ts";
import { _lower, type _LoweredProgram } from "./_lower.ts";
import { _optimizeProgram } from "./_optimize_program.ts";
import { _removeKnownTests } from "./_known_tests.ts";
import { _chainBits } from "./_chain_bits.ts";
import { _chainPieces } from "./_chain_pieces.ts";
import { _compareChain } from "./_execute_chain.ts";
import type { Instruction } from "./instruction.ts";
import type { PacketContext } from "./packet_context.ts";
import { _prng, type _Random } from "../../tests/_fuzz.ts";
import { assertBatchAgrees } from "../../tests/_batch_agreement.ts";
import {
  BPF_ABS,
  BPF_ALU,
  BPF_AND,
  BPF_H,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_RET,
  BPF_RSH,
  BPF_W,
} from "./opcodes.ts";

const op = (code: number, k = 0, jt = 0, jf = 0): Instruction => ({ code, jt, jf, k: k >>> 0 });

const lowered = (program: Instruction[]): _LoweredProgram =>
  _removeKnownTests(_lower(_optimizeProgram(program)));

const CONTEXTS: PacketContext[] = [
  { dataOffset: 14, networkOffset: 14, macOffset: 0 },
  { dataOffset: 2, wireLength: 13 },
  { dataOffset: 2 ** 31 },
];

interface Ladder {
  program: Instruction[];
  offset: number;
  bytes: number;
  masks: number[];
  /** Whether every rung leaving on clear bits has them in one byte. */
  oneByteClears: boolean;
}

/**
 * A ladder of `rungs` jset tests on one two- or four-byte load (the first
 * maybe after `and`/`rsh`), each returning a value when a bit of its mask is
 * set (or when all are clear) and going on otherwise; masks of one bit, of
 * bits in one byte, or across bytes.
 */
function randomLadder(random: _Random, rungs: number): Ladder {
  const size = random.pick([BPF_H, BPF_W]);
  const bytes = size === BPF_H ? 2 : 4;
  const offset = random.pick([0, 12, 20, 26, 34, 36]);
  const program = [op(BPF_LD | size | BPF_ABS, offset)];
  if (random.chance(0.2)) {
    program.push(op(BPF_ALU | BPF_AND | BPF_K, random.pick([0xfff0, 0x0fff0f0f])));
  } else if (random.chance(0.15)) {
    program.push(op(BPF_ALU | BPF_RSH | BPF_K, random.pick([1, 4, 8])));
  }
  const values = [0, 1, 0xffff, 0xffffffff, random.uint32()];
  const masks: number[] = [];
  let oneByteClears = true;
  for (let i = 0; i < rungs; i++) {
    const bit = random.int(bytes * 8);
    const onSet = random.chance(0.6);
    // Masks of one bit, of bits in one byte, or across bytes (rarely for a rung leaving on clear).
    const mask = random.pick([
      1 << bit,
      (random.int(255) + 1) << (8 * random.int(bytes)),
      onSet || random.chance(0.02) ? random.uint32() : 1 << bit,
    ]) >>> 0;
    masks.push(mask);
    const spread = [0, 8, 16, 24].filter((s) => ((mask >>> s) & 0xff) !== 0).length;
    if (!onSet && spread > 1) oneByteClears = false;
    program.push(
      op(BPF_JMP | BPF_JSET | BPF_K, mask, onSet ? 0 : 1, onSet ? 1 : 0),
      op(BPF_RET | BPF_K, random.pick(values)),
    );
  }
  program.push(op(BPF_RET | BPF_K, random.pick(values)));
  return { program, offset, bytes, masks, oneByteClears };
}

/** Packets whose field holds 0, all ones, each mask, its complement, single bits; some too short. */
function packetsFor(random: _Random, ladder: Ladder): Uint8Array[] {
  const values = new Set<number>([0, 0xffffffff, random.uint32(), random.uint32()]);
  for (const mask of ladder.masks.slice(0, 60)) {
    values.add(mask);
    values.add(~mask >>> 0);
    values.add((mask & -mask) >>> 0);
    values.add((mask << 1) >>> 0);
  }
  const end = ladder.offset + ladder.bytes;
  const out: Uint8Array[] = [];
  for (const value of values) {
    const packet = Uint8Array.from({ length: end + 4 }, () => random.int(256));
    for (let b = 0; b < ladder.bytes; b++) {
      packet[ladder.offset + b] = (value >>> (8 * (ladder.bytes - 1 - b))) & 0xff;
    }
    out.push(packet);
  }
  out.push(new Uint8Array(end - 1), new Uint8Array(0));
  return out;
}

Deno.test("ladders of jset tests on a wide load, run by per-byte tables, agree with interpret(), per packet and as a batch", () => {
  const random = _prng(0x19cb17);
  let tabled = 0;
  let eligible = 0;
  for (let round = 0; round < 300; round++) {
    const ladder = randomLadder(random, 1 + random.int(round < 200 ? 20 : 120));
    validate(ladder.program);
    const low = lowered(ladder.program);
    const bits = _chainBits(low);
    // Every ladder whose clear-bit rungs lie in one byte has tables (unless the optimiser folded it,
    // or A has at most 256 values: `ldh; rsh #8`, a table of `_chain_pieces.ts`).
    const eligibleHere = ladder.oneByteClears && low.blocks[0].exit.kind === "test" &&
      low.blocks.length > 3 && _chainPieces(low)?.table !== true;
    if (eligibleHere) {
      eligible++;
      if (bits !== undefined) tabled++;
    }
    if (!ladder.oneByteClears && bits !== undefined) {
      // Then no rung left may leave on clear bits of two bytes.
      assert.ok(bits.values.length <= ladder.masks.length + 1);
    }
    const packets = packetsFor(random, ladder);
    const small = _compareChain(low);
    const runs = small === undefined ? [] : [small.run];
    runs.push(compileClosure(ladder.program));
    for (const run of runs) {
      for (const packet of packets) {
        const where = `${JSON.stringify(ladder.program)} [${packet}]`;
        assert.equal(run(packet), interpret(ladder.program, packet), where);
        for (const context of CONTEXTS) {
          assert.equal(run(packet, context), interpret(ladder.program, packet, context), where);
        }
      }
    }
    if (small !== undefined) assertBatchAgrees(small.runBatch, ladder.program, packets);
  }
  assert.ok(tabled === eligible && eligible > 150, `${tabled} of ${eligible}`);
});

Deno.test("a jset ladder's tables: the first rung each byte makes leave", () => {
  // ldh [12]; jset #0x0100 -> 7; jset #0x0001 (leaves when clear) -> 9; ret 3
  const program = [
    op(BPF_LD | BPF_H | BPF_ABS, 12),
    op(BPF_JMP | BPF_JSET | BPF_K, 0x0100, 0, 1),
    op(BPF_RET | BPF_K, 7),
    op(BPF_JMP | BPF_JSET | BPF_K, 0x0001, 1, 0),
    op(BPF_RET | BPF_K, 9),
    op(BPF_RET | BPF_K, 3),
  ];
  const bits = _chainBits(lowered(program));
  assert.ok(bits !== undefined);
  // The last test returns on both edges: a rung leaving on a set bit (3), then the value past it (9).
  assert.deepEqual(bits.values, [7, 3, 9]);
  assert.equal(bits.bytes, 2);
  // Low byte: bit 0 set makes rung 1 leave; high byte: bit 0 (0x0100) set makes rung 0 leave.
  assert.equal(bits.tables[0x00], 2);
  assert.equal(bits.tables[0x01], 1);
  assert.equal(bits.tables[256 + 0x01], 0);
  assert.equal(bits.tables[256 + 0x02], 2);
  // A rung leaving when the bits of 0x0101 (two bytes) are all clear: no tables.
  const spread = [
    ...program.slice(0, 3),
    op(BPF_JMP | BPF_JSET | BPF_K, 0x0101, 1, 0),
    op(BPF_RET | BPF_K, 9),
    op(BPF_JMP | BPF_JSET | BPF_K, 0x4, 0, 1),
    op(BPF_RET | BPF_K, 5),
    op(BPF_RET | BPF_K, 3),
  ];
  validate(spread);
  assert.equal(_chainBits(lowered(spread)), undefined);
  // A rung whose leaving edge loads before it returns (the load can fail): no tables, and the
  // closure returns 0 where the load fails (found by tests/closure_process_fuzz_test.ts).
  const loadsFirst = [
    op(BPF_LD | BPF_H | BPF_ABS, 2),
    op(BPF_JMP | BPF_JSET | BPF_K, 0x608, 2, 0),
    op(BPF_LD | BPF_H | BPF_ABS, 47),
    op(BPF_RET | BPF_K, 262144),
    op(BPF_RET | BPF_K, 0xffffffff),
  ];
  validate(loadsFirst);
  assert.equal(_chainBits(lowered(loadsFirst)), undefined);
  const packet = Uint8Array.from({ length: 29 }, (_, i) => i === 2 ? 0 : 0x45);
  const run = compileClosure(loadsFirst);
  assert.equal(run(packet), interpret(loadsFirst, packet));
  assert.equal(run(packet), 0);
});
