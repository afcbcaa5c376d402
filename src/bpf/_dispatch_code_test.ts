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
    typeof value === "number" && name !== "_ALU_K" && name !== "_ALU_X" && name !== "_RET_PAIR"
  ) as [string, number][];
  assert.ok(operations.length > 30);
  for (const [name, value] of operations) assert.equal(labels.get(name), value, name);
  const names = ["add", "sub", "mul", "div", "mod", "and", "or", "xor", "lsh", "rsh"];
  names.forEach((op, i) => {
    assert.equal(labels.get(`_ALU_K ${op}`), dispatch._ALU_K + i);
    assert.equal(labels.get(`_ALU_X ${op}`), dispatch._ALU_X + i);
  });
  // The tests whose two targets may be returned constants.
  const pairs = [...labels.keys()].filter((name) => name.endsWith(" ret"));
  assert.ok(pairs.length >= 14);
  for (const name of pairs) {
    const base = name.slice(0, -" ret".length);
    assert.equal(labels.get(name), labels.get(base)! + dispatch._RET_PAIR, name);
  }
  assert.equal(labels.size, operations.length + 2 * names.length + pairs.length);
});
