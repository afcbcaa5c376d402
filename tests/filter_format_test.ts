/**
 * formatFilterProgram() prints what tcpdump -d / -dd / -ddd print (goldens
 * from tcpdump 4.99.3 / libpcap 1.10.3: `tcpdump -y EN10MB -d{,d,dd} ip`).
 */
import assert from "node:assert/strict";
import { compileFilter, formatFilterProgram } from "../src/filter/mod.ts";

const program = compileFilter("ip", { linkType: 1 });

Deno.test("formatFilterProgram() -d style matches tcpdump -d", () => {
  assert.equal(
    formatFilterProgram(program, "d"),
    "(000) ldh      [12]\n(001) jeq      #0x800           jt 2\tjf 3\n(002) ret      #262144\n" +
      "(003) ret      #0\n",
  );
});

Deno.test("formatFilterProgram() -dd style matches tcpdump -dd", () => {
  assert.equal(
    formatFilterProgram(program, "dd"),
    "{ 0x28, 0, 0, 0x0000000c },\n{ 0x15, 0, 1, 0x00000800 },\n{ 0x6, 0, 0, 0x00040000 },\n" +
      "{ 0x6, 0, 0, 0x00000000 },\n",
  );
});

Deno.test("formatFilterProgram() -ddd style matches tcpdump -ddd", () => {
  assert.equal(
    formatFilterProgram(program, "ddd"),
    "4\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n6 0 0 0\n",
  );
});
