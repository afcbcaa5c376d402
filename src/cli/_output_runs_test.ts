import assert from "node:assert/strict";
import { _OutputRuns } from "./_output_runs.ts";

function _concat(parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}

function _block(length: number): Uint8Array {
  const block = new Uint8Array(length);
  for (let i = 0; i < length; i++) block[i] = (i * 13 + (i >>> 8)) & 0xff;
  return block;
}

Deno.test("_OutputRuns hands over every run in order, short ones gathered into one chunk", () => {
  const block = _block(4096);
  const runs = new _OutputRuns();
  const ranges: [number, number][] = [[0, 3], [10, 60], [100, 101], [200, 1200], [3000, 4096]];
  for (const [from, to] of ranges) runs.write(block, from, to);
  const chunks = runs.take();
  assert.equal(chunks.length, 1);
  assert.deepEqual(chunks[0], _concat(ranges.map(([f, t]) => block.subarray(f, t))));
  assert.equal(runs.bytesOut, chunks[0].length);
});

Deno.test("_OutputRuns passes long runs on as views of the input block, without a copy", () => {
  const block = _block(200_000);
  const runs = new _OutputRuns();
  runs.write(block, 0, 100);
  runs.write(block, 100, 150_000); // long: a view
  runs.write(block, 150_000, 150_040);
  runs.write(block, 160_000, 200_000); // long: a view
  const chunks = runs.take();
  assert.equal(chunks.length, 4);
  assert.equal(chunks[1].buffer, block.buffer);
  assert.equal(chunks[3].buffer, block.buffer);
  assert.notEqual(chunks[0].buffer, block.buffer);
  assert.deepEqual(
    _concat(chunks),
    _concat([block.subarray(0, 150_040), block.subarray(160_000, 200_000)]),
  );
});

Deno.test("_OutputRuns reuses its buffers after reset, and copies are not disturbed before", () => {
  const runs = new _OutputRuns();
  const first = _block(1000);
  runs.write(first, 0, 500);
  const [a] = runs.take();
  const kept = a.slice();
  runs.write(first, 500, 1000); // after take, before reset: a new part of the buffer
  assert.deepEqual(a, kept, "a taken chunk is intact until reset");
  const [b] = runs.take();
  runs.reset();
  runs.write(new Uint8Array(300).fill(9), 0, 300);
  const [c] = runs.take();
  assert.equal(c.buffer, a.buffer, "the buffer is filled again after reset");
  assert.equal(b.length, 500);
  assert.deepEqual(c, new Uint8Array(300).fill(9));
});

Deno.test("_OutputRuns gathers more than one buffer's worth from one block in order", () => {
  const block = _block(3 << 20);
  const runs = new _OutputRuns();
  const expected: Uint8Array[] = [];
  for (let at = 0; at + 20_000 <= block.length; at += 25_000) {
    runs.write(block, at, at + 20_000);
    expected.push(block.subarray(at, at + 20_000));
  }
  const chunks = runs.take();
  assert.ok(chunks.length >= 3);
  assert.deepEqual(_concat(chunks), _concat(expected));
});

Deno.test("_OutputRuns: after stop() nothing more is taken", () => {
  const runs = new _OutputRuns();
  runs.write(_block(100), 0, 100);
  runs.stop();
  assert.equal(runs.active, false);
  runs.write(_block(100), 0, 100);
  assert.deepEqual(runs.take(), []);
});

