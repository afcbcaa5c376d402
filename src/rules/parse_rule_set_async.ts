/**
 * {@linkcode parseRuleSet} in bounded slices that yield to the event loop.
 *
 * @module
 */
import { _createRuleSetParser, type ParseRuleSetOptions } from "./parse_rule_set.ts";
import type { RuleSet } from "./rule_set.ts";
import { _yieldToEventLoop } from "./_yield_to_event_loop.ts";

/**
 * Most lines parsed in one slice, whatever the clock says (where it stands
 * still while code runs, as on Cloudflare Workers, the measured cost per
 * line is 0 and a slice would otherwise take the whole text).
 */
export const _MOST_LINES_PER_SLICE = 1024;

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
  // Lines per batch follow their measured cost: a batch is sized to take
  // half of what is left of the slice (doubling a batch while the slice
  // looked short let one batch take several times the rest), and a slice
  // ends when less than an eighth of it is left.
  let perLine = -1;
  while (parser.linesRead < parser.lineCount) {
    const started = performance.now();
    const last = parser.linesRead + _MOST_LINES_PER_SLICE;
    let batch = perLine < 0 ? 16 : _linesFor(sliceMilliseconds / 2, perLine);
    while (parser.linesRead < parser.lineCount) {
      batch = Math.min(batch, last - parser.linesRead);
      const before = parser.linesRead;
      const batchStarted = performance.now();
      parser.parseLines(batch);
      const now = performance.now();
      perLine = (now - batchStarted) / Math.max(1, parser.linesRead - before);
      const left = sliceMilliseconds - (now - started);
      if (left < sliceMilliseconds / 8 || parser.linesRead >= last) break;
      batch = _linesFor(left / 2, perLine);
    }
    if (parser.linesRead < parser.lineCount) {
      await _yieldToEventLoop();
      signal?.throwIfAborted();
    }
  }
  return parser.finish();
}

/** Lines that take about `milliseconds` at `perLine` each (1 to 4096). */
function _linesFor(milliseconds: number, perLine: number): number {
  return Math.max(1, Math.min(4096, Math.floor(milliseconds / Math.max(perLine, 1e-4))));
}
