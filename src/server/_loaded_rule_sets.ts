/**
 * The rule-set versions compiled on this instance: one compile per stored
 * version however many requests ask for it at once, a bounded number kept,
 * counters flushed to the store.
 *
 * @module
 */
import type { CompiledRuleSet } from "../rules/compile_rule_set.ts";
import { compileRuleSetAsync } from "../rules/compile_rule_set_async.ts";
import { _makeTestsAhead } from "../rules/_make_tests_ahead.ts";
import { parseRuleSetAsync } from "../rules/parse_rule_set_async.ts";
import type { RuleSet } from "../rules/rule_set.ts";
import type { RuleSetStore } from "./rule_set_store.ts";
import { _toVector } from "./_counter_vector.ts";
import { _HttpError } from "./_http_error.ts";
import type { _Router } from "./_router.ts";

/** A rule-set version compiled on this instance, shared by every stream that uses it. */
export interface _Loaded {
  version: number;
  updatedAt: string;
  loadedAt: string;
  text: string;
  ruleSet: RuleSet;
  compiled: CompiledRuleSet;
  /** The counter vector already added to the store. */
  flushed: number[];
}

/** Filter streams of one rule-set version on this instance. */
export interface _StreamTotals {
  active: number;
  completed: number;
  failed: number;
}

/** What this instance knows of one rule-set name. */
export interface _Entry {
  loaded: _Loaded | undefined;
  routers: Set<_Router>;
  /** Per version; the oldest versions without active streams are dropped past a bound. */
  streams: Map<number, _StreamTotals>;
  errors: Record<string, unknown>[];
}

/** How rule sets are parsed and compiled here. */
export interface _CompileOptions {
  now: () => Date;
  /**
   * Undefined: what `compile()` measures fastest where this runs (closures
   * where code generation is refused), or closures for sets of 1,000 rules or more.
   */
  strategy: "closure" | "source" | undefined;
  maxInstructions: number;
  /** Most names with a compiled version kept (least recently used without streams go first). */
  maxCompiled: number;
  /**
   * Most rules, over all names, kept compiled: before a compile, least
   * recently used versions without streams go until the new one fits.
   */
  maxCompiledRules: number;
  onError: (error: unknown) => void;
}

/**
 * From how many rules a set's programs are compiled as closures when no
 * strategy is configured; smaller sets keep `compile()`'s choice (generated
 * source, walks included, where the runtime allows it). A frame that reaches
 * thousands of programs calls each about once, so generated functions stay
 * in the runtime's slowest tier and are compiled again as they warm, while
 * closures share code that the first frames warm. Measured in process on the
 * server's compile and routing path (bench/_server_strategy_ab.ts,
 * bench/RESULTS.md "Server strategy by set size, session 11 (issue 11)"):
 *
 * - generated diverse sets of 100–1,000 rules: source routes at 0.31–0.43
 *   of the closures' steady cost per frame, first frames 3–7 ms either way;
 *   at 2,000–10,000 rules 0.55–0.81;
 * - count-only `! --expr` sets, which every TCP frame walks through: below
 *   1,000 rules the longest frame with source took 18 ms and the first 28
 *   ms; at 1,000 up to 40 ms, at 2,000 up to 140 ms, at 10,000 27–48 ms
 *   every frame for 3,000 frames (closures: 1.3–2.0 ms).
 */
const _CLOSURES_FROM_RULES = 1_000;

/** Versions of stream totals kept per name. */
const _MAX_VERSIONS = 8;
/** Longest run of parsing or compiling between two yields to the event loop (a step may add a few ms). */
export const _COMPILE_SLICE_MS = 5;

