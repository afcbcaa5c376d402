/**
 * The classification worker of `filter --threads`: compiles the rule set
 * the main thread compiled, with the same options, then takes part in the
 * classify jobs the main thread posts in shared memory, and hands its
 * counters over at the end (the layout: ./_classify_protocol.ts).
 *
 * @module
 */
import { compileRuleSet } from "../rules/compile_rule_set.ts";
import { parseRuleSet } from "../rules/parse_rule_set.ts";
import type { RuleSet } from "../rules/rule_set.ts";
import type { CompiledRuleSet } from "../rules/compiled_rule_set.ts";
import {
  _BASE,
  _CLASSIFY,
  _COUNT,
  _COUNTERS,
  _DONE,
  _INTERFACES,
  _JOB,
  _JOINED,
  _LEFT,
  _MAIN_ASLEEP,
  _READY,
  type _SharedViews,
  _sharedViews,
  _waitWhile,
  _wake,
  _WORKER_ASLEEP,
  _WORKER_SPIN_MS,
} from "./_classify_protocol.ts";
import type { _FailedMessage, _InterfacesMessage, _StartMessage } from "./_classify_protocol.ts";
import { _ChunkClassifier } from "./_classify_chunks.ts";
import { _flattenCounters } from "./_flat_counters.ts";

interface _WorkerScope {
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  postMessage(message: _FailedMessage): void;
  close(): void;
}

const scope = globalThis as unknown as _WorkerScope;
let classifier: _ChunkClassifier | undefined;
let interfacesArrived: (() => void) | undefined;

/** Takes part in the classify job `job`, unless the main thread already closed it. */
async function _join(job: number, views: _SharedViews, chunks: _ChunkClassifier) {
  const control = views.control;
  if (Atomics.compareExchange(control, _JOINED, job, ~job) !== job) return;
  _wake(control, _JOINED, _MAIN_ASLEEP);
  const needed = Atomics.load(control, _INTERFACES);
  while (chunks.interfaces.length < needed) {
    await new Promise<void>((resolve) => interfacesArrived = resolve);
  }
  try {
    chunks.run(Atomics.load(control, _COUNT), views.bytes, Atomics.load(control, _BASE));
  } catch {
    // Not expected (the main thread's rule set classified the same way): the
    // main thread stops and reports it.
    Atomics.store(control, _READY, -1);
  }
  Atomics.store(control, _LEFT, job);
  _wake(control, _LEFT, _MAIN_ASLEEP);
}

/** The job loop, until a stop job. */
async function _serve(ruleSet: RuleSet, rules: CompiledRuleSet, views: _SharedViews) {
  const control = views.control;
  const chunks = classifier = new _ChunkClassifier(rules, views);
  for (let seen = 0;;) {
    _waitWhile(control, _JOB, seen, _WORKER_SPIN_MS, _WORKER_ASLEEP);
    const job = seen = Atomics.load(control, _JOB);
    const kind = job & 3;
    if (kind === _CLASSIFY) {
      await _join(job, views, chunks);
      continue;
    }
    if (kind === _COUNTERS) _flattenCounters(ruleSet, rules.counters(), views.counters);
    Atomics.store(control, _DONE, job);
    Atomics.notify(control, _DONE);
    if (kind !== _COUNTERS) break;
  }
  scope.close();
}

function _start(start: _StartMessage): void {
  const views = _sharedViews(start.buffers);
  let rules: CompiledRuleSet;
  let ruleSet: RuleSet;
  try {
    const given = start.rules;
    ruleSet = "text" in given
      ? parseRuleSet(given.text, { maxInstructions: given.maxInstructions })
      : given;
    rules = compileRuleSet(ruleSet, start.options);
  } catch (error) {
    scope.postMessage({ kind: "failed", message: String(error) });
    Atomics.store(views.control, _READY, -1);
    Atomics.notify(views.control, _READY);
    return;
  }
  Atomics.store(views.control, _READY, 1);
  Atomics.notify(views.control, _READY);
  void _serve(ruleSet, rules, views);
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
