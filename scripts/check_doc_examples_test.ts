import assert from "node:assert/strict";
import { unassertedExampleLines, unassertedExamples } from "./check_doc_examples.ts";

const _PRINTS = [
  "/**",
  " * Doubles.",
  " *",
  " * @example",
  " * ```ts",
  " * console.log(double(2)); // 4",
  " * ```",
  " */",
  "export function double(n: number) { return n * 2; }",
].join("\n");

const _ASSERTS = [
  "/**",
  " * @example Doubling",
  " * ```ts",
  ' * import assert from "node:assert/strict";',
  " * assert.equal(double(2), 4);",
  " * ```",
  " *",
  " * @example",
  " * ```ts",
  " * assert(double(1) > 0);",
  " * ```",
  " */",
].join("\n");

Deno.test("unassertedExampleLines() names only the examples with no assert call", () => {
  assert.deepEqual(unassertedExampleLines(_PRINTS), [4]);
  assert.deepEqual(unassertedExampleLines(_ASSERTS), []);
  assert.deepEqual(unassertedExampleLines(_ASSERTS + "\n" + _PRINTS), [16]);
  assert.deepEqual(unassertedExampleLines("export const x = 1;\n"), []);
});

Deno.test("unassertedExampleLines() ends an example at the next tag", () => {
  const source = [
    "/**",
    " * @example",
    " * ```ts",
    " * console.log(1);",
    " * ```",
    " * @example",
    " * ```ts",
    " * assert.equal(1, 1);",
    " * ```",
    " */",
  ].join("\n");
  assert.deepEqual(unassertedExampleLines(source), [2]);
});

Deno.test("unassertedExamples() walks a folder in path order", async () => {
  const folder = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${folder}/sub`);
    await Deno.writeTextFile(`${folder}/b.ts`, _PRINTS);
    await Deno.writeTextFile(`${folder}/sub/a.ts`, _PRINTS);
    await Deno.writeTextFile(`${folder}/ok.ts`, _ASSERTS);
    await Deno.writeTextFile(`${folder}/notes.md`, _PRINTS);
    assert.deepEqual(await unassertedExamples(folder), [
      { file: `${folder}/b.ts`, line: 4 },
      { file: `${folder}/sub/a.ts`, line: 4 },
    ]);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});
