import assert from "node:assert/strict";
import { formatBytecode } from "./format_bytecode.ts";
import { parseBytecode } from "./parse_bytecode.ts";

const GOLDEN = new URL("../../tests/data/golden/", import.meta.url);

function goldenPrograms(): [string, string][] {
  const out: [string, string][] = [];
  for (const dir of ["tcpdump", "bpf_image"]) {
    for (const entry of Deno.readDirSync(new URL(`${dir}/`, GOLDEN))) {
      if (!entry.name.endsWith(".ddd")) continue;
      out.push([
        `${dir}/${entry.name}`,
        Deno.readTextFileSync(new URL(`${dir}/${entry.name}`, GOLDEN)),
      ]);
    }
  }
  return out.sort();
}

Deno.test("formatBytecode() prints the iptables-save form: count, fields, no trailing comma", () => {
  assert.equal(
    formatBytecode([
      { code: 0x30, jt: 0, jf: 0, k: 9 },
      { code: 0x15, jt: 0, jf: 1, k: 6 },
      { code: 0x06, jt: 0, jf: 0, k: 1 },
      { code: 0x06, jt: 0, jf: 0, k: 0 },
    ]),
    "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0",
  );
  assert.equal(formatBytecode([{ code: 6, jt: 0, jf: 0, k: 0xffffffff }]), "1,6 0 0 4294967295");
});

Deno.test("formatBytecode() reduces fields to their C widths like struct sock_filter", () => {
  // A k held as a negative int32 is printed as the unsigned value %u gives.
  assert.equal(formatBytecode([{ code: 6, jt: 0, jf: 0, k: -1 }]), "1,6 0 0 4294967295");
  assert.equal(formatBytecode([{ code: 0x10006, jt: 256, jf: 257, k: 2 ** 32 + 5 }]), "1,6 0 1 5");
});

Deno.test("formatBytecode() and parseBytecode() round-trip every golden program", () => {
  const programs = goldenPrograms();
  assert.ok(programs.length >= 89);
  for (const [name, text] of programs) {
    const program = parseBytecode(text);
    const line = formatBytecode(program);
    assert.ok(!line.endsWith(","), name);
    assert.equal(line, text.trim().split("\n").join(","), name);
    assert.deepEqual(parseBytecode(line), program, name);
  }
});
