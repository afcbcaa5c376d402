import assert from "node:assert/strict";
import { compileClosure } from "./compile_closure.ts";
import { interpret } from "./interpret.ts";
import { validate } from "./validate.ts";
import { _lower, type _LoweredProgram } from "./_lower.ts";
import { _optimizeProgram } from "./_optimize_program.ts";
import { _removeKnownTests } from "./_known_tests.ts";
import { _chainAsTests, _chainPieces, _MAX_TEST_DEPTH } from "./_chain_pieces.ts";
import { _compareChain } from "./_execute_chain.ts";
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

const lowered = (program: Instruction[]): _LoweredProgram =>
  _removeKnownTests(_lower(_optimizeProgram(program)));

const CONTEXTS: PacketContext[] = [
  { dataOffset: 14, networkOffset: 14, macOffset: 0 },
  { dataOffset: 2, wireLength: 13 },
  { wireLength: 0xffffffff, end: 20 },
  { dataOffset: 2 ** 31 },
];

/** The operands a chain's tests compare with, and values on both sides of each. */
const EDGES = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x800, 0x86dd, 0xffff, 0x10000, 0x7fffffff];

interface Chain {
  program: Instruction[];
  offset: number;
  bytes: number;
  shift: number;
  ks: number[];
}

/**
 * A random chain of `tests` tests on one load (`jeq`, `jgt`, `jge`, `jset`,
 * or one kind only), the first maybe after an `and`/`rsh`; each edge goes to
 * a later test or to a return (returns every 40 tests, so every jump fits).
 */
function randomChain(random: _Random, tests: number): Chain {
  const size = random.pick([BPF_B, BPF_H, BPF_W]);
  const bytes = size === BPF_B ? 1 : size === BPF_H ? 2 : 4;
  const offset = random.pick([0, 12, 23, 26, 34, 60]);
  const head = [op(BPF_LD | size | BPF_ABS, offset)];
  let shift = 0;
  if (random.chance(0.2)) {
    head.push(op(BPF_ALU | BPF_AND | BPF_K, random.pick([0xff, 0xf0, 0x0fff])));
  } else if (random.chance(0.15)) {
    shift = random.pick([1, 4, 8]);
    head.push(op(BPF_ALU | BPF_RSH | BPF_K, shift));
  }
  const kinds = random.chance(0.5)
    ? [random.pick([BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET])]
    : [BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET];
  const returns = [0, 1, 0xffff, 0xffffffff, 0x80000000, random.uint32()].slice(
    0,
    2 + random.int(4),
  );
  // Items: tests and return islands, laid out first, then the jumps are filled in.
  const items: ({ test: number; k: number } | { value: number })[] = [];
  const ks: number[] = [];
  for (let t = 0; t < tests; t++) {
    const code = random.pick(kinds);
    const k = code === BPF_JSET
      ? random.chance(0.7) ? 1 << random.int(bytes * 8) : random.uint32()
      : random.chance(0.6)
      ? random.pick(EDGES) + random.pick([-1, 0, 0, 1])
      : random.uint32() >>> random.int(32);
    ks.push(k >>> 0);
    items.push({ test: code, k });
    if (t % 40 === 39 || t === tests - 1) {
      for (const value of returns) items.push({ value });
    }
  }
  const program = [...head];
  items.forEach((item, i) => {
    if ("value" in item) {
      program.push(op(BPF_RET | BPF_K, item.value));
      return;
    }
    const later: number[] = [];
    for (let j = i + 1; j < items.length && j - i - 1 <= 255; j++) later.push(j);
    const pick = () => {
      const j = random.chance(0.5) ? later[0] : random.pick(later);
      return j - i - 1;
    };
    program.push(op(BPF_JMP | item.test | BPF_K, item.k, pick(), pick()));
  });
  return { program, offset, bytes, shift, ks };
}

