import assert from "node:assert/strict";
import { type _Guard, _GuardPool, _MAX_GUARDS, _selectiveFirst, _selectivity } from "./_guards.ts";

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

Deno.test("_selectiveFirst() orders as a stable sort by descending _selectivity, ties in their order", () => {
  let s = 0x5e1ec7;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0);
  };
  // Few distinct masks and widths: many ties, also between guards of different masks.
  const masks = [0, 0xff, 0xf0, 0xffff, 0xffff0000, 0xffffffff];
  const widths = [1, 2, 256, 65536, 2 ** 31, 2 ** 32];
  let ties = 0;
  for (let round = 0; round < 3000; round++) {
    const guards: _Guard[] = [];
    const n = next() % (_MAX_GUARDS + 1);
    for (let i = 0; i < n; i++) {
      const width = widths[next() % widths.length];
      const lo = width === 2 ** 32 ? 0 : next() % (2 ** 32 - width + 1);
      guards.push({
        field: next() % 4,
        mask: masks[next() % masks.length],
        lo,
        hi: lo + width - 1,
      });
    }
    const expected = guards.toSorted((a, b) => _selectivity(b) - _selectivity(a));
    const actual = _selectiveFirst(guards);
    assert.equal(actual.length, expected.length);
    actual.forEach((g, i) => assert.equal(g, expected[i], `round ${round}, guard ${i}`));
    for (let i = 1; i < n; i++) {
      if (_selectivity(expected[i]) === _selectivity(expected[i - 1])) ties++;
    }
  }
  assert.ok(ties > 1000, `${ties} ties`);
});
