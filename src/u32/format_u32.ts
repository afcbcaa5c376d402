import type { U32Test } from "./types.ts";

function _hex(n: number): string {
  return "0x" + (n >>> 0).toString(16);
}

/**
 * Prints u32 tests the way `iptables -S` / `iptables-save` print a u32 match
 * (libxt_u32's `u32_dump`): every number in lower-case hex with `0x`, no
 * spaces, a range `min:max` only when `min !== max`. iptables-save puts the
 * text in double quotes: `-m u32 --u32 "…"`, or `-m u32 ! --u32 "…"`
 * when inverted.
 *
 * @param tests The tests, e.g. from {@linkcode parseU32}.
 * @returns The expression text, without quotes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatU32 } from "./format_u32.ts";
 * import { parseU32 } from "./parse_u32.ts";
 * const text = formatU32(parseU32("0 & 0xFFFF = 0x100:0xFFFF"));
 * assert.equal(`-m u32 --u32 "${text}"`, "-m u32 --u32 \"0x0&0xffff=0x100:0xffff\"");
 * ```
 */
export function formatU32(tests: readonly U32Test[]): string {
  return tests.map((test) => {
    let text = _hex(test.offset);
    for (const { operator, number } of test.operations) text += operator + _hex(number);
    const values = test.ranges.map(({ min, max }) =>
      min === max ? _hex(min) : `${_hex(min)}:${_hex(max)}`
    );
    return `${text}=${values.join(",")}`;
  }).join("&&");
}
