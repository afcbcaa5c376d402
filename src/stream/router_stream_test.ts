import assert from "node:assert/strict";
import { CaptureFormatError } from "../capture/capture_format_error.ts";
import { RouterStream } from "./router_stream.ts";
import {
  _ACCEPT_ALL,
  _collect,
  _decodeRecords,
  _DROP_ALL,
  _MARK_RULES,
  _pcapOf,
  _random,
  _route,
  _rules,
  _split,
  _verdicts,
} from "./_router_test_helpers.ts";

const _tick = (ms = 0) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Index stored in a routed frame (see `_pcapOf`). */
function _frameIndex(data: Uint8Array): number {
  return new DataView(data.buffer, data.byteOffset).getUint32(21);
}

Deno.test("RouterStream routes each frame to one output, in order, headers to both", async () => {
  const input = _pcapOf(50, 80, (i) => (i % 3 === 0 ? 1 : 0));
  const routed = await _route(_rules(_MARK_RULES), [input]);
  const accepted = _decodeRecords(routed.accepted);
  const dropped = _decodeRecords(routed.dropped);
  const verdicts = _verdicts(_decodeRecords(input), accepted, dropped);
  assert.deepEqual(verdicts, [2, ...Array.from({ length: 50 }, (_, i) => (i % 3 === 0 ? 1 : 0))]);
  // Both outputs start with the input's file header, verbatim.
  assert.deepEqual(routed.accepted.subarray(0, 24), input.subarray(0, 24));
  assert.deepEqual(routed.dropped.subarray(0, 24), input.subarray(0, 24));
  assert.equal(routed.accepted.length + routed.dropped.length, input.length + 24);
  const s = routed.stats;
  assert.deepEqual(s.input, { packets: 50, bytes: 50 * 84, capturedBytes: 50 * 80 });
  assert.deepEqual(s.accepted, { packets: 17, bytes: 17 * 84, capturedBytes: 17 * 80 });
  assert.deepEqual(s.dropped, { packets: 33, bytes: 33 * 84, capturedBytes: 33 * 80 });
  assert.equal(s.metadataRecords, 1);
  assert.equal(s.format, "pcap");
  assert.equal(s.error, undefined);
  assert.equal(s.rules.chains.INPUT.rules[0].packets, 17);
  assert.equal(s.rules.chains.INPUT.policy?.packets, 33);
});

Deno.test("RouterStream gives the same output for any split of the input", async () => {
  const input = _pcapOf(40, 61, (i) => (i * 7) % 5 < 2 ? 1 : 0);
  const rules = _rules(_MARK_RULES);
  const whole = await _route(rules, [input]);
  const bytes = Array.from({ length: input.length - 1 }, (_, i) => i + 1);
  const oneByte = await _route(rules, _split(input, bytes));
  assert.deepEqual(oneByte.accepted, whole.accepted);
  assert.deepEqual(oneByte.dropped, whole.dropped);
  const next = _random(3);
  for (let trial = 0; trial < 20; trial++) {
    const cuts = Array.from({ length: 1 + next() % 30 }, () => next() % input.length);
    const split = await _route(rules, _split(input, cuts), {
      outputChunkSize: 1 + next() % 500,
      flushThreshold: next() % 100,
    });
    assert.deepEqual(split.accepted, whole.accepted, `cuts ${cuts}`);
    assert.deepEqual(split.dropped, whole.dropped, `cuts ${cuts}`);
  }
});

Deno.test("RouterStream coalesces small input chunks and bounds output chunks", async () => {
  const input = _pcapOf(200, 100, () => 1);
  const cuts = Array.from({ length: input.length / 10 }, (_, i) => i * 10);
  const routed = await _route(_rules(_ACCEPT_ALL), _split(input, cuts), {
    outputChunkSize: 8192,
    flushThreshold: 4096,
  });
  assert.deepEqual(routed.accepted, input);
  // 2,000 input chunks became a handful of output chunks.
  assert.ok(
    routed.acceptedChunks <= Math.ceil(input.length / 4096) + 1,
    `${routed.acceptedChunks}`,
  );
  const router = new RouterStream(_rules(_ACCEPT_ALL), { outputChunkSize: 1000 });
  const sizes: number[] = [];
  await Promise.all([
    ReadableStream.from([input]).pipeTo(router.writable),
    router.readable.pipeTo(new WritableStream({ write: (c) => void sizes.push(c.length) })),
  ]);
  assert.ok(sizes.every((n) => n <= 1000), `${sizes}`);
  assert.equal(sizes.reduce((a, b) => a + b, 0), input.length);
});

