/**
 * `filter --threads`: the second thread optimises a big rule set's `--expr`
 * programs while the main thread compiles the set. The optimised compile of
 * each distinct expression is most of a big set's compile (10,000 diverse
 * rules: 981 expressions, about 0.3 s of 0.6 s); the main thread takes
 * expressions from the front of the set as its compile reaches them, the
 * worker from the back, each claiming one in shared memory first, so that
 * neither waits for the other except on an expression the other is
 * compiling. The worker's programs come back packed in a shared arena.
 *
 * @module
 */
import type { RuleSet } from "../rules/rule_set.ts";
import { LINKTYPE_EN10MB, LINKTYPE_RAW } from "../capture/link_types.ts";
import {
  _optimisedPacked,
  type _PackedProgram,
  _setOptimisedSource,
} from "../rules/_expression_programs.ts";

/** `control` slot: non-zero once the main thread compiled the set (the worker stops). */
const _STOP = 0;
/** `control` slot: the arena's next free word (the worker adds to it). */
const _USED = 1;
/** `control` slots before the per-expression slots. */
const _HEAD = 2;
/** Per-expression slots: state, then the program's offset and length in the arena's words. */
const _FIELDS = 3;

/** State of an expression: nobody took it yet. */
const _FREE = 0;
/** State of an expression: the main thread compiles it. */
const _MAIN = 1;
/** State of an expression: the worker compiles it. */
const _WORKER = 2;
/** State of an expression: its optimised program is in the arena. */
const _DONE = 3;
/** State of an expression: optimising gives nothing the checker accepts (`null`). */
const _NONE = 4;
/** State of an expression: the worker could not keep it (arena full): the main thread compiles it. */
const _LOST = 5;

/** Words of the arena (4 bytes each: 2 MiB, 262,144 instructions). */
const _ARENA_WORDS = 1 << 19;
/** Most expressions handed over (the control array: 12 bytes each). */
export const _MAX_EXPRESSIONS = 1 << 16;
/**
 * Longest the main thread waits for an expression the worker is compiling
 * before compiling it itself (a worker descheduled on a busy machine).
 */
const _WAIT_MS = 20;

/** What the worker is posted: the expressions, their link types, the shared memory. */
export interface _ExpressionsMessage {
  kind: "expressions";
  expressions: string[];
  linkTypes: number[];
  control: SharedArrayBuffer;
  arena: SharedArrayBuffer;
}

/**
 * The distinct `--expr` programs `ruleSet`'s compile asks for, in the order
 * of its rules: network base for raw IP, link base for Ethernet (what the
 * index's summaries read; other link types are compiled when a frame of
 * them comes).
 */
export function _expressionsOf(ruleSet: RuleSet): { expressions: string[]; linkTypes: number[] } {
  const seen = new Set<string>();
  const expressions: string[] = [];
  const linkTypes: number[] = [];
  for (const chain of ruleSet.chains) {
    for (const rule of chain.rules) {
      const linkType = rule.base === "network" ? LINKTYPE_RAW : LINKTYPE_EN10MB;
      for (const match of rule.matches) {
        if (match.kind !== "bpf" || match.expression === undefined) continue;
        const key = `${linkType} ${match.expression}`;
        if (seen.has(key) || expressions.length >= _MAX_EXPRESSIONS) continue;
        seen.add(key);
        expressions.push(match.expression);
        linkTypes.push(linkType);
      }
    }
  }
  return { expressions, linkTypes };
}

/**
 * The worker's side: optimises the expressions from the last one back,
 * skipping those the main thread took, until every one is taken or the main
 * thread is done. Returns how many it optimised.
 */
