import assert from "node:assert/strict";
import { parse } from "acorn";
import { _calledFunctions, _startupRuns } from "./_startup_profile.ts";

const root = new URL("../", import.meta.url);
const dist = new URL("src/cli/dist/", root);

/** The offsets where a module's top-level function declarations begin. */
function _declarations(source: string): Map<number, string> {
  const body = (parse(source, { ecmaVersion: "latest", sourceType: "module" }) as unknown as {
    body: { type: string; start: number; id?: { name: string } }[];
  }).body;
  return new Map(
    body.filter((node) => node.type === "FunctionDeclaration").map((node) => [
      node.start,
      node.id!.name,
    ]),
  );
}

Deno.test("the CLI bundle's functions that a filter --expr run calls are compiled on load", async () => {
  const [run] = _startupRuns(root, "unused.rules");
  assert.deepEqual(run.args.slice(0, 4), ["filter", "--base", "link", "--expr"]);
  const called = await _calledFunctions(new URL("bpfstream.js", dist).pathname, [run]);
  // The run went through the bundle: its entry, the filter compiler...
  assert.ok([...called.keys()].some((name) => name.startsWith("filter_command-")));
  let eager = 0;
  for (const [name, starts] of called) {
    const source = await Deno.readTextFile(new URL(name, dist));
    const lazy = _declarations(source);
    // No function the run called is left a declaration (compiled on first call).
    const left = [...starts].filter((start) => lazy.has(start)).map((start) => lazy.get(start));
    assert.deepEqual(left, [], `${name}: ${left.join(", ")}`);
    eager += [...starts].filter((start) => source.slice(start - 1, start) === "(").length;
  }
  assert.ok(eager > 100, `${eager} eager functions called`);
});

Deno.test("the CLI bundle leaves functions no start-up run calls lazy (the trace command)", async () => {
  let found = false;
  for await (const entry of Deno.readDir(dist)) {
    const source = await Deno.readTextFile(new URL(entry.name, dist));
    const names = new Set(_declarations(source).values());
    if (names.has("_formatTrace")) found = true;
  }
  assert.ok(found);
});
