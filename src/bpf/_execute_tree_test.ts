import assert from "node:assert/strict";
import { compileClosure } from "./compile_closure.ts";
import { interpret } from "./interpret.ts";
import { validate } from "./validate.ts";
import { _lower } from "./_lower.ts";
import { _removeKnownTests } from "./_known_tests.ts";
import { _closureTree, _MAX_TREE_BLOCKS } from "./_execute_tree.ts";
import { compileFilter } from "../filter/mod.ts";
import type { Instruction } from "./instruction.ts";
import type { PacketContext } from "./packet_context.ts";
import { _prng, type _Random } from "../../tests/_fuzz.ts";
import { assertBatchAgrees } from "../../tests/_batch_agreement.ts";
import { _packetsOf, _templateOf, _treeProgramOf } from "../../tests/_backend_fuzz.ts";
import {
  BPF_ABS,
  BPF_ALU,
  BPF_B,
  BPF_H,
  BPF_JEQ,
  BPF_JGT,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_MSH,
  BPF_RET,
  BPF_X,
} from "./opcodes.ts";

const op = (code: number, k = 0, jt = 0, jf = 0): Instruction => ({ code, jt, jf, k: k >>> 0 });

/** Whether the closure strategy runs `program` as a tree. */
function isTree(program: Instruction[]): boolean {
  return _closureTree(_removeKnownTests(_lower(program))) !== undefined;
}

/** Packets of 0 to 80 bytes, some IPv4 or IPv6 over Ethernet with ports 80 or 53. */
function packets(random: _Random): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let length = 0; length <= 80; length += 1 + random.int(3)) {
    for (let round = 0; round < 4; round++) {
      const packet = Uint8Array.from({ length }, () => random.int(256));
      const type = random.pick([0x0800, 0x86dd, 0x0806, 0x8100]);
      if (round > 0 && length >= 14) packet.set([type >> 8, type & 0xff], 12);
      if (round > 1 && length >= 24) {
        packet[14] = 0x40 | random.pick([5, 6, 15]);
        packet[20] = random.pick([0, 0x20, 0x40]);
        packet[21] = random.pick([0, 1]);
        packet[23] = random.pick([6, 17, 1]);
        packet[20 + (type === 0x86dd ? 0 : 3)] = random.pick([6, 17]);
      }
      if (round === 3) {
        for (const at of [34, 36, 54, 56, 38, 58]) {
          if (at + 2 <= length) packet.set([0, random.pick([80, 53])], at);
        }
      }
      out.push(packet);
    }
  }
  return out;
}

const CONTEXTS: PacketContext[] = [
  {},
  { dataOffset: 14, networkOffset: 14, macOffset: 0 },
  { dataOffset: 2, wireLength: 13 },
  { wireLength: 0xffffffff, end: 30 },
  { dataOffset: 2 ** 31 },
  { dataOffset: -5, end: 2 ** 40, wireLength: 2 ** 32 + 7 },
];

/** Asserts `program` runs as a tree and agrees with interpret() per packet, with contexts, and as a batch. */
function agree(program: Instruction[], frames: Uint8Array[]): void {
  validate(program);
  assert.ok(isTree(program), `not a tree: ${JSON.stringify(program)}`);
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

Deno.test("the filter compiler's test programs run as closure trees that agree with interpret()", () => {
  const frames = packets(_prng(0x7ee));
  for (
    const expression of [
      "tcp port 80",
      "udp",
      "udp port 53 or tcp dst port 22",
      "host 10.0.0.1",
      "tcp[tcpflags] & tcp-syn != 0",
      "ip[2:2] > 60 and ip[8] < 64",
      "portrange 50-90",
      "len > 60 and ip",
      "ether src 02:00:00:00:00:01 or ip6",
      "ip6 and tcp dst port 80",
      "icmp[icmptype] = 8",
      "not tcp port 80",
    ]
  ) {
    agree(compileFilter(expression, { linkType: 1 }), frames);
  }
});

Deno.test("random tree programs agree with interpret(), per packet, with contexts and as a batch", () => {
  const random = _prng(0x7e57);
  let trees = 0;
  for (let n = 0; n < 600; n++) {
    const template = _templateOf(random);
    const program = _treeProgramOf(random, template);
    try {
      validate(program);
    } catch {
      continue; // e.g. a jump past the end once clamped to 255
    }
    if (!isTree(program)) continue; // e.g. a `ja` after a load
    agree(program, _packetsOf(random, template, program));
    trees++;
  }
  assert.ok(trees > 100, `only ${trees} trees`);
});

Deno.test("programs with other steps, tests on X or windows keep the dispatch loop", () => {
  const notTrees = [
    // An ALU step that is not folded into a test.
    [
      op(BPF_LD | BPF_H | BPF_ABS, 12),
      op(BPF_ALU | 0x00 | BPF_K, 1),
      op(BPF_JMP | BPF_JEQ | BPF_K, 0x801, 0, 1),
      op(BPF_RET | BPF_K, 1),
      op(BPF_RET | BPF_K, 0),
    ],
    // A test on X.
    [
      op(BPF_LDX | BPF_B | BPF_MSH, 14),
      op(BPF_LD | BPF_B | BPF_ABS, 0),
      op(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 1),
      op(BPF_RET | BPF_K, 1),
      op(BPF_RET | BPF_K, 0),
    ],
    // A load in the SKF_NET_OFF window.
    [
      op(BPF_LD | BPF_B | BPF_ABS, -0x100000 + 9),
      op(BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 1),
      op(BPF_RET | BPF_K, 1),
      op(BPF_RET | BPF_K, 0),
    ],
  ];
  for (const program of notTrees) {
    validate(program);
    assert.equal(isTree(program), false, JSON.stringify(program));
    const run = compileClosure(program);
    for (const packet of packets(_prng(3))) {
      assert.equal(run(packet), interpret(program, packet));
    }
  }
});

Deno.test("a program of more blocks than the bound keeps the dispatch loop", () => {
  // Tests on A, each going on to the next or skipping it, one block each, then the returns.
  const programOf = (tests: number) => [
    op(BPF_LD | BPF_B | BPF_ABS, 0),
    ...Array.from({ length: tests }, (_, i) => op(BPF_JMP | BPF_JGT | BPF_K, i, 0, 1)),
    op(BPF_RET | BPF_K, 1),
    op(BPF_RET | BPF_K, 0),
  ];
  for (const program of [programOf(10), programOf(_MAX_TREE_BLOCKS)]) validate(program);
  assert.equal(isTree(programOf(10)), true);
  assert.equal(isTree(programOf(_MAX_TREE_BLOCKS)), false);
});
