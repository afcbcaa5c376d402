/**
 * Test helper: seeded generators of the programs and u32 expressions the
 * kernel tables are made of (random valid programs, invalid programs,
 * ancillary probes, u32 expressions).
 */
import type { Instruction } from "../../src/bpf/instruction.ts";

/** A seeded PRNG (mulberry32): uint32 values, deterministic per seed. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

const SKF_AD_OFF = 0xfffff000;
const SKF_NET_OFF = 0xfff00000;
const SKF_LL_OFF = 0xffe00000;

/** Ancillary offsets (`SKF_AD_*`) by name. */
export const SKF_AD = {
  PROTOCOL: 0,
  PKTTYPE: 4,
  IFINDEX: 8,
  NLATTR: 12,
  NLATTR_NEST: 16,
  MARK: 20,
  QUEUE: 24,
  HATYPE: 28,
  RXHASH: 32,
  CPU: 36,
  ALU_XOR_X: 40,
  VLAN_TAG: 44,
  VLAN_TAG_PRESENT: 48,
  PAY_OFFSET: 52,
  RANDOM: 56,
  VLAN_TPID: 60,
} as const;

/** Ancillary loads whose value is fixed by the packet and the harness's context. */
const DETERMINISTIC_AD = [
  SKF_AD.PROTOCOL,
  SKF_AD.PKTTYPE,
  SKF_AD.IFINDEX,
  SKF_AD.NLATTR,
  SKF_AD.NLATTR_NEST,
  SKF_AD.MARK,
  SKF_AD.HATYPE,
  SKF_AD.ALU_XOR_X,
  SKF_AD.VLAN_TAG,
  SKF_AD.VLAN_TAG_PRESENT,
  SKF_AD.PAY_OFFSET,
  SKF_AD.VLAN_TPID,
];

/** The 49 opcodes Linux's classic checker allows (`chk_code_allowed`). */
export const ALLOWED_OPCODES: readonly number[] = [
  // ALU: ADD SUB MUL DIV OR AND LSH RSH MOD XOR with K and X, NEG.
  ...[0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0].flatMap((op) => [
    0x04 | op,
    0x04 | op | 0x08,
  ]),
  0x84,
  // LD: W/H/B ABS, W/H/B IND, W LEN, IMM, MEM.
  0x20,
  0x28,
  0x30,
  0x40,
  0x48,
  0x50,
  0x80,
  0x00,
  0x60,
  // LDX: W LEN, B MSH, IMM, MEM.
  0x81,
  0xb1,
  0x01,
  0x61,
  // ST, STX, TAX, TXA, RET K, RET A.
  0x02,
  0x03,
  0x07,
  0x87,
  0x06,
  0x16,
  // JMP: JA, JEQ/JGT/JGE/JSET with K and X.
  0x05,
  0x15,
  0x1d,
  0x25,
  0x2d,
  0x35,
  0x3d,
  0x45,
  0x4d,
];

/** `N,code jt jf k,...` — the iptables `--bytecode` form. */
export function toBytecode(program: readonly Instruction[]): string {
  return `${program.length},` +
    program.map((i) => `${i.code} ${i.jt} ${i.jf} ${i.k >>> 0}`).join(",");
}

/** Parses the iptables `--bytecode` form (test data only; strict enough). */
export function fromBytecode(text: string): Instruction[] {
  const parts = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const program = parts.slice(1).map((p) => {
    const [code, jt, jf, k] = p.split(/\s+/).map(Number);
    return { code, jt, jf, k: k >>> 0 };
  });
  if (program.length !== Number(parts[0])) throw new Error(`Cannot parse bytecode: ${text}`);
  return program;
}

function _pick<T>(rng: () => number, items: readonly T[]): T {
  return items[rng() % items.length];
}

