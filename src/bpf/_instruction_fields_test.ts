import assert from "node:assert/strict";
import { _fieldsFit } from "./_instruction_fields.ts";

/** The rule as the kernel's struct states it: a number, an integer, from 0 to the width's top. */
function fits(value: unknown, bits: number): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value < 2 ** bits;
}

Deno.test("_fieldsFit() agrees with the width of each field for numbers and non-numbers", () => {
  const values: unknown[] = [
    0,
    -0,
    1,
    0x7f,
    0x80,
    0xff,
    0x100,
    0xffff,
    0x10000,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32 - 1,
    2 ** 32,
    2 ** 53,
    -1,
    -(2 ** 31),
    0.5,
    255.5,
    1e-300,
    NaN,
    Infinity,
    -Infinity,
    "1",
    1n,
    null,
    undefined,
    true,
    {},
    [1],
    { valueOf: () => 1 },
  ];
  const at = [16, 8, 8, 32];
  for (let field = 0; field < 4; field++) {
    for (const value of values) {
      const fields: unknown[] = [6, 0, 0, 0];
      fields[field] = value;
      assert.equal(
        _fieldsFit(fields[0], fields[1], fields[2], fields[3]),
        fits(value, at[field]),
        `field ${field} = ${String(value)}`,
      );
    }
  }
});
