import assert from "node:assert/strict";
import { _dottedLength, _nameLength, _numberLength } from "./_lexer_scan.ts";
import { _tokenize } from "./_lexer.ts";
import { _prng } from "../../tests/_fuzz.ts";

// The oracle: libpcap's scanner.l patterns (as the lexer ran them before its
// hand scanners), each matched at one position (sticky).
const NUM = /(?:0[xX][0-9A-Fa-f]+|[0-9]+)/y;
const HID = /(?:0[xX][0-9A-Fa-f]+|[0-9]+)(?:\.(?:0[xX][0-9A-Fa-f]+|[0-9]+)){1,3}/y;
const ID = /[A-Za-z0-9](?:[-_.A-Za-z0-9]*[.A-Za-z0-9])?/y;

function matchLength(pattern: RegExp, source: string, i: number): number {
  pattern.lastIndex = i;
  return pattern.exec(source)?.[0].length ?? 0;
}

// Characters that make the patterns differ: digits, hex and other letters, x, the separators
// they take or stop at, and others.
const ALPHABET = "0001789aAfFgGxXzZ..--__::  /\\!é";

Deno.test("_numberLength, _dottedLength, _nameLength: the lengths the scanner.l patterns match, at every position of random text", () => {
  const next = _prng(0x1e5ca9).next;
  let checked = 0;
  for (let n = 0; n < 4000; n++) {
    const length = 1 + Math.floor(next() * 16);
    let source = "";
    for (let j = 0; j < length; j++) source += ALPHABET[Math.floor(next() * ALPHABET.length)];
    for (let i = 0; i <= source.length; i++) {
      assert.equal(_numberLength(source, i), matchLength(NUM, source, i), `NUM ${source} @${i}`);
      assert.equal(_dottedLength(source, i), matchLength(HID, source, i), `HID ${source} @${i}`);
      assert.equal(_nameLength(source, i), matchLength(ID, source, i), `ID ${source} @${i}`);
      checked++;
    }
  }
  assert.ok(checked > 30000);
});

Deno.test("_numberLength, _dottedLength, _nameLength: hand-picked edges", () => {
  const cases = [
    "0x",
    "0x1",
    "0xg",
    "0X1F.2",
    "1.2.3.4.5",
    "1.2.",
    "1..2",
    "10.0x",
    "08.1",
    "1.0x1f.2",
    "a-",
    "a_",
    "a.",
    "a-b_c.d-",
    "-a",
    ".a",
    "4294967296",
    "1e5",
    "x1",
    "ab:cd",
  ];
  for (const source of cases) {
    for (let i = 0; i <= source.length; i++) {
      assert.equal(_numberLength(source, i), matchLength(NUM, source, i), `NUM ${source} @${i}`);
      assert.equal(_dottedLength(source, i), matchLength(HID, source, i), `HID ${source} @${i}`);
      assert.equal(_nameLength(source, i), matchLength(ID, source, i), `ID ${source} @${i}`);
    }
  }
});

Deno.test("_tokenize: numbers, dotted numbers and names as the longest match", () => {
  const kinds = (source: string) => _tokenize(source).map((t) => [t.kind, t.text]);
  assert.deepEqual(kinds("10.1.2.3.4"), [["id", "10.1.2.3.4"], ["eof", ""]]);
  assert.deepEqual(kinds("10.1.2.3 "), [["hid", "10.1.2.3"], ["eof", ""]]);
  assert.deepEqual(kinds("host 10.1.2.3"), [["kw", "host"], ["hid", "10.1.2.3"], ["eof", ""]]);
  assert.deepEqual(kinds("port 0x1F"), [["kw", "port"], ["num", "0x1F"], ["eof", ""]]);
  assert.deepEqual(kinds("portrange 10-20"), [["kw", "portrange"], ["id", "10-20"], ["eof", ""]]);
  assert.deepEqual(kinds("tcp-syn"), [["num", "tcp-syn"], ["eof", ""]]);
  assert.deepEqual(kinds("a_b-"), [["id", "a_b"], ["op", "-"], ["eof", ""]]);
});