/** Packets whose field holds each test's operand, one either side, 0, all ones; some too short. */
function packetsFor(random: _Random, chain: Chain): Uint8Array[] {
  const values = new Set<number>([0, 0xffffffff, random.uint32()]);
  for (const k of chain.ks) {
    for (const v of [k, k + 1, k - 1]) {
      values.add(v >>> 0);
      values.add((v * 2 ** chain.shift) >>> 0);
    }
  }
  const end = chain.offset + chain.bytes;
  const out: Uint8Array[] = [];
  for (const value of [...values].slice(0, 400)) {
    const packet = new Uint8Array(end + 16 + random.int(3));
    for (let i = 0; i < packet.length; i++) packet[i] = random.int(256);
    for (let b = 0; b < chain.bytes; b++) {
      packet[chain.offset + b] = (value >>> (8 * (chain.bytes - 1 - b))) & 0xff;
    }
    out.push(packet);
  }
  // Loads past the end, by one byte and more, and the empty packet.
  out.push(new Uint8Array(end - 1), new Uint8Array(0), new Uint8Array(chain.offset));
  return out;
}

/** Asserts `run` agrees with interpret() on every packet, without and with each context. */
function agrees(
  run: (p: Uint8Array, c?: PacketContext) => number,
  program: Instruction[],
  packets: Uint8Array[],
) {
  for (const packet of packets) {
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
}

Deno.test("random compare chains of 1 to 300 tests, run by their pieces, agree with interpret() at every breakpoint, per packet and as a batch", () => {
  const random = _prng(0x19c4a1);
  let kernels = 0;
  for (let round = 0; round < 300; round++) {
    const tests = round < 100
      ? 1 + random.int(8)
      : round < 200
      ? 9 + random.int(40)
      : 49 + random.int(252);
    const chain = randomChain(random, tests);
    validate(chain.program);
    const packets = packetsFor(random, chain);
    const small = _compareChain(lowered(chain.program));
    if (small !== undefined) {
      kernels++;
      agrees(small.run, chain.program, packets);
      assertBatchAgrees(small.runBatch, chain.program, packets);
    }
    const run = compileClosure(chain.program);
    agrees(run, chain.program, packets);
    assertBatchAgrees(run.runBatch, chain.program, packets);
  }
  // Most chains are a chain the kernels run (those with `jset` on wide fields beyond 16 tests not).
  assert.ok(kernels > 200, `${kernels}`);
});

Deno.test("a chain of jeq/jgt/jge tests has pieces whatever its length, at most one more than twice its tests", () => {
  const random = _prng(0x19c4a2);
  for (const tests of [1, 2, 16, 17, 100, 250, 300]) {
    for (let round = 0; round < 10; round++) {
      let chain: Chain;
      do chain = randomChain(random, tests); while (
        chain.program.some((i) => (i.code & 0xf0) === BPF_JSET)
      );
      const program = lowered(chain.program);
      // The optimiser may fold every test (a byte against 65537): no chain is left.
      if (program.blocks[0].exit.kind !== "test") continue;
      const pieces = _chainPieces(program);
      assert.ok(pieces !== undefined, JSON.stringify(chain.program));
      assert.ok(
        pieces.starts.length <= 2 * tests,
        `${pieces.starts.length} pieces for ${tests} tests`,
      );
      assert.equal(pieces.values.length, pieces.starts.length + 1);
      for (let i = 1; i < pieces.starts.length; i++) {
        assert.ok(pieces.starts[i] > pieces.starts[i - 1]);
      }
      for (let i = 1; i < pieces.values.length; i++) {
        assert.notEqual(pieces.values[i], pieces.values[i - 1]);
      }
      // A byte, or a field masked down to a byte, is a table.
      assert.equal(pieces.table, pieces.maxA < 256);
    }
  }
});

Deno.test("chains of few pieces become the fewest tests; others keep their program", () => {
  const chainOf = (load: Instruction, tests: Instruction[], returns: number[]) =>
    lowered([load, ...tests, ...returns.map((v) => op(BPF_RET | BPF_K, v))]);
  const ldh12 = op(BPF_LD | BPF_H | BPF_ABS, 12);
  const testsOf = (program: _LoweredProgram) =>
    program.blocks.filter((b) => b.exit.kind === "test").length;
  // `ip or ip6 or arp`, written as a jeq list: three values, four pieces, two tests on a path.
  const list = chainOf(ldh12, [
    op(BPF_JMP | BPF_JEQ | BPF_K, 0x800, 2, 0),
    op(BPF_JMP | BPF_JEQ | BPF_K, 0x86dd, 1, 0),
    op(BPF_JMP | BPF_JEQ | BPF_K, 0x806, 0, 1),
  ], [1, 0]);
  assert.equal(_chainAsTests(list), list, "seven pieces stay a chain");
  // A descending ladder: two pieces (below 0x10, and from it), one test.
  const ladder = chainOf(ldh12, [
    op(BPF_JMP | BPF_JGT | BPF_K, 0x9000, 2, 0),
    op(BPF_JMP | BPF_JGT | BPF_K, 0x800, 1, 0),
    op(BPF_JMP | BPF_JGE | BPF_K, 0x10, 0, 1),
  ], [1, 0]);
  const one = _chainAsTests(ladder);
  assert.equal(testsOf(one), 1);
  const bound = one.blocks[0].exit;
  assert.ok(bound.kind === "test" && bound.low === 0x10 && bound.span === 0xffffffff - 0x10);
  // A chain whose value is the same wherever the load succeeds: one test that always passes.
  const always = _chainAsTests(chainOf(ldh12, [
    op(BPF_JMP | BPF_JGT | BPF_K, 0x9000, 1, 0),
    op(BPF_JMP | BPF_JEQ | BPF_K, 0x800, 0, 0),
  ], [5]));
  assert.ok(testsOf(always) <= 1);
  // `A in [0x800, 0x86dd]` written as two bounds: one range test.
  const range = chainOf(ldh12, [
    op(BPF_JMP | BPF_JGE | BPF_K, 0x800, 0, 2),
    op(BPF_JMP | BPF_JGT | BPF_K, 0x86dd, 1, 0),
    op(BPF_JMP | BPF_JGE | BPF_K, 0, 1, 0),
  ], [0, 7]);
  const ranged = _chainAsTests(range);
  assert.equal(testsOf(ranged), 1);
  const exit = ranged.blocks[0].exit;
  assert.ok(exit.kind === "test" && exit.low === 0x800 && exit.span === 0x86dd - 0x800);
  // Tests on a path stay within the bound.
  const random = _prng(0x19c4a3);
  let changed = 0;
  for (let round = 0; round < 200; round++) {
    const chain = randomChain(random, 1 + random.int(30));
    const before = lowered(chain.program);
    const tests = _chainAsTests(before);
    const depth = (index: number): number => {
      const e = tests.blocks[index].exit;
      return e.kind === "test" ? 1 + Math.max(depth(e.whenTrue), depth(e.whenFalse)) : 0;
    };
    if (tests !== before) {
      changed++;
      assert.ok(depth(0) <= _MAX_TEST_DEPTH);
      const pieces = _chainPieces(before)!;
      assert.deepEqual(_chainPieces(tests), pieces, "the same function of A");
    }
  }
  assert.ok(changed > 20, `${changed}`);
});

Deno.test("jset chains on a wide field have no pieces; on a byte, a table", () => {
  const jsets = (size: number) =>
    lowered([
      op(BPF_LD | size | BPF_ABS, 12),
      op(BPF_JMP | BPF_JSET | BPF_K, 0x100, 2, 0),
      op(BPF_JMP | BPF_JSET | BPF_K, 0x4, 1, 0),
      op(BPF_JMP | BPF_JSET | BPF_K, 0x1, 0, 1),
      op(BPF_RET | BPF_K, 1),
      op(BPF_RET | BPF_K, 0),
    ]);
  assert.equal(_chainPieces(jsets(BPF_W)), undefined);
  const byte = _chainPieces(jsets(BPF_B));
  assert.ok(byte !== undefined && byte.table && byte.maxA === 255);
});
