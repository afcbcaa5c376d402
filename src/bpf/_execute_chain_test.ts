import assert from "node:assert/strict";
import { compileClosure } from "./compile_closure.ts";
import { interpret } from "./interpret.ts";
import { validate } from "./validate.ts";
import { _lower } from "./_lower.ts";
import { _chainOperands, _MAX_CHAIN_NODES, _memberOperands } from "./_execute_chain.ts";
import { compileFilter } from "../filter/mod.ts";
import type { Instruction } from "./instruction.ts";
import type { PacketContext } from "./packet_context.ts";
import { _prng, type _Random } from "../../tests/_fuzz.ts";
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
  BPF_RET,
  BPF_RSH,
  BPF_W,
} from "./opcodes.ts";

const op = (code: number, k = 0, jt = 0, jf = 0): Instruction => ({ code, jt, jf, k: k >>> 0 });

/** Packets of 0 to 40 bytes, some holding chain-friendly values at 12 and 20. */
function packets(random: _Random): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let length = 0; length <= 40; length++) {
    for (let round = 0; round < 4; round++) {
      const packet = Uint8Array.from({ length }, () => random.int(256));
      const value = random.pick([0x0800, 0x86dd, 0x8100, 0x88a8, 0x9100, 0x0806]);
      if (round > 0 && length >= 14) packet.set([value >> 8, value & 0xff], 12);
      if (round === 3 && length >= 24) packet.set([0x81, 0, 0x88, 0xa8], 20);
      out.push(packet);
    }
  }
  return out;
}

const CONTEXTS: PacketContext[] = [
  {},
  { dataOffset: 14, networkOffset: 14, macOffset: 0 },
  { dataOffset: 2, wireLength: 13 },
  { wireLength: 0xffffffff, end: 20 },
  { dataOffset: 2 ** 31 },
  { dataOffset: -5, end: 2 ** 40, wireLength: 2 ** 32 + 7 },
];

/** Asserts the program runs as a chain and agrees with interpret() per packet and as a batch. */
function agree(program: Instruction[], frames: Uint8Array[]): void {
  validate(program);
  assert.ok(
    _chainOperands(_lower(program)) !== undefined,
    `not a chain: ${JSON.stringify(program)}`,
  );
  const run = compileClosure(program);
  for (const packet of frames) {
    const where = `${JSON.stringify(program)} packet [${packet}]`;
    assert.equal(run(packet), interpret(program, packet), where);
    for (const context of CONTEXTS) {
      assert.equal(
        run(packet, context),
        interpret(program, packet, context),
        `${where} ${JSON.stringify(context)}`,
      );
    }
  }
  assertBatchAgrees(run.runBatch, program, frames);
}

/** A random chain: one load, then `tests` tests on A (some masked), each edge a later test or a return. */
function randomChain(random: _Random, tests: number): Instruction[] {
  const size = random.pick([BPF_B, BPF_H, BPF_W]);
  const program: Instruction[] = [
    op(BPF_LD | size | BPF_ABS, random.pick([0, 12, 13, 20, 36, 38])),
  ];
  // Each test may be preceded by an and/rsh (fused into it); returns come after the tests.
  const body: Instruction[][] = [];
  for (let t = 0; t < tests; t++) {
    const alu = random.chance(0.15)
      ? [op(BPF_ALU | BPF_AND | BPF_K, random.pick([1, 0xff, 0x0fff, 0xf000]))]
      : random.chance(0.15)
      ? [op(BPF_ALU | BPF_RSH | BPF_K, random.pick([1, 4, 8, 31]))]
      : [];
    const jump = random.pick([BPF_JEQ, BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET]);
    const value = random.pick([0, 1, 0x0800, 0x8100, 0x88a8, 0x81, 0x45, random.uint32()]);
    body.push([...alu, op(BPF_JMP | jump | BPF_K, value)]);
  }
  const returns = [0, 0x40000, 0xffffffff, random.uint32()].slice(0, 2 + random.int(3));
  const starts: number[] = [];
  let at = 1;
  for (const piece of body) {
    starts.push(at);
    at += piece.length;
  }
  const returnsAt = at;
  body.forEach((piece, t) => {
    const jumpIndex = starts[t] + piece.length - 1;
    // A target: a later test's first instruction, or a return.
    const target = () => {
      const later = starts.slice(t + 1);
      const choice = random.chance(0.6) && later.length > 0
        ? random.pick(later)
        : returnsAt + random.int(returns.length);
      return Math.min(choice - jumpIndex - 1, 255);
    };
    const jt = target();
    const jf = target();
    piece[piece.length - 1] = { ...piece[piece.length - 1], jt, jf };
    program.push(...piece);
  });
  for (const value of returns) program.push(op(BPF_RET | BPF_K, value));
  return program;
}

Deno.test("the filter compiler's compare chains on one load run as a chain that agrees with interpret()", () => {
  const frames = packets(_prng(1));
  for (
    const expression of [
      "vlan",
      "ip or ip6",
      "ip or arp or ip6",
      "ether[12:2] > 0x0600 and ether[12:2] < 0x9000",
    ]
  ) {
    agree(compileFilter(expression, { linkType: 1 }), frames);
  }
});