/** A constant likely to meet packet values (or not). */
function _constant(rng: () => number): number {
  switch (rng() % 8) {
    case 0:
      return 0;
    case 1:
      return rng() % 4;
    case 2:
      return _pick(rng, [0x0800, 0x86dd, 6, 17, 1, 58, 0x45, 0x60, 0x40, 0x11, 0x1fff, 0x3fff, 80]);
    case 3:
      return rng() % 256;
    case 4:
      return rng() % 65536;
    case 5:
      return 1 << (rng() % 32) >>> 0;
    default:
      return rng();
  }
}

/** A packet offset for a load: mostly inside a header, sometimes far out or negative. */
function _offset(rng: () => number): number {
  switch (rng() % 12) {
    case 0:
      return (SKF_NET_OFF + (rng() % 72)) >>> 0;
    case 1:
      return (SKF_LL_OFF + (rng() % 90)) >>> 0;
    case 2:
      return (SKF_AD_OFF + _pick(rng, DETERMINISTIC_AD)) >>> 0;
    case 3:
      return 60 + (rng() % 1500);
    case 4:
      return rng() % 65600;
    default:
      return rng() % 64;
  }
}

/** An IND offset `k` (added to X as int32 at run time). */
function _indirectOffset(rng: () => number): number {
  switch (rng() % 8) {
    case 0:
      return (SKF_NET_OFF + (rng() % 64)) >>> 0;
    case 1:
      return (SKF_LL_OFF + (rng() % 80)) >>> 0;
    case 2:
      return (-(rng() % 64)) >>> 0;
    case 3:
      return rng();
    default:
      return rng() % 64;
  }
}

function _randomBody(rng: () => number, pc: number, length: number, code: number): Instruction {
  const room = length - 2 - pc; // largest jump offset that stays inside
  const jump =
    () => (room <= 0
      ? 0
      : rng() % 3 === 0
      ? rng() % (Math.min(room, 255) + 1)
      : rng() % Math.min(room + 1, 4));
  const cls = code & 0x07;
  const junk = () => (rng() % 10 === 0 ? rng() % 256 : 0);
  switch (cls) {
    case 0x00: { // LD
      const mode = code & 0xe0;
      const k = mode === 0x20
        ? _offset(rng)
        : mode === 0x40
        ? _indirectOffset(rng)
        : mode === 0x60
        ? rng() % 16
        : mode === 0x00
        ? _constant(rng)
        : 0;
      return { code, jt: junk(), jf: junk(), k };
    }
    case 0x01: { // LDX
      const mode = code & 0xe0;
      const k = mode === 0xa0
        ? (rng() % 5 === 0 ? _offset(rng) : rng() % 40)
        : mode === 0x60
        ? rng() % 16
        : mode === 0x00
        ? _constant(rng)
        : 0;
      return { code, jt: junk(), jf: junk(), k };
    }
    case 0x02:
    case 0x03:
      return { code, jt: junk(), jf: junk(), k: rng() % 16 };
    case 0x04: { // ALU
      const op = code & 0xf0;
      const useX = (code & 0x08) !== 0;
      let k = useX ? (rng() % 6 === 0 ? rng() : 0) : _constant(rng);
      if (!useX && (op === 0x30 || op === 0x90) && k === 0) k = 1 + (rng() % 7);
      if (!useX && (op === 0x60 || op === 0x70)) k = rng() % 32;
      return { code, jt: junk(), jf: junk(), k: k >>> 0 };
    }
    case 0x05: { // JMP
      if (code === 0x05) {
        return { code, jt: junk(), jf: junk(), k: room <= 0 ? 0 : rng() % (Math.min(room, 8) + 1) };
      }
      const useX = (code & 0x08) !== 0;
      return {
        code,
        jt: jump(),
        jf: jump(),
        k: useX ? (rng() % 6 === 0 ? rng() : 0) : _constant(rng),
      };
    }
    case 0x06:
      return { code, jt: junk(), jf: junk(), k: rng() % 3 === 0 ? 0 : _constant(rng) };
    default: // MISC
      return { code, jt: junk(), jf: junk(), k: rng() % 6 === 0 ? rng() : 0 };
  }
}

