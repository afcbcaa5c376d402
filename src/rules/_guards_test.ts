import assert from "node:assert/strict";
import { type _Guard, _GuardPool } from "./_guards.ts";

Deno.test("_GuardPool.share() gives equal guards one copy and keeps each list's guards and order", () => {
  const pool = new _GuardPool();
  const grown: _Guard[] = [];
  grown.push({ field: 1, mask: 0xffffffff, lo: 4, hi: 4 });
  grown.push({ field: 2, mask: 0xff, lo: 6, hi: 6 });
  const first = pool.share(grown);
  const second = pool.share([
    { field: 2, mask: 0xff, lo: 6, hi: 6 },
    { field: 3, mask: 0xffff, lo: 22, hi: 22 },
  ]);
  assert.deepEqual(first, grown);
  assert.equal(second[0], first[1]);
  assert.deepEqual(second[1], { field: 3, mask: 0xffff, lo: 22, hi: 22 });
  // Same field and mask, other values: not the same guard.
  assert.notEqual(pool.share([{ field: 2, mask: 0xff, lo: 6, hi: 7 }])[0], first[1]);
});
