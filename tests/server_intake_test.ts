/**
 * Upload intake of `POST /rulesets/:name/filter` on a real server
 * (`src/server/main.ts`, `@hono/node-server`, in a subprocess on 127.0.0.1):
 * an upload is taken off its socket only as fast as the filter stream takes
 * it, so a client that never reads its response cannot push more than the
 * buffers in between, and several busy streams are paced together
 * (issue 13, session 4).
 */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { startServer } from "./_server_process.ts";
import { _guardNodeBody, type _NodeMessage } from "../src/server/_node_body_guard.ts";
import { _parseServeArgs } from "../src/server/_serve_args.ts";
import { _resolveLimits } from "../src/server/app_deps.ts";
import { _ipv4Frame } from "../src/server/_test_helpers.ts";
import { pcapHeader, pcapRecord } from "../src/capture/_test_captures.ts";

const ACCEPT_ALL = "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n";
/** What the test tries to push through one stream; the server takes it all if intake is unbounded. */
const UPLOAD_BYTES = 192 * 1024 * 1024;

/**
 * The most a stalled upload can have sent, where the server reads only what
 * its stream routes: the kernel's socket buffers on both directions of the
 * connection (each at most `tcp_rmem` max + `tcp_wmem` max: the upload in the
 * client's send and the server's receive buffer; the routed output, as large
 * as the input with an accept-all set, in the server's send and the client's
 * receive buffer), plus 8 MiB for the server's own queues (the router's
 * output, the response's writable, the message's buffer: under 1 MiB), or
 * null where the limits are not readable (not Linux).
 */
function _stalledBound(): number | null {
  try {
    const max = (name: string) =>
      Number(Deno.readTextFileSync(`/proc/sys/net/ipv4/${name}`).trim().split(/\s+/)[2]);
    const perDirection = max("tcp_rmem") + max("tcp_wmem");
    return Number.isFinite(perDirection) ? 2 * perDirection + 8 * 1024 * 1024 : null;
  } catch {
    return null;
  }
}
const BOUND = _stalledBound();
const skip = BOUND === null || BOUND >= UPLOAD_BYTES / 2
  ? "needs /proc/sys/net/ipv4/tcp_{r,w}mem with socket buffers well under the upload size; skipping"
  : undefined;
if (skip) console.warn(skip);

function _head(port: number, length: number): Uint8Array {
  return new TextEncoder().encode(
    [
      "POST /rulesets/open/filter HTTP/1.1",
      `Host: 127.0.0.1:${port}`,
      `Content-Length: ${length}`,
      "",
      "",
    ].join("\r\n"),
  );
}

/**
 * Opens a raw connection that uploads `UPLOAD_BYTES` of a pcap in 1 MiB
 * writes and never reads the response; stops at the first write that does
 * not complete within `stallMs` (the server stopped taking the upload).
 * Returns the bytes written and the still open connection.
 */
async function _pushUntilStalled(
  port: number,
  stallMs: number,
): Promise<{ written: number; conn: Deno.TcpConn }> {
  const record = pcapRecord(_ipv4Frame(6, 1400));
  const block = new Uint8Array(record.length * 700);
  for (let i = 0; i < 700; i++) block.set(record, i * record.length);
  const blocks = Math.floor(UPLOAD_BYTES / block.length);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(_head(port, 24 + blocks * block.length));
  await conn.write(pcapHeader());
  let written = 0;
  for (let i = 0; i < blocks; i++) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = (async () => {
      for (let at = 0; at < block.length;) at += await conn.write(block.subarray(at));
      return true;
    })().catch(() => false);
    const stalled = new Promise<boolean>((resolve) => timer = setTimeout(resolve, stallMs, false));
    const completed = await Promise.race([done, stalled]);
    clearTimeout(timer);
    if (!completed) break;
    written += block.length;
  }
  return { written, conn };
}

async function _withServer(test: (server: { url: string; port: number }) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  const server = await startServer(`${dir}/rules.kv`);
  try {
    const put = await fetch(`${server.url}/rulesets/open`, { method: "PUT", body: ACCEPT_ALL });
    assert.equal(put.status, 201);
    await put.body?.cancel();
    await test(server);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "a filter stream whose response is not read stops taking its upload within the buffers",
  ignore: skip !== undefined,
  async fn() {
    await _withServer(async (server) => {
      const { written, conn } = await _pushUntilStalled(server.port, 1500);
      conn.close();
      assert.ok(
        written < BOUND!,
        `the server took ${written} bytes of an upload whose response nobody read (bound ${BOUND})`,
      );
      assert.ok(written > 0, "the server took nothing at all");
    });
  },
});

Deno.test({
  name: "/healthz is answered while filter streams are stalled on unread responses",
  ignore: skip !== undefined,
  async fn() {
    await _withServer(async (server) => {
      const stalled = await Promise.all(
        Array.from({ length: 4 }, () => _pushUntilStalled(server.port, 1000)),
      );
      try {
        for (const { written } of stalled) assert.ok(written < BOUND!, `took ${written} bytes`);
        const health = await fetch(`${server.url}/healthz`);
        assert.equal(health.status, 200);
        assert.equal((await health.json()).status, "ok");
      } finally {
        for (const { conn } of stalled) conn.close();
      }
    });
  },
});

/** A Node message of `chunks` × 64 KiB (a `Readable`, high-water mark 16 KiB) that counts what it produced. */
function _countingMessage(chunks: number) {
  const state = { produced: 0 };
  const message = new Readable({
    highWaterMark: 16 * 1024,
    read() {
      if (state.produced === chunks * 65536) {
        (message as unknown as { complete: boolean }).complete = true;
        this.push(null);
        return;
      }
      state.produced += 65536;
      this.push(new Uint8Array(65536).fill(state.produced / 65536));
    },
  });
  Object.assign(message, { complete: false });
  return { message: message as unknown as _NodeMessage, state };
}

Deno.test("the Node body is read from the message only as the app pulls (nothing read ahead)", async () => {
  const { message, state } = _countingMessage(1024); // 64 MiB on offer
  const request = _guardNodeBody(new Request("http://x/", { method: "POST" }), message);
  const reader = request.body!.getReader();
  const first = await reader.read();
  assert.equal(first.value?.[0], 1);
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  // The message's own buffer (16 KiB: one more 64 KiB chunk) and the chunk handed on.
  assert.ok(state.produced <= 3 * 65536, `${state.produced} bytes were read for one chunk`);
  // The rest arrives whole and in order (chunk i filled with i + 1).
  let total = first.value!.length;
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    assert.equal(r.value[0], (Math.floor(total / 65536) + 1) & 0xff, `at byte ${total}`);
    total += r.value.length;
    assert.equal(r.value[r.value.length - 1], (Math.floor((total - 1) / 65536) + 1) & 0xff);
  }
  assert.equal(total, 1024 * 65536);
});

Deno.test("serve --stream-intake-bytes-per-second takes 0 (no limit) or a byte rate", () => {
  assert.equal(
    _parseServeArgs(["--stream-intake-bytes-per-second", "0"]).streamIntakeBytesPerSecond,
    0,
  );
  assert.equal(
    _parseServeArgs(["--stream-intake-bytes-per-second", "1048576"]).streamIntakeBytesPerSecond,
    1048576,
  );
  assert.equal(_parseServeArgs([]).streamIntakeBytesPerSecond, undefined);
  assert.equal(_resolveLimits(undefined).streamIntakeBytesPerSecond, 64 * 1024 * 1024);
  assert.throws(
    () => _parseServeArgs(["--stream-intake-bytes-per-second", "-1"]),
    (error: Error) => error.name === "UsageError",
  );
});
