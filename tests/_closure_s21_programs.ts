/**
 * Programs aimed at session 21's closure changes (private, for
 * tests/closure_s21_shapes_test.ts and bench/fuzz_review_s21.ts), each drawn
 * with a frame it is aimed at:
 *
 * - `pairs`: stages of runs of tests on adjacent bytes (`ether host X`: the
 *   word at 8, then the half-word at 6; `ether broadcast`: `[2]`, then
 *   `[0]`; mixed sizes either way round, masks and shifts, `jset`,
 *   `jgt`/`jge` ranges, each test's sense drawn alone), whose tests all leave
 *   to one block; several on a path (source, then destination), at times the
 *   same test again further down (known outcomes), at the frame's last
 *   bytes, past its end or in the negative windows, with parts on `[x + k]`
 *   (X from `msh`, or huge), steps (`add`, a cell, `tax`) or a test on X
 *   below them;
 * - `ether pairs`: `ether host A or ether host B …`, `ether broadcast`, `ip6 net X/64`: 2
 *   to 14 equality pairs on a path, either sense;
 * - `alu steps`: long chains of every ALU operation on K and on X (X at 0,
 *   1, 31, 32, 33, 2^31, 2^32 − 1: `div`/`mod` by 0 end the program with 0,
 *   shifts by X use its low 5 bits), `neg`, `msh`, `[x + k]` at negative
 *   windows (`SKF_NET_OFF`, `SKF_LL_OFF`, ancillary) and huge offsets, loads
 *   past the end midway, scratch cells (unset ones read 0), `tax`/`txa`,
 *   `len`, with tests on A or X between them that jump forward;
 * - `covered loads`: straight runs of `[k]`, `[x + k]` (X a header length)
 *   and `ldx msh` loads that nothing reads, ends 60 bytes apart (± 1);
 * - `long jumps`: 100–700 instructions of small blocks (steps, then a test
 *   or `ja`) whose jumps reach up to 255 (`ja` much further) forward.
 *
 * @module
 */
import type { Instruction } from "../src/bpf/instruction.ts";
import { interpret } from "../src/bpf/interpret.ts";
import { assemble, type Item } from "./_labelled_assembly.ts";
import type { _Random } from "./_fuzz.ts";
import { _s20FrameOf } from "./_closure_s20_programs.ts";

const LD_W = 0x20, LD_H = 0x28, LD_B = 0x30, LD_LEN = 0x80, LD_IMM = 0x00, LD_MEM = 0x60;
const LD_IND: Record<number, number> = { 1: 0x50, 2: 0x48, 4: 0x40 };
const LD_ABS: Record<number, number> = { 1: LD_B, 2: LD_H, 4: LD_W };
const LDX_IMM = 0x01, LDX_MEM = 0x61, LDX_LEN = 0x81, LDX_MSH = 0xb1;
const ST = 0x02, STX = 0x03, TAX = 0x07, TXA = 0x87, NEG = 0x84, JA = 0x05;
const RET_K = 0x06, RET_A = 0x16, JEQ = 0x15, JGT = 0x25, JGE = 0x35, JSET = 0x45;
const ALU_OPS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0];
const BOUNDS = [0, 1, 2, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff];
/** X values at the edges of division, shifts and wrapping. */
const X_EDGES = [0, 0, 1, 2, 7, 31, 32, 33, 63, 64, 0x80000000, 0xffffffff, 0xffffffe0];
const SKF_NET = 0xfff00000, SKF_LL = 0xffe00000, SKF_AD = 0xfffff000;

/** A program's labelled items and the frame it is aimed at. */
export interface _S21Draft {
  items: Item[];
  frame: Uint8Array;
}

/** The big-endian value of `size` bytes at `offset` of `frame` (0 past its end). */
function fieldOf(frame: Uint8Array, offset: number, size: number): number {
  // In a negative window: the bytes from its start (the network or link-layer header at 0).
  if (offset >= SKF_LL) offset = offset >= SKF_NET ? offset - SKF_NET : offset - SKF_LL;
  let v = 0;
  for (let b = 0; b < size; b++) v = v * 256 + (frame[offset + b] ?? 0);
  return v >>> 0;
}