/**
 * Makes every scratch read pass the kernel's `check_load_and_stores`: a read
 * of a cell not surely written becomes a write of that cell. The walk is
 * the kernel's own: in program order, jumps AND their state into their
 * targets and reset it, a RET does not (its state falls through).
 */
function _fixScratch(program: Instruction[]): void {
  const masks = new Array<number>(program.length).fill(0xffff);
  let valid = 0;
  for (let pc = 0; pc < program.length; pc++) {
    valid &= masks[pc];
    const insn = program[pc];
    if ((insn.code === 0x60 || insn.code === 0x61) && (valid & (1 << insn.k)) === 0) {
      program[pc] = { ...insn, code: insn.code === 0x60 ? 0x02 : 0x03 };
    }
    const now = program[pc];
    if (now.code === 0x02 || now.code === 0x03) valid |= 1 << now.k;
    if ((now.code & 0x07) === 0x05) {
      if (now.code === 0x05) masks[pc + 1 + now.k] &= valid;
      else {
        masks[pc + 1 + now.jt] &= valid;
        masks[pc + 1 + now.jf] &= valid;
      }
      valid = 0xffff;
    }
  }
}

/**
 * A random program the Linux checker accepts, 1..`maxLength` instructions,
 * with every allowed opcode likely over a few hundred programs, loads in and
 * out of bounds, negative windows, deterministic ancillary loads, div/mod by
 * X, shifts and scratch memory.
 */
export function randomValidProgram(rng: () => number, maxLength = 64): Instruction[] {
  const length = 1 + (rng() % maxLength);
  const program: Instruction[] = [];
  const bodyCodes = ALLOWED_OPCODES.filter((c) => (c & 0x07) !== 0x06);
  for (let pc = 0; pc < length - 1; pc++) {
    const code = rng() % 12 === 0 ? _pick(rng, [0x06, 0x16]) : _pick(rng, bodyCodes);
    program.push(_randomBody(rng, pc, length, code));
  }
  program.push({
    code: rng() % 2 === 0 ? 0x16 : 0x06,
    jt: 0,
    jf: 0,
    k: rng() % 2 === 0 ? 1 : _constant(rng),
  });
  _fixScratch(program);
  return program;
}

/** A random program that breaks one checker rule (or, rarely, none). */
export function randomInvalidProgram(rng: () => number): Instruction[] {
  const program = randomValidProgram(rng, 24);
  const at = rng() % program.length;
  switch (rng() % 9) {
    case 0: // any opcode
      program[at] = { ...program[at], code: rng() % 0x10000 };
      break;
    case 1: // opcode near the allowed ones
      program[at] = { ...program[at], code: rng() % 0x100 };
      break;
    case 2: { // jump past the end
      const jumpCode = _pick(rng, [0x05, 0x15, 0x25, 0x35, 0x45, 0x1d]);
      const past = program.length - at - 1;
      const big = past + (rng() % 3);
      program[at] = jumpCode === 0x05
        ? { code: 0x05, jt: 0, jf: 0, k: rng() % 2 === 0 ? big : rng() }
        : {
          code: jumpCode,
          jt: rng() % 2 === 0 ? Math.min(big, 255) : 0,
          jf: rng() % 2 === 0 ? 0 : Math.min(big, 255),
          k: 0,
        };
      break;
    }
    case 3: // constant division/modulo by 0, shift >= 32
      program[at] = _pick(rng, [
        { code: 0x34, jt: 0, jf: 0, k: 0 },
        { code: 0x94, jt: 0, jf: 0, k: 0 },
        { code: 0x64, jt: 0, jf: 0, k: 32 + (rng() % 40) },
        { code: 0x74, jt: 0, jf: 0, k: rng() % 64 },
      ]);
      break;
    case 4: // scratch index
      program[at] = { code: _pick(rng, [0x02, 0x03, 0x60, 0x61]), jt: 0, jf: 0, k: rng() % 20 };
      break;
    case 5: // last instruction not RET
      program[program.length - 1] = _randomBody(
        rng,
        program.length - 1,
        program.length,
        _pick(rng, ALLOWED_OPCODES.filter((c) => (c & 7) !== 6 && (c & 7) !== 5)),
      );
      break;
    case 6: // ancillary offsets, known and unknown
      program[at] = {
        code: _pick(rng, [0x20, 0x28, 0x30]),
        jt: 0,
        jf: 0,
        k: (SKF_AD_OFF + (rng() % 80)) >>> 0,
      };
      break;
    case 7: // scratch read before write
      program.splice(at, 0, { code: _pick(rng, [0x60, 0x61]), jt: 0, jf: 0, k: rng() % 16 });
      if (program.length > 64) program.length = 64;
      break;
    default: // RET with junk in the source bits
      program[program.length - 1] = {
        code: _pick(rng, [0x0e, 0x1e, 0x26, 0x46]),
        jt: 0,
        jf: 0,
        k: 1,
      };
  }
  return program;
}

