import assert from "node:assert/strict";
import { disassemble } from "./disassemble.ts";
import { parseBytecode } from "./parse_bytecode.ts";

const GOLDEN = new URL("../../tests/data/golden/", import.meta.url);

function read(path: string): string {
  return Deno.readTextFileSync(new URL(path, GOLDEN));
}

function names(dir: string): string[] {
  return [...Deno.readDirSync(new URL(`${dir}/`, GOLDEN))]
    .filter((entry) => entry.name.endsWith(".ddd"))
    .map((entry) => entry.name.slice(0, -4))
    .sort();
}

/** Compares line by line first, so a failure names the first differing instruction. */
function assertListing(actual: string, expected: string, name: string) {
  const a = actual.split("\n");
  const e = expected.split("\n");
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    assert.equal(a[i], e[i], `${name}, line ${i + 1}`);
  }
  assert.equal(actual, expected, name);
}

Deno.test("disassemble() matches tcpdump -d for every golden expression and link type", () => {
  const cases = names("tcpdump");
  const expressions = read("cases.tsv").trim().split("\n");
  assert.equal(cases.length, expressions.length);
  for (const name of cases) {
    const program = parseBytecode(read(`tcpdump/${name}.ddd`));
    assertListing(
      disassemble(program),
      read(`tcpdump/${name}.d`),
      `${name}: ${expressions[Number(name) - 1]}`,
    );
  }
});

Deno.test("disassemble() matches libpcap's bpf_image for every opcode and odd operand", () => {
  const cases = names("bpf_image");
  for (
    const expected of [
      "codes_zero",
      "codes_random",
      "codes_negative",
      "ancillary",
      "windows",
      "jumps",
      "long",
    ]
  ) {
    assert.ok(cases.includes(expected), `missing golden ${expected}`);
  }
  for (const name of cases) {
    const program = parseBytecode(read(`bpf_image/${name}.ddd`));
    assertListing(disassemble(program), read(`bpf_image/${name}.d`), name);
  }
});

Deno.test("disassemble() prints the examples of the issue", () => {
  assert.equal(
    disassemble([
      { code: 0x80, jt: 0, jf: 0, k: 0 },
      { code: 0x48, jt: 0, jf: 0, k: 14 },
      { code: 0x15, jt: 0, jf: 3, k: 0x800 },
      { code: 0x06, jt: 0, jf: 0, k: 262144 },
      { code: 0x20, jt: 0, jf: 0, k: 0xfffff000 },
      { code: 0x81, jt: 0, jf: 0, k: 0 },
      { code: 0x16, jt: 0, jf: 0, k: 0 },
    ]),
    "(000) ld       #pktlen\n" +
      "(001) ldh      [x + 14]\n" +
      "(002) jeq      #0x800           jt 3\tjf 6\n" +
      "(003) ret      #262144\n" +
      "(004) ld       [proto]\n" +
      "(005) unimp    0x81\n" +
      "(006) ret      \n",
  );
  assert.equal(disassemble([]), "");
});
