import assert from "node:assert/strict";
import { CaptureFormatError } from "../capture/capture_format_error.ts";
import { compileRuleSet } from "../rules/compile_rule_set.ts";
import { parseRuleSet } from "../rules/parse_rule_set.ts";
import { _RecordRouter } from "../stream/_record_router.ts";
import type { BlockSource } from "./block_source.ts";
import { _OutputError, _pipeRouter } from "./_pipe_router.ts";
import { _mixed, _packets, _repeatMixed } from "./_test_capture.ts";
import { _recyclingBlocks } from "./_test_io.ts";
import { _MARK_RULES, _pcapOf, _random } from "../stream/_router_test_helpers.ts";

const ACCEPT_ALL = "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n";
const TCP_ONLY = "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp -j ACCEPT\nCOMMIT\n";

function _router(rules: string): _RecordRouter {
  return new _RecordRouter(compileRuleSet(parseRuleSet(rules)));
}

function _sink() {
  const parts: Uint8Array[] = [];
  let closed = false;
  return {
    stream: new WritableStream<Uint8Array>({
      write: (chunk) => void parts.push(chunk.slice()),
      close: () => void (closed = true),
    }),
    bytes: () => new Uint8Array(parts.flatMap((p) => [...p])),
    closed: () => closed,
  };
}

Deno.test("_pipeRouter splits a capture into accepted and dropped, closing only the drop file", async () => {
  const input = _repeatMixed(50);
  const accepted = _sink();
  const dropped = _sink();
  const stats = await _pipeRouter(_recyclingBlocks(input, 3000), _router(TCP_ONLY), {
    accepted: accepted.stream,
    dropped: dropped.stream,
  });
  assert.equal(stats.error, undefined);
  const all = _packets(input).length;
  assert.equal(_packets(accepted.bytes()).length + _packets(dropped.bytes()).length, all);
  assert.equal(stats.input.packets, all);
  assert.ok(stats.accepted.packets > 0 && stats.dropped.packets > 0);
  assert.ok(dropped.closed() && !accepted.closed(), "stdout stays open");
});

Deno.test("_pipeRouter: a bad record mid-stream: everything before it written, drop file closed, error in stats", async () => {
  const bad = _mixed.slice();
  const view = new DataView(bad.buffer);
  let at = 24;
  for (let i = 0; i < 4; i++) at += 16 + view.getUint32(at + 8, true);
  view.setUint32(at + 8, 0x7fffffff, true);
  const accepted = _sink();
  const dropped = _sink();
  const stats = await _pipeRouter(_recyclingBlocks(bad, 100), _router(ACCEPT_ALL), {
    accepted: accepted.stream,
    dropped: dropped.stream,
  });
  assert.ok(stats.error instanceof CaptureFormatError);
  assert.equal((stats.error as CaptureFormatError).byteOffset, at);
  assert.deepEqual(accepted.bytes(), _mixed.subarray(0, at));
  assert.deepEqual(dropped.bytes(), _mixed.subarray(0, 24), "the header goes to both");
  assert.ok(dropped.closed());
});

Deno.test("_pipeRouter: a failing destination stops the input and rejects naming the output", async () => {
  const input = _repeatMixed(200);
  let closed = 0;
  const blocks = _recyclingBlocks(input, 2000);
  const source: BlockSource = { ...blocks, close: () => void closed++ };
  const failure = new Error("disk full");
  const dropped = _sink();
  await assert.rejects(
    _pipeRouter(source, _router(ACCEPT_ALL), {
      accepted: new WritableStream({
        write() {
          throw failure;
        },
      }),
      dropped: dropped.stream,
    }),
    (error: unknown) =>
      error instanceof _OutputError && error.output === "accepted" && error.cause === failure,
  );
  assert.ok(closed > 0, "input closed");
  assert.ok(dropped.closed(), "drop file closed");
});

