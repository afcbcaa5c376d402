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

const TOKEN = "test-token-0123456789";
const AUTH = { authorization: `Bearer ${TOKEN}` };
const CLOCK = () => new Date("2024-05-01T12:00:00.000Z");

function _app(overrides: Partial<AppDeps> = {}) {
  const store = overrides.store ?? new MemoryRuleSetStore();
  return { store, app: createApp({ store, token: TOKEN, now: CLOCK, ...overrides }) };
}

function _put(app: ReturnType<typeof createApp>, name: string, body: BodyInit, headers = {}) {
  return app.request(`/rulesets/${name}`, {
    method: "PUT",
    headers: { ...AUTH, ...headers },
    body,
  });
}

const FRAMES = _mixedFrames(40);
const CAPTURE = _pcap(FRAMES);
const isUdp = (frame: Uint8Array) => frame[23] === 17;

Deno.test("PUT /rulesets/:name creates (201) then replaces (200) with a new version", async () => {
  const { app } = _app();
  const created = await _put(app, "edge", _dropProtocol("udp"));
  assert.equal(created.status, 201);
  assert.equal(created.headers.get("etag"), '"1"');
  assert.equal(created.headers.get("location"), "/rulesets/edge");
  assert.deepEqual(await created.json(), { name: "edge", version: 1, rules: 1, chains: 1 });
  const replaced = await _put(
    app,
    "edge",
    "*filter\n:INPUT DROP [0:0]\n:LOG - [0:0]\n-A INPUT -p tcp -j LOG\n-A INPUT -p udp -j ACCEPT\nCOMMIT\n",
  );
  assert.equal(replaced.status, 200);
  assert.deepEqual(await replaced.json(), { name: "edge", version: 2, rules: 2, chains: 2 });
  const text = await app.request("/rulesets/edge");
  assert.equal(text.headers.get("etag"), '"2"');
  assert.match(await text.text(), /-A INPUT -p udp -j ACCEPT/);
});

Deno.test("PUT /rulesets/:name accepts the JSON model and GET ?format=json returns it", async () => {
  const { app } = _app();
  const model = {
    table: "filter",
    chains: [{
      name: "INPUT",
      policy: "ACCEPT",
      rules: [{
        base: "link",
        matches: [{
          kind: "bpf",
          invert: false,
          program: [{ code: 0x28, jt: 0, jf: 0, k: 12 }, { code: 0x6, jt: 0, jf: 0, k: 1 }],
        }],
        target: "DROP",
      }],
    }],
  };
  const response = await _put(app, "json", JSON.stringify(model), {
    "content-type": "application/json",
  });
  assert.equal(response.status, 201);
  assert.deepEqual(await response.json(), { name: "json", version: 1, rules: 1, chains: 1 });
  const text = await (await app.request("/rulesets/json")).text();
  assert.match(text, /^\*filter\n:INPUT ACCEPT/);
  assert.match(text, /--bytecode "2,40 0 0 12,6 0 0 1"/);
  const back = await (await app.request("/rulesets/json?format=json")).json();
  assert.equal(back.chains[0].rules[0].base, "link");
  assert.deepEqual(
    back.chains[0].rules[0].matches[0].program,
    model.chains[0].rules[0].matches[0].program,
  );
  // The JSON read back uploads again as the same rule set.
  const again = await _put(app, "json", JSON.stringify(back), {
    "content-type": "application/json",
  });
  assert.equal(again.status, 200);
  assert.equal(await (await app.request("/rulesets/json")).text(), text);
});

Deno.test("PUT with a syntax error answers 400 with line and column and keeps the old set", async () => {
  const { app } = _app();
  await _put(app, "edge", _dropProtocol("udp"));
  const response = await _put(
    app,
    "edge",
    "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m nosuch -j DROP\nCOMMIT\n",
  );
  assert.equal(response.status, 400);
  const body = await response.json();
  assert.equal(body.code, "RULE_SET_SYNTAX");
  assert.equal(body.line, 3);
  assert.equal(body.column, 13);
  assert.match(body.error, /^Cannot parse rule set: .*line 3, column 13/);
  assert.equal(body.stack, undefined);
  const current = await app.request("/rulesets/edge");
  assert.equal(current.headers.get("etag"), '"1"');
  assert.equal(await current.text(), _dropProtocol("udp"));
  // And the old set still filters.
  const filtered = await app.request("/rulesets/edge/filter", { method: "POST", body: CAPTURE });
  assert.deepEqual(await _bytes(filtered), _subset(FRAMES, (f) => !isUdp(f)));
});

