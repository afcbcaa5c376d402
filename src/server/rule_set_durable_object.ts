/**
 * The Durable Object that holds every rule set of a Cloudflare Workers
 * deployment: one global, consistent namespace. Workers reach it through
 * {@linkcode DurableObjectRuleSetStore}; this class is its server side.
 *
 * Web-standard only (no `cloudflare:workers` import): the runtime calls
 * `new RuleSetObject(state, env)` and `fetch(request)`.
 *
 * @module
 */
import type { RuleSetPutResult, RuleSetSummary, StoredRuleSet } from "./rule_set_store.ts";

/** The part of a Durable Object's transactional storage this object uses. */
export interface DurableObjectStorageLike {
  /** One value, or `undefined`. */
  get<T>(key: string): Promise<T | undefined>;
  /** Several values (at most 128 keys). */
  get<T>(keys: string[]): Promise<Map<string, T>>;
  /** Writes up to 128 entries atomically. */
  put<T>(entries: Record<string, T>): Promise<void>;
  /** Deletes up to 128 keys atomically. */
  delete(keys: string[]): Promise<number>;
  /** Entries whose key starts with `prefix`, in key order. */
  list<T>(options: { prefix: string; limit?: number }): Promise<Map<string, T>>;
}

/** The part of `DurableObjectState` this object uses. */
export interface DurableObjectStateLike {
  /** Transactional storage, private to the object. */
  storage: DurableObjectStorageLike;
}

/** The head record of a rule set. */
interface _Head {
  version: number;
  updatedAt: string;
  size: number;
  chunks: number;
  deleted: boolean;
}

/** One call of the store protocol (`POST /call`). */
export type _Call =
  | { method: "list"; args: [] }
  | { method: "get"; args: [string] }
  | { method: "version"; args: [string] }
  | { method: "put"; args: [string, string, number | null, string] }
  | { method: "delete"; args: [string, number] }
  | { method: "addCounters"; args: [string, number, [number, number][]] }
  | { method: "readCounters"; args: [string, number] };

/** Durable Object storage limits values to 128 KiB: texts are stored in chunks of this many characters. */
const _CHUNK = 32 * 1024;
/** Most keys per storage call. */
const _BATCH = 128;
/** How long a `GET /changes` waits for a change before answering anyway. */
const _LONG_POLL_MS = 25_000;
const _SEQ = "seq";
const _encoder = new TextEncoder();

/**
 * The rule-set Durable Object. Every mutation runs alone (a queue inside the
 * object), so compare-and-set is exact: of several writers expecting the
 * same version exactly one succeeds. Each change bumps a sequence number that
 * clients read from every answer and can wait on (`GET /changes?since=N`),
 * which is how `watch` reaches every isolate. Counters of all isolates are
 * summed here.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { RuleSetObject } from "./rule_set_durable_object.ts";
 * import { _memoryDurableStorage } from "./_memory_durable_storage.ts";
 * const object = new RuleSetObject({ storage: _memoryDurableStorage() });
 * const response = await object.fetch(new Request("https://rulesets/call", {
 *   method: "POST",
 *   body: JSON.stringify({ method: "version", args: ["edge"] }),
 * }));
 * assert.deepStrictEqual(await response.json(), { result: null, seq: 0 });
 * ```
 */
export class RuleSetObject {
  readonly #storage: DurableObjectStorageLike;
  #queue: Promise<unknown> = Promise.resolve();
  #seq: number | undefined;
  #waiters = new Set<() => void>();

  /** Called by the runtime with the object's state (and the Worker's env, unused). */
  constructor(state: DurableObjectStateLike, _env?: unknown) {
    this.#storage = state.storage;
  }

  /** `POST /call` (a {@linkcode _Call} as JSON) or `GET /changes?since=N`. */
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    try {
      if (request.method === "GET" && url.pathname === "/changes") {
        const since = Number(url.searchParams.get("since") ?? "0");
        return Response.json({ seq: await this.#changesAfter(since, request.signal) });
      }
      if (request.method === "POST" && url.pathname === "/call") {
        const call = await request.json() as _Call;
        const result = await this.#serial(() => this.#call(call));
        return Response.json({ result, seq: await this.#currentSeq() });
      }
      return Response.json({ error: `Cannot route ${request.method} ${url.pathname}` }, {
        status: 404,
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return Response.json({ error: message }, { status: 500 });
    }
  }

  #serial<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(operation, operation);
    this.#queue = run.catch(() => {});
    return run;
  }

  #call(call: _Call): Promise<unknown> {
    switch (call.method) {
      case "list":
        return this.#list();
      case "get":
        return this.#get(...call.args);
      case "version":
        return this.#version(...call.args);
      case "put":
        return this.#put(...call.args);
      case "delete":
        return this.#delete(...call.args);
      case "addCounters":
        return this.#addCounters(...call.args);
      case "readCounters":
        return this.#readCounters(...call.args);
      default:
        throw new TypeError(
          `Cannot call rule-set store: unknown method "${(call as { method: string }).method}"`,
        );
    }
  }

  async #list(): Promise<RuleSetSummary[]> {
    const heads = await this.#storage.list<_Head>({ prefix: "head:" });
    const result: RuleSetSummary[] = [];
    for (const [key, head] of heads) {
      if (head.deleted) continue;
      const name = key.slice("head:".length);
      result.push({ name, version: head.version, updatedAt: head.updatedAt, size: head.size });
    }
    return result;
  }

  async #get(name: string): Promise<StoredRuleSet | null> {
    const head = await this.#storage.get<_Head>(_headKey(name));
    if (!head || head.deleted) return null;
    const chunks = await this.#storage.list<string>({ prefix: _textPrefix(name, head.version) });
    return {
      name,
      version: head.version,
      text: [...chunks.values()].join(""),
      updatedAt: head.updatedAt,
    };
  }

  async #version(name: string): Promise<number | null> {
    const head = await this.#storage.get<_Head>(_headKey(name));
    return !head || head.deleted ? null : head.version;
  }

