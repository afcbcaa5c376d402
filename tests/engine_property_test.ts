/**
 * Differential property test: random valid programs on random packets and
 * contexts give identical results in the interpreter, the closure, source
 * and wasm strategies (also through the Wasm batch path) and the tracer.
 *
 * Set BPF_PROPERTY_SEED to replay a seed; the seed is printed on failure.
 */
import assert from "node:assert/strict";
import { interpret } from "../src/bpf/interpret.ts";
import { compile } from "../src/bpf/compile.ts";
import { compileWasm } from "../src/bpf/compile_wasm.ts";
import { trace } from "../src/bpf/trace.ts";
import { validate } from "../src/bpf/validate.ts";
import type { Instruction } from "../src/bpf/instruction.ts";
import type { PacketContext } from "../src/bpf/packet_context.ts";
import { BpfValidationError } from "../src/bpf/errors.ts";
import { SKF_AD_OFF, SKF_AD_RANDOM, SKF_LL_OFF, SKF_NET_OFF } from "../src/bpf/opcodes.ts";

/** mulberry32: small, seeded, good enough for test data. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALU_OPS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0];
const JUMP_OPS = [0x10, 0x20, 0x30, 0x40];
const ANCILLARY = [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60];

function generator(random: () => number) {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  const offset = (): number => {
    switch (int(6)) {
      case 0:
      case 1:
        return int(70);
      case 2:
        return (SKF_NET_OFF + int(50)) >>> 0;
      case 3:
        return (SKF_LL_OFF + int(50)) >>> 0;
      case 4:
        return (0xffffffff - int(40)) >>> 0; // small negative: fails
      default:
        return int(0x100000000);
    }
  };
  const constant = (): number =>
    pick([
      0,
      1,
      2,
      4,
      8,
      31,
      32,
      0x800,
      0x86dd,
      0xffffffff,
      0x80000000,
      int(256),
      int(0x100000000),
    ]);

  const instruction = (pc: number, length: number): Instruction => {
    const room = length - pc - 2; // jumps must land on 0..length-1 (last is ret)
    const jump = () => Math.min(room, int(6));
    switch (int(16)) {
      case 0:
      case 1: { // ld/ldh/ldb [k]
        const size = pick([0x00, 0x08, 0x10]);
        const k = int(4) === 0 ? (SKF_AD_OFF + pick(ANCILLARY)) >>> 0 : offset();
        return { code: 0x20 | size, jt: 0, jf: 0, k };
      }
      case 2: // ld [x + k]
        return { code: 0x40 | pick([0x00, 0x08, 0x10]), jt: 0, jf: 0, k: offset() };
      case 3: // ldx 4*([k]&0xf)
        return { code: 0xb1, jt: 0, jf: 0, k: offset() };
      case 4: // ld/ldx #k, ld/ldx len
        return { code: pick([0x00, 0x01, 0x80, 0x81]), jt: 0, jf: 0, k: constant() };
      case 5: // ldx #k with values that make [x + k] reach the negative windows
        return {
          code: 0x01,
          jt: 0,
          jf: 0,
          k: pick([
            int(40),
            (SKF_NET_OFF + int(30)) >>> 0,
            (SKF_LL_OFF + int(30)) >>> 0,
            0xfffffff0,
          ]),
        };
      case 6:
      case 7: { // ALU K (validated constants) or X
        const op = pick(ALU_OPS);
        if (int(2) === 0) return { code: 0x0c | op, jt: 0, jf: 0, k: 0 };
        let k = constant();
        if (op === 0x60 || op === 0x70) k = int(32);
        if ((op === 0x30 || op === 0x90) && k === 0) k = 3;
        return { code: 0x04 | op, jt: 0, jf: 0, k };
      }
      case 8:
        return { code: 0x84, jt: 0, jf: 0, k: 0 }; // neg
      case 9:
      case 10: { // conditional jumps
        const op = pick(JUMP_OPS);
        return { code: 0x05 | op | pick([0, 8]), jt: jump(), jf: jump(), k: constant() };
      }
      case 11: // ja
        return { code: 0x05, jt: 0, jf: 0, k: Math.min(room, int(4)) };
      case 12: // st/stx
        return { code: pick([0x02, 0x03]), jt: 0, jf: 0, k: int(16) };
      case 13: // ld/ldx M[k]
        return { code: pick([0x60, 0x61]), jt: 0, jf: 0, k: int(16) };
      case 14: // tax/txa
        return { code: pick([0x07, 0x87]), jt: 0, jf: 0, k: 0 };
      default: // ret
        return { code: pick([0x06, 0x16]), jt: 0, jf: 0, k: constant() };
    }
  };

  const program = (): Instruction[] => {
    for (;;) {
      const length = 2 + int(30);
      const insns: Instruction[] = [];
      for (let pc = 0; pc < length - 1; pc++) insns.push(instruction(pc, length));
      insns.push({ code: pick([0x06, 0x16]), jt: 0, jf: 0, k: constant() });
      try {
        validate(insns);
        return insns;
      } catch (error) {
        if (!(error instanceof BpfValidationError)) throw error;
        // mostly scratch reads before writes: draw again
      }
    }
  };

  const packet = (): Uint8Array => {
    const bytes = new Uint8Array(int(90));
    for (let i = 0; i < bytes.length; i++) bytes[i] = int(4) === 0 ? int(256) : int(16);
    // Sometimes a plausible IPv4/IPv6 header so the payload-offset dissector goes deep.
    if (bytes.length > 40 && int(2) === 0) {
      const at = int(20);
      if (int(2) === 0) {
        bytes[at] = 0x45;
        bytes[at + 6] = int(3) === 0 ? 0x20 : 0;
        bytes[at + 9] = pick([6, 17, 1, 47, 4, 41, 58, 132, 33, 2, 136]);
      } else if (at + 7 < bytes.length) {
        bytes[at] = 0x60;
        bytes[at + 6] = pick([6, 17, 0, 43, 44, 60, 58, 41]);
      }
    }
    return bytes;
  };

  const context = (length: number): PacketContext => {
    const ctx: PacketContext = {};
    if (int(2) === 0) ctx.dataOffset = int(20);
    if (int(2) === 0) ctx.wireLength = int(length + 30);
    if (int(3) === 0) ctx.end = int(length + 5);
    if (int(2) === 0) ctx.networkOffset = int(length + 4);
    if (int(2) === 0) ctx.macOffset = int(length + 4);
    if (int(2) === 0) {
      ctx.protocol = pick([0x0800, 0x86dd, 0x8100, 0x88a8, 0x8864, 0x8847, 0x0806, int(0x10000)]);
      ctx.pktType = int(8);
      ctx.ifindex = pick([0, 1, 7, 0xffffffff]);
      ctx.mark = int(0x100000000);
      ctx.queue = int(0x10000);
      ctx.hatype = int(0x10000);
      ctx.rxhash = int(0x100000000);
      ctx.cpu = int(64);
      ctx.vlanTci = int(0x10000);
      ctx.vlanPresent = int(2) === 0;
      ctx.vlanTpid = pick([0x8100, 0x88a8, 0]);
    }
    return ctx;
  };
  return { program, packet, context, int };
}

/** A deterministic `random` callback: every engine sees the same sequence. */
function withRandom(ctx: PacketContext, seed: number): PacketContext {
  const next = prng(seed);
  return { ...ctx, random: () => Math.floor(next() * 0x100000000) };
}

