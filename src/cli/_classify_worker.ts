/**
 * The classification worker of `filter --threads`: compiles the rule set
 * the main thread compiled, with the same options, then classifies the
 * parts of input blocks the main thread hands it in shared memory, and
 * hands its counters over at the end (the layout: ./_classify_protocol.ts).
 *
 * @module
 */
import { compileRuleSet, createFrameRef } from "../rules/compile_rule_set.ts";
import type { CompiledRuleSet } from "../rules/compiled_rule_set.ts";
import type { CaptureInterface } from "../capture/capture_interface.ts";
import {
  _CLASSIFY,
  _COUNT,
  _COUNTERS,
  _DONE,
  _FIELDS,
  _INTERFACES,
  _JOB,
  _KIND,
  _METADATA,
  _READY,
  _sharedViews,
  _waitWhile,
  _WORK_MICROS,
} from "./_classify_protocol.ts";
import type {
  _FailedMessage,
  _InterfacesMessage,
  _SharedViews,
  _StartMessage,
} from "./_classify_protocol.ts";
import { _flattenCounters } from "./_flat_counters.ts";

interface _WorkerScope {
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  postMessage(message: _FailedMessage): void;
  close(): void;
}

const scope = globalThis as unknown as _WorkerScope;
const interfaces: CaptureInterface[] = [];
let interfacesArrived: (() => void) | undefined;

/** Classifies the `count` records of the job in `views.table`. */
function _classifyJob(
  rules: CompiledRuleSet,
  views: _SharedViews,
  count: number,
): void {
  const { table, verdicts } = views;
  const frame = createFrameRef({ bytes: views.bytes });
  let last = -1;
  for (let i = 0, at = 0; i < count; i++, at += _FIELDS) {
    const index = table[at + 3];
    if (index === _METADATA) continue;
    if (index !== last) {
      const description = interfaces[index];
      frame.linkType = description.linkType;
      frame.interfaceIndex = index;
      frame.interfaceName = description.name ?? "";
      frame.captureInterface = description;
      last = index;
    }
    frame.start = table[at];
    frame.capturedLength = table[at + 1];
    frame.wireLength = table[at + 2];
    verdicts[i] = rules.classify(frame) ? 1 : 0;
  }
}

/** The job loop: one job at a time until a stop job. */
async function _serve(rules: CompiledRuleSet, start: _StartMessage, views: _SharedViews) {
  const control = views.control;
  for (let seen = 0;;) {
    _waitWhile(control, _JOB, seen);
    seen = Atomics.load(control, _JOB);
    const kind = Atomics.load(control, _KIND);
    if (kind === _CLASSIFY) {
      const needed = Atomics.load(control, _INTERFACES);
      while (interfaces.length < needed) {
        await new Promise<void>((resolve) => interfacesArrived = resolve);
      }
      const began = performance.now();
      try {
        _classifyJob(rules, views, Atomics.load(control, _COUNT));
      } catch {
        // Not expected (the main thread's rule set classified the same way):
        // the main thread stops splitting and reports it.
        Atomics.store(control, _READY, -1);
      }
      Atomics.store(control, _WORK_MICROS, Math.round((performance.now() - began) * 1000));
    } else if (kind === _COUNTERS) {
      _flattenCounters(start.ruleSet, rules.counters(), views.counters);
    }
    Atomics.store(control, _DONE, seen);
    Atomics.notify(control, _DONE);
    if (kind !== _CLASSIFY && kind !== _COUNTERS) break;
  }
  scope.close();
}

function _start(start: _StartMessage): void {
  const views = _sharedViews(start.buffers);
  let rules: CompiledRuleSet;
  try {
    rules = compileRuleSet(start.ruleSet, start.options);
  } catch (error) {
    scope.postMessage({ kind: "failed", message: String(error) });
    Atomics.store(views.control, _READY, -1);
    Atomics.notify(views.control, _READY);
    return;
  }
  Atomics.store(views.control, _READY, 1);
  Atomics.notify(views.control, _READY);
  void _serve(rules, start, views);
}

scope.addEventListener("message", (event: MessageEvent) => {
  const message = event.data as _StartMessage | _InterfacesMessage;
  if (message.kind === "start") {
    _start(message);
  } else {
    interfaces.push(...message.interfaces);
    interfacesArrived?.();
  }
});
