import { type U32Operator, type U32Range, type U32Test, XT_U32_MAXSIZE } from "./types.ts";
import { type U32SyntaxCode, U32SyntaxError } from "./u32_syntax_error.ts";

/**
 * Parses the argument of iptables' `--u32` option into tests, with the
 * grammar of `libxt_u32`:
 *
 * ```
 * tests    := location "=" value | tests "&&" location "=" value
 * value    := range | value "," range
 * range    := number | number ":" number
 * location := number | location operator number
 * operator := "&" | "<<" | ">>" | "@"
 * ```
 *
 * Numbers are C `strtoul` base 0 (`0x1F` hex, `017` octal, `15` decimal, an
 * optional `+`, no `-`) in `0..0xffffffff`; whitespace may appear anywhere
 * between tokens; at most 10 tests, 10 numbers per location and 10 ranges per
 * value (`XT_U32_MAXSIZE`). Shift counts of 32 or more are refused, as the
 * kernel's `u32_mt_checkentry` does.
 *
 * @param text The `--u32` argument, without shell quotes.
 * @returns One {@linkcode U32Test} per `&&`-joined test.
 * @throws {U32SyntaxError} With the 1-based column and a stable `code`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseU32 } from "./parse_u32.ts";
 * const tests = parseU32("6 & 0xFF = 6,17 && 4 & 0x3FFF = 0");
 * assert.equal(tests.length, 2);
 * assert.deepEqual(tests[0].ranges, [{ min: 6, max: 6 }, { min: 17, max: 17 }]);
 * ```
 */
export function parseU32(text: string): U32Test[] {
  const parser = new _U32Parser(text);
  return parser.parse();
}

const _OPERATORS: Record<string, U32Operator> = { "&": "&", "<": "<<", ">": ">>", "@": "@" };

/** C `isspace` in the "C" locale. */
function _isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function _digitValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return 99;
}

class _U32Parser {
  #text: string;
  #i = 0;

  constructor(text: string) {
    this.#text = text;
  }

  parse(): U32Test[] {
    const tests: U32Test[] = [];
    for (;;) {
      const offsetAndOps = this.#location();
      const ranges = this.#value();
      tests.push({ offset: offsetAndOps.offset, operations: offsetAndOps.operations, ranges });
      // #value() stops at the end of input or just after a "&&".
      if (this.#i >= this.#text.length && !this.#afterAnd) return tests;
      if (tests.length >= XT_U32_MAXSIZE) {
        this.#fail(
          "TOO_MANY_TESTS",
          this.#i - 2,
          `too many tests (at most ${XT_U32_MAXSIZE} joined by "&&")`,
        );
      }
    }
  }

  #afterAnd = false;

