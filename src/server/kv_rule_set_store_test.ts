import assert from "node:assert/strict";
import { KvRuleSetStore } from "./kv_rule_set_store.ts";

const TIME = "2024-05-01T12:00:00.000Z";

async function _withStore(test: (path: string, store: KvRuleSetStore) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/rules.kv`;
  const store = await KvRuleSetStore.open(path);
  try {
    await test(path, store);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("KvRuleSetStore stores versions with compare-and-set", async () => {
  await _withStore(async (_path, store) => {
    assert.equal(await store.version("edge"), null);
    assert.deepEqual(await store.put("edge", "one", null, TIME), {
      ok: true,
      version: 1,
      created: true,
    });
    assert.deepEqual(await store.put("edge", "two", null, TIME), { ok: false, current: 1 });
    assert.deepEqual(await store.put("edge", "two", 1, TIME), {
      ok: true,
      version: 2,
      created: false,
    });
    assert.deepEqual(await store.get("edge"), {
      name: "edge",
      version: 2,
      text: "two",
      updatedAt: TIME,
    });
    assert.deepEqual(await store.list(), [{ name: "edge", version: 2, updatedAt: TIME, size: 3 }]);
  });
});

Deno.test("KvRuleSetStore: of concurrent writers expecting the same version exactly one wins", async () => {
  await _withStore(async (_path, store) => {
    await store.put("edge", "base", null, TIME);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.put("edge", `writer ${i}`, 1, TIME)),
    );
    const winners = results.filter((r) => r.ok);
    assert.equal(winners.length, 1);
    const text = (await store.get("edge"))!.text;
    assert.equal(results.findIndex((r) => r.ok), Number(text.split(" ")[1]));
    // Losers left no text chunks behind.
    const kv = await Deno.openKv(_path);
    let chunks = 0;
    for await (const _ of kv.list({ prefix: ["bpfstream", "text", "edge"] })) chunks++;
    kv.close();
    assert.equal(chunks, 1);
  });
});

Deno.test("KvRuleSetStore keeps texts over the 64 KiB value limit (chunked)", async () => {
  await _withStore(async (_path, store) => {
    const text = "-A INPUT -p udp -j DROP é\n".repeat(40_000); // ~1 MiB, non-ASCII
    assert.equal((await store.put("big", text, null, TIME)).ok, true);
    assert.equal((await store.get("big"))!.text, text);
    assert.equal((await store.list())[0].size, new TextEncoder().encode(text).length);
  });
});

Deno.test("KvRuleSetStore delete leaves a tombstone: versions keep growing", async () => {
  await _withStore(async (_path, store) => {
    await store.put("edge", "one", null, TIME);
    assert.equal(await store.delete("edge", 2), false);
    assert.equal(await store.delete("edge", 1), true);
    assert.equal(await store.get("edge"), null);
    assert.deepEqual(await store.list(), []);
    assert.deepEqual(await store.put("edge", "again", null, TIME), {
      ok: true,
      version: 2,
      created: true,
    });
  });
});

Deno.test("KvRuleSetStore sums counters and survives reopening the file", async () => {
  await _withStore(async (path, store) => {
    await store.put("edge", "one", null, TIME);
    await store.addCounters("edge", 1, [[0, 5], [3, 1000]]);
    await store.addCounters("edge", 1, [[0, 2]]);
    const other = await KvRuleSetStore.open(path);
    try {
      assert.deepEqual(await other.readCounters("edge", 1), new Map([[0, 7], [3, 1000]]));
      assert.equal((await other.get("edge"))!.text, "one");
    } finally {
      other.close();
    }
  });
});

Deno.test("KvRuleSetStore.watch tells another handle on the same database of a change", async () => {
  await _withStore(async (path, store) => {
    const other = await KvRuleSetStore.open(path);
    const controller = new AbortController();
    try {
      const seen = new Promise<string | undefined>((resolve) =>
        other.watch(resolve, controller.signal)
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = Date.now();
      await store.put("edge", "one", null, TIME);
      assert.equal(await seen, "edge");
      assert.ok(Date.now() - started < 1000);
    } finally {
      controller.abort();
      other.close();
    }
  });
});

Deno.test("KvRuleSetStore.sweepOrphans deletes the chunks of a killed upload, nothing else", async () => {
  await _withStore(async (path, store) => {
    const text = "-A INPUT -p udp -j DROP\n".repeat(10_000); // 4 chunks
    assert.equal((await store.put("edge", text, null, TIME)).ok, true);
    const kv = await Deno.openKv(path);
    try {
      // What a process killed during a PUT leaves once its upload marker expired.
      for (let i = 0; i < 3; i++) {
        await kv.set(["bpfstream", "text", "edge", "killed-upload", i], new Uint8Array(60 * 1024));
      }
      // An upload still running on another instance: its marker protects its chunks.
      await kv.set(["bpfstream", "uploads", "running-upload"], { name: "other" });
      await kv.set(["bpfstream", "text", "other", "running-upload", 0], new Uint8Array(10));
      assert.equal(await store.sweepOrphans(), 3);
      const left: string[] = [];
      for await (const entry of kv.list({ prefix: ["bpfstream", "text"] })) {
        const upload = String(entry.key[3]);
        left.push(`${upload === "running-upload" ? upload : "head"}/${String(entry.key[4])}`);
      }
      assert.deepEqual(left.sort(), ["head/0", "head/1", "head/2", "head/3", "running-upload/0"]);
      assert.equal((await store.get("edge"))!.text, text);
      assert.equal(await store.sweepOrphans(), 0);
    } finally {
      kv.close();
    }
  });
});

Deno.test("KvRuleSetStore.put leaves no upload marker behind", async () => {
  await _withStore(async (path, store) => {
    await store.put("edge", "-A INPUT -j DROP\n", null, TIME);
    await store.put("edge", "-A INPUT -j ACCEPT\n", 5, TIME); // loses: wrong version
    const kv = await Deno.openKv(path);
    try {
      const markers = await Array.fromAsync(kv.list({ prefix: ["bpfstream", "uploads"] }));
      assert.equal(markers.length, 0);
    } finally {
      kv.close();
    }
  });
});
