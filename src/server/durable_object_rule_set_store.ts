/**
 * The Cloudflare Workers {@linkcode RuleSetStore}: every isolate talks to one
 * {@linkcode RuleSetObject} Durable Object, which holds the rule sets, orders
 * the writes and sums the counters.
 *
 * @module
 */
import type { _Call } from "./rule_set_durable_object.ts";
import type {
  RuleSetPutResult,
  RuleSetStore,
  RuleSetSummary,
  StoredRuleSet,
} from "./rule_set_store.ts";

/** What a Durable Object stub offers (the `fetch` of `DurableObjectStub`). */
export interface DurableObjectStubLike {
  /** Sends a request to the object. */
  fetch(request: Request): Promise<Response>;
}

/** The part of a `DurableObjectNamespace` binding this store uses. */
export interface DurableObjectNamespaceLike {
  /** The id of the object named `name`. */
  idFromName(name: string): unknown;
  /** A stub for the object with `id`. */
  get(id: never): DurableObjectStubLike;
}

/** Options of {@linkcode DurableObjectRuleSetStore}. */
export interface DurableObjectRuleSetStoreOptions {
  /** Name of the one object that holds the rule sets. @default {"rulesets"} */
  objectName?: string;
}

/** Most long polls one store keeps open at once (one per request that used it). */
const _MAX_POLLS = 64;

/** Error thrown when the Durable Object answers with an error. */
export class DurableObjectStoreError extends Error {
  /** The HTTP status of the object's answer. */
  readonly status: number;
  /** Wraps the object's error message. */
  constructor(method: string, status: number, message: string) {
    super(`Cannot call rule-set store "${method}": ${message} (status ${status})`);
    this.name = "DurableObjectStoreError";
    this.status = status;
  }
}

/**
 * A {@linkcode RuleSetStore} on a Durable Object namespace binding.
 *
 * All eight methods go to one object (`idFromName("rulesets")`), so every
 * isolate sees one consistent namespace; `put` and `delete` are
 * compare-and-set there. `watch` learns of changes from the sequence number
 * in each answer and by long-polling the object while a listener is
 * registered. Workers tie I/O to the request that started it, so each call
 * starts its own poll, which lives as long as that request: a running
 * filter stream keeps the poll its first call started, while the polls of
 * short requests end with them (at most 64 at once; the
 * oldest gives way). Creating the store (and the app) at module scope does
 * no I/O. A stub is
 * made per call: Workers tie I/O objects to the request that made them.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { DurableObjectRuleSetStore } from "./durable_object_rule_set_store.ts";
 * import { RuleSetObject } from "./rule_set_durable_object.ts";
 * import { _memoryDurableStorage } from "./_memory_durable_storage.ts";
 * const object = new RuleSetObject({ storage: _memoryDurableStorage() });
 * const namespace = { idFromName: (name: string) => name, get: () => object };
 * const store = new DurableObjectRuleSetStore(namespace);
 * const text = "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n";
 * assert.deepStrictEqual(await store.put("edge", text, null, "2024-01-01T00:00:00.000Z"), {
 *   ok: true,
 *   version: 1,
 *   created: true,
 * });
 * assert.strictEqual((await store.get("edge"))?.text, text);
 * ```
 */
export class DurableObjectRuleSetStore implements RuleSetStore {
  readonly #namespace: DurableObjectNamespaceLike;
  readonly #objectName: string;
  readonly #listeners = new Set<(name: string | undefined) => void>();
  #seq: number | undefined;
  readonly #polls = new Set<AbortController>();

  /** Uses `namespace` (the binding, e.g. `env.RULESETS`). */
  constructor(
    namespace: DurableObjectNamespaceLike,
    options: DurableObjectRuleSetStoreOptions = {},
  ) {
    this.#namespace = namespace;
    this.#objectName = options.objectName ?? "rulesets";
  }

  /** Every stored rule set, sorted by name. */
  list(): Promise<RuleSetSummary[]> {
    return this.#call({ method: "list", args: [] }) as Promise<RuleSetSummary[]>;
  }

  /** The stored rule set, or `null`. */
  get(name: string): Promise<StoredRuleSet | null> {
    return this.#call({ method: "get", args: [name] }) as Promise<StoredRuleSet | null>;
  }

  /** The current version, or `null`. */
  version(name: string): Promise<number | null> {
    return this.#call({ method: "version", args: [name] }) as Promise<number | null>;
  }

  /** Compare-and-set write; see {@linkcode RuleSetStore.put}. */
  put(
    name: string,
    text: string,
    expected: number | null,
    updatedAt: string,
  ): Promise<RuleSetPutResult> {
    return this.#call({ method: "put", args: [name, text, expected, updatedAt] }) as Promise<
      RuleSetPutResult
    >;
  }

  /** Compare-and-delete; see {@linkcode RuleSetStore.delete}. */
  delete(name: string, expected: number): Promise<boolean> {
    return this.#call({ method: "delete", args: [name, expected] }) as Promise<boolean>;
  }

  /** Calls `listener` after changes seen by this isolate, until `signal` aborts. */
  watch(listener: (name: string | undefined) => void, signal: AbortSignal): void {
    if (signal.aborted) return;
    this.#listeners.add(listener);
    signal.addEventListener("abort", () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size > 0) return;
      for (const poll of this.#polls) poll.abort();
      this.#polls.clear();
    }, { once: true });
  }

  /** Adds counter deltas in the object (summed over every isolate). */
  async addCounters(name: string, version: number, deltas: [number, number][]): Promise<void> {
    await this.#call({ method: "addCounters", args: [name, version, deltas] });
  }

  /** The summed counters of a version. */
  async readCounters(name: string, version: number): Promise<Map<number, number>> {
    const pairs = await this.#call({ method: "readCounters", args: [name, version] });
    return new Map(pairs as [number, number][]);
  }

  #stub(): DurableObjectStubLike {
    return this.#namespace.get(this.#namespace.idFromName(this.#objectName) as never);
  }

  async #call(call: _Call): Promise<unknown> {
    const response = await this.#stub().fetch(
      new Request("https://rulesets/call", { method: "POST", body: JSON.stringify(call) }),
    );
    const answer = await response.json() as { result?: unknown; seq?: number; error?: string };
    if (!response.ok) {
      throw new DurableObjectStoreError(call.method, response.status, String(answer.error));
    }
    this.#observe(answer.seq ?? 0);
    this.#startPolling();
    return answer.result;
  }

  /** Notifies the listeners when the object's sequence number moved. */
  #observe(seq: number): void {
    const known = this.#seq;
    if (known !== undefined && seq <= known) return;
    this.#seq = seq;
    if (known === undefined) return;
    for (const listener of [...this.#listeners]) queueMicrotask(() => listener(undefined));
  }

  #startPolling(): void {
    if (this.#listeners.size === 0) return;
    if (this.#polls.size >= _MAX_POLLS) {
      const oldest = this.#polls.values().next().value!;
      oldest.abort();
      this.#polls.delete(oldest);
    }
    const poll = new AbortController();
    this.#polls.add(poll);
    (async () => {
      while (this.#listeners.size > 0 && !poll.signal.aborted) {
        const response = await this.#stub().fetch(
          new Request(`https://rulesets/changes?since=${this.#seq ?? 0}`, { signal: poll.signal }),
        );
        const answer = await response.json() as { seq?: number };
        if (!response.ok || typeof answer.seq !== "number") break;
        this.#observe(answer.seq);
      }
    })().catch(() => {}).finally(() => this.#polls.delete(poll));
  }
}
