/**
 * Compiling a rule set without blocking the event loop: the same steps as
 * {@linkcode compileRuleSet}, done in bounded time slices.
 *
 * @module
 */
import type { CompiledRuleSet, CompileRuleSetOptions } from "./compiled_rule_set.ts";
import type { RuleSet } from "./rule_set.ts";
import { _RuleSetBuilder } from "./_rule_set_builder.ts";
import { _makeWasmClassifier } from "./_classifier_wasm.ts";

/**
 * Most steps in one slice, whatever the clock says: where it stands still
 * while code runs (Cloudflare Workers), a slice would otherwise take the
 * whole compile. 256 rule steps of small programs take a few ms.
 */
export const _MOST_STEPS_PER_SLICE = 256;

/**
 * Options of {@linkcode compileRuleSetAsync}: those of
 * {@linkcode compileRuleSet}, plus how long one slice of work may run and an
 * abort signal.
 *
 * @example
 * ```ts
 * import { compileRuleSetAsync, type CompileRuleSetAsyncOptions } from "./compile_rule_set_async.ts";
 * import { parseRuleSet } from "./parse_rule_set.ts";
 * import assert from "node:assert/strict";
 * const options: CompileRuleSetAsyncOptions = { sliceMilliseconds: 5 };
 * const rules = await compileRuleSetAsync(parseRuleSet("-A INPUT -p udp -j DROP\n"), options);
 * assert.equal(rules.chain, "INPUT");
 * ```
 */
export type CompileRuleSetAsyncOptions = CompileRuleSetOptions & {
  /**
   * Longest stretch of compile work between two yields to the event loop.
   *
   * @default {10}
   */
  sliceMilliseconds?: number;
  /** Stops the compile: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
};

/**
 * Compiles a rule set as {@linkcode compileRuleSet} does (same steps, same
 * result, same errors), but in slices of about `sliceMilliseconds` of work
 * that yield to the event loop between them, so that a server compiling a
 * large rule set keeps answering other requests (a slice also ends after
 * {@linkcode _MOST_STEPS_PER_SLICE} steps). One step (one rule's
 * checks and summary, or one node of a chain's index) is not divided: the
 * longest is one `--expr` of up to 4096 instructions, or one index node over
 * all of a chain's rules (a few milliseconds for 10,000 rules).
 *
 * @param ruleSet The rule set.
 * @param options Compile options, slice length and abort signal.
 * @returns The compiled rule set.
 * @throws {RuleSetError} As {@linkcode compileRuleSet} (the promise rejects).
 *
 * @example
 * ```ts
 * import { compileRuleSetAsync } from "./compile_rule_set_async.ts";
 * import { createFrameRef } from "./compile_rule_set.ts";
 * import { parseRuleSet } from "./parse_rule_set.ts";
 * import assert from "node:assert/strict";
 * const rules = await compileRuleSetAsync(parseRuleSet("-A INPUT -p udp -j DROP\n"));
 * const bytes = new Uint8Array(20);
 * bytes.set([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17]); // IPv4, protocol 17 (UDP)
 * const frame = createFrameRef({ bytes, capturedLength: 20, wireLength: 20, linkType: 101 });
 * assert.equal(rules.classify(frame), false);
 * ```
 */
export async function compileRuleSetAsync(
  ruleSet: RuleSet,
  options?: CompileRuleSetAsyncOptions,
): Promise<CompiledRuleSet> {
  const signal = options?.signal;
  const slice = options?.sliceMilliseconds ?? 10;
  signal?.throwIfAborted();
  // The Wasm classifier only where asked for (`strategy: "wasm"`).
  const builder = new _RuleSetBuilder(ruleSet, options, {
    make: _makeWasmClassifier,
    choose: false,
  });
  for (;;) {
    // One slice: steps (one rule, or one index node) until the slice is used up.
    const end = performance.now() + slice;
    let done = builder.step();
    let steps = 1;
    while (!done && steps++ < _MOST_STEPS_PER_SLICE && performance.now() < end) {
      done = builder.step();
    }
    if (done) break;
    await new Promise((resolve) => setTimeout(resolve, 0));
    signal?.throwIfAborted();
  }
  return builder.finish();
}