/** The compiled rule sets of one app instance. */
export class _LoadedRuleSets {
  readonly #store: RuleSetStore;
  readonly #options: _CompileOptions;
  /** In least-recently-used order (a use moves a name to the end). */
  readonly #entries = new Map<string, _Entry>();
  /** Compiles under way, by name and version: concurrent requests share one. */
  readonly #compiling = new Map<string, Promise<_Loaded | null>>();
  /** The end of the queue of parse-and-compile work: one runs at a time. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(store: RuleSetStore, options: _CompileOptions) {
    this.#store = store;
    this.#options = options;
  }

  /** The entry of `name` (created empty), marked as just used. */
  entry(name: string): _Entry {
    let e = this.#entries.get(name);
    if (e) this.#entries.delete(name);
    else e = { loaded: undefined, routers: new Set(), streams: new Map(), errors: [] };
    this.#entries.set(name, e);
    return e;
  }

  /** The stream totals of one version of `name` (created at zero). */
  streamTotals(name: string, version: number): _StreamTotals {
    const streams = this.entry(name).streams;
    let totals = streams.get(version);
    if (!totals) {
      streams.set(version, totals = { active: 0, completed: 0, failed: 0 });
      for (const [old, t] of streams) {
        if (streams.size <= _MAX_VERSIONS) break;
        if (t.active === 0 && old !== version) streams.delete(old);
      }
    }
    return totals;
  }

  /** Filter streams running on this instance, over every name. */
  activeStreams(): number {
    let active = 0;
    for (const e of this.#entries.values()) {
      for (const totals of e.streams.values()) active += totals.active;
    }
    return active;
  }

  /**
   * Runs `work` (parsing and compiling) after the work queued before it:
   * one at a time, so that the memory a compile takes while it runs (about
   * twice what the compiled set keeps) is taken once, not once per request.
   */
  oneAtATime<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Parses (in slices) and compiles a rule-set text that is already known to be valid, in turn. */
  load(text: string, version: number, updatedAt: string): Promise<_Loaded> {
    return this.oneAtATime(async () => {
      const ruleSet = await parseRuleSetAsync(text, {
        maxInstructions: this.#options.maxInstructions,
        sliceMilliseconds: _COMPILE_SLICE_MS,
      });
      const compiled = await this.compile(ruleSet);
      return this.loaded(ruleSet, compiled, text, version, updatedAt);
    });
  }

  /**
   * Compiles a parsed rule set without holding the event loop, after making
   * room for its rules (see `maxCompiledRules`), and makes its rules' tests
   * before any frame meets them (src/rules/_make_tests_ahead.ts), both in
   * slices. Callers run it within {@linkcode oneAtATime}.
   */
  async compile(ruleSet: RuleSet): Promise<CompiledRuleSet> {
    const rules = _ruleCount(ruleSet);
    this.#evict(rules);
    const compiled = await compileRuleSetAsync(ruleSet, {
      strategy: this.#options.strategy ?? (rules >= _CLOSURES_FROM_RULES ? "closure" : undefined),
      maxInstructions: this.#options.maxInstructions,
      sliceMilliseconds: _COMPILE_SLICE_MS,
    });
    await _makeTestsAhead(compiled, { sliceMilliseconds: _COMPILE_SLICE_MS });
    return compiled;
  }

  /** A loaded version from its parts. */
  loaded(
    ruleSet: RuleSet,
    compiled: CompiledRuleSet,
    text: string,
    version: number,
    updatedAt: string,
  ): _Loaded {
    const flushed = _toVector(ruleSet, compiled.counters());
    const loadedAt = this.#options.now().toISOString();
    return { version, updatedAt, loadedAt, text, ruleSet, compiled, flushed };
  }

  /** Makes `loaded` current unless a newer version is; returns the current one. */
  install(name: string, loaded: _Loaded): _Loaded {
    const e = this.entry(name);
    const old = e.loaded;
    if (old && old.version >= loaded.version) return old;
    e.loaded = loaded;
    for (const router of e.routers) router.setRuleSet(loaded.compiled);
    if (old) this.#flushQuietly(name, old);
    this.#evict();
    return loaded;
  }

  /** Drops the compiled version of a deleted rule set (after flushing its counters). */
  forget(name: string): void {
    const e = this.#entries.get(name);
    if (!e?.loaded) return;
    this.#flushQuietly(name, e.loaded);
    e.loaded = undefined;
  }

