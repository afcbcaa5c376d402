/**
 * The memory `filter` shares with its classification worker, and the
 * messages they exchange: the layout both sides agree on.
 *
 * The main thread posts one job at a time through `control` (Atomics: the
 * worker waits on {@linkcode _JOB}). A classify job is a decoded input
 * block's records: a copy of their bytes in `bytes` (one bulk copy; the
 * main thread routes them from the block itself, which it keeps until
 * then) and their fields in the record arrays of `table` (positions in
 * the block, {@linkcode _BASE} bytes before the copy). The worker classifies
 * the job while the main thread goes on reading and decoding the next
 * block; when the main thread needs the verdicts, it claims the chunks of
 * records the worker has not claimed yet (a shared cursor) and classifies
 * them itself, so that a worker that is late or descheduled (a loaded
 * machine) costs nothing but its own chunk; the main thread waits only for
 * a worker that joined the job ({@linkcode _JOINED}, {@linkcode _LEFT}). A
 * counters job asks the worker to write its counters into `counters` (the
 * main thread waits on {@linkcode _DONE}): the main thread's compiled
 * classifier given, its raw counters (the main thread adds them to its own),
 * else a rule set compiled, its counters flat (./_flat_counters.ts).
 * Interfaces (rare: one per pcapng Interface Description Block) are posted
 * as messages; a job says how many the worker must have.
 *
 * @module
 */
import type { CaptureInterface } from "../capture/capture_interface.ts";
import type { _RecordArrays } from "../capture/_record_arrays.ts";
import type { CompileRuleSetOptions } from "../rules/compiled_rule_set.ts";
import type { RuleSet } from "../rules/rule_set.ts";
import type { _PortableWasmClassifier } from "../rules/_classifier_wasm_portable.ts";

/**
 * `control` slot: the number of the last job posted (main writes; 1, 2, ...).
 * Job `n` lies in job slot `n % 3` ({@linkcode _jobSlot}): the main thread
 * keeps up to {@linkcode _DEPTH} jobs out, so that the worker has the next
 * blocks to classify while the main thread routes one.
 */
export const _JOB = 0;
/** `control` slot: the last counters or stop job done (worker writes). */
export const _DONE = 1;
/** `control` slot: 0 while the worker compiles, 1 once ready, -1 when it failed. */
export const _READY = 2;
/** `control` slot: non-zero while the worker sleeps waiting for a job (else it need not be woken). */
export const _WORKER_ASLEEP = 3;
/** `control` slot: non-zero while the main thread sleeps waiting for the worker to leave a job. */
export const _MAIN_ASLEEP = 4;
/** `control` slots before the two job slots. */
const _GLOBAL_SLOTS = 8;

/** Job slot field: the number of the job the slot holds (written last). */
export const _SEQ = 0;
/** Job slot field: {@linkcode _CLASSIFY}, {@linkcode _COUNTERS} or {@linkcode _STOP}. */
export const _KIND = 1;
/**
 * Job slot field: whether the worker takes part in the classify job: the
 * job's number (open) when posted, then whoever comes first either joins it
 * (the worker: `~job`) or closes it (the main thread, having claimed every
 * record: 0). A worker that comes to a closed job goes on to the next.
 */
export const _JOINED = 2;
/** Job slot field: records in the classify job. */
export const _COUNT = 3;
/** Job slot field: interfaces the worker must know before the classify job. */
export const _INTERFACES = 4;
/** Job slot field: the next record of the classify job not yet claimed (both add to it). */
export const _CURSOR = 5;
/** Job slot field: the classify job the worker joined and left (all its records done). */
export const _LEFT = 6;
/** Job slot field: what the classify job's record positions count from in `bytes` (may be negative). */
export const _BASE = 7;
const _SLOT_FIELDS = 8;
/** Classify jobs the main thread keeps out (posted, not yet routed) once it posted the next. */
export const _DEPTH = 2;
/** Job slots: the jobs out, and the next one being posted. */
export const _JOB_SLOTS = _DEPTH + 1;
const _CONTROL_SLOTS = _GLOBAL_SLOTS + _JOB_SLOTS * _SLOT_FIELDS;

