import assert from "node:assert/strict";
import { _syncBlockSource, type _SyncReader } from "./_sync_block_source.ts";
import { _sizedReader } from "./_test_io.ts";

/** An in-memory file whose reads return at most `sizes[k]` bytes, counting closes. */
function _reader(data: Uint8Array, sizes: number[]) {
  const state = { closed: 0 };
  const reader: _SyncReader = {
    ..._sizedReader(data, sizes),
    close: () => void state.closed++,
  };
  return { reader, state };
}

function _data(length: number): Uint8Array {
  const data = new Uint8Array(length);
  for (let i = 0; i < length; i++) data[i] = (i * 31 + (i >>> 9)) & 0xff;
  return data;
}

async function _readAll(
  source: ReturnType<typeof _syncBlockSource>,
  onBlock?: (block: Uint8Array) => void,
) {
  const parts: Uint8Array[] = [];
  for (let block; (block = await source.read()) !== null;) {
    onBlock?.(block);
    parts.push(block.slice());
    block.fill(0xee); // the source must not rely on a released block's bytes
    source.release(block);
  }
  source.close();
  return parts;
}

Deno.test("_syncBlockSource: blocks of a regular file are full until the end, in order", async () => {
  const data = _data(10_000);
  const { reader, state } = _reader(data, [1 << 30]);
  const parts = await _readAll(_syncBlockSource(reader, { blockSize: 4096 }));
  assert.deepEqual(parts.map((p) => p.length), [4096, 4096, 1808]);
  assert.deepEqual(new Uint8Array(parts.flatMap((p) => [...p])), data);
  assert.equal(state.closed, 1);
});

Deno.test("_syncBlockSource: pipe-like reads end a block at the first short read, nothing lost", async () => {
  const data = _data(300_000);
  // 65536 is a full pipe (more is waiting); anything shorter ends the block.
  for (const sizes of [[1], [7, 65536, 3], [65536, 65536, 1000], [0, 5, 0, 65536]]) {
    const { reader } = _reader(data, sizes);
    const parts = await _readAll(_syncBlockSource(reader, { blockSize: 1 << 17 }));
    assert.deepEqual(new Uint8Array(parts.flatMap((p) => [...p])), data, `reads ${sizes}`);
    assert.ok(parts.every((p) => p.length > 0 && p.length <= 1 << 17));
  }
});

Deno.test("_syncBlockSource reuses one buffer when each block is released before the next read", async () => {
  const { reader } = _reader(_data(50_000), [1 << 30]);
  const buffers = new Set<ArrayBufferLike>();
  await _readAll(_syncBlockSource(reader, { blockSize: 4096 }), (b) => void buffers.add(b.buffer));
  assert.equal(buffers.size, 1);
});

Deno.test("_syncBlockSource: a read error rejects after the blocks before it", async () => {
  const failure = new Error("Input/output error");
  let reads = 0;
  const source = _syncBlockSource({
    readSync(buffer) {
      if (reads++ === 1) throw failure;
      buffer.fill(1, 0, 10);
      return 10;
    },
  }, { blockSize: 64 });
  assert.deepEqual(await source.read(), new Uint8Array(10).fill(1));
  await assert.rejects(source.read(), (error) => error === failure);
  assert.equal(await source.read(), null, "ended after the error");
  source.close();
});

Deno.test("_syncBlockSource: close() ends reading, and leaves standard input open", async () => {
  const { reader, state } = _reader(_data(10_000), [100]);
  const source = _syncBlockSource(reader, { blockSize: 4096, closeReader: false });
  assert.ok(await source.read());
  source.close();
  source.close();
  assert.equal(await source.read(), null);
  assert.equal(state.closed, 0);
});

Deno.test("_syncBlockSource: reads into the pool's buffers first, gives them back, and reads on when it runs dry", async () => {
  const data = _data(50_000);
  const memory = new Uint8Array(4 * 4096);
  const lent = [false, false];
  const log: string[] = [];
  const pool = {
    take(size: number) {
      const slot = lent.indexOf(false);
      if (slot < 0 || size > 4096) return undefined;
      lent[slot] = true;
      log.push(`take ${slot}`);
      return memory.subarray(slot * 4096, slot * 4096 + size);
    },
    give(block: Uint8Array) {
      if (block.buffer !== memory.buffer) return false;
      const slot = block.byteOffset / 4096;
      lent[slot] = false;
      log.push(`give ${slot}`);
      return true;
    },
  };
  const { reader } = _reader(data, [1 << 30]);
  const source = _syncBlockSource(reader, { blockSize: 4096, pool });
  // Two blocks held at once: both slots lent; a third comes from the source's own buffers.
  const first = await source.read();
  const second = await source.read();
  const third = await source.read();
  assert.ok(first !== null && second !== null && third !== null);
  assert.equal(first.buffer, memory.buffer);
  assert.equal(second.buffer, memory.buffer);
  assert.notEqual(third.buffer, memory.buffer);
  const parts: Uint8Array[] = [first.slice(), second.slice(), third.slice()];
  for (const block of [first, second, third]) source.release(block);
  parts.push(...await _readAll(source));
  assert.deepEqual(new Uint8Array(parts.flatMap((p) => [...p])), data);
  assert.deepEqual(log.slice(0, 4), ["take 0", "take 1", "give 0", "give 1"]);
  assert.deepEqual(lent, [false, false]);
});

Deno.test("_syncBlockSource tells onPipe once, at the first read that stops at a full pipe's 64 KiB while more was asked", async () => {
  const data = _data(600_000);
  const cases: { sizes: number[]; blockSize: number; told: number | undefined; what: string }[] = [
    // A regular file: every read is as long as asked.
    { sizes: [1 << 30], blockSize: 1 << 18, told: undefined, what: "regular file" },
    // A pipe kept full by its writer: the first read already stops at 64 KiB.
    { sizes: [65536], blockSize: 1 << 18, told: 1, what: "full pipe" },
    // A writer that pauses (live capture) before it fills the pipe.
    { sizes: [1000, 65536], blockSize: 1 << 17, told: 2, what: "pause first" },
    { sizes: [4096, 1500, 60], blockSize: 1 << 17, told: undefined, what: "slow pipe" },
    // A block of exactly 64 KiB: a full read is all that was asked.
    { sizes: [65536], blockSize: 65536, told: undefined, what: "64 KiB blocks" },
  ];
  for (const { sizes, blockSize, told, what } of cases) {
    let reads = 0;
    const calls: number[] = [];
    const inner = _sizedReader(data, sizes);
    const reader: _SyncReader = {
      readSync(buffer) {
        reads++;
        return inner.readSync(buffer);
      },
    };
    const source = _syncBlockSource(reader, { blockSize, onPipe: () => void calls.push(reads) });
    const parts = await _readAll(source);
    assert.deepEqual(new Uint8Array(parts.flatMap((p) => [...p])), data, what);
    assert.deepEqual(calls, told === undefined ? [] : [told], what);
  }
});