/** Hand-made programs for the checker table: name → program. */
export function handMadePrograms(): { name: string; program: Instruction[] }[] {
  const ret = (k: number): Instruction => ({ code: 0x06, jt: 0, jf: 0, k });
  const i = (code: number, jt: number, jf: number, k: number): Instruction => ({
    code,
    jt,
    jf,
    k: k >>> 0,
  });
  return [
    { name: "empty program", program: [] },
    { name: "one RET", program: [ret(1)] },
    { name: "no final RET", program: [i(0x28, 0, 0, 12)] },
    { name: "ret a", program: [i(0x16, 0, 0, 0)] },
    { name: "ret x (not allowed)", program: [i(0x0e, 0, 0, 0)] },
    { name: "64 instructions", program: [...Array(63).fill(i(0x00, 0, 0, 1)), ret(1)] },
    { name: "jeq jt to last", program: [i(0x15, 1, 0, 1), ret(0), ret(1)] },
    { name: "jeq jt past end", program: [i(0x15, 2, 0, 1), ret(0), ret(1)] },
    { name: "jeq jf past end", program: [i(0x15, 0, 2, 1), ret(0), ret(1)] },
    { name: "ja to last", program: [i(0x05, 0, 0, 1), ret(0), ret(1)] },
    { name: "ja past end", program: [i(0x05, 0, 0, 2), ret(0), ret(1)] },
    { name: "ja k huge", program: [i(0x05, 0, 0, 0xffffffff), ret(1)] },
    { name: "ja with junk jt/jf", program: [i(0x05, 7, 9, 0), ret(1)] },
    { name: "div k 0", program: [i(0x34, 0, 0, 0), ret(1)] },
    { name: "mod k 0", program: [i(0x94, 0, 0, 0), ret(1)] },
    { name: "div x (allowed)", program: [i(0x3c, 0, 0, 0), ret(1)] },
    { name: "lsh k 31", program: [i(0x64, 0, 0, 31), ret(1)] },
    { name: "lsh k 32", program: [i(0x64, 0, 0, 32), ret(1)] },
    { name: "rsh k 32", program: [i(0x74, 0, 0, 32), ret(1)] },
    { name: "st M[15]", program: [i(0x02, 0, 0, 15), ret(1)] },
    { name: "st M[16]", program: [i(0x02, 0, 0, 16), ret(1)] },
    { name: "ld M[0] unwritten", program: [i(0x60, 0, 0, 0), ret(1)] },
    { name: "ld M[0] written", program: [i(0x02, 0, 0, 0), i(0x60, 0, 0, 0), ret(1)] },
    {
      name: "ld M[0] written on one path only",
      program: [i(0x15, 0, 1, 0), i(0x02, 0, 0, 0), i(0x60, 0, 0, 0), ret(1)],
    },
    {
      name: "ld M[0] written on both paths",
      program: [
        i(0x15, 0, 2, 0),
        i(0x02, 0, 0, 0),
        i(0x05, 0, 0, 1),
        i(0x02, 0, 0, 0),
        i(0x60, 0, 0, 0),
        ret(1),
      ],
    },
    { name: "ldx M[3] unwritten", program: [i(0x61, 0, 0, 3), ret(1)] },
    { name: "ld M[0] after RET, unwritten", program: [ret(1), i(0x60, 0, 0, 0), ret(1)] },
    {
      name: "ld M[0] after RET, written before",
      program: [i(0x02, 0, 0, 0), ret(1), i(0x60, 0, 0, 0), ret(1)],
    },
    {
      name: "ld M[0] only reachable by a jump past the write",
      program: [i(0x05, 0, 0, 1), i(0x02, 0, 0, 0), i(0x60, 0, 0, 0), ret(1)],
    },
    {
      name: "ld M[0] after unreachable write (jump over it, then ret)",
      program: [i(0x15, 1, 1, 0), i(0x02, 0, 0, 0), ret(0), i(0x60, 0, 0, 0), ret(1)],
    },
    { name: "ld #proto", program: [i(0x20, 0, 0, SKF_AD_OFF), ret(1)] },
    { name: "ld ancillary 60 (vlan_tpid)", program: [i(0x20, 0, 0, SKF_AD_OFF + 60), ret(1)] },
    { name: "ld ancillary 64 (unknown)", program: [i(0x20, 0, 0, SKF_AD_OFF + 64), ret(1)] },
    { name: "ld ancillary 2 (unaligned)", program: [i(0x20, 0, 0, SKF_AD_OFF + 2), ret(1)] },
    { name: "ldb ancillary 0xffc", program: [i(0x30, 0, 0, 0xfffffffc), ret(1)] },
    { name: "ld [0xffffefff] (net window)", program: [i(0x20, 0, 0, 0xffffefff), ret(1)] },
    { name: "ldi with size bits (0x10)", program: [i(0x10, 0, 0, 1), ret(1)] },
    { name: "ld|w|msh (0xa0)", program: [i(0xa0, 0, 0, 1), ret(1)] },
    { name: "ldx|h|msh (0xa9)", program: [i(0xa9, 0, 0, 1), ret(1)] },
    { name: "neg with X bit (0x8c)", program: [i(0x8c, 0, 0, 0), ret(1)] },
    { name: "code 0xffff", program: [i(0xffff, 0, 0, 0), ret(1)] },
    {
      name: "65 instructions (xt_bpf limit)",
      program: [...Array(64).fill(i(0x00, 0, 0, 1)), ret(1)],
    },
  ];
}

