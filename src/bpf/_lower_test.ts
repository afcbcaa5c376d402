import assert from "node:assert/strict";
import { _lower } from "./_lower.ts";
import { parseBytecode } from "./parse_bytecode.ts";
import { BPF_JEQ, BPF_JSET } from "./opcodes.ts";

Deno.test("_lower() fuses a load, its and/rsh run and the jump into one test", () => {
  // ldh [20]; rsh #4; and #0xff; jset #0x1f, 4, 5 (tcpdump writes such runs for bit fields)
  const { blocks } = _lower(
    parseBytecode("6,40 0 0 20,116 0 0 4,84 0 0 255,69 0 1 31,6 0 0 1,6 0 0 0,"),
  );
  assert.equal(blocks.length, 3);
  assert.deepEqual(blocks[0].steps, []);
  assert.deepEqual(blocks[0].exit, {
    kind: "test",
    producer: { kind: "load", offset: 20, size: 2, checked: true },
    shift: 4,
    mask: 0xff >>> 0,
    op: BPF_JSET,
    useX: false,
    k: 31,
    rangeMask: 31,
    low: 1,
    span: 0xfffffffe,
    whenTrue: 1,
    whenFalse: 2,
  });
  assert.deepEqual(blocks[1].exit, { kind: "return", value: 1 });
});

Deno.test("_lower() hoists one bounds check over a block's loads and keeps the last for its test", () => {
  // ldb [23]; st M[0]; ldh [12]; jeq #0x800 — two loads: the block checks 14 bytes once.
  const { blocks } = _lower(
    parseBytecode("6,48 0 0 23,2 0 0 0,40 0 0 12,21 0 1 2048,6 0 0 1,6 0 0 0,"),
  );
  assert.equal(blocks[0].need, 24);
  assert.deepEqual(blocks[0].steps, [
    { kind: "load", offset: 23, size: 1, checked: false },
    { kind: "store", from: "a", cell: 0 },
  ]);
  const exit = blocks[0].exit;
  assert.equal(exit.kind, "test");
  assert.equal(exit.kind === "test" && exit.op, BPF_JEQ);
  assert.deepEqual(exit.kind === "test" && exit.producer, {
    kind: "load",
    offset: 12,
    size: 2,
    checked: false,
  });
});

Deno.test("_lower() turns ja, fall-throughs and equal jump targets into gotos", () => {
  // ja +1; ret #1; jeq #0, 0, 0 (both to the next); ret #2
  const { blocks, backward } = _lower(parseBytecode("4,5 0 0 1,6 0 0 1,21 0 0 0,6 0 0 2,"));
  assert.equal(backward, false);
  assert.deepEqual(blocks.map((b) => b.exit), [
    { kind: "goto", to: 2, backward: false },
    { kind: "return", value: 1 },
    { kind: "goto", to: 3, backward: false },
    { kind: "return", value: 2 },
  ]);
});