Deno.test("RouterStream with flushThreshold 0 delivers each chunk's frames before more input", async () => {
  const input = _pcapOf(3, 64, () => 1);
  const router = new RouterStream(_rules(_ACCEPT_ALL), { flushThreshold: 0 });
  const writer = router.writable.getWriter();
  const reader = router.readable.getReader();
  await writer.write(input.subarray(0, 24 + 80 + 10));
  const first = await reader.read();
  assert.deepEqual(first.value, input.subarray(0, 24 + 80));
  await writer.write(input.subarray(24 + 80 + 10));
  assert.deepEqual((await reader.read()).value, input.subarray(24 + 80));
  await writer.close();
  assert.equal((await reader.read()).done, true);
});

Deno.test("RouterStream without { dropped: true } counts dropped frames and has no drop side", async () => {
  const input = _pcapOf(30, 70, (i) => i & 1);
  const router = new RouterStream(_rules(_MARK_RULES));
  assert.throws(() => router.dropped, TypeError);
  const [, accepted] = await Promise.all([
    ReadableStream.from([input]).pipeTo(router.writable),
    new Response(router.readable).bytes(),
  ]);
  const stats = await router.stats;
  assert.equal(stats.dropped.packets, 15);
  assert.equal(stats.accepted.packets, 15);
  assert.equal(stats.droppedBytesWritten, 0);
  const frames = _decodeRecords(accepted).filter((r) => r.kind === 1).map((r) =>
    _frameIndex(r.data)
  );
  assert.deepEqual(frames, Array.from({ length: 15 }, (_, k) => 2 * k + 1));
});

Deno.test("RouterStream.setRuleSet switches between two frames", async () => {
  const input = _pcapOf(20, 100, () => 0);
  const router = new RouterStream(_rules(_ACCEPT_ALL), { dropped: true, flushThreshold: 0 });
  const accepted = new Response(router.readable).bytes();
  const dropped = new Response(router.dropped).bytes();
  const writer = router.writable.getWriter();
  const cut = 24 + 7 * 116 + 50; // inside frame 7
  await writer.write(input.subarray(0, cut));
  router.setRuleSet(_rules(_DROP_ALL));
  await writer.write(input.subarray(cut));
  await writer.close();
  const take = (bytes: Uint8Array) =>
    _decodeRecords(bytes).filter((r) => r.kind === 1).map((r) => _frameIndex(r.data));
  // Frames 0-6 were complete before the swap; frame 7 was completed after it.
  assert.deepEqual(take(await accepted), [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(take(await dropped), [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  const stats = await router.stats;
  assert.equal(stats.ruleSetChanges, 1);
  assert.equal(stats.rules.chains.INPUT.policy?.packets, 13);
});

Deno.test("RouterStream stops taking input while an unread output is full, bounded", async () => {
  const frames = 400;
  const input = _pcapOf(frames, 1000, (i) => (i % 10 === 0 ? 1 : 0));
  const chunks = _split(input, Array.from({ length: 100 }, (_, i) => i * 4000));
  let pulled = 0;
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled === chunks.length) controller.close();
      else controller.enqueue(chunks[pulled++]);
    },
  }, { highWaterMark: 0 });
  const highWaterMark = 16384;
  const router = new RouterStream(_rules(_MARK_RULES), {
    dropped: true,
    highWaterMark,
    outputChunkSize: 4096,
    flushThreshold: 1,
  });
  const piped = source.pipeTo(router.writable);
  const accepted = new Response(router.readable).bytes();
  // Nobody reads the drop side yet: the router must stop.
  await _tick(20);
  const stalledAt = pulled;
  await _tick(20);
  assert.equal(pulled, stalledAt, "input kept flowing although the drop side is full");
  assert.ok(stalledAt < 10, `pulled ${stalledAt} of ${chunks.length} chunks`);
  // A slow reader on the drop side: the queue never exceeds its bound.
  const reader = router.dropped.getReader();
  const bound = highWaterMark + 4000 + 4096; // + one input chunk's output + one buffer
  let read = 0;
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let maxQueued = 0;
  for (;;) {
    await _tick(0);
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value.slice());
    read += value.length;
    maxQueued = Math.max(maxQueued, router.snapshot().droppedBytesWritten - read);
  }
  assert.ok(maxQueued <= bound, `${maxQueued} bytes queued`);
  await piped;
  const droppedBytes = new Uint8Array(await new Blob(parts).arrayBuffer());
  const verdicts = _verdicts(
    _decodeRecords(input),
    _decodeRecords(await accepted),
    _decodeRecords(droppedBytes),
  );
  assert.equal(verdicts.filter((v) => v === 1).length, frames / 10);
  assert.equal(verdicts.filter((v) => v === 0).length, frames - frames / 10);
});

