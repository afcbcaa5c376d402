import assert from "node:assert/strict";
import { compileClosure } from "./compile_closure.ts";
import { interpret } from "./interpret.ts";
import { _lower } from "./_lower.ts";
import { _removeKnownTests } from "./_known_tests.ts";
import { _optimizeProgram } from "./_optimize_program.ts";
import { _encodeDispatch, _RET } from "./_dispatch_code.ts";
import { _closureTree, _FIRST_COPIES, _testTree } from "./_execute_tree.ts";
import * as copies from "./_execute_tree_second.ts";
import { _processTreeEntries, _TREE_ENTRIES, _TreeEntries } from "./_execute_tree_entries.ts";
import { compileFilter } from "../filter/mod.ts";
import type { Instruction } from "./instruction.ts";
import { _prng, type _Random } from "../../tests/_fuzz.ts";
import { _oneOperationOf } from "../../tests/_process_closure_fuzz.ts";
import { validate } from "./validate.ts";
import type { PacketContext } from "./packet_context.ts";
import { _packetsOf, _templateOf } from "../../tests/_backend_fuzz.ts";

const filter = (expression: string) => compileFilter(expression, { linkType: 1 });
const lowered = (program: Instruction[]) => _removeKnownTests(_lower(program));
/**
 * Past every tree's bound on blocks (371 blocks: past the prefix trees' 256; nine ports became a
 * tree cut by joints with sets and the parts' copies, session 20).
 */
const PAST_BOUNDS = Array.from({ length: 90 }, (_, i) => `port ${i + 1}`).join(" or ");
const general = () => {
  throw new Error("not needed");
};

Deno.test("a tree takes one pair of entry literals, and none is left past the last", () => {
  const entries = new _TreeEntries();
  const tcp = lowered(filter("tcp port 80"));
  for (let n = 0; n < _TREE_ENTRIES; n++) {
    assert.equal(entries.available, true);
    assert.ok(_testTree(tcp, general, undefined, entries) !== undefined);
    assert.equal(entries.used, n + 1);
  }
  assert.equal(entries.available, false);
  assert.equal(_testTree(tcp, general, undefined, entries), undefined);
  assert.equal(entries.used, _TREE_ENTRIES);
  // A program that is no tree takes no pair.
  entries.reset();
  const loop = lowered(filter(PAST_BOUNDS));
  assert.equal(_closureTree(loop), undefined);
  assert.equal(_testTree(loop, general, undefined, entries), undefined);
  assert.equal(entries.used, 0);
  // Without entries (tests, fuzzers), every tree is made, through the shared literals.
  for (let n = 0; n < _TREE_ENTRIES + 2; n++) assert.ok(_testTree(tcp, general) !== undefined);
});

Deno.test("compileClosure gives entries to the first programs of the process only (one operation, trees); the others agree with interpret() through their shared literals", () => {
  _processTreeEntries.reset();
  const random = _prng(0x17e);
  const expressions = ["ip", "vlan", "udp", "tcp port 80", PAST_BOUNDS];
  for (let port = 1; port <= _TREE_ENTRIES + 2; port++) expressions.push(`udp port ${port}`);
  const trees: boolean[] = [];
  for (const expression of expressions) {
    const program = filter(expression);
    const before = _processTreeEntries.used;
    const run = compileClosure(program);
    trees.push(_processTreeEntries.used > before);
    const template = _templateOf(random);
    for (const packet of _packetsOf(random, template, program)) {
      assert.equal(run(packet), interpret(program, packet), `${expression} [${packet}]`);
      const context = { dataOffset: 2, wireLength: packet.length + 3 };
      assert.equal(run(packet, context), interpret(program, packet, context), expression);
    }
  }
  // `ip` is one operation, `vlan` a compare chain (both trees while pairs are left), the fifth
  // past the trees' bounds.
  const expected = [true, true, true, true, false];
  for (let port = 1; port <= _TREE_ENTRIES + 2; port++) expected.push(port <= _TREE_ENTRIES - 4);
  assert.deepEqual(trees, expected);
  assert.equal(_processTreeEntries.available, false);
  _processTreeEntries.reset();
});