  /** The current version of `name` as stored, compiled on this instance (once per version). */
  async current(name: string): Promise<_Loaded | null> {
    for (let attempt = 0; attempt < 16; attempt++) {
      const version = await this.#store.version(name);
      if (version === null) {
        this.forget(name);
        return null;
      }
      const known = this.#entries.get(name)?.loaded;
      if (known && known.version >= version) {
        this.entry(name);
        return known;
      }
      const key = `${name}\u0000${version}`;
      let compiling = this.#compiling.get(key);
      if (!compiling) {
        compiling = this.#loadStored(name).finally(() => this.#compiling.delete(key));
        this.#compiling.set(key, compiling);
      }
      const loaded = await compiling;
      if (loaded) return loaded;
    }
    throw new _HttpError(
      503,
      "CONFLICT",
      `Cannot load rule set "${name}": it keeps changing`,
      undefined,
      { "Retry-After": "1" },
    );
  }

  /** Adds the counters of `loaded` not yet in the store. */
  async flush(name: string, loaded: _Loaded): Promise<void> {
    const vector = _toVector(loaded.ruleSet, loaded.compiled.counters());
    const deltas: [number, number][] = [];
    vector.forEach((value, i) => {
      if (value !== loaded.flushed[i]) deltas.push([i, value - loaded.flushed[i]]);
    });
    if (deltas.length === 0) return;
    loaded.flushed = vector;
    try {
      await this.#store.addCounters(name, loaded.version, deltas);
    } catch (error) {
      for (const [i, delta] of deltas) loaded.flushed[i] -= delta;
      throw error;
    }
  }

  /** Flushes every loaded version; rejects with the first failure after trying all. */
  async flushAll(): Promise<void> {
    const flushes = [...this.#entries].filter(([, e]) => e.loaded).map(([name, e]) =>
      this.flush(name, e.loaded!)
    );
    const results = await Promise.allSettled(flushes);
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  /** Follows changes in the store (other instances' uploads) until `signal` aborts. */
  watch(signal: AbortSignal): void {
    this.#store.watch((name) => {
      const names = name !== undefined ? [name] : [...this.#entries.keys()];
      for (const n of names) {
        const e = this.#entries.get(n);
        if (e && (e.loaded || e.routers.size > 0)) {
          this.current(n).catch((error) => this.#options.onError(error));
        }
      }
    }, signal);
  }

  async #loadStored(name: string): Promise<_Loaded | null> {
    const stored = await this.#store.get(name);
    if (!stored) return null;
    let loaded: _Loaded;
    try {
      loaded = await this.load(stored.text, stored.version, stored.updatedAt);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new _HttpError(
        500,
        "STORED_RULE_SET_INVALID",
        `Cannot load rule set "${name}" version ${stored.version}: ${message}`,
      );
    }
    return this.install(name, loaded);
  }

  #flushQuietly(name: string, loaded: _Loaded): void {
    this.flush(name, loaded).catch((error) => this.#options.onError(error));
  }

  /**
   * Keeps at most `maxCompiled` names and `maxCompiledRules` rules compiled
   * (`incoming`: rules about to be compiled), dropping the least recently
   * used versions that no stream runs on; the most recently used one stays.
   */
  #evict(incoming = 0): void {
    let names = 0;
    let rules = incoming;
    for (const e of this.#entries.values()) {
      if (!e.loaded) continue;
      names++;
      rules += _ruleCount(e.loaded.ruleSet);
    }
    const { maxCompiled, maxCompiledRules } = this.#options;
    let left = this.#entries.size;
    for (const [name, e] of this.#entries) {
      if (names <= maxCompiled && rules <= maxCompiledRules) break;
      if (--left === 0 && incoming === 0) break; // the one just installed or used
      if (!e.loaded || e.routers.size > 0) continue;
      this.#flushQuietly(name, e.loaded);
      rules -= _ruleCount(e.loaded.ruleSet);
      e.loaded = undefined;
      names--;
    }
  }
}

/** Rules over all chains. */
function _ruleCount(ruleSet: RuleSet): number {
  let rules = 0;
  for (const chain of ruleSet.chains) rules += chain.rules.length;
  return rules;
}
