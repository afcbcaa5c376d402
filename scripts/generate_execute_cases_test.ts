import assert from "node:assert/strict";
import { EXECUTE_FILE, generateCases, generatedRegion } from "./generate_execute_cases.ts";
import * as dispatch from "../src/bpf/_dispatch_code.ts";

/** Code without comments and whitespace: what `deno fmt` may change is not a difference. */
const bare = (text: string) => text.replace(/\/\/[^\n]*/g, "").replace(/\s+/g, "");

Deno.test("src/bpf/_execute.ts holds the fused-test cases the templates generate", async () => {
  const source = await Deno.readTextFile(EXECUTE_FILE);
  const { start, end } = generatedRegion(source);
  assert.equal(
    bare(source.slice(start, end)),
    bare(generateCases().join("\n")),
    "stale: run `deno run --allow-read --allow-write --allow-run scripts/generate_execute_cases.ts`",
  );
});

Deno.test("the generated cases cover each fused test and each of its variants once", () => {
  const labels = generateCases().join("\n").match(/case (\d+):/g)!.map((c) =>
    Number(c.slice(5, -1))
  );
  assert.equal(new Set(labels).size, labels.length, "a case label twice");
  const d = dispatch;
  const expected: number[] = [];
  const all = [0, d._RET_PAIR, d._TRUE_RETURNS, d._FALSE_RETURNS];
  for (
    const op of [
      d._T_A,
      d._T_B,
      d._T_H,
      d._T_W,
      d._T_IND_B,
      d._T_IND_H,
      d._T_IND_W,
      d._T_MSH_IND_B,
      d._T_MSH_IND_H,
      d._T_MSH_IND_W,
    ]
  ) {
    for (const v of all) expected.push(op + v);
  }
  for (const op of [d._T_B_EQ, d._T_H_EQ, d._T_W_EQ, d._T_A_EQ]) {
    for (const v of all) expected.push(op + v);
  }
  for (const op of [d._T_B_EQ2, d._T_H_EQ2, d._T_W_EQ2, d._T_A_EQ2]) {
    expected.push(op, op + d._FALSE_RETURNS);
  }
  // The equality lists on A, on [k] and after `ldx msh`, and the word pair, continuing or
  // returning at their end.
  for (let i = 0; i < 2 * d._EQN_RETFALSE; i++) expected.push(d._T_A_EQN + i);
  // The wire length's test: its variants have numbers of their own.
  expected.push(d._T_LEN, d._T_LEN_RET, d._T_LEN_RETTRUE, d._T_LEN_RETFALSE);
  // `_T_H_EQ retfalse` fused with each follower, whose case comes right after it.
  d._FOLLOWERS.forEach((op, i) => {
    expected.push(d._T_H_EQ_THEN + i);
    assert.equal(labels[labels.indexOf(d._T_H_EQ_THEN + i) + 1], op);
  });
  // The `_T_H_EQ2` chains (both forms) with a copy of each of their followers.
  const n = d._CHAIN_FOLLOWERS.length;
  for (let i = 0; i < 2 * n; i++) expected.push(d._T_H_EQ2_THEN + i);
  assert.deepEqual([...labels].sort((a, b) => a - b), expected.sort((a, b) => a - b));
});

Deno.test("generatedRegion() names the markers when they are missing", () => {
  assert.throws(() => generatedRegion("no markers"), /BEGIN GENERATED/);
});
