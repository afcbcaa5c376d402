/**
 * `filter --threads`: the router of `filter`, on one thread or with a
 * second thread classifying each block while the main thread reads,
 * decodes and writes.
 *
 * @module
 */
import type { CaptureDecoderOptions } from "../capture/capture_decoder.ts";
import type { CompiledRuleSet, CompileRuleSetOptions } from "../rules/compiled_rule_set.ts";
import type { RuleSet, RuleSetCounters } from "../rules/rule_set.ts";
import { _RecordRouter } from "../stream/_record_router.ts";
import type { RouterStats } from "../stream/router_stats.ts";
import { _WorkerSplit } from "./_worker_split.ts";
import { UsageError } from "../args/usage_error.ts";
import type { _RuleText } from "./_classify_protocol.ts";

/** `--threads`: `"1"` one thread, `"2"` two, `"auto"` (the default) what was measured faster: one. */
export type _Threads = "1" | "2" | "auto";

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
  /** The text `ruleSet` was parsed from, if any (the worker parses it). */
  text?: _RuleText;
}

/**
 * The second thread `--threads 2` asks for, started (its runtime starts
 * while the main thread compiles: call this before compiling, then
 * `attach` the compiled set), or `undefined` for one thread: `"1"`,
 * `"auto"`, or where no worker can start. `auto` runs one thread: given the
 * main thread's compiled classifier (no second compile), two threads were
 * still slower in wall time at 100 and 1,000 diverse rules with a core idle,
 * 3% faster at 10,000 for 10% more CPU, and slower at every size with the
 * other core busy (the hand-off of each block costs the main thread about
 * what it saves); bench/RESULTS.md, "Two threads without a second compile,
 * session 9".
 */
export function _startSplit(
  ruleSet: RuleSet,
  options: CompileRuleSetOptions,
  threads: _Threads,
  start: _StartSplitOptions = {},
): _WorkerSplit | undefined {
  if (threads !== "2") return undefined;
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

  /** `decoder`: the capture decoder's options (`refuseInterface` of `filter --expr`). */
  constructor(
    rules: CompiledRuleSet,
    split?: _WorkerSplit,
    waitForWorker = false,
    decoder?: CaptureDecoderOptions,
  ) {
    super(rules, { split, decoder });
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
    return this.#split === undefined ? this.#rules.counters() : this.#split.counters(this.#rules);
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
    `Cannot run filter: option '--threads' must be '1', '2' or 'auto' (got '${value}')`,
    "filter",
  );
}
