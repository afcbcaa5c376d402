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
import type { RuleSet, RuleSetCounters } from "../rules/rule_set.ts";
import type { _RecordRouterSplit } from "../stream/_record_router.ts";
import {
  _CLASSIFY,
  _COUNT,
  _COUNTERS,
  _DONE,
  _FIELDS,
  _INTERFACES,
  _JOB,
  _KIND,
  _MAX_BYTES,
  _MAX_RECORDS,
  _METADATA,
  _READY,
  _sharedBuffers,
  type _SharedViews,
  _sharedViews,
  _STOP,
  _waitWhile,
  _WORK_MICROS,
} from "./_classify_protocol.ts";
import { _addFlatCounters, _counterSlots } from "./_flat_counters.ts";

/** The worker's share of a block's records is kept within these bounds. */
const _MIN_SHARE = 0.05;
const _MAX_SHARE = 0.95;
/** Weight of the newest measurement when the shares are rebalanced. */
const _REBALANCE = 0.25;
/** Longest blocking wait for the worker's compile ({@linkcode _WorkerSplit.waitReady}). */
const _READY_WAIT_MS = 60_000;

/** Options of {@linkcode _WorkerSplit}. */
export interface _WorkerSplitOptions {
  /** Fewest records worth handing to the worker in one block. @default {64} */
  minimum?: number;
}

/**
 * The split of each block between the main thread and one worker. Until
 * {@linkcode _WorkerSplit.start} and the worker's compile are done, every
 * record stays on the main thread. The worker's share of each block follows
 * the measured speeds of both sides, so that both finish together.
 */
export class _WorkerSplit implements _RecordRouterSplit {
  readonly #ruleSet: RuleSet;
  readonly #options: CompileRuleSetOptions;
  readonly #minimum: number;
  #worker: Worker | undefined;
  #views: _SharedViews | undefined;
  #job = 0;
  #sentInterfaces = 0;
  #share = 0.5;
  #posted = 0;
  #mainRecords = 0;
  #workerRecords = 0;
  #used = false;
  #closed = false;
  /** Why the worker is not used, when it could not start or failed (for debugging). */
  reason: string | undefined;
  /** Records handed to the worker so far. */
  offloaded = 0;

  constructor(ruleSet: RuleSet, options: CompileRuleSetOptions, split: _WorkerSplitOptions = {}) {
    this.#ruleSet = ruleSet;
    this.#options = options;
    this.#minimum = split.minimum ?? 64;
  }

  /** Starts the worker (it compiles the rule set on its own); false, with
   * {@linkcode _WorkerSplit.reason}, where it cannot. */
  start(): boolean {
    if (this.#worker !== undefined || this.#closed) return this.#worker !== undefined;
    if (typeof Worker !== "function" || typeof SharedArrayBuffer !== "function") {
      this.reason = "this runtime has no Web Workers with shared memory";
      return false;
    }
    const buffers = _sharedBuffers(_counterSlots(this.#ruleSet));
    try {
      const url = new URL("./_classify_worker.ts", import.meta.url);
      this.#worker = new Worker(url.href, { type: "module" });
      this.#worker.postMessage({
        kind: "start",
        buffers,
        ruleSet: this.#ruleSet,
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

  /** Hands records `[at, batch.count)` to the worker; `at` is returned. */
  split(batch: RecordBatch, interfaces: readonly CaptureInterface[]): number {
    const count = batch.count;
    if (!this.ready) return count;
    const at = this.#splitPoint(batch);
    if (count - at < this.#minimum || count - at === 0) return count;
    const views = this.#views!;
    if (interfaces.length > this.#sentInterfaces) {
      this.#worker!.postMessage({
        kind: "interfaces",
        interfaces: interfaces.slice(this.#sentInterfaces),
      });
      this.#sentInterfaces = interfaces.length;
    }
    _copyJob(batch, at, views);
    const control = views.control;
    Atomics.store(control, _KIND, _CLASSIFY);
    Atomics.store(control, _COUNT, count - at);
    Atomics.store(control, _INTERFACES, interfaces.length);
    this.#post();
    this.#used = true;
    this.#mainRecords = at - batch.carried;
    this.#workerRecords = count - at;
    this.offloaded += count - at;
    this.#posted = performance.now();
    return at;
  }

  /** The worker's verdicts for the records handed over (waits for them). */
  verdicts(): Uint8Array {
    const mainMicros = (performance.now() - this.#posted) * 1000;
    const views = this.#views!;
    this.#wait();
    if (Atomics.load(views.control, _READY) !== 1) {
      throw new Error("Cannot classify on the second thread: the worker failed");
    }
    this.#rebalance(mainMicros, Atomics.load(views.control, _WORK_MICROS));
    return views.verdicts.subarray(0, this.#workerRecords);
  }

  /** `local` (the main thread's counters) plus the worker's. */
  counters(local: RuleSetCounters): RuleSetCounters {
    if (!this.#used || this.#closed) return local;
    Atomics.store(this.#views!.control, _KIND, _COUNTERS);
    this.#post();
    this.#wait();
    return _addFlatCounters(this.#ruleSet, local, this.#views!.counters);
  }

  /** Stops the worker (take the counters first). Safe to call more than once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const views = this.#views;
    if (views !== undefined && Atomics.load(views.control, _READY) === 1) {
      Atomics.store(views.control, _KIND, _STOP);
      this.#post();
    }
    this.#worker?.terminate();
  }

  #post(): void {
    const control = this.#views!.control;
    Atomics.store(control, _JOB, ++this.#job);
    Atomics.notify(control, _JOB);
  }

  #wait(): void {
    _waitWhile(this.#views!.control, _DONE, this.#job - 1);
  }

  /** Where the worker's part of `batch` begins: its share of the records in
   * `batch.bytes`, cut to what the shared memory holds. */
  #splitPoint(batch: RecordBatch): number {
    const count = batch.count;
    const first = batch.carried;
    let at = count - Math.round((count - first) * this.#share);
    at = Math.max(at, count - _MAX_RECORDS, first);
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

  /** Moves the worker's share toward equal finishing times of both sides. */
  #rebalance(mainMicros: number, workerMicros: number): void {
    const main = this.#mainRecords, worker = this.#workerRecords;
    if (main === 0 || worker === 0 || mainMicros <= 0 || workerMicros <= 0) return;
    const mainRate = main / mainMicros, workerRate = worker / workerMicros;
    const target = workerRate / (mainRate + workerRate);
    const share = this.#share + (target - this.#share) * _REBALANCE;
    this.#share = Math.min(_MAX_SHARE, Math.max(_MIN_SHARE, share));
  }
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
