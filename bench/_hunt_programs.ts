/**
 * Hand-made classic BPF programs of kinds libpcap's compiler never emits
 * (private, for bench/engine_program_hunt.ts): long ALU chains, scratch
 * memory traffic, `ldx msh` and indirect loads, `tax`/`txa`, `len`, jumps
 * over long distances, long straight programs, long compare chains, tiny
 * programs. Every program passes the kernel's checks (`validate()`), uses
 * only instructions libpcap's `bpf_filter` runs (no ancillary loads), and
 * means the same to libpcap and to the kernel: no shift by an X that could be
 * 32 or more (C leaves it undefined), no scratch cell read before it is
 * written.
 *
 * @module
 */
import type { Instruction } from "./_libpcap_ffi.ts";
import type { SeededRandom } from "./_seeded_random.ts";

// Opcodes (src/bpf/opcodes.ts spells out the fields).
const LD_W = 0x20, LD_H = 0x28, LD_B = 0x30, LD_IND_W = 0x40, LD_IND_H = 0x48, LD_IND_B = 0x50;
const LD_LEN = 0x80, LD_IMM = 0x00, LD_MEM = 0x60, LDX_IMM = 0x01, LDX_MEM = 0x61;
const LDX_LEN = 0x81, LDX_MSH = 0xb1, ST = 0x02, STX = 0x03, TAX = 0x07, TXA = 0x87;
const RET_K = 0x06, RET_A = 0x16, JA = 0x05, JEQ = 0x15, JGT = 0x25, JGE = 0x35, JSET = 0x45;
const ALU_K = [0x04, 0x14, 0x24, 0x34, 0x44, 0x54, 0x64, 0x74, 0x94, 0xa4]; // add..xor, K
const ALU_X = [0x0c, 0x1c, 0x2c, 0x3c, 0x4c, 0x5c, 0x9c, 0xac]; // add..xor without shifts, X
const NEG = 0x84, LSH_X = 0x6c, RSH_X = 0x7c;
const JUMPS = [JEQ, JGT, JGE, JSET];

/** A generated program and the kind that made it. */
export interface HuntProgram {
  kind: string;
  name: string;
  program: Instruction[];
}

function ins(code: number, k = 0, jt = 0, jf = 0): Instruction {
  return { code, jt, jf, k: k >>> 0 };
}

/**
 * A load from the headers (the first 56 bytes, inside every frame of the
 * captures), or with `far` now and then from far past a small frame (the
 * program then returns 0 there).
 */
function loadAbsolute(r: SeededRandom, far = true): Instruction {
  const code = r.pick([LD_W, LD_H, LD_B]);
  return ins(code, far && r.chance(0.03) ? r.between(100, 1600) : r.between(0, 52));
}

/** An ALU operation on A; a shift by X comes with an `ldx #k` below 32 before it. */
function aluOperation(r: SeededRandom): Instruction[] {
  const choice = r.below(20);
  if (choice < 10) {
    const code = r.pick(ALU_K);
    const op = code & 0xf0;
    if (op === 0x60 || op === 0x70) return [ins(code, r.below(32))];
    if (op === 0x30 || op === 0x90) return [ins(code, r.between(1, 1000))];
    return [ins(code, r.chance(0.5) ? r.below(256) : r.next())];
  }
  if (choice < 17) return [ins(r.pick(ALU_X))];
  if (choice < 18) return [ins(NEG)];
  return [ins(LDX_IMM, r.below(32)), ins(r.pick([LSH_X, RSH_X]))];
}

/** A test on A against K or X that jumps forward by at most `reach` (both targets). */
function test(r: SeededRandom, reach: number): Instruction {
  const code = r.pick(JUMPS) | (r.chance(0.2) ? 0x08 : 0);
  const k = r.chance(0.5) ? r.below(256) : r.pick([0x800, 0x86dd, 6, 17, 80, 443, r.next()]);
  return ins(code, k, r.below(reach + 1), r.below(reach + 1));
}

