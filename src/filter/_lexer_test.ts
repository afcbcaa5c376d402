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

Deno.test("_tokenize: a dotted address's parts are decimal, as libpcap's __pcap_atoin reads them", () => {
  // tcpdump 4.99 / libpcap 1.10.3: `host 010.1.2.3` tests 10.1.2.3 (not octal 8.1.2.3),
  // `host 08.1` is 8.1 (not a non-octal error), `host 0x1.2` is an invalid IPv4 address;
  // a lone number keeps stoulen's 0x hex and 0 octal (`net 010` is 8).
  const hid = (source: string) => {
    const [t] = _tokenize(source);
    return [t.kind, t.bytes, t.bits];
  };
  assert.deepEqual(hid("010.1.2.3"), ["hid", [10, 1, 2, 3], 32]);
  assert.deepEqual(hid("08.1"), ["hid", [8, 1, 0, 0], 16]);
  assert.deepEqual(hid("1.09.0255"), ["hid", [1, 9, 255, 0], 24]);
  assert.deepEqual(hid("00001.2.3.0004"), ["hid", [1, 2, 3, 4], 32]);
  for (const source of ["0x1.2", "1.0x2", "0xff.0xff.0xff.0xff", "1.0256", "4294967296.1"]) {
    assert.notEqual(_tokenize(source)[0].kind, "hid", source);
  }
  assert.deepEqual(_tokenize("010").map((t) => [t.kind, t.value]), [["num", 8], ["eof", 0]]);
});
