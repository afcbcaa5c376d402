import assert from "node:assert/strict";
import { createApp } from "./app.ts";
import { DurableObjectRuleSetStore } from "./durable_object_rule_set_store.ts";
import { MemoryRuleSetStore } from "./memory_rule_set_store.ts";
import { RuleSetObject } from "./rule_set_durable_object.ts";
import type { RuleSetStore } from "./rule_set_store.ts";
import { _memoryDurableStorage } from "./_memory_durable_storage.ts";

const TIME = "2024-05-01T12:00:00.000Z";
const DROP_UDP = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp -j DROP\nCOMMIT\n";

/** A namespace whose one object runs on `storage`; each `get` is a new client stub. */
function _namespace(object: RuleSetObject) {
  return {
    idFromName: (name: string) => name,
    get: () => ({ fetch: (r: Request) => object.fetch(r) }),
  };
}

function _store(object = new RuleSetObject({ storage: _memoryDurableStorage() })) {
  return { object, store: new DurableObjectRuleSetStore(_namespace(object)) };
}

Deno.test("DurableObjectRuleSetStore gives the same answers as MemoryRuleSetStore (random operations)", async () => {
  const { store } = _store();
  const oracle = new MemoryRuleSetStore();
  let seed = 17;
  const random = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const names = ["a", "b.c", "d-1"];
  for (let step = 0; step < 400; step++) {
    const name = names[random(names.length)];
    const expected = random(4) === 0 ? null : random(5);
    const both = async <T>(call: (s: RuleSetStore) => Promise<T>) => {
      const [got, want] = [await call(store), await call(oracle)];
      assert.deepEqual(got, want, `step ${step}`);
    };
    const text = `text ${step} ${"é".repeat(random(3))}`;
    switch (random(6)) {
      case 0:
      case 1:
        await both((s) => s.put(name, text, expected, TIME));
        break;
      case 2:
        await both((s) => s.delete(name, expected ?? 1));
        break;
      case 3:
        await both((s) => s.get(name));
        break;
      case 4:
        await both((s) => s.list());
        break;
      default:
        await both((s) => s.version(name));
    }
  }
});

Deno.test("DurableObjectRuleSetStore: of concurrent writers from two clients exactly one wins", async () => {
  const { object, store } = _store();
  const other = new DurableObjectRuleSetStore(_namespace(object));
  await store.put("edge", "base", null, TIME);
  const results = await Promise.all(
    Array.from(
      { length: 10 },
      (_, i) => (i % 2 ? other : store).put("edge", `writer ${i}`, 1, TIME),
    ),
  );
  assert.equal(results.filter((r) => r.ok).length, 1);
  const winner = results.findIndex((r) => r.ok);
  assert.equal((await other.get("edge"))!.text, `writer ${winner}`);
  for (const r of results) if (!r.ok) assert.equal(r.current, 2);
});

Deno.test("DurableObjectRuleSetStore keeps texts over the 128 KiB value limit and frees old chunks", async () => {
  const storage = _memoryDurableStorage();
  const { store } = _store(new RuleSetObject({ storage }));
  const text = "-A INPUT -p udp -j DROP é\n".repeat(40_000); // ~1 MiB, non-ASCII
  assert.equal((await store.put("big", text, null, TIME)).ok, true);
  assert.equal((await store.get("big"))!.text, text);
  assert.equal((await store.list())[0].size, new TextEncoder().encode(text).length);
  assert.equal((await store.put("big", "small", 1, TIME)).ok, true);
  assert.equal((await storage.list({ prefix: "text:big:" })).size, 1);
  for (const value of (await storage.list<unknown>({ prefix: "" })).values()) {
    assert.ok(JSON.stringify(value).length < 128 * 1024);
  }
});

Deno.test("DurableObjectRuleSetStore sums counters from two clients; a new object on the same storage keeps all", async () => {
  const storage = _memoryDurableStorage();
  const { object, store } = _store(new RuleSetObject({ storage }));
  const other = new DurableObjectRuleSetStore(_namespace(object));
  await store.put("edge", "one", null, TIME);
  await store.addCounters("edge", 1, [[0, 5], [3, 1000]]);
  await other.addCounters("edge", 1, [[0, 2]]);
  const deltas = Array.from({ length: 300 }, (_, i) => [i, i + 1] as [number, number]);
  await other.addCounters("edge", 1, deltas);
  const restarted = _store(new RuleSetObject({ storage })).store;
  const sums = await restarted.readCounters("edge", 1);
  assert.equal(sums.get(0), 8);
  assert.equal(sums.get(3), 1004);
  assert.equal(sums.get(299), 300);
  assert.equal(sums.size, 300);
  assert.equal((await restarted.get("edge"))!.text, "one");
  assert.deepEqual(await restarted.readCounters("edge", 2), new Map());
});

Deno.test("DurableObjectRuleSetStore.watch tells another client of a change (long poll)", async () => {
  const { object, store } = _store();
  const other = new DurableObjectRuleSetStore(_namespace(object));
  const controller = new AbortController();
  try {
    const seen = new Promise<string | undefined>((resolve) =>
      other.watch(resolve, controller.signal)
    );
    assert.equal(await other.version("edge"), null); // a call inside a request starts polling
    await store.put("edge", "one", null, TIME);
    assert.equal(await seen, undefined); // the listener re-reads what it needs
    assert.equal(await other.version("edge"), 1);
  } finally {
    controller.abort();
  }
});

Deno.test("two apps on one Durable Object: an upload on one switches the other's running stream", async () => {
  const { object, store } = _store();
  const controller = new AbortController();
  try {
    const first = createApp({ store, signal: controller.signal });
    const second = createApp({
      store: new DurableObjectRuleSetStore(_namespace(object)),
      signal: controller.signal,
    });
    assert.equal(
      (await first.request("/rulesets/edge", { method: "PUT", body: DROP_UDP })).status,
      201,
    );
    const get = await second.request("/rulesets/edge");
    assert.equal(get.headers.get("etag"), '"1"');
    assert.equal(await get.text(), DROP_UDP);
    const stale = await second.request("/rulesets/edge", {
      method: "PUT",
      headers: { "if-match": '"0"' },
      body: DROP_UDP,
    });
    assert.equal(stale.status, 412);
    await stale.body?.cancel();
  } finally {
    controller.abort();
  }
});
