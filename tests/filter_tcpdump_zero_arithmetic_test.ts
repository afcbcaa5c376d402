/**
 * compileFilter() against the programs tcpdump prints for arithmetic with a
 * zero or identity constant (`tcpdump -ddd -y EN10MB EXPR`, tcpdump 4.99.3 /
 * libpcap 1.10.3, recorded in tests/data/filter/tcpdump_zero_arithmetic.json
 * so CI needs no tcpdump). libpcap's opt_stmt makes `and #0` / `mul #0` an
 * `ld #0` (dropping the load before it) in the loop where branches no longer
 * move, so a branch on it stays with both edges to one block; it keeps
 * `mul #1`, `div #1`, `and #-1` and `and #m; jeq #m`.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { compileFilter } from "../src/filter/mod.ts";
import { parseBytecode } from "../src/bpf/parse_bytecode.ts";
import { interpret } from "../src/bpf/interpret.ts";

interface Case {
  expr: string;
  linktype: number;
  ddd?: string;
  error?: string;
}
const data: { cases: Case[] } = JSON.parse(
  readFileSync(new URL("./data/filter/tcpdump_zero_arithmetic.json", import.meta.url), "utf8"),
);

Deno.test("compileFilter() gives tcpdump -ddd's exact program for arithmetic with 0 and identity constants", () => {
  assert.ok(data.cases.length > 20);
  const failures: string[] = [];
  for (const c of data.cases) {
    let got: string;
    try {
      got = JSON.stringify(compileFilter(c.expr, { linkType: c.linktype }));
    } catch (error) {
      got = `error: ${error}`;
    }
    const want = c.ddd === undefined ? `error: ${c.error}` : JSON.stringify(parseBytecode(c.ddd));
    if (got !== want) failures.push(`${c.expr}: ${got}`);
  }
  assert.deepEqual(failures, []);
});

Deno.test("compileFilter('ip[1] & 0 = 0') accepts a 15-byte IPv4 frame, as tcpdump does (no load of ip[1])", () => {
  const frame = new Uint8Array(15);
  frame[12] = 0x08; // EtherType IPv4; ip[1] is byte 15, past the end
  assert.equal(interpret(compileFilter("ip[1] & 0 = 0"), frame), 262144);
  assert.equal(interpret(compileFilter("ip[1] * 0 = 0"), frame), 262144);
  // The load stays where the constant is not 0: the short frame is rejected.
  assert.equal(interpret(compileFilter("ip[1] & 1 = 0"), frame), 0);
});