Deno.test("the second copies of the test literals are the first ones written out again, and every entry pair is the same text", () => {
  const node = () => 0;
  const S = new Int32Array(20);
  const made = (factory: (...operands: never[]) => () => number, operands: unknown[]) =>
    String(factory(...(operands as never[])));
  const operands: Record<keyof typeof _FIRST_COPIES, unknown[]> = {
    testA: [0, -1, -1, 1, 0, node, node],
    equal1: [1, 2, node, node],
    equal2: [1, 2, node, node],
    equal4: [1, 2, node, node],
    equalX2: [S, 1, 2, node, node],
    range2: [1, 0, -1, -1, 1, 0, node, node],
    range4: [1, 0, -1, -1, 1, 0, node, node],
    rangeX2: [S, 1, 0, -1, -1, 1, 0, node, node],
    testRun: [S, node, node],
    equalPair: [1, 2, true, 3, 4, false, node, node],
  };
  // Every copy the module exports (`_<name><2|3>`), so a new copy cannot go unchecked.
  const exported = Object.entries(copies);
  assert.ok(exported.length > 0);
  for (const [copyName, copy] of exported) {
    const match = /^_(\w+?)([234])$/.exec(copyName);
    assert.ok(match !== null && match[1] in _FIRST_COPIES, `${copyName}: no first copy`);
    const name = match[1] as keyof typeof _FIRST_COPIES;
    const first = made(_FIRST_COPIES[name] as never, operands[name]);
    assert.equal(made(copy as never, operands[name]), first, copyName);
    assert.ok(first.startsWith(`function ${name}(`), first);
  }
  const entries = new _TreeEntries();
  const texts = new Set<string>();
  while (entries.available) {
    const { run, runBatch } = entries.take(() => 0, () => {});
    texts.add(`${run}\n${runBatch}`);
  }
  assert.equal(texts.size, 1);
});

Deno.test("every test node calls its two targets from one call site, with a store on the false arm", () => {
  // V8 inlines a call only if the site's share of the literal's calls is high enough, counted
  // over every tree of the process: with a site per target, another tree's outcomes decided
  // whether this tree's nodes were inlined (bench/RESULTS.md, session 19). One site alone makes
  // V8 compare the picked closure with each target before the inlined code; a store in one arm
  // (`mark`, a cell of the literal's own context) lets it reuse the test's branch instead
  // (bench/RESULTS.md, session 19, h19hyb).
  const files = [
    "./_execute_tree.ts",
    "./_execute_tree_second.ts",
    "./_execute_tree_runs.ts",
    "./_execute_tree_parts.ts",
  ];
  const literals = files.flatMap((file) => {
    const text = Deno.readTextFileSync(new URL(file, import.meta.url));
    return [
      ...text.matchAll(
        /\n {2}(\/\/ deno-lint-ignore no-unused-vars[^\n]*\n {2}let mark = 0;\n {2})?return function (\w+)\(P, B, LE[^)]*\): number \{\n(.*?)\n {2}\};/gs,
      ),
    ];
  });
  const tests = literals.filter(([, , , body]) => /\bf\b/.test(body));
  // testA ×3, testX, testLength, equal1 ×3, equal2 ×3, equal4 ×2, equalX1, equalX2 ×2, equalX4,
  // range1, range2 ×2, range4 ×2, rangeX2 ×2, range, testRun ×4, testPair, equalPair ×3,
  // equalWords; the parts' 36 (nine kinds ×4).
  assert.equal(tests.length, 70);
  for (const [, declared, name, body] of tests) {
    assert.equal(body.match(/\(P, B, LE, a\)/g)?.length, 1, `${name}: one call of a target`);
    assert.match(body, / \? t : \(mark = 0, f\)\)\(P, B, LE, a\);$/, name);
    assert.ok(declared !== undefined, `${name}: its own mark`);
  }
});

