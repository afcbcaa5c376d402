import assert from "node:assert/strict";
import { _WorkerBlockSource } from "./_worker_block_source.ts";

const WORKER = new URL("./_read_worker.ts", import.meta.url);

function _worker(): Worker {
  return new Worker(WORKER, { type: "module" });
}

Deno.test("_WorkerBlockSource reads a file in order through a small pool of reused buffers", async () => {
  const data = new Uint8Array(100_000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >>> 8)) & 0xff;
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeFile(path, data);
    const source = new _WorkerBlockSource(_worker(), { path, blockSize: 4096, buffers: 2 });
    const got = new Uint8Array(data.length);
    let at = 0;
    let blocks = 0;
    try {
      for (let block; (block = await source.read()) !== null;) {
        assert.ok(block.length > 0 && block.length <= 4096);
        got.set(block, at);
        at += block.length;
        blocks++;
        block.fill(0xee); // the worker must not rely on what it gets back
        source.release(block);
      }
    } finally {
      source.close();
    }
    assert.equal(at, data.length);
    assert.deepEqual(got, data);
    assert.ok(blocks >= data.length / 4096, `${blocks} blocks from 2 buffers`);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("_WorkerBlockSource rejects with the worker's error for a missing file", async () => {
  const source = new _WorkerBlockSource(_worker(), { path: "/nonexistent/bpfstream.pcap" });
  try {
    await assert.rejects(source.read(), (error: Error) => error.name === "NotFound");
  } finally {
    source.close();
  }
});

Deno.test("_WorkerBlockSource: close() ends a pending read with null", async () => {
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeFile(path, new Uint8Array(50_000));
    const source = new _WorkerBlockSource(_worker(), { path, blockSize: 1024, buffers: 1 });
    const first = await source.read();
    assert.ok(first !== null);
    // Not released: the worker has no buffer left, so the next read waits.
    const pending = source.read();
    source.close();
    assert.equal(await pending, null);
    assert.equal(await source.read(), null);
  } finally {
    await Deno.remove(path);
  }
});
