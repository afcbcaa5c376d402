import assert from "node:assert/strict";
import * as dispatch from "./_dispatch_code.ts";

/**
 * The `case N: // NAME` labels of the dispatch loop's two files (an operation
 * may be handled in both: the inner loop's fast case and `_step`'s general one).
 */
async function caseLabels(): Promise<Map<string, number>> {
  const labels = new Map<string, number>();
  for (const file of ["./_execute.ts", "./_execute_step.ts"]) {
    const text = await Deno.readTextFile(new URL(file, import.meta.url));
    const seen = new Set<string>();
    for (
      const [, number, name] of text.matchAll(
        /(?:case |K\[pc\] === )(\d+)\)?:? (?:\{ )?\/\/ (_[A-Z_0-9]+(?: \w+)?)/g,
      )
    ) {
      assert.ok(!seen.has(name), `${name} is handled twice in ${file}`);
      seen.add(name);
      if (labels.has(name)) assert.equal(labels.get(name), Number(number), name);
      labels.set(name, Number(number));
    }
  }
  return labels;
}

Deno.test("the dispatch loop's literal case labels are the encoder's operation numbers", async () => {
  const labels = await caseLabels();
  const operations = Object.entries(dispatch).filter(([name, value]) =>
    typeof value === "number" && name !== "_ALU_K" && name !== "_ALU_X" &&
    !["_RET_PAIR", "_TRUE_RETURNS", "_FALSE_RETURNS", "_EQN_RETFALSE"].includes(name) &&
    !name.startsWith("_T_LEN_RET") && // `_T_LEN`'s variants, checked with the others below
    name !== "_T_H_EQ_THEN" && name !== "_T_H_EQ2_THEN" // fused: generate_execute_cases_test.ts
  ) as [string, number][];
  assert.ok(operations.length > 30);
  for (const [name, value] of operations) assert.equal(labels.get(name), value, name);
  const names = ["add", "sub", "mul", "div", "mod", "and", "or", "xor", "lsh", "rsh"];
  names.forEach((op, i) => {
    assert.equal(labels.get(`_ALU_K ${op}`), dispatch._ALU_K + i);
    assert.equal(labels.get(`_ALU_X ${op}`), dispatch._ALU_X + i);
  });
  // The tests whose targets may be returned constants: both, only the true one, only the false one.
  const offsets: Record<string, number> = {
    ret: dispatch._RET_PAIR,
    rettrue: dispatch._TRUE_RETURNS,
    retfalse: dispatch._FALSE_RETURNS,
    retend: dispatch._EQN_RETFALSE, // an equality list returning its last false target
  };
  const variants = [...labels.keys()].filter((name) => / ret(true|false|end)?$/.test(name));
  assert.ok(variants.length >= 14 + 11 + 15 + 3);
  for (const name of variants) {
    const [base, kind] = name.split(" ");
    // `_T_LEN`'s variants have numbers of their own (`_T_LEN_RET`); the others are offsets.
    const expected = base === "_T_LEN"
      ? dispatch._lengthTestVariant(offsets[kind])
      : labels.get(base)! + offsets[kind];
    assert.equal(labels.get(name), expected, name);
  }
  assert.equal(labels.size, operations.length + 2 * names.length + variants.length);
});