/** Programs that reveal an ancillary value bit by bit: `ld anc; rsh #b; and #1; ret a`. */
export function ancillaryProbes(): { name: string; program: Instruction[] }[] {
  const out: { name: string; program: Instruction[] }[] = [];
  const probe = (name: string, load: Instruction[], bits: number) => {
    for (let bit = 0; bit < bits; bit++) {
      out.push({
        name: `${name} bit ${bit}`,
        program: [
          ...load,
          { code: 0x74, jt: 0, jf: 0, k: bit },
          { code: 0x54, jt: 0, jf: 0, k: 1 },
          {
            code: 0x16,
            jt: 0,
            jf: 0,
            k: 0,
          },
        ],
      });
    }
  };
  const anc = (
    size: number,
    offset: number,
  ) => [{ code: size | 0x20, jt: 0, jf: 0, k: (SKF_AD_OFF + offset) >>> 0 }];
  probe("PROTOCOL", anc(0x00, SKF_AD.PROTOCOL), 32);
  probe("PROTOCOL (ldb)", anc(0x10, SKF_AD.PROTOCOL), 16);
  probe("PKTTYPE", anc(0x00, SKF_AD.PKTTYPE), 8);
  probe("IFINDEX", anc(0x00, SKF_AD.IFINDEX), 32);
  probe("MARK", anc(0x00, SKF_AD.MARK), 32);
  probe("MARK (ldh)", anc(0x08, SKF_AD.MARK), 32);
  probe("HATYPE", anc(0x00, SKF_AD.HATYPE), 16);
  probe("VLAN_TAG", anc(0x00, SKF_AD.VLAN_TAG), 16);
  probe("VLAN_TAG_PRESENT", anc(0x00, SKF_AD.VLAN_TAG_PRESENT), 4);
  probe("VLAN_TPID", anc(0x00, SKF_AD.VLAN_TPID), 16);
  probe("PAY_OFFSET", anc(0x00, SKF_AD.PAY_OFFSET), 16);
  // NLATTR with A = 0, X = 1 and A = 20, X = 2 (nla_find over the packet).
  const nlattr = (offset: number, a: number, x: number) => [
    { code: 0x01, jt: 0, jf: 0, k: x },
    { code: 0x00, jt: 0, jf: 0, k: a },
    { code: 0x20, jt: 0, jf: 0, k: (SKF_AD_OFF + offset) >>> 0 },
  ];
  probe("NLATTR a=0 x=1", nlattr(SKF_AD.NLATTR, 0, 1), 16);
  probe("NLATTR a=20 x=6", nlattr(SKF_AD.NLATTR, 20, 6), 16);
  probe("NLATTR_NEST a=0 x=1", nlattr(SKF_AD.NLATTR_NEST, 0, 1), 16);
  probe("ALU_XOR_X x=0x1234", [
    { code: 0x28, jt: 0, jf: 0, k: 2 },
    { code: 0x01, jt: 0, jf: 0, k: 0x1234 },
    { code: 0x20, jt: 0, jf: 0, k: (SKF_AD_OFF + SKF_AD.ALU_XOR_X) >>> 0 },
  ], 16);
  // Bounds of the negative windows and of `ld len`, relative to the packet's own length.
  for (
    const [window, base, extra] of [["SKF_NET_OFF", SKF_NET_OFF, 0], [
      "SKF_LL_OFF",
      SKF_LL_OFF,
      14,
    ]] as const
  ) {
    for (const [size, width] of [[0x00, 4], [0x08, 2], [0x10, 1]] as const) {
      for (const delta of [-width - 1, -width, -width + 1, 0, 1]) {
        const k = (base + extra + delta) >>> 0;
        out.push({
          name: `${window} ind ${["ld", "", "ldh", "", "ldb"][size >> 2] || "ld"} at len${
            delta >= 0 ? "+" : ""
          }${delta}`,
          program: [
            { code: 0x81, jt: 0, jf: 0, k: 0 }, // ldx len
            { code: size | 0x40, jt: 0, jf: 0, k }, // ld [x + k]
            { code: 0x06, jt: 0, jf: 0, k: 1 },
          ],
        });
      }
    }
    for (let offset = 0; offset < 64; offset += 1) {
      out.push({
        name: `${window} ldb ${offset} nonzero`,
        program: [{ code: 0x30, jt: 0, jf: 0, k: (base + offset) >>> 0 }, {
          code: 0x16,
          jt: 0,
          jf: 0,
          k: 0,
        }],
      });
    }
  }
  for (const [size, width] of [[0x00, 4], [0x08, 2], [0x10, 1]] as const) {
    for (const delta of [-width - 1, -width, -width + 1, 0]) {
      out.push({
        name: `positive ind size ${width} at len${delta >= 0 ? "+" : ""}${delta}`,
        program: [
          { code: 0x81, jt: 0, jf: 0, k: 0 },
          { code: size | 0x40, jt: 0, jf: 0, k: delta >>> 0 },
          { code: 0x06, jt: 0, jf: 0, k: 1 },
        ],
      });
    }
  }
  for (let bit = 0; bit < 16; bit++) {
    out.push({
      name: `ld len bit ${bit}`,
      program: [{ code: 0x80, jt: 0, jf: 0, k: 0 }, { code: 0x74, jt: 0, jf: 0, k: bit }, {
        code: 0x54,
        jt: 0,
        jf: 0,
        k: 1,
      }, { code: 0x16, jt: 0, jf: 0, k: 0 }],
    });
  }
  return out;
}

