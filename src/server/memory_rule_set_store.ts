/**
 * An in-memory {@linkcode RuleSetStore} for tests and single-instance
 * deployments without persistent storage (e.g. a Cloudflare Worker).
 *
 * @module
 */
import type {
  RuleSetPutResult,
  RuleSetStore,
  RuleSetSummary,
  StoredRuleSet,
} from "./rule_set_store.ts";

interface _Entry {
  version: number;
  text: string;
  updatedAt: string;
  deleted: boolean;
}

const _encoder = new TextEncoder();

/**
 * A {@linkcode RuleSetStore} kept in a `Map`. Several apps given the same
 * instance behave like several instances sharing one database: writes are
 * compare-and-set and every watcher is told of every change.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryRuleSetStore } from "./memory_rule_set_store.ts";
 * const store = new MemoryRuleSetStore();
 * await store.put("edge", "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n", null, new Date(0).toISOString());
 * assert.equal((await store.get("edge"))?.version, 1);
 * ```
 */
export class MemoryRuleSetStore implements RuleSetStore {
  #entries = new Map<string, _Entry>();
  #counters = new Map<string, Map<number, number>>();
  #listeners = new Set<(name: string | undefined) => void>();

  /** Every stored rule set, sorted by name. */
  list(): Promise<RuleSetSummary[]> {
    const result: RuleSetSummary[] = [];
    for (const [name, entry] of this.#entries) {
      if (entry.deleted) continue;
      result.push({
        name,
        version: entry.version,
        updatedAt: entry.updatedAt,
        size: _encoder.encode(entry.text).length,
      });
    }
    result.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return Promise.resolve(result);
  }

  /** The stored rule set, or `null`. */
  get(name: string): Promise<StoredRuleSet | null> {
    const entry = this.#entries.get(name);
    if (!entry || entry.deleted) return Promise.resolve(null);
    return Promise.resolve({
      name,
      version: entry.version,
      text: entry.text,
      updatedAt: entry.updatedAt,
    });
  }

  /** The current version, or `null`. */
  version(name: string): Promise<number | null> {
    const entry = this.#entries.get(name);
    return Promise.resolve(!entry || entry.deleted ? null : entry.version);
  }

  /** Compare-and-set write; see {@linkcode RuleSetStore.put}. */
  put(
    name: string,
    text: string,
    expected: number | null,
    updatedAt: string,
  ): Promise<RuleSetPutResult> {
    const entry = this.#entries.get(name);
    const current = !entry || entry.deleted ? null : entry.version;
    if (current !== expected) return Promise.resolve({ ok: false, current });
    const version = (entry?.version ?? 0) + 1;
    this.#entries.set(name, { version, text, updatedAt, deleted: false });
    this.#notify(name);
    return Promise.resolve({ ok: true, version, created: current === null });
  }

  /** Compare-and-delete; see {@linkcode RuleSetStore.delete}. */
  delete(name: string, expected: number): Promise<boolean> {
    const entry = this.#entries.get(name);
    if (!entry || entry.deleted || entry.version !== expected) return Promise.resolve(false);
    entry.deleted = true;
    entry.text = "";
    this.#notify(name);
    return Promise.resolve(true);
  }

  /** Calls `listener` after every change until `signal` aborts. */
  watch(listener: (name: string | undefined) => void, signal: AbortSignal): void {
    if (signal.aborted) return;
    this.#listeners.add(listener);
    signal.addEventListener("abort", () => this.#listeners.delete(listener), { once: true });
  }

  /** Adds counter deltas. */
  addCounters(name: string, version: number, deltas: [number, number][]): Promise<void> {
    const key = `${name}\u0000${version}`;
    let sums = this.#counters.get(key);
    if (!sums) this.#counters.set(key, sums = new Map());
    for (const [index, amount] of deltas) sums.set(index, (sums.get(index) ?? 0) + amount);
    return Promise.resolve();
  }

  /** The summed counters of a version. */
  readCounters(name: string, version: number): Promise<Map<number, number>> {
    return Promise.resolve(new Map(this.#counters.get(`${name}\u0000${version}`) ?? []));
  }

  #notify(name: string): void {
    for (const listener of [...this.#listeners]) {
      queueMicrotask(() => listener(name));
    }
  }
}
