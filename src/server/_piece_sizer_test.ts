import assert from "node:assert/strict";
import { _PIECE_FIRST, _PIECE_LEAST, _PIECE_MOST, _PieceSizer } from "./_piece_sizer.ts";

Deno.test("piece sizer: a stream starts with small pieces and doubles them while routing is fast", () => {
  const sizer = new _PieceSizer();
  assert.equal(sizer.size, _PIECE_FIRST);
  const seen: number[] = [];
  while (sizer.size < _PIECE_MOST) {
    seen.push(sizer.size);
    sizer.observe(sizer.size, 0.1);
  }
  assert.deepEqual(seen, [256, 512, 1024, 2048, 4096, 8192, 16384, 32768]);
  sizer.observe(sizer.size, 0.1);
  assert.equal(sizer.size, _PIECE_MOST, "never above the largest piece");
});

Deno.test("piece sizer: slow pieces halve the size down to one small frame, partial pieces say nothing", () => {
  const sizer = new _PieceSizer();
  sizer.observe(sizer.size - 1, 50);
  assert.equal(sizer.size, _PIECE_FIRST, "a piece shorter than the size is not counted");
  sizer.observe(sizer.size, 50);
  assert.equal(sizer.size, _PIECE_LEAST);
  sizer.observe(sizer.size, 50);
  assert.equal(sizer.size, _PIECE_LEAST, "never below the smallest piece");
  sizer.observe(sizer.size, 1);
  assert.equal(sizer.size, _PIECE_LEAST, "between 0.5 and 2 ms the size stays");
  sizer.observe(sizer.size, 0.2);
  assert.equal(sizer.size, 2 * _PIECE_LEAST);
});