Deno.test("PUT with a program the checker refuses answers 400 with the instruction index", async () => {
  const { app } = _app();
  const response = await _put(
    app,
    "edge",
    '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m bpf --bytecode "2,6 0 0 1,21 0 9 5" -j DROP\nCOMMIT\n',
  );
  assert.equal(response.status, 400);
  const body = await response.json();
  assert.equal(body.code, "BPF_VALIDATION");
  assert.equal(body.index, 1);
  assert.equal(body.reason, "JUMP_OUT_OF_RANGE");
  assert.equal(body.line, 3);
  assert.equal((await app.request("/rulesets/edge")).status, 404);
});

Deno.test("PUT enforces the instruction limit as configured (64 or 4096)", async () => {
  const program = Array.from({ length: 65 }, (_, i) => (i === 64 ? "6 0 0 1" : "0 0 0 0"));
  const text = `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m bpf --bytecode "65,${
    program.join(",")
  }" -j DROP\nCOMMIT\n`;
  const strict = await _put(_app().app, "long", text);
  assert.equal(strict.status, 400);
  const body = await strict.json();
  assert.equal(body.code, "BPF_VALIDATION");
  assert.equal(body.reason, "TOO_LONG");
  const relaxed = await _put(_app({ limits: { maxInstructions: 4096 } }).app, "long", text);
  assert.equal(relaxed.status, 201);
});

Deno.test("PUT refuses a body over the limit with 413, declared or streamed", async () => {
  const { app } = _app({ limits: { maxBodyBytes: 100 } });
  const big = _dropProtocol("udp") + "# " + "x".repeat(200) + "\n";
  const declared = await _put(app, "edge", big);
  assert.equal(declared.status, 413);
  assert.equal((await declared.json()).code, "PAYLOAD_TOO_LARGE");
  const bytes = new TextEncoder().encode(big);
  const streamed = await _put(
    app,
    "edge",
    new ReadableStream({
      start(controller) {
        controller.enqueue(bytes.subarray(0, 60));
        controller.enqueue(bytes.subarray(60));
        controller.close();
      },
    }),
  );
  assert.equal(streamed.status, 413);
  assert.equal((await app.request("/rulesets/edge")).status, 404);
});

Deno.test("PUT refuses more rules than the limit with 400 TOO_MANY_RULES", async () => {
  const { app } = _app({ limits: { maxRules: 3 } });
  const rules = Array.from({ length: 4 }, () => "-A INPUT -p udp -j DROP").join("\n");
  const response = await _put(app, "edge", `*filter\n:INPUT ACCEPT [0:0]\n${rules}\nCOMMIT\n`);
  assert.equal(response.status, 400);
  const body = await response.json();
  assert.equal(body.code, "TOO_MANY_RULES");
  assert.equal(body.rules, 4);
  assert.equal(body.limit, 3);
});

