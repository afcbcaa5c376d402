/**
 * Programs aimed at session 20's closure changes (private, shared by
 * tests/closure_s20_shapes_test.ts and `bench/fuzz_review_closure.ts --s20`),
 * each drawn with a frame it is aimed at:
 *
 * - `shared runs`: stages of runs of `jeq`/`jgt`/`jge`/`jset` on one loaded
 *   value (`[k]`, `[k] & 0xfff`, `[x + k]`, `len`, ancillary, a scratch cell,
 *   or A as an earlier stage left it) whose hit edges share a target (the
 *   VLAN EtherTypes 0x8100/0x88a8/0x9100 → the VLAN body), at times on the
 *   false edge, at times two targets alternating or one test leaving
 *   elsewhere, with repeated and edge constants; targets: later stages,
 *   `ret #k`, `ret a`; `sets`: the same, mostly clean sets (every test
 *   `jeq`, its true edge to the one target) on `[k]` and `[x + k]`;
 * - `word runs`: `ip6 host X or ip6 host Y …` and `host` lists: runs of word
 *   (half-word, byte) tests on adjacent bytes, each alternative's words
 *   repeating the same literals, behind an EtherType test or the three VLAN
 *   tests, the frame holding one of the addresses (or one word off);
 * - `arith edges`: a field, `len`, a constant or a cell, then ALU operations
 *   with K at 0, 1, 2, 2^n, 2^n ± 1, 2^31, 2^32 − 1 (`div`/`mod` by powers of
 *   two and others), with X at the same values (0: `div`/`mod` return 0;
 *   shifts by X ≥ 32), `neg`, scratch round trips, then a test whose
 *   constant is the result ± 1, a test on X, or `ret a`;
 * - `ranges`: `portrange`-like `jge lo; jgt hi` pairs on `[x + k]` after
 *   `ldx 4*([14]&0xf)` (nibbles 0, 5, 15) or on `[k]`, source then
 *   destination, ranges empty, single, whole, at the frame's ports ± 1.
 *
 * @module
 */
import type { Instruction } from "../src/bpf/instruction.ts";
import { interpret } from "../src/bpf/interpret.ts";
import { assemble, type Item } from "./_labelled_assembly.ts";
import type { _Random } from "./_fuzz.ts";

const LD_W = 0x20, LD_H = 0x28, LD_B = 0x30, LD_LEN = 0x80, LD_IMM = 0x00, LD_MEM = 0x60;
const LD_IND: Record<number, number> = { 1: 0x50, 2: 0x48, 4: 0x40 };
const LD_ABS: Record<number, number> = { 1: LD_B, 2: LD_H, 4: LD_W };
const LDX_IMM = 0x01, LDX_MEM = 0x61, LDX_LEN = 0x81, LDX_MSH = 0xb1;
const ST = 0x02, STX = 0x03, TAX = 0x07, TXA = 0x87, NEG = 0x84;
const RET_K = 0x06, RET_A = 0x16, JEQ = 0x15, JGT = 0x25, JGE = 0x35, JSET = 0x45;
const ALU_OPS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0];
const BOUNDS = [0, 1, 2, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff];
const VLAN_TYPES = [0x8100, 0x88a8, 0x9100];
const ETHER_TYPES = [...VLAN_TYPES, 0x0800, 0x86dd, 0x0806, 0x8847, 0x8864];
/** SKF_AD_PROTOCOL, SKF_AD_VLAN_TAG, SKF_AD_VLAN_TAG_PRESENT, SKF_AD_PKTTYPE, SKF_AD_VLAN_TPID. */
const ANCILLARY = [0xfffff000, 0xfffff02c, 0xfffff030, 0xfffff004, 0xfffff03c];

/** A program's labelled items and the frame it is aimed at. */
export interface _S20Draft {
  items: Item[];
  frame: Uint8Array;
}

/** What `items` (no jumps) leave in A on `frame` (0 where a load fails). */
function valueOf(items: Item[], frame: Uint8Array): number {
  try {
    const plain = items.map(({ code, k }) => ({ code, jt: 0, jf: 0, k: (k ?? 0) >>> 0 }));
    return interpret([...plain, { code: RET_A, jt: 0, jf: 0, k: 0 }], frame);
  } catch {
    return 0;
  }
}

