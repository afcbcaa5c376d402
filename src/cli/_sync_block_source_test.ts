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

Deno.test("_syncBlockSource: each pipe-like read that comes back short is a block of its own, nothing lost", async () => {
  const data = _data(300_000);
  // A read that returns less than the block's room (a pipe hands over what
  // is waiting, 64 KiB at most) is routed at once: no read waits on an
  // emptied pipe while bytes sit in a block.
  for (const sizes of [[1], [7, 65536, 3], [65536, 65536, 1000], [0, 5, 0, 65536], [1 << 17]]) {
    const { reader } = _reader(data, sizes);
    const parts = await _readAll(_syncBlockSource(reader, { blockSize: 1 << 17 }));
    assert.deepEqual(new Uint8Array(parts.flatMap((p) => [...p])), data, `reads ${sizes}`);
    // The blocks are the reads, in order (the empty ones skipped).
    const expected: number[] = [];
    for (let at = 0, k = 0; at < data.length; k++) {
      const n = Math.min(sizes[k % sizes.length], 1 << 17, data.length - at);
      if (n > 0) expected.push(n);
      at += n;
    }
    assert.deepEqual(parts.map((p) => p.length), expected, `reads ${sizes}`);
  }
});

Deno.test("_syncBlockSource: a read is never held back waiting for the next one", async () => {
  // A live capture: the second read would block; the first read's bytes
  // must already have been handed over by then.
  const data = _data(1000);
  let reads = 0;
  let handedOver = 0;
  const source = _syncBlockSource({
    readSync(buffer) {
      reads++;
      if (reads === 1) {
        buffer.set(data.subarray(0, 600));
        return 600;
      }
      if (reads === 2) {
        assert.equal(handedOver, 600, "the first read's bytes left before the second read");
        buffer.set(data.subarray(600));
        return 400;
      }
      assert.equal(handedOver, 1000);
      return null;
    },
  }, { blockSize: 4096 });
  const parts: Uint8Array[] = [];
  for (let block; (block = await source.read()) !== null;) {
    handedOver += block.length;
    parts.push(block.slice());
    source.release(block);
  }
  source.close();
  assert.deepEqual(parts.map((p) => p.length), [600, 400]);
  assert.deepEqual(new Uint8Array(parts.flatMap((p) => [...p])), data);
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

Deno.test("_syncBlockSource: after a read that found the pipe full, the next block follows in the same buffer", async () => {
  const data = _data(5000);
  // Reads of 100 are "full" here (fullRead 100); a buffer holds 350.
  const { reader } = _reader(data, [100, 100, 100, 100, 30, 100, 7]);
  const source = _syncBlockSource(reader, { blockSize: 350, fullRead: 100 });
  const held: Uint8Array[] = [];
  const seen: string[] = [];
  let bytes = 0;
  for (let block; (block = await source.read()) !== null;) {
    seen.push(`${block.length}${source.more ? "+" : ""}`);
    if (held.length > 0) {
      // Adjacent to the block before, in the same memory.
      const last = held[held.length - 1];
      assert.equal(block.buffer, last.buffer);
      assert.equal(block.byteOffset, last.byteOffset + last.length);
    }
    held.push(block);
    if (source.more) continue;
    // The held blocks are intact until released.
    for (const h of held) {
      assert.deepEqual(h, data.subarray(bytes, bytes + h.length));
      bytes += h.length;
    }
    for (const h of held) source.release(h);
    held.length = 0;
  }
  source.close();
  assert.equal(bytes, data.length);
  // 100+ 100+ 100 (room left < 100: the buffer ends), 100+ 30 (short), ...
  assert.deepEqual(seen.slice(0, 7), ["100+", "100+", "100", "100+", "30", "100+", "7"]);
  assert.equal(source.more, false);
});

Deno.test("_syncBlockSource recycles a buffer once the last block read into it is released", async () => {
  const { reader } = _reader(_data(20_000), [100]);
  const source = _syncBlockSource(reader, { blockSize: 400, fullRead: 100 });
  const buffers = new Set<ArrayBufferLike>();
  for (;;) {
    const held: Uint8Array[] = [];
    let block;
    while ((block = await source.read()) !== null) {
      buffers.add(block.buffer);
      held.push(block);
      if (!source.more) break;
    }
    // Released last first: the buffer goes back only with its last block.
    for (const h of held.reverse()) source.release(h);
    if (block === null) break;
  }
  source.close();
  assert.equal(buffers.size, 1, "one buffer, read into again and again");
});

Deno.test("_syncBlockSource gives a pool's buffer back once its last block is released", async () => {
  const memory = new Uint8Array(1000);
  const log: string[] = [];
  const pool = {
    take: (size: number) => (log.push("take"), memory.subarray(0, size)),
    give: (block: Uint8Array) => {
      if (block.buffer !== memory.buffer) return false;
      assert.equal(block.byteOffset, 0, "the whole buffer comes back");
      assert.equal(block.length, 400);
      log.push("give");
      return true;
    },
  };
  const data = _data(700);
  const { reader } = _reader(data, [100, 100, 50, 1000]);
  const source = _syncBlockSource(reader, { blockSize: 400, fullRead: 100, pool });
  const first = await source.read();
  const second = await source.read();
  const third = await source.read();
  assert.ok(first && second && third);
  assert.equal(source.more, false);
  source.release(first);
  source.release(second);
  assert.deepEqual(log, ["take"], "not given back while its last block is out");
  source.release(third);
  assert.deepEqual(log, ["take", "give"]);
  const rest = await source.read();
  assert.deepEqual(rest, data.subarray(250, 650));
  source.release(rest!);
  assert.deepEqual(await source.read(), data.subarray(650));
  source.close();
});

Deno.test("_syncBlockSource with gather reads on into a block while reads come back full", async () => {
  const data = _data(5000);
  const { reader } = _reader(data, [100, 100, 100, 100, 30, 100, 7]);
  const source = _syncBlockSource(reader, { blockSize: 350, fullRead: 100, gather: true });
  const seen: number[] = [];
  const parts = await _readAll(source, (block) => {
    seen.push(block.length);
    assert.equal(source.more, false, "a gathered block is whole");
  });
  assert.deepEqual(new Uint8Array(parts.flatMap((p) => [...p])), data);
  // 100+100+100 (the buffer's room ends), 100+30 (short), 100+7 (short), ...
  assert.deepEqual(seen.slice(0, 3), [300, 130, 107]);
});

Deno.test("_syncBlockSource with gather: a read error mid-block hands over the bytes before it, then rejects", async () => {
  const failure = new Error("Input/output error");
  const data = _data(1000);
  let at = 0;
  const source = _syncBlockSource({
    readSync(buffer) {
      if (at >= 200) throw failure;
      buffer.set(data.subarray(at, at + 100));
      at += 100;
      return 100;
    },
  }, { blockSize: 1000, fullRead: 100, gather: true });
  assert.deepEqual(await source.read(), data.subarray(0, 200));
  await assert.rejects(source.read(), (error) => error === failure);
  assert.equal(await source.read(), null);
  source.close();
});
