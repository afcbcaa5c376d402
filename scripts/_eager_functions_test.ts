import assert from "node:assert/strict";
import { _eagerFunctions } from "./_eager_functions.ts";

/** Evaluates `source` as a module; its `result` export. */
async function _evaluate(source: string): Promise<unknown> {
  const url = `data:text/javascript;base64,${btoa(source)}`;
  return (await import(url)).result;
}

const _MODULE = `// banner
import { strict as assert } from "node:assert";
const early = twice(21);
export class Counter {
  count = 0;
  add() { return ++this.count; }
}
function twice(x) {
  return \`\${x}\`.length > 0 ? 2 * x : 0;
}
async function later(x) { return twice(x) + 1; }
function* pairs() { yield 1; yield twice(1); }
export function exported(x) { return x - 1; }
const text = \`}
function notOne() {}
\`;
assert.equal(typeof notOne, "undefined");
export const result = [early, await later(1), [...pairs()], exported(1), text.length, new Counter().add()];
`;

Deno.test("_eagerFunctions() rewrites top-level function declarations as parenthesized expressions", () => {
  const out = _eagerFunctions(_MODULE);
  assert.match(out, /^var twice = \(function twice\(x\) \{/m);
  assert.match(out, /^var later = \(async function later\(x\)/m);
  assert.match(out, /^var pairs = \(function\* pairs\(\)/m);
  // Exported declarations, class methods and text inside template literals are left alone.
  assert.match(out, /^export function exported\(x\)/m);
  assert.match(out, /^function notOne\(\) \{\}$/m);
  assert.ok(out.startsWith('// banner\nimport { strict as assert } from "node:assert";\n'));
  // The rewritten functions come right after the imports, before any statement uses them.
  assert.ok(out.indexOf("var twice") < out.indexOf("const early"));
});

Deno.test("_eagerFunctions() keeps what the module computes (a call before the declaration included)", async () => {
  const expected = await _evaluate(_MODULE);
  assert.deepEqual(expected, [42, 3, [1, 2], 0, 23, 1]);
  assert.deepEqual(await _evaluate(_eagerFunctions(_MODULE)), expected);
});

Deno.test("_eagerFunctions() leaves a module without function declarations as it is", () => {
  const source = "export const a = 1;\nexport class B {}\n";
  assert.equal(_eagerFunctions(source), source);
});