export function _optimiseFromTheBack(message: _ExpressionsMessage): number {
  const control = new Int32Array(message.control);
  const arena = new Uint32Array(message.arena);
  const { expressions, linkTypes } = message;
  let done = 0;
  for (let i = expressions.length - 1; i >= 0; i--) {
    if (Atomics.load(control, _STOP) !== 0) break;
    const slot = _HEAD + i * _FIELDS;
    if (Atomics.compareExchange(control, slot, _FREE, _WORKER) !== _FREE) continue;
    const packed = _optimisedPacked(expressions[i], linkTypes[i]);
    let state = _NONE;
    if (packed !== null) {
      const at = Atomics.add(control, _USED, packed.length);
      if (at + packed.length <= arena.length) {
        arena.set(packed, at);
        Atomics.store(control, slot + 1, at);
        Atomics.store(control, slot + 2, packed.length);
        state = _DONE;
      } else state = _LOST;
    }
    Atomics.store(control, slot, state);
    Atomics.notify(control, slot);
    done++;
  }
  return done;
}

/**
 * The main thread's side: posts a rule set's expressions to a worker and,
 * until {@linkcode _OptimiseAhead.finish}, answers the rule compile's
 * requests for optimised programs (`_setOptimisedSource`) from the worker's
 * where it took them.
 */
export class _OptimiseAhead {
  readonly #index = new Map<string, number>();
  readonly #control: Int32Array;
  readonly #arena: Uint32Array;
  readonly #message: _ExpressionsMessage;
  #finished = false;
  /** Programs the main thread took from the worker. */
  fromWorker = 0;

  /**
   * For a rule set's expressions ({@linkcode _expressionsOf}); `arenaWords`:
   * the shared arena's size (tests make it small).
   */
  constructor(expressions: string[], linkTypes: number[], arenaWords = _ARENA_WORDS) {
    for (let i = 0; i < expressions.length; i++) {
      this.#index.set(`${linkTypes[i]} ${expressions[i]}`, i);
    }
    const control = new SharedArrayBuffer((_HEAD + expressions.length * _FIELDS) * 4);
    const arena = new SharedArrayBuffer(arenaWords * 4);
    this.#control = new Int32Array(control);
    this.#arena = new Uint32Array(arena);
    this.#message = { kind: "expressions", expressions, linkTypes, control, arena };
  }

  /** Posts the expressions to `worker` and answers the compile's requests until `finish`. */
  start(worker: Pick<Worker, "postMessage">): void {
    worker.postMessage(this.#message);
    _setOptimisedSource(this.#take);
  }

  /**
   * Waits (blocking, at most `timeoutMs`) until the worker has taken every
   * expression the main thread did not (tests: the compile then takes every
   * program from the worker); whether it did.
   */
  waitSettled(timeoutMs: number): boolean {
    const control = this.#control;
    const deadline = performance.now() + timeoutMs;
    for (let slot = _HEAD; slot < control.length; slot += _FIELDS) {
      for (let state; (state = Atomics.load(control, slot)) === _FREE || state === _WORKER;) {
        if (performance.now() >= deadline) return false;
        Atomics.wait(control, slot, state, 10);
      }
    }
    return true;
  }

  /** Stops the worker's part and the answers (the compile is done or failed). */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    Atomics.store(this.#control, _STOP, 1);
    _setOptimisedSource(undefined);
  }

  /** The worker's program for an expression, or `undefined`: the main thread compiles it. */
  readonly #take = (expression: string, linkType: number): _PackedProgram | null | undefined => {
    const index = this.#index.get(`${linkType} ${expression}`);
    if (index === undefined) return undefined;
    const control = this.#control;
    const slot = _HEAD + index * _FIELDS;
    let state = Atomics.compareExchange(control, slot, _FREE, _MAIN);
    if (state === _FREE || state === _MAIN) return undefined;
    if (state === _WORKER) {
      const deadline = performance.now() + _WAIT_MS;
      while ((state = Atomics.load(control, slot)) === _WORKER) {
        if (performance.now() >= deadline) return undefined;
        Atomics.wait(control, slot, _WORKER, _WAIT_MS);
      }
    }
    if (state === _NONE) return null;
    if (state !== _DONE) return undefined;
    this.fromWorker++;
    const at = Atomics.load(control, slot + 1);
    // A copy of its own (not a view of shared memory): the compile keeps it.
    return this.#arena.slice(at, at + Atomics.load(control, slot + 2));
  };
}