  async #put(
    name: string,
    text: string,
    expected: number | null,
    updatedAt: string,
  ): Promise<RuleSetPutResult> {
    const old = await this.#storage.get<_Head>(_headKey(name));
    const current = !old || old.deleted ? null : old.version;
    if (current !== expected) return { ok: false, current };
    const version = (old?.version ?? 0) + 1;
    const chunks = Math.ceil(text.length / _CHUNK);
    const entries: [string, unknown][] = [];
    for (let i = 0; i < chunks; i++) {
      entries.push([_chunkKey(name, version, i), text.slice(i * _CHUNK, (i + 1) * _CHUNK)]);
    }
    // Chunks first, then the head with the sequence number in one atomic write:
    // a head never points at missing chunks.
    await this.#putAll(entries);
    const head: _Head = {
      version,
      updatedAt,
      size: _encoder.encode(text).length,
      chunks,
      deleted: false,
    };
    await this.#commit(name, head);
    if (old) await this.#deleteText(name, old);
    return { ok: true, version, created: current === null };
  }

  async #delete(name: string, expected: number): Promise<boolean> {
    const old = await this.#storage.get<_Head>(_headKey(name));
    if (!old || old.deleted || old.version !== expected) return false;
    await this.#commit(name, { ...old, deleted: true, size: 0, chunks: 0 });
    await this.#deleteText(name, old);
    return true;
  }

  async #addCounters(name: string, version: number, deltas: [number, number][]): Promise<void> {
    for (let i = 0; i < deltas.length; i += _BATCH) {
      const batch = deltas.slice(i, i + _BATCH);
      const keys = batch.map(([index]) => _counterKey(name, version, index));
      const stored = await this.#storage.get<number>(keys);
      const sums: Record<string, number> = {};
      batch.forEach(([, amount], j) => {
        sums[keys[j]] = (sums[keys[j]] ?? stored.get(keys[j]) ?? 0) + amount;
      });
      await this.#storage.put(sums);
    }
  }

  async #readCounters(name: string, version: number): Promise<[number, number][]> {
    const prefix = `counter:${name}:${version}:`;
    const stored = await this.#storage.list<number>({ prefix });
    return [...stored].map(([key, sum]) => [Number(key.slice(prefix.length)), sum]);
  }

  async #commit(name: string, head: _Head): Promise<void> {
    const seq = (await this.#currentSeq()) + 1;
    await this.#storage.put({ [_headKey(name)]: head, [_SEQ]: seq });
    this.#seq = seq;
    for (const wake of [...this.#waiters]) wake();
  }

  async #deleteText(name: string, head: _Head): Promise<void> {
    const keys: string[] = [];
    for (let i = 0; i < head.chunks; i++) keys.push(_chunkKey(name, head.version, i));
    for (let i = 0; i < keys.length; i += _BATCH) {
      await this.#storage.delete(keys.slice(i, i + _BATCH));
    }
  }

  async #putAll(entries: [string, unknown][]): Promise<void> {
    for (let i = 0; i < entries.length; i += _BATCH) {
      await this.#storage.put(Object.fromEntries(entries.slice(i, i + _BATCH)));
    }
  }

  async #currentSeq(): Promise<number> {
    this.#seq ??= (await this.#storage.get<number>(_SEQ)) ?? 0;
    return this.#seq;
  }

  /** Answers as soon as the sequence number passes `since`, the caller gives up, or after a while. */
  async #changesAfter(since: number, signal: AbortSignal): Promise<number> {
    if ((await this.#currentSeq()) > since || signal.aborted) return this.#seq!;
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        signal.removeEventListener("abort", wake);
        resolve();
      };
      const timer = setTimeout(wake, _LONG_POLL_MS);
      this.#waiters.add(wake);
      signal.addEventListener("abort", wake, { once: true });
    });
    return this.#seq!;
  }
}

function _headKey(name: string): string {
  return `head:${name}`;
}

function _textPrefix(name: string, version: number): string {
  return `text:${name}:${version}:`;
}

/** Chunk keys sort in order: the index is zero-padded. */
function _chunkKey(name: string, version: number, index: number): string {
  return `${_textPrefix(name, version)}${String(index).padStart(6, "0")}`;
}

function _counterKey(name: string, version: number, index: number): string {
  return `counter:${name}:${version}:${index}`;
}
