/**
 * Programs aimed at session 19's closure paths (private, shared by
 * tests/closure_shapes_test.ts and bench/fuzz_closure_shapes.ts): compare
 * chains of 1–300 mixed `jeq`/`jgt`/`jge`/`jset` tests on one field (laid out
 * as a list or as a binary search over breakpoints, values ascending,
 * descending, repeated, at 0, 2^31 − 1, 2^31, 2^32 − 1 and each breakpoint
 * ± 1, on `[k]`, `[x + k]`, `len`, or after `and #m` / `rsh #k`, branches that
 * return different values or rejoin), `len` tests, `ret #k` and tiny programs,
 * ALU runs with division by X = 0, shifts by X ≥ 32, negative-offset and
 * ancillary loads and loads past the end in the middle, `[x + k]` past 2^31,
 * mid-size programs (13–100 instructions) of tests and steps that need
 * the dispatch loop midway, with scratch cells and X live across it, and
 * bigger programs (24–150 instructions) of steps a closure tree runs.
 *
 * Each maker draws a program for a packet (its constants are often the
 * packet's own field values, found by running the field's prefix through
 * {@linkcode interpret}); the result may be invalid (`validate()` decides).
 *
 * @module
 */
import type { Instruction } from "../src/bpf/instruction.ts";
import { interpret } from "../src/bpf/interpret.ts";
import type { _Random } from "./_fuzz.ts";

const LD_W = 0x20, LD_H = 0x28, LD_B = 0x30, LD_LEN = 0x80, LD_IMM = 0x00, LD_MEM = 0x60;
const LD_IND: Record<number, number> = { 1: 0x50, 2: 0x48, 4: 0x40 };
const LD_ABS: Record<number, number> = { 1: LD_B, 2: LD_H, 4: LD_W };
const LDX_IMM = 0x01, LDX_MEM = 0x61, LDX_LEN = 0x81, LDX_MSH = 0xb1;
const ST = 0x02, STX = 0x03, TAX = 0x07, TXA = 0x87;
const RET_K = 0x06, RET_A = 0x16, JA = 0x05, JEQ = 0x15, JGT = 0x25, JGE = 0x35, JSET = 0x45;
const ALU_K = [0x04, 0x14, 0x24, 0x34, 0x44, 0x54, 0x64, 0x74, 0x94, 0xa4];
const NEG = 0x84;
const BOUNDS = [0, 1, 0x7ffffffe, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff];
const ANCILLARY = [0xfffff000, 0xfffff004, 0xfffff008, 0xfffff00c, 0xfffff01c, 0xfffff02c];

/** An instruction whose jump targets are labels (absolute indices once laid out). */
interface _Draft {
  code: number;
  k: number;
  t?: number;
  f?: number;
}

const ins = (code: number, k = 0): Instruction => ({ code, jt: 0, jf: 0, k: k >>> 0 });

/** A field: the instructions that leave it in A, and its value on the packet. */
interface _Field {
  load: Instruction[];
  value: number;
}

/** What `load` leaves in A on `packet` (0 where a load fails or the load is not valid). */
function valueOf(load: Instruction[], packet: Uint8Array): number {
  try {
    return interpret([...load, ins(RET_A)], packet);
  } catch {
    return 0;
  }
}

/** A load offset: in the packet, at its end ± 1, past it, huge, or in the net window. */
function offsetOf(random: _Random, packet: Uint8Array, size: number): number {
  const n = packet.length;
  switch (random.int(10)) {
    case 0:
    case 1:
      return Math.max(0, n - size + random.pick([-1, 0, 0, 1]));
    case 2:
      return random.pick([0x7fffffff, 0x7ffffffc, 0x80000000, 0xfffffffc, 4096, 65535]);
    case 3:
      return random.pick([0xfff00000, 0xfff0000e, 0xffe00000]); // SKF_NET_OFF, SKF_LL_OFF
    default:
      return random.int(Math.max(1, Math.min(n + 2, 80)));
  }
}

/**
 * A field a chain tests: `[k]`, `[x + k]`, `len`, ancillary, masked or
 * shifted; `pure`: `[k]` only, at times masked or shifted (a chain closure's).
 */
