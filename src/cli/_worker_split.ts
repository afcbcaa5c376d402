/**
 * The main thread's side of `filter --threads`: a second thread (a Web
 * Worker) classifies each input block's records while the main thread
 * writes the previous block out and reads and decodes the next one; the
 * router writes the block once both threads are done with it.
 *
 * @module
 */
import type { CaptureInterface } from "../capture/capture_interface.ts";
import type { RecordBatch } from "../capture/record_batch.ts";
import type { CompileRuleSetOptions } from "../rules/compiled_rule_set.ts";
import type { RuleSet, RuleSetCounters } from "../rules/rule_set.ts";
import type { _RecordRouterSplit, _SplitRecords } from "../stream/_record_router.ts";
import {
  _BASE,
  _CLASSIFY,
  _COUNT,
  _COUNTERS,
  _CURSOR,
  _DEPTH,
  _DONE,
  _INTERFACES,
  _JOB,
  _jobSlot,
  _JOINED,
  _KIND,
  _LEFT,
  _MAIN_ASLEEP,
  _MAX_BYTES,
  _MAX_RECORDS,
  _READY,
  _SEQ,
  type _SharedBuffers,
  _sharedBuffers,
  type _SharedViews,
  _sharedViews,
  _slot,
  _SPIN_MS,
  _STOP,
  _waitFor,
  _wake,
  _WORKER_ANSWER_MS,
  _WORKER_ASLEEP,
} from "./_classify_protocol.ts";
import type { _RuleText, _StartMessage } from "./_classify_protocol.ts";
import { _copyRecordArrays } from "../capture/_record_arrays.ts";
import type { _WasmClassifier } from "../rules/_classifier_wasm.ts";
import { _ChunkClassifier } from "./_classify_chunks.ts";
import { _addFlatCounters, _counterSlots } from "./_flat_counters.ts";
import type { CompiledRuleSet } from "../rules/compiled_rule_set.ts";
import { _classifyWorkerUrl } from "./_classify_worker_url.ts";
import { _HeldBlockPool } from "./_held_block_pool.ts";
import { _SplitPayoff } from "./_split_payoff.ts";
import type { _BlockPool } from "./_sync_block_source.ts";

/** Longest blocking wait for the worker's compile ({@linkcode _WorkerSplit.waitReady}). */
const _READY_WAIT_MS = 60_000;

/** Options of {@linkcode _WorkerSplit}. */
export interface _WorkerSplitOptions {
  /**
   * Wait for the worker to join every job before the main thread claims
   * any of its records (for tests: the worker then classifies a good part of
   * every block, even of tiny inputs).
   *
   * @default {false}
   */
  waitForWorker?: boolean;
  /**
   * Hand blocks to the worker only while that is measured faster
   * ({@linkcode _SplitPayoff}); `false`: every block (benchmarks).
   *
   * @default {true}
   */
  payoff?: boolean;
  /**
   * The text `ruleSet` was parsed from (a worker that compiles the set
   * parses it again rather than receive the set).
   */
  text?: _RuleText;
}

/**
 * The hand-off of each block's records to one worker. The worker starts
 * with {@linkcode _WorkerSplit.start}, before the main thread compiles the
 * rule set (its runtime starts meanwhile); once the main thread's compiled
 * set is {@linkcode _WorkerSplit.attach}ed, a Wasm classifier is posted to
 * the worker (its module and description: the worker instantiates it, no
 * second compile), any other is compiled again by the worker (told at once
 * where the options rule the Wasm classifier out, so that it compiles while
 * the main thread does). Until the worker is ready, every record stays on
 * the main thread. Then each block's packet records become a job: their
 * bytes where the block was read (the {@linkcode _WorkerSplit.pool}) or a
 * copy, their fields in shared record arrays. The worker classifies the job
 * while the main thread goes on; before routing anything of the next block,
 * the main thread claims what the worker has not claimed yet, and routes the
 * job ({@linkcode _WorkerSplit.settle}).
 */
