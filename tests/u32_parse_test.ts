import { HANG_GUARD_MS } from "./_hang_guard.ts";
import assert from "node:assert/strict";
import {
  formatU32,
  parseU32,
  U32SyntaxError,
  type U32Test,
  XT_U32_MAXSIZE,
} from "../src/u32/mod.ts";

const t = (
  offset: number,
  operations: [U32Test["operations"][number]["operator"], number][],
  ranges: ([number, number] | number)[],
): U32Test => ({
  offset,
  operations: operations.map(([operator, number]) => ({ operator, number })),
  ranges: ranges.map((r) => typeof r === "number" ? { min: r, max: r } : { min: r[0], max: r[1] }),
});

Deno.test("parseU32() reads the man page examples", () => {
  assert.deepEqual(parseU32("0 & 0xFFFF = 0x100:0xFFFF"), [
    t(0, [["&", 0xffff]], [[0x100, 0xffff]]),
  ]);
  assert.deepEqual(parseU32("6 & 0xFF = 1 && 4 & 0x3FFF = 0 && 0 >> 22 & 0x3C @ 0 >> 24 = 0"), [
    t(6, [["&", 0xff]], [1]),
    t(4, [["&", 0x3fff]], [0]),
    t(0, [[">>", 22], ["&", 0x3c], ["@", 0], [">>", 24]], [0]),
  ]);
  assert.deepEqual(parseU32("6 & 0xFF = 6 && 0 >> 22 & 0x3C @ 12 >> 26 & 0x3C @ 8 = 1,2,5,8"), [
    t(6, [["&", 0xff]], [6]),
    t(0, [[">>", 22], ["&", 0x3c], ["@", 12], [">>", 26], ["&", 0x3c], ["@", 8]], [1, 2, 5, 8]),
  ]);
});

Deno.test("parseU32() reads numbers as C strtoul base 0", () => {
  const value = (text: string) => parseU32(`0=${text}`)[0].ranges[0].min;
  assert.equal(value("10"), 10);
  assert.equal(value("010"), 8);
  assert.equal(value("0x10"), 16);
  assert.equal(value("0X1f"), 31);
  assert.equal(value("0xaBcD"), 0xabcd);
  assert.equal(value("0"), 0);
  assert.equal(value("00"), 0);
  assert.equal(value("+7"), 7);
  assert.equal(value("+0x7"), 7);
  assert.equal(value("4294967295"), 0xffffffff);
  assert.equal(value("0xffffffff"), 0xffffffff);
  assert.equal(value("037777777777"), 0xffffffff);
  assert.equal(value("0000000000000000000000000000000000000000012"), 10);
  assert.equal(parseU32("0x10=1")[0].offset, 16);
});

Deno.test("parseU32() allows whitespace anywhere between tokens", () => {
  const expected = parseU32("0>>22&0x3C@12<<1=1:2,3&&4=5");
  for (
    const text of [
      " 0 >> 22 & 0x3C @ 12 << 1 = 1 : 2 , 3 && 4 = 5 ",
      "\t0\n>>\v22\f&\r0x3C@12<<1=1:2,3&&4=5\n",
      "0>>   22&0x3C@12<<1=1   :   2,3&&4=5",
    ]
  ) assert.deepEqual(parseU32(text), expected, JSON.stringify(text));
});

Deno.test("parseU32() accepts the limits of 10 tests, numbers and ranges", () => {
  const numbers = "0" + "&1".repeat(9);
  const ranges = Array.from({ length: 10 }, (_, i) => String(i)).join(",");
  const tests = Array.from({ length: 10 }, () => `${numbers}=${ranges}`).join("&&");
  const parsed = parseU32(tests);
  assert.equal(parsed.length, XT_U32_MAXSIZE);
  assert.equal(parsed[9].operations.length, 9);
  assert.equal(parsed[9].ranges.length, 10);
});

Deno.test("parseU32() accepts shift counts 0 to 31 and ranges with min > max", () => {
  assert.deepEqual(parseU32("0<<0>>31=5:1"), [t(0, [["<<", 0], [">>", 31]], [[5, 1]])]);
});

