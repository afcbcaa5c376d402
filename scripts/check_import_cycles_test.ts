import assert from "node:assert/strict";
import { findCycles, folderGraph, importSpecifiers } from "./check_import_cycles.ts";

Deno.test("importSpecifiers() reads code imports and re-exports, not comments", () => {
  const source = [
    "/** @example",
    ' * import { x } from "./self.ts";',
    " */",
    'import { a } from "./a.ts";',
    'import type { B } from "../b/b.ts";',
    'export * from "./c.ts";',
    'export { d } from "./d.ts";',
    'import "./side_effect.ts";',
    'type E = import("./e.ts").E;',
    '// import { f } from "./f.ts";',
    'import { g } from "npm:hono@4";',
  ].join("\n");
  assert.deepEqual(importSpecifiers(source), [
    "./a.ts",
    "../b/b.ts",
    "./c.ts",
    "./d.ts",
    "./side_effect.ts",
    "./e.ts",
  ]);
});

Deno.test("findCycles() finds every strongly connected component and self-import", () => {
  const graph = new Map([
    ["a", ["b"]],
    ["b", ["c"]],
    ["c", ["a", "d"]],
    ["d", ["e"]],
    ["e", []],
    ["f", ["f"]],
    ["g", ["missing"]],
  ]);
  assert.deepEqual(findCycles(graph), [["a", "b", "c"], ["f"]]);
  assert.deepEqual(findCycles(new Map([["a", ["b"]], ["b", []]])), []);
});

Deno.test("findCycles() handles a long chain without recursion", () => {
  const graph = new Map<string, string[]>();
  for (let i = 0; i < 100_000; i++) graph.set(`m${i}`, [`m${i + 1}`]);
  graph.set("m100000", ["m0"]);
  const cycles = findCycles(graph);
  assert.equal(cycles.length, 1);
  assert.equal(cycles[0].length, 100_001);
});

Deno.test("folderGraph() joins modules into folders and finds folder cycles", () => {
  const graph = new Map([
    ["src/cli/a.ts", ["src/server/b.ts", "src/cli/c.ts"]],
    ["src/cli/c.ts", []],
    ["src/server/b.ts", ["src/cli/c.ts"]],
    ["src/bpf/x.ts", []],
  ]);
  const folders = folderGraph(graph);
  assert.deepEqual(folders.get("src/cli"), ["src/server"]);
  assert.deepEqual(findCycles(folders), [["src/cli", "src/server"]]);
});