/** An address of a pool in which addresses share words (`fe80::10`, `fe80::20`). */
function address6Of(random: _Random): number[] {
  return random.pick([
    [0xfe800000, 0, 0, 0x10],
    [0xfe800000, 0, 0, 0x20],
    [0x20010db8, 0, 0, 1],
    [0x20010db8, 0, 1, 0x53],
    [0xfe800000, 0, 0x02163eff, 0xfe000001],
  ]);
}

/**
 * An Ethernet frame: 0–2 VLAN tags (0x8100, 0x88a8, 0x9100), then IPv4 (IHL
 * 5, 6, 15 or 0) or IPv6 with TCP or UDP, ports near 53, 80, 10000, 65535,
 * addresses from a pool of shared words; cut at times.
 */
export function _s20FrameOf(random: _Random): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < 12; i++) bytes.push(random.pick([0, 0xff, 0x52, random.int(256)]));
  const tags = random.pick([0, 0, 1, 1, 2]);
  const half = (v: number) => bytes.push((v >>> 8) & 0xff, v & 0xff);
  const word = (v: number) => (half(v >>> 16), half(v & 0xffff));
  for (let t = 0; t < tags; t++) {
    half(random.pick(VLAN_TYPES));
    half(random.pick([0, 1, 300, 0xfff, 0x1064, random.int(0x10000)]));
  }
  const v6 = random.chance(0.4);
  half(random.chance(0.9) ? (v6 ? 0x86dd : 0x0800) : random.pick(ETHER_TYPES));
  const proto = random.pick([6, 17, 17, 1, 0x2c]);
  if (v6) {
    word(0x60000000), half(random.int(200)), bytes.push(proto, 64);
    for (const a of [address6Of(random), address6Of(random)]) a.forEach(word);
  } else {
    const ihl = random.pick([5, 5, 5, 6, 15, 0]);
    bytes.push(0x40 | ihl, 0), half(20 + random.int(100)), half(random.int(0x10000));
    half(random.chance(0.8) ? 0 : random.pick([0x2000, 0x1fff, 0x4000, 1]));
    bytes.push(64, proto, 0, 0);
    word(random.pick([0x0a000001, 0xc0a80001, random.uint32()]));
    word(random.pick([0x0a000001, 0xc0a8010a, random.uint32()]));
    for (let i = 20; i < ihl * 4; i++) bytes.push(random.int(256));
  }
  const port = () =>
    (random.pick([53, 80, 443, 10000, 10100, 1023, 0, 65535]) + random.pick([-1, 0, 0, 1])) &
    0xffff;
  half(port()), half(port());
  for (let i = random.int(40); i > 0; i--) bytes.push(random.int(256));
  const frame = Uint8Array.from(bytes);
  return random.chance(0.15) ? frame.slice(0, random.int(frame.length + 1)) : frame;
}

/** Constants of a run on `value`: near it, EtherTypes, bounds, repeats. */
function runConstantsOf(random: _Random, value: number, n: number, types: boolean): number[] {
  const near = () => (value + random.pick([0, 0, 1, -1])) >>> 0;
  const out = Array.from(
    { length: n },
    () =>
      types && random.chance(0.6) ? random.pick(ETHER_TYPES) : random.pick([
        near(),
        near(),
        random.pick(BOUNDS),
        random.int(256),
        random.int(0x10000),
        random.uint32(),
      ]),
  );
  if (types && n >= 3 && random.chance(0.5)) out.splice(0, 3, ...VLAN_TYPES);
  if (n > 1 && random.chance(0.2)) out[random.int(n)] = out[random.int(n)];
  if (random.chance(0.3)) out.sort((a, b) => random.chance(0.5) ? a - b : b - a);
  return out;
}