Deno.test("PUT refuses bad names, bad JSON, bad models, bad encodings with stable codes", async () => {
  const { app } = _app();
  for (const name of ["a".repeat(65), "bad%20name", "x!"]) {
    const response = await _put(app, name, _dropProtocol("udp"));
    assert.equal(response.status, 400, name);
    assert.equal((await response.json()).code, "INVALID_NAME");
  }
  assert.equal((await _put(app, "a".repeat(64), _dropProtocol("udp"))).status, 201);
  const json = { "content-type": "application/json" };
  const badJson = await _put(app, "j", "{", json);
  assert.equal(badJson.status, 400);
  assert.equal((await badJson.json()).code, "INVALID_JSON");
  const badModel = await _put(
    app,
    "j",
    JSON.stringify({ table: "filter", chains: [{ name: "INPUT", policy: "ACCEPT", rules: [{}] }] }),
    json,
  );
  assert.equal(badModel.status, 400);
  const model = await badModel.json();
  assert.equal(model.code, "INVALID_MODEL");
  assert.equal(model.path, "/chains/0/rules/0/base");
  const badTarget = await _put(
    app,
    "j",
    JSON.stringify({
      table: "filter",
      chains: [{
        name: "INPUT",
        policy: "ACCEPT",
        rules: [{ base: "network", matches: [], target: "NOWHERE" }],
      }],
    }),
    json,
  );
  assert.equal(badTarget.status, 400);
  const target = await badTarget.json();
  assert.equal(target.code, "RULE_SET_INVALID");
  assert.equal(target.chain, "INPUT");
  assert.equal(target.rule, 1);
  const latin1 = await _put(app, "e", new Uint8Array([0x2a, 0xff, 0xfe]));
  assert.equal(latin1.status, 400);
  assert.equal((await latin1.json()).code, "INVALID_ENCODING");
});

Deno.test("mutating routes need the bearer token; reads and filtering do not", async () => {
  const { app } = _app();
  const missing = await app.request("/rulesets/edge", {
    method: "PUT",
    body: _dropProtocol("udp"),
  });
  assert.equal(missing.status, 401);
  assert.match(missing.headers.get("www-authenticate") ?? "", /^Bearer/);
  assert.equal((await missing.json()).code, "UNAUTHORIZED");
  const wrong = await app.request("/rulesets/edge", {
    method: "PUT",
    headers: { authorization: `Bearer ${TOKEN}x` },
    body: _dropProtocol("udp"),
  });
  assert.equal(wrong.status, 401);
  await wrong.body?.cancel();
  assert.equal((await _put(app, "edge", _dropProtocol("udp"))).status, 201);
  assert.equal((await app.request("/rulesets/edge", { method: "DELETE" })).status, 401);
  assert.equal(
    (await app.request("/rulesets/edge/counters/flush", { method: "POST" })).status,
    401,
  );
  assert.equal((await app.request("/rulesets/edge")).status, 200);
  const filtered = await app.request("/rulesets/edge/filter", { method: "POST", body: CAPTURE });
  assert.equal(filtered.status, 200);
  await filtered.body?.cancel();
  const all = _app({ protect: "all" }).app;
  assert.equal((await all.request("/rulesets")).status, 401);
  assert.equal((await all.request("/healthz")).status, 200);
});

Deno.test("without a token configured, mutating routes are open (loopback deployments)", async () => {
  const app = createApp({ store: new MemoryRuleSetStore() });
  const response = await app.request("/rulesets/edge", {
    method: "PUT",
    body: _dropProtocol("udp"),
  });
  assert.equal(response.status, 201);
});

Deno.test("If-Match and If-None-Match make uploads conditional (412 VERSION_MISMATCH)", async () => {
  const { app } = _app();
  assert.equal((await _put(app, "edge", _dropProtocol("udp"), { "if-match": '"1"' })).status, 412);
  assert.equal(
    (await _put(app, "edge", _dropProtocol("udp"), { "if-none-match": "*" })).status,
    201,
  );
  const again = await _put(app, "edge", _dropProtocol("tcp"), { "if-none-match": "*" });
  assert.equal(again.status, 412);
  assert.deepEqual(await again.json(), {
    error: 'Cannot store rule set "edge": the precondition failed (current version is 1)',
    code: "VERSION_MISMATCH",
    current: 1,
  });
  assert.equal((await _put(app, "edge", _dropProtocol("tcp"), { "if-match": '"1"' })).status, 200);
  assert.equal((await _put(app, "edge", _dropProtocol("icmp"), { "if-match": '"1"' })).status, 412);
  const bad = await _put(app, "edge", _dropProtocol("icmp"), { "if-match": "soon" });
  assert.equal((await bad.json()).code, "INVALID_HEADER");
});

