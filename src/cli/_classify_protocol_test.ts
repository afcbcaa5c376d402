import assert from "node:assert/strict";
import { _READY, _waitFor } from "./_classify_protocol.ts";

Deno.test("_waitFor: true once the slot holds the value, false when the time runs out", () => {
  const control = new Int32Array(new SharedArrayBuffer(16));
  control[1] = 7;
  assert.equal(_waitFor(control, 1, 7, 0), true);
  // Nobody stores 8 (a worker that died): the wait ends instead of blocking forever.
  assert.equal(_waitFor(control, 1, 8, 50), false);
  assert.equal(control[1], 7);
});

Deno.test("_waitFor: false at once when the worker marked itself failed (no wait for the time to run out)", () => {
  const control = new Int32Array(new SharedArrayBuffer(64));
  control[_READY] = -1;
  const began = performance.now();
  assert.equal(_waitFor(control, 1, 8, 60_000), false);
  // Bounded by one wait slice, not the 60 s answer time.
  assert.ok(performance.now() - began < 30_000);
  control[_READY] = 1;
  assert.equal(_waitFor(control, 1, 8, 50), false);
});
