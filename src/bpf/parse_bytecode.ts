/**
 * Parsing of the textual bytecode forms of a classic BPF program.
 *
 * @module
 */
import type { Instruction } from "./instruction.ts";
import { BpfSyntaxError } from "./errors.ts";

/**
 * Parses a classic BPF program written as numbers, in any of the three forms
 * the tools print:
 *
 * - the iptables `--bytecode` form: the instruction count, then
 *   `code jt jf k` per instruction, separated by commas, with or without a
 *   trailing comma and with optional spaces after commas
 *   (`4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0`);
 * - the same with line breaks as separators (`tcpdump -ddd` output: the count
 *   on the first line, one instruction per line); commas and line breaks may
 *   be mixed;
 * - the `tcpdump -dd` C-array form, one `{ code, jt, jf, k },` per
 *   instruction, with no count (recognised by a leading `{`). Its numbers are
 *   C integer literals: `0x` hexadecimal, decimal, `0`-prefixed octal.
 *
 * The decimal forms are stricter than iptables' `sscanf`, which silently wraps
 * or truncates: every field must be plain decimal digits, `code` at most
 * 65535, `jt`/`jf` at most 255, `k` at most 4294967295. `k` may also be
 * written as a negative decimal from -2147483648 to -1 (iptables and
 * `bpf_asm` accept this; `tcpdump -ddd` and `iptables-save` always print it
 * unsigned): it is read as its two's complement, so `6 0 0 -1` is
 * `ret #0xffffffff`. `k` is always returned unsigned.
 *
 * The program must not be empty, and in the counted forms the count must
 * equal the number of instructions. Anything else throws a
 * {@linkcode BpfSyntaxError} with the 1-based line and column of the problem.
 *
 * @param text The program text.
 * @returns The instructions, in order.
 * @throws {BpfSyntaxError} When the text is not a well-formed program.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseBytecode } from "./parse_bytecode.ts";
 * const program = parseBytecode("4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0");
 * assert.deepEqual(program[1], { code: 21, jt: 0, jf: 1, k: 6 });
 * const same = parseBytecode("{ 0x30, 0, 0, 0x00000009 },\n{ 0x15, 0, 1, 0x00000006 },\n" +
 *   "{ 0x06, 0, 0, 0x00000001 },\n{ 0x06, 0, 0, 0x00000000 },\n");
 * assert.equal(same.length, 4);
 * ```
 */
export function parseBytecode(text: string): Instruction[] {
  const plain = _plainCounted(text);
  if (plain !== undefined) return plain;
  const tokens = _tokenize(text);
  const first = tokens.find((token) => token.kind !== "newline")!;
  return first.kind === "{" ? _parseArray(tokens) : _parseCounted(tokens);
}

/**
 * The form iptables-save writes (`N,c t f k,...`: decimal numbers in range,
 * one space between fields, one comma between instructions, nothing else)
 * read in one pass; `undefined` for any other text, which the general
 * parser then reads (and explains when it is wrong). A rule set repeats
 * this form thousands of times.
 */
function _plainCounted(text: string): Instruction[] | undefined {
  const end = text.length;
  let i = 0;
  /** Reads a decimal number of at most 10 digits up to `max`, or returns -1. */
  const number = (max: number): number => {
    const start = i;
    let value = 0;
    while (i < end && i - start < 11) {
      const c = text.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      value = value * 10 + (c - 0x30);
      i++;
    }
    return i === start || i - start > 10 || value > max ? -1 : value;
  };
  const count = number(0xffff);
  if (count < 1) return undefined;
  const program: Instruction[] = [];
  for (let n = 0; n < count; n++) {
    if (text.charCodeAt(i++) !== 0x2c /* , */) return undefined;
    const code = number(0xffff);
    if (code < 0 || text.charCodeAt(i++) !== 0x20) return undefined;
    const jt = number(0xff);
    if (jt < 0 || text.charCodeAt(i++) !== 0x20) return undefined;
    const jf = number(0xff);
    if (jf < 0 || text.charCodeAt(i++) !== 0x20) return undefined;
    const k = number(0xffffffff);
    if (k < 0) return undefined;
    program.push({ code, jt, jf, k });
  }
  return i === end ? program : undefined;
}

