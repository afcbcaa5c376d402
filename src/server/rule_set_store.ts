/**
 * The storage interface of the HTTP service: where rule sets (text, version,
 * time) and flushed counters live.
 *
 * @module
 */

/** One stored rule set. */
export interface StoredRuleSet {
  /** Rule-set name (`[A-Za-z0-9_.-]{1,64}`). */
  name: string;
  /** Version: 1 for the first upload, one more for every replacement. */
  version: number;
  /** The rule set in `iptables-save` text form. */
  text: string;
  /** When this version was stored (ISO 8601). */
  updatedAt: string;
}

/** A stored rule set without its text, as `list()` gives it. */
export interface RuleSetSummary {
  /** Rule-set name. */
  name: string;
  /** Current version. */
  version: number;
  /** When this version was stored (ISO 8601). */
  updatedAt: string;
  /** Size of the text in bytes (UTF-8). */
  size: number;
}

/** Result of {@linkcode RuleSetStore.put}. */
export type RuleSetPutResult =
  | { ok: true; version: number; created: boolean }
  | { ok: false; current: number | null };

/**
 * Persistent rule-set storage with compare-and-set writes. Versions only
 * grow, also across a delete and a new upload of the same name.
 *
 * Implementations: {@linkcode MemoryRuleSetStore} (tests, single instance)
 * and `KvRuleSetStore` (Deno KV, shell side).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryRuleSetStore } from "./memory_rule_set_store.ts";
 * import type { RuleSetStore } from "./rule_set_store.ts";
 * const store: RuleSetStore = new MemoryRuleSetStore();
 * const result = await store.put("edge", "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n", null, "2024-01-01T00:00:00.000Z");
 * assert.deepEqual(result, { ok: true, version: 1, created: true });
 * ```
 */
export interface RuleSetStore {
  /** Every stored rule set, sorted by name. */
  list(): Promise<RuleSetSummary[]>;
  /** The stored rule set, or `null` if there is none. */
  get(name: string): Promise<StoredRuleSet | null>;
  /** The current version only (cheap), or `null` if there is none. */
  version(name: string): Promise<number | null>;
  /**
   * Stores `text` as the next version if and only if the current version is
   * `expected` (`null`: no rule set of that name exists). Exactly one of
   * several concurrent writers with the same `expected` succeeds.
   */
  put(
    name: string,
    text: string,
    expected: number | null,
    updatedAt: string,
  ): Promise<RuleSetPutResult>;
  /** Deletes the rule set if its version is `expected`; `false` if it was not. */
  delete(name: string, expected: number): Promise<boolean>;
  /**
   * Calls `listener` (with the name when known) soon after any rule set
   * changes, whoever changed it (this instance or another one sharing the
   * storage), until `signal` aborts. Notifications may be coalesced: the
   * listener re-reads what it needs.
   */
  watch(listener: (name: string | undefined) => void, signal: AbortSignal): void;
  /** Adds `deltas` (pairs `[counterIndex, amount]`) to the stored counters of a version. */
  addCounters(name: string, version: number, deltas: [number, number][]): Promise<void>;
  /** The stored counters of a version (index → sum); missing indices are 0. */
  readCounters(name: string, version: number): Promise<Map<number, number>>;
}
