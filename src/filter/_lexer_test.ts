import assert from "node:assert/strict";
import { _tokenize } from "./_lexer.ts";
import { FilterSyntaxError } from "./filter_syntax_error.ts";

// libpcap's scanner (scanner.l): these one-character tokens are returned as
// themselves, and these two-character ones (GEQ, LEQ, NEQ, "==", LSH, RSH,
// AND, OR) as one token each.
const SINGLE = "+-*/%:[]!<>()&|^=";
const DOUBLE = [">=", "<=", "!=", "==", "<<", ">>", "&&", "||"];

Deno.test("_tokenize: every printable ASCII character that begins no name, number or address is an operator or illegal", () => {
  for (let code = 0x21; code < 0x7f; code++) {
    const c = String.fromCharCode(code);
    if (/[A-Za-z0-9.:\\]/.test(c)) continue;
    const source = `1 ${c} 2`;
    if (SINGLE.includes(c)) {
      const tokens = _tokenize(source);
      assert.deepEqual(
        tokens.map((t) => [t.kind, t.text, t.pos]),
        [["num", "1", 0], ["op", c, 2], ["num", "2", 4], ["eof", "", 5]],
        source,
      );
    } else {
      assert.throws(
        () => _tokenize(source),
        (e: unknown) =>
          e instanceof FilterSyntaxError && e.message.includes(`illegal character '${c}'`) &&
          e.column === 3,
        source,
      );
    }
  }
});

Deno.test("_tokenize: two-character operators are one token, also right after a name or number", () => {
  for (const op of DOUBLE) {
    assert.deepEqual(
      _tokenize(`len${op}2`).map((t) => [t.kind, t.text, t.pos]),
      [["kw", "len", 0], ["op", op, 3], ["num", "2", 5], ["eof", "", 6]],
      op,
    );
  }
  // Operators next to brackets, an address and a name.
  assert.deepEqual(
    _tokenize("ip[8]&0x1f!=(1.2.3.4)").map((t) => [t.kind, t.text]),
    [
      ["kw", "ip"],
      ["op", "["],
      ["num", "8"],
      ["op", "]"],
      ["op", "&"],
      ["num", "0x1f"],
      ["op", "!="],
      ["op", "("],
      ["hid", "1.2.3.4"],
      ["op", ")"],
      ["eof", ""],
    ],
  );
  // A leading ":" or "." may begin an IPv6 address, not an operator.
  assert.deepEqual(_tokenize("::1").map((t) => [t.kind, t.text]), [["hid6", "::1"], ["eof", ""]]);
});