Deno.test("_pipeRouter: an input read error ends the stream with it in stats", async () => {
  const failure = new Error("Input/output error");
  let reads = 0;
  const source: BlockSource = {
    read: () => reads++ === 0 ? Promise.resolve(_mixed.slice(0, 100)) : Promise.reject(failure),
    release() {},
    close() {},
  };
  const accepted = _sink();
  const stats = await _pipeRouter(source, _router(ACCEPT_ALL), { accepted: accepted.stream });
  assert.equal(stats.error, failure);
});

Deno.test("_pipeRouter: a blocking sink gets the bytes a stream gets, in every block size", async () => {
  const input = _repeatMixed(30);
  for (const blockSize of [1, 7, 100, 3000, 1 << 20]) {
    const stream = _sink();
    await _pipeRouter(_recyclingBlocks(input, blockSize), _router(TCP_ONLY), {
      accepted: stream.stream,
    });
    const parts: Uint8Array[] = [];
    const stats = await _pipeRouter(_recyclingBlocks(input, blockSize), _router(TCP_ONLY), {
      accepted: { write: (chunk) => void parts.push(chunk.slice()) },
    });
    const bytes = new Uint8Array(parts.flatMap((p) => [...p]));
    assert.ok(stats.accepted.packets > 0 && stats.dropped.packets > 0);
    assert.equal(stats.acceptedBytesWritten, bytes.length);
    assert.deepEqual(bytes, stream.bytes(), `blocks of ${blockSize}`);
  }
});

Deno.test("_pipeRouter: a blocking sink that throws stops the input, closes the drop file, names the output", async () => {
  const input = _repeatMixed(200);
  let closed = 0;
  const blocks = _recyclingBlocks(input, 2000);
  const source: BlockSource = { ...blocks, close: () => void closed++ };
  const brokenPipe = Object.assign(new Error("Broken pipe (os error 32)"), { name: "BrokenPipe" });
  const dropped = _sink();
  let writes = 0;
  await assert.rejects(
    _pipeRouter(source, _router(ACCEPT_ALL), {
      accepted: {
        write() {
          if (++writes === 3) throw brokenPipe;
        },
      },
      dropped: dropped.stream,
    }),
    (error: unknown) =>
      error instanceof _OutputError && error.output === "accepted" && error.cause === brokenPipe,
  );
  assert.equal(writes, 3, "no write after the failure");
  assert.ok(closed > 0, "input closed");
  assert.ok(dropped.closed(), "drop file closed");
  assert.deepEqual(dropped.bytes(), input.subarray(0, 24), "the header, nothing dropped");
});

Deno.test("_pipeRouter: accepted records moved within scratch blocks come out exactly, in every block size", async () => {
  const random = _random(12);
  const patterns: [string, (i: number) => number][] = [
    ["all", () => 1],
    ["none", () => 0],
    ["alternate", (i) => i & 1],
    ["runs of 40", (i) => (i / 40) & 1],
    ["one in eight", () => random() < 0.125 ? 1 : 0],
  ];
  for (const [name, verdict] of patterns) {
    for (const size of [60, 1500]) {
      const verdicts = Array.from({ length: 300 }, (_, i) => verdict(i));
      const input = _pcapOf(300, size, (i) => verdicts[i]);
      const record = (i: number) =>
        input.subarray(24 + i * (16 + size), 24 + (i + 1) * (16 + size));
      const expected = [input.subarray(0, 24), ...verdicts.flatMap((v, i) => v ? [record(i)] : [])];
      const want = new Uint8Array(expected.flatMap((p) => [...p]));
      for (
        const blockSize of size < 100 ? [1, 7, 100, 3000, 1 << 20] : [100, 1499, 3000, 1 << 20]
      ) {
        const parts: Uint8Array[] = [];
        const source: BlockSource = { ..._recyclingBlocks(input, blockSize), scratch: true };
        const stats = await _pipeRouter(source, _router(_MARK_RULES), {
          accepted: { write: (chunk) => void parts.push(chunk.slice()) },
        });
        const bytes = new Uint8Array(parts.flatMap((p) => [...p]));
        const where = `${name}, frames of ${size}, blocks of ${blockSize}`;
        assert.equal(stats.error, undefined, where);
        assert.deepEqual(bytes, want, where);
        assert.equal(stats.acceptedBytesWritten, want.length, where);
        // One write per block at most, plus the record carried in from the block before.
        assert.ok(parts.length <= 2 * Math.ceil(input.length / blockSize) + 1, where);
      }
    }
  }
});