/** The job slot of job `job`. */
export function _jobSlot(job: number): number {
  return job % _JOB_SLOTS;
}

/** The `control` index of field `field` of the slot of job `job`. */
export function _slot(job: number, field: number): number {
  return _GLOBAL_SLOTS + _jobSlot(job) * _SLOT_FIELDS + field;
}

/** Job kind: classify the slot's records into its verdicts, both threads claiming chunks. */
export const _CLASSIFY = 1;
/** Job kind: write the counters into `counters`. */
export const _COUNTERS = 2;
/** Job kind: leave the job loop (the worker closes). */
export const _STOP = 3;
/** Records claimed at a time from a job's {@linkcode _CURSOR}. */
export const _CHUNK = 256;

/** Most records in one job. */
export const _MAX_RECORDS = 1 << 16;
/**
 * Most bytes of one block copied into a job (a larger block's first records
 * stay on the main thread). `bytes` holds one such area per job slot.
 */
export const _MAX_BYTES = 1 << 21;
/** The shared buffers (posted once, at the start). */
export interface _SharedBuffers {
  control: SharedArrayBuffer;
  bytes: SharedArrayBuffer;
  /** Per job slot, the record arrays: `kind` (bytes) after six uint32 arrays of {@linkcode _MAX_RECORDS}. */
  tables: SharedArrayBuffer[];
  /** Per job slot, a verdict byte per record. */
  verdicts: SharedArrayBuffer[];
  counters: SharedArrayBuffer;
}

/**
 * The record arrays of the job in `table`, as a `RecordBatch` holds them:
 * positions in the input block (in `bytes`, {@linkcode _BASE} added).
 */
export type _SharedRecords = _RecordArrays;

/** The views both sides use over {@linkcode _SharedBuffers}. */
export interface _SharedViews {
  control: Int32Array;
  bytes: Uint8Array;
  /** Per job slot. */
  records: _SharedRecords[];
  /** Per job slot. */
  verdicts: Uint8Array[];
  counters: Float64Array;
}

/**
 * The first message: the memory, and what the worker classifies with: the
 * main thread's compiled Wasm classifier (its module and description,
 * instantiated again: no second compile), or else the rule set to compile
 * as the main thread did: its text to parse (posting a text costs the main
 * thread less than a parsed set of thousands of rules: 55 ms at 10,000) or
 * the set.
 */
export interface _StartMessage {
  kind: "start";
  buffers: _SharedBuffers;
  classifier: _GivenClassifier | _RulesToCompile;
}

/** The main thread's compiled Wasm classifier (the worker's counters: its raw counters). */
export interface _GivenClassifier {
  portable: _PortableWasmClassifier;
}

/** A rule set to compile (the worker's counters: `_flattenCounters`' order). */
export interface _RulesToCompile {
  rules: RuleSet | _RuleText;
  options: CompileRuleSetOptions;
}

/** A rule file's text and the options it was parsed with. */
export interface _RuleText {
  text: string;
  maxInstructions: number;
}

/** Interfaces the capture declared since the last such message, in order. */
export interface _InterfacesMessage {
  kind: "interfaces";
  interfaces: CaptureInterface[];
}

/** What the worker posts when it cannot compile (then `_READY` is -1). */
export interface _FailedMessage {
  kind: "failed";
  message: string;
}

/** New shared buffers for a rule set with `counterSlots` counter values. */
export function _sharedBuffers(counterSlots: number): _SharedBuffers {
  const each = (bytes: number) =>
    Array.from({ length: _JOB_SLOTS }, () => new SharedArrayBuffer(bytes));
  return {
    control: new SharedArrayBuffer(_CONTROL_SLOTS * 4),
    bytes: new SharedArrayBuffer(_JOB_SLOTS * _MAX_BYTES),
    tables: each(_MAX_RECORDS * (6 * 4 + 1)),
    verdicts: each(_MAX_RECORDS),
    counters: new SharedArrayBuffer(counterSlots * 8),
  };
}

