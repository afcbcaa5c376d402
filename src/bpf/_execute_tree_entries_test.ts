import assert from "node:assert/strict";
import { compileClosure } from "./compile_closure.ts";
import { interpret } from "./interpret.ts";
import { _lower } from "./_lower.ts";
import { _removeKnownTests } from "./_known_tests.ts";
import { _closureTree, _FIRST_COPIES, _testTree } from "./_execute_tree.ts";
import * as copies from "./_execute_tree_second.ts";
import { _processTreeEntries, _TREE_ENTRIES, _TreeEntries } from "./_execute_tree_entries.ts";
import { compileFilter } from "../filter/mod.ts";
import type { Instruction } from "./instruction.ts";
import { _prng } from "../../tests/_fuzz.ts";
import { _packetsOf, _templateOf } from "../../tests/_backend_fuzz.ts";

const filter = (expression: string) => compileFilter(expression, { linkType: 1 });
const lowered = (program: Instruction[]) => _removeKnownTests(_lower(program));
/** Past the trees' bound on blocks (32). */
const PAST_BOUNDS = Array.from({ length: 9 }, (_, i) => `port ${i + 1}`).join(" or ");
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
  // `ip` is one operation, `vlan` a compare chain (no entry), the fifth past the trees' bounds.
  const expected = [true, false, true, true, false];
  for (let port = 1; port <= _TREE_ENTRIES + 2; port++) expected.push(port <= _TREE_ENTRIES - 3);
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
  };
  // Every copy the module exports (`_<name><2|3>`), so a new copy cannot go unchecked.
  const exported = Object.entries(copies);
  assert.ok(exported.length > 0);
  for (const [copyName, copy] of exported) {
    const match = /^_(\w+?)([23])$/.exec(copyName);
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
