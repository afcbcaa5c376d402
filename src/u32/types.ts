/**
 * The data model of an iptables `u32` match, shaped like the kernel's
 * `struct xt_u32` (`include/uapi/linux/netfilter/xt_u32.h`) but without its
 * fixed-size arrays.
 *
 * @module
 */

/**
 * The kernel's limit on tests per match, numbers per location and ranges per
 * value (`XT_U32_MAXSIZE`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { XT_U32_MAXSIZE } from "./types.ts";
 * assert.equal(XT_U32_MAXSIZE, 10);
 * ```
 */
export const XT_U32_MAXSIZE = 10;

/**
 * A location operator (`enum xt_u32_ops`): `&` (`XT_U32_AND`), `<<`
 * (`XT_U32_LEFTSH`), `>>` (`XT_U32_RIGHTSH`) or `@` (`XT_U32_AT`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { U32Operator } from "./types.ts";
 * import { parseU32 } from "./parse_u32.ts";
 * // TCP header length 20..60: the data offset nibble of the TCP header, times 4.
 * const [test] = parseU32("0 >> 22 & 0x3C @ 12 >> 26 & 0x3C = 20:60");
 * const operators: U32Operator[] = test.operations.map((operation) => operation.operator);
 * assert.equal(operators.join(" "), ">> & @ >> &");
 * ```
 */
export type U32Operator = "&" | "<<" | ">>" | "@";

/**
 * One `operator number` step of a location (`struct xt_u32_location_element`
 * after the first).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { U32Operation } from "./types.ts";
 * import { formatU32 } from "./format_u32.ts";
 * // "0 >> 22 & 0x3C": the IPv4 header length in bytes (IHL * 4).
 * const operations: U32Operation[] = [
 *   { operator: ">>", number: 22 },
 *   { operator: "&", number: 0x3c },
 * ];
 * assert.equal(
 *   formatU32([{ offset: 0, operations, ranges: [{ min: 20, max: 20 }] }]),
 *   "0x0>>0x16&0x3c=0x14",
 * );
 * ```
 */
export interface U32Operation {
  /** The operator applied with `number`. */
  readonly operator: U32Operator;
  /** The operand, a uint32 (`0..0xffffffff`); a shift count is below 32. */
  readonly number: number;
}

/**
 * An inclusive unsigned range `min:max` (`struct xt_u32_value_element`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { U32Range } from "./types.ts";
 * import { compileU32 } from "./compile_u32.ts";
 * // IPv4 total length below 100 or from 1500 on: "0 & 0xFFFF = 0:99,1500:0xFFFF".
 * const ranges: U32Range[] = [{ min: 0, max: 99 }, { min: 1500, max: 0xffff }];
 * const tinyOrHuge = compileU32([
 *   { offset: 0, operations: [{ operator: "&", number: 0xffff }], ranges },
 * ]);
 * const ipv4 = new Uint8Array(20);
 * ipv4.set([0x45, 0, 0, 20]);
 * assert.ok(tinyOrHuge(ipv4));
 * ```
 */
export interface U32Range {
  /** Smallest matching value, uint32. */
  readonly min: number;
  /** Largest matching value, uint32; a range with `max < min` matches nothing. */
  readonly max: number;
}

/**
 * One `location = value` test (`struct xt_u32_test`): read 4 big-endian bytes
 * at `offset` from the network header, apply `operations` in order, and
 * match when the result lies in any of `ranges`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { U32Test } from "./types.ts";
 * import { compileU32 } from "./compile_u32.ts";
 * // "6 & 0xFF = 6": the IPv4 protocol byte is TCP.
 * const tcp: U32Test = {
 *   offset: 6,
 *   operations: [{ operator: "&", number: 0xff }],
 *   ranges: [{ min: 6, max: 6 }],
 * };
 * const header = new Uint8Array(20);
 * header[9] = 6; // IPv4 protocol: TCP
 * assert.equal(compileU32([tcp])(header), true);
 * ```
 */
export interface U32Test {
  /** The first number of the location: where the first 4-byte read starts. */
  readonly offset: number;
  /** The `operator number` steps after it (at most 9). */
  readonly operations: readonly U32Operation[];
  /** The value set: the test matches when the result is in any range (1 to 10). */
  readonly ranges: readonly U32Range[];
}