Deno.test("concurrent uploads with the same expected version: exactly one wins", async () => {
  const { app } = _app();
  await _put(app, "edge", _dropProtocol("udp"));
  const responses = await Promise.all(
    Array.from(
      { length: 8 },
      (_, i) => _put(app, "edge", `${_dropProtocol("tcp")}# ${i}\n`, { "if-match": '"1"' }),
    ),
  );
  const statuses = responses.map((r) => r.status).sort();
  assert.deepEqual(statuses, [200, 412, 412, 412, 412, 412, 412, 412]);
  await Promise.all(responses.map((r) => r.body?.cancel()));
  // Unconditional concurrent uploads all land, each on its own version.
  const all = await Promise.all(
    Array.from({ length: 5 }, () => _put(app, "edge", _dropProtocol("icmp"))),
  );
  const versions = (await Promise.all(all.map((r) => r.json()))).map((b) => b.version).sort();
  assert.deepEqual(versions, [3, 4, 5, 6, 7]);
});

Deno.test("GET /rulesets lists, DELETE removes, versions keep growing after a delete", async () => {
  const { app } = _app();
  await _put(app, "b", _dropProtocol("udp"));
  await _put(app, "a", _dropProtocol("tcp"));
  await _put(app, "a", _dropProtocol("udp"));
  const list = await (await app.request("/rulesets")).json();
  assert.deepEqual(
    list.ruleSets.map((r: { name: string; version: number }) => [r.name, r.version]),
    [
      ["a", 2],
      ["b", 1],
    ],
  );
  assert.equal(list.ruleSets[0].updatedAt, CLOCK().toISOString());
  const deleted = await app.request("/rulesets/a", { method: "DELETE", headers: AUTH });
  assert.deepEqual(await deleted.json(), { name: "a", version: 2, deleted: true });
  const gone = await app.request("/rulesets/a");
  assert.equal(gone.status, 404);
  assert.equal((await gone.json()).code, "NOT_FOUND");
  assert.equal((await app.request("/rulesets/a", { method: "DELETE", headers: AUTH })).status, 404);
  assert.equal(
    (await app.request("/rulesets/a/filter", { method: "POST", body: CAPTURE })).status,
    404,
  );
  const back = await _put(app, "a", _dropProtocol("udp"));
  assert.equal(back.status, 201);
  assert.equal((await back.json()).version, 3);
});

Deno.test("POST /filter streams the accepted frames, ?output=dropped the dropped ones", async () => {
  const { app } = _app();
  await _put(app, "edge", _dropProtocol("udp"));
  const accepted = await app.request("/rulesets/edge/filter", { method: "POST", body: CAPTURE });
  assert.equal(accepted.status, 200);
  assert.equal(accepted.headers.get("content-type"), "application/vnd.tcpdump.pcap");
  assert.equal(accepted.headers.get("x-bpfstream-version"), "1");
  assert.deepEqual(await _bytes(accepted), _subset(FRAMES, (f) => !isUdp(f)));
  const dropped = await app.request("/rulesets/edge/filter?output=dropped", {
    method: "POST",
    body: CAPTURE,
  });
  assert.deepEqual(await _bytes(dropped), _subset(FRAMES, isUdp));
  const bad = await app.request("/rulesets/edge/filter?output=both", {
    method: "POST",
    body: CAPTURE,
  });
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).code, "INVALID_QUERY");
});

Deno.test("POST /filter splits input anywhere (one byte at a time)", async () => {
  const { app } = _app();
  await _put(app, "edge", _dropProtocol("tcp"));
  const small = _pcap(FRAMES.slice(0, 6));
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < small.length) controller.enqueue(small.subarray(i, ++i));
      else controller.close();
    },
  });
  const response = await app.request("/rulesets/edge/filter", { method: "POST", body });
  assert.deepEqual(await _bytes(response), _subset(FRAMES.slice(0, 6), (f) => f[23] !== 6));
});