/** u32 expressions: the man page's examples, edge cases and seeded random ones. */
export function u32Expressions(rng: () => number, count: number): string[] {
  const fixed = [
    "0&0xFFFF=0x100:0xFFFF",
    "6&0xFF=1&&4&0x3FFF=0&&0>>22&0x3C@0>>24=0",
    "6 & 0xFF = 6 && 4 & 0x1FFF = 0 && 0 >> 22 & 0x3C @ 12 >> 26 & 0x3C @ 8 = 1,2,5,8",
    "6&0xFF=0x20",
    "6&0xFF=6",
    "6&0xFF=17",
    "0>>28=4",
    "0>>28=6",
    "0=0:0xFFFFFFFF",
    "0=0",
    "1=0:0xFFFFFFFF",
    "2=0:0xFFFFFFFF",
    "3=0:0xFFFFFFFF",
    "16=0:0xFFFFFFFF",
    "36=0:0xFFFFFFFF",
    "40=0:0xFFFFFFFF",
    "60=0:0xFFFFFFFF",
    "1000=0:0xFFFFFFFF",
    "0xFFFFFFFC=0:0xFFFFFFFF",
    "0@0=0:0xFFFFFFFF",
    "0>>22&0x3C@0=0:0xFFFFFFFF",
    "0>>22&0x3C@0@0@0@0=0:0xFFFFFFFF",
    "0>>22&0x3C@12>>26&0x3C@0=0:0xFFFFFFFF",
    "0>>22&0x3C@12>>26&0x3C@40=0:0xFFFFFFFF",
    "0>>22&0x3C@12>>26&0x3C@1500=0:0xFFFFFFFF",
    "0@0x7FFFFFFF=0:0xFFFFFFFF",
    "0@0xFFFFFFFF=0:0xFFFFFFFF",
    "8@0xFFFFFFF0=0:0xFFFFFFFF",
    "0>>16@0>>16@0>>16=0:0xFFFFFFFF",
    "4&0x3FFF=0",
    "4&0x1FFF=0:0x1FFF",
    "12=0x0A000000:0x0AFFFFFF",
    "12&0xFF000000=0x7F000000,0x0A000000,0xC0000000:0xC0FFFFFF",
    "8>>24=1:64",
    "0&0xF000000=0x5000000",
    "0<<4>>28=5",
    "0&0x0F000000=0x05000000 && 6&0xFF=6 && 0>>22&0x3C@12>>26&0x3C@0=0:0xFFFFFFFF",
    "040=0:0xFFFFFFFF",
    "6&0xFF=0x11 && 0>>22&0x3C@4>>16=53",
    "6&0xFF=0x11 && 0>>22&0x3C@0>>16=53",
    "20&0xFF=6,17,58",
    "0>>24=0x60:0x6F",
  ];
  const out = [...fixed];
  for (let n = 0; n < count; n++) {
    const tests: string[] = [];
    const testCount = 1 + (rng() % 3);
    for (let t = 0; t < testCount; t++) {
      let location = String(_pick(rng, [0, 0, 4, 8, 12, 16, 20, 24, 2, 6, 40, 60, rng() % 128]));
      const ops = rng() % 4;
      for (let o = 0; o < ops; o++) {
        switch (rng() % 5) {
          case 0:
            location += `&0x${
              (_pick(rng, [0xff, 0xffff, 0x3c, 0x0f000000, 0x1fff, 0x3fff, rng()]) >>> 0).toString(
                16,
              )
            }`;
            break;
          case 1:
            location += `>>${rng() % 32}`;
            break;
          case 2:
            location += `<<${rng() % 32}`;
            break;
          default:
            location += `@${_pick(rng, [0, 4, 8, 12, 20, 40, 100, rng() % 2000])}`;
        }
      }
      const values: string[] = [];
      const valueCount = 1 + (rng() % 3);
      for (let v = 0; v < valueCount; v++) {
        const a = _constant(rng) >>> 0;
        values.push(
          rng() % 2 === 0
            ? `${a}`
            : `${a}:${rng() % 3 === 0 ? 0xffffffff : (a + (rng() % 65536)) >>> 0}`,
        );
      }
      tests.push(`${location}=${values.join(",")}`);
    }
    out.push(tests.join("&&"));
  }
  return out;
}
