import assert from "node:assert/strict";
import { longFunctions, TABLE_MARKER } from "./check_function_length.ts";

function _body(lines: number): string {
  return Array.from({ length: lines }, (_, i) => `  const v${i} = ${i};`).join("\n");
}

Deno.test("longFunctions() measures every kind of function from first to last line", () => {
  const source = [
    "/** Docs are not counted. */",
    `export function declared() {\n${_body(4)}\n}`,
    `const arrow = () => {\n${_body(4)}\n};`,
    `const expression = function () {\n${_body(4)}\n};`,
    `class K {\n  constructor() {\n${_body(4)}\n  }\n  method() {\n${_body(4)}\n  }\n}`,
    `call(() => {\n${_body(4)}\n});`,
    `function short() {\n${_body(3)}\n}`,
  ].join("\n");
  const found = longFunctions("a.ts", source, 5);
  assert.deepEqual(found.map((fn) => [fn.name, fn.line, fn.lines]), [
    ["declared", 2, 6],
    ["arrow", 8, 6],
    ["expression", 14, 6],
    ["constructor", 21, 6],
    ["method", 27, 6],
    ["(arrow passed to call)", 34, 6],
  ]);
});

Deno.test("longFunctions() measures a nested function on its own and inside the outer one", () => {
  const source = `function outer() {\n  function inner() {\n${_body(6)}\n  }\n}`;
  assert.deepEqual(longFunctions("b.ts", source, 7).map((fn) => [fn.name, fn.lines]), [
    ["outer", 10],
    ["inner", 8],
  ]);
});

Deno.test("longFunctions() skips a function marked as a table, and only that one", () => {
  const source = [
    `// ${TABLE_MARKER}`,
    "/** A table of cases. */",
    `function table() {\n${_body(8)}\n}`,
    "/** Docs. */",
    `// ${TABLE_MARKER}`,
    `const arrowTable = () => {\n${_body(8)}\n};`,
    `function notTable() {\n${_body(8)}\n}`,
    `// ${TABLE_MARKER}`,
    `Deno.test("a table", () => {\n${_body(8)}\n});`,
  ].join("\n");
  assert.deepEqual(longFunctions("c.ts", source, 5).map((fn) => fn.name), ["notTable"]);
});

Deno.test("longFunctions() ignores declarations without a body and short functions", () => {
  const source = `declare function f(): void;\ninterface I {\n  m(): void;\n}\nconst g = () => 1;`;
  assert.deepEqual(longFunctions("d.ts", source, 1), []);
});