Deno.test("POST /filter answers 400 CAPTURE_FORMAT for a body that is no capture", async () => {
  const { app } = _app();
  await _put(app, "edge", _dropProtocol("udp"));
  for (const body of [new Uint8Array([1, 2, 3, 4, 5, 6]), new Uint8Array([0xd4, 0xc3])]) {
    const response = await app.request("/rulesets/edge/filter", { method: "POST", body });
    assert.equal(response.status, 400);
    const error = await response.json();
    assert.equal(error.code, "CAPTURE_FORMAT");
    assert.equal(error.byteOffset, 0);
  }
  const empty = await app.request("/rulesets/edge/filter", { method: "POST" });
  assert.equal(empty.status, 400);
  await empty.body?.cancel();
});

Deno.test("a capture error mid-stream ends the body after the accepted frames and is recorded", async () => {
  const { app } = _app();
  await _put(app, "edge", _dropProtocol("udp"));
  const good = _pcap(FRAMES.slice(0, 10));
  const broken = new Uint8Array(good.length + 16);
  broken.set(good);
  new DataView(broken.buffer).setUint32(good.length + 8, 0x7fffffff, true); // caplen 2 GiB
  const response = await app.request("/rulesets/edge/filter", { method: "POST", body: broken });
  assert.equal(response.status, 200);
  const stream = response.headers.get("x-bpfstream-stream");
  assert.deepEqual(await _bytes(response), _subset(FRAMES.slice(0, 10), (f) => !isUdp(f)));
  const counters = await (await app.request("/rulesets/edge/counters")).json();
  assert.deepEqual(counters.streams, { active: 0, completed: 0, failed: 1 });
  assert.equal(counters.errors.length, 1);
  const error = counters.errors[0];
  assert.equal(error.stream, stream);
  assert.equal(error.code, "CAPTURE_FORMAT");
  assert.equal(error.byteOffset, good.length);
  assert.equal(error.recordIndex, 11);
  assert.equal(error.packetIndex, 10);
  assert.equal(counters.counters.frames.packets, 10);
});

Deno.test("GET /counters sums every stream of a version; text form and global scope", async () => {
  const { app } = _app();
  await _put(app, "edge", _dropProtocol("udp"));
  await Promise.all([1, 2, 3].map(async () => {
    const r = await app.request("/rulesets/edge/filter", { method: "POST", body: CAPTURE });
    await _bytes(r);
  }));
  const udp = FRAMES.filter(isUdp);
  const udpBytes = udp.reduce((n, f) => n + f.length, 0);
  const allBytes = FRAMES.reduce((n, f) => n + f.length, 0);
  const body = await (await app.request("/rulesets/edge/counters")).json();
  assert.equal(body.version, 1);
  assert.equal(body.scope, "instance");
  assert.deepEqual(body.streams, { active: 0, completed: 3, failed: 0 });
  assert.deepEqual(body.counters.chains.INPUT.rules[0], {
    packets: 3 * udp.length,
    bytes: 3 * udpBytes,
  });
  assert.deepEqual(body.counters.frames, { packets: 3 * FRAMES.length, bytes: 3 * allBytes });
  const text = await (await app.request("/rulesets/edge/counters?format=text")).text();
  assert.ok(text.includes(`[${3 * udp.length}:${3 * udpBytes}] -A INPUT -p udp -j DROP`), text);
  const flush = await app.request("/rulesets/edge/counters/flush", {
    method: "POST",
    headers: AUTH,
  });
  assert.equal(flush.status, 200);
  await flush.body?.cancel();
  const r = await app.request("/rulesets/edge/filter", { method: "POST", body: CAPTURE });
  await _bytes(r);
  const global = await (await app.request("/rulesets/edge/counters?scope=global")).json();
  assert.deepEqual(global.counters.frames, { packets: 4 * FRAMES.length, bytes: 4 * allBytes });
  // A new version starts from zero.
  await _put(app, "edge", _dropProtocol("tcp"));
  const fresh = await (await app.request("/rulesets/edge/counters")).json();
  assert.equal(fresh.version, 2);
  assert.deepEqual(fresh.counters.frames, { packets: 0, bytes: 0 });
});