/** A stage's load: a field, masked, `[x + k]`, `len`, ancillary, a cell, or none (A as left). */
function stageLoadOf(
  random: _Random,
  frame: Uint8Array,
  first: boolean,
  cell: boolean,
  focus: boolean,
): Item[] {
  const r = focus ? random.pick([0, 2, 3, 3, 4, 4, 8, 10]) : random.int(first ? 9 : 11);
  switch (r === 9 && !cell ? 0 : r) {
    case 0:
    case 1:
      return [{ code: LD_H, k: random.pick([12, 16, 20]) }];
    case 2:
      return [{ code: LD_H, k: random.pick([14, 18]) }, { code: 0x54, k: 0xfff }];
    case 3: {
      const size = random.pick([1, 2, 4]);
      return [{ code: LD_ABS[size], k: random.int(Math.max(1, frame.length + 2)) }];
    }
    case 4:
      if (focus && random.chance(0.7)) {
        // X from the preamble (a block of its own): a set on `[x + k]`.
        return [{ code: LD_IND[random.pick([2, 2, 2, 1, 4])], k: random.pick([14, 16, 0, 0x10]) }];
      }
      if (random.chance(0.3)) {
        // X past 2^31 (`[x + k]` in the negative windows, or wrapping), or from a byte.
        const x: Item = random.chance(0.5)
          ? { code: LDX_IMM, k: random.pick([0xfffffff0, 0xfff00000, 0x80000000, 0xffe00010]) }
          : { code: 0xb1, k: random.pick([14, 18, 0]) };
        return [x, { code: LD_IND[2], k: random.pick([0x10, 0x100010, 14, 0x80000002]) }];
      }
      return [{ code: LDX_MSH, k: 14 }, {
        code: LD_IND[random.pick([1, 2, 4])],
        k: random.pick([14, 16, 0]),
      }];
    case 5:
      return [{ code: LD_LEN }];
    case 6:
      return [{ code: random.pick([LD_W, LD_H, LD_B]), k: random.pick(ANCILLARY) }];
    case 7:
      return [{ code: LD_H, k: 12 }, {
        code: random.pick([0x74, 0x54, 0x04]),
        k: random.pick([4, 8, 0xff00, 1]),
      }];
    case 8:
      return [{ code: LD_W, k: random.pick([22, 26, 30, 34, 38]) }];
    case 9:
      return [{ code: LD_MEM, k: 0 }];
    default:
      return []; // a test on A as the last stage left it
  }
}

/**
 * Stages of runs of tests on one value whose hit edges share a target (see
 * the module doc); targets lie later, so every jump is forward.
 */
function sharedRuns(random: _Random, focus = false): _S20Draft {
  const frame = _s20FrameOf(random);
  const stages = 1 + random.int(random.chance(0.3) ? 7 : 3);
  const starts = Array.from({ length: stages }, (_, s) => `s${s}`);
  const exits = ["acc", "rej", "reta", "acc2"];
  const later = (s: number) =>
    s + 1 < stages && random.chance(0.7)
      ? starts[s + 1 + random.int(stages - s - 1)]
      : random.pick(exits);
  const items: Item[] = [];
  // At times the EtherType is kept in a cell first, for a later stage's `ld M[0]`.
  const cell = random.chance(0.4);
  if (cell) items.push({ code: LD_H, k: 12, label: "head" }, { code: ST, k: 0 });
  if (focus) {
    // X for the sets on `[x + k]`, in a block of its own (as `port 53 or port 80`'s second load).
    items.push(
      random.pick<Item>([
        { code: LDX_MSH, k: random.pick([14, 14, 18, 0]) },
        { code: LDX_IMM, k: random.pick([0, 4, 0xfffffff0, 0xfff00000, 0x80000000, 0xffe00010]) },
        { code: LDX_LEN },
      ]),
      { code: LD_B, k: random.pick([23, 20, 12]) },
      { code: JGE, k: random.pick([0, 1, 17]), t: "s0", f: random.pick(["s0t1", "rej"]) },
    );
  }
  for (let s = 0; s < stages; s++) {
    const load = stageLoadOf(random, frame, s === 0, cell, focus);
    const field = valueOf([...items.filter((i) => i.t === undefined), ...load], frame);
    const n = random.pick([1, 2, 2, 3, 3, 3, 4, 5, 8, 1 + random.int(20)]);
    const types = load.length === 1 && load[0].code === LD_H && load[0].k! % 4 === 0;
    const constants = runConstantsOf(random, field, n, types);
    const shared = s + 1 < stages && random.chance(0.8) ? starts[s + 1] : later(s);
    const shared2 = random.chance(0.25) ? later(s) : shared;
    const miss = random.chance(0.6) ? "rej" : later(s);
    // A clean set at times: every test `jeq`, its true edge to the one shared target.
    const clean = random.chance(focus ? 0.85 : 0.35);
    const allEqual = clean || random.chance(0.4);
    const tests = constants.map((k, i): Item => {
      const code = allEqual ? JEQ : random.pick([JEQ, JEQ, JEQ, JGT, JGE, JSET]);
      const hit = clean
        ? shared
        : random.chance(0.88)
        ? (i % 2 === 1 ? shared2 : shared)
        : later(s);
      const next = i + 1 < n ? `s${s}t${i + 1}` : miss;
      const positive = clean || random.chance(0.8);
      return { code, k, t: positive ? hit : next, f: positive ? next : hit, label: `s${s}t${i}` };
    });
    const stage = [...load, ...tests];
    stage[0] = { ...stage[0], label: starts[s] };
    items.push(...stage);
  }
  items.push(
    { code: RET_K, k: random.pick([262144, 0xffffffff, 1, 0x80000000]), label: "acc" },
    { code: RET_K, k: 0, label: "rej" },
    { code: RET_A, label: "reta" },
    { code: RET_K, k: random.pick([0xffff, 96, random.uint32()]), label: "acc2" },
  );
  return { items, frame };
}

