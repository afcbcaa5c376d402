/**
 * The closure strategy's known tests (src/bpf/_known_tests.ts): a test that
 * a fact decides leaves A pending as the load that made it, to be loaded
 * again where A is read. When that load is `[x + k]` and X has changed since
 * A was loaded (here `ldx #3` between the load and the decided test), loading
 * it again reads the wrong byte: A must hold what the first load read.
 */
import assert from "node:assert/strict";
import { compile } from "../src/bpf/compile.ts";
import { interpret } from "../src/bpf/interpret.ts";
import type { Instruction } from "../src/bpf/instruction.ts";
import { assertBatchAgrees } from "./_batch_agreement.ts";

const op = (code: number, k = 0, jt = 0, jf = 0): Instruction => ({ code, jt, jf, k: k >>> 0 });

// 0: ldx #14; 1: ldb [x + 0]; 2: jeq #5, 3, 8 (a fact: [x + 0] = 5, X = 14)
// 3: ldx #3; 4: and #0xf; 5: jeq #5, 6, 7 (decided by the fact: A = [14] & 0xf, pending)
// 6: ret a (A must be [14] & 0xf = 5, not [3] & 0xf)
// 7: ret #0; 8..12: the first test again (so the fact is kept up to block 5)
const PROGRAM: Instruction[] = [
  op(0x01, 14),
  op(0x50, 0),
  op(0x15, 5, 0, 5),
  op(0x01, 3),
  op(0x54, 0xf),
  op(0x15, 5, 0, 1),
  op(0x16),
  op(0x06, 0),
  op(0x01, 14),
  op(0x50, 0),
  op(0x15, 5, 0, 1),
  op(0x06, 1),
  op(0x06, 2),
];

Deno.test("closure: a decided test's pending A loaded through X is not loaded again after X changed", () => {
  const packet = new Uint8Array(20);
  packet[14] = 5;
  packet[3] = 0x0a;
  assert.equal(interpret(PROGRAM, packet), 5);
  const closure = compile(PROGRAM, { strategy: "closure" });
  assert.equal(closure(packet), 5);
  const other = new Uint8Array(20);
  other[14] = 5;
  other[3] = 0x05;
  assertBatchAgrees(
    closure.runBatch!,
    PROGRAM,
    [packet, other, new Uint8Array(15)],
    "pending [x+k]",
  );
});
