/**
 * Runs every function literal of the closure trees once (private: the program that
 * scripts/execute_tree_bytecode_test.ts runs under `--print-bytecode`, in Deno and, bundled by
 * esbuild, in Node): each node literal and each of its copies (the tests', the parts', the
 * sets', the runs' and pairs', the steps', the fields'), the trees' entry bodies, every joint
 * literal and every entry literal. V8 compiles a function's bytecode on its first call, so each
 * literal's bytecode is printed once it has run. It runs nothing else that is named like them
 * (no dispatch loop: a tree's escape returns 0 here).
 *
 * @module
 */
import { assemble } from "../src/bpf/assemble.ts";
import type { Instruction } from "../src/bpf/instruction.ts";
import { _lower } from "../src/bpf/_lower.ts";
import { _removeKnownTests } from "../src/bpf/_known_tests.ts";
import { _PART_LITERALS, _testTree, _TREE_LITERALS } from "../src/bpf/_execute_tree.ts";
import * as second from "../src/bpf/_execute_tree_second.ts";
import { _equalPair, _equalWords, _testPair, _testRun } from "../src/bpf/_execute_tree_runs.ts";
import { _PART_SET_LITERALS, _TREE_SET_LITERALS } from "../src/bpf/_execute_tree_set_nodes.ts";
import { _JOINT_LITERALS } from "../src/bpf/_execute_tree_joint_literals.ts";
import { _ENTRY_LITERALS } from "../src/bpf/_execute_entries.ts";
import { _restart } from "../src/bpf/_execute_tree_prefix.ts";
import type { _Single } from "../src/bpf/_execute_single.ts";
import type { _TreeNode } from "../src/bpf/_execute_tree_steps.ts";

const P = new Uint8Array(64);
const S = new Int32Array(20);
const end: _TreeNode = () => 0;
const R = new Int32Array(16).fill(1);
/** Calls `node` on the 64 zero bytes. */
const run = (node: _TreeNode) => node(P, 0, P.length, 0);
// deno-lint-ignore no-explicit-any
const call = (literal: (...operands: any[]) => _TreeNode, operands: unknown[]) =>
  run(literal(...operands, end, end));

// The test literals of trees inlined whole and of parts, every copy, by their operands.
const operands: Record<keyof typeof _TREE_LITERALS, unknown[]> = {
  testA: [0, -1, -1, 0, 0],
  equal1: [1, 0],
  equal2: [1, 0],
  equal4: [1, 0],
  equalX2: [S, 1, 0],
  range1: [1, 0, -1, -1, 0, 0],
  range2: [1, 0, -1, -1, 0, 0],
  range4: [1, 0, -1, -1, 0, 0],
  rangeX2: [S, 1, 0, -1, -1, 0, 0],
  header: [1, S],
};
for (const literals of [_TREE_LITERALS, _PART_LITERALS]) {
  for (const [kind, copies] of Object.entries(literals)) {
    const list = operands[kind as keyof typeof operands];
    for (const copy of copies) {
      if (kind === "header") run(copy(1, S, end));
      else call(copy, list);
    }
  }
}
for (const literals of [_TREE_SET_LITERALS, _PART_SET_LITERALS]) {
  for (const [kind, copies] of Object.entries(literals)) {
    for (const copy of copies) call(copy, kind === "setX2" ? [S, 1, 1, 2, 3, 4] : [1, 1, 2, 3, 4]);
  }
}
// The runs' and pairs' literals, and every other copy (`_execute_tree_second.ts`).
const pair = [1, 4, 0, -1, -1, 0, 0, true, 5, 2, 0, -1, -1, 0, 0, true];
const equalities = [1, 0, true, 5, 0, true];
call(_testRun, [R]);
call(_testPair, pair);
for (const literal of [_equalPair, _equalWords]) call(literal, equalities);
for (const [name, copy] of Object.entries(second)) {
  // A test's copy takes its operands; a run's, the cells.
  const first = /^_(\w+?)[234]$/.exec(name)![1];
  const given = first === "testRun" ? [R] : first === "equalPair" ? equalities : undefined;
  call(copy, given ?? operands[first as keyof typeof operands]);
}
run(_restart(S));
for (const joint of _JOINT_LITERALS) run(joint(end));
for (const { run: entry, runBatch } of _ENTRY_LITERALS) {
  entry(() => 0)(P);
  runBatch(() => {})(
    { bytes: P, offsets: new Uint32Array(0), capturedLengths: new Uint32Array(0) },
    new Uint32Array(0),
  );
}

// The literals only trees make (steps, fields, tests on X, on the length, at `[x + k]`, the
// returns, the entry bodies): programs whose every block the zero bytes reach, as trees.
const PROGRAMS = [
  // Steps on K, each kind once, then tests on A, on X, on the length.
  `ldb [1]
  mul #3
  add #1
  sub #1
  div #2
  mod #7
  and #0xff
  or #1
  xor #3
  lsh #2
  rsh #1
  neg
  st M[0]
  ldx M[0]
  add x
  ldx len
  jeq x, to_a, to_z
to_a: ret #1
to_z: ret #0`,
  // A test on the length, A returned.
  `ld len
  jgt #0, to_a, to_z
to_a: ret a
to_z: ret #0`,
  // Steps on X, moves, constants, scratch cells.
  `ldx #3
  ldb [1]
  add x
  sub x
  mul x
  div x
  mod x
  and x
  or x
  xor x
  lsh x
  rsh x
  tax
  txa
  stx M[1]
  ld #9
  st M[2]
  ld M[1]
  ldx M[2]
  add x
  jgt #100, to_c, to_d
to_c: ret #1
to_d: ret #0`,
  // Fields of each size (a load, shift, mask, add, tax), two of one size in a row, at [x + k].
  `ldb [2]
  rsh #1
  and #0xf
  add #4
  tax
  ldh [4]
  rsh #1
  and #0xff
  tax
  ldh [6]
  and #0xff
  add #1
  tax
  ldxb 4*([3]&0xf)
  ld [8]
  rsh #4
  and #0xf
  tax
  ldb [x + 1]
  rsh #1
  and #3
  add #1
  tax
  ld [x + 2]
  jeq #0, to_e, to_y
to_e: ret #1
to_y: ret #0`,
  // Tests at [x + k] of each size, equal and not, the header length (msh) before them.
  `ldxb 4*([0]&0xf)
  ldb [x + 1]
  jeq #0, to_f, to_g
to_f: ldh [x + 2]
  jeq #0, to_h, to_g
to_h: ld [x + 4]
  jeq #0, to_i, to_g
to_i: ldb [x + 8]
  jgt #5, to_g, to_j
to_j: ld [x + 12]
  jset #1, to_g, to_k
to_k: ldh [x + 16]
  jgt #5, to_g, to_l
to_l: ret #1
to_g: ret #0`,
];
const general = (): _Single => ({ run: () => 0, runBatch: () => {} });
for (const text of PROGRAMS) {
  const program: Instruction[] = assemble(text);
  const tree = _testTree(_removeKnownTests(_lower(program)), general, {
    steps: Infinity,
    conflicts: Infinity,
  });
  if (tree === undefined) throw new Error(`not a tree:\n${text}`);
  tree.run(P);
  tree.run(P, { dataOffset: 0 });
  tree.runBatch(
    { bytes: P, offsets: Uint32Array.of(0), capturedLengths: Uint32Array.of(P.length) },
    new Uint32Array(1),
  );
}
