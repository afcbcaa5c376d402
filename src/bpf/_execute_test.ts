import assert from "node:assert/strict";
import { compileClosure } from "./compile_closure.ts";
import { interpret } from "./interpret.ts";
import { validate } from "./validate.ts";
import { _lower } from "./_lower.ts";
import * as dispatch from "./_dispatch_code.ts";
import { _singleOperation } from "./_execute_single.ts";
import { operationsOf } from "../../tests/_dispatch_walk.ts";
import type { Instruction } from "./instruction.ts";
import type { PacketContext } from "./packet_context.ts";
import {
  BPF_ABS,
  BPF_ALU,
  BPF_AND,
  BPF_B,
  BPF_DIV,
  BPF_H,
  BPF_IMM,
  BPF_IND,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_MOD,
  BPF_MSH,
  BPF_RET,
  BPF_W,
  BPF_X,
  SKF_AD_OFF,
  SKF_AD_PROTOCOL,
  SKF_LL_OFF,
  SKF_NET_OFF,
} from "./opcodes.ts";

/** A deterministic pseudo-random source (one seed per test, so failures reproduce). */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state >>> 8;
  };
  return {
    below: (n: number) => next() % n,
    pick: <T>(xs: readonly T[]): T => xs[next() % xs.length],
  };
}
type Random = ReturnType<typeof random>;

/** Packets of 0 to 80 bytes whose byte i is `(i * 17) & 0xff` or random, with an IPv4-like IHL at 14. */
function packets(rng: Random): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let length = 0; length <= 80; length += 5) {
    for (const patterned of [true, false]) {
      const packet = new Uint8Array(length);
      for (let i = 0; i < length; i++) packet[i] = patterned ? (i * 17) & 0xff : rng.below(256);
      if (length > 14 && rng.below(2)) packet[14] = 0x45;
      out.push(packet);
    }
  }
  return out;
}

const CONTEXTS: (PacketContext | undefined)[] = [
  undefined,
  { dataOffset: 14, networkOffset: 14, macOffset: 0, protocol: 0x800 },
  { dataOffset: 2, wireLength: 9 },
  { networkOffset: 6, end: 30 },
  { dataOffset: 60, networkOffset: 4, macOffset: 1 }, // dataOffset past short captures
];

/** What `[k]` of `size` holds in the patterned packets, so that tests are sometimes true. */
function patternValue(k: number, size: number): number {
  let v = 0;
  for (let i = 0; i < size; i++) v = ((v << 8) | (((k + i) * 17) & 0xff)) >>> 0;
  return v;
}

/** A symbolic instruction: jump targets are clause numbers, `-1 - r` for return r, or NEXT. */
type Symbolic = Instruction & { to?: [number, number] };

/** The target "the next instruction" (the compare chain's second `jeq`). */
const NEXT = -1000;
const op = (code: number, k = 0): Symbolic => ({ code, jt: 0, jf: 0, k: k >>> 0 });
const SIZES = [BPF_B, BPF_H, BPF_W];
const SIZE_BYTES = new Map([[BPF_B, 1], [BPF_H, 2], [BPF_W, 4]]);
const JUMPS = [BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET];
const RETURNS = [0, 1, 0x40000, 0x7fffffff, 0x80000000, 0xffffffff];

/** A jump to a later clause (of `count`) or to one of the returns. */
function target(rng: Random, clause: number, count: number): number {
  return clause + 1 < count && rng.below(3) > 0
    ? clause + 1 + rng.below(count - clause - 1)
    : -1 - rng.below(RETURNS.length + 1);
}

function jump(rng: Random, code: number, k: number, clause: number, count: number): Symbolic {
  return {
    ...op(BPF_JMP | code | BPF_K, k),
    to: [target(rng, clause, count), target(rng, clause, count)],
  };
}

/** An offset for `[x + k]`: small, or one whose sum with X is negative or a window. */
function indirectOffset(rng: Random): number {
  return rng.below(4) > 0 ? rng.below(48) : rng.pick([
    0xffffffff,
    0x7fffffff,
    0xfffffffc,
    (SKF_NET_OFF + rng.below(20)) >>> 0,
    (SKF_LL_OFF + rng.below(20)) >>> 0,
    (SKF_NET_OFF - 4) >>> 0,
  ]);
}

