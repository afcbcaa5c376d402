import assert from "node:assert/strict";
import { parseBytecode } from "./parse_bytecode.ts";
import { formatBytecode } from "./format_bytecode.ts";
import { BpfSyntaxError } from "./errors.ts";

const GOLDEN = new URL("../../tests/data/golden/", import.meta.url);
const SHARED = new URL("../../../shared/", import.meta.url);

/** Names (without extension) of the tcpdump golden cases. */
function tcpdumpCases(): string[] {
  return [...Deno.readDirSync(new URL("tcpdump/", GOLDEN))]
    .filter((entry) => entry.name.endsWith(".ddd"))
    .map((entry) => entry.name.slice(0, -4))
    .sort();
}

function read(path: string): string {
  return Deno.readTextFileSync(new URL(path, GOLDEN));
}

const SAMPLE = [
  { code: 48, jt: 0, jf: 0, k: 9 },
  { code: 21, jt: 0, jf: 1, k: 6 },
  { code: 6, jt: 0, jf: 0, k: 1 },
  { code: 6, jt: 0, jf: 0, k: 0 },
];

function assertSyntaxError(text: string, line: number, column: number, pattern: RegExp) {
  assert.throws(
    () => parseBytecode(text),
    (error: unknown) => {
      assert.ok(error instanceof BpfSyntaxError, `not a BpfSyntaxError: ${error}`);
      assert.ok(error instanceof SyntaxError);
      assert.equal(error.line, line, `line of: ${error.message}`);
      assert.equal(error.column, column, `column of: ${error.message}`);
      assert.match(error.message, /^Cannot parse bytecode: /);
      assert.match(error.message, new RegExp(`at line ${line}, column ${column}$`));
      assert.match(error.message, pattern);
      return true;
    },
  );
}

Deno.test("parseBytecode() reads the iptables form with and without a trailing comma", () => {
  assert.deepEqual(parseBytecode("4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0"), SAMPLE);
  assert.deepEqual(parseBytecode("4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0,"), SAMPLE);
});

Deno.test("parseBytecode() reads the seed's rule with spaces after commas", () => {
  const program = parseBytecode(
    "6,40 0 0 14, 21 0 3 2048,48 0 0 25,21 0 1 20,6 0 0 96,6 0 0 0,",
  );
  assert.equal(program.length, 6);
  assert.deepEqual(program[1], { code: 21, jt: 0, jf: 3, k: 2048 });
  assert.deepEqual(program[4], { code: 6, jt: 0, jf: 0, k: 96 });
});

Deno.test("parseBytecode() reads the tcpdump -ddd form, with CRLF and surrounding space", () => {
  assert.deepEqual(parseBytecode("4\n48 0 0 9\n21 0 1 6\n6 0 0 1\n6 0 0 0\n"), SAMPLE);
  assert.deepEqual(
    parseBytecode("\n  4\r\n48 0 0 9\r\n21\t0 1 6\r\n6 0 0 1\r\n6 0 0 0\r\n\n"),
    SAMPLE,
  );
  // `tcpdump -ddd | tr '\n' ','` and mixed separators.
  assert.deepEqual(parseBytecode("4,48 0 0 9,\n21 0 1 6\n6 0 0 1,6 0 0 0,"), SAMPLE);
});

Deno.test("parseBytecode() reads the tcpdump -dd C-array form", () => {
  const text = "{ 0x30, 0, 0, 0x00000009 },\n{ 0x15, 0, 1, 0x00000006 },\n" +
    "{ 0x6, 0, 0, 0x00000001 },\n{ 0x6, 0, 0, 0x00000000 },\n";
  assert.deepEqual(parseBytecode(text), SAMPLE);
  // C literals: decimal, octal, upper-case hex; no trailing comma; a trailing comma inside.
  assert.deepEqual(parseBytecode("{48,0,0,011},{ 0X15, 0, 1, 6, },{6,0,0,1},{6,0,0,0}"), SAMPLE);
});

Deno.test("parseBytecode() keeps k unsigned and reads a negative decimal k as two's complement", () => {
  assert.deepEqual(parseBytecode("1,6 0 0 4294967295"), [{ code: 6, jt: 0, jf: 0, k: 0xffffffff }]);
  assert.deepEqual(parseBytecode("1,6 0 0 -1"), [{ code: 6, jt: 0, jf: 0, k: 0xffffffff }]);
  assert.deepEqual(parseBytecode("1,6 0 0 -2147483648"), [{
    code: 6,
    jt: 0,
    jf: 0,
    k: 0x80000000,
  }]);
  assert.deepEqual(parseBytecode("{ 0x6, 255, 255, 0xffffffff }"), [
    { code: 6, jt: 255, jf: 255, k: 0xffffffff },
  ]);
  assert.deepEqual(parseBytecode("1,65535 255 255 0"), [{ code: 0xffff, jt: 255, jf: 255, k: 0 }]);
});