function fieldOf(random: _Random, packet: Uint8Array, pure = false): _Field {
  const size = random.pick([1, 2, 2, 4]);
  const load: Instruction[] = [];
  switch (pure ? 11 : random.int(12)) {
    case 0:
      load.push(ins(LDX_MSH, random.chance(0.8) ? 14 : offsetOf(random, packet, 1)));
      load.push(ins(LD_IND[size], random.pick([14, 16, 20, 0, offsetOf(random, packet, size)])));
      break;
    case 1: {
      // `[x + k]` whose sum passes 2^31 or wraps past 2^32.
      const x = random.pick([0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff, 0x7ffffff0]);
      load.push(ins(LDX_IMM, x), ins(LD_IND[size], random.pick([1, 0x10, 0x20, 0x80000010, 0])));
      break;
    }
    case 2:
      if (random.chance(0.7)) load.push(ins(LD_LEN));
      else load.push(ins(LDX_LEN), ins(TXA));
      break;
    case 3:
      load.push(ins(random.pick([LD_W, LD_H, LD_B]), random.pick(ANCILLARY)));
      break;
    default:
      load.push(ins(LD_ABS[size], offsetOf(random, packet, size)));
  }
  if (random.chance(0.3)) {
    // `and #m` / `rsh #k` (folded into the test by lowering), at times `add #c` (a step).
    const m = random.pick([0xff, 0x0f, 0xfff0, 0x1fff, 0x80000000, 0xffffffff, random.uint32()]);
    const shift = random.int(32);
    const order = random.int(4);
    if (order === 0) load.push(ins(0x54, m));
    else if (order === 1) load.push(ins(0x74, shift));
    else if (order === 2 || pure) load.push(ins(0x74, shift), ins(0x54, m));
    else load.push(ins(0x04, random.pick([1, 0xffffffff, 0x80000000, random.uint32()])));
  }
  return { load, value: valueOf(load, packet) };
}

/** Breakpoints around `value`: ascending, descending, repeated, bounds and neighbours. */
function breakpointsOf(random: _Random, value: number, n: number): number[] {
  const near = (v: number) => (v + random.pick([-1, 0, 0, 1])) >>> 0;
  const draw = () =>
    random.pick([
      near(value),
      near(value),
      random.pick(BOUNDS),
      near(random.pick(BOUNDS)),
      random.int(256),
      random.int(65536),
      random.uint32(),
    ]);
  const values = Array.from({ length: n }, draw);
  const order = random.int(5);
  if (order === 0) values.sort((a, b) => a - b);
  else if (order === 1) values.sort((a, b) => b - a);
  else if (order === 2) {
    // Evenly spaced (a ladder), ascending, around the value.
    const step = random.pick([1, 2, 7, 256, 0x1000000]);
    const start = (value - step * random.int(n + 1)) >>> 0;
    for (let i = 0; i < n; i++) values[i] = (start + i * step) >>> 0;
  }
  if (random.chance(0.3) && n > 1) values[random.int(n)] = values[random.int(n)]; // a repeat
  return values;
}

/** A test opcode on K for one chain. */
function testCodeOf(random: _Random, mix: number): number {
  if (mix === 0) return JEQ;
  if (mix === 1) return random.pick([JGT, JGE]);
  if (mix === 3) return JSET; // a ladder of bit tests
  return random.pick([JEQ, JEQ, JGT, JGE, JSET]);
}

/** A jset mask: one bit, the top bit, everything, nothing, or random. */
function maskOf(random: _Random, value: number): number {
  return random.pick([1 << random.int(32), 0x80000000, 0xffffffff, 0, value, random.uint32()]) >>>
    0;
}

/**
 * An exit of a chain: a return of its own (K or A), a jump to the shared
 * tail, or a load nobody reads then a return (the load may fail: 0).
 */
function exitOf(
  random: _Random,
  packet: Uint8Array,
  values: number[],
  tail: number,
  pure: boolean,
): _Draft[] {
  const r = pure ? 3 + random.int(6) : random.int(10);
  if (r < 2) return [{ code: JA, k: tail }];
  if (r < 3) return [{ code: RET_A, k: 0 }];
  if (r < 4) {
    const size = random.pick([1, 2, 4]);
    // Mostly just past the packet's end, where the load fails.
    const k = random.chance(0.6)
      ? Math.max(0, packet.length - size + 1 + random.int(24))
      : offsetOf(random, packet, size);
    return [{ code: LD_ABS[size], k }, {
      code: RET_K,
      k: random.pick(values),
    }];
  }
  return [{ code: RET_K, k: random.pick(values) }];
}

