/**
 * The classification worker of `filter --threads`: instantiates the main
 * thread's compiled Wasm classifier (its module, posted: no second compile)
 * or else compiles the rule set the main thread compiled, with the same
 * options; then takes part in the classify jobs the main thread posts in
 * shared memory, and hands its counters over at the end (the layout:
 * ./_classify_protocol.ts).
 *
 * @module
 */
import { compileRuleSet } from "../rules/compile_rule_set.ts";
import { parseRuleSet } from "../rules/parse_rule_set.ts";
import { _wasmClassifierOf } from "../rules/_classifier_wasm.ts";
import {
  _BASE,
  _CLASSIFY,
  _COUNT,
  _COUNTERS,
  _DONE,
  _INTERFACES,
  _JOB,
  _JOINED,
  _KIND,
  _LEFT,
  _MAIN_ASLEEP,
  _READY,
  _SEQ,
  type _SharedViews,
  _sharedViews,
  _slot,
  _waitWhile,
  _wake,
  _WORKER_ASLEEP,
  _WORKER_SPIN_MS,
} from "./_classify_protocol.ts";
import type {
  _FailedMessage,
  _GivenClassifier,
  _InterfacesMessage,
  _RulesToCompile,
  _StartMessage,
} from "./_classify_protocol.ts";
import { _ChunkClassifier, type _ChunkRules } from "./_classify_chunks.ts";
import { _flattenCounters } from "./_flat_counters.ts";

interface _WorkerScope {
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  postMessage(message: _FailedMessage): void;
  close(): void;
}

/** What the worker classifies with, and how it writes its counters for the main thread. */
interface _WorkerRules {
  rules: _ChunkRules;
  writeCounters(into: Float64Array): void;
}

const scope = globalThis as unknown as _WorkerScope;
let classifier: _ChunkClassifier | undefined;
let interfacesArrived: (() => void) | undefined;

/** Takes part in the classify job `job`, unless the main thread already closed it. */
async function _join(job: number, views: _SharedViews, chunks: _ChunkClassifier) {
  const control = views.control;
  if (Atomics.compareExchange(control, _slot(job, _JOINED), job, ~job) !== job) return;
  try {
    const needed = Atomics.load(control, _slot(job, _INTERFACES));
    while (chunks.interfaces.length < needed) {
      await new Promise<void>((resolve) => interfacesArrived = resolve);
    }
    const count = Atomics.load(control, _slot(job, _COUNT));
    chunks.run(job, count, views.bytes, Atomics.load(control, _slot(job, _BASE)));
  } catch (error) {
    // Not expected (the main thread's rule set classified the same way): the
    // main thread stops and reports it.
    _fail(control, error);
  } finally {
    Atomics.store(control, _slot(job, _LEFT), job);
    _wake(control, _slot(job, _LEFT), _MAIN_ASLEEP);
  }
}

/**
 * Marks the worker failed, because of `error` (posted: the main thread's
 * `reason`): the main thread stops waiting for it and reports it.
 */
function _fail(control: Int32Array, error: unknown): void {
  scope.postMessage({ kind: "failed", message: String(error) });
  Atomics.store(control, _READY, -1);
  Atomics.notify(control, _READY);
}

/** The job loop: every job in turn (skipping those the main thread closed), until a stop job. */
async function _serve(given: _WorkerRules, views: _SharedViews) {
  const control = views.control;
  const chunks = classifier = new _ChunkClassifier(given.rules, views);
  for (let job = 1;; job++) {
    if (Atomics.load(control, _JOB) < job) {
      _waitWhile(control, _JOB, job - 1, _WORKER_SPIN_MS, _WORKER_ASLEEP);
    }
    // A slot already holding a later job: this one was closed long ago.
    if (Atomics.load(control, _slot(job, _SEQ)) !== job) continue;
    const kind = Atomics.load(control, _slot(job, _KIND));
    if (kind === _CLASSIFY) {
      await _join(job, views, chunks);
      continue;
    }
    if (kind === _COUNTERS) given.writeCounters(views.counters);
    Atomics.store(control, _DONE, job);
    Atomics.notify(control, _DONE);
    if (kind !== _COUNTERS) break;
  }
  scope.close();
}

/** The main thread's compiled classifier, instantiated here (throws where it cannot be). */
function _given({ portable }: _GivenClassifier): _WorkerRules {
  const made = _wasmClassifierOf(portable);
  if ("reason" in made) throw new Error(`Cannot use the main thread's classifier: ${made.reason}`);
  return { rules: made, writeCounters: made._rawCounters };
}

/** The rule set compiled here as the main thread did. */
function _compiled(given: _RulesToCompile): _WorkerRules {
  const source = given.rules;
  const ruleSet = "text" in source
    ? parseRuleSet(source.text, { maxInstructions: source.maxInstructions })
    : source;
  const rules = compileRuleSet(ruleSet, given.options);
  return {
    rules,
    writeCounters: (into) => _flattenCounters(ruleSet, rules.counters(), into),
  };
}

function _start(start: _StartMessage): void {
  const views = _sharedViews(start.buffers);
  let given: _WorkerRules;
  try {
    given = "portable" in start.classifier ? _given(start.classifier) : _compiled(start.classifier);
  } catch (error) {
    _fail(views.control, error);
    return;
  }
  Atomics.store(views.control, _READY, 1);
  Atomics.notify(views.control, _READY);
  // Anything the job loop did not expect ends the worker's part at once.
  _serve(given, views).catch((error) => _fail(views.control, error));
}

const pending: _InterfacesMessage[] = [];

scope.addEventListener("message", (event: MessageEvent) => {
  const message = event.data as _StartMessage | _InterfacesMessage;
  if (message.kind === "start") {
    _start(message);
    return;
  }
  pending.push(message);
  if (classifier === undefined) return;
  for (const { interfaces } of pending.splice(0)) classifier.interfaces.push(...interfaces);
  interfacesArrived?.();
});