Deno.test("RouterStream keeps routing when one output is cancelled", async () => {
  const input = _pcapOf(300, 1000, (i) => i & 1);
  const router = new RouterStream(_rules(_MARK_RULES), { dropped: true, highWaterMark: 4096 });
  await router.readable.cancel("not needed");
  const [, dropped] = await Promise.all([
    ReadableStream.from(_split(input, [5000, 90000, 200000])).pipeTo(router.writable),
    new Response(router.dropped).bytes(),
  ]);
  const indexes = _decodeRecords(dropped).filter((r) => r.kind === 1).map((r) =>
    _frameIndex(r.data)
  );
  assert.deepEqual(indexes, Array.from({ length: 150 }, (_, k) => 2 * k));
  const stats = await router.stats;
  assert.equal(stats.accepted.packets, 150);
  assert.equal(stats.error, undefined);
});

Deno.test("RouterStream errors the writable side when every output is cancelled", async () => {
  const input = _pcapOf(300, 1000, () => 1);
  const router = new RouterStream(_rules(_ACCEPT_ALL), { highWaterMark: 4096 });
  const reader = router.readable.getReader();
  const piped = ReadableStream.from(_split(input, [50000, 100000, 150000]))
    .pipeTo(router.writable);
  await reader.read();
  await reader.cancel("enough");
  await assert.rejects(piped, (e) => e === "enough");
  const stats = await router.stats;
  assert.equal(stats.error, "enough");
  assert.ok(stats.input.packets < 300);
});

Deno.test("RouterStream delivers the frames before a bad record, then errors", async () => {
  const good = _pcapOf(25, 90, (i) => (i % 4 === 0 ? 0 : 1));
  const bad = new Uint8Array(good.length + 16);
  bad.set(good);
  new DataView(bad.buffer).setUint32(good.length + 8, 0x7fffffff, true); // caplen of record 26
  const router = new RouterStream(_rules(_MARK_RULES), { dropped: true });
  const piped = ReadableStream.from(_split(bad, [1000, 2000])).pipeTo(router.writable);
  // Slow readers: the error must wait until every chunk has been read.
  await _tick(20);
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const parts: Uint8Array<ArrayBuffer>[] = [];
    try {
      for await (const chunk of stream) {
        await _tick(1);
        parts.push(chunk.slice());
      }
    } catch (error) {
      return { bytes: new Uint8Array(await new Blob(parts).arrayBuffer()), error };
    }
    return { bytes: new Uint8Array(0), error: undefined };
  };
  const [accepted, dropped, pipeError] = await Promise.all([
    collect(router.readable),
    collect(router.dropped),
    piped.then(() => undefined, (e) => e),
  ]);
  for (const error of [accepted.error, dropped.error, pipeError]) {
    assert.ok(error instanceof CaptureFormatError, String(error));
    assert.equal(error.byteOffset, good.length);
    assert.equal(error.recordIndex, 26);
  }
  const verdicts = _verdicts(
    _decodeRecords(good),
    _decodeRecords(accepted.bytes),
    _decodeRecords(dropped.bytes),
  );
  assert.equal(verdicts.length, 26);
  const stats = await router.stats;
  assert.ok(stats.error instanceof CaptureFormatError);
  assert.equal(stats.input.packets, 25);
  assert.equal(stats.accepted.packets, 18);
  assert.equal(stats.acceptedBytesWritten, accepted.bytes.length);
});

Deno.test("RouterStream reports a capture truncated at the end after its frames", async () => {
  const good = _pcapOf(5, 60, () => 1);
  const routed = await _route(_rules(_ACCEPT_ALL), [good.subarray(0, good.length - 10)]);
  assert.ok(routed.error instanceof CaptureFormatError, String(routed.error));
  assert.equal(_decodeRecords(routed.accepted).length, 5); // header + 4 complete frames
  assert.equal(routed.stats.input.packets, 4);
});