/**
 * `ip6 host X or ip6 host Y …` / `host` lists: runs of tests on adjacent
 * words (or half-words, bytes), each alternative repeating the literals of
 * the others (see the module doc).
 */
function wordRuns(random: _Random): _S20Draft {
  const frame = _s20FrameOf(random);
  const items: Item[] = [];
  const vlan = random.chance(0.35);
  const base = vlan ? 18 : 14;
  if (vlan) {
    items.push({ code: LD_H, k: 12 });
    for (const [i, type] of VLAN_TYPES.entries()) {
      items.push({ code: JEQ, k: type, t: "body", f: i < 2 ? undefined : "rej" });
    }
  }
  const v6 = random.chance(0.7);
  items.push({ code: LD_H, k: base - 2, label: vlan ? "body" : undefined });
  items.push({ code: JEQ, k: v6 ? 0x86dd : 0x0800, t: "a0", f: "rej" });
  const size = random.pick([4, 4, 4, 2, 1]);
  const alternatives = 2 + random.int(4);
  let at = 0;
  const first: { offset: number; k: number }[] = [];
  for (let h = 0; h < alternatives; h++) {
    const address = v6 ? address6Of(random) : [random.pick([0x0a000001, 0xc0a80001, 0xc0a8010a])];
    const dirs = random.chance(0.7) ? [0, 1] : [random.int(2)];
    for (const dir of dirs) {
      const start = base + (v6 ? 8 + 16 * dir : 12 + 4 * dir);
      const bytes = address.flatMap((
        w,
      ) => [w >>> 24, (w >>> 16) & 0xff, (w >>> 8) & 0xff, w & 0xff]);
      const parts = bytes.length / size;
      const next = `a${at + 1}`;
      for (let i = 0; i < parts; i++) {
        let k = 0;
        for (let b = 0; b < size; b++) k = k * 256 + bytes[i * size + b];
        if (random.chance(0.04)) k = (k + 1) >>> 0;
        if (at === 0) first.push({ offset: start + i * size, k });
        const last = i === parts - 1;
        items.push({
          code: LD_ABS[size],
          k: start + i * size,
          label: i === 0 ? `a${at}` : undefined,
        });
        const code = random.chance(0.93) ? JEQ : random.pick([JGT, JGE, JSET]);
        items.push({ code, k, t: last ? "hit" : undefined, f: next });
      }
      at++;
    }
  }
  // After a match: `ret`, or `and udp`/`and port` (a test after the runs).
  items.push({ code: JEQ, k: 0, t: "rej", f: "rej", label: `a${at}` });
  if (random.chance(0.5)) {
    items.push(
      { code: LD_B, k: base + (v6 ? 6 : 9), label: "hit" },
      { code: JEQ, k: random.pick([17, 6]), t: "acc", f: "rej" },
    );
  } else items.push({ code: RET_A, label: "hit" });
  items.push({ code: RET_K, k: 262144, label: "acc" }, { code: RET_K, k: 0, label: "rej" });
  // The frame holds the first alternative's address at times.
  if (random.chance(0.6)) {
    for (const { offset, k } of first) {
      for (let b = 0; b < size && offset + b < frame.length; b++) {
        frame[offset + b] = (k >>> (8 * (size - 1 - b))) & 0xff;
      }
    }
  }
  return { items, frame };
}

