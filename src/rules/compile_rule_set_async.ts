/**
 * {@linkcode compileRuleSet} without holding the event loop.
 *
 * Stand-in of branch i13: the rule-set classifier work (branch i11) replaces
 * this file with a compiler that works in bounded slices. This version only
 * yields once before compiling in one piece.
 *
 * @module
 */
import {
  type CompiledRuleSet,
  compileRuleSet,
  type CompileRuleSetOptions,
} from "./compile_rule_set.ts";
import type { RuleSet } from "./rule_set.ts";
import { _yieldToEventLoop } from "./_yield_to_event_loop.ts";

/**
 * Compiles `ruleSet` as {@linkcode compileRuleSet} does (same classifier,
 * same errors), yielding to the event loop between slices of at most
 * `sliceMilliseconds`; `signal` stops it between two slices.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileRuleSetAsync } from "./compile_rule_set_async.ts";
 * import { parseRuleSet } from "./parse_rule_set.ts";
 * const compiled = await compileRuleSetAsync(parseRuleSet("-A INPUT -p udp -j DROP\n"));
 * assert.equal(compiled.counters().frames.packets, 0);
 * ```
 */
export async function compileRuleSetAsync(
  ruleSet: RuleSet,
  options?: CompileRuleSetOptions & { sliceMilliseconds?: number; signal?: AbortSignal },
): Promise<CompiledRuleSet> {
  const { sliceMilliseconds: _slice, signal, ...compileOptions } = options ?? {};
  signal?.throwIfAborted();
  await _yieldToEventLoop();
  signal?.throwIfAborted();
  return compileRuleSet(ruleSet, compileOptions);
}
