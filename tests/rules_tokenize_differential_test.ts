/**
 * The rule-file tokenizer (`_tokenize` of src/rules/parse_rule_set.ts, which
 * finds its runs with a regular expression and `indexOf`) against a reading
 * one character at a time of iptables-restore's `add_param_to_argv` rule:
 * the same arguments, columns and quoted flags, or the same error at the same
 * place; and its searches stay linear in the line's length.
 *
 * Replay a failure with `FUZZ_SEED=<seed> deno test -A tests/rules_tokenize_differential_test.ts`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type _Token, _tokenize } from "../src/rules/parse_rule_set.ts";
import { RuleSetError } from "../src/rules/rule_set_error.ts";
import { _fuzz, _iterations, type _Random } from "./_fuzz.ts";

/** What a line reads as: its arguments, or the column of the quote left open. */
type _Reading = _Token[] | { unterminatedAt: number };

/**
 * The reference: one character at a time. Blanks (space, tab, CR, LF)
 * separate arguments; `"` opens a quoted part in which `\x` stands for `x`; a
 * closing `"` ends the argument; `'` and `\` outside quotes are ordinary.
 */
function _readByCharacter(line: string, from: number): _Reading {
  const tokens: _Token[] = [];
  let text = "";
  let column = 0;
  let valueColumn = 0;
  let started = false;
  let quoted = false;
  let inQuote = false;
  let quoteColumn = 0;
  const emit = () => {
    tokens.push({ text, column, valueColumn, quoted });
    text = "";
    started = false;
    quoted = false;
  };
  const start = (at: number, value: number) => {
    if (started) return;
    started = true;
    column = at;
    valueColumn = value;
  };
  for (let i = from; i < line.length; i++) {
    const c = line[i];
    if (inQuote) {
      if (c === "\\") {
        if (i + 1 >= line.length) break;
        text += line[++i];
      } else if (c === '"') {
        inQuote = false;
        emit();
      } else text += c;
    } else if (c === '"') {
      start(i + 1, i + 2);
      inQuote = true;
      quoted = true;
      quoteColumn = i + 1;
    } else if (c === " " || c === "\t" || c === "\r" || c === "\n") {
      if (started) emit();
    } else {
      start(i + 1, i + 1);
      text += c;
    }
  }
  if (inQuote) return { unterminatedAt: quoteColumn };
  if (started) emit();
  return tokens;
}

/** What `_tokenize` reads, its error turned into the same shape (any other error fails). */
function _tokenized(line: string, lineNumber: number, from: number): _Reading {
  try {
    return _tokenize(line, lineNumber, from);
  } catch (error) {
    assert.ok(error instanceof RuleSetError, `not a RuleSetError: ${error}`);
    assert.equal(error.line, lineNumber);
    assert.equal(
      error.message,
      `Cannot parse rule set: unterminated quote at line ${lineNumber}, column ${error.column}`,
    );
    return { unterminatedAt: error.column };
  }
}

function _agree(line: string, from: number): void {
  const lineNumber = 1 + (line.length % 7);
  assert.deepEqual(_tokenized(line, lineNumber, from), _readByCharacter(line, from));
}

/** Pieces that meet the tokenizer's edges: quotes, escapes, blanks, surrogates, comments. */
const _PIECES = [
  '"',
  '"',
  "\\",
  "\\",
  " ",
  "\t",
  "\r",
  "\n",
  "'",
  "#",
  "a",
  "-A",
  "INPUT",
  "é",
  "😀",
  "\ud800",
  "\udc00",
  "\0",
  "\u00a0",
  '""',
  '\\"',
  '"\\"',
  '"\\\\"',
  "--comment",
];

function _randomLine(random: _Random, pieces: number): string {
  let line = "";
  for (let k = random.int(pieces + 1); k > 0; k--) line += random.pick(_PIECES);
  return line;
}

Deno.test("_tokenize() reads random lines as the character-by-character reading does", async () => {
  await _fuzz("_tokenize random lines", (random, note) => {
    for (let n = 0; n < _iterations(4000); n++) {
      const line = _randomLine(random, 24);
      const from = random.chance(0.7) ? 0 : random.int(line.length + 1);
      note({ line, from });
      _agree(line, from);
    }
  });
});

/** Long lines whose quoted parts would make a search from each escape or quote rescan the rest. */
const _LONG_LINES: readonly string[] = [
  '-A INPUT -m comment --comment "' + "\\a".repeat(10_000),
  '-A INPUT -m comment --comment "' + "\\a".repeat(10_000) + '"',
  "-A INPUT " + '"" '.repeat(7_000) + "\\",
  "-A INPUT " + '"x" '.repeat(5_000) + '"\\',
  '"' + "\\\\".repeat(10_000) + '"',
  '"' + '\\"'.repeat(10_000),
  "x".repeat(20_000) + '"',
  " \t\r".repeat(7_000) + '"a\\"b"',
  "é😀".repeat(7_000) + '"é\\😀"',
];

Deno.test("_tokenize() reads long adversarial lines as the character-by-character reading does", () => {
  for (const line of _LONG_LINES) _agree(line, 0);
});

Deno.test("_tokenize() searches each character of a line at most twice (no rescans)", () => {
  const indexOf = String.prototype.indexOf;
  let scanned = 0;
  String.prototype.indexOf = function (this: string, search: string, position?: number): number {
    const found = indexOf.call(this, search, position);
    scanned += (found < 0 ? this.length : found + search.length) - (position ?? 0);
    return found;
  };
  try {
    for (const line of _LONG_LINES) {
      scanned = 0;
      try {
        _tokenize(line, 1, 0);
      } catch (error) {
        if (!(error instanceof RuleSetError)) throw error;
      }
      assert.ok(
        scanned <= 2 * line.length,
        `${scanned} characters searched in a line of ${line.length}: ${line.slice(0, 40)}…`,
      );
    }
  } finally {
    String.prototype.indexOf = indexOf;
  }
});