/** A K operand for ALU `op`: edges, powers of two and their neighbours (`div`/`mod` not 0). */
function aluKOf(random: _Random, op: number): number {
  if (op === 0x60 || op === 0x70) return random.pick([0, 1, 2, 8, 16, 24, 31, random.int(32)]);
  const p = 2 ** random.int(32);
  const k = random.pick([
    ...BOUNDS,
    3,
    4,
    5,
    7,
    8,
    10,
    255,
    256,
    0xffff,
    p,
    p,
    p + 1,
    p - 1,
    random.uint32(),
  ]) >>> 0;
  return (op === 0x30 || op === 0x90) && k === 0 ? random.pick([1, 2, 0x80000000]) : k;
}

/**
 * Arithmetic with edge operands (see the module doc), then a test whose
 * constant is the result ± 1, a test on X, or `ret a`.
 */
function arithEdges(random: _Random): _S20Draft {
  const frame = _s20FrameOf(random);
  const items: Item[] = [];
  const size = random.pick([1, 2, 4, 4, 4]);
  switch (random.int(6)) {
    case 0:
      items.push({ code: LD_LEN });
      break;
    case 1:
      items.push({ code: LD_IMM, k: random.pick([...BOUNDS, 2 ** random.int(32)]) });
      break;
    case 2:
      items.push({ code: LDX_MSH, k: 14 }, { code: LD_IND[size], k: random.pick([14, 16, 0]) });
      break;
    default:
      items.push({ code: LD_ABS[size], k: random.int(Math.max(1, frame.length + 1)) });
  }
  const x = random.pick<Item[]>([
    [{
      code: LDX_IMM,
      k: random.pick([0, 1, 2, 31, 32, 33, 0x80000000, 0xffffffff, 2 ** random.int(32)]),
    }],
    [{ code: LDX_MSH, k: random.pick([14, 18, 0]) }],
    [{ code: LDX_LEN }],
    [],
  ]);
  items.push(...x);
  if (random.chance(0.4)) {
    // tcpdump's binary arithmetic: fields, `len` and `4*([k]&0xf)` kept in cells from A and X,
    // read back later into A or X (the optimiser may reload the field instead).
    const kept = [random.int(16), random.int(16)];
    items.push({ code: ST, k: kept[0] }, { code: STX, k: kept[1] });
    items.push(
      random.pick<Item>([
        { code: LD_ABS[random.pick([1, 2, 4])], k: random.int(Math.max(1, frame.length)) },
        { code: LD_LEN },
      ]),
      { code: TAX },
      { code: random.pick([LD_MEM, LDX_MEM]), k: random.pick(kept) },
      { code: random.pick([LD_MEM, LDX_MEM]), k: random.pick(kept) },
    );
  }
  const steps = 1 + random.int(8);
  for (let i = 0; i < steps; i++) {
    const r = random.int(14);
    const op = random.pick(ALU_OPS);
    if (r < 6) items.push({ code: 0x04 | op, k: aluKOf(random, op) });
    else if (r < 8) {
      // `op #k; and #mask` where k may have no bit at or below the mask's highest (or has one).
      const n = random.int(32);
      const mask = random.pick([2 ** n - 1, 0x80000000, 0xfffffffe, 0x7fffffff, 0x80000001])! >>> 0;
      const k = random.pick([
        2 ** n,
        2 ** n * (1 + random.int(8)),
        0x80000000,
        2 ** n + 1,
        mask + 1,
      ]);
      items.push({ code: random.pick([0x04, 0x14, 0x44, 0xa4]), k: k >>> 0 }, {
        code: 0x54,
        k: mask,
      });
    } else if (r < 9) {
      items.push({
        code: 0x24,
        k: random.pick([0x80000001, 0xffffffff, 0x7fffffff, random.uint32()]),
      });
    } else if (r < 10) items.push({ code: 0x0c | op });
    else if (r < 11) items.push({ code: NEG });
    else if (r < 12) {
      const cell = random.int(16);
      items.push({ code: random.pick([ST, STX]), k: cell }, {
        code: random.pick([LD_MEM, LDX_MEM]),
        k: cell,
      });
    } else if (r < 13) items.push({ code: TAX });
    else items.push({ code: random.pick([TXA, LDX_LEN]) });
  }
  const result = valueOf(items, frame);
  const r = random.int(10);
  if (r < 3) return { items: [...items, { code: RET_A }], frame };
  const onX = r < 5;
  const code = random.pick([JEQ, JGT, JGE, JSET]) | (onX ? 8 : 0);
  const k = random.pick([result, (result + 1) >>> 0, (result - 1) >>> 0, ...BOUNDS]);
  items.push(
    { code, k, t: random.pick(["r1", "r2", "r3"]), f: random.pick(["r1", "r2", "r3"]) },
    { code: RET_K, k: random.pick([1, 0xffffffff]), label: "r1" },
    { code: RET_A, label: "r2" },
    { code: RET_K, k: 0, label: "r3" },
  );
  return { items, frame };
}

