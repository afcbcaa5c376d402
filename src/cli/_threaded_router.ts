/**
 * `filter --threads`: the router of `filter`, on one thread or with a
 * second thread classifying part of each block when that pays.
 *
 * @module
 */
import type { CaptureFormatError } from "../capture/capture_format_error.ts";
import type { CompiledRuleSet, CompileRuleSetOptions } from "../rules/compiled_rule_set.ts";
import type { RuleSetCounters } from "../rules/rule_set.ts";
import { _RecordRouter, type _RunSink } from "../stream/_record_router.ts";
import type { RouterStats } from "../stream/router_stats.ts";
import { _WorkerSplit } from "./_worker_split.ts";
import { UsageError } from "../args/usage_error.ts";
import { _idleCore } from "./_idle_core.ts";

/** `--threads`: `"1"` one thread, `"2"` always two, `"auto"` two when it pays. */
export type _Threads = "1" | "2" | "auto";

/** `auto` times routing per window of this much input. */
const _WINDOW_BYTES = 4 << 20;
/** `auto` decides within this many windows. */
const _WINDOWS = 16;
/**
 * `auto` times one block per this much input (a reading of the CPU clock
 * costs about 3 µs on Linux: two per block were 1% of a one-rule run's CPU):
 * one 256 KiB block of a file in four, one 64 KiB block of a pipe in
 * sixteen.
 */
const _TIME_BYTES = 1 << 20;
/**
 * `auto` starts the second thread when routing (decoding, classifying,
 * gathering the runs; not reading or writing) takes at least this much CPU
 * time per MiB of input (of the blocks timed) in two windows in a row after
 * the first (CPU time:
 * a loaded machine makes the rules look less costly than wall time would).
 * Measured (bench/RESULTS.md, issue 11, session 4): no rule or one `--expr`
 * costs 0.2 ms/MiB once warm; 100 diverse rules about 2; 1,000 about 5-8 once
 * warm (up to 19 while their matches compile lazily); 10,000 about 16-30.
 * The worker compiles the rule set again and warms up again (its lazily
 * compiled matches, its JIT), which costs about as much CPU as it saves
 * below a few thousand diverse rules, and more on a loaded machine: `auto`
 * waits for the expensive sets, and for a machine with an idle core.
 */
const _SLOW_MS_PER_MIB = 20;

/** Options of {@linkcode _ThreadedRouter}. */
export interface _ThreadedRouterOptions {
  /**
   * With `"2"`: wait (blocking) for the worker's compile before the first
   * block, and for the worker to join each block, so that it takes part in
   * every block, even of a tiny input (for tests; otherwise the main thread
   * goes on alone until the worker is ready, and does all of a block the
   * worker is late for).
   *
   * @default {false}
   */
  waitForWorker?: boolean;
  /**
   * A CPU clock in milliseconds, which `auto` weighs the rules with: from
   * the shell (`main.ts`: this thread's CPU time on Linux; `node_main.ts`:
   * `process.cpuUsage`). Importing `node:process` here would cost every run
   * about 10 ms of start-up.
   *
   * @default {performance.now} (wall time)
   */
  cpuMs?: () => number;
  /**
   * The one-minute load average (`undefined`: unknown, a core is taken to
   * be idle).
   *
   * @default {() => undefined}
   */
  loadAverage?: () => number | undefined;
}

/**
 * The router of `filter`. With `auto`, the first MiBs are routed on the main
 * thread and timed; when routing is slow enough (the rules cost more than
 * the rest), a worker starts, compiles the rule set, and from the first
 * block after it is ready takes a part of each block. With `"2"` the worker
 * starts at once. Counters are
 * the sum over both threads: {@linkcode _ThreadedRouter.counters}.
 */
export class _ThreadedRouter extends _RecordRouter {
  readonly #rules: CompiledRuleSet;
  readonly #split: _WorkerSplit;
  #probing: boolean;
  #probedBytes = 0;
  #timedBytes = 0;
  /**
   * CPU milliseconds of the timed blocks, in a typed array: a class field
   * going from `0` (a small integer) to a fraction changes the router's
   * hidden class, which threw away the routing loop's optimized code in the
   * middle of every input (3 ms of CPU per million frames; bench/RESULTS.md,
   * issue 12, session 7, round 2).
   */
  readonly #probedMs = new Float64Array(1);
  /** Input left before the next block timed. */
  #untimed = 0;
  #windows = 0;
  #slowBefore = false;
  readonly #cpuMs: () => number;
  readonly #loadAverage: () => number | undefined;

  constructor(
    rules: CompiledRuleSet,
    options: CompileRuleSetOptions,
    threads: _Threads,
    router: _ThreadedRouterOptions = {},
  ) {
    const split = new _WorkerSplit(rules, options, {
      minimum: threads === "2" ? 1 : undefined,
      waitForWorker: router.waitForWorker,
      payoff: threads === "auto",
    });
    super(rules, { split: threads === "1" ? undefined : split });
    this.#rules = rules;
    this.#split = split;
    this.#cpuMs = router.cpuMs ?? (() => performance.now());
    this.#loadAverage = router.loadAverage ?? (() => undefined);
    // A rule set without rules costs nothing to classify.
    this.#probing = threads === "auto" && rules.ruleSet.chains.some((c) => c.rules.length > 0);
    if (threads === "2" && split.start() && router.waitForWorker) split.waitReady();
  }

  /** Records classified on the second thread so far. */
  get offloaded(): number {
    return this.#split.offloaded;
  }

  override push(
    chunk: Uint8Array,
    accepted: _RunSink,
    dropped?: _RunSink,
  ): CaptureFormatError | undefined {
    if (!this.#probing) return super.push(chunk, accepted, dropped);
    let error: CaptureFormatError | undefined;
    // One block per MiB of input is timed, and none in the first window:
    // #decide never weighs it (the rules compile lazily there), so a short
    // input never reads the clock.
    const due = this.#untimed <= 0;
    this.#untimed = (due ? _TIME_BYTES : this.#untimed) - chunk.length;
    if (due && this.#windows > 0) {
      const began = this.#cpuMs();
      error = super.push(chunk, accepted, dropped);
      this.#probedMs[0] += this.#cpuMs() - began;
      this.#timedBytes += chunk.length;
    } else {
      error = super.push(chunk, accepted, dropped);
    }
    this.#probedBytes += chunk.length;
    if (this.#probedBytes >= _WINDOW_BYTES) this.#decide();
    return error;
  }

  /** After each window of input: start the worker once two windows in a
   * row were slow; stop timing after the last window. */
  #decide(): void {
    const msPerMib = this.#timedBytes > 0 ? this.#probedMs[0] / (this.#timedBytes / (1 << 20)) : 0;
    this.#probedMs[0] = this.#probedBytes = this.#timedBytes = 0;
    const windows = ++this.#windows;
    // The first window compiles the rules lazily as frames first reach them.
    const slow = windows > 1 && msPerMib >= _SLOW_MS_PER_MIB;
    if (slow && this.#slowBefore) {
      this.#probing = false;
      // Without an idle core the worker competes with the main thread.
      const cores = globalThis.navigator?.hardwareConcurrency;
      if (_idleCore(this.#loadAverage(), cores)) this.#split.start();
    }
    this.#slowBefore = slow;
    if (windows === _WINDOWS) this.#probing = false;
  }

  /** The counters of both threads, summed. */
  counters(): RuleSetCounters {
    return this.#split.counters(this.#rules.counters());
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
    this.#split.close();
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