/** The end of a program: a test on A whose targets return, or `ret a`. */
function ending(r: SeededRandom): Instruction[] {
  if (r.chance(0.2)) return [ins(RET_A)];
  return [
    { ...test(r, 0), jt: 0, jf: 1 },
    ins(RET_K, r.pick([1, 0xffff, 0xffffffff])),
    ins(RET_K, 0),
  ];
}

/** Writes every scratch cell from a header field, so any later read is defined. */
function scratchWritten(r: SeededRandom): Instruction[] {
  const out: Instruction[] = [];
  for (let cell = 0; cell < 16; cell++) {
    if (cell % 4 === 0) out.push(loadAbsolute(r));
    out.push(ins(r.chance(0.5) ? ST : STX, cell));
  }
  return out;
}

/** Instructions of one straight (jump-free) step, drawn by `weights` of the categories. */
function straightStep(r: SeededRandom, weights: Weights, far: boolean): Instruction[] {
  const category = pickWeighted(r, weights);
  switch (category) {
    case "load":
      return [loadAbsolute(r, far)];
    case "alu":
      return aluOperation(r);
    case "scratch":
      return [ins(r.pick([ST, STX, LD_MEM, LDX_MEM]), r.below(16))];
    case "indirect":
      return [
        ins(LDX_MSH, r.pick([14, 18, 14, 22])),
        ins(r.pick([LD_IND_W, LD_IND_H, LD_IND_B]), r.between(14, 60)),
      ];
    case "registers":
      return [ins(r.pick([TAX, TXA]))];
    case "len":
      return [ins(r.pick([LD_LEN, LDX_LEN]))];
    default:
      return [ins(r.pick([LD_IMM, LDX_IMM]), r.below(4096))];
  }
}

type Category = "load" | "alu" | "scratch" | "indirect" | "registers" | "len" | "imm";
type Weights = Partial<Record<Category | "test" | "ja" | "ret", number>>;

function pickWeighted<T extends string>(r: SeededRandom, weights: Partial<Record<T, number>>): T {
  const entries = Object.entries(weights) as [T, number][];
  let left = r.below(entries.reduce((sum, [, w]) => sum + w, 0));
  for (const [name, weight] of entries) {
    left -= weight;
    if (left < 0) return name;
  }
  return entries[0][0];
}

/**
 * A program of about `length` instructions: scratch cells written first (if
 * `weights` has scratch traffic), then steps drawn by `weights` (tests and
 * `ja` jump forward by at most `reach`, `ret` returns mid-program), then an
 * ending. `far`: loads may read far past small frames.
 */
function randomProgram(
  r: SeededRandom,
  length: number,
  weights: Weights,
  reach: number,
  far = true,
) {
  const body: Instruction[] = weights.scratch ? scratchWritten(r) : [];
  const target = Math.max(length, body.length + 4) - 3;
  while (body.length < target) {
    const what = pickWeighted(r, { step: 10, ...pickJumps(weights) });
    if (what === "test") body.push(test(r, reach));
    else if (what === "ja") body.push(ins(JA, r.below(reach + 1)));
    else if (what === "ret") body.push(ins(r.chance(0.7) ? RET_K : RET_A, r.pick([0, 1, 0xffff])));
    else body.push(...straightStep(r, weights, far));
  }
  const program = [...body, ...ending(r)];
  return clampJumps(program);
}

function pickJumps(weights: Weights): Partial<Record<"test" | "ja" | "ret", number>> {
  return { test: weights.test ?? 0, ja: weights.ja ?? 0, ret: weights.ret ?? 0 };
}

/** Keeps every jump inside the program (the last instruction is a `ret`). */
function clampJumps(program: Instruction[]): Instruction[] {
  const last = program.length - 1;
  return program.map((insn, pc) => {
    const room = last - pc - 1;
    if (insn.code === JA) return { ...insn, k: Math.min(insn.k, room) };
    if ((insn.code & 0x07) !== 0x05) return insn;
    return { ...insn, jt: Math.min(insn.jt, room, 255), jf: Math.min(insn.jf, room, 255) };
  });
}