Deno.test("parseBytecode() rejects a count that does not match", () => {
  assertSyntaxError(
    "3,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0",
    1,
    29,
    /more instructions than the count 3/,
  );
  assertSyntaxError("5,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0", 1, 36, /count says 5 .* 4 are given/);
  assertSyntaxError("5\n48 0 0 9\n21 0 1 6\n", 4, 1, /count says 5 .* 2 are given/);
  assertSyntaxError("0,", 1, 1, /program is empty/);
  assertSyntaxError("", 1, 1, /expected the instruction count, found end of text/);
  assertSyntaxError("  \n ", 2, 2, /expected the instruction count/);
  assertSyntaxError("70000,6 0 0 0", 1, 1, /count '70000' is out of range/);
});

Deno.test("parseBytecode() rejects missing and extra fields", () => {
  assertSyntaxError(
    "2,48 0 0 9,21 0 1",
    1,
    18,
    /instruction 1 is missing field k \(found end of text\)/,
  );
  assertSyntaxError(
    "2\n48 0 0\n6 0 0 0",
    2,
    7,
    /instruction 0 is missing field k \(found end of line\)/,
  );
  assertSyntaxError("2,48 0 0 9,,6 0 0 0", 1, 12, /expected instruction 1, found ','/);
  assertSyntaxError("1,6 0 0 0 7", 1, 11, /instruction 0 has an extra field '7'/);
  assertSyntaxError("1 6 0 0 0", 1, 3, /expected ',' or a line break after the count, found '6'/);
  assertSyntaxError(
    "{ 0x28, 0, 0 }",
    1,
    14,
    /expected ',' before field k of instruction 0, found '\}'/,
  );
  assertSyntaxError("{ 0x28, 0, 0, }", 1, 15, /instruction 0 is missing field k \(found '\}'\)/);
  assertSyntaxError("{ 0x28, 0, 0, 12 } { 6, 0, 0, 0 }", 1, 20, /expected ',' after instruction 0/);
  assertSyntaxError("{ 0x28, 0, 0, 12 },\n6 0 0 0", 2, 1, /expected '\{' to start instruction 1/);
  assertSyntaxError("{ 0x28 0, 0, 12 }", 1, 8, /expected ',' before field jt/);
  assertSyntaxError("{ 0x28, 0, 0, 12", 1, 17, /expected '\}' to end instruction 0/);
});

