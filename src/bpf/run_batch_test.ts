import assert from "node:assert/strict";
import { compile, type CompileStrategy } from "./compile.ts";
import { _prng } from "../../tests/_fuzz.ts";
import { _validProgram } from "../../tests/_fuzz_programs.ts";
import { assertBatchAgrees } from "../../tests/_batch_agreement.ts";
import { compileFilter } from "../filter/mod.ts";
import {
  BPF_A,
  BPF_ABS,
  BPF_B,
  BPF_H,
  BPF_IMM,
  BPF_IND,
  BPF_LD,
  BPF_LDX,
  BPF_RET,
  BPF_W,
  SKF_LL_OFF,
  SKF_NET_OFF,
} from "./opcodes.ts";

/** Packets of 0 to 80 bytes: IPv4/IPv6/ARP/VLAN Ethernet frames and random bytes. */
function packets(seed: number): Uint8Array[] {
  const random = _prng(seed);
  const out: Uint8Array[] = [];
  for (const length of [0, 1, 11, 12, 13, 14, 15, 21, 22, 23, 24, 33, 34, 38, 40, 54, 60, 80]) {
    for (const ethertype of [0x0800, 0x86dd, 0x0806, 0x8100, random.int(0x10000)]) {
      const packet = Uint8Array.from({ length }, () => random.int(256));
      if (length >= 14) packet.set([ethertype >> 8, ethertype & 0xff], 12);
      if (length >= 24 && random.chance(0.5)) packet[23] = random.pick([6, 17, 1]);
      if (length >= 38 && random.chance(0.5)) packet.set([0, 80], random.pick([34, 36]));
      out.push(packet);
    }
  }
  return out;
}

const STRATEGIES: CompileStrategy[] = ["closure", "source", "wasm"];

Deno.test("runBatch() of every strategy agrees with interpret() on random programs", () => {
  const random = _prng(0x5eed1234);
  const frames = packets(7);
  for (let n = 0; n < 150; n++) {
    const program = _validProgram(random, random.chance(0.5) ? 6 : 40);
    for (const strategy of STRATEGIES) {
      const compiled = compile(program, { strategy });
      assertBatchAgrees(compiled.runBatch!, program, frames, strategy);
    }
  }
});

Deno.test("runBatch() agrees with interpret() on the filter compiler's small programs", () => {
  const frames = packets(11);
  const expressions = [
    "ip",
    "arp",
    "ip6",
    "vlan",
    "udp",
    "tcp port 80",
    "len > 100",
    "len <= 40",
    "ether[12] & 0x80 != 0",
    "ether[14:4] = 0x45000054",
    "ether[20:2] & 0x1fff = 0",
    "ether[6:4] > 0x10000000",
    "ip or ip6",
  ];
  const raw = new Set(["ip", "ip6", "udp", "tcp port 80", "len > 100", "len <= 40"]);
  for (const expression of expressions) {
    for (const linkType of raw.has(expression) ? [1, 101] : [1]) {
      const program = compileFilter(expression, { linkType });
      for (const strategy of STRATEGIES) {
        const compiled = compile(program, { strategy });
        assertBatchAgrees(compiled.runBatch!, program, frames, `${strategy} "${expression}"`);
      }
    }
  }
});

Deno.test("runBatch() refuses a batch whose arrays are shorter than its count", () => {
  const ip = compile(compileFilter("ip", { linkType: 1 }), { strategy: "closure" });
  const tcp = compile(compileFilter("tcp port 80", { linkType: 1 }), { strategy: "closure" });
  const bytes = new Uint8Array(120);
  const offsets = Uint32Array.of(0, 60);
  const capturedLengths = Uint32Array.of(60, 60);
  for (const program of [ip, tcp]) {
    assert.throws(
      () => program.runBatch!({ bytes, offsets, capturedLengths }, new Uint32Array(1)),
      (error) => error instanceof RangeError && /2 frames but 1 in results/.test(error.message),
    );
    assert.throws(
      () =>
        program.runBatch!(
          { bytes, offsets, capturedLengths, wireLengths: new Uint32Array(1) },
          new Uint32Array(2),
        ),
      /2 frames but 1 in wireLengths/,
    );
    assert.throws(
      () => program.runBatch!({ bytes, offsets, capturedLengths, count: -1 }, new Uint32Array(2)),
      /count "-1" is not a frame count/,
    );
    assert.throws(
      () => program.runBatch!({ bytes, offsets, capturedLengths, count: 3 }, new Uint32Array(3)),
      /3 frames but 2 in offsets/,
    );
  }
});

Deno.test("runBatch() points SKF_LL_OFF loads at the frame's start and SKF_NET_OFF at its data", () => {
  const frames = packets(13);
  const ld = (size: number, k: number) => ({
    code: BPF_LD | size | BPF_ABS,
    jt: 0,
    jf: 0,
    k: k >>> 0,
  });
  const retA = { code: BPF_RET | BPF_A, jt: 0, jf: 0, k: 0 };
  const programs = [
    [ld(BPF_B, SKF_LL_OFF + 12), retA],
    [ld(BPF_H, SKF_LL_OFF + 13), retA],
    [ld(BPF_W, SKF_NET_OFF + 2), retA],
    [ld(BPF_B, SKF_NET_OFF), retA],
    [
      { code: BPF_LDX | BPF_IMM, jt: 0, jf: 0, k: 3 },
      { code: BPF_LD | BPF_B | BPF_IND, jt: 0, jf: 0, k: SKF_LL_OFF >>> 0 },
      retA,
    ],
  ];
  for (const program of programs) {
    for (const strategy of STRATEGIES) {
      assertBatchAgrees(compile(program, { strategy }).runBatch!, program, frames, strategy);
    }
  }
});