const STRAIGHT: Weights = { load: 3, alu: 6, scratch: 3, indirect: 1, registers: 1, len: 1 };

/** The hand-made kinds: name, sizes, maker. */
export const HAND_MADE_KINDS: readonly {
  kind: string;
  sizes: [number, number];
  make: (r: SeededRandom, size: number) => Instruction[] | Labelled;
}[] = [
  {
    kind: "tiny",
    sizes: [1, 4],
    make: (r) => tinyProgram(r),
  },
  {
    kind: "alu-chain",
    sizes: [4, 600],
    make: (r, size) => {
      const body = [r.chance(0.2) ? ins(LD_LEN) : loadAbsolute(r), ins(LDX_IMM, r.between(1, 9))];
      while (body.length < size - 3) body.push(...aluOperation(r));
      if (r.chance(0.3)) body.splice(r.between(1, body.length - 1), 0, ins(TAX));
      return [...body, ...ending(r)];
    },
  },
  {
    kind: "scratch",
    sizes: [20, 600],
    make: (r, size) => randomProgram(r, size, { scratch: 6, alu: 2, load: 1, registers: 1 }, 0),
  },
  {
    kind: "msh-indirect",
    sizes: [4, 400],
    make: (r, size) => randomProgram(r, size, { indirect: 5, alu: 1, test: 2 }, 8),
  },
  {
    kind: "tax-txa",
    sizes: [4, 400],
    make: (r, size) => randomProgram(r, size, { registers: 6, alu: 3, load: 1 }, 0),
  },
  {
    kind: "len",
    sizes: [3, 200],
    make: (r, size) => randomProgram(r, size, { len: 5, alu: 2, test: 3 }, 4),
  },
  {
    kind: "jumps-far",
    sizes: [40, 2000],
    make: (r, size) => randomProgram(r, size, { ...STRAIGHT, test: 8, ja: 2, ret: 0 }, 255),
  },
  {
    kind: "jumps-near",
    sizes: [10, 600],
    make: (r, size) => randomProgram(r, size, { load: 4, alu: 2, test: 10, ja: 1, ret: 1 }, 6),
  },
  {
    kind: "ja-hops",
    sizes: [20, 4000],
    make: (r, size) => randomProgram(r, size, { ...STRAIGHT, ja: 3 }, 255),
  },
  {
    kind: "straight-long",
    sizes: [1000, 4096],
    make: (r, size) => randomProgram(r, size, STRAIGHT, 0, false),
  },
  {
    kind: "op-runs",
    sizes: [40, 400],
    make: (r, size) => opRun(r, size),
  },
  {
    kind: "compare-chain",
    sizes: [4, 250],
    make: (r, size) => compareChain(r, size),
  },
  {
    kind: "random-mix",
    sizes: [6, 800],
    make: (r, size) => randomProgram(r, size, { ...STRAIGHT, imm: 1, test: 6, ja: 1, ret: 1 }, 30),
  },
];

/** Operations that `op-runs` repeats, each as the instructions of one repetition. */
const REPEATED: readonly [string, (r: SeededRandom) => Instruction[]][] = [
  ...["add", "sub", "mul", "div", "or", "and", "lsh", "rsh", "mod", "xor"].map((name, i) =>
    [`${name} #k`, (r: SeededRandom) => {
      const code = ALU_K[i];
      const k = name === "lsh" || name === "rsh" ? r.below(32) : r.between(1, 1000);
      return [ins(code, k)];
    }] as [string, (r: SeededRandom) => Instruction[]]
  ),
  ...["add", "sub", "mul", "div", "or", "and", "mod", "xor"].map((name, i) =>
    [`${name} x`, () => [ins(ALU_X[i])]] as [string, (r: SeededRandom) => Instruction[]]
  ),
  ["neg", () => [ins(NEG)]],
  ["ld [k]", (r) => [loadAbsolute(r, false)]],
  [
    "ldx msh; ld [x + k]",
    (r) => [ins(LDX_MSH, 14), ins(r.pick([LD_IND_W, LD_IND_H, LD_IND_B]), 20)],
  ],
  ["st; ld M", (r) => [ins(ST, r.below(16)), ins(LD_MEM, r.below(16))]],
  ["tax; txa", () => [ins(TAX), ins(TXA)]],
  ["ld len", () => [ins(LD_LEN)]],
  ["ld #k", (r) => [ins(LD_IMM, r.next())]],
  ["ja 0", () => [ins(JA, 0)]],
  ["jeq #k not taken", (r) => [ins(JEQ, 0x7fffffff - r.below(100), 0, 0)]],
  [
    "ld [k]; jgt #k; ld #k",
    (r) => [loadAbsolute(r, false), ins(JGT, r.below(256), 1, 0), ins(LD_IMM, 1)],
  ],
];