/** The returned values of a chain: a few (repeated), or one each. */
function returnValuesOf(random: _Random): number[] {
  const few = [0, 1, 0xffff, 262144, 0xffffffff, 0x80000000, random.uint32()];
  return random.chance(0.5) ? few.slice(0, 2) : few;
}

/** A shared tail after a chain: `ret a`, returns, or a second test on another field. */
function tailOf(random: _Random, packet: Uint8Array, values: number[], pure: boolean): _Draft[] {
  const r = pure ? 1 : random.int(3);
  if (r === 0) return [{ code: RET_A, k: 0 }];
  if (r === 1) return [{ code: RET_K, k: random.pick(values) }];
  const k = offsetOf(random, packet, 2);
  const v = valueOf([ins(LD_H, k)], packet);
  return [
    { code: LD_H, k },
    { code: random.pick([JEQ, JGT]), k: random.chance(0.5) ? v : random.uint32(), t: -2, f: -1 },
    { code: RET_K, k: random.pick(values) },
    { code: RET_A, k: 0 },
  ];
}

/**
 * A compare chain laid out as a list: each test's one edge goes on to the
 * next test (or skips a few: a rejoin), its other edge to an exit of its own
 * right after it or to a later test.
 */
function chainList(random: _Random, packet: Uint8Array, n: number, pure: boolean): _Draft[] {
  const field = fieldOf(random, packet, pure);
  const mix = random.pick([0, 1, 2, 3, 3]);
  const points = breakpointsOf(random, field.value, n);
  const values = returnValuesOf(random);
  const out: _Draft[] = field.load.map(({ code, k }) => ({ code, k }));
  const pending: { at: number; edge: "t" | "f"; test: number }[] = [];
  const testAt: number[] = [];
  const TAIL = -1000; // resolved below
  for (let i = 0; i < n; i++) {
    const code = testCodeOf(random, mix);
    const k = code !== JSET
      ? points[i]
      : mix === 3
      ? 1 << random.int(32)
      : maskOf(random, field.value);
    const at = out.length;
    testAt.push(at);
    const onward = random.chance(0.5) ? "t" : "f";
    const exitEdge = onward === "t" ? "f" : "t";
    const test: _Draft = { code, k };
    out.push(test);
    if (random.chance(0.15) && i + 2 < n) {
      // The other edge rejoins a later test.
      pending.push({ at, edge: exitEdge, test: i + 1 + random.int(Math.min(n - i - 1, 40)) });
    } else {
      test[exitEdge] = out.length;
      out.push(...exitOf(random, packet, values, TAIL, pure));
    }
    pending.push({ at, edge: onward, test: i + 1 });
  }
  const end = out.length;
  for (const { at, edge, test } of pending) out[at][edge] = test < n ? testAt[test] : end;
  const tail = tailOf(random, packet, values, pure);
  for (const d of out) if (d.code === JA && d.k === TAIL) d.k = end;
  return [...out, ...tail];
}

/**
 * A compare chain laid out as a binary search over sorted breakpoints (`jgt`
 * or `jge` at each node, at times a `jeq`/`jset` in between), leaves
 * returning a value per interval; right subtrees too far away are reached
 * through a `ja`.
 */
