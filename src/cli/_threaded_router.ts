/**
 * `filter --threads`: the router of `filter`, on one thread or with a
 * second thread classifying each block while the main thread reads,
 * decodes and writes.
 *
 * @module
 */
import type { CompiledRuleSet, CompileRuleSetOptions } from "../rules/compiled_rule_set.ts";
import type { RuleSet, RuleSetCounters } from "../rules/rule_set.ts";
import { _RecordRouter } from "../stream/_record_router.ts";
import type { RouterStats } from "../stream/router_stats.ts";
import { _WorkerSplit } from "./_worker_split.ts";
import { UsageError } from "../args/usage_error.ts";
import { _idleCore } from "./_idle_core.ts";
import type { _RuleText } from "./_classify_protocol.ts";

/** `--threads`: `"1"` one thread, `"2"` always two, `"auto"` two when it pays. */
export type _Threads = "1" | "2" | "auto";

/**
 * `auto` starts the second thread for rule sets of at least this many
 * different rules (all chains), on a machine with an idle core: a set of a
 * few rules, or of one rule many times over (the seed's sets), costs too
 * little per frame for the worker's start (about 20 ms of the main thread's
 * time to create it) and hand-offs to pay. bench/RESULTS.md, "Two threads
 * for rule sets (issue 11, session 8)".
 */
export const _AUTO_MIN_RULES = 50;

/** Options of {@linkcode _startSplit}. */
export interface _StartSplitOptions {
  /**
   * With `"2"`: wait (blocking) for the worker's compile before the first
   * block, and for the worker to join each block, so that it takes part in
   * every block, even of a tiny input (for tests; otherwise the main thread
   * goes on alone until the worker is ready, and classifies what the worker
   * has not taken of a block when it needs its verdicts).
   *
   * @default {false}
   */
  waitForWorker?: boolean;
  /**
   * The one-minute load average (`undefined`: unknown, a core is taken to
   * be idle).
   *
   * @default {() => undefined}
   */
  loadAverage?: () => number | undefined;
  /** The text `ruleSet` was parsed from, if any (the worker parses it). */
  text?: _RuleText;
}

/** Different rules in all chains of `ruleSet`, counted up to `enough`. */
function _differentRules(ruleSet: RuleSet, enough: number): number {
  const seen = new Set<string>();
  for (const chain of ruleSet.chains) {
    for (const rule of chain.rules) {
      seen.add(JSON.stringify(rule));
      if (seen.size >= enough) return seen.size;
    }
  }
  return seen.size;
}

/**
 * The second thread `--threads` asks for, started (it compiles the rule set
 * while the main thread compiles its own: call this before compiling), or
 * `undefined` for one thread: `"1"`, or `"auto"` with a set of fewer than
 * {@linkcode _AUTO_MIN_RULES} different rules or no idle core, or where no
 * worker can start.
 */
export function _startSplit(
  ruleSet: RuleSet,
  options: CompileRuleSetOptions,
  threads: _Threads,
  start: _StartSplitOptions = {},
): _WorkerSplit | undefined {
  if (threads === "1") return undefined;
  if (threads === "auto") {
    if (_differentRules(ruleSet, _AUTO_MIN_RULES) < _AUTO_MIN_RULES) return undefined;
    // Without an idle core the worker competes with the main thread.
    const cores = globalThis.navigator?.hardwareConcurrency;
    if (!_idleCore(start.loadAverage?.(), cores)) return undefined;
  }
  const split = new _WorkerSplit(ruleSet, options, {
    waitForWorker: start.waitForWorker,
    text: start.text,
  });
  return split.start() ? split : undefined;
}

/**
 * The router of `filter`: with a started {@linkcode _WorkerSplit}, from the
 * first block after the worker is ready, each block's records are
 * classified by the worker while the main thread goes on, and routed before
 * the next block's (the main thread classifies what the worker has not taken
 * by then). Counters are the sum over both threads:
 * {@linkcode _ThreadedRouter.counters}.
 */
export class _ThreadedRouter extends _RecordRouter {
  readonly #rules: CompiledRuleSet;
  readonly #split: _WorkerSplit | undefined;

  constructor(rules: CompiledRuleSet, split?: _WorkerSplit, waitForWorker = false) {
    super(rules, { split });
    this.#rules = rules;
    this.#split = split;
    split?.attach(rules);
    if (waitForWorker) split?.waitReady();
  }

  /** Records classified on the second thread so far. */
  get offloaded(): number {
    return this.#split?.offloaded ?? 0;
  }

  /** Why the second thread did not take part, if it could not start or failed. */
  get reason(): string | undefined {
    return this.#split?.reason;
  }

  /** The counters of both threads, summed. */
  counters(): RuleSetCounters {
    const local = this.#rules.counters();
    return this.#split === undefined ? local : this.#split.counters(local);
  }

  override snapshot(
    acceptedBytesWritten: number,
    droppedBytesWritten: number,
    error?: unknown,
  ): RouterStats {
    const stats = super.snapshot(acceptedBytesWritten, droppedBytesWritten, error);
    stats.rules = this.counters();
    return stats;
  }

  /** Stops the worker, if any (after the last `counters()`). */
  close(): void {
    this.#split?.close();
  }
}

/** The value of `--threads` (default `auto`). */
export function _threadsOption(value: string | undefined): _Threads {
  if (value === undefined) return "auto";
  if (value === "1" || value === "2" || value === "auto") return value;
  throw new UsageError(
    `Cannot run filter: --threads must be 1, 2 or auto (got "${value}")`,
    "filter",
  );
}
