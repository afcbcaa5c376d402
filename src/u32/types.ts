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
 * import { XT_U32_MAXSIZE } from "./types.ts";
 * console.log(XT_U32_MAXSIZE); // 10
 * ```
 */
export const XT_U32_MAXSIZE = 10;

/**
 * A location operator (`enum xt_u32_ops`): `&` (`XT_U32_AND`), `<<`
 * (`XT_U32_LEFTSH`), `>>` (`XT_U32_RIGHTSH`) or `@` (`XT_U32_AT`).
 */
export type U32Operator = "&" | "<<" | ">>" | "@";

/**
 * One `operator number` step of a location (`struct xt_u32_location_element`
 * after the first).
 */
export interface U32Operation {
  /** The operator applied with `number`. */
  readonly operator: U32Operator;
  /** The operand, a uint32 (`0..0xffffffff`); a shift count is below 32. */
  readonly number: number;
}

/** An inclusive unsigned range `min:max` (`struct xt_u32_value_element`). */
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
 * import type { U32Test } from "./types.ts";
 * // "6 & 0xFF = 6": the IPv4 protocol byte is TCP.
 * const tcp: U32Test = {
 *   offset: 6,
 *   operations: [{ operator: "&", number: 0xff }],
 *   ranges: [{ min: 6, max: 6 }],
 * };
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