Deno.test("_OutputRuns.compactIn moves a block's runs to its front, one chunk after those gathered before", () => {
  const original = _block(100_000);
  const carry = _block(500).map((b) => b ^ 0x5a);
  const ranges: [number, number][] = [[0, 24], [24, 90], [300, 700], [701, 40_701], [
    90_000,
    100_000,
  ]];
  const block = original.slice();
  const runs = new _OutputRuns();
  runs.compactIn(block);
  runs.write(carry, 0, 500); // another array: gathered, and out first
  runs.compactIn(block);
  for (const [from, to] of ranges) runs.write(block, from, to);
  const chunks = runs.take();
  const moved = _concat(ranges.map(([f, t]) => original.subarray(f, t)));
  assert.equal(chunks.length, 2);
  assert.deepEqual(chunks[0], carry);
  assert.equal(chunks[1].buffer, block.buffer, "the moved runs are a view of the block");
  assert.equal(chunks[1].byteOffset, block.byteOffset);
  assert.deepEqual(chunks[1], moved);
  assert.equal(runs.bytesOut, 500 + moved.length);
});

Deno.test("_OutputRuns.compactIn: a run of another array before any moved run (the carried record) leaves the block's runs moved", () => {
  for (const carryLength of [60, 40_000]) { // gathered, and a direct view
    const original = _block(100_000);
    const carry = _block(carryLength).map((b) => b ^ 0x5a);
    const ranges: [number, number][] = [[0, 24], [300, 700], [701, 40_701], [90_000, 100_000]];
    const block = original.slice();
    const runs = new _OutputRuns();
    runs.compactIn(block); // once, before the carried record is routed, as the pipe does
    runs.write(carry, 0, carryLength);
    for (const [from, to] of ranges) runs.write(block, from, to);
    const chunks = runs.take();
    const moved = _concat(ranges.map(([f, t]) => original.subarray(f, t)));
    assert.equal(chunks.length, 2, `carry of ${carryLength}`);
    assert.deepEqual(chunks[0], carry);
    assert.equal(chunks[1].buffer, block.buffer, "the block's runs are moved, not copied out");
    assert.equal(chunks[1].byteOffset, block.byteOffset);
    assert.deepEqual(chunks[1], moved);
    assert.equal(runs.bytesOut, carryLength + moved.length);
    runs.reset();
  }
});

Deno.test("_OutputRuns.compactIn: a run of another array after moved runs keeps the order", () => {
  const original = _block(10_000);
  const other = new Uint8Array(64).fill(7);
  const block = original.slice();
  const runs = new _OutputRuns();
  runs.compactIn(block);
  runs.write(block, 100, 200);
  runs.write(block, 300, 400);
  runs.write(other, 0, 64);
  runs.write(block, 500, 9_000); // after the other array: gathered as before
  const out = _concat(runs.take());
  assert.deepEqual(
    out,
    _concat([
      original.subarray(100, 200),
      original.subarray(300, 400),
      other,
      original.subarray(500, 9_000),
    ]),
  );
  runs.reset();
  // Compaction lasts until take: the next round gathers unless asked again.
  runs.write(block, 0, 10);
  const [next] = runs.take();
  assert.notEqual(next.buffer, block.buffer);
});

Deno.test("_OutputRuns.compactIn: random runs of random blocks come out as the runs' bytes", () => {
  let seed = 7;
  const random = (n: number) => (seed = (seed * 1103515245 + 12345) >>> 0) % n;
  const runs = new _OutputRuns();
  for (let round = 0; round < 200; round++) {
    const original = _block(1 + random(70_000));
    const block = original.slice();
    const expected: Uint8Array[] = [];
    runs.compactIn(block);
    for (let at = random(50); at < block.length;) {
      const to = Math.min(block.length, at + 1 + random(round % 2 ? 40_000 : 600));
      if (random(3) > 0) {
        runs.write(block, at, to);
        expected.push(original.subarray(at, to));
      }
      at = to + random(round % 3 ? 300 : 1);
    }
    assert.deepEqual(_concat(runs.take()), _concat(expected), `round ${round}`);
    runs.reset();
  }
});

Deno.test("_OutputRuns.compactIn after stop() moves nothing and hands over nothing", () => {
  const original = _block(1000);
  const block = original.slice();
  const runs = new _OutputRuns();
  runs.stop();
  runs.compactIn(block);
  runs.write(block, 500, 1000);
  assert.deepEqual(runs.take(), []);
  assert.deepEqual(block, original);
});