/** `portrange`-like pairs (see the module doc). */
function ranges(random: _Random): _S20Draft {
  const frame = _s20FrameOf(random);
  const items: Item[] = [];
  const indirect = random.chance(0.6);
  if (indirect) items.push({ code: LDX_MSH, k: random.pick([14, 14, 18]) });
  const port = (at: number) => frame.length >= at + 2 ? (frame[at] << 8) | frame[at + 1] : 0;
  const base = 34 + (frame[14] & 15) * 4 - 20;
  const dirs = random.pick([[0, 2], [0], [2], [2, 0]]);
  const count = 1 + random.int(3);
  let n = 0;
  for (let r = 0; r < count; r++) {
    const around = port(base + random.pick(dirs));
    const lo = random.pick([around, around + 1, around - 1, 0, 1, 10000, 65535, around + 2]) &
      0xffff;
    const hi = random.pick([lo, lo + 100, lo - 1, 65535, around, around - 1, around + 1]) & 0xffff;
    for (const dir of dirs) {
      const load = indirect ? { code: LD_IND[2], k: 14 + dir } : { code: LD_H, k: base + dir };
      items.push({ ...load, label: `p${n}` });
      const single = random.chance(0.2);
      if (single) items.push({ code: JEQ, k: lo, t: "acc", f: `p${n + 1}` });
      else {
        items.push({ code: random.pick([JGE, JGE, JGT]), k: lo, f: `p${n + 1}` });
        items.push({ code: random.pick([JGT, JGT, JGE]), k: hi, t: `p${n + 1}`, f: "acc" });
      }
      n++;
    }
  }
  items.push({ code: RET_K, k: 0, label: `p${n}` });
  items.push({ code: random.chance(0.3) ? RET_A : RET_K, k: 262144, label: "acc" });
  return { items, frame };
}

/** The kinds, by name. */
export const _S20_KINDS = {
  "shared runs": (random: _Random) => sharedRuns(random),
  "sets": (random: _Random) => sharedRuns(random, true),
  "word runs": wordRuns,
  "arith edges": arithEdges,
  "ranges": ranges,
} as const;

/** A kind's name. */
export type _S20Kind = keyof typeof _S20_KINDS;

/**
 * A program of `kind` and its frame; the program is undefined when a jump
 * does not reach (past 255 instructions); `validate()` decides the rest.
 */
export function _s20ProgramOf(
  random: _Random,
  kind: _S20Kind,
): { program: Instruction[] | undefined; frame: Uint8Array } {
  const { items, frame } = _S20_KINDS[kind](random);
  const program = assemble(items);
  const fits = program.every(({ code, jt, jf }) =>
    (code & 7) !== 5 || code === 0x05 || (jt >= 0 && jt <= 255 && jf >= 0 && jf <= 255)
  );
  return { program: fits && program.length <= 4096 ? program : undefined, frame };
}