export class _WorkerSplit implements _RecordRouterSplit {
  readonly #ruleSet: RuleSet;
  readonly #options: CompileRuleSetOptions;
  readonly #waitForWorker: boolean;
  readonly #text: _RuleText | undefined;
  readonly #payoff: _SplitPayoff | undefined;
  #worker: Worker | undefined;
  #buffers: _SharedBuffers | undefined;
  #views: _SharedViews | undefined;
  /** The main thread's compiled set; its Wasm classifier's, where the worker was given it. */
  #rules: CompiledRuleSet | undefined;
  #given: _WasmClassifier | undefined;
  /** Whether the worker was told what to classify with. */
  #told = false;
  #pool: _HeldBlockPool | undefined;
  #chunks: _ChunkClassifier | undefined;
  #job = 0;
  /**
   * The classify jobs posted and not yet settled, oldest first (at most
   * `_JOB_SLOTS`): `end`, where the records' bytes end; `held`: the pool holds
   * the job's block.
   */
  readonly #out: { job: number; count: number; bytes: Uint8Array; end: number; held: boolean }[] =
    [];
  #sentInterfaces = 0;
  #used = false;
  #closed = false;
  #reason: string | undefined;
  /** Records the worker classified so far. */
  offloaded = 0;

  constructor(ruleSet: RuleSet, options: CompileRuleSetOptions, split: _WorkerSplitOptions = {}) {
    this.#text = split.text;
    this.#ruleSet = ruleSet;
    this.#options = options;
    this.#waitForWorker = split.waitForWorker ?? false;
    // Tests force the worker to take part; otherwise it takes blocks while that pays.
    this.#payoff = this.#waitForWorker || split.payoff === false
      ? undefined
      : new _SplitPayoff(_DEPTH);
  }