Deno.test("_pipeRouter: with a drop file, scratch blocks are not moved: both outputs exact", async () => {
  const input = _pcapOf(200, 100, (i) => (i % 3 === 0 ? 1 : 0));
  const plain = _sink();
  const plainDropped = _sink();
  await _pipeRouter(_recyclingBlocks(input, 1000), _router(_MARK_RULES), {
    accepted: plain.stream,
    dropped: plainDropped.stream,
  });
  const accepted = _sink();
  const dropped = _sink();
  const source: BlockSource = { ..._recyclingBlocks(input, 1000), scratch: true };
  await _pipeRouter(source, _router(_MARK_RULES), {
    accepted: accepted.stream,
    dropped: dropped.stream,
  });
  assert.deepEqual(accepted.bytes(), plain.bytes());
  assert.deepEqual(dropped.bytes(), plainDropped.bytes());
  assert.equal(_packets(accepted.bytes()).length + _packets(dropped.bytes()).length, 200);
});

Deno.test("_pipeRouter: scratch blocks, a record cut short at the end: the whole records written, the error placed", async () => {
  const size = 200;
  const input = _pcapOf(50, size, (i) => (i % 4 === 1 ? 1 : 0));
  for (const cut of [24 + 10 * (16 + size) + 5, 24 + 49 * (16 + size) + 16 + 1]) {
    const truncated = input.slice(0, cut);
    const whole = Math.floor((cut - 24) / (16 + size));
    const expected = new Uint8Array([
      ...input.subarray(0, 24),
      ...Array.from({ length: whole }, (_, i) => i).filter((i) => i % 4 === 1).flatMap((i) => [
        ...input.subarray(24 + i * (16 + size), 24 + (i + 1) * (16 + size)),
      ]),
    ]);
    for (const blockSize of [64, 1000, 1 << 16]) {
      const parts: Uint8Array[] = [];
      const source: BlockSource = { ..._recyclingBlocks(truncated, blockSize), scratch: true };
      const stats = await _pipeRouter(source, _router(_MARK_RULES), {
        accepted: { write: (chunk) => void parts.push(chunk.slice()) },
      });
      const where = `cut at ${cut}, blocks of ${blockSize}`;
      assert.deepEqual(new Uint8Array(parts.flatMap((p) => [...p])), expected, where);
      assert.ok(stats.error instanceof CaptureFormatError, where);
      assert.equal((stats.error as CaptureFormatError).byteOffset, 24 + whole * (16 + size), where);
      assert.match(String((stats.error as Error).message), /input ends inside record/, where);
    }
  }
});

Deno.test("_pipeRouter leaves blocks that are not scratch memory untouched (a stream's chunks)", async () => {
  const input = _pcapOf(100, 120, (i) => (i % 5 === 2 ? 1 : 0));
  const original = input.slice();
  let at = 0;
  const source: BlockSource = {
    read() {
      if (at >= input.length) return Promise.resolve(null);
      const block = input.subarray(at, at + 1000); // the caller's own bytes
      at += block.length;
      return Promise.resolve(block);
    },
    release() {},
    close() {},
  };
  const parts: Uint8Array[] = [];
  await _pipeRouter(source, _router(_MARK_RULES), {
    accepted: { write: (chunk) => void parts.push(chunk.slice()) },
  });
  assert.deepEqual(input, original);
  assert.equal(_packets(new Uint8Array(parts.flatMap((p) => [...p]))).length, 20);
});