Deno.test("parseBytecode() is strict where iptables' sscanf is lossy", () => {
  // sscanf("%hu") would read 0 from "0x28" and then fail oddly; hex is only for the C form.
  assertSyntaxError("1,0x28 0 0 12", 1, 3, /code '0x28' is not a decimal number \(hexadecimal/);
  assertSyntaxError("1,6 0 0 0xff", 1, 9, /k '0xff' is not a decimal number/);
  // "%hhu" would wrap 256 to 0.
  assertSyntaxError("1,21 256 0 0", 1, 6, /jt '256' is out of range \(0\.\.255\)/);
  assertSyntaxError("1,21 0 300 0", 1, 8, /jf '300' is out of range/);
  assertSyntaxError("1,65536 0 0 0", 1, 3, /code '65536' is out of range \(0\.\.65535\)/);
  assertSyntaxError("1,6 0 0 4294967296", 1, 9, /k '4294967296' is out of range/);
  assertSyntaxError("1,6 0 0 -2147483649", 1, 9, /k '-2147483649' is out of range/);
  assertSyntaxError("1,6 0 0 99999999999999999999999", 1, 9, /out of range/);
  assertSyntaxError("1,-6 0 0 0", 1, 3, /code '-6' is not a decimal number/);
  assertSyntaxError("1,6 -1 0 0", 1, 5, /jt '-1' is not a decimal number/);
  assertSyntaxError("1,6 0 0 +5", 1, 9, /k '\+5' is not a decimal number/);
  assertSyntaxError("1,6 0 0 1.5", 1, 9, /k '1\.5' is not a decimal number/);
  assertSyntaxError("{ 0x6, 0, 0, 0x100000000 }", 1, 14, /k '0x100000000' is out of range/);
  assertSyntaxError("{ 0x6, 256, 0, 0 }", 1, 8, /jt '256' is out of range/);
  assertSyntaxError("{ 0x6, 0, 0, 09 }", 1, 14, /k '09' is not a C integer literal/);
  assertSyntaxError("{ 0x6, 0, 0, -1 }", 1, 14, /k '-1' is not a C integer literal/);
  assertSyntaxError("2,\n  6 0 0 0,\n  6 0 x 0", 3, 7, /jf 'x' is not a decimal number/);
});

Deno.test("parseBytecode() reads every tcpdump -dd golden as its -ddd twin", () => {
  const cases = tcpdumpCases();
  assert.ok(cases.length >= 80, `only ${cases.length} golden cases`);
  for (const name of cases) {
    const program = parseBytecode(read(`tcpdump/${name}.ddd`));
    assert.deepEqual(parseBytecode(read(`tcpdump/${name}.dd`)), program, name);
    // The -ddd lines joined on commas are the iptables form.
    const oneLine = read(`tcpdump/${name}.ddd`).trim().split("\n").join(",");
    assert.deepEqual(parseBytecode(oneLine), program, name);
    assert.equal(formatBytecode(program), oneLine, name);
  }
});

Deno.test("parseBytecode() reads every bytecode of the conformance corpus", () => {
  let json: string;
  try {
    json = Deno.readTextFileSync(new URL("conformance/filters.json", SHARED));
  } catch {
    console.log("skipped: ../shared/conformance/filters.json is absent");
    return;
  }
  const cases: { bytecode: string }[] = JSON.parse(json).cases;
  assert.ok(cases.length > 0);
  for (const { bytecode } of cases) {
    const program = parseBytecode(bytecode);
    assert.equal(program.length, Number(bytecode.split(",")[0]));
    assert.equal(formatBytecode(program) + ",", bytecode);
  }
});

Deno.test("parseBytecode() reads the one-line iptables form as the general parser does", () => {
  // The one-pass reader of `N,c t f k,...` against the general parser (a
  // leading line break sends the same text there), on seeded programs and
  // on mutations of them: the same instructions, or both refuse the text.
  let seed = 7;
  const random = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const field = (max: number) =>
    random(4) === 0 ? String(max) : random(3) === 0 ? String(random(10)) : String(random(max + 1));
  const general = (text: string) => {
    try {
      return parseBytecode(`\n${text}`);
    } catch (error) {
      assert.ok(error instanceof BpfSyntaxError);
      return "refused";
    }
  };
  const direct = (text: string) => {
    try {
      return parseBytecode(text);
    } catch (error) {
      assert.ok(error instanceof BpfSyntaxError);
      return "refused";
    }
  };
  const edits = [
    (t: string) => t,
    (t: string) => t + ",",
    (t: string) => t.replace(",", ", "),
    (t: string) => t.replace(" ", "  "),
    (t: string) => t.replace(/ [0-9]+$/, " 4294967296"),
    (t: string) => t.replace(/ [0-9]+$/, " -1"),
    (t: string) => t.replace(/,[0-9]+ /, ",65536 "),
    (t: string) => t.replace(/ [0-9]+ /, " 256 "),
    (t: string) => t.replace(/^[0-9]+/, (n) => String(Number(n) + 1)),
    (t: string) => t.replace(/^[0-9]+/, (n) => `00${n}`),
    (t: string) => t.replace(/^[0-9]+/, "0"),
    (t: string) => t.replace(/ ([0-9]+)$/, " 0000000000$1"),
    (t: string) => t.slice(0, -1),
    (t: string) => t.replace(/,[^,]*$/, ""),
  ];
  let accepted = 0;
  for (let n = 0; n < 300; n++) {
    const count = 1 + random(6);
    const instructions: string[] = [];
    for (let i = 0; i < count; i++) {
      instructions.push(`${field(0xffff)} ${field(0xff)} ${field(0xff)} ${field(0xffffffff)}`);
    }
    const text = `${count},${instructions.join(",")}`;
    for (const edit of edits) {
      const edited = edit(text);
      const expected = general(edited);
      if (expected !== "refused") accepted++;
      assert.deepEqual(direct(edited), expected, edited);
    }
  }
  assert.ok(accepted > 1000, `only ${accepted} texts were accepted`);
});