Deno.test("RouterStream errors both outputs when the writable side is aborted", async () => {
  const router = new RouterStream(_rules(_ACCEPT_ALL), { dropped: true });
  const accepted = new Response(router.readable).bytes();
  const dropped = new Response(router.dropped).bytes();
  const writer = router.writable.getWriter();
  await writer.write(_pcapOf(2, 60, () => 1));
  await writer.abort("stop");
  await assert.rejects(accepted);
  await assert.rejects(dropped);
  const stats = await router.stats;
  assert.equal(stats.error, "stop");
  assert.equal(stats.input.packets, 2);
});

Deno.test("RouterStream rejects options out of range", () => {
  const rules = _rules(_ACCEPT_ALL);
  assert.throws(() => new RouterStream(rules, { outputChunkSize: 0 }), RangeError);
  assert.throws(() => new RouterStream(rules, { highWaterMark: 1.5 }), RangeError);
  assert.throws(() => new RouterStream(rules, { flushThreshold: -1 }), /flushThreshold/);
});

Deno.test("RouterStream does not read an input chunk after its write resolves", async () => {
  const input = _pcapOf(300, 97, (i) => (i * 5) % 7 < 3 ? 1 : 0);
  const rules = _rules(_MARK_RULES);
  const expected = await _route(rules, [input]);
  const next = _random(11);
  for (const options of [{}, { outputChunkSize: 700, flushThreshold: 0 }]) {
    const router = new RouterStream(rules, { dropped: true, ...options });
    const outputs = Promise.all([_collect(router.readable), _collect(router.dropped)]);
    const writer = router.writable.getWriter();
    // One reused block, scribbled over as soon as each write resolves (as a
    // reader with a pool of read buffers does); cuts fall inside records too.
    const block = new Uint8Array(1000);
    for (let at = 0; at < input.length;) {
      const n = Math.min(1 + next() % block.length, input.length - at);
      block.set(input.subarray(at, at + n));
      await writer.write(block.subarray(0, n));
      block.fill(0xa5);
      at += n;
    }
    await writer.close();
    const [accepted, dropped] = await outputs;
    assert.deepEqual(accepted.bytes, expected.accepted);
    assert.deepEqual(dropped.bytes, expected.dropped);
  }
});

Deno.test("RouterStream.releaseChunk() reuses handed-back output memory, output intact", async () => {
  const input = _pcapOf(400, 200, (i) => i % 4 === 0 ? 0 : 1);
  const rules = _rules(_MARK_RULES);
  const expected = await _route(rules, [input]);
  const router = new RouterStream(rules, { dropped: true, outputChunkSize: 8192 });
  const seen = new Set<ArrayBufferLike>();
  let reused = 0;
  const read = async (stream: ReadableStream<Uint8Array>) => {
    const parts: Uint8Array[] = [];
    for await (const chunk of stream) {
      if (seen.has(chunk.buffer)) reused++;
      seen.add(chunk.buffer);
      parts.push(chunk.slice());
      router.releaseChunk(chunk);
      router.releaseChunk(chunk); // a second hand-back is ignored
      router.releaseChunk(chunk.subarray(0)); // so is a view the router did not enqueue
      await _tick();
    }
    return new Uint8Array(parts.flatMap((p) => [...p]));
  };
  const [accepted, dropped] = await Promise.all([
    read(router.readable),
    read(router.dropped),
    ReadableStream.from(_split(input, [5000, 20000, 33333, 60000])).pipeTo(router.writable),
  ]);
  assert.deepEqual(accepted, expected.accepted);
  assert.deepEqual(dropped, expected.dropped);
  assert.ok(reused > 0, "a handed-back buffer was written again");
});

Deno.test("RouterStream never reuses output memory that was not handed back", async () => {
  const input = _pcapOf(400, 200, () => 1);
  const router = new RouterStream(_rules(_MARK_RULES), { outputChunkSize: 8192 });
  const kept: [Uint8Array, Uint8Array][] = [];
  const reading = (async () => {
    for await (const chunk of router.readable) kept.push([chunk, chunk.slice()]);
  })();
  await Promise.all([reading, ReadableStream.from([input]).pipeTo(router.writable)]);
  for (const [chunk, copy] of kept) assert.deepEqual(chunk, copy);
});