Deno.test("a new version applies to running streams between two frames", async () => {
  const { app } = _app();
  await _put(app, "edge", _dropProtocol("udp"));
  const first = _pcap(FRAMES.slice(0, 20));
  const rest = _pcap(FRAMES.slice(20), FRAMES.slice(20).map((_, i) => 20 + i)).subarray(24);
  let feed!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (feed = c) });
  feed.enqueue(first);
  const response = await app.request("/rulesets/edge/filter", { method: "POST", body });
  const reader = response.body!.getReader();
  const chunks: Uint8Array[] = [];
  let got = 0;
  // Wait until every frame of the first part has been routed (the router may
  // hold small outputs back until more input comes), then upload version 2.
  for (let i = 0; i < 400; i++) {
    const counters = await (await app.request("/rulesets/edge/counters")).json();
    if (counters.counters.frames.packets === 20) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.equal((await _put(app, "edge", _dropProtocol("tcp"))).status, 200);
  feed.enqueue(rest);
  feed.close();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    got += value.length;
  }
  const output = new Uint8Array(got);
  let at = 0;
  for (const chunk of chunks) {
    output.set(chunk, at);
    at += chunk.length;
  }
  const expected = _subset(FRAMES, (f) => {
    const index = FRAMES.indexOf(f);
    return index < 20 ? !isUdp(f) : f[23] !== 6;
  });
  assert.deepEqual(output, expected);
  const v2 = await (await app.request("/rulesets/edge/counters")).json();
  assert.equal(v2.version, 2);
  assert.equal(v2.counters.frames.packets, FRAMES.length - 20);
});

Deno.test("instances sharing a store switch running streams on a new version (watch)", async () => {
  const store = new MemoryRuleSetStore();
  const controller = new AbortController();
  const a = createApp({ store, token: TOKEN, signal: controller.signal });
  const b = createApp({ store, token: TOKEN, signal: controller.signal });
  assert.equal((await _put(a, "edge", _dropProtocol("udp"))).status, 201);
  let feed!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (feed = c) });
  feed.enqueue(_pcap(FRAMES.slice(0, 20)));
  const response = await b.request("/rulesets/edge/filter", { method: "POST", body });
  assert.equal(response.headers.get("x-bpfstream-version"), "1");
  const output = _bytes(response);
  for (let i = 0; i < 400; i++) {
    const counters = await (await b.request("/rulesets/edge/counters")).json();
    if (counters.counters.frames.packets === 20) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  // Version 2 goes to instance a; nothing is asked of b: its watch must switch the stream.
  assert.equal((await _put(a, "edge", _dropProtocol("tcp"))).status, 200);
  await new Promise((resolve) => setTimeout(resolve, 200));
  feed.enqueue(_pcap(FRAMES.slice(20), FRAMES.slice(20).map((_, i) => 20 + i)).subarray(24));
  feed.close();
  const expected = _subset(FRAMES, (f) => FRAMES.indexOf(f) < 20 ? !isUdp(f) : f[23] !== 6);
  assert.deepEqual(await output, expected);
  controller.abort();
});

Deno.test("unknown routes, health, and internal errors answer JSON without stack traces", async () => {
  const failing: RuleSetStore = {
    ...new MemoryRuleSetStore(),
    list: () => Promise.reject(new Error("disk on fire at /secret/path")),
    watch: () => {},
  } as unknown as RuleSetStore;
  const errors: unknown[] = [];
  const app = createApp({ store: failing, onError: (e) => errors.push(e) });
  const health = await app.request("/healthz");
  assert.deepEqual(await health.json(), { status: "ok", streams: 0 });
  const missing = await app.request("/nope");
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).code, "ROUTE_NOT_FOUND");
  const broken = await app.request("/rulesets");
  assert.equal(broken.status, 500);
  const body = await broken.text();
  assert.deepEqual(JSON.parse(body), {
    error: "Cannot handle request: internal error",
    code: "INTERNAL",
  });
  assert.ok(!body.includes("secret"));
  assert.equal(errors.length, 1);
});

Deno.test("a frame builder sanity check: UDP frames carry protocol 17", () => {
  assert.equal(_ipv4Frame(17, 4)[23], 17);
  assert.equal(FRAMES.filter(isUdp).length, 10);
});