function chainSearch(random: _Random, packet: Uint8Array, n: number, pure: boolean): _Draft[] {
  const field = fieldOf(random, packet, pure);
  const points = breakpointsOf(random, field.value, n).sort((a, b) => a - b);
  const values = returnValuesOf(random);
  const head: _Draft[] = field.load.map(({ code, k }) => ({ code, k }));
  const TAIL = -1000;
  const build = (lo: number, hi: number): _Draft[] => {
    if (lo >= hi) {
      return exitOf(random, packet, values, TAIL, pure);
    }
    const mid = (lo + hi) >> 1;
    const code = random.chance(0.1) ? random.pick([JEQ, JSET]) : random.pick([JGT, JGE]);
    const k = code === JSET ? maskOf(random, field.value) : points[mid];
    const left = build(lo, mid);
    const right = build(mid + 1, hi);
    // The test's true edge goes right (above), its false edge left.
    const far = left.length > 250;
    const leftAt = far ? 2 : 1;
    const rightAt = leftAt + left.length;
    const out: _Draft[] = [{ code, k, t: far ? 1 : rightAt, f: leftAt }];
    if (far) out.push({ code: JA, k: -3000 - rightAt }); // the in-fragment target rightAt
    out.push(...left.map((d) => move(d, leftAt)), ...right.map((d) => move(d, rightAt)));
    return out;
  };
  const body = build(0, n).map((d) => move(d, head.length));
  const out = [...head, ...body];
  const end = out.length;
  for (const d of out) if (d.code === JA && d.k === TAIL) d.k = end;
  return [...out, ...tailOf(random, packet, values, pure)];
}

/**
 * A fragment's draft moved `by` places: jump targets (`t`, `f`, and a `ja`'s
 * in-fragment target written as `-3000 - at`) are in-fragment indices.
 */
function move(d: _Draft, by: number): _Draft {
  const out = { ...d };
  if (out.t !== undefined && out.t >= 0) out.t += by;
  if (out.f !== undefined && out.f >= 0) out.f += by;
  if (out.code === JA && out.k <= -3000) out.k -= by;
  return out;
}

/** Compare chains: 1–16 tests mostly, up to 300, as a list or a binary search. */
function compareChain(random: _Random, packet: Uint8Array): _Draft[] {
  const n = random.chance(0.6)
    ? 1 + random.int(16)
    : random.chance(0.6)
    ? 17 + random.int(48)
    : 65 + random.int(236);
  const pure = random.chance(0.5); // a chain on `[k]` that only returns constants
  return random.chance(0.5)
    ? chainList(random, packet, n, pure)
    : chainSearch(random, packet, n, pure);
}

/** `len` tests at the packet's length ± 1, 0 and 2^31 ± 1; one, two (a range) or a few. */
function lengthTests(random: _Random, packet: Uint8Array): _Draft[] {
  const n = packet.length;
  const bound = () =>
    random.pick([n, n - 1, n + 1, 0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 60, 1000, 1500]) >>>
    0;
  const load: _Draft[] = random.chance(0.8)
    ? [{ code: LD_LEN, k: 0 }]
    : [{ code: LDX_LEN, k: 0 }, { code: TXA, k: 0 }];
  const r = random.int(5);
  if (r === 0) return [...load, { code: RET_A, k: 0 }];
  const ret = () => ({ code: RET_K, k: random.pick([0, 1, 0xffff, 0xffffffff, random.uint32()]) });
  if (r <= 2) {
    const [t, f] = random.pick([[1, 2], [2, 1], [1, 1], [2, 2]]);
    const s = load.length;
    const code = random.pick([JGT, JGE, JEQ, JSET]);
    return [...load, { code, k: bound(), t: s + t, f: s + f }, ret(), ret()];
  }
  if (r === 3) {
    // A range: len >= lo and len <= hi (`greater` / `less`), or a `len` test then another field.
    const s = load.length;
    return [
      ...load,
      { code: random.pick([JGE, JGT]), k: bound(), t: s + 1, f: s + 3 },
      { code: random.pick([JGT, JGE]), k: bound(), t: s + 3, f: s + 2 },
      ret(),
      ret(),
    ];
  }
  const s = load.length;
  const k = offsetOf(random, packet, 1);
  return [
    ...load,
    { code: random.pick([JGT, JGE]), k: bound(), t: s + 1, f: s + 4 },
    { code: LD_B, k },
    { code: JEQ, k: valueOf([ins(LD_B, k)], packet), t: s + 3, f: s + 4 },
    ret(),
    ret(),
  ];
}

