/**
 * {@linkcode parseRuleSet} in bounded slices that yield to the event loop.
 *
 * @module
 */
import { _createRuleSetParser, type ParseRuleSetOptions } from "./parse_rule_set.ts";
import type { RuleSet } from "./rule_set.ts";
import { _yieldToEventLoop } from "./_yield_to_event_loop.ts";

/** Options of {@linkcode parseRuleSetAsync}. */
export interface ParseRuleSetAsyncOptions extends ParseRuleSetOptions {
  /**
   * Longest run of parsing between two yields to the event loop, in
   * milliseconds (one line is never split, and one line costs at most one
   * `--expr` compilation).
   *
   * @default {10}
   */
  sliceMilliseconds?: number;
  /** Stops the parse between two slices (the promise rejects with the reason). */
  signal?: AbortSignal;
}

/**
 * Parses `iptables-save` text exactly as {@linkcode parseRuleSet} does (same
 * result, same {@linkcode RuleSetError}s), but reads the lines in slices of
 * at most `sliceMilliseconds` and yields to the event loop (a macrotask)
 * between them, so that a server stays responsive while a 10,000-rule text
 * is parsed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRuleSet } from "./parse_rule_set.ts";
 * import { parseRuleSetAsync } from "./parse_rule_set_async.ts";
 * const text = "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp -j ACCEPT\nCOMMIT\n";
 * assert.deepEqual(await parseRuleSetAsync(text, { sliceMilliseconds: 1 }), parseRuleSet(text));
 * ```
 */
export async function parseRuleSetAsync(
  text: string,
  options: ParseRuleSetAsyncOptions = {},
): Promise<RuleSet> {
  const { sliceMilliseconds = 10, signal, ...parseOptions } = options;
  signal?.throwIfAborted();
  const parser = _createRuleSetParser(text, parseOptions);
  // Lines per slice adapt to their cost: start small, grow while a slice stays short.
  let batch = 16;
  while (parser.linesRead < parser.lineCount) {
    const started = performance.now();
    while (parser.linesRead < parser.lineCount) {
      parser.parseLines(batch);
      const spent = performance.now() - started;
      if (spent >= sliceMilliseconds) {
        batch = Math.max(1, batch >> 1);
        break;
      }
      if (spent < sliceMilliseconds / 4) batch = Math.min(4096, batch * 2);
    }
    if (parser.linesRead < parser.lineCount) {
      await _yieldToEventLoop();
      signal?.throwIfAborted();
    }
  }
  return parser.finish();
}
