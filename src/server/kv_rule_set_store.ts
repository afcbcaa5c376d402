/**
 * The Deno KV {@linkcode RuleSetStore}: a local SQLite file by default, the
 * platform's distributed KV on Deno Deploy, and on Node.js or Bun the same
 * database through the `@deno/kv` npm package. Shell side: besides
 * `main.ts`, the one file of the service that uses `Deno.*` (in `open` only).
 *
 * @module
 */
import type {
  RuleSetPutResult,
  RuleSetStore,
  RuleSetSummary,
  StoredRuleSet,
} from "./rule_set_store.ts";

/** The head record of a rule set (`["bpfstream", "rulesets", name]`). */
interface _Head {
  version: number;
  updatedAt: string;
  size: number;
  /** Unique id of the upload whose text chunks this version uses. */
  upload: string;
  chunks: number;
  deleted: boolean;
}

/** A Deno KV key. */
type _Key = readonly (string | number | bigint | boolean | Uint8Array)[];
/** A mutation of an atomic operation (the subset used here). */
type _Mutation = { type: "set"; key: _Key; value: unknown } | { type: "delete"; key: _Key };
/** An entry as `get`, `list` and `watch` give it. */
interface _Entry<T> {
  key: _Key;
  value: T | null;
  versionstamp: string | null;
}
/** An atomic operation (the subset used here). */
interface _Atomic {
  check(...checks: { key: _Key; versionstamp: string | null }[]): _Atomic;
  set(key: _Key, value: unknown): _Atomic;
  delete(key: _Key): _Atomic;
  sum(key: _Key, n: bigint): _Atomic;
  mutate(...mutations: _Mutation[]): _Atomic;
  commit(): Promise<{ ok: boolean }>;
}

/**
 * The part of a Deno KV database this store uses: `Deno.Kv` on Deno, and
 * what `openKv` of the `@deno/kv` npm package returns on Node.js and Bun.
 */
export interface KvLike {
  /** One entry. */
  get<T>(key: _Key): Promise<_Entry<T>>;
  /** Sets one entry, optionally expiring after `expireIn` milliseconds. */
  set(
    key: _Key,
    value: unknown,
    options?: { expireIn?: number },
  ): Promise<{ ok: boolean; versionstamp: string }>;
  /** Deletes one entry. */
  delete(key: _Key): Promise<void>;
  /** Entries under a prefix, in key order. */
  list<T>(
    selector: { prefix: _Key },
    options?: { batchSize?: number },
  ): AsyncIterable<{ key: _Key; value: T }>;
  /** Starts an atomic operation. */
  atomic(): _Atomic;
  /** Streams the entries of `keys` on every change (the first emission is their current state). */
  watch(keys: _Key[]): ReadableStream<_Entry<unknown>[]>;
  /** Closes the database. */
  close(): void;
}

const _ROOT = "bpfstream";
/** Deno KV values are limited to 64 KiB: texts are stored in chunks. */
const _CHUNK = 60 * 1024;
/**
 * An upload in progress is marked under `["bpfstream", "uploads", id]` for
 * this long: a process killed during a PUT leaves chunks whose marker
 * expires, and {@linkcode KvRuleSetStore.sweepOrphans} then deletes them.
 */
const _UPLOAD_MARKER_MS = 60 * 1000;
/** Deno KV allows at most 1000 mutations per atomic operation. */
const _MUTATIONS = 500;

const _encoder = new TextEncoder();
const _decoder = new TextDecoder();

/**
 * A {@linkcode RuleSetStore} in Deno KV.
 *
 * Layout: a head record per name (version, time, size, upload id) written
 * with an atomic versionstamp check, so that of several concurrent uploads
 * with the same expected version exactly one commits; the text in ≤ 60 KiB
 * chunks under the upload id (written before the head, so a head never
 * points at missing chunks; a losing upload deletes its chunks); a
 * `changes` key set in the same atomic operation, which every instance
 * watches with `kv.watch`; counters as `Deno.KvU64` summed with `sum`.
 * Versions stay monotonic across deletes (a deleted head is a tombstone).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { KvRuleSetStore } from "./kv_rule_set_store.ts";
 * const folder = await Deno.makeTempDir();
 * const store = await KvRuleSetStore.open(`${folder}/bpfstream.kv`);
 * assert.deepEqual(await store.list(), []); // a new store holds no rule set
 * store.close();
 * await Deno.remove(folder, { recursive: true });
 * // On Node.js or Bun: new KvRuleSetStore(await openKv("./bpfstream.kv")), openKv from "@deno/kv".
 * ```
 */