/** `ret #k`, `ld #k; ret a`, and random programs of 1–4 instructions. */
function tinyProgram(random: _Random, packet: Uint8Array): _Draft[] {
  const k = random.pick([...BOUNDS, 0xffff, 262144, random.uint32(), random.int(65536)]);
  const r = random.int(6);
  if (r === 0) return [{ code: RET_K, k }];
  if (r === 1) {
    const x = random.chance(0.5);
    return [{ code: x ? LDX_IMM : LD_IMM, k }, ...(x ? [{ code: TXA, k: 0 }] : []), {
      code: RET_A,
      k: 0,
    }];
  }
  if (r === 2) return [{ code: RET_A, k: 0 }];
  const length = 1 + random.int(4);
  const out: _Draft[] = [];
  while (out.length < length - 1) out.push(tinyStep(random, packet, out.length, length));
  out.push(random.chance(0.5) ? { code: RET_A, k: 0 } : { code: RET_K, k });
  return out;
}

/** One instruction of a tiny program at `pc` of `length`. */
function tinyStep(random: _Random, packet: Uint8Array, pc: number, length: number): _Draft {
  const size = random.pick([1, 2, 4]);
  switch (random.int(9)) {
    case 0:
      return { code: LD_ABS[size], k: offsetOf(random, packet, size) };
    case 1:
      return { code: LD_IND[size], k: offsetOf(random, packet, size) };
    case 2:
      return { code: random.pick([LD_LEN, LDX_LEN, TAX, TXA, NEG]), k: 0 };
    case 3:
      return { code: LDX_MSH, k: offsetOf(random, packet, 1) };
    case 4:
      return { code: random.pick(ALU_K) | (random.chance(0.4) ? 0x08 : 0), k: aluK(random, 0) };
    case 5:
      return { code: LD_ABS[size], k: random.pick(ANCILLARY) };
    case 6:
      return { code: random.pick([LD_IMM, LDX_IMM]), k: random.pick(BOUNDS) };
    default: {
      const t = pc + 1 + random.int(length - pc - 1);
      const f = pc + 1 + random.int(length - pc - 1);
      return {
        code: random.pick([JEQ, JGT, JGE, JSET]) | (random.chance(0.2) ? 8 : 0),
        k: random.pick(BOUNDS),
        t,
        f,
      };
    }
  }
}

/** A K operand for ALU opcode `code` (shifts below 32, divisors not 0). */
function aluK(random: _Random, code: number): number {
  const op = code & 0xf0;
  if (op === 0x60 || op === 0x70) return random.pick([0, 1, 16, 31, random.int(32)]);
  const k = random.pick([...BOUNDS, 2, 3, 0xffff, 0x10000, random.uint32(), random.int(100)]);
  return (op === 0x30 || op === 0x90) && k === 0 ? 1 : k;
}

/**
 * An ALU run mixed with loads: `op x` with X = 0 (div, mod), X ≥ 32
 * (shifts), negative-offset and ancillary loads, loads past the end and
 * `[x + k]` past 2^31 in the middle, then a test or `ret a`.
 */
function fusedArithmetic(random: _Random, packet: Uint8Array): _Draft[] {
  const out: _Draft[] = [];
  const size = random.pick([1, 2, 4]);
  out.push({
    code: LD_ABS[size],
    k: random.chance(0.8) ? random.int(Math.max(1, packet.length)) : offsetOf(random, packet, size),
  });
  out.push({
    code: LDX_IMM,
    k: random.pick([0, 0, 32, 33, 63, 0xffffffff, 0x7fffffff, 0x80000000, 1, 7]),
  });
  if (random.chance(0.75)) out.push(...cellAcrossJoin(random, packet, out.length));
  const steps = 2 + random.int(14);
  for (let i = 0; i < steps; i++) {
    const r = random.int(16);
    const s = random.pick([1, 2, 4]);
    if (r < 5) {
      const code = random.pick(ALU_K);
      out.push({ code, k: aluK(random, code) });
    } else if (r < 8) out.push({ code: random.pick(ALU_K) | 0x08, k: 0 }); // op x
    else if (r < 9) out.push({ code: LD_ABS[s], k: offsetOf(random, packet, s) });
    else if (r < 10) out.push({ code: LD_ABS[s], k: random.pick(ANCILLARY) });
    else if (r < 11) {
      out.push({
        code: LD_IND[s],
        k: random.pick([0, 1, 14, 0x7fffffff, 0x80000000, 0xfffffff0, 0xfff00000]),
      });
    } else if (r < 12) out.push({ code: random.pick([TAX, TXA, NEG]), k: 0 });
    else if (r < 13) {
      out.push({ code: random.pick([LDX_LEN, LDX_MSH]), k: offsetOf(random, packet, 1) });
    } else if (r < 14) {
      const cell = random.int(16);
      out.push({ code: random.pick([ST, STX]), k: cell }, {
        code: random.pick([LD_MEM, LDX_MEM]),
        k: cell,
      });
    } else out.push({ code: LDX_IMM, k: random.pick([0, 32, 31, 0xffffffff]) });
  }
  if (random.chance(0.4)) return [...out, { code: RET_A, k: 0 }];
  const s = out.length;
  return [
    ...out,
    {
      code: random.pick([JEQ, JGT, JGE, JSET]) | (random.chance(0.3) ? 8 : 0),
      k: random.pick(BOUNDS),
      // Both targets returning constants at times (a test on X whose targets return).
      t: s + 1 + random.int(3),
      f: s + 1 + random.int(3),
    },
    { code: RET_K, k: random.pick([0, 1, 0xffffffff]) },
    { code: RET_A, k: 0 },
    { code: RET_K, k: random.pick([0, 0x80000000, 0xffff]) },
  ];
}