type _TokenKind = "word" | "," | "newline" | "{" | "}" | "end";

interface _Token {
  kind: _TokenKind;
  text: string;
  line: number;
  column: number;
}

const _FIELDS = ["code", "jt", "jf", "k"] as const;
const _MAX = [0xffff, 0xff, 0xff, 0xffffffff];

function _fail(reason: string, line: number, column: number): never {
  throw new BpfSyntaxError(
    `Cannot parse bytecode: ${reason} at line ${line}, column ${column}`,
    line,
    column,
  );
}

function _tokenize(text: string): _Token[] {
  const tokens: _Token[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const column = i - lineStart + 1;
    if (c === "\n") {
      tokens.push({ kind: "newline", text: c, line, column });
      i++;
      line++;
      lineStart = i;
    } else if (c === " " || c === "\t" || c === "\r") {
      i++;
    } else if (c === "," || c === "{" || c === "}") {
      tokens.push({ kind: c, text: c, line, column });
      i++;
    } else {
      let j = i;
      while (j < text.length && !" \t\r\n,{}".includes(text[j])) j++;
      tokens.push({ kind: "word", text: text.slice(i, j), line, column });
      i = j;
    }
  }
  tokens.push({ kind: "end", text: "", line, column: text.length - lineStart + 1 });
  return tokens;
}

function _describe(token: _Token): string {
  if (token.kind === "end") return "end of text";
  if (token.kind === "newline") return "end of line";
  return `'${token.text.length > 20 ? token.text.slice(0, 20) + "…" : token.text}'`;
}

/** Reads a decimal field; `k` may be a negative decimal (two's complement). */
function _decimal(token: _Token, field: number): number {
  const name = _FIELDS[field];
  const text = token.text;
  const negative = field === 3 && text.startsWith("-");
  const digits = negative ? text.slice(1) : text;
  if (!/^[0-9]+$/.test(digits)) {
    const hint = /^[+-]?0x/i.test(text) ? " (hexadecimal is only allowed in the { } form)" : "";
    _fail(`${name} ${_describe(token)} is not a decimal number${hint}`, token.line, token.column);
  }
  const value = Number(digits);
  if (negative) {
    if (value > 0x80000000) {
      _fail(
        `k ${_describe(token)} is out of range (-2147483648..4294967295)`,
        token.line,
        token.column,
      );
    }
    return -value >>> 0;
  }
  if (value > _MAX[field]) {
    const range = field === 3 ? "-2147483648..4294967295" : `0..${_MAX[field]}`;
    _fail(`${name} ${_describe(token)} is out of range (${range})`, token.line, token.column);
  }
  return value;
}

/** Reads a C integer literal (hex, decimal or octal) as `tcpdump -dd` prints them. */
function _literal(token: _Token, field: number): number {
  const name = _FIELDS[field];
  const text = token.text;
  let value: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) {
    value = text.length > 20 ? Infinity : parseInt(text.slice(2), 16);
  } else if (/^0[0-7]*$/.test(text)) {
    value = text.length > 20 ? Infinity : parseInt(text, 8);
  } else if (/^[1-9][0-9]*$/.test(text)) {
    value = Number(text);
  } else {
    _fail(`${name} ${_describe(token)} is not a C integer literal`, token.line, token.column);
  }
  if (value > _MAX[field]) {
    _fail(
      `${name} ${_describe(token)} is out of range (0..${_MAX[field]})`,
      token.line,
      token.column,
    );
  }
  return value;
}