/** One operation repeated (named in the label): the cost of each operation alone. */
function opRun(r: SeededRandom, size: number): Labelled {
  const [name, repeat] = r.pick(REPEATED);
  const body = [...scratchWritten(r), loadAbsolute(r, false), ins(LDX_IMM, r.between(1, 9))];
  while (body.length < size) body.push(...repeat(r));
  return { program: [...body, ins(RET_A)], label: name };
}

/** A program with a label for its name. */
type Labelled = { program: Instruction[]; label: string };

/** A 1–4 instruction program (`ret #k`, `ret a` of a load or `len`, one test). */
function tinyProgram(r: SeededRandom): Instruction[] {
  const load = r.chance(0.25) ? ins(LD_LEN) : loadAbsolute(r);
  switch (r.below(4)) {
    case 0:
      return [ins(RET_K, r.pick([0, 1, 0xffffffff]))];
    case 1:
      return [load, ins(RET_A)];
    case 2:
      return [load, ...aluOperation(r).slice(-1), ins(RET_A)].slice(0, 3);
    default:
      return [load, test(r, 1), ins(RET_K, r.pick([1, 0xffff])), ins(RET_K, 0)];
  }
}

/**
 * One field, then `size` tests on it that each either accept or go on (a
 * list of values, or a ladder of `jgt`/`jge` bounds), as a port or protocol
 * list is written by hand.
 */
function compareChain(r: SeededRandom, size: number): Instruction[] {
  const field = r.pick([ins(LD_B, 23), ins(LD_H, 12), ins(LD_H, 36), ins(LD_W, 26), ins(LD_H, 34)]);
  const tests = Math.max(1, size - 3);
  const code = r.pick([JEQ, JEQ, JGT, JGE, JSET]);
  const body = [field];
  for (let i = 0; i < tests; i++) {
    const k = code === JSET ? 1 << r.below(16) : r.pick([r.below(256), r.below(65536), r.next()]);
    // Accept at the `ret` after the last test, or go on to the next test.
    const accept = tests - i;
    body.push(r.chance(0.5) ? ins(code, k, accept, 0) : ins(code, k, 0, accept));
  }
  return clampJumps([...body, ins(RET_K, 0), ins(RET_K, r.pick([1, 0xffff]))]);
}

/** `count` programs of `kind`, sizes log-uniform in the kind's range. */
export function handMadePrograms(r: SeededRandom, kind: string, count: number): HuntProgram[] {
  const maker = HAND_MADE_KINDS.find((k) => k.kind === kind);
  if (maker === undefined) throw new Error(`unknown kind "${kind}"`);
  return Array.from({ length: count }, (_, i) => {
    const size = r.logBetween(maker.sizes[0], maker.sizes[1]);
    const made = maker.make(r, size);
    const { program, label } = Array.isArray(made) ? { program: made, label: "" } : made;
    const fitted = program.slice(0, 4096);
    if (fitted.length === 4096) fitted[4095] = ins(RET_A);
    const name = label ? `${kind} #${i}: ${label}` : `${kind} #${i}`;
    return { kind, name, program: clampJumps(fitted) };
  });
}
