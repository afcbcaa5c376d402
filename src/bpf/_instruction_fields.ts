/**
 * Private: whether an instruction's four fields fit the kernel's
 * `struct sock_filter` (`code` 16 bits, `jt`/`jf` 8 bits, `k` unsigned 32
 * bits), the one rule that `validate` (`BAD_FIELD`) and the rule-set
 * compile's program keys both apply.
 *
 * @module
 */

/**
 * Whether `code`, `jt`, `jf` and `k` are numbers that their width's mask
 * keeps as they are: integers in range (`-0` reads as 0). One call and no
 * table per instruction: a rule set's parse and compile check thousands of
 * instructions, mostly before V8 has optimised the code (issue 11).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { _fieldsFit } from "./_instruction_fields.ts";
 * assert.equal(_fieldsFit(0x06, 0, 0, 0xffffffff), true);
 * assert.equal(_fieldsFit(0x06, 256, 0, 0), false);
 * assert.equal(_fieldsFit(0x06, 0, 0, 1.5), false);
 * assert.equal(_fieldsFit("6", 0, 0, 0), false);
 * ```
 */
export function _fieldsFit(code: unknown, jt: unknown, jf: unknown, k: unknown): boolean {
  return typeof code === "number" && (code & 0xffff) === code &&
    typeof jt === "number" && (jt & 0xff) === jt &&
    typeof jf === "number" && (jf & 0xff) === jf &&
    typeof k === "number" && k >>> 0 === k;
}
