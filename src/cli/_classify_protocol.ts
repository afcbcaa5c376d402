/**
 * The memory `filter` shares with its classification worker, and the
 * messages they exchange: the layout both sides agree on.
 *
 * The main thread posts one job at a time through `control` (Atomics: the
 * worker waits on {@linkcode _JOB}). A classify job is an input block's
 * records copied into `bytes` and `table`: both threads claim chunks of
 * records from a shared cursor and write one verdict per record into
 * `verdicts`, so that a thread that is late or descheduled (a loaded
 * machine) costs nothing but its own chunk; the main thread waits only for
 * a worker that joined the job ({@linkcode _JOINED}, {@linkcode _LEFT}). A
 * counters job asks the worker to write its counters into `counters` (the
 * main thread waits on {@linkcode _DONE}). Interfaces (rare: one per pcapng Interface Description Block)
 * are posted as messages; a job says how many the worker must have.
 *
 * @module
 */
import type { CaptureInterface } from "../capture/capture_interface.ts";
import type { CompileRuleSetOptions } from "../rules/compiled_rule_set.ts";
import type { RuleSet } from "../rules/rule_set.ts";

/**
 * `control` slot: the last job posted (main writes), as `sequence * 4 +
 * kind` so that one read gives both: {@linkcode _CLASSIFY},
 * {@linkcode _COUNTERS} or {@linkcode _STOP}.
 */
export const _JOB = 0;
/** `control` slot: the last counters or stop job done (worker writes). */
export const _DONE = 1;
/**
 * `control` slot: whether the worker takes part in a classify job: the job
 * (open) when posted, then whoever comes first either joins it (the worker:
 * `~job`) or closes it (the main thread, having classified every record
 * alone: 0). A worker that wakes for an older job finds it closed.
 */
export const _JOINED = 2;
/** `control` slot: records in a classify job. */
export const _COUNT = 3;
/** `control` slot: interfaces the worker must know before a classify job. */
export const _INTERFACES = 4;
/** `control` slot: 0 while the worker compiles, 1 once ready, -1 when it failed. */
export const _READY = 5;
/** `control` slot: the next record of the classify job not yet claimed (both add to it). */
export const _CURSOR = 6;
/** `control` slot: the classify job the worker joined and left (all its records done). */
export const _LEFT = 7;
const _CONTROL_SLOTS = 8;

/** Job kind: classify `table`'s records into `verdicts`, both threads claiming chunks. */
export const _CLASSIFY = 1;
/** Job kind: write the counters into `counters`. */
export const _COUNTERS = 2;
/** Job kind: leave the job loop (the worker closes). */
export const _STOP = 3;
/** Records claimed at a time from {@linkcode _CURSOR}. */
export const _CHUNK = 64;

/** `table` fields per record: data start in `bytes`, captured length, wire length, interface. */
export const _FIELDS = 4;
/** The interface field of a metadata record (not classified). */
export const _METADATA = 0xffffffff;

/** Most records in one job. */
export const _MAX_RECORDS = 1 << 16;
/** Most bytes in one job. */
export const _MAX_BYTES = 1 << 21;

/** The shared buffers (posted once, at the start). */
export interface _SharedBuffers {
  control: SharedArrayBuffer;
  bytes: SharedArrayBuffer;
  table: SharedArrayBuffer;
  verdicts: SharedArrayBuffer;
  counters: SharedArrayBuffer;
}

/** The views both sides use over {@linkcode _SharedBuffers}. */
export interface _SharedViews {
  control: Int32Array;
  bytes: Uint8Array;
  table: Uint32Array;
  verdicts: Uint8Array;
  counters: Float64Array;
}

/** The first message: the memory, and the rule set to compile as the main thread did. */
export interface _StartMessage {
  kind: "start";
  buffers: _SharedBuffers;
  ruleSet: RuleSet;
  options: CompileRuleSetOptions;
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
  return {
    control: new SharedArrayBuffer(_CONTROL_SLOTS * 4),
    bytes: new SharedArrayBuffer(_MAX_BYTES),
    table: new SharedArrayBuffer(_MAX_RECORDS * _FIELDS * 4),
    verdicts: new SharedArrayBuffer(_MAX_RECORDS),
    counters: new SharedArrayBuffer(counterSlots * 8),
  };
}

/** The views over `buffers`. */
export function _sharedViews(buffers: _SharedBuffers): _SharedViews {
  return {
    control: new Int32Array(buffers.control),
    bytes: new Uint8Array(buffers.bytes),
    table: new Uint32Array(buffers.table),
    verdicts: new Uint8Array(buffers.verdicts),
    counters: new Float64Array(buffers.counters),
  };
}

/**
 * Waits (blocking) until `control[slot]` differs from `value`, in bounded
 * slices so that a thread being terminated is not held forever.
 */
export function _waitWhile(control: Int32Array, slot: number, value: number): void {
  while (Atomics.load(control, slot) === value) Atomics.wait(control, slot, value, 100);
}

/**
 * How long the main thread waits for the worker to finish its part of a job
 * or to report its counters before taking it for dead (a worker that died
 * of an uncaught error never answers, and the main thread, blocked, would
 * not hear of it). A chunk of records takes microseconds to milliseconds.
 */
export const _WORKER_ANSWER_MS = 60_000;

/**
 * Waits (blocking, in bounded slices) until `control[slot]` is `value`:
 * `true`, or `false` when `timeoutMs` passed first.
 */
export function _waitFor(
  control: Int32Array,
  slot: number,
  value: number,
  timeoutMs = _WORKER_ANSWER_MS,
): boolean {
  const deadline = performance.now() + timeoutMs;
  for (let now; (now = Atomics.load(control, slot)) !== value;) {
    if (performance.now() >= deadline) return false;
    Atomics.wait(control, slot, now, 100);
  }
  return true;
}