Deno.test("interpreter, closure, source, wasm and trace agree on random programs and packets", () => {
  const seed = Number(Deno.env.get("BPF_PROPERTY_SEED") ?? Date.now() % 0x100000000);
  const random = prng(seed);
  const gen = generator(random);
  const PROGRAMS = 2500;
  const PACKETS_PER_PROGRAM = 40;
  let pairs = 0;
  try {
    for (let p = 0; p < PROGRAMS; p++) {
      const program = gen.program();
      const closure = compile(program, { strategy: "closure" });
      const readsRandom = program.some((i) => i.k === (SKF_AD_OFF + SKF_AD_RANDOM) >>> 0);
      const source = compile(program, { strategy: "source" });
      const wasm = compile(program, { strategy: "wasm" });
      assert.equal(source.strategy, "source");
      assert.equal(wasm.strategy, "wasm");
      for (let i = 0; i < PACKETS_PER_PROGRAM; i++) {
        const bytes = gen.packet();
        const ctx = gen.context(bytes.length);
        const randomSeed = gen.int(1000);
        const expected = interpret(program, bytes, withRandom(ctx, randomSeed));
        const message = () =>
          `program ${JSON.stringify(program)} packet [${bytes}] context ${JSON.stringify(ctx)}`;
        assert.equal(closure(bytes, withRandom(ctx, randomSeed)), expected, message());
        // Without a context argument (closures of one operation, source's short prologue).
        if (i % 4 === 0 && !readsRandom) {
          const alone = interpret(program, bytes);
          assert.equal(closure(bytes), alone, `closure: ${message()} (no context)`);
          assert.equal(source(bytes), alone, `source: ${message()} (no context)`);
        }
        assert.equal(source(bytes, withRandom(ctx, randomSeed)), expected, message());
        assert.equal(wasm(bytes, withRandom(ctx, randomSeed)), expected, message());
        if (i % 8 === 0) {
          assert.equal(
            trace(program, bytes, withRandom(ctx, randomSeed)).result,
            expected,
            message(),
          );
        }
        pairs++;
      }
    }
  } catch (error) {
    console.error(`engine property test failed with seed ${seed} (BPF_PROPERTY_SEED=${seed})`);
    throw error;
  }
  assert.ok(pairs >= 100000);
});

