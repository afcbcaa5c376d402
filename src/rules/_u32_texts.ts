/**
 * Private: the parsed tests of `--u32` texts, parsed once and shared by
 * `parseRuleSet` (which checks each text) and `compileRuleSet` (which
 * translates it), so that parsing then compiling a rule set parses each
 * distinct text once.
 *
 * Bound: the tests kept hold at most `_MAX_CACHED_NUMBERS` numbers (a
 * `--u32` text has at most 10 tests of at most 10 operations and 10 ranges:
 * 410 numbers); the oldest texts are forgotten first. Texts that do not parse
 * are not kept (their error is thrown again).
 *
 * @module
 */
import { parseU32 } from "../u32/parse_u32.ts";
import type { U32Test } from "../u32/types.ts";

/** Most numbers (offsets, operands, range ends) kept in the cache. */
export const _MAX_CACHED_NUMBERS = 262_144;

const _texts = new Map<string, readonly U32Test[]>();
let _numbers = 0;

/** How many numbers `tests` hold. */
function _size(tests: readonly U32Test[]): number {
  let n = 0;
  for (const test of tests) n += 1 + 2 * test.operations.length + 2 * test.ranges.length;
  return n;
}

/**
 * `parseU32(text)`, once per text while the cache keeps it. Shared: callers
 * must not modify the tests. Throws as `parseU32` does.
 */
export function _parsedU32(text: string): readonly U32Test[] {
  const known = _texts.get(text);
  if (known !== undefined) return known;
  const tests = parseU32(text);
  const size = _size(tests);
  _texts.set(text, tests);
  _numbers += size;
  for (const [oldest, old] of _texts) {
    if (_numbers <= _MAX_CACHED_NUMBERS) break;
    _texts.delete(oldest);
    _numbers -= _size(old);
  }
  return tests;
}
