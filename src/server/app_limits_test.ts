/**
 * The service's limits (issue 13): record cap, stream count and memory
 * budget, idle timeout, event-loop friendly compiles shared per version,
 * 405 with Allow, stream totals per version.
 */
import assert from "node:assert/strict";
import { type AppDeps, createApp } from "./app.ts";
import { MemoryRuleSetStore } from "./memory_rule_set_store.ts";
import type { RuleSetStore } from "./rule_set_store.ts";
import {
  _bytes,
  _dropProtocol,
  _ipv4Frame,
  _mixedFrames,
  _pcap,
  _subset,
} from "./_test_helpers.ts";
import { concat, epb, idb, pcapHeader, pcapRecord, shb } from "../capture/_test_captures.ts";
import { compileRuleSet } from "../rules/compile_rule_set.ts";
import { parseRuleSet } from "../rules/parse_rule_set.ts";
import { RouterStream } from "../stream/router_stream.ts";

const DROP_UDP = _dropProtocol("udp");
const isUdp = (frame: Uint8Array) => frame[23] === 17;

async function _app(
  limits: AppDeps["limits"] = {},
  store: RuleSetStore = new MemoryRuleSetStore(),
) {
  const app = createApp({ store, limits });
  const put = await app.request("/rulesets/edge", { method: "PUT", body: DROP_UDP });
  assert.equal(put.status, 201);
  return app;
}

/** `store`, telling `onGet` of every `get`. */
function _spy(store: RuleSetStore, onGet: (name: string) => void): RuleSetStore {
  return {
    list: () => store.list(),
    get: (name) => {
      onGet(name);
      return store.get(name);
    },
    version: (name) => store.version(name),
    put: (name, text, expected, updatedAt) => store.put(name, text, expected, updatedAt),
    delete: (name, expected) => store.delete(name, expected),
    watch: (listener, signal) => store.watch(listener, signal),
    addCounters: (name, version, deltas) => store.addCounters(name, version, deltas),
    readCounters: (name, version) => store.readCounters(name, version),
  };
}

/** A request body the test feeds by hand; `close()` ends it. */
function _manualBody(first: Uint8Array) {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      c.enqueue(first);
    },
  });
  return {
    stream,
    send: (bytes: Uint8Array) => controller.enqueue(bytes),
    close: () => controller.close(),
  };
}

function _filter(app: ReturnType<typeof createApp>, body: BodyInit) {
  return app.request("/rulesets/edge/filter", { method: "POST", body });
}

async function _counters(app: ReturnType<typeof createApp>) {
  return await (await app.request("/rulesets/edge/counters")).json();
}

Deno.test("finding 4: a record over the cap ends the stream before it is buffered", async () => {
  const frame = _ipv4Frame(6, 100);
  const good = concat(shb(), idb({ linkType: 1 }), epb(frame)) as Uint8Array<ArrayBuffer>;
  // An Enhanced Packet Block header that declares 16 MiB, then a little of it.
  const huge = new Uint8Array(8 + 4096);
  new DataView(huge.buffer).setUint32(0, 6, true);
  new DataView(huge.buffer).setUint32(4, 16 * 1024 * 1024, true);
  const expected = await new Response(
    new Blob([good]).stream().pipeThrough(new RouterStream(compileRuleSet(parseRuleSet(DROP_UDP)))),
  ).bytes();
  for (const limits of [{}, { maxRecordBytes: 1024 }]) {
    const app = await _app(limits);
    const response = await _filter(app, concat(good, huge) as Uint8Array<ArrayBuffer>);
    assert.equal(response.status, 200);
    assert.deepEqual(await _bytes(response), expected);
    const body = await _counters(app);
    assert.equal(body.streams.failed, 1);
    assert.equal(body.errors[0].code, "CAPTURE_FORMAT");
    assert.match(body.errors[0].error, /block length 16777216 is larger than the maximum/);
  }
  // A pcap record over a smaller cap, too.
  const app = await _app({ maxRecordBytes: 1024 });
  const big = _ipv4Frame(6, 2000);
  const response = await _filter(
    app,
    concat(pcapHeader(), pcapRecord(big)) as Uint8Array<ArrayBuffer>,
  );
  assert.deepEqual(await _bytes(response), concat(pcapHeader()));
  assert.match((await _counters(app)).errors[0].error, /captured length 2054/);
});