/** The record arrays over one job slot's table. */
function _records(table: SharedArrayBuffer): _SharedRecords {
  const array = (k: number) => new Uint32Array(table, k * 4 * _MAX_RECORDS, _MAX_RECORDS);
  return {
    start: array(0),
    end: array(1),
    dataStart: array(2),
    capturedLength: array(3),
    wireLength: array(4),
    interfaceIndex: array(5),
    kind: new Uint8Array(table, 6 * 4 * _MAX_RECORDS, _MAX_RECORDS),
  };
}

/** The views over `buffers`. */
export function _sharedViews(buffers: _SharedBuffers): _SharedViews {
  return {
    control: new Int32Array(buffers.control),
    bytes: new Uint8Array(buffers.bytes),
    records: buffers.tables.map(_records),
    verdicts: buffers.verdicts.map((v) => new Uint8Array(v)),
    counters: new Float64Array(buffers.counters),
  };
}

/**
 * Waits (blocking) until `control[slot]` differs from `value`, in bounded
 * slices so that a thread being terminated is not held forever.
 */
export function _waitWhile(
  control: Int32Array,
  slot: number,
  value: number,
  spinMs = 0,
  asleep = -1,
): void {
  if (spinMs > 0 && _spin(control, slot, value, false, spinMs)) return;
  if (asleep >= 0) Atomics.store(control, asleep, 1);
  while (Atomics.load(control, slot) === value) Atomics.wait(control, slot, value, 100);
  if (asleep >= 0) Atomics.store(control, asleep, 0);
}

/**
 * Wakes the thread waiting on `control[slot]`, where it sleeps: a thread
 * spinning (`control[asleep]` zero) sees the change without a wake-up
 * (which costs a system call, and can hand the waker's core to the woken).
 */
export function _wake(control: Int32Array, slot: number, asleep: number): void {
  if (Atomics.load(control, asleep) !== 0) Atomics.notify(control, slot);
}

/**
 * Watches `control[slot]` for at most `spinMs` without sleeping: whether it
 * became `value` (`equal`) or left it (`!equal`). A thread put to sleep
 * and woken again costs tens of microseconds, as long as a block takes to
 * classify: the threads spin briefly before they sleep.
 */
function _spin(
  control: Int32Array,
  slot: number,
  value: number,
  equal: boolean,
  spinMs: number,
): boolean {
  const deadline = performance.now() + spinMs;
  for (let round = 0;; round++) {
    if ((Atomics.load(control, slot) === value) === equal) return true;
    if ((round & 63) === 63 && performance.now() >= deadline) return false;
  }
}

/** How long the main thread spins before it sleeps, waiting for the worker to leave a job. */
export const _SPIN_MS = 0.02;
/**
 * How long the worker spins before it sleeps, waiting for the next job: a
 * block takes the main thread a few hundred microseconds.
 */
export const _WORKER_SPIN_MS = 0.3;

/**
 * How long the main thread waits for the worker to finish its part of a job
 * or to report its counters before taking it for dead (a worker that died
 * of an uncaught error never answers, and the main thread, blocked, would
 * not hear of it). A chunk of records takes microseconds to milliseconds.
 */
export const _WORKER_ANSWER_MS = 60_000;

/**
 * Waits (blocking, in bounded slices) until `control[slot]` is `value`:
 * `true`, or `false` when `timeoutMs` passed first or the worker failed
 * (`control[_READY]` is -1: it answers nothing more).
 */
export function _waitFor(
  control: Int32Array,
  slot: number,
  value: number,
  timeoutMs = _WORKER_ANSWER_MS,
  spinMs = 0,
  asleep = -1,
): boolean {
  if (spinMs > 0 && _spin(control, slot, value, true, spinMs)) return true;
  const deadline = performance.now() + timeoutMs;
  if (asleep >= 0) Atomics.store(control, asleep, 1);
  try {
    for (let now; (now = Atomics.load(control, slot)) !== value;) {
      if (performance.now() >= deadline || Atomics.load(control, _READY) === -1) return false;
      Atomics.wait(control, slot, now, 100);
    }
    return true;
  } finally {
    if (asleep >= 0) Atomics.store(control, asleep, 0);
  }
}