/** One clause: the shapes the dispatch loop fuses, and a few that leave its inner loop. */
function clause(rng: Random, index: number, count: number): Symbolic[] {
  const size = rng.pick(SIZES);
  const bytes = SIZE_BYTES.get(size)!;
  const k = rng.below(10) > 0 ? rng.below(64) : rng.pick([(SKF_NET_OFF + 1) >>> 0, 0x7ffffffe]);
  const value = rng.below(2) ? patternValue(k, bytes) : rng.pick([0, 0x45, 0x800, rng.below(256)]);
  switch (rng.below(6)) {
    case 0: { // [k] == v1, else A == v2 (a compare chain), or [k] == v1 alone
      const load = op(BPF_LD | size | BPF_ABS, k);
      if (rng.below(2)) {
        const masked = rng.below(3)
          ? []
          : [op(BPF_ALU | BPF_AND | BPF_K, rng.pick([0xff, 0x1fff]))];
        return [load, ...masked, jump(rng, rng.pick([BPF_JEQ, ...JUMPS]), value, index, count)];
      }
      return [
        load,
        { ...op(BPF_JMP | BPF_JEQ | BPF_K, value), to: [target(rng, index, count), NEXT] },
        jump(rng, BPF_JEQ, rng.below(2) ? value ^ 1 : patternValue(k, bytes), index, count),
      ];
    }
    case 1: { // ldxb 4*([m]&0xf); [x + k] (and mask) test
      const m = rng.below(8) > 0 ? rng.below(50) : (SKF_NET_OFF + rng.below(4)) >>> 0;
      const masked = rng.below(2) ? [op(BPF_ALU | BPF_AND | BPF_K, rng.pick([0xff, 0xf0, 1]))] : [];
      return [
        op(BPF_LDX | BPF_B | BPF_MSH, m),
        op(BPF_LD | size | BPF_IND, indirectOffset(rng)),
        ...masked,
        jump(rng, rng.pick(JUMPS), rng.below(2) ? value : rng.below(256), index, count),
      ];
    }
    case 2: // [x + k] test with the X left by earlier clauses (or 0)
      return [
        op(BPF_LD | size | BPF_IND, indirectOffset(rng)),
        jump(rng, rng.pick(JUMPS), value, index, count),
      ];
    case 3: { // A tested as it is, after ld #len or an immediate; or A == v1, else A == v2
      const load = op(rng.below(2) ? BPF_LD | BPF_W | BPF_LEN : BPF_LD | BPF_IMM, rng.below(70));
      if (rng.below(2)) return [load, jump(rng, rng.pick(JUMPS), rng.below(70), index, count)];
      return [
        load,
        { ...op(BPF_JMP | BPF_JEQ | BPF_K, rng.below(70)), to: [target(rng, index, count), NEXT] },
        jump(rng, BPF_JEQ, rng.below(70), index, count),
      ];
    }
    case 4: // division and modulo by X, which may be 0
      return [
        op(BPF_LD | size | BPF_ABS, k),
        op(BPF_LDX | BPF_IMM, rng.pick([0, 0, 3, 0xffffffff])),
        op(BPF_ALU | rng.pick([BPF_DIV, BPF_MOD]) | BPF_X),
        jump(rng, rng.pick(JUMPS), rng.below(16), index, count),
      ];
    default: // an ancillary load, then a test on it
      return [
        op(BPF_LD | BPF_W | BPF_ABS, (SKF_AD_OFF + SKF_AD_PROTOCOL) >>> 0),
        jump(rng, BPF_JEQ, rng.pick([0, 0x800]), index, count),
      ];
  }
}

/** A random program of `count` clauses, then its returns (`ret #k` and `ret a`). */
function program(rng: Random, count: number): Instruction[] {
  const clauses = Array.from({ length: count }, (_, i) => clause(rng, i, count));
  const starts: number[] = [];
  let length = 0;
  for (const c of clauses) {
    starts.push(length);
    length += c.length;
  }
  const returnAt = (r: number) => length + r; // RETURNS, then ret a
  const resolve = (to: number, at: number) => {
    if (to === NEXT) return 0;
    const place = to >= 0 ? starts[to] : returnAt(-1 - to);
    return place - at - 1;
  };
  const out: Instruction[] = [];
  clauses.forEach((c) => {
    for (const { to, ...instruction } of c) {
      const at = out.length;
      if (to === undefined) out.push(instruction);
      else {
        out.push({
          ...instruction,
          jt: resolve(to[0], at),
          jf: resolve(to[1], at),
        });
      }
    }
  });
  for (const value of RETURNS) out.push(op(BPF_RET | BPF_K, value));
  out.push(op(BPF_RET | 0x10)); // ret a
  return out;
}