/**
 * `st M[c]` of two fields on two paths that join, X from a constant, `len`
 * or `ldx msh` (0 at times), then `ld M[c]` and an operation on X (div and
 * mod by X = 0, shifts by X ≥ 32): the optimiser cannot know the cell, so
 * `ld M[c]; op x` stays a pair of the dispatch loop. `at`: the first index.
 */
function cellAcrossJoin(random: _Random, packet: Uint8Array, at: number): _Draft[] {
  const cell = random.int(16);
  const k1 = random.int(Math.max(1, packet.length));
  const k2 = offsetOf(random, packet, 2);
  // X from a byte that is 0 on the packet (`ldb [k]; tax`), `ldx msh` on a low nibble of 0, `len`
  // or a constant: a known X = 0 is folded by the optimiser (`op x` then never runs), and a wire
  // length of 0 fails every load before.
  const zeros = [...packet.keys()].filter((i) => packet[i] === 0);
  const nibbles = [...packet.keys()].filter((i) => (packet[i] & 15) === 0);
  const zero = zeros.length > 0 ? random.pick(zeros) : random.int(packet.length + 1);
  const nibble = nibbles.length > 0 ? random.pick(nibbles) : offsetOf(random, packet, 1);
  const x: _Draft[] = random.pick([
    [{ code: LD_B, k: zero }, { code: TAX, k: 0 }, { code: LD_MEM, k: cell }],
    [{ code: LD_B, k: zero }, { code: TAX, k: 0 }, { code: LD_MEM, k: cell }],
    [{ code: LDX_MSH, k: nibble }, { code: LD_MEM, k: cell }],
    [{ code: LDX_LEN, k: 0 }, { code: LD_MEM, k: cell }],
    [{ code: LDX_IMM, k: random.pick([3, 32, 33, 0xffffffff]) }, { code: LD_MEM, k: cell }],
  ]);
  return [
    { code: LD_B, k: k1 },
    { code: ST, k: cell },
    { code: LD_H, k: k2 },
    { code: random.pick([JGT, JEQ, JSET]), k: random.int(256), t: at + 4, f: at + 5 },
    { code: ST, k: cell },
    ...x,
    { code: random.pick([0x3c, 0x9c, 0x3c, 0x9c, 0x3c, 0x9c, 0x6c, 0x7c, 0x2c, 0x1c, 0x5c]), k: 0 },
    // A result that is not 0 after a division by X = 0 that went on.
    ...(random.chance(0.7) ? [{ code: 0x44, k: random.pick([1, 0x80000000]) }] : []),
  ];
}

/**
 * A mid-size program (13–100 instructions): tcpdump-like blocks of fused
 * tests and steps, scratch cells and X written first and read late, with a
 * step the trees do not run (`div x`, `mod x`, `mul x`, `neg`, ancillary,
 * `ld M[c]; add x`) midway; forward jumps only, to later blocks within 255.
 */
