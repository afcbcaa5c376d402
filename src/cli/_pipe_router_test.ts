import assert from "node:assert/strict";
import { CaptureFormatError } from "../capture/capture_format_error.ts";
import { compileRuleSet } from "../rules/compile_rule_set.ts";
import { parseRuleSet } from "../rules/parse_rule_set.ts";
import { _RecordRouter } from "../stream/_record_router.ts";
import type { BlockSource } from "./block_source.ts";
import { _OutputError, _pipeRouter } from "./_pipe_router.ts";
import { _mixed, _packets, _repeatMixed } from "./_test_capture.ts";
import { _recyclingBlocks } from "./_test_io.ts";

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
