import assert from "node:assert/strict";
import { buildWorkbenchInChild } from "../tests/_build_workbench.ts";

const dist = new URL("./dist/", import.meta.url);

Deno.test({
  name: "web/dist is the current build of web/ (run `deno task build:web` after changing the page)",
  async fn() {
    const files = await buildWorkbenchInChild();
    const committed: string[] = [];
    for await (const entry of Deno.readDir(dist)) {
      if (entry.isFile) committed.push(entry.name);
      else {
        for await (const inner of Deno.readDir(new URL(`${entry.name}/`, dist))) {
          committed.push(`${entry.name}/${inner.name}`);
        }
      }
    }
    assert.deepEqual(committed.sort(), [...files.keys()].sort());
    for (const [path, bytes] of files) {
      const current = await Deno.readFile(new URL(path, dist));
      // A byte comparison, not deepEqual: its diff of two large arrays takes minutes.
      const same = current.length === bytes.length && current.every((b, i) => b === bytes[i]);
      assert.ok(same, `web/dist/${path} is stale: run \`deno task build:web\``);
    }
  },
});
