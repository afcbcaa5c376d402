import assert from "node:assert/strict";
import { _HeldBlockPool } from "./_held_block_pool.ts";
import type { _BlockPool } from "./_sync_block_source.ts";

Deno.test("_HeldBlockPool does not lend a held block again before its records were routed and the next block came back", () => {
  const pool = new _HeldBlockPool();
  const first = pool.take(64);
  assert.equal(pool.lends(first.subarray(0, 10)), true);
  pool.hold(first);
  assert.equal(pool.give(first), true);
  // Held: the next block is another buffer.
  const second = pool.take(64);
  assert.notEqual(second.buffer, first.buffer);
  pool.routed(); // first's records routed (written out with the next flush)
  pool.hold(second);
  assert.equal(pool.give(second), true); // first is free now; second is held
  const third = pool.take(64);
  assert.equal(third.buffer, first.buffer);
  assert.equal(pool.lends(second), false);
  assert.equal(pool.give(new Uint8Array(64)), false, "not one of the pool's blocks");
});

Deno.test("_HeldBlockPool frees a block routed before it came back as soon as it does", () => {
  const pool = new _HeldBlockPool();
  const block = pool.take(32);
  pool.hold(block);
  pool.routed(); // the end of the input: routed in the same push
  assert.equal(pool.give(block), true);
  assert.equal(pool.take(32).buffer, block.buffer);
});

Deno.test("_HeldBlockPool lends the inner pool's buffers first and gives them back to it", () => {
  const memory = new Uint8Array(256);
  let lent = 0;
  const inner: _BlockPool = {
    take: (size) =>
      lent < 2 ? memory.subarray(lent++ * 128, lent * 128).subarray(0, size) : undefined,
    give: (block) => block.buffer === memory.buffer && (lent--, true),
  };
  const pool = new _HeldBlockPool(inner);
  const a = pool.take(100), b = pool.take(100), c = pool.take(100);
  assert.equal(a.buffer, memory.buffer);
  assert.equal(b.buffer, memory.buffer);
  assert.notEqual(c.buffer, memory.buffer, "the inner pool had none left");
  pool.hold(a);
  pool.give(a);
  assert.equal(lent, 2, "held, not yet given back to the inner pool");
  pool.routed();
  pool.give(b);
  assert.equal(lent, 0);
});