/** Packets of 0–40 bytes, random or holding one of the EtherTypes at 12. */
function packetsOf(random: _Random): Uint8Array[] {
  return Array.from({ length: 40 }, () => {
    const packet = Uint8Array.from({ length: random.int(41) }, () => random.int(256));
    if (packet.length >= 14 && random.chance(0.5)) {
      const type = random.pick([0x0800, 0x86dd, 0x0806, 0x8100]);
      packet[12] = type >>> 8;
      packet[13] = type & 0xff;
    }
    return packet;
  });
}

const CONTEXTS: PacketContext[] = [
  { dataOffset: 2 },
  { wireLength: 0 },
  { wireLength: 0xffffffff },
  { dataOffset: 3, end: 20, wireLength: 9 },
  { dataOffset: 2 ** 31 },
];

/**
 * A one-operation program whose jump compares with a field one of `packets`
 * holds at its load (when it has one), so that both targets are taken.
 */
function oneOperationOf(random: _Random, packets: readonly Uint8Array[]): Instruction[] {
  const program = _oneOperationOf(random);
  const { code, k } = program[0];
  const size = code === 0x30 ? 1 : code === 0x28 ? 2 : code === 0x20 ? 4 : 0;
  const packet = random.pick(packets);
  if (k + size <= packet.length && random.chance(0.8)) {
    let field = size === 0 ? packet.length : 0; // `len`: the packet's length
    for (let i = 0; i < size; i++) field = field * 256 + packet[k + i];
    const jump = program[program.length - 3];
    program[program.length - 3] = { ...jump, k: field };
    if (program.length === 5) program.splice(1, 1); // no `and`/`rsh`: the field itself
  }
  return program;
}

Deno.test("one-operation programs on packet bytes take a pair each (a tree), and agree with interpret() before and after V8 optimises them, with contexts; past the last pair, through the shared literals", () => {
  const random = _prng(0xe17);
  const packets = packetsOf(random);
  // Eight rounds: each copy runs eight programs (its first closure specialised, later ones not).
  for (let round = 0; round < 8; round++) {
    _processTreeEntries.reset();
    const programs: Instruction[][] = [];
    const runs: ((p: Uint8Array, c?: PacketContext) => number)[] = [];
    // Until every pair is taken, then 20 more programs.
    for (let past = 0; past < 20; past += _processTreeEntries.available ? 0 : 1) {
      const program = oneOperationOf(random, packets);
      validate(program);
      const before = _processTreeEntries.used;
      runs.push(compileClosure(program));
      programs.push(program);
      // Every one-operation test takes a pair while one is left (on packet bytes a tree's, on
      // `len` its single closure's), unless the optimiser folds it to `ret #k`.
      const folded =
        _encodeDispatch(_removeKnownTests(_lower(_optimizeProgram(program))))[0] === _RET;
      const took = !folded && before < _TREE_ENTRIES ? 1 : 0;
      assert.equal(_processTreeEntries.used - before, took, JSON.stringify(program));
    }
    assert.equal(_processTreeEntries.available, false);
    checkRuns(programs, runs, packets);
  }
  _processTreeEntries.reset();
});

/** Each program's results through one shared helper, hot, then with contexts. */
function checkRuns(
  programs: Instruction[][],
  runs: ((p: Uint8Array, c?: PacketContext) => number)[],
  packets: Uint8Array[],
): void {
  const expected = programs.map((program) => packets.map((p) => interpret(program, p)));
  // One helper for every program (V8's generic call), hot enough that V8 optimises each entry.
  const shared = (run: (p: Uint8Array) => number, packet: Uint8Array) => run(packet);
  for (let round = 0; round < 40; round++) {
    runs.forEach((run, n) => {
      packets.forEach((packet, i) => {
        const got = shared(run, packet);
        if (got !== expected[n][i]) {
          const program = JSON.stringify(programs[n]);
          assert.fail(`round ${round}, program ${n} ${program} [${packet}]: ${got}`);
        }
      });
    });
  }
  // With a context (and an explicit undefined one), after the entries were optimised without.
  runs.forEach((run, n) => {
    for (const packet of packets.slice(0, 10)) {
      assert.equal(run(packet, undefined), interpret(programs[n], packet));
      for (const context of CONTEXTS) {
        assert.equal(run(packet, context), interpret(programs[n], packet, context), `${n}`);
      }
    }
  });
}