Deno.test("finding 4: after a capture error at most 64 KiB more of the upload is read", async () => {
  const good = concat(shb(), idb({ linkType: 1 }), epb(_ipv4Frame(6, 100)));
  const huge = new Uint8Array(8);
  new DataView(huge.buffer).setUint32(0, 6, true);
  new DataView(huge.buffer).setUint32(4, 16 * 1024 * 1024, true);
  const expected = await new Response(
    new Blob([good as Uint8Array<ArrayBuffer>]).stream()
      .pipeThrough(new RouterStream(compileRuleSet(parseRuleSet(DROP_UDP)))),
  ).bytes();
  // After the oversized block header, 16 KiB pieces of its data, up to 4 MiB.
  const piece = 16 * 1024;
  let afterError = 0;
  let cancelled = false;
  let ended!: () => void;
  const done = new Promise<void>((resolve) => ended = resolve);
  let first = true;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (first) {
        first = false;
        controller.enqueue(concat(good, huge));
      } else if (afterError < 4 * 1024 * 1024) {
        afterError += piece;
        controller.enqueue(new Uint8Array(piece));
      } else {
        controller.close();
        ended();
      }
    },
    cancel() {
      cancelled = true;
      ended();
    },
  }, { highWaterMark: 0 });
  const app = await _app();
  const response = await _filter(app, body);
  assert.deepEqual(await _bytes(response), expected);
  await done;
  assert.equal(cancelled, true);
  // 64 KiB discarded, the piece that went past it, and at most one more in flight.
  assert.ok(afterError <= 64 * 1024 + 2 * piece, `read ${afterError} bytes after the error`);
  assert.equal((await _counters(app)).errors[0].code, "CAPTURE_FORMAT");
});

Deno.test("finding 4: a filter stream's output comes in buffers of at most 64 KiB", async () => {
  const frames = Array.from({ length: 2000 }, (_, i) => _ipv4Frame(6, 1000, i));
  const input = _pcap(frames);
  const expected = await new Response(
    new Blob([input]).stream()
      .pipeThrough(new RouterStream(compileRuleSet(parseRuleSet(DROP_UDP)))),
  ).bytes();
  const app = await _app();
  const response = await _filter(app, input);
  const chunks: Uint8Array[] = [];
  for await (const chunk of response.body!) chunks.push(chunk);
  assert.ok(chunks.length > 1);
  for (const chunk of chunks) assert.ok(chunk.length <= 64 * 1024, `a chunk of ${chunk.length}`);
  assert.deepEqual(concat(...chunks), expected);
});

Deno.test("finding 4: streams beyond the limit get 503 with Retry-After until one ends", async () => {
  const app = await _app({ maxStreams: 2 });
  const bodies = [_manualBody(pcapHeader()), _manualBody(pcapHeader())];
  const running = await Promise.all(bodies.map((b) => _filter(app, b.stream)));
  assert.deepEqual(running.map((r) => r.status), [200, 200]);
  const refused = await _filter(app, concat(pcapHeader()) as Uint8Array<ArrayBuffer>);
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get("retry-after"), "1");
  assert.equal((await refused.json()).code, "TOO_MANY_STREAMS");
  assert.equal((await (await app.request("/healthz")).json()).streams, 2);
  bodies[0].close();
  await running[0].body?.cancel();
  const again = await _filter(app, _pcap(_mixedFrames(4)));
  assert.equal(again.status, 200);
  assert.deepEqual(await _bytes(again), _subset(_mixedFrames(4), (f) => !isUdp(f)));
  bodies[1].close();
  await running[1].body?.cancel();
});

Deno.test("finding 4: the memory budget admits only the streams whose worst case fits", async () => {
  // Each stream reserves its largest record + 64 KiB + 640 KiB of buffers: 768 KiB here.
  const app = await _app({ maxRecordBytes: 64 * 1024, maxStreamMemoryBytes: 2 * 768 * 1024 });
  const bodies = [_manualBody(pcapHeader()), _manualBody(pcapHeader())];
  const running = await Promise.all(bodies.map((b) => _filter(app, b.stream)));
  assert.deepEqual(running.map((r) => r.status), [200, 200]);
  const refused = await _filter(app, concat(pcapHeader()) as Uint8Array<ArrayBuffer>);
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get("retry-after"), "1");
  assert.equal((await refused.json()).code, "MEMORY_BUDGET");
  for (const [i, body] of bodies.entries()) {
    body.close();
    await running[i].body?.cancel();
  }
});

