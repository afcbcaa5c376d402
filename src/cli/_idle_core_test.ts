import assert from "node:assert/strict";
import { _idleCore } from "./_idle_core.ts";

Deno.test("_idleCore() wants half a core free after the load average", () => {
  assert.equal(_idleCore(1.4, 2), true);
  assert.equal(_idleCore(1.5, 2), true);
  assert.equal(_idleCore(1.6, 2), false);
  assert.equal(_idleCore(0.6, 1), false);
});

Deno.test("_idleCore() takes a core to be free where the load or the cores are unknown", () => {
  assert.equal(_idleCore(undefined, 2), true);
  assert.equal(_idleCore(Number.NaN, 2), true);
  assert.equal(_idleCore(9, undefined), true);
});