Deno.test("engines agree on long programs and libpcap-style backward jumps", () => {
  const seed = Number(Deno.env.get("BPF_PROPERTY_SEED") ?? Date.now() % 0x100000000);
  const random = prng(seed);
  const gen = generator(random);
  try {
    // A maximal 4096-instruction program: a chain of loads, ALU and forward jumps.
    const long: Instruction[] = [];
    for (let pc = 0; pc < 4095; pc++) {
      long.push(
        pc % 3 === 0
          ? { code: 0x30, jt: 0, jf: 0, k: pc % 50 }
          : pc % 3 === 1
          ? { code: 0x04, jt: 0, jf: 0, k: pc }
          : { code: 0x25, jt: 0, jf: 0, k: 0x7fffffff },
      );
    }
    long.push({ code: 0x16, jt: 0, jf: 0, k: 0 });
    const closure = compile(long, { strategy: "closure" });
    const source = compile(long, { strategy: "source" });
    const wasm = compile(long, { strategy: "wasm" });
    assert.equal(wasm.strategy, "wasm");
    for (let i = 0; i < 50; i++) {
      const bytes = gen.packet();
      const expected = interpret(long, bytes);
      assert.equal(closure(bytes), expected);
      assert.equal(source(bytes), expected);
      assert.equal(wasm(bytes), expected);
    }
    // A loop: X += 1 until A (= X) reaches k, at most the budget.
    for (const limit of [0, 5, 1000, 70000]) {
      const loop: Instruction[] = [
        { code: 0x87, jt: 0, jf: 0, k: 0 }, // txa
        { code: 0x35, jt: 3, jf: 0, k: limit }, // jge #limit → ret a
        { code: 0x04, jt: 0, jf: 0, k: 1 }, // add #1
        { code: 0x07, jt: 0, jf: 0, k: 0 }, // tax
        { code: 0x05, jt: 0, jf: 0, k: 0xfffffffb }, // ja -5 → 0
        { code: 0x16, jt: 0, jf: 0, k: 0 }, // ret a
      ];
      const expected = interpret(loop, new Uint8Array(0));
      assert.equal(expected, limit <= 65536 ? limit : 0);
      assert.equal(
        compile(loop, { allowBackwardJumps: true, strategy: "closure" })(new Uint8Array(0)),
        expected,
      );
      // Wasm is not given backward jumps: closures run them, and say why.
      const wasm = compile(loop, { allowBackwardJumps: true, strategy: "wasm" });
      assert.equal(wasm.strategy, "closure");
      assert.match(wasm.fallbackReason ?? "", /backward jump at instruction 4/);
      assert.equal(wasm(new Uint8Array(0)), expected);
      assert.equal(
        compile(loop, { allowBackwardJumps: true, strategy: "source" })(new Uint8Array(0)),
        expected,
      );
      assert.equal(trace(loop, new Uint8Array(0)).result, expected);
    }
  } catch (error) {
    console.error(`engine property test failed with seed ${seed} (BPF_PROPERTY_SEED=${seed})`);
    throw error;
  }
});

Deno.test("the Wasm batch path agrees with the interpreter on frames in its memory", () => {
  const seed = Number(Deno.env.get("BPF_PROPERTY_SEED") ?? Date.now() % 0x100000000);
  const gen = generator(prng(seed));
  const COUNT = 32;
  try {
    for (let p = 0; p < 300; p++) {
      const program = gen.program();
      if (program.some(({ k }) => k === (SKF_AD_OFF + SKF_AD_RANDOM) >>> 0)) {
        continue; // a fresh random value per run: nothing to compare
      }
      const filter = compileWasm(program);
      const frames = Array.from({ length: COUNT }, () => gen.packet());
      const offsets = new Uint32Array(COUNT);
      const lengths = new Uint32Array(COUNT);
      const wires = new Uint32Array(COUNT);
      const skips = new Uint32Array(COUNT);
      let used = 0;
      for (let i = 0; i < COUNT; i++) {
        offsets[i] = used;
        lengths[i] = frames[i].length;
        skips[i] = gen.int(3) === 0 ? gen.int(20) : 0;
        wires[i] = gen.int(2) === 0 ? frames[i].length : gen.int(frames[i].length + 30);
        used += frames[i].length + gen.int(8);
      }
      const bytes = filter.reserve(used);
      frames.forEach((frame, i) => bytes.set(frame, offsets[i]));
      const results = new Uint32Array(COUNT);
      filter.context = gen.context(0);
      filter.runBatch(offsets, lengths, results, { wireLengths: wires, dataOffsets: skips });
      for (let i = 0; i < COUNT; i++) {
        // The kernel's view of frame i: skb->data at the skip, the link header at the start.
        const context: PacketContext = {
          ...filter.context,
          dataOffset: skips[i],
          macOffset: 0,
          networkOffset: skips[i],
          wireLength: wires[i],
          end: frames[i].length,
        };
        const expected = interpret(program, frames[i], context);
        assert.equal(
          results[i],
          expected,
          `program ${JSON.stringify(program)} frame [${frames[i]}] context ${
            JSON.stringify(context)
          }`,
        );
        if (skips[i] === 0 && wires[i] === lengths[i]) {
          assert.equal(filter.run(offsets[i], lengths[i]), expected);
        }
      }
    }
  } catch (error) {
    console.error(`engine property test failed with seed ${seed} (BPF_PROPERTY_SEED=${seed})`);
    throw error;
  }
});
