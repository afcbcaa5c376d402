import assert from "node:assert/strict";
import { compileClosure } from "./compile_closure.ts";
import { interpret } from "./interpret.ts";
import { validate } from "./validate.ts";
import { _lower } from "./_lower.ts";
import { _removeKnownTests } from "./_known_tests.ts";
import {
  _builtTree,
  _closureTree,
  _inlinedNodes,
  _MAX_TREE_BLOCKS,
  _MAX_TREE_BYTES,
  _MAX_TREE_INLINED,
  _MAX_TREE_STEPS,
  _testTree,
  _TREE_LIMITS,
  type _TreeLimits,
} from "./_execute_tree.ts";
import { _TreeJoints } from "./_execute_tree_joints.ts";
import { _LITERAL_BYTES } from "./_execute_tree_bytes.ts";
import { _testRuns } from "./_execute_tree_runs.ts";
import { _withTestSets } from "./_execute_tree_sets.ts";
import { _optimizeProgram } from "./_optimize_program.ts";
import { _chainAsTests } from "./_chain_pieces.ts";
import { _processTreeEntries } from "./_execute_tree_entries.ts";
import { compileFilter } from "../filter/mod.ts";
import type { Instruction } from "./instruction.ts";
import type { PacketContext } from "./packet_context.ts";
import { _prng, type _Random } from "../../tests/_fuzz.ts";
import { assertBatchAgrees } from "../../tests/_batch_agreement.ts";
import { _shortened } from "./_execute_tree_steps.ts";
import { _packetsOf, _programOf, _templateOf, _treeProgramOf } from "../../tests/_backend_fuzz.ts";
import {
  BPF_A,
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
  BPF_LSH,
  BPF_MEM,
  BPF_MISC,
  BPF_MOD,
  BPF_OR,
  BPF_RET,
  BPF_RSH,
  BPF_ST,
  BPF_STX,
  BPF_TAX,
  BPF_TXA,
  BPF_W,
  BPF_X,
} from "./opcodes.ts";

const op = (code: number, k = 0, jt = 0, jf = 0): Instruction => ({ code, jt, jf, k: k >>> 0 });

/** Whether the closure strategy runs `program` as a tree (within `limits`: the strategy's own). */
function isTree(program: Instruction[], limits?: _TreeLimits): boolean {
  return _closureTree(_removeKnownTests(_lower(program)), limits) !== undefined;
}

/**
 * The strategy's bounds without joints: whole trees only. (Each jointed tree takes joints from
 * the process's pool when it is made, so whether a program is one depends on the tests before.)
 */
const WHOLE: _TreeLimits = { ..._TREE_LIMITS, joints: undefined };

/** No bound on steps: every program whose blocks can be nodes runs as a tree. */
const UNBOUNDED: _TreeLimits = { steps: Infinity, conflicts: Infinity };

/** `program` as a tree within `limits`, the dispatch loop (`compileClosure`) for its escapes. */
function treeOf(program: Instruction[], limits: _TreeLimits) {
  const general = compileClosure(program);
  const tree = _testTree(
    _removeKnownTests(_lower(program)),
    () => ({ run: general, runBatch: general.runBatch }),
    limits,
  );
  assert.ok(tree !== undefined, `not a tree: ${JSON.stringify(program)}`);
  return Object.assign(tree.run, { runBatch: tree.runBatch });
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

/**
 * Asserts `program` runs as a tree (the strategy's, or one `limits` allows)
 * and agrees with interpret() per packet, with contexts, and as a batch.
 */
function agree(program: Instruction[], frames: Uint8Array[], limits?: _TreeLimits): void {
  validate(program);
  assert.ok(isTree(program, limits), `not a tree: ${JSON.stringify(program)}`);
  // compileClosure gives trees to a process's first programs only (`_TreeEntries`).
  _processTreeEntries.reset();
  const run = limits === undefined ? compileClosure(program) : treeOf(program, limits);
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
    const program = compileFilter(expression, { linkType: 1 });
    // Past the bound on inlined nodes (`portrange`'s two ranges), the tree without it.
    agree(program, frames, isTree(program) ? undefined : UNBOUNDED);
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
    // E.g. a `ja` after a load. Whole trees only: a jointed one would take joints here and again
    // in agree(), and the pool runs out.
    if (!isTree(program, WHOLE)) continue;
    agree(program, _packetsOf(random, template, program));
    trees++;
  }
  assert.ok(trees > 100, `only ${trees} trees`);
});