Deno.test("finding 4: an idle stream ends after the idle timeout and is recorded", async () => {
  const app = await _app({ streamIdleTimeoutMs: 50 });
  const frames = _mixedFrames(3);
  const body = _manualBody(_pcap(frames));
  const response = await _filter(app, body.stream);
  // Nothing more arrives: the response ends with the frames received so far.
  assert.deepEqual(await _bytes(response), _subset(frames, (f) => !isUdp(f)));
  const counters = await _counters(app);
  assert.equal(counters.streams.failed, 1);
  assert.equal(counters.errors[0].code, "STREAM_IDLE");
  assert.equal((await (await app.request("/healthz")).json()).streams, 0);
  // A body that never sends its first bytes gets 408.
  const silent = new ReadableStream<Uint8Array>({});
  const timedOut = await _filter(app, silent);
  assert.equal(timedOut.status, 408);
  assert.equal((await timedOut.json()).code, "STREAM_IDLE");
});

Deno.test("finding 4: after a complete upload the idle timer follows the client's reading", async () => {
  const app = await _app({ streamIdleTimeoutMs: 80 });
  // About 1.2 MB of TCP frames (kept by the rule set): many 64 KiB output chunks.
  const frames = Array.from({ length: 800 }, (_, i) => _ipv4Frame(6, 1400, i));
  const capture = _pcap(frames);
  const expected = _subset(frames, (f) => !isUdp(f));
  // Read slowly but steadily: each gap under the timeout, the whole read far longer.
  const steady = await _filter(app, capture);
  const reader = steady.body!.getReader();
  const parts: Uint8Array[] = [];
  const started = Date.now();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.ok(Date.now() - started > 80, "the read outlasted the idle timeout");
  assert.deepEqual(concat(...parts), expected);
  let counters = await _counters(app);
  assert.equal(counters.streams.failed, 0);
  assert.equal(counters.streams.completed, 1);
  // A client that takes nothing for longer than the timeout: the stream ends as idle and its
  // slot is free again, although the upload itself was complete.
  const stalled = await _filter(app, capture);
  const stalledReader = stalled.body!.getReader();
  await stalledReader.read();
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal((await (await app.request("/healthz")).json()).streams, 0);
  counters = await _counters(app);
  assert.equal(counters.streams.failed, 1);
  assert.equal(counters.errors.at(-1).code, "STREAM_IDLE");
  await stalledReader.cancel().catch(() => {});
});

Deno.test("finding 5: concurrent first uses of a stored set after a restart compile it once", async () => {
  const store = new MemoryRuleSetStore();
  await (await _app({}, store)).request("/healthz");
  let gets = 0;
  const counting = _spy(store, () => gets++);
  const restarted = createApp({ store: counting });
  const frames = _mixedFrames(8);
  const responses = await Promise.all([
    ...Array.from({ length: 8 }, () => restarted.request("/rulesets/edge/counters")),
    ...Array.from({ length: 8 }, () => _filter(restarted, _pcap(frames))),
  ]);
  assert.deepEqual(responses.map((r) => r.status), Array(16).fill(200));
  for (const response of responses.slice(8)) {
    assert.deepEqual(await _bytes(response), _subset(frames, (f) => !isUdp(f)));
  }
  for (const response of responses.slice(0, 8)) await response.body?.cancel();
  assert.equal(gets, 1);
});

Deno.test("finding 5: other requests are served while a 1,000-rule PUT is parsed", async () => {
  const app = createApp({ store: new MemoryRuleSetStore() });
  const lines = ["*filter", ":INPUT ACCEPT [0:0]"];
  for (let i = 0; i < 1000; i++) {
    lines.push(`-A INPUT -m bpf --expr "tcp dst port ${i + 1} or udp src port ${i + 1}" -j DROP`);
  }
  const text = lines.concat("COMMIT", "").join("\n");
  let done = false;
  const put = Promise.resolve(app.request("/rulesets/big", { method: "PUT", body: text }))
    .finally(() => done = true);
  // Health checks one after another, each from a new macrotask, until the PUT ends.
  let served = 0;
  while (!done) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    const health = await app.request("/healthz");
    if (health.status === 200) served++;
    await health.body?.cancel();
  }
  const response = await put;
  assert.equal(response.status, 201);
  assert.equal((await response.json()).rules, 1000);
  assert.ok(served >= 10, `only ${served} health checks were answered during the PUT`);
});

Deno.test("finding 5: at most maxCompiledRuleSets names stay compiled", async () => {
  const store = new MemoryRuleSetStore();
  const writer = createApp({ store });
  for (const name of ["a", "b", "c"]) {
    await (await writer.request(`/rulesets/${name}`, { method: "PUT", body: DROP_UDP })).body
      ?.cancel();
  }
  const gets: string[] = [];
  const counting = _spy(store, (name) => gets.push(name));
  const app = createApp({ store: counting, limits: { maxCompiledRuleSets: 2 } });
  for (const name of ["a", "b", "a", "c", "a", "b"]) {
    await (await app.request(`/rulesets/${name}`)).body?.cancel();
  }
  // a, b compiled; a kept (recently used); c evicts b; a still there; b compiled again.
  assert.deepEqual(gets, ["a", "b", "c", "b"]);
});