export class KvRuleSetStore implements RuleSetStore {
  readonly #kv: KvLike;
  #closed = false;
  readonly #watchers = new Set<ReadableStreamDefaultReader<unknown>>();

  /** Wraps an open database (closed by {@linkcode KvRuleSetStore.close}). */
  constructor(kv: KvLike) {
    this.#kv = kv;
  }

  /** Opens Deno KV at `path` (a file; the platform's KV on Deno Deploy when omitted). */
  static async open(path?: string): Promise<KvRuleSetStore> {
    return new KvRuleSetStore(await Deno.openKv(path) as unknown as KvLike);
  }

  /** Stops the watchers and closes the database. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const reader of this.#watchers) reader.cancel().catch(() => {});
    this.#watchers.clear();
    this.#kv.close();
  }

  /** Every stored rule set, sorted by name. */
  async list(): Promise<RuleSetSummary[]> {
    const result: RuleSetSummary[] = [];
    for await (const entry of this.#kv.list<_Head>({ prefix: [_ROOT, "rulesets"] })) {
      const head = entry.value;
      if (head.deleted) continue;
      result.push({
        name: String(entry.key[2]),
        version: head.version,
        updatedAt: head.updatedAt,
        size: head.size,
      });
    }
    return result;
  }

  /** The stored rule set, or `null`. */
  async get(name: string): Promise<StoredRuleSet | null> {
    const head = (await this.#kv.get<_Head>(_headKey(name))).value;
    if (!head || head.deleted) return null;
    const bytes = new Uint8Array(head.size);
    let at = 0;
    const prefix = [_ROOT, "text", name, head.upload];
    for await (const entry of this.#kv.list<Uint8Array>({ prefix })) {
      bytes.set(entry.value, at);
      at += entry.value.length;
    }
    if (at !== head.size) return null; // deleted under our feet
    return { name, version: head.version, text: _decoder.decode(bytes), updatedAt: head.updatedAt };
  }

  /** The current version, or `null`. */
  async version(name: string): Promise<number | null> {
    const head = (await this.#kv.get<_Head>(_headKey(name))).value;
    return !head || head.deleted ? null : head.version;
  }

  /** Compare-and-set write; see {@linkcode RuleSetStore.put}. */
  async put(
    name: string,
    text: string,
    expected: number | null,
    updatedAt: string,
  ): Promise<RuleSetPutResult> {
    const old = await this.#kv.get<_Head>(_headKey(name));
    const current = !old.value || old.value.deleted ? null : old.value.version;
    if (current !== expected) return { ok: false, current };
    const bytes = _encoder.encode(text);
    const upload = crypto.randomUUID();
    const marker: _Key = [_ROOT, "uploads", upload];
    const marked = await this.#kv.set(marker, { name, startedAt: updatedAt }, {
      expireIn: _UPLOAD_MARKER_MS,
    });
    const chunks = Math.ceil(bytes.length / _CHUNK);
    const keys: _Key[] = [];
    for (let i = 0; i < chunks; i++) keys.push([_ROOT, "text", name, upload, i]);
    await this.#mutate(keys.map((key, i) => ({
      type: "set",
      key,
      value: bytes.subarray(i * _CHUNK, (i + 1) * _CHUNK),
    })));
    const version = (old.value?.version ?? 0) + 1;
    const head: _Head = { version, updatedAt, size: bytes.length, upload, chunks, deleted: false };
    // The marker must still be there: once it expired, a sweep may have
    // deleted the chunks, and no head may point at them.
    const commit = await this.#kv.atomic()
      .check({ key: _headKey(name), versionstamp: old.versionstamp })
      .check({ key: marker, versionstamp: marked.versionstamp })
      .set(_headKey(name), head)
      .set([_ROOT, "changes"], { name, version })
      .delete(marker)
      .commit();
    if (!commit.ok) {
      await this.#deleteKeys(keys);
      const expired = (await this.#kv.get(marker)).versionstamp === null;
      await this.#kv.delete(marker);
      if (expired) {
        throw new Error(
          `Cannot store rule set "${name}": the upload took longer than ${_UPLOAD_MARKER_MS} ms`,
        );
      }
      return { ok: false, current: await this.version(name) };
    }
    if (old.value) await this.#deleteText(name, old.value);
    return { ok: true, version, created: current === null };
  }

  /** Compare-and-delete; see {@linkcode RuleSetStore.delete}. */
  async delete(name: string, expected: number): Promise<boolean> {
    const old = await this.#kv.get<_Head>(_headKey(name));
    if (!old.value || old.value.deleted || old.value.version !== expected) return false;
    const tombstone: _Head = { ...old.value, deleted: true, size: 0, chunks: 0, upload: "" };
    const commit = await this.#kv.atomic()
      .check({ key: _headKey(name), versionstamp: old.versionstamp })
      .set(_headKey(name), tombstone)
      .set([_ROOT, "changes"], { name, version: null })
      .commit();
    if (!commit.ok) return false;
    await this.#deleteText(name, old.value);
    return true;
  }

  /** Watches the `changes` key with `kv.watch` until `signal` aborts. */
  watch(listener: (name: string | undefined) => void, signal: AbortSignal): void {
    if (signal.aborted || this.#closed) return;
    const reader = this.#kv.watch([[_ROOT, "changes"]]).getReader();
    this.#watchers.add(reader);
    signal.addEventListener("abort", () => {
      this.#watchers.delete(reader);
      reader.cancel().catch(() => {});
    }, { once: true });
    (async () => {
      let first = true;
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        if (first) { // the first emission is the current state, not a change
          first = false;
          continue;
        }
        const change = value[0]?.value as { name?: unknown } | null | undefined;
        listener(typeof change?.name === "string" ? change.name : undefined);
      }
    })().catch(() => {}).finally(() => this.#watchers.delete(reader));
  }

  /** Adds counter deltas with `sum` on `Deno.KvU64` values. */
  async addCounters(name: string, version: number, deltas: [number, number][]): Promise<void> {
    for (let i = 0; i < deltas.length; i += _MUTATIONS) {
      let operation = this.#kv.atomic();
      for (const [index, amount] of deltas.slice(i, i + _MUTATIONS)) {
        operation = operation.sum([_ROOT, "counters", name, version, index], BigInt(amount));
      }
      await operation.commit();
    }
  }

  /** The summed counters of a version. */
  async readCounters(name: string, version: number): Promise<Map<number, number>> {
    const result = new Map<number, number>();
    const prefix = [_ROOT, "counters", name, version];
    for await (const entry of this.#kv.list<{ value: bigint }>({ prefix })) {
      result.set(Number(entry.key[4]), Number(entry.value.value));
    }
    return result;
  }

  /**
   * Deletes text chunks that no rule set uses and no upload in progress
   * owns: what a process killed during a PUT leaves behind (its upload marker
   * expires after a minute). Safe while other instances upload: markers
   * are read before heads, an upload's marker lives until its head is
   * written, and a head is only written while its marker still exists (so
   * never over swept chunks). Returns the number of chunks deleted.
   */
  async sweepOrphans(): Promise<number> {
    const chunks: _Key[] = [];
    for await (const entry of this.#kv.list({ prefix: [_ROOT, "text"] }, { batchSize: 500 })) {
      chunks.push(entry.key);
    }
    if (chunks.length === 0) return 0;
    const live = new Set<string>();
    for await (const entry of this.#kv.list({ prefix: [_ROOT, "uploads"] })) {
      live.add(String(entry.key[2]));
    }
    for await (const entry of this.#kv.list<_Head>({ prefix: [_ROOT, "rulesets"] })) {
      if (!entry.value.deleted) live.add(entry.value.upload);
    }
    const orphans = chunks.filter((key) => !live.has(String(key[3])));
    await this.#deleteKeys(orphans);
    return orphans.length;
  }

  async #deleteText(name: string, head: _Head): Promise<void> {
    const keys: _Key[] = [];
    for (let i = 0; i < head.chunks; i++) keys.push([_ROOT, "text", name, head.upload, i]);
    await this.#deleteKeys(keys);
  }

  async #deleteKeys(keys: _Key[]): Promise<void> {
    await this.#mutate(keys.map((key) => ({ type: "delete", key })));
  }

  async #mutate(mutations: _Mutation[]): Promise<void> {
    for (let i = 0; i < mutations.length; i += 10) {
      // 10 chunks of 60 KiB stay under the 800 KiB limit of one atomic operation.
      const result = await this.#kv.atomic().mutate(...mutations.slice(i, i + 10)).commit();
      if (!result.ok) throw new Error("Cannot write to Deno KV: atomic operation failed");
    }
  }
}

function _headKey(name: string): _Key {
  return [_ROOT, "rulesets", name];
}