Deno.test("random compare chains on one load agree with interpret(), per packet and as a batch", () => {
  const random = _prng(0xc4a1);
  const frames = packets(random);
  let chains = 0;
  for (let n = 0; n < 300; n++) {
    const program = randomChain(random, 2 + random.int(6));
    if (_chainOperands(_lower(program)) === undefined) continue; // e.g. every edge a return
    agree(program, frames);
    chains++;
  }
  assert.ok(chains > 100, `only ${chains} chains`);
});

/** `[k]` one of `values` ? t : f, as the filter compiler writes `vlan`: one `jeq` per value. */
function memberList(
  size: number,
  k: number,
  values: number[],
  t: number,
  f: number,
): Instruction[] {
  const n = values.length;
  return [
    op(BPF_LD | size | BPF_ABS, k),
    ...values.map((v, i) => op(BPF_JMP | BPF_JEQ | BPF_K, v, n - i, 0)),
    op(BPF_RET | BPF_K, f),
    op(BPF_RET | BPF_K, t),
  ];
}

Deno.test("lists of values on one load run as a membership test that agrees with interpret()", () => {
  const random = _prng(0x11575);
  const frames = packets(random);
  for (let n = 0; n < 60; n++) {
    const size = random.pick([BPF_B, BPF_H, BPF_W]);
    const bytes = size === BPF_B ? 1 : size === BPF_H ? 2 : 4;
    const values = Array.from(
      { length: 2 + random.int(6) },
      () => random.pick([0x0800, 0x8100, 0x88a8, 0x45, random.uint32()]) % 2 ** (8 * bytes),
    );
    const [t, f] = random.pick([[0x40000, 0], [0, 0xffffffff], [1, 2]]);
    const program = memberList(size, random.pick([0, 12, 20, 36]), values, t, f);
    const chain = _chainOperands(_lower(program));
    assert.ok(chain !== undefined && _memberOperands(chain.operands) !== undefined);
    agree(program, frames);
  }
  const vlan = _chainOperands(_lower(compileFilter("vlan", { linkType: 1 })))!;
  assert.deepEqual([..._memberOperands(vlan.operands)!], [12, 0x40000, 0, 0x8100, 0x88a8, 0x9100]);
});

Deno.test("membership lists of 2 to 9 values on each load size agree with interpret(), per packet and as a batch", () => {
  // The batch loops compare the first four values held in locals and leave longer lists to the
  // kernel, so every length around four and every load size is run.
  const random = _prng(0x4b1d);
  const frames = packets(random);
  for (const size of [BPF_B, BPF_H, BPF_W]) {
    const bytes = size === BPF_B ? 1 : size === BPF_H ? 2 : 4;
    for (let length = 2; length <= 9; length++) {
      const values = [0x08, 0x81, 0xa8, 0x45, 0xdd, 0x91, 0x06, 0x8100, 0x11]
        .slice(0, length).map((v, i) => (v * 0x01010101 + i) % 2 ** (8 * bytes));
      for (const k of [12, 20, 38]) {
        // Each value at k in a frame of its own (and cut short in another), besides the random frames.
        const holding = values.flatMap((value) => {
          const frame = Uint8Array.from({ length: k + bytes + 2 }, () => random.int(256));
          for (let b = 0; b < bytes; b++) frame[k + b] = (value >>> (8 * (bytes - 1 - b))) & 0xff;
          return [frame, frame.subarray(0, k + bytes - 1)];
        });
        const program = memberList(size, k, values, 0x40000, 0);
        const chain = _chainOperands(_lower(program));
        assert.ok(chain !== undefined && _memberOperands(chain.operands) !== undefined);
        agree(program, [...frames, ...holding]);
      }
    }
  }
});

Deno.test("programs that are not compare chains on one load keep the dispatch loop", () => {
  const notChains = [
    compileFilter("udp", { linkType: 1 }),
    compileFilter("tcp port 80", { linkType: 1 }),
    // A second load in the chain.
    [
      op(BPF_LD | BPF_H | BPF_ABS, 12),
      op(BPF_JMP | BPF_JEQ | BPF_K, 0x800, 0, 2),
      op(BPF_LD | BPF_B | BPF_ABS, 23),
      op(BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 1),
      op(BPF_RET | BPF_K, 1),
      op(BPF_RET | BPF_K, 0),
    ],
    // A chain longer than the bound.
    [
      op(BPF_LD | BPF_B | BPF_ABS, 0),
      ...Array.from(
        { length: _MAX_CHAIN_NODES + 1 },
        (_, i) => op(BPF_JMP | BPF_JEQ | BPF_K, i, _MAX_CHAIN_NODES - i, 0),
      ),
      op(BPF_RET | BPF_K, 0),
      op(BPF_RET | BPF_K, 1),
    ],
  ];
  for (const program of notChains) {
    validate(program);
    assert.equal(_chainOperands(_lower(program)), undefined, JSON.stringify(program));
  }
});
