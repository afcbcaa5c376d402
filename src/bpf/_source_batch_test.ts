import assert from "node:assert/strict";
import { _compileSourceBatch, _generateBatchSource } from "./_source_batch.ts";
import { compile } from "./compile.ts";
import type { Instruction } from "./instruction.ts";
import { _prng } from "../../tests/_fuzz.ts";
import { _validProgram } from "../../tests/_fuzz_programs.ts";
import { assertBatchAgrees } from "../../tests/_batch_agreement.ts";
import { compileFilter } from "../filter/mod.ts";

/** Frames of 0 to 80 random bytes, some with an IPv4 Ethernet header and port 80. */
function frames(seed: number): Uint8Array[] {
  const random = _prng(seed);
  const out: Uint8Array[] = [];
  for (const length of [0, 1, 12, 14, 15, 23, 24, 34, 38, 54, 60, 80]) {
    for (let n = 0; n < 4; n++) {
      const packet = Uint8Array.from({ length }, () => random.int(256));
      if (length >= 15 && random.chance(0.5)) packet.set([8, 0, 0x45], 12);
      if (length >= 24 && random.chance(0.5)) packet[23] = random.pick([6, 17]);
      if (length >= 38 && random.chance(0.5)) packet.set([0, 80], random.pick([34, 36]));
      out.push(packet);
    }
  }
  return out;
}

Deno.test("the generated batch loop agrees with interpret() on random programs", () => {
  const random = _prng(0x0ba7c4);
  const packets = frames(3);
  for (let n = 0; n < 200; n++) {
    const program = _validProgram(random, random.chance(0.5) ? 8 : 40);
    assertBatchAgrees(_compileSourceBatch(program), program, packets, "generated batch");
  }
});

Deno.test("the generated batch loop agrees with interpret() on tcpdump's programs", () => {
  const packets = frames(5);
  for (const expression of ["tcp port 80", "ip", "vlan and udp", "ip6 or arp", "len > 40"]) {
    for (const optimize of [true, false]) {
      const program = compileFilter(expression, { linkType: 1, optimize });
      assertBatchAgrees(_compileSourceBatch(program), program, packets, expression);
    }
  }
});

Deno.test("the generated batch loop runs backward jumps and many jump targets (switch form)", () => {
  // A loop: X += 1 until A (= X) reaches the limit, within the budget.
  const loop = (limit: number): Instruction[] => [
    { code: 0x87, jt: 0, jf: 0, k: 0 }, // txa
    { code: 0x35, jt: 3, jf: 0, k: limit }, // jge #limit → ret a
    { code: 0x04, jt: 0, jf: 0, k: 1 }, // add #1
    { code: 0x07, jt: 0, jf: 0, k: 0 }, // tax
    { code: 0x05, jt: 0, jf: 0, k: 0xfffffffb }, // ja -5 → 0
    { code: 0x16, jt: 0, jf: 0, k: 0 }, // ret a
  ];
  const packets = frames(7);
  for (const limit of [0, 5, 1000, 70000]) {
    const program = loop(limit);
    assert.match(_generateBatchSource(program), /switch \(pc\)/);
    assertBatchAgrees(_compileSourceBatch(program), program, packets, `loop to ${limit}`);
  }
  // 300 tests of one byte each, each jumping over the next load to the next
  // test: 300 jump targets, past the nested labels' limit.
  const wide: Instruction[] = [{ code: 0x30, jt: 0, jf: 0, k: 0 }]; // ldb [0]
  for (let t = 0; t < 300; t++) {
    wide.push({ code: 0x15, jt: 1, jf: 0, k: t & 0xff }); // jeq #t → over the next load
    if (t < 299) wide.push({ code: 0x30, jt: 0, jf: 0, k: (t + 1) % 40 }); // ldb [(t + 1) % 40]
  }
  wide.push({ code: 0x06, jt: 0, jf: 0, k: 0 });
  wide.push({ code: 0x06, jt: 0, jf: 0, k: 7 });
  assert.match(_generateBatchSource(wide), /switch \(pc\)/);
  assertBatchAgrees(_compileSourceBatch(wide), wide, packets, "300 targets");
});

Deno.test("compile()'s source runBatch is the generated loop: same results, no call per frame", () => {
  const program = compileFilter("tcp port 80", { linkType: 1 });
  const compiled = compile(program, { strategy: "source" });
  assert.equal(compiled.strategy, "source");
  assertBatchAgrees(compiled.runBatch!, program, frames(9), "compile() source");
  // The loop stores each result and goes on to the next frame: no return per frame.
  const source = _generateBatchSource(program);
  assert.doesNotMatch(source.split("frames: for")[1], /\breturn\b/);
});
