/**
 * The main thread's side of `filter --threads`: a second thread (a Web
 * Worker) classifies the last part of each input block while the main
 * thread classifies the first part, and the router writes both in order.
 *
 * @module
 */
import type { CaptureInterface } from "../capture/capture_interface.ts";
import type { RecordBatch } from "../capture/record_batch.ts";
import type { CompileRuleSetOptions } from "../rules/compiled_rule_set.ts";
import type { RuleSetCounters } from "../rules/rule_set.ts";
import type { _RecordRouterSplit } from "../stream/_record_router.ts";
import {
  _CLASSIFY,
  _COUNT,
  _COUNTERS,
  _CURSOR,
  _DONE,
  _FIELDS,
  _INTERFACES,
  _JOB,
  _JOINED,
  _LEFT,
  _MAX_BYTES,
  _MAX_RECORDS,
  _METADATA,
  _READY,
  _sharedBuffers,
  type _SharedViews,
  _sharedViews,
  _STOP,
  _waitFor,
  _waitWhile,
  _WORKER_ANSWER_MS,
} from "./_classify_protocol.ts";
import { _ChunkClassifier } from "./_classify_chunks.ts";
import { _addFlatCounters, _counterSlots } from "./_flat_counters.ts";
import { _SplitPayoff } from "./_split_payoff.ts";
import type { CompiledRuleSet } from "../rules/compiled_rule_set.ts";
import { _classifyWorkerUrl } from "./_classify_worker_url.ts";

/** Longest blocking wait for the worker's compile ({@linkcode _WorkerSplit.waitReady}). */
const _READY_WAIT_MS = 60_000;

/** Options of {@linkcode _WorkerSplit}. */
export interface _WorkerSplitOptions {
  /** Fewest records worth handing to the worker in one block. @default {64} */
  minimum?: number;
  /**
   * Wait for the worker to join every job before the main thread starts on
   * it (for tests: the worker then classifies a good part of every block,
   * even of tiny inputs).
   *
   * @default {false}
   */
  waitForWorker?: boolean;
  /**
   * Pause the split while it does not pay ({@linkcode _SplitPayoff}).
   *
   * @default {false}
   */
  payoff?: boolean;
}

/**
 * The split of each block between the main thread and one worker. Until
 * {@linkcode _WorkerSplit.start} and the worker's compile are done, every
 * record stays on the main thread. Then each block's records are copied into
 * shared memory and both threads claim chunks of them until none is left:
 * each does what it has time for, and a worker that is late (descheduled on
 * a loaded machine) is not waited for unless it took a chunk.
 */
export class _WorkerSplit implements _RecordRouterSplit {
  readonly #rules: CompiledRuleSet;
  readonly #options: CompileRuleSetOptions;
  readonly #minimum: number;
  readonly #waitForWorker: boolean;
  readonly #payoff: _SplitPayoff | undefined;
  #copyMs = 0;
  #worker: Worker | undefined;
  #views: _SharedViews | undefined;
  #chunks: _ChunkClassifier | undefined;
  #job = 0;
  #count = 0;
  #sentInterfaces = 0;
  #used = false;
  #closed = false;
  /** Why the worker is not used, when it could not start or failed (for debugging). */
  reason: string | undefined;
  /** Records the worker classified so far. */
  offloaded = 0;

  constructor(
    rules: CompiledRuleSet,
    options: CompileRuleSetOptions,
    split: _WorkerSplitOptions = {},
  ) {
    this.#rules = rules;
    this.#options = options;
    this.#minimum = split.minimum ?? 64;
    this.#waitForWorker = split.waitForWorker ?? false;
    this.#payoff = split.payoff ? new _SplitPayoff() : undefined;
  }