  /** Starts the worker (see the class comment); false, with
   * {@linkcode _WorkerSplit.reason}, where it cannot. */
  start(): boolean {
    if (this.#worker !== undefined || this.#closed) return this.#worker !== undefined;
    if (typeof Worker !== "function" || typeof SharedArrayBuffer !== "function") {
      this.#reason = "this runtime has no Web Workers with shared memory";
      return false;
    }
    const buffers = this.#buffers = _sharedBuffers(_counterSlots(this.#ruleSet));
    try {
      this.#worker = new Worker(_classifyWorkerUrl().href, { type: "module" });
      // No Wasm classifier to give: the worker compiles the set while this thread does.
      if (!_mayCompileToWasm(this.#options)) this.#tell(undefined);
    } catch (error) {
      this.#reason = `cannot start a worker: ${error instanceof Error ? error.message : error}`;
      this.#worker?.terminate();
      this.#worker = undefined;
      return false;
    }
    this.#worker.addEventListener("message", (event: MessageEvent) => {
      if (event.data?.kind === "failed") this.#reason = `the worker failed: ${event.data.message}`;
    });
    this.#worker.addEventListener("error", (event: ErrorEvent) => {
      // The worker could not load (never ready): the main thread goes on alone.
      event.preventDefault();
      this.#reason = `the worker failed: ${event.message}`;
    });
    this.#views = _sharedViews(buffers);
    return true;
  }

  /** Why the worker is not used, when it could not start or failed (for debugging). */
  get reason(): string | undefined {
    const failed = this.#views !== undefined && Atomics.load(this.#views.control, _READY) === -1;
    return this.#reason ?? (failed ? "the worker failed" : undefined);
  }

  /**
   * The buffers the input is to be read into: `inner`'s (the Wasm
   * classifier's memory) or the pool's own, and a block whose records the
   * worker classifies is not read into again before they are routed.
   */
  poolOver(inner: _BlockPool | undefined): _BlockPool {
    return this.#pool = new _HeldBlockPool(inner);
  }

  /**
   * The main thread's compiled rule set (of the rule set and options this
   * split was made with): its Wasm classifier is posted to the worker, else
   * the worker compiles the set (unless told already).
   */
  attach(rules: CompiledRuleSet): void {
    if (this.#views === undefined || this.#rules === rules) return;
    this.#rules = rules;
    this.#chunks = new _ChunkClassifier(rules, this.#views);
    if (!this.#told) {
      this.#tell((rules as Partial<_WasmClassifier>)._portable === undefined ? undefined : rules);
    }
  }

  /** Whether the worker runs the main thread's compiled classifier (its module), not a compile of its own. */
  get givenClassifier(): boolean {
    return this.#given !== undefined;
  }

  /** Posts the start message: `wasm`'s classifier to instantiate, or (`undefined`) the set to compile. */
  #tell(wasm: CompiledRuleSet | undefined): void {
    this.#told = true;
    let classifier: _StartMessage["classifier"];
    if (wasm !== undefined) {
      this.#given = wasm as _WasmClassifier;
      classifier = { portable: this.#given._portable() };
    } else {
      classifier = { rules: this.#text ?? this.#ruleSet, options: this.#options };
    }
    this.#worker!.postMessage({ kind: "start", buffers: this.#buffers!, classifier });
  }

  /** Whether the worker has compiled the rule set and takes jobs. */
  get ready(): boolean {
    return this.#views !== undefined && !this.#closed &&
      Atomics.load(this.#views.control, _READY) === 1;
  }

  /** Waits (blocking, at most `_READY_WAIT_MS`) until the worker is ready
   * or failed; whether it is ready (`false` at once before it was told what
   * to classify with: see {@linkcode _WorkerSplit.attach}). */
  waitReady(): boolean {
    // Not told what to classify with yet: it cannot get ready.
    if (this.#views === undefined || !this.#told) return false;
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
    // A batch that ends the input is routed at once (nothing follows to settle it).
    if (!this.ready || this.#chunks === undefined || batch.error !== undefined) return count;
    const views = this.#views!;
    const at = batch.carried;
    const end = batch.end[count - 1];
    const payoff = this.#payoff;
    // A block past the job's bounds (larger than any the command line reads)
    // stays here; so do blocks while routing alone is measured faster.
    if (
      count - at > _MAX_RECORDS || end > _MAX_BYTES ||
      (payoff !== undefined && !payoff.next(performance.now()))
    ) {
      payoff?.routed(end);
      return count;
    }
    if (interfaces.length > this.#sentInterfaces) {
      const added = interfaces.slice(this.#sentInterfaces);
      this.#worker!.postMessage({ kind: "interfaces", interfaces: added });
      this.#chunks.interfaces.push(...added);
      this.#sentInterfaces = interfaces.length;
    }
    const job = this.#job + 1;
    const slot = _jobSlot(job);
    // The worker's copy of the block (one bulk copy: per-run operations on
    // shared memory take slow paths), and the records' fields.
    const area = slot * _MAX_BYTES;
    views.bytes.set(batch.bytes.subarray(0, end), area);
    _copyRecordArrays(batch, at, count, views.records[slot]);
    // The main thread routes them from the block where the pool keeps it
    // until then, else from the copy (another source may reuse the block).
    const held = this.#pool?.lends(batch.bytes) === true;
    if (held) this.#pool!.hold(batch.bytes);
    const bytes = held ? batch.bytes : views.bytes.subarray(area, area + end);
    this.#out.push({ job, count: count - at, bytes, end, held });
    const control = views.control;
    Atomics.store(control, _slot(job, _BASE), area);
    Atomics.store(control, _slot(job, _COUNT), count - at);
    Atomics.store(control, _slot(job, _INTERFACES), interfaces.length);
    Atomics.store(control, _slot(job, _CURSOR), 0);
    // Open to the worker before the worker can see it.
    Atomics.store(control, _slot(job, _JOINED), job);
    this.#post(_CLASSIFY);
    this.#used = true;
    return at;
  }

  /** Parts split off and not yet routed. */
  get pending(): number {
    return this.#out.length;
  }

  /** Parts that may stay out once the next was split off. */
  get depth(): number {
    return _DEPTH;
  }

  /** The oldest job posted, once every record has its verdict (the main
   * thread classifies the records the worker has not claimed), or `undefined`. */
  settle(): _SplitRecords | undefined {
    const out = this.#out.shift();
    if (out === undefined) return undefined;
    const { job, count, bytes, end, held } = out;
    const views = this.#views!;
    const control = views.control;
    const left = _slot(job, _LEFT);
    // Tests: the worker classifies the whole job.
    if (this.#waitForWorker) {
      _waitFor(control, left, job, _WORKER_ANSWER_MS, _SPIN_MS, _MAIN_ASLEEP);
    }
    // The main thread classifies its records where they lie (its own block).
    const mine = this.#chunks!.run(job, count, bytes, 0);
    // The worker took part (then wait until it left), or the job is closed to it.
    if (Atomics.compareExchange(control, _slot(job, _JOINED), job, 0) !== job) {
      if (!_waitFor(control, left, job, _WORKER_ANSWER_MS, _SPIN_MS, _MAIN_ASLEEP)) {
        throw Atomics.load(control, _READY) === -1
          ? _workerFailed(this.reason)
          : _noAnswer("its part of a block");
      }
      this.offloaded += count - mine;
    }
    if (held) this.#pool!.routed();
    if (Atomics.load(control, _READY) !== 1) throw _workerFailed(this.reason);
    this.#payoff?.routed(end);
    const slot = _jobSlot(job);
    return { records: views.records[slot], bytes, count, verdicts: views.verdicts[slot] };
  }

  /** The counters of the attached rule set (`rules`, the main thread's) plus the worker's. */
  counters(rules: CompiledRuleSet): RuleSetCounters {
    if (!this.#used || this.#closed) return rules.counters();
    const control = this.#views!.control;
    // A worker that failed answers nothing (its counters are lost).
    if (Atomics.load(control, _READY) !== 1) throw _workerFailed(this.reason);
    this.#post(_COUNTERS);
    if (!_waitFor(control, _DONE, this.#job)) {
      throw Atomics.load(control, _READY) === -1
        ? _workerFailed(this.reason)
        : _noAnswer("its counters");
    }
    const theirs = this.#views!.counters;
    return this.#given !== undefined
      ? this.#given._countersWith(theirs)
      : _addFlatCounters(this.#ruleSet, rules.counters(), theirs);
  }

  /** Stops the worker (take the counters first). Safe to call more than once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const views = this.#views;
    if (views !== undefined && Atomics.load(views.control, _READY) === 1) this.#post(_STOP);
    this.#worker?.terminate();
  }

  /** Posts the next job, of kind `kind` (a classify job's slot is filled). */
  #post(kind: number): void {
    const control = this.#views!.control;
    const job = ++this.#job;
    Atomics.store(control, _slot(job, _KIND), kind);
    Atomics.store(control, _slot(job, _SEQ), job);
    Atomics.store(control, _JOB, job);
    // A worker still spinning after its last job needs no wake-up.
    if (kind === _CLASSIFY) _wake(control, _JOB, _WORKER_ASLEEP);
    else Atomics.notify(control, _JOB);
  }
}

/**
 * Whether compiling with `options` may give the Wasm classifier (then the
 * worker waits for it): not with another strategy asked for, nor rule by
 * rule (`compileRuleSet`'s rules).
 */
function _mayCompileToWasm(options: CompileRuleSetOptions): boolean {
  const strategy = options.strategy;
  return (strategy === undefined || strategy === "wasm") && options.evaluation !== "rule-by-rule";
}

/** The error when the worker failed (it stopped taking part), with `reason` where it is known. */
function _workerFailed(reason: string | undefined): Error {
  return new Error(`Cannot classify on the second thread: ${reason ?? "the worker failed"}`);
}

/** The error when the worker did not answer within `_WORKER_ANSWER_MS`. */
function _noAnswer(what: string): Error {
  return new Error(
    `Cannot classify on the second thread: the worker did not finish ${what} within ${
      _WORKER_ANSWER_MS / 1000
    } s`,
  );
}