/** A frame: session 20's (VLANs, IPv4/IPv6, ports), at times with a broadcast or fixed MAC. */
function frameOf(random: _Random): Uint8Array {
  const frame = _s20FrameOf(random);
  const mac = random.pick([
    [0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    [0x00, 0x1b, 0x21, 0x3a, 0x4b, 0x5c],
    [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01],
    undefined,
  ]);
  if (mac !== undefined) {
    const at = random.pick([0, 6]);
    mac.forEach((b, i) => at + i < frame.length && (frame[at + i] = b));
  }
  return frame;
}

/** A pair's (run's) fields: offsets and sizes of adjacent loads, in the order tested. */
function runFieldsOf(random: _Random, frame: Uint8Array): { offset: number; size: number }[] {
  const shape = random.int(9);
  let sizes: number[];
  let start: number;
  if (shape < 3) {
    // `ether host`/`ether broadcast`: a word then the half-word before it, or the other way.
    const at = random.pick([0, 6]);
    return random.chance(0.7)
      ? [{ offset: at + 2, size: 4 }, { offset: at, size: 2 }]
      : [{ offset: at, size: 4 }, { offset: at + 4, size: 2 }];
  }
  if (shape < 6) sizes = [random.pick([1, 2, 4]), random.pick([1, 2, 4])];
  else {sizes = Array.from({ length: 2 + random.int(random.chance(0.3) ? 7 : 3) }, () =>
      random.pick([1, 2, 4, 4]));}
  const total = sizes.reduce((a, b) => a + b, 0);
  const r = random.int(11);
  if (r < 3) start = frame.length - total + random.pick([0, 0, 1, -1, 2, -2]); // the last bytes
  else if (r < 4) start = frame.length + random.int(8); // past the end
  else if (r < 5) start = random.pick([SKF_NET, SKF_LL]) + random.int(20); // negative windows
  else start = random.pick([0, 2, 6, 12, 14, 22, 26, 30, 34, 38, 54, random.int(64)]);
  start = Math.max(0, start);
  const fields: { offset: number; size: number }[] = [];
  let at = start;
  for (const size of sizes) fields.push({ offset: at, size }), at += size;
  return random.chance(0.35) ? fields.reverse() : fields;
}

/** A fused test on a field of `frame`: its `and`/`rsh` steps and its jump's opcode and K. */
function runTestOf(
  random: _Random,
  value: number,
  size: number,
): { ops: Item[]; code: number; k: number } {
  const ops: Item[] = [];
  let v = value;
  const r = random.int(10);
  if (r < 2) {
    const mask = random.pick([0xf0, 0x0f, 0xfff, 0x1fff, 0xffff0000, 0xfeff, 1, 0x80000000]) >>> 0;
    ops.push({ code: 0x54, k: mask }); // and #mask
    v = (v & mask) >>> 0;
  } else if (r < 3) {
    const n = random.int(size * 8);
    ops.push({ code: 0x74, k: n }); // rsh #n
    v >>>= n;
    if (random.chance(0.5)) ops.push({ code: 0x54, k: 0xf }), v &= 0xf;
  }
  const near = (v + random.pick([0, 0, 0, 0, 1, -1])) >>> 0;
  const c = random.int(10);
  if (c < 6) return { ops, code: JEQ, k: random.chance(0.1) ? random.pick(BOUNDS) : near };
  if (c < 8) return { ops, code: random.pick([JGT, JGE]), k: near };
  return {
    ops,
    code: JSET,
    k: random.pick([v, ~v >>> 0, 1 << random.int(size * 8), random.uint32(), 0]) >>> 0,
  };
}

/** A part below the runs: `[x + k]` tests, a test after steps, a test on X, or a return. */
function belowOf(
  random: _Random,
  frame: Uint8Array,
  label: string,
  pass: string,
  fail: string,
): Item[] {
  const r = random.int(6);
  if (r === 0) {
    // `tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420`-like: X from a byte, then `[x + k]`.
    const size = random.pick([1, 2, 4]);
    return [
      { code: LDX_MSH, k: random.pick([14, 18, 0, frame.length - 1, frame.length]), label },
      { code: LD_B, k: random.pick([26, 46, 14]) },
      { code: 0x54, k: 0xf0 },
      { code: 0x74, k: 2 },
      { code: TAX },
      { code: LD_IND[size], k: random.pick([14, 34, 0, 54]) },
      { code: JEQ, k: random.pick([0x47455420, 0x4745, 0x47, random.uint32()]), t: pass, f: fail },
    ];
  }
  if (r === 1) {
    return [
      { code: LDX_IMM, k: random.pick([0, 4, 0xfffffff0, SKF_NET, SKF_LL, 0x80000000]), label },
      { code: LD_IND[random.pick([1, 2, 4])], k: random.pick([0, 12, 14, 0x10, 0xfff00010]) },
      { code: random.pick([JEQ, JGT, JSET]), k: random.pick([0, 0x800, 6, 17]), t: pass, f: fail },
    ];
  }
  if (r === 2) {
    const cell = random.int(16);
    return [
      { code: LD_H, k: random.pick([16, 20, 2]), label },
      { code: 0x04, k: random.pick([1, 0xffffffff, 14]) },
      { code: ST, k: cell },
      { code: TAX },
      { code: LD_MEM, k: random.chance(0.8) ? cell : (cell + 1) % 16 },
      {
        code: random.pick([JGT, JGE, JEQ]),
        k: random.pick([100, 0x800, 0, 0xffffffff]),
        t: pass,
        f: fail,
      },
    ];
  }
  if (r === 3) {
    return [
      { code: LDX_MSH, k: 14, label },
      { code: LD_LEN },
      { code: random.pick([JGT | 8, JEQ | 8, JGE | 8, JSET | 8]), t: pass, f: fail },
    ];
  }
  if (r === 4) return [{ code: RET_A, label }];
  return [
    { code: LD_B, k: random.pick([23, 20, 9]), label },
    { code: JEQ, k: random.pick([6, 17, 1]), t: pass, f: fail },
  ];
}

/**
 * Stages of runs of adjacent tests (see the module doc), each stage's tests
 * leaving to one block; a stage's pass goes on to the next.
 */
function pairs(random: _Random): _S21Draft {
  const frame = frameOf(random);
  const items: Item[] = [];
  const stages = 1 + random.int(random.chance(0.4) ? 5 : 3);
  const exits = ["acc", "rej", "reta", "acc2"];
  const start = (s: number) => `s${s}`;
  // At times an EtherType test first (`ether host X and ip`), or the same pair twice on a path.
  if (random.chance(0.3)) {
    items.push({ code: LD_H, k: 12 }, {
      code: JEQ,
      k: random.pick([0x0800, 0x86dd, fieldOf(frame, 12, 2)]),
      t: random.chance(0.8) ? "s0" : "rej",
      f: random.chance(0.8) ? "rej" : "s0",
    });
  }
  let previous: { offset: number; size: number; ops: Item[]; code: number; k: number }[] = [];
  for (let s = 0; s < stages; s++) {
    const goOn = s + 1 < stages ? start(s + 1) : random.pick(["below", ...exits]);
    const out = random.chance(0.7)
      ? random.pick(["rej", "rej", "acc"])
      : random.pick(["below", ...exits]);
    // The same tests again at times (a known outcome on the path), else new fields.
    const again = previous.length > 0 && random.chance(0.15);
    const tests = again ? previous : runFieldsOf(random, frame).map(({ offset, size }) => ({
      offset,
      size,
      ...runTestOf(random, fieldOf(frame, offset, size), size),
    }));
    tests.forEach(({ offset, size, ops, code, k }, i) => {
      const next = i + 1 < tests.length ? `s${s}t${i + 1}` : goOn;
      const positive = random.chance(0.75);
      // Mostly one `out` for every test; now and then one that leaves elsewhere (no run).
      const leave = random.chance(0.92) ? out : random.pick(exits);
      items.push(
        { code: LD_ABS[size], k: offset, label: i === 0 ? start(s) : `s${s}t${i}` },
        ...ops,
        { code, k, t: positive ? next : leave, f: positive ? leave : next },
      );
    });
    previous = tests;
  }
  items.push(...belowOf(random, frame, "below", random.pick(["acc", "reta", "b2"]), "rej"));
  items.push(...belowOf(random, frame, "b2", "acc2", random.pick(["rej", "reta"])));
  items.push(
    { code: RET_K, k: random.pick([262144, 0xffffffff, 1]), label: "acc" },
    { code: RET_K, k: 0, label: "rej" },
    { code: RET_A, label: "reta" },
    { code: RET_K, k: random.pick([0xffff, 96, random.uint32()]), label: "acc2" },
  );
  return { items, frame };
}

/** An ALU step (on K or X) with edge operands, or `neg`. */
function aluOf(random: _Random): Item {
  const op = random.pick(ALU_OPS);
  if (random.chance(0.4)) return { code: 0x0c | op }; // on X
  if (random.chance(0.05)) return { code: NEG };
  let k: number;
  if (op === 0x60 || op === 0x70) k = random.pick([0, 1, 2, 8, 16, 24, 31, random.int(32)]);
  else {
    k = random.pick([
      ...BOUNDS,
      3,
      5,
      7,
      10,
      255,
      256,
      0xffff,
      2 ** random.int(32),
      random.uint32(),
    ]);
    if ((op === 0x30 || op === 0x90) && k === 0) k = random.pick([1, 3, 0x80000000]);
  }
  return { code: 0x04 | op, k: k >>> 0 };
}

/** A step that sets X, A or a cell, or loads (at times past the end or in a negative window). */
function otherStepOf(random: _Random, frame: Uint8Array, dynamic = false): Item[] {
  // A word of the frame (often past 2^31) into A or X, where the optimiser cannot fold it.
  const word = (): Item => ({ code: LD_W, k: random.int(Math.max(1, frame.length - 3)) });
  switch (random.int(12)) {
    case 0:
      if (dynamic) return random.pick([[word(), { code: TAX }], [{ code: LDX_MEM, k: 0 }]]);
      return [{ code: LDX_IMM, k: random.pick(X_EDGES) }];
    case 1:
      return [{
        code: LDX_MSH,
        k: random.pick([
          14,
          18,
          0,
          frame.length - 1,
          frame.length,
          0x7fffffff,
          SKF_NET + 2,
          SKF_LL,
        ]),
      }];
    case 2:
      return [{ code: TAX }];
    case 3:
      return [{ code: TXA }];
    case 4: {
      const cell = random.int(16);
      return [{ code: random.pick([ST, STX]), k: cell }];
    }
    case 5:
      return [{ code: random.pick([LD_MEM, LDX_MEM]), k: random.int(16) }];
    case 6:
      return [{ code: random.pick([LD_LEN, LDX_LEN]) }];
    case 7:
      if (dynamic) return [word()];
      return [{ code: LD_IMM, k: random.pick([...BOUNDS, ...X_EDGES]) }];
    case 8: {
      // `[x + k]` at windows and wraps.
      const k = random.pick([
        0,
        14,
        SKF_NET,
        SKF_NET + random.int(40),
        SKF_LL + random.int(20),
        SKF_AD,
        0xffffffff,
        0x80000000,
        0x7ffffffe,
        frame.length - 1,
      ]) >>> 0;
      return [{ code: LD_IND[random.pick([1, 2, 4])], k }];
    }
    case 9:
      return [{ code: LD_ABS[random.pick([1, 2, 4])], k: random.int(frame.length + 4) }];
    case 10:
      return [{
        code: LD_ABS[random.pick([1, 2, 4])],
        k: random.pick([
          SKF_NET + random.int(30),
          SKF_LL + random.int(20),
          // ancillary: protocol, ifindex and hatype (no device: the program ends returning A),
          // xor_x, VLAN tag, present
          SKF_AD,
          SKF_AD + 8,
          SKF_AD + 8,
          SKF_AD + 28,
          SKF_AD + 40,
          SKF_AD + 44,
          SKF_AD + 48,
        ]) >>> 0,
      }];
    default:
      return [{ code: LD_IND[random.pick([1, 2, 4])], k: random.int(64) }];
  }
}

/**
 * Every scratch cell set before the program reads one (`validate()` refuses a read of a cell not
 * yet stored): from a constant, `len`, a field, or X.
 */
function cellsSet(random: _Random, frame: Uint8Array): Item[] {
  const items: Item[] = [];
  for (let cell = 0; cell < 16; cell++) {
    if (cell === 0 || random.chance(0.3)) {
      items.push(
        random.pick<Item>([
          { code: LD_IMM, k: random.pick([...BOUNDS, ...X_EDGES]) },
          { code: LD_LEN },
          { code: LD_ABS[random.pick([1, 2, 4])], k: random.int(frame.length + 1) },
        ]),
      );
    }
    items.push({ code: random.chance(0.8) ? ST : STX, k: cell });
  }
  return items;
}

/** Long chains of ALU steps with tests between them (see the module doc). */
function aluSteps(random: _Random): _S21Draft {
  const frame = frameOf(random);
  const items: Item[] = cellsSet(random, frame);
  const blocks = 1 + random.int(random.chance(0.3) ? 12 : 4);
  // Operands from the frame at times (words past 2^31 in A and X), not constants folded away.
  const dynamic = random.chance(0.5);
  for (let b = 0; b < blocks; b++) {
    const steps = 1 + random.int(random.chance(0.3) ? 40 : 10);
    const block: Item[] = [];
    for (let i = 0; i < steps; i++) {
      if (random.chance(0.6)) block.push(aluOf(random));
      else block.push(...otherStepOf(random, frame, dynamic));
    }
    block[0] = { ...block[0], label: `b${b}` };
    items.push(...block);
    if (b + 1 < blocks) {
      const value = valueOf(items, frame);
      const later = () =>
        random.chance(0.7)
          ? `b${b + 1}`
          : random.pick([`b${b + 1 + random.int(blocks - b - 1)}`, "r1", "r2", "r3"]);
      const code = random.pick([JEQ, JGT, JGE, JSET, JA]) | (random.chance(0.3) ? 8 : 0);
      if (code === JA || code === (JA | 8)) items.push({ code: JA, k: 0 });
      else {
        items.push({
          code,
          k: random.pick([value, (value + 1) >>> 0, (value - 1) >>> 0, ...BOUNDS]),
          t: later(),
          f: later(),
        });
      }
    }
  }
  items.push(
    ...random.pick<Item[]>([[{ code: RET_A }], [{ code: TXA }, { code: RET_A }], [{
      code: RET_K,
      k: 7,
    }]]),
    { code: RET_K, k: random.pick([1, 0xffffffff]), label: "r1" },
    { code: RET_A, label: "r2" },
    { code: RET_K, k: 0, label: "r3" },
  );
  // At times every return is `ret #0`: the program returns 0 but where an ancillary load that
  // needs a device ends it returning A.
  if (random.chance(0.15)) {
    for (const item of items) if ((item.code & 7) === 6) Object.assign(item, { code: RET_K, k: 0 });
    for (let i = items.length - 4; i >= 0; i--) {
      if (items[i].code === TXA && items[i + 1].code === RET_K) items.splice(i, 1);
    }
  }
  return { items, frame };
}

/** What `items` leave in A on `frame`, jumps dropped (0 when it fails): for near constants. */
function valueOf(items: Item[], frame: Uint8Array): number {
  try {
    const plain = items.filter(({ code }) => (code & 7) !== 5 && (code & 7) !== 6)
      .map(({ code, k }) => ({ code, jt: 0, jf: 0, k: (k ?? 0) >>> 0 }));
    return interpret([...plain, { code: RET_A, jt: 0, jf: 0, k: 0 }], frame);
  } catch {
    return 0;
  }
}

/**
 * 100–700 instructions of small blocks whose jumps reach far forward (see
 * the module doc); built as instructions, each jump's offsets drawn to land
 * in the program.
 */
function longJumps(random: _Random): { program: Instruction[]; frame: Uint8Array } {
  const frame = frameOf(random);
  const length = 100 + random.int(random.chance(0.3) ? 600 : 250);
  const program: Instruction[] = cellsSet(random, frame).map(({ code, k }) => ({
    code,
    jt: 0,
    jf: 0,
    k: (k ?? 0) >>> 0,
  }));
  const returns = 4;
  const body = length - returns;
  for (let pc = program.length; pc < body; pc++) {
    const room = body + returns - pc - 1; // instructions after this one
    const r = random.int(10);
    const far = () =>
      Math.min(room - 1, random.pick([0, 1, 2, random.int(256), 255, 254, random.int(room)]));
    if (r < 3 && room > 1) {
      const code = random.pick([JEQ, JGT, JGE, JSET]) | (random.chance(0.2) ? 8 : 0);
      const jt = Math.min(255, far()), jf = Math.min(255, far());
      const k = random.pick([0, 0x800, 6, 17, 80, 443, random.int(256), random.uint32()]);
      program.push({ code, jt, jf, k: k >>> 0 });
    } else if (r < 4 && room > 1) {
      program.push({ code: JA, jt: 0, jf: 0, k: far() });
    } else if (r < 6) {
      const step = random.chance(0.5) ? aluOf(random) : random.pick(otherStepOf(random, frame));
      program.push({ code: step.code, jt: 0, jf: 0, k: (step.k ?? 0) >>> 0 });
    } else {
      const size = random.pick([1, 2, 4]);
      const k = random.pick([12, 14, 23, 26, 30, 34, 36, random.int(frame.length + 3)]);
      program.push({ code: random.chance(0.8) ? LD_ABS[size] : LD_IND[size], jt: 0, jf: 0, k });
    }
  }
  program.push(
    { code: RET_A, jt: 0, jf: 0, k: 0 },
    { code: RET_K, jt: 0, jf: 0, k: 0 },
    { code: TXA, jt: 0, jf: 0, k: 0 },
    { code: RET_A, jt: 0, jf: 0, k: 0 },
  );
  return { program, frame };
}

/**
 * Straight runs of loads most of which nothing reads (A loaded again before any use), with X a
 * header length (`ldx msh` at a byte whose nibble is 0, 5 or 15) or from `tax`: `[k]` loads,
 * `[x + k]` ones whose end lies 60 bytes (± 1) before a `[k]` load's, `ldx msh` again, a jump
 * target among them at times; the frame cut at or one byte before a load's end at times.
 */
function coveredLoads(random: _Random): _S21Draft {
  const frame = frameOf(random);
  const at = random.pick([14, 14, 18, 0]);
  if (at < frame.length) frame[at] = (frame[at] & 0xf0) | random.pick([15, 15, 5, 0, 6]);
  const items: Item[] = [{ code: LDX_MSH, k: at }];
  const ends: number[] = [];
  const n = 2 + random.int(8);
  for (let i = 0; i < n; i++) {
    const size = random.pick([1, 2, 4]);
    const r = random.int(8);
    if (r < 3 || ends.length === 0) {
      const k = random.pick([20, 23, 26, 34, 60, 74, 78, 80, random.int(frame.length + 4)]);
      items.push({ code: LD_ABS[size], k });
      ends.push(k + size);
    } else if (r < 6) {
      // An `[x + k]` load ending 60 bytes (or 59, 61) before an earlier or later `[k]` end.
      const end = random.pick(ends) - random.pick([60, 60, 59, 61, 0, 4]);
      items.push({ code: LD_IND[size], k: Math.max(0, end - size) });
    } else if (r < 7) {
      items.push(
        random.pick<Item>([{ code: LDX_MSH, k: random.pick([at, 14, 18]) }, { code: TAX }]),
      );
    } else {
      // A test whose one target is the next load (a jump target between the loads).
      items.push({ code: random.pick([JEQ, JGT, JSET]), k: random.pick([0, 5, 0x45]), f: "rej" });
    }
  }
  if (random.chance(0.3)) items.push({ code: random.pick([LD_LEN, LD_IMM]), k: 7 });
  items.push({ code: RET_A }, { code: RET_K, k: 0, label: "rej" });
  if (random.chance(0.5)) {
    const end = random.pick(ends) + random.pick([0, -1, 60, 59, -60]);
    if (end >= 0 && end < frame.length) return { items, frame: frame.slice(0, end) };
  }
  return { items, frame };
}

/**
 * `ether host A or ether host B …` (each the source's pair, word at 8 then half-word at 6, then
 * the destination's at 2 and 0), `ether broadcast`, `ether src A and ether dst B`, and `ip6 net
 * X/64` (two adjacent words): 2 to 14 equality pairs on a path, each test's sense drawn alone;
 * the frame holds one of the addresses, one bit off in either part, or is cut inside them.
 */
function etherPairs(random: _Random): _S21Draft {
  const frame = frameOf(random);
  const macs = Array.from({ length: 1 + random.int(4) }, () =>
    random.pick([
      [0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
      [0x00, 0x1b, 0x21, 0x3a, 0x4b, 0x5c],
      [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01],
      [0x80, 0, 0, 0, 0, 1],
      Array.from({ length: 6 }, () => random.int(256)),
    ]));
  const items: Item[] = [];
  const alternatives = 1 + random.int(random.chance(0.5) ? 7 : 3);
  const conjunction = random.chance(0.25);
  let pair = 0;
  // The word first, then the half-word before it (tcpdump's), or after it (either way a pair).
  const after = random.chance(0.35);
  // Where each pair's second load starts: the frame is cut inside one at times.
  const seconds: number[] = [];
  const pairOf = (offset: number, words: number[], size: number, pass: string, fail: string) => {
    const label = `p${pair++}`;
    const positive = [random.chance(0.8), random.chance(0.8)];
    const second = `${label}b`;
    // A half-word or a byte: before the word or after it; a word: after it.
    const firstAt = offset + (size < 4 && !after ? size : 0);
    const secondAt = size < 4 ? (after ? offset + 4 : offset) : offset + 4;
    seconds.push(secondAt + random.int(size)); // a cut there fails the second load
    // At times a test masked (`ip6 net X/56`'s last word, a multicast bit): no equality pair.
    const masked = (): Item[] => {
      if (!random.chance(0.12)) return [];
      const mask = random.pick([0xffffff00, 0xff00, 0x01000000, 0xfffffffe, 0x7fffffff]);
      return [{ code: 0x54, k: mask >>> 0 }];
    };
    const [m0, m1] = [masked(), masked()];
    const [w0, w1] = [
      m0.length > 0 && random.chance(0.7) ? (words[0] & m0[0].k!) >>> 0 : words[0],
      m1.length > 0 && random.chance(0.7) ? (words[1] & m1[0].k!) >>> 0 : words[1],
    ];
    // At times a range test (`jgt`/`jge` on the value ± 1): no equality pair either.
    const [c0, c1] = [0, 1].map(() => random.chance(0.9) ? JEQ : random.pick([JGT, JGE]));
    const near = (w: number, code: number) =>
      code === JEQ ? w : (w + random.pick([0, 1, -1])) >>> 0;
    items.push(
      { code: LD_W, k: firstAt, label },
      ...m0,
      {
        code: c0,
        k: near(w0, c0),
        t: positive[0] ? second : fail,
        f: positive[0] ? fail : second,
      },
      { code: LD_ABS[size], k: secondAt, label: second },
      ...m1,
      { code: c1, k: near(w1, c1), t: positive[1] ? pass : fail, f: positive[1] ? fail : pass },
    );
  };
  for (let h = 0; h < alternatives; h++) {
    const next = h + 1 < alternatives ? `p${pair + (random.chance(0.2) ? 2 : 4)}` : "rej";
    if (random.chance(0.2)) {
      // `ip6 net X/64` on the source or destination: two adjacent words.
      const at = random.pick([22, 38, 26]);
      const words = [fieldOf(frame, at, 4), fieldOf(frame, at + 4, 4)]
        .map((w) => random.chance(0.7) ? w : (w ^ (1 << random.int(32))) >>> 0);
      pairOf(at, words, 4, conjunction ? `p${pair + 1}` : "hit", next);
      pairOf(at, words, 4, "hit", next);
      continue;
    }
    if (random.chance(0.15)) {
      // A word and a byte next to it (no equality pair of either kind).
      const at = random.int(Math.max(1, frame.length - 4));
      const words = after
        ? [fieldOf(frame, at, 4), fieldOf(frame, at + 4, 1)]
        : [fieldOf(frame, at + 1, 4), fieldOf(frame, at, 1)];
      if (random.chance(0.3)) words[1] ^= 1;
      pairOf(at, words, 1, conjunction ? `p${pair + 1}` : "hit", next);
      pairOf(at, words, 1, "hit", next);
      continue;
    }
    const mac = random.pick(macs);
    const words = after
      ? [((mac[0] << 24) | (mac[1] << 16) | (mac[2] << 8) | mac[3]) >>> 0, (mac[4] << 8) | mac[5]]
      : [((mac[2] << 24) | (mac[3] << 16) | (mac[4] << 8) | mac[5]) >>> 0, (mac[0] << 8) | mac[1]];
    const dirs = random.pick([[6, 0], [0, 6], [0], [6]]);
    dirs.forEach((at, d) => {
      const last = d === dirs.length - 1;
      const pass = conjunction && !last ? `p${pair + 1}` : "hit";
      const fail = conjunction || last ? next : `p${pair + 1}`;
      pairOf(at, words, 2, pass, fail);
    });
    // Pad so that `next` (two or four pairs on) always names a pair or `rej`.
    if (dirs.length === 1) pairOf(dirs[0] === 0 ? 6 : 0, words, 2, "hit", next);
  }
  items.push(
    ...(random.chance(0.5)
      ? [{ code: LD_B, k: 23, label: "hit" }, { code: JEQ, k: 6, t: "acc", f: "rej" }]
      : [{ code: RET_A, label: "hit" }]),
    { code: RET_K, k: 262144, label: "acc" },
    { code: RET_K, k: 0, label: "rej" },
  );
  // Labels past the last pair: `rej`.
  for (const item of items) {
    for (const edge of ["t", "f"] as const) {
      const to = item[edge];
      if (to !== undefined && /^p\d+$/.test(to) && Number(to.slice(1)) >= pair) item[edge] = "rej";
    }
  }
  // The frame holds an address (or one bit off) at 0 or 6, or is cut inside them.
  const mac = random.pick(macs).slice();
  if (random.chance(0.3)) mac[random.int(6)] ^= 1 << random.int(8);
  const at = random.pick([0, 6]);
  mac.forEach((b, i) => at + i < frame.length && (frame[at + i] = b));
  const cut = random.chance(0.2)
    ? random.pick([...seconds, ...seconds, 5, 6, 7, 8, 11, 12, 13, 14, 26, 29, 30])
    : -1;
  return { items, frame: cut >= 0 && cut < frame.length ? frame.slice(0, cut) : frame };
}

/** The kinds, by name. */
export const _S21_KINDS = {
  "pairs": pairs,
  "alu steps": aluSteps,
  "covered loads": coveredLoads,
  "ether pairs": etherPairs,
} as const;

/** A kind's name (`long jumps` is drawn as instructions). */
export type _S21Kind = keyof typeof _S21_KINDS | "long jumps";

/** Every kind. */
export const _S21_KIND_NAMES: readonly _S21Kind[] = [
  "pairs",
  "ether pairs",
  "alu steps",
  "long jumps",
  "covered loads",
];

/**
 * A program of `kind` and its frame; the program is undefined when a jump
 * does not reach (past 255 instructions); `validate()` decides the rest.
 */
export function _s21ProgramOf(
  random: _Random,
  kind: _S21Kind,
): { program: Instruction[] | undefined; frame: Uint8Array } {
  if (kind === "long jumps") return longJumps(random);
  const { items, frame } = _S21_KINDS[kind](random);
  const program = assemble(items);
  const fits = program.every(({ code, jt, jf }) =>
    (code & 7) !== 5 || code === JA || (jt >= 0 && jt <= 255 && jf >= 0 && jf <= 255)
  );
  return { program: fits && program.length <= 4096 ? program : undefined, frame };
}