/** The operations of a program's dispatch code, walked from the start. */
function operations(instructions: Instruction[]): number[] {
  return operationsOf(dispatch._encodeDispatch(_lower(instructions)));
}

Deno.test("the closure strategy's superinstructions agree with interpret() on random programs", () => {
  const rng = random(0x5eed1234);
  const data = packets(rng);
  const seen = new Set<number>();
  let programs = 0;
  let singles = 0;
  while (programs < 1000) {
    const instructions = program(rng, 2 + rng.below(5));
    if (instructions.some((i) => i.jt > 255 || i.jf > 255)) continue;
    validate(instructions);
    programs++;
    for (const n of operations(instructions)) seen.add(n);
    const run = compileClosure(instructions);
    const code = dispatch._encodeDispatch(_lower(instructions));
    if (_singleOperation(code) !== undefined) singles++;
    for (const packet of data) {
      // Without a context argument too: programs of one operation run without the loop then.
      assert.equal(
        run(packet),
        interpret(instructions, packet),
        `program ${JSON.stringify(instructions)} packet [${packet}]`,
      );
      for (const context of CONTEXTS) {
        assert.equal(
          run(packet, context),
          interpret(instructions, packet, context),
          `program ${JSON.stringify(instructions)} packet [${packet}] context ${
            JSON.stringify(context)
          }`,
        );
      }
    }
  }
  assert.ok(singles >= 5, `only ${singles} programs of one operation`);
  // The random programs reach every superinstruction, and every test with two returns.
  const d = dispatch;
  for (
    const name of [
      "_T_B_EQ2",
      "_T_H_EQ2",
      "_T_W_EQ2",
      "_T_A_EQ2",
      "_T_MSH_IND_B",
      "_T_MSH_IND_H",
      "_T_MSH_IND_W",
    ] as const
  ) assert.ok(seen.has(d[name]), name);
  for (
    const name of [
      "_T_A",
      "_T_B",
      "_T_H",
      "_T_W",
      "_T_IND_B",
      "_T_IND_H",
      "_T_IND_W",
      "_T_B_EQ",
      "_T_H_EQ",
      "_T_W_EQ",
      "_T_A_EQ",
      "_T_MSH_IND_B",
      "_T_MSH_IND_H",
      "_T_MSH_IND_W",
    ] as const
  ) assert.ok(seen.has(d[name] + d._RET_PAIR), `${name} with returns`);
  for (const name of ["_T_B", "_T_H_EQ", "_T_W_EQ", "_T_A", "_T_MSH_IND_H"] as const) {
    assert.ok(seen.has(d[name] + d._TRUE_RETURNS), `${name} returning when true`);
    assert.ok(seen.has(d[name] + d._FALSE_RETURNS), `${name} returning when false`);
  }
  for (const name of ["_T_B_EQ2", "_T_H_EQ2", "_T_W_EQ2", "_T_A_EQ2"] as const) {
    assert.ok(seen.has(d[name] + d._FALSE_RETURNS), `${name} returning at its end`);
  }
  for (const name of ["_T_LEN", "_T_LEN_RET", "_T_LEN_RETTRUE", "_T_LEN_RETFALSE"] as const) {
    assert.ok(seen.has(d[name]), name);
  }
});

Deno.test("the closure strategy agrees with interpret() when context offsets do not fit in int32", () => {
  const rng = random(0x0ddba11);
  const data = packets(rng).filter((_, i) => i % 3 === 0);
  const contexts: PacketContext[] = [
    { dataOffset: 2 ** 31 }, // past any packet: every positive load fails
    { networkOffset: 2 ** 31 + 4, macOffset: 0 },
    { macOffset: 2 ** 32 + 1 },
    { networkOffset: -(2 ** 31) - 8 },
    { wireLength: 0xffffffff }, // `ld len` beyond int32, and loads up to the capture
    { dataOffset: 14, end: 2 ** 40 }, // `end` past the buffer: the buffer's end
  ];
  let programs = 0;
  while (programs < 200) {
    const instructions = program(rng, 2 + rng.below(4));
    if (instructions.some((i) => i.jt > 255 || i.jf > 255)) continue;
    programs++;
    const run = compileClosure(instructions);
    for (const packet of data) {
      for (const context of contexts) {
        assert.equal(
          run(packet, context),
          interpret(instructions, packet, context),
          `program ${JSON.stringify(instructions)} packet [${packet}] context ${
            JSON.stringify(context)
          }`,
        );
      }
    }
  }
});