  /** Starts the worker (it compiles the rule set on its own); false, with
   * {@linkcode _WorkerSplit.reason}, where it cannot. */
  start(): boolean {
    if (this.#worker !== undefined || this.#closed) return this.#worker !== undefined;
    if (typeof Worker !== "function" || typeof SharedArrayBuffer !== "function") {
      this.reason = "this runtime has no Web Workers with shared memory";
      return false;
    }
    const buffers = _sharedBuffers(_counterSlots(this.#rules.ruleSet));
    try {
      this.#worker = new Worker(_classifyWorkerUrl().href, { type: "module" });
      this.#worker.postMessage({
        kind: "start",
        buffers,
        ruleSet: this.#rules.ruleSet,
        options: this.#options,
      });
    } catch (error) {
      this.reason = `cannot start a worker: ${error instanceof Error ? error.message : error}`;
      this.#worker?.terminate();
      this.#worker = undefined;
      return false;
    }
    this.#worker.addEventListener("message", (event: MessageEvent) => {
      if (event.data?.kind === "failed") this.reason = `the worker failed: ${event.data.message}`;
    });
    this.#worker.addEventListener("error", (event: ErrorEvent) => {
      // The worker could not load (never ready): the main thread goes on alone.
      event.preventDefault();
      this.reason = `the worker failed: ${event.message}`;
    });
    this.#views = _sharedViews(buffers);
    this.#chunks = new _ChunkClassifier(this.#rules, this.#views);
    return true;
  }

  /** Whether the worker has compiled the rule set and takes jobs. */
  get ready(): boolean {
    return this.#views !== undefined && !this.#closed &&
      Atomics.load(this.#views.control, _READY) === 1;
  }

  /** Waits (blocking, at most `_READY_WAIT_MS`) until the worker is ready
   * or failed; whether it is ready. */
  waitReady(): boolean {
    if (this.#views === undefined) return false;
    const control = this.#views.control;
    const deadline = performance.now() + _READY_WAIT_MS;
    while (Atomics.load(control, _READY) === 0 && performance.now() < deadline) {
      Atomics.wait(control, _READY, 0, 100);
    }
    return this.ready;
  }

  /** Posts records `[at, batch.count)` as a classify job; `at` is returned
   * (`batch.count`: the router classifies the batch itself). */
  split(batch: RecordBatch, interfaces: readonly CaptureInterface[]): number {
    const count = batch.count;
    if (!this.ready || this.#payoff?.paused()) return count;
    const began = performance.now();
    const at = _sharedFrom(batch);
    if (count - at < this.#minimum || count === at) return count;
    const views = this.#views!;
    if (interfaces.length > this.#sentInterfaces) {
      const added = interfaces.slice(this.#sentInterfaces);
      this.#worker!.postMessage({ kind: "interfaces", interfaces: added });
      this.#chunks!.interfaces.push(...added);
      this.#sentInterfaces = interfaces.length;
    }
    _copyJob(batch, at, views);
    const control = views.control;
    this.#count = count - at;
    Atomics.store(control, _COUNT, this.#count);
    Atomics.store(control, _INTERFACES, interfaces.length);
    Atomics.store(control, _CURSOR, 0);
    this.#post(_CLASSIFY);
    this.#used = true;
    this.#copyMs = performance.now() - began;
    return at;
  }

  /** Classifies the job's records with the worker, each claiming chunks;
   * returns the verdicts once every record has one. */
  verdicts(): Uint8Array {
    const views = this.#views!;
    const control = views.control;
    const count = this.#count;
    if (this.#waitForWorker) _waitWhile(control, _JOINED, this.#job);
    const began = performance.now();
    const mine = this.#chunks!.run(count);
    const worked = performance.now();
    // The worker took part (then wait until it left), or the job is closed to it.
    if (Atomics.compareExchange(control, _JOINED, this.#job, 0) !== this.#job) {
      if (!_waitFor(control, _LEFT, this.#job)) throw _noAnswer("its part of a block");
      this.offloaded += count - mine;
    }
    const waitMs = performance.now() - worked;
    this.#payoff?.record(this.#copyMs + waitMs, worked - began, mine, count - mine);
    if (Atomics.load(control, _READY) !== 1) {
      throw new Error("Cannot classify on the second thread: the worker failed");
    }
    return views.verdicts.subarray(0, count);
  }

  /** `local` (the main thread's counters) plus the worker's. */
  counters(local: RuleSetCounters): RuleSetCounters {
    if (!this.#used || this.#closed) return local;
    const control = this.#views!.control;
    this.#post(_COUNTERS);
    if (!_waitFor(control, _DONE, this.#job)) throw _noAnswer("its counters");
    return _addFlatCounters(this.#rules.ruleSet, local, this.#views!.counters);
  }

  /** Stops the worker (take the counters first). Safe to call more than once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const views = this.#views;
    if (views !== undefined && Atomics.load(views.control, _READY) === 1) this.#post(_STOP);
    this.#worker?.terminate();
  }

  #post(kind: number): void {
    const control = this.#views!.control;
    this.#job = (((this.#job >>> 2) + 1) << 2 | kind) & 0x7fffffff;
    // A classify job is open to the worker before the worker can see it.
    if (kind === _CLASSIFY) Atomics.store(control, _JOINED, this.#job);
    Atomics.store(control, _JOB, this.#job);
    Atomics.notify(control, _JOB);
  }
}

/** The first record of `batch` in shared memory: every record in
 * `batch.bytes`, or the last ones that fit. */
function _sharedFrom(batch: RecordBatch): number {
  const count = batch.count;
  const at = Math.max(batch.carried, count - _MAX_RECORDS);
  if (at >= count) return count;
  const last = batch.end[count - 1];
  const start = batch.start;
  if (last - start[at] <= _MAX_BYTES) return at;
  // The first record from which the rest fits (starts increase).
  let low = at, high = count;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (last - start[middle] <= _MAX_BYTES) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** Copies records `[at, batch.count)` (all in `batch.bytes`) and their bytes into `views`. */
function _copyJob(batch: RecordBatch, at: number, views: _SharedViews): void {
  const count = batch.count;
  const base = batch.start[at];
  views.bytes.set(batch.bytes.subarray(base, batch.end[count - 1]));
  const { kind, dataStart, capturedLength, wireLength, interfaceIndex } = batch;
  const table = views.table;
  for (let i = at, t = 0; i < count; i++, t += _FIELDS) {
    table[t] = dataStart[i] - base;
    table[t + 1] = capturedLength[i];
    table[t + 2] = wireLength[i];
    table[t + 3] = kind[i] === 0 ? _METADATA : interfaceIndex[i];
  }
}

/** The error when the worker did not answer within `_WORKER_ANSWER_MS`. */
function _noAnswer(what: string): Error {
  return new Error(
    `Cannot classify on the second thread: the worker did not finish ${what} within ${
      _WORKER_ANSWER_MS / 1000
    } s`,
  );
}