  /** location := number | location operator number, up to and including "=". */
  #location(): { offset: number; operations: { operator: U32Operator; number: number }[] } {
    const operations: { operator: U32Operator; number: number }[] = [];
    let offset = -1;
    let count = 0;
    for (;;) {
      this.#skipSpace();
      const at = this.#i;
      if (at >= this.#text.length) {
        this.#fail(
          "END_AFTER_LOCATION",
          at,
          'unexpected end of input in location (expected a number, an operator or "=")',
        );
      }
      const c = this.#text.charCodeAt(at);
      if (c === 0x3d /* = */) {
        if (count === 0) this.#fail("LOCATION_MISSING", at, 'location missing before "="');
        this.#i++;
        return { offset, operations };
      }
      if (count === 0) {
        offset = this.#number();
      } else {
        const operator = _OPERATORS[this.#text[at]];
        if (operator === undefined) {
          this.#fail(
            "OPERATOR_EXPECTED",
            at,
            `expected an operator ("&", "<<", ">>", "@") or "=", found ${this.#show(at)}`,
          );
        }
        this.#i++;
        if (operator === "<<" || operator === ">>") {
          if (this.#text[this.#i] !== operator[1]) {
            this.#fail(
              "SECOND_CHARACTER_EXPECTED",
              this.#i,
              `a second "${operator[1]}" was expected, found ${this.#show(this.#i)}`,
            );
          }
          this.#i++;
        }
        this.#skipSpace();
        const numberAt = this.#i;
        const number = this.#number();
        if ((operator === "<<" || operator === ">>") && number >= 32) {
          this.#fail(
            "SHIFT_TOO_LARGE",
            numberAt,
            `shift count ${this.#quote(numberAt)} is out of range (0..31)`,
          );
        }
        operations.push({ operator, number });
      }
      if (++count > XT_U32_MAXSIZE) {
        this.#fail(
          "TOO_MANY_NUMBERS",
          at,
          `too many numbers in location (at most ${XT_U32_MAXSIZE})`,
        );
      }
    }
  }

  /** value := range | value "," range, up to the end of input or past "&&". */
  #value(): U32Range[] {
    const ranges: U32Range[] = [];
    this.#afterAnd = false;
    for (;;) {
      this.#skipSpace();
      const at = this.#i;
      if (at >= this.#text.length) {
        if (ranges.length === 0) {
          this.#fail("NO_VALUE", at, "test ended with no value specified");
        }
        return ranges;
      }
      const c = this.#text.charCodeAt(at);
      if (c === 0x26 /* & */) {
        if (this.#text.charCodeAt(at + 1) !== 0x26) {
          this.#fail(
            "SECOND_CHARACTER_EXPECTED",
            at + 1,
            `a second "&" was expected, found ${this.#show(at + 1)}`,
          );
        }
        if (ranges.length === 0) this.#fail("VALUE_MISSING", at, 'value missing before "&&"');
        this.#i = at + 2;
        this.#afterAnd = true;
        return ranges;
      }
      if (ranges.length > 0) {
        if (c !== 0x2c /* , */) {
          this.#fail("COMMA_OR_AND_EXPECTED", at, `expected "," or "&&", found ${this.#show(at)}`);
        }
        this.#i++;
      }
      const min = this.#number();
      this.#skipSpace();
      let max = min;
      if (this.#text.charCodeAt(this.#i) === 0x3a /* : */) {
        this.#i++;
        max = this.#number();
      }
      ranges.push({ min, max });
      if (ranges.length > XT_U32_MAXSIZE) {
        this.#fail("TOO_MANY_RANGES", at, `too many ranges in value (at most ${XT_U32_MAXSIZE})`);
      }
    }
  }

  /** A C `strtoul(s, &end, 0)` number as `xtables_strtoui` accepts it (no "-", <= UINT32_MAX). */
  #number(): number {
    this.#skipSpace();
    const text = this.#text;
    const start = this.#i;
    let p = start;
    if (text.charCodeAt(p) === 0x2b /* + */) p++;
    let base = 10;
    if (text.charCodeAt(p) === 0x30 /* 0 */) {
      const x = text.charCodeAt(p + 1) | 0x20;
      if (x === 0x78 /* x */ && _digitValue(text.charCodeAt(p + 2)) < 16) {
        base = 16;
        p += 2;
      } else {
        base = 8;
      }
    }
    const digitsStart = p;
    let value = 0;
    while (p < text.length) {
      const d = _digitValue(text.charCodeAt(p));
      if (d >= base) break;
      // Past 2**32 the exact value no longer matters: it is out of range.
      if (value <= 0xffffffff) value = value * base + d;
      p++;
    }
    if (p === digitsStart) {
      this.#fail("NOT_A_NUMBER", start, `expected a number, found ${this.#show(start)}`);
    }
    this.#i = p;
    if (value > 0xffffffff) {
      this.#fail(
        "NUMBER_OUT_OF_RANGE",
        start,
        `number ${this.#quote(start)} is out of range (0..0xffffffff)`,
      );
    }
    return value;
  }

  #skipSpace(): void {
    while (this.#i < this.#text.length && _isSpace(this.#text.charCodeAt(this.#i))) this.#i++;
  }

  /** The character at `index`, quoted, or "end of input". */
  #show(index: number): string {
    return index < this.#text.length ? JSON.stringify(this.#text[index]) : "end of input";
  }

  /** The number token starting at `index`, quoted and cut to 24 characters. */
  #quote(index: number): string {
    const token = /^\+?[0-9a-zA-Z]*/.exec(this.#text.slice(index, index + 64))?.[0] ?? "";
    return JSON.stringify(token.length > 24 ? token.slice(0, 24) + "…" : token);
  }

  #fail(code: U32SyntaxCode, index: number, reason: string): never {
    const column = index + 1;
    throw new U32SyntaxError(
      `Cannot parse u32 expression: ${reason} at column ${column}`,
      code,
      column,
    );
  }
}
