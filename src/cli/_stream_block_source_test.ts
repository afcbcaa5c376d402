import assert from "node:assert/strict";
import { _streamBlockSource } from "./_stream_block_source.ts";

Deno.test("_streamBlockSource yields the stream's non-empty chunks, then null", async () => {
  const chunks = [new Uint8Array([1, 2]), new Uint8Array(0), new Uint8Array([3])];
  const source = _streamBlockSource(ReadableStream.from(chunks));
  assert.deepEqual(await source.read(), new Uint8Array([1, 2]));
  assert.deepEqual(await source.read(), new Uint8Array([3]));
  assert.equal(await source.read(), null);
  source.close();
});

Deno.test("_streamBlockSource: close() cancels the stream and ends a pending read", async () => {
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull: () => new Promise(() => {}), // never delivers
    cancel: () => void (cancelled = true),
  });
  const source = _streamBlockSource(stream);
  const pending = source.read();
  source.close();
  assert.equal(await pending, null);
  assert.ok(cancelled);
});