// [text, code, 1-based column]
const errors: [string, string, number][] = [
  ["", "END_AFTER_LOCATION", 1],
  ["   ", "END_AFTER_LOCATION", 4],
  ["0", "END_AFTER_LOCATION", 2],
  ["0 & 1", "END_AFTER_LOCATION", 6],
  ["0=1&&", "END_AFTER_LOCATION", 6],
  ["0=", "NO_VALUE", 3],
  ["0 =  ", "NO_VALUE", 6],
  ["=1", "LOCATION_MISSING", 1],
  ["0=1&& =2", "LOCATION_MISSING", 7],
  ["0 < 1=1", "SECOND_CHARACTER_EXPECTED", 4],
  ["0>1=1", "SECOND_CHARACTER_EXPECTED", 3],
  ["0<", "SECOND_CHARACTER_EXPECTED", 3],
  ["0=1&2=3", "SECOND_CHARACTER_EXPECTED", 5],
  ["0=1 & &2=3", "SECOND_CHARACTER_EXPECTED", 6],
  ["0 1=1", "OPERATOR_EXPECTED", 3],
  ["0x=1", "OPERATOR_EXPECTED", 2],
  ["08=1", "OPERATOR_EXPECTED", 2],
  ["0|1=1", "OPERATOR_EXPECTED", 2],
  ["0 ! = 1", "OPERATOR_EXPECTED", 3],
  ["0==1", "NOT_A_NUMBER", 3],
  ["&1=1", "NOT_A_NUMBER", 1],
  ["0&=1", "NOT_A_NUMBER", 3],
  ["0& =1", "NOT_A_NUMBER", 4],
  ["0=-1", "NOT_A_NUMBER", 3],
  ["-0=1", "NOT_A_NUMBER", 1],
  ["0=+ 1", "NOT_A_NUMBER", 3],
  ["0=1:", "NOT_A_NUMBER", 5],
  ["0=1,", "NOT_A_NUMBER", 5],
  ["0=,1", "NOT_A_NUMBER", 3],
  ["0=x", "NOT_A_NUMBER", 3],
  ["0=1:2:3", "COMMA_OR_AND_EXPECTED", 6],
  ["0=1 2", "COMMA_OR_AND_EXPECTED", 5],
  ["0=1=2", "COMMA_OR_AND_EXPECTED", 4],
  ["0=0x1g", "COMMA_OR_AND_EXPECTED", 6],
  ["0=09", "COMMA_OR_AND_EXPECTED", 4],
  ["0=&&1=1", "VALUE_MISSING", 3],
  ["0x100000000=1", "NUMBER_OUT_OF_RANGE", 1],
  ["0=4294967296", "NUMBER_OUT_OF_RANGE", 3],
  ["0=1:040000000000", "NUMBER_OUT_OF_RANGE", 5],
  ["0=99999999999999999999999999999999", "NUMBER_OUT_OF_RANGE", 3],
  ["0<<32=1", "SHIFT_TOO_LARGE", 4],
  ["0>> 0x20=1", "SHIFT_TOO_LARGE", 5],
  ["0" + "&1".repeat(10) + "=1", "TOO_MANY_NUMBERS", 20],
  ["0=" + Array.from({ length: 11 }, (_, i) => i).join(","), "TOO_MANY_RANGES", 22],
  [Array(11).fill("0=1").join("&&"), "TOO_MANY_TESTS", 49],
];

Deno.test("parseU32() refuses bad expressions with the code and column", () => {
  for (const [text, code, column] of errors) {
    assert.throws(
      () => parseU32(text),
      (error: unknown) => {
        assert.ok(error instanceof U32SyntaxError, `${text}: ${error}`);
        assert.ok(error instanceof SyntaxError);
        assert.equal(error.code, code, `${JSON.stringify(text)}: ${error.message}`);
        assert.equal(error.column, column, `${JSON.stringify(text)}: ${error.message}`);
        assert.match(error.message, /^Cannot parse u32 expression: .* at column \d+$/);
        assert.ok(error.message.endsWith(`at column ${column}`));
        return true;
      },
      JSON.stringify(text),
    );
  }
});

Deno.test("parseU32() fails fast on huge hostile input", () => {
  const start = performance.now();
  assert.throws(() => parseU32("0=1&&".repeat(200_000)), U32SyntaxError);
  assert.throws(() => parseU32("0=" + "9".repeat(1_000_000)), U32SyntaxError);
  assert.throws(() => parseU32("0" + " ".repeat(1_000_000)), U32SyntaxError);
  assert.ok(performance.now() - start < HANG_GUARD_MS);
});

Deno.test("formatU32() prints like iptables-save: lower-case hex, no spaces", () => {
  assert.equal(formatU32(parseU32("0 & 0xFFFF = 0x100:0xFFFF")), "0x0&0xffff=0x100:0xffff");
  assert.equal(
    formatU32(parseU32("6 & 0xFF = 1 && 4 & 0x3FFF = 0 && 0 >> 22 & 0x3C @ 0 >> 24 = 0")),
    "0x6&0xff=0x1&&0x4&0x3fff=0x0&&0x0>>0x16&0x3c@0x0>>0x18=0x0",
  );
  assert.equal(
    formatU32(parseU32("6&0xFF=6&&0>>22&0x3C@12>>26&0x3C@8=1,2,5,8")),
    "0x6&0xff=0x6&&0x0>>0x16&0x3c@0xc>>0x1a&0x3c@0x8=0x1,0x2,0x5,0x8",
  );
  // a range a:a prints as a single number; octal and decimal come out hex
  assert.equal(formatU32(parseU32("010<<1=7:7,4294967295,5:1")), "0x8<<0x1=0x7,0xffffffff,0x5:0x1");
});

Deno.test("formatU32() output parses back to the same tests", () => {
  for (
    const text of [
      "0&0xFFFF=0x100:0xFFFF",
      "0>>22&0x3C@12>>26&0x3C@8=1,2,5,8&&6&0xff=6",
      "0xfffffffc<<31>>31@0xffffffff=0:0xffffffff,3",
    ]
  ) {
    const tests = parseU32(text);
    assert.deepEqual(parseU32(formatU32(tests)), tests);
  }
});