Deno.test("random programs with steps run as unbounded trees that agree with interpret()", () => {
  // Loads, ALU on K and X, scratch, tax/txa, constants, lengths, tests on X, `[x + k]` in the
  // negative windows: every kind of node, whatever the strategy's bounds.
  const random = _prng(0x57e9);
  let withSteps = 0;
  for (let n = 0; n < 500; n++) {
    const template = _templateOf(random);
    const program = _programOf(random, template, 24);
    try {
      validate(program);
    } catch {
      continue;
    }
    if (!isTree(program, UNBOUNDED)) continue; // e.g. an ancillary load, a window at [k]
    agree(program, _packetsOf(random, template, program), UNBOUNDED);
    if (!isTree(program, { steps: 0, conflicts: Infinity })) withSteps++;
  }
  assert.ok(withSteps > 150, `only ${withSteps} trees with steps`);
});

Deno.test("programs with ancillary loads or absolute loads in a window keep the dispatch loop", () => {
  const notTrees = [
    // An ancillary load (SKF_AD_OFF + SKF_AD_PROTOCOL).
    [
      op(BPF_LD | BPF_H | BPF_ABS, 0xfffff000),
      op(BPF_JMP | BPF_JEQ | BPF_K, 0x800, 0, 1),
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

Deno.test("u32-style programs (ALU, scratch, tax, txa, tests on X) run as trees that agree", () => {
  const frames = packets(_prng(0x332));
  const programs = [
    // `u32 "6&0xff=6 && 0>>22&0x3c@2&0xffff=80"`-like: the filter compiler's shape.
    [
      op(BPF_LD | BPF_H | BPF_ABS, 16),
      op(BPF_ST, 0),
      op(BPF_LD | BPF_W | BPF_ABS, 14),
      op(BPF_ALU | BPF_RSH | BPF_K, 22),
      op(BPF_ALU | BPF_AND | BPF_K, 0x3c),
      op(BPF_ALU | BPF_ADD | BPF_K, 4),
      op(BPF_MISC | BPF_TAX),
      op(BPF_LD | BPF_MEM, 0),
      op(BPF_JMP | BPF_JGE | BPF_X, 0, 0, 6),
      op(BPF_LD | BPF_W | BPF_ABS, 14),
      op(BPF_ALU | BPF_RSH | BPF_K, 22),
      op(BPF_ALU | BPF_AND | BPF_K, 0x3c),
      op(BPF_MISC | BPF_TAX),
      op(BPF_LD | BPF_W | BPF_IND, 14),
      op(BPF_JMP | BPF_JEQ | BPF_K, 0x00500000, 0, 1),
      op(BPF_RET | BPF_K, 0x40000),
      op(BPF_RET | BPF_K, 0),
    ],
    // The offset as the filter compiler makes it for `u32 "0>>22&0x3c@14&0xffff=5432"`:
    // `tax; ld #14; add x; add #4; tax` shortens to `add #18; tax` (one field node).
    [
      op(BPF_LD | BPF_W | BPF_ABS, 14),
      op(BPF_ALU | BPF_RSH | BPF_K, 22),
      op(BPF_ALU | BPF_AND | BPF_K, 0x3c),
      op(BPF_MISC | BPF_TAX),
      op(BPF_LD | BPF_IMM, 14),
      op(BPF_ALU | BPF_ADD | BPF_X),
      op(BPF_ALU | BPF_ADD | BPF_K, 4),
      op(BPF_ALU | BPF_ADD | BPF_K, 0xfffffffe),
      op(BPF_MISC | BPF_TAX),
      op(BPF_LD | BPF_H | BPF_IND, 0),
      op(BPF_JMP | BPF_JEQ | BPF_K, 5432, 0, 1),
      op(BPF_RET | BPF_A),
      op(BPF_MISC | BPF_TXA),
      op(BPF_RET | BPF_A),
    ],
    // Every ALU operation on K and X, txa, ldx/ld of constants, the length and cells, stx.
    [
      op(BPF_LDX | BPF_W | BPF_LEN),
      op(BPF_STX, 3),
      op(BPF_LD | BPF_B | BPF_ABS, 14),
      ...[0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0].map((o) =>
        op(BPF_ALU | o | BPF_K, o === 0x60 || o === 0x70 ? 3 : 0x1234567)
      ),
      op(BPF_ALU | 0x80), // neg
      op(BPF_LDX | BPF_MEM, 3),
      ...[0x00, 0x10, 0x20, 0x40, 0x50, 0x60, 0x70, 0xa0, 0x30, 0x90].map((o) =>
        op(BPF_ALU | o | BPF_X)
      ),
      op(BPF_MISC | BPF_TXA),
      op(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 1),
      op(BPF_RET | BPF_A),
      op(BPF_LD | BPF_IMM, 0xfffffff0),
      op(BPF_LDX | BPF_IMM, 7),
      op(BPF_JMP | BPF_JSET | BPF_X, 0, 1, 0),
      op(BPF_RET | BPF_A),
      op(BPF_RET | BPF_K, 1),
    ],
    // `div x` and `mod x` with X 0 (half the packets) end with 0.
    [
      op(BPF_LD | BPF_B | BPF_ABS, 0),
      op(BPF_ALU | BPF_AND | BPF_K, 1),
      op(BPF_MISC | BPF_TAX),
      op(BPF_LD | BPF_W | BPF_LEN),
      op(BPF_ALU | 0x90 | BPF_X),
      op(BPF_ALU | BPF_ADD | BPF_K, 5),
      op(BPF_RET | BPF_A),
    ],
    // Field runs of each size: load, rsh, and, add (then tax), returned.
    [
      op(BPF_LD | BPF_B | BPF_ABS, 14),
      op(BPF_ALU | BPF_RSH | BPF_K, 2),
      op(BPF_ALU | BPF_AND | BPF_K, 0xf),
      op(BPF_ALU | BPF_ADD | BPF_K, 3),
      op(BPF_MISC | BPF_TAX),
      op(BPF_LD | BPF_H | BPF_ABS, 12),
      op(BPF_ALU | BPF_ADD | BPF_K, 0xfffffff0),
      op(BPF_ALU | BPF_ADD | BPF_X),
      op(BPF_MISC | BPF_TAX),
      op(BPF_LD | BPF_W | BPF_ABS, 26),
      op(BPF_ALU | BPF_RSH | BPF_K, 8),
      op(BPF_ALU | BPF_ADD | BPF_K, 7),
      op(BPF_ALU | 0xa0 | BPF_X), // xor x
      op(BPF_RET | BPF_A),
    ],
    // `txa` then `ret a`: the length shifted, through X.
    [
      op(BPF_LD | BPF_W | BPF_LEN),
      op(BPF_ALU | BPF_LSH | BPF_K, 2),
      op(BPF_MISC | BPF_TAX),
      op(BPF_LD | BPF_IMM, 3),
      op(BPF_MISC | BPF_TXA),
      op(BPF_RET | BPF_A),
    ],
    [
      op(BPF_LD | BPF_B | BPF_ABS, 0),
      op(BPF_ALU | BPF_AND | BPF_K, 1),
      op(BPF_MISC | BPF_TAX),
      op(BPF_LD | BPF_W | BPF_LEN),
      op(BPF_ALU | 0x30 | BPF_X),
      op(BPF_RET | BPF_A),
    ],
  ];
  for (const program of programs) agree(program, frames, UNBOUNDED);
  // The filter compiler's shape alone is a tree within the strategy's bounds on steps (its 12
  // nodes on all paths take joints or the loop under the bound on inlined nodes).
  agree(programs[0], frames, { ..._TREE_LIMITS, inlined: 24, joints: undefined });
});

Deno.test("an [x + k] load in a negative window runs through the dispatch loop, with the same result", () => {
  // X = SKF_NET_OFF: [x + 9] is the network header's protocol byte (networkOffset 14).
  const program = [
    op(BPF_LDX | BPF_IMM, -0x100000),
    op(BPF_LD | BPF_B | BPF_IND, 9),
    op(BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 1),
    op(BPF_RET | BPF_K, 1),
    op(BPF_RET | BPF_K, 0),
  ];
  const frames = packets(_prng(0x9e7));
  agree(program, frames);
  // (The load is a test's producer above, a step below.)
  // The same load as a step (stored, not tested at once).
  agree(
    [
      op(BPF_LDX | BPF_IMM, -0x100000),
      op(BPF_LD | BPF_B | BPF_IND, 9),
      op(BPF_ST, 0),
      op(BPF_LD | BPF_MEM, 0),
      op(BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 1),
      op(BPF_RET | BPF_K, 1),
      op(BPF_RET | BPF_K, 0),
    ],
    frames,
    UNBOUNDED,
  );
  const run = compileClosure(program);
  const tcp = new Uint8Array(40);
  tcp[23] = 6;
  assert.equal(run(tcp, { networkOffset: 14 }), 1);
  assert.equal(run(tcp, { networkOffset: 13 }), 0);
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
  assert.equal(isTree(programOf(10), UNBOUNDED), true);
  assert.equal(isTree(programOf(_MAX_TREE_BLOCKS), UNBOUNDED), false);
});

Deno.test("a tree counts its nodes on every path from the root, and past the bound is not inlined whole", () => {
  const count = (expression: string) =>
    _inlinedNodes(_removeKnownTests(_lower(compileFilter(expression, { linkType: 1 }))));
  // `tcp port 80`: ether type 0x86dd, then `[20] == 6` and the two ports (3 + 1), or 0x800,
  // `[23] == 6`, the fragment test, the header length with the source port, the destination port.
  assert.equal(count("tcp port 80"), 10);
  assert.equal(count("ip"), 1);
  // Tests on A, each going on to the next or skipping it: shared blocks count once per path.
  const chain = (tests: number) => [
    op(BPF_LD | BPF_B | BPF_ABS, 0),
    ...Array.from({ length: tests }, (_, i) => op(BPF_JMP | BPF_JGT | BPF_K, i, 0, 1)),
    op(BPF_RET | BPF_K, 1),
    op(BPF_RET | BPF_K, 0),
  ];
  const paths = (tests: number) => _inlinedNodes(_removeKnownTests(_lower(chain(tests))));
  for (let tests = 3; tests < 8; tests++) {
    assert.equal(paths(tests), paths(tests - 1) + paths(tests - 2) + 1);
  }
  const over = compileFilter("portrange 1000-2000", { linkType: 1 });
  assert.ok(count("portrange 1000-2000") > _MAX_TREE_INLINED);
  assert.equal(isTree(over, WHOLE), false);
  assert.equal(isTree(over, UNBOUNDED), true);
  // Cut into parts by joints instead (`_execute_tree_joints.ts`).
  assert.equal(isTree(over, { ..._TREE_LIMITS, joints: new _TreeJoints() }), true);
  assert.equal(isTree(compileFilter("tcp port 80", { linkType: 1 })), true);
});

Deno.test("a tree sums its node literals' bytecode on every path, and past V8's budget is cut by joints", () => {
  const B = _LITERAL_BYTES;
  const loweredOf = (expression: string) =>
    _chainAsTests(
      _removeKnownTests(_lower(_optimizeProgram(compileFilter(expression, { linkType: 1 })))),
    );
  // The bytes of `expression`'s tree inlined whole, its runs of tests as nodes (no byte bound).
  const bytes = (expression: string) => {
    const lowered = loweredOf(expression);
    const runs = _withTestSets(lowered, _testRuns(lowered));
    const limits = { ..._TREE_LIMITS, inlinedBytes: undefined, joints: undefined };
    return _builtTree(lowered, limits, runs)?.bytes;
  };
  // One run of four tests (`ether src A and ether dst B`), then two returns.
  assert.equal(bytes("ether src 00:50:56:aa:bb:cc and ether dst 00:0c:29:11:22:33"), B.testRun + 6);
  // `ether broadcast or ether host X`: three equality pairs in a chain, four returns.
  assert.equal(bytes("ether broadcast or ether host 00:50:56:aa:bb:cc"), 3 * B.equalPair + 12);
  // Tests on A, each going on to the next or skipping it: a shared node counts once per caller.
  const chain = (tests: number) => [
    op(BPF_LD | BPF_B | BPF_ABS, 0),
    ...Array.from({ length: tests }, (_, i) => op(BPF_JMP | BPF_JGT | BPF_K, i, 0, 1)),
    op(BPF_RET | BPF_K, 1),
    op(BPF_RET | BPF_K, 0),
  ];
  const UNCOPIED = { steps: Infinity, conflicts: Infinity, inlinedBytes: undefined };
  for (let tests = 3; tests < 8; tests++) {
    const lowered = _removeKnownTests(_lower(chain(tests)));
    // As many copies of each node as _inlinedNodes counts, one return below each end: the first
    // test loads its byte (`range1`), the others test A (`testA`).
    const nodes = _inlinedNodes(lowered);
    assert.equal(
      _closureTree(lowered, UNCOPIED)!.bytes,
      B.range1 + (nodes - 1) * B.testA + (nodes + 1) * B.returns,
      `${tests} tests`,
    );
  }
  // `ip6 host X or ether host Y`: seven nodes, within _MAX_TREE_INLINED, but two runs of four
  // words (`testRun`) and four pairs on its paths: past the bytes, so cut by joints.
  const both = "ip6 host 2001:db8::1 or ether host 00:50:56:aa:bb:cc";
  const lowered = loweredOf(both);
  assert.ok(_inlinedNodes(lowered, _testRuns(lowered)) <= _MAX_TREE_INLINED);
  assert.ok(bytes(both)! > _MAX_TREE_BYTES, `${bytes(both)} bytes`);
  assert.equal(_closureTree(lowered, WHOLE), undefined);
  const joints = new _TreeJoints();
  const cut = _closureTree(lowered, { ..._TREE_LIMITS, joints });
  assert.ok(cut !== undefined && joints.used > 0);
  // Under the bound: whole, no joint.
  for (
    const expression of ["port 53 or port 123", "ether broadcast or ether host 00:50:56:aa:bb:cc"]
  ) {
    assert.ok(bytes(expression)! <= _MAX_TREE_BYTES, expression);
    const pool = new _TreeJoints();
    assert.ok(_closureTree(loweredOf(expression), { ..._TREE_LIMITS, joints: pool }), expression);
    assert.equal(pool.used, 0, expression);
  }
});

Deno.test("a tree holds no literal more times on a path than it has copies, else keeps the dispatch loop", () => {
  // Three ports: six `[x + k] == port` tests (two copies) and three header loads (one) on a
  // path; three hosts: `equal4` three times (two copies).
  for (
    const expression of [
      "tcp and (port 25 or port 587 or port 465)",
      "host 10.0.0.1 or host 10.0.0.2 or host 10.0.0.3",
    ]
  ) {
    const program = compileFilter(expression, { linkType: 1 });
    // Within a bound on inlined nodes of 24 (not the strategy's): refused for the copies alone.
    const within = { ..._TREE_LIMITS, inlined: 24, joints: undefined };
    assert.ok(_inlinedNodes(_removeKnownTests(_lower(program))) <= within.inlined, expression);
    assert.equal(isTree(program, within), false, expression);
    assert.equal(isTree(program, UNBOUNDED), true, expression);
  }
  // Three and four source hosts: the addresses are one set node (`set4`, `_execute_tree_sets.ts`)
  // and `testA` is left twice on the RARP path: trees.
  for (
    const expression of [
      "src host 192.168.0.1 or src host 192.168.0.2 or src host 192.168.0.3",
      "src host 10.0.0.1 or src host 10.0.0.2 or src host 10.0.0.3 or src host 10.0.0.4",
    ]
  ) {
    const lowered = _removeKnownTests(_lower(compileFilter(expression, { linkType: 1 })));
    const within = { ..._TREE_LIMITS, inlined: 24, joints: undefined };
    assert.equal(_builtTree(lowered, within, undefined), undefined, expression);
    assert.ok(_closureTree(lowered, within) !== undefined, expression);
  }
  // `tcp port 80` over IPv6: `equal2` three times (the ether type, both ports), three copies.
  assert.equal(isTree(compileFilter("tcp port 80", { linkType: 1 })), true);
  assert.equal(isTree(compileFilter("udp port 53", { linkType: 1 })), true);
});

Deno.test("a step that calls a step of its own literal keeps the dispatch loop, with the same results", () => {
  // `(ip[10:2] % 13) % 7 == 3`: two `mod` steps in a row, one literal (V8 would not inline the
  // second into the first; the optimiser merges runs of the other operations).
  const program = [
    op(BPF_LD | BPF_H | BPF_ABS, 24),
    op(BPF_ALU | BPF_MOD | BPF_K, 13),
    op(BPF_ALU | BPF_MOD | BPF_K, 7),
    op(BPF_JMP | BPF_JEQ | BPF_K, 3, 0, 1),
    op(BPF_RET | BPF_K, 262144),
    op(BPF_RET | BPF_K, 0),
  ];
  validate(program);
  assert.equal(isTree(program), false);
  assert.equal(isTree(program, UNBOUNDED), true);
  // Two operations in a row are two literals: `((ether[13:1] | 17739) << 3) >= 64` is a tree.
  const orShift = [
    op(BPF_LD | BPF_B | BPF_ABS, 13),
    op(BPF_ALU | BPF_OR | BPF_K, 17739),
    op(BPF_ALU | BPF_LSH | BPF_K, 3),
    op(BPF_JMP | BPF_JGE | BPF_K, 64, 0, 1),
    op(BPF_RET | BPF_K, 262144),
    op(BPF_RET | BPF_K, 0),
  ];
  validate(orShift);
  assert.equal(isTree(orShift), true);
  for (const made of [program, orShift]) {
    _processTreeEntries.reset();
    const run = compileClosure(made);
    for (const length of [0, 13, 14, 26, 60]) {
      const packet = new Uint8Array(length).map((_, at) => (at * 37 + 11) & 0xff);
      assert.equal(run(packet), interpret(made, packet), `length ${length}`);
    }
  }
});

Deno.test("a program of more step nodes than the bound, a literal too often on its path, keeps the dispatch loop", () => {
  // The load, then `lsh #1` and `tax` steps in turn before one test: one step node each (no
  // step calls its own literal).
  const programOf = (steps: number) => [
    op(BPF_LD | BPF_B | BPF_ABS, 0),
    ...Array.from(
      { length: steps },
      (_, at) => at % 2 === 0 ? op(BPF_ALU | BPF_LSH | BPF_K, 1) : op(BPF_MISC | BPF_TAX),
    ),
    op(BPF_JMP | BPF_JGT | BPF_K, 100, 0, 1),
    op(BPF_RET | BPF_K, 1),
    op(BPF_RET | BPF_K, 0),
  ];
  assert.equal(isTree(programOf(_MAX_TREE_STEPS - 1)), true);
  const strict = { ..._TREE_LIMITS, stepsUnrepeated: undefined };
  assert.equal(isTree(programOf(_MAX_TREE_STEPS), strict), false);
  // Past the bound, each literal at most four times on the path (`lsh` and `tax` four times each).
  assert.equal(isTree(programOf(8)), true);
  assert.equal(isTree(programOf(10)), false);
  assert.equal(isTree(programOf(10), UNBOUNDED), true);
});

Deno.test("_shortened folds a u32 offset's X arithmetic and merges adds", () => {
  const steps = _lower([
    op(BPF_LD | BPF_W | BPF_ABS, 14),
    op(BPF_ALU | BPF_RSH | BPF_K, 22),
    op(BPF_MISC | BPF_TAX),
    op(BPF_LD | BPF_IMM, 14),
    op(BPF_ALU | BPF_ADD | BPF_X),
    op(BPF_ALU | BPF_ADD | BPF_K, 4),
    op(BPF_MISC | BPF_TAX),
    op(BPF_MISC | BPF_TXA),
    op(BPF_RET | BPF_A),
  ]).blocks[0].steps;
  assert.deepEqual(_shortened(steps).map((step) => step.kind), [
    "load",
    "alu",
    "alu",
    "tax",
    "txa",
  ]);
  assert.deepEqual(_shortened(steps)[2], { kind: "alu", op: BPF_ADD, useX: false, k: 18 });
  // Without the final tax, X keeps A's value from before: nothing to fold.
  const open = steps.slice(0, 6);
  assert.deepEqual(_shortened(open).map((step) => step.kind), [
    "load",
    "alu",
    "tax",
    "load-constant",
    "alu",
    "alu",
  ]);
});

Deno.test("VLAN programs with four tests on A on a path are trees with a set node; they agree", () => {
  // `vlan and udp`: the three VLAN ether types, then IPv6's next header against 17, then 0x2c.
  const frames: Uint8Array[] = [];
  for (const outer of [0x8100, 0x88a8, 0x9100, 0x0800]) {
    for (const inner of [0x0800, 0x86dd, 0x0806]) {
      for (const next of [17, 0x2c, 6]) {
        const packet = new Uint8Array(64);
        packet.set([outer >> 8, outer & 0xff, 0, 100, inner >> 8, inner & 0xff], 12);
        packet[24] = next;
        packet[27] = next === 6 ? 6 : 17;
        packet[58] = 17;
        for (let length = 0; length <= 64; length += 3) frames.push(packet.subarray(0, length));
      }
    }
  }
  // `testA` has three copies: as a tree in a process with other trees, a fourth copy made
  // `(udp and src portrange 30000-40000) or (tcp and dst portrange 1-1023)` a tree that ran
  // 1.4–1.7× libpcap against 0.9× through the loop (bench/RESULTS.md, End of session 18).
  // Block by block they are refused; the three ether types as one set node
  // (`_execute_tree_sets.ts`) leave two tests on A on a path, and they are trees.
  for (const expression of ["vlan and udp", "vlan 100 and tcp", "vlan 200 and udp"]) {
    const program = compileFilter(expression, { linkType: 1 });
    const lowered = _removeKnownTests(_lower(program));
    assert.equal(_builtTree(lowered, _TREE_LIMITS, undefined), undefined, expression);
    assert.equal(_closureTree(lowered)?.root.name, "set2", expression);
    agree(program, frames);
    agree(program, frames, UNBOUNDED);
    const run = compileClosure(program);
    for (const packet of frames) assert.equal(run(packet), interpret(program, packet), expression);
  }
});