/** The iptables / `tcpdump -ddd` form: a count, then instructions. */
function _parseCounted(tokens: _Token[]): Instruction[] {
  let p = 0;
  const skipNewlines = () => {
    while (tokens[p].kind === "newline") p++;
  };
  skipNewlines();
  const countToken = tokens[p];
  if (countToken.kind !== "word") {
    _fail(
      `expected the instruction count, found ${_describe(countToken)}`,
      countToken.line,
      countToken.column,
    );
  }
  if (!/^[0-9]+$/.test(countToken.text)) {
    _fail(
      `instruction count ${_describe(countToken)} is not a decimal number`,
      countToken.line,
      countToken.column,
    );
  }
  const count = Number(countToken.text);
  if (count === 0) _fail("the program is empty (count 0)", countToken.line, countToken.column);
  if (count > 0xffff) {
    _fail(
      `instruction count ${_describe(countToken)} is out of range (1..65535)`,
      countToken.line,
      countToken.column,
    );
  }
  p++;
  const program: Instruction[] = [];
  for (;;) {
    // A separator: a comma (then any line breaks), or line breaks; or the end.
    const separator = tokens[p];
    if (separator.kind === "end") break;
    if (separator.kind === ",") {
      p++;
      skipNewlines();
    } else if (separator.kind === "newline") {
      skipNewlines();
    } else {
      _fail(
        `expected ',' or a line break after ${
          program.length === 0 ? "the count" : `instruction ${program.length - 1}`
        }, found ${_describe(separator)}`,
        separator.line,
        separator.column,
      );
    }
    const start = tokens[p];
    if (start.kind === "end") break;
    if (start.kind !== "word") {
      _fail(
        `expected instruction ${program.length}, found ${_describe(start)}`,
        start.line,
        start.column,
      );
    }
    if (program.length === count) {
      _fail(
        `more instructions than the count ${count} (instruction ${count} found)`,
        start.line,
        start.column,
      );
    }
    const fields = [0, 0, 0, 0];
    for (let field = 0; field < 4; field++) {
      const token = tokens[p];
      if (token.kind !== "word") {
        _fail(
          `instruction ${program.length} is missing field ${_FIELDS[field]} (found ${
            _describe(token)
          })`,
          token.line,
          token.column,
        );
      }
      fields[field] = _decimal(token, field);
      p++;
    }
    if (tokens[p].kind === "word") {
      _fail(
        `instruction ${program.length} has an extra field ${_describe(tokens[p])}`,
        tokens[p].line,
        tokens[p].column,
      );
    }
    program.push({ code: fields[0], jt: fields[1], jf: fields[2], k: fields[3] });
  }
  if (program.length !== count) {
    const end = tokens[p];
    _fail(
      `the count says ${count} instructions but ${program.length} ${
        program.length === 1 ? "is" : "are"
      } given`,
      end.line,
      end.column,
    );
  }
  return program;
}

/** The `tcpdump -dd` form: `{ code, jt, jf, k },` per instruction. */
function _parseArray(tokens: _Token[]): Instruction[] {
  const significant = tokens.filter((token) => token.kind !== "newline");
  let p = 0;
  const expect = (kind: _TokenKind, what: string): _Token => {
    const token = significant[p];
    if (token.kind !== kind) {
      _fail(`expected ${what}, found ${_describe(token)}`, token.line, token.column);
    }
    p++;
    return token;
  };
  const program: Instruction[] = [];
  for (;;) {
    const index = program.length;
    expect("{", `'{' to start instruction ${index}`);
    const fields = [0, 0, 0, 0];
    for (let field = 0; field < 4; field++) {
      if (field > 0) expect(",", `',' before field ${_FIELDS[field]} of instruction ${index}`);
      const token = significant[p];
      if (token.kind !== "word") {
        _fail(
          `instruction ${index} is missing field ${_FIELDS[field]} (found ${_describe(token)})`,
          token.line,
          token.column,
        );
      }
      fields[field] = _literal(token, field);
      p++;
    }
    if (significant[p].kind === "," && significant[p + 1].kind === "}") p++;
    expect("}", `'}' to end instruction ${index}`);
    program.push({ code: fields[0], jt: fields[1], jf: fields[2], k: fields[3] });
    if (significant[p].kind === ",") p++;
    if (significant[p].kind === "end") break;
    if (significant[p - 1].kind !== ",") {
      expect(",", `',' after instruction ${index}`);
    }
  }
  return program;
}
