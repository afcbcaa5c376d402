import assert from "node:assert/strict";
import * as dispatch from "./_dispatch_code.ts";

/** The `case N: // NAME` labels of the dispatch loop's two files. */
async function caseLabels(): Promise<Map<string, number>> {
  const labels = new Map<string, number>();
  for (const file of ["./_execute.ts", "./_execute_step.ts"]) {
    const text = await Deno.readTextFile(new URL(file, import.meta.url));
    for (
      const [, number, name] of text.matchAll(
        /(?:case |K\[pc\] === )(\d+)\)?:? (?:\{ )?\/\/ (_[A-Z_0-9]+(?: \w+)?)/g,
      )
    ) {
      assert.ok(!labels.has(name), `${name} is handled twice`);
      labels.set(name, Number(number));
    }
  }
  return labels;
}

Deno.test("the dispatch loop's literal case labels are the encoder's operation numbers", async () => {
  const labels = await caseLabels();
  const operations = Object.entries(dispatch).filter(([name, value]) =>
    typeof value === "number" && name !== "_ALU_K" && name !== "_ALU_X"
  ) as [string, number][];
  assert.ok(operations.length > 30);
  for (const [name, value] of operations) assert.equal(labels.get(name), value, name);
  const names = ["add", "sub", "mul", "div", "mod", "and", "or", "xor", "lsh", "rsh"];
  names.forEach((op, i) => {
    assert.equal(labels.get(`_ALU_K ${op}`), dispatch._ALU_K + i);
    assert.equal(labels.get(`_ALU_X ${op}`), dispatch._ALU_X + i);
  });
  assert.equal(labels.size, operations.length + 2 * names.length);
});
