/**
 * A Map-backed stand-in for a Durable Object's storage (the subset
 * {@linkcode DurableObjectStorageLike} names), for tests and examples outside
 * workerd. Values are structured-cloned as the real storage does.
 *
 * @module
 */
import type { DurableObjectStorageLike } from "./rule_set_durable_object.ts";

/** A fresh in-memory storage; sharing one between objects shares their data. */
export function _memoryDurableStorage(): DurableObjectStorageLike {
  const data = new Map<string, unknown>();
  const storage = {
    get(keyOrKeys: string | string[]) {
      if (Array.isArray(keyOrKeys)) {
        const result = new Map<string, unknown>();
        for (const key of keyOrKeys) {
          if (data.has(key)) result.set(key, structuredClone(data.get(key)));
        }
        return Promise.resolve(result);
      }
      return Promise.resolve(structuredClone(data.get(keyOrKeys)));
    },
    put(entries: Record<string, unknown>) {
      for (const [key, value] of Object.entries(entries)) data.set(key, structuredClone(value));
      return Promise.resolve();
    },
    delete(keys: string[]) {
      let n = 0;
      for (const key of keys) if (data.delete(key)) n++;
      return Promise.resolve(n);
    },
    list(options: { prefix: string }) {
      const keys = [...data.keys()].filter((key) => key.startsWith(options.prefix)).sort();
      return Promise.resolve(new Map(keys.map((key) => [key, structuredClone(data.get(key))])));
    },
  };
  return storage as DurableObjectStorageLike;
}