function midTree(random: _Random, packet: Uint8Array, escape = true): _Draft[] {
  const target = escape ? 13 + random.int(88) : 24 + random.int(76);
  const blocks: _Draft[][] = [];
  // Block 0 writes the cells the program reads and sets X.
  const cells = [random.int(16), random.int(16)];
  const first: _Draft[] = escape
    ? [
      { code: LD_H, k: random.pick([12, 14, 16]) },
      { code: ST, k: cells[0] },
      { code: LDX_MSH, k: 14 },
      { code: STX, k: cells[1] },
    ]
    : [];
  if (first.length > 0) blocks.push(first);
  let size = first.length;
  while (size < target) {
    const block = midBlock(random, packet, cells, escape);
    blocks.push(block);
    size += block.length;
  }
  // Lay out: a block's test targets a later block's start (or a return at the end).
  const starts: number[] = [];
  let at = 0;
  for (const b of blocks) {
    starts.push(at);
    at += b.length;
  }
  const end = at;
  const out: _Draft[] = [];
  blocks.forEach((b, i) => {
    for (const d of b) {
      if (d.t === undefined) {
        out.push(d);
        continue;
      }
      const pc = out.length;
      const pick = () => {
        const choices = [i + 1, i + 1, i + 2, i + 1 + random.int(blocks.length - i)];
        const j = random.pick(choices);
        const to = j < blocks.length ? starts[j] : end + random.int(3);
        return to - pc - 1 > 255 ? pc + 1 : to;
      };
      out.push({ ...d, t: d.t === -1 ? pick() : d.t + pc, f: d.f === -1 ? pick() : d.f! + pc });
    }
  });
  out.push(
    { code: RET_A, k: 0 },
    { code: RET_K, k: random.pick([0xffff, 262144, 1]) },
    { code: RET_K, k: 0 },
  );
  return out;
}

/** A block of `midTree`: steps, then a test (targets -1: chosen at layout; else relative). */
function midBlock(
  random: _Random,
  packet: Uint8Array,
  cells: number[],
  escape: boolean,
): _Draft[] {
  const out: _Draft[] = [];
  // Without the escape: tests on `[k]` and `[x + k]`, masked at times, few steps (none on cells).
  const r = escape ? random.int(13) : random.pick([0, 1, 2, 3, 0, 1, 4, 10, 10, 11, 12, 12, 12]);
  const size = random.pick([1, 2, 4]);
  if (r < 4) {
    out.push({
      code: LD_ABS[size],
      k: random.chance(0.85) ? random.int(60) : offsetOf(random, packet, size),
    });
  } else if (r < 5) out.push({ code: LD_IND[size], k: random.pick([14, 16, 0, 20, 0x7fffffff]) });
  else if (r < 6) out.push({ code: LD_MEM, k: random.pick(cells) });
  else if (r < 7) out.push({ code: TXA, k: 0 });
  else if (r < 8) {
    // The escape: a step no tree runs, with X and the cells live.
    out.push(random.pick([
      { code: 0x3c, k: 0 }, // div x
      { code: 0x9c, k: 0 }, // mod x
      { code: 0x2c, k: 0 }, // mul x
      { code: NEG, k: 0 },
      { code: LD_W, k: random.pick(ANCILLARY) },
      { code: 0x0c, k: 0 }, // add x
      { code: 0x6c, k: 0 }, // lsh x
    ]));
    if (random.chance(0.5)) out.push({ code: LD_MEM, k: random.pick(cells) }, { code: 0x0c, k: 0 });
  } else if (r < 9) out.push({ code: LDX_MEM, k: random.pick(cells) });
  else if (r < 10) {
    out.push({ code: LD_ABS[size], k: random.int(60) }, {
      code: 0x54,
      k: random.pick([0xff, 0x1fff, 0xf0]),
    });
  } else if (r < 11) out.push({ code: ST, k: random.pick(cells) });
  else if (r < 12) out.push({ code: LD_ABS[size], k: random.int(60) }, { code: TAX, k: 0 });
  // r 12: a test on A as an earlier block left it (another value of the same field).
  const v = valueOf([ins(LD_H, 12)], packet);
  const early = random.chance(0.3); // the true edge returns right after the test
  out.push({
    code: random.pick([JEQ, JEQ, JGT, JGE, JSET]) | (random.chance(0.15) ? 8 : 0),
    k: random.pick([v, 0x800, 6, 17, 80, 0, random.int(256), random.uint32()]),
    t: early ? 1 : -1,
    f: -1,
  });
  if (early) out.push({ code: RET_K, k: random.pick([0, 0xffff]) });
  return out;
}