Deno.test("finding 5: at most maxCompiledRules rules stay compiled, except under running streams", async () => {
  const store = new MemoryRuleSetStore();
  const writer = createApp({ store });
  const threeRules = DROP_UDP.replace(
    "COMMIT",
    "-A INPUT -p tcp -j DROP\n-A INPUT -p icmp -j DROP\nCOMMIT",
  );
  for (const name of ["a", "b", "c"]) {
    await (await writer.request(`/rulesets/${name}`, { method: "PUT", body: threeRules })).body
      ?.cancel();
  }
  const gets: string[] = [];
  const app = createApp({
    store: _spy(store, (name) => gets.push(name)),
    limits: { maxCompiledRules: 6 },
  });
  for (const name of ["a", "b", "c", "b", "a"]) {
    const response = await app.request(`/rulesets/${name}`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), threeRules);
  }
  // a, b fill the 6 rules; c makes room by dropping a (least recently used);
  // b is still there; a comes back by dropping c.
  assert.deepEqual(gets, ["a", "b", "c", "a"]);

  // A set with a running stream is kept, even past the limit.
  const body = _manualBody(pcapHeader());
  const running = await app.request("/rulesets/b/filter", { method: "POST", body: body.stream });
  assert.equal(running.status, 200);
  for (const name of ["c", "a"]) await (await app.request(`/rulesets/${name}`)).body?.cancel();
  await (await app.request("/rulesets/b")).body?.cancel();
  assert.deepEqual(gets, ["a", "b", "c", "a", "c", "a"]);
  body.close();
  await running.body?.cancel();
});

Deno.test("finding 5: first uses of several stored sets compile one at a time, in order", async () => {
  const store = new MemoryRuleSetStore();
  const writer = createApp({ store });
  const big = ["*filter", ":INPUT ACCEPT [0:0]"];
  for (let i = 0; i < 300; i++) big.push(`-A INPUT -m bpf --expr "udp port ${i + 1}" -j DROP`);
  const texts = { big: big.concat("COMMIT", "").join("\n"), small: DROP_UDP };
  for (const [name, text] of Object.entries(texts)) {
    await (await writer.request(`/rulesets/${name}`, { method: "PUT", body: text })).body?.cancel();
  }
  const app = createApp({ store });
  const finished: string[] = [];
  const read = async (name: string) => {
    const response = await app.request(`/rulesets/${name}`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), texts[name as keyof typeof texts]);
    finished.push(name);
  };
  await Promise.all([read("big"), read("small")]);
  // In parallel slices the small set would be ready long before the big one;
  // queued, it waits for the big one's compile to end.
  assert.deepEqual(finished, ["big", "small"]);
});

Deno.test("finding 7: a known path with a wrong method is 405 with Allow", async () => {
  const app = createApp({ store: new MemoryRuleSetStore() });
  const cases: [string, string, string][] = [
    ["PATCH", "/rulesets/edge", "GET, HEAD, PUT, DELETE"],
    ["POST", "/rulesets", "GET, HEAD"],
    ["GET", "/rulesets/edge/filter", "POST"],
    ["PUT", "/rulesets/edge/counters", "GET, HEAD"],
    ["GET", "/rulesets/edge/counters/flush", "POST"],
    ["DELETE", "/healthz", "GET, HEAD"],
  ];
  for (const [method, path, allow] of cases) {
    const response = await app.request(path, { method });
    assert.equal(response.status, 405, `${method} ${path}`);
    assert.equal(response.headers.get("allow"), allow);
    assert.equal((await response.json()).code, "METHOD_NOT_ALLOWED");
  }
  assert.equal((await app.request("/nowhere")).status, 404);
});

Deno.test("finding 7: stream totals are per version", async () => {
  const app = await _app();
  const frames = _mixedFrames(4);
  await _bytes(await _filter(app, _pcap(frames)));
  await _bytes(await _filter(app, _pcap(frames)));
  const first = await _counters(app);
  assert.equal(first.version, 1);
  assert.deepEqual(first.streams, { active: 0, completed: 2, failed: 0 });
  await (await app.request("/rulesets/edge", { method: "PUT", body: _dropProtocol("tcp") })).body
    ?.cancel();
  const second = await _counters(app);
  assert.equal(second.version, 2);
  assert.deepEqual(second.streams, { active: 0, completed: 0, failed: 0 });
  await _bytes(await _filter(app, _pcap(frames)));
  assert.deepEqual((await _counters(app)).streams, { active: 0, completed: 1, failed: 0 });
});
