import assert from "node:assert/strict";
import { _readAhead } from "./_read_ahead.ts";

function _source(chunks: Uint8Array[], error?: Error) {
  let i = 0;
  let cancelled: unknown = undefined;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]);
      else if (error) controller.error(error);
      else controller.close();
    },
    cancel(reason) {
      cancelled = reason ?? "cancelled";
    },
  }, { highWaterMark: 0 });
  return { stream, read: () => i, cancelled: () => cancelled };
}

async function _all(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const chunk of stream) out.push(chunk);
  return out;
}

function _concat(chunks: Uint8Array[]): Uint8Array {
  return new Uint8Array(chunks.flatMap((c) => [...c]));
}

Deno.test("_readAhead hands on the same bytes, in order, for any chunking", async () => {
  let seed = 5;
  for (let round = 0; round < 50; round++) {
    const chunks: Uint8Array[] = [];
    for (let n = seed % 20; n > 0; n--) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      chunks.push(Uint8Array.from({ length: (seed >>> 8) % 300 }, (_, i) => (i + seed) & 0xff));
    }
    const out = await _all(_readAhead(_source(chunks).stream, { maxChunkBytes: 256 }));
    assert.deepEqual(_concat(out), _concat(chunks));
    for (const chunk of out) assert.ok(chunk.length > 0);
  }
});

Deno.test("_readAhead reads the source without waiting for the consumer and joins what queued up", async () => {
  const chunks = Array.from({ length: 10 }, (_, i) => new Uint8Array(100).fill(i));
  const source = _source(chunks);
  const stream = _readAhead(source.stream, { maxChunkBytes: 450 });
  for (let i = 0; i < 20 && source.read() < 10; i++) await new Promise((r) => setTimeout(r, 0));
  assert.equal(source.read(), 10); // all read before the consumer asked
  const out = await _all(stream);
  assert.deepEqual(out.map((c) => c.length), [400, 400, 200]);
  assert.deepEqual(_concat(out), _concat(chunks));
});

Deno.test("_readAhead passes on a source error after the chunks read before it", async () => {
  const error = new Error("connection reset");
  const reader = _readAhead(_source([new Uint8Array([1, 2])], error).stream).getReader();
  assert.deepEqual((await reader.read()).value, new Uint8Array([1, 2]));
  await assert.rejects(reader.read(), (e) => e === error);
});

Deno.test("_readAhead: cancelling the result cancels the source", async () => {
  let cancelled: unknown;
  const never = new ReadableStream<Uint8Array>({ cancel: (reason) => void (cancelled = reason) });
  await _readAhead(never).cancel("client gone");
  assert.equal(cancelled, "client gone");
});