/**
 * Resolves drafts (absolute targets; negative `t`/`f`: counted from the
 * end; a `ja`'s `k` absolute, or `-3000 - i` for index `i`) into a program,
 * or undefined when a jump does not fit.
 */
function resolve(drafts: _Draft[]): Instruction[] | undefined {
  const n = drafts.length;
  const program: Instruction[] = [];
  for (let pc = 0; pc < n; pc++) {
    const d = drafts[pc];
    if (d.code === JA) {
      const to = d.k <= -3000 ? -3000 - d.k : d.k;
      if (to <= pc || to >= n) return undefined;
      program.push({ code: JA, jt: 0, jf: 0, k: to - pc - 1 });
      continue;
    }
    if ((d.code & 0x07) !== 0x05) {
      program.push({ code: d.code, jt: 0, jf: 0, k: d.k >>> 0 });
      continue;
    }
    const abs = (v: number) => (v < 0 ? n + v : v);
    const t = Math.min(abs(d.t ?? pc + 1), n - 1);
    const f = Math.min(abs(d.f ?? pc + 1), n - 1);
    if (t <= pc || f <= pc || t - pc - 1 > 255 || f - pc - 1 > 255) return undefined;
    program.push({ code: d.code, jt: t - pc - 1, jf: f - pc - 1, k: d.k >>> 0 });
  }
  return program;
}

/** The kinds, by name. */
export const _SHAPE_KINDS = {
  "compare chain": compareChain,
  "len tests": lengthTests,
  "tiny": tinyProgram,
  "fused arithmetic": fusedArithmetic,
  "mid tree": midTree,
  "big tree": (random: _Random, packet: Uint8Array) => midTree(random, packet, false),
} as const;

/** A kind's name. */
export type _ShapeKind = keyof typeof _SHAPE_KINDS;

/** A program of `kind` drawn for `packet`, or undefined when its jumps did not fit. */
export function _shapeProgramOf(
  random: _Random,
  packet: Uint8Array,
  kind: _ShapeKind,
): Instruction[] | undefined {
  const drafts = _SHAPE_KINDS[kind](random, packet);
  if (drafts.length === 0 || drafts.length > 4096) return undefined;
  return resolve(drafts);
}

/**
 * Packets that put a program's first field (`ld [k]`, at times with the
 * `rsh #s` / `and #m` after it) at each of its jump constants ± 1 and at 0,
 * 2^31 − 1, 2^31 and 2^32 − 1 (where the field can hold them): `base` with
 * the field's bytes written, at most `limit` of them, picked at random.
 */
export function _breakpointPackets(
  random: _Random,
  program: readonly Instruction[],
  base: Uint8Array,
  limit: number,
): Uint8Array[] {
  const load = program[0];
  const size = load === undefined ? 0 : ({ [LD_B]: 1, [LD_H]: 2, [LD_W]: 4 })[load.code] ?? 0;
  if (size === 0 || load.k + size > base.length) return [];
  let shift = 0;
  let mask = 0xffffffff;
  for (const { code, k } of program.slice(1, 3)) {
    if (code === 0x74) shift = k;
    else if (code === 0x54) mask = k;
    else break;
  }
  const constants = program.filter(({ code }) => (code & 7) === 5 && code !== JA)
    .flatMap(({ k }) => [k, k + 1, k - 1]);
  const wanted = [...constants, ...BOUNDS].map((v) => v >>> 0);
  const out: Uint8Array[] = [];
  for (let i = 0; i < limit && wanted.length > 0; i++) {
    const target = wanted.splice(random.int(wanted.length), 1)[0];
    const raw = ((target & mask) << shift) >>> 0; // the field's bytes (its low ones kept)
    const p = base.slice();
    for (let b = 0; b < size; b++) p[load.k + b] = (raw >>> (8 * (size - 1 - b))) & 0xff;
    out.push(p);
  }
  return out;
}
