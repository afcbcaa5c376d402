/**
 * Programs aimed at the session-18 closure changes (private, for
 * bench/fuzz_review_closure.ts): one-operation programs (per-process entry
 * literals), equality lists, word pairs (masked or not), three ether types,
 * range pairs (fused operations of the dispatch loop), and ALU runs on
 * constants and registers (the cBPF optimiser: folds, merged runs, shifts,
 * div/mod by X, scratch cells, `ret a`). Each program is drawn for a packet:
 * its constants are often the packet's own values, its offsets often at the
 * packet's end, so that both edges of each test run.
 *
 * @module
 */
import type { Instruction } from "../src/bpf/instruction.ts";
import type { _Random } from "../tests/_fuzz.ts";

/** An instruction whose `jt`/`jf` (and `ja`'s `k`) are absolute targets, resolved later. */
interface _Draft {
  code: number;
  k: number;
  t?: number;
  f?: number;
}

const LD_B = 0x30, LD_H = 0x28, LD_W = 0x20;
const LD_IND = { 1: 0x50, 2: 0x48, 4: 0x40 } as const;
const JEQ = 0x15, JGT = 0x25, JGE = 0x35, JSET = 0x45;
const RET_K = 0x06, RET_A = 0x16;

/** The packet's value of `size` bytes at `k` (0 past the end). */
function valueAt(packet: Uint8Array, k: number, size: number): number {
  let v = 0;
  for (let i = 0; i < size; i++) v = (v * 256 + (packet[k + i] ?? 0)) >>> 0;
  return v;
}

/** A load offset for a packet: mostly in it, often at its very end, at times huge or ancillary. */
function offsetOf(random: _Random, packet: Uint8Array, size: number): number {
  const n = packet.length;
  switch (random.int(9)) {
    case 0:
      return Math.max(0, n - size + random.pick([-1, 0, 0, 1, 2]));
    case 1:
      return random.pick([0x7fffffff, 0x7ffffffe, 0x80000000, 0xfffffffe, 0xffffffff]);
    case 2:
      return random.pick([0xfffff000, 0xfffff004, 0xfffff00c, 0xfffff020, 0xfffff030]);
    case 3:
      return random.pick([0xfff00000, 0xffe00000, 0xfff0000e]); // SKF_NET_OFF, SKF_LL_OFF
    default:
      return random.int(Math.max(1, n + 2));
  }
}

/** A constant to compare with: the packet's value, a neighbour, a bound, or random. */
function constantOf(random: _Random, value: number): number {
  return random.pick([
    value,
    value,
    (value + 1) >>> 0,
    (value - 1) >>> 0,
    0,
    0xffffffff,
    random.uint32(),
    random.int(256),
  ]);
}

/** A return value: accept, reject, odd values. */
function retOf(random: _Random): _Draft {
  if (random.chance(0.15)) return { code: RET_A, k: 0 };
  return { code: RET_K, k: random.pick([0, 0xffff, 262144, 1, random.uint32(), 0xffffffff]) };
}

function loadCode(size: number): number {
  return size === 1 ? LD_B : size === 2 ? LD_H : LD_W;
}

/** A jump opcode on K. */
function jumpOf(random: _Random): number {
  return random.pick([JEQ, JEQ, JGT, JGE, JSET]);
}

/** `[ld [k]; j #v; ret; ret]` and its variants (jt = jf, shared return, a return then a test). */
function oneOperation(random: _Random, packet: Uint8Array): _Draft[] {
  const size = random.pick([1, 2, 4]);
  const k = offsetOf(random, packet, size);
  const v = constantOf(random, valueAt(packet, k, size));
  const load = random.chance(0.1)
    ? { code: random.pick([0x80, 0x81]), k: 0 } // len / ldx len then txa-less test on A
    : { code: loadCode(size), k };
  const rets = [retOf(random), retOf(random)];
  const [t, f] = random.pick([[2, 3], [3, 2], [2, 2], [3, 3]]);
  return [load, { code: jumpOf(random), k: v, t, f }, ...rets];
}

/** Equality list: one load (b/h/w, after `ldx msh`, or on A after an `add`), n values on false edges. */
function equalityList(random: _Random, packet: Uint8Array): _Draft[] {
  const out: _Draft[] = [];
  const size = random.pick([1, 2, 4]);
  let value: number;
  const form = random.int(4);
  if (form === 0) {
    const msh = random.chance(0.8) ? 14 : offsetOf(random, packet, 1);
    out.push({ code: 0xb1, k: msh });
    const x = ((packet[msh] ?? 0) & 0xf) << 2;
    const k = random.chance(0.7) ? 14 + random.pick([0, 2]) : offsetOf(random, packet, 2);
    out.push({ code: LD_IND[2], k });
    value = valueAt(packet, (x + k) >>> 0, 2);
  } else if (form === 1) {
    const k = offsetOf(random, packet, size);
    const c = random.pick([1, 0xffffffff, random.uint32()]);
    out.push({ code: loadCode(size), k }, { code: 0x04, k: c });
    value = (valueAt(packet, k, size) + c) >>> 0;
  } else {
    const k = offsetOf(random, packet, size);
    out.push({ code: loadCode(size), k });
    if (random.chance(0.2)) out.push({ code: 0x54, k: random.pick([0xff, 0x0fff, 0xffff0000]) });
    value = valueAt(packet, k, size);
  }
  const n = 2 + random.int(random.chance(0.1) ? 70 : 6);
  const start = out.length;
  const end = start + n; // index of the tail
  for (let i = 0; i < n; i++) {
    const v = random.chance(0.3) ? value : constantOf(random, value);
    const t = random.chance(0.7) ? end + random.int(3) : start + i + 1 + random.int(n - i);
    out.push({ code: JEQ, k: v, t: Math.min(t, end + 2), f: start + i + 1 });
  }
  out.push(...tail(random, packet));
  return out;
}

/** A tail after a list: returns, or a test then returns. */
function tail(random: _Random, packet: Uint8Array): _Draft[] {
  if (random.chance(0.4)) {
    const k = offsetOf(random, packet, 2);
    return [
      { code: LD_H, k },
      { code: jumpOf(random), k: constantOf(random, valueAt(packet, k, 2)), t: -2, f: -1 },
      retOf(random),
      retOf(random),
    ];
  }
  if (random.chance(0.3)) {
    // X after the list (an `ldx msh` list leaves it set): read through it.
    return random.chance(0.5)
      ? [{ code: 0x87, k: 0 }, { code: RET_A, k: 0 }, retOf(random), retOf(random)]
      : [
        { code: LD_IND[2], k: random.pick([14, 16, 0]) },
        { code: RET_A, k: 0 },
        retOf(random),
        retOf(random),
      ];
  }
  return [retOf(random), retOf(random), retOf(random)];
}

/** Word pair: `ld [k1] (& m) == v1` else `ld [k2] (& m) == v2`. */
function wordPair(random: _Random, packet: Uint8Array): _Draft[] {
  const masked = random.chance(0.5);
  const out: _Draft[] = [];
  const ks = [offsetOf(random, packet, 4), offsetOf(random, packet, 4)];
  if (random.chance(0.5) && packet.length >= 34) [ks[0], ks[1]] = [26, 30];
  const m = random.pick([0xffffff00, 0xffff0000, 0xff000000, 0xfffffff0, random.uint32()]);
  const end = masked ? 6 : 4;
  ks.forEach((k, i) => {
    out.push({ code: LD_W, k });
    if (masked) out.push({ code: 0x54, k: m });
    const v = masked ? (valueAt(packet, k, 4) & m) >>> 0 : valueAt(packet, k, 4);
    const t = end + random.int(2);
    out.push({
      code: JEQ,
      k: random.chance(0.6) ? v : constantOf(random, v),
      t,
      f: i === 0 ? out.length + 1 : end + 2,
    });
  });
  out.push(retOf(random), retOf(random), retOf(random));
  if (random.chance(0.3)) {
    for (const d of out) {
      if (d.t !== undefined) d.t += 2;
      if (d.f !== undefined) d.f += 2;
    }
    out.unshift(...etherPrefix(random, packet, out.length));
  }
  return out;
}

/** `ldh [12]; jeq #type jt next jf <reject>` in front of a program of `length` (targets shifted by 2). */
function etherPrefix(random: _Random, packet: Uint8Array, length: number): _Draft[] {
  const type = random.chance(0.7) ? valueAt(packet, 12, 2) : 0x0800;
  return [{ code: LD_H, k: 12 }, { code: JEQ, k: type, t: 2, f: length + 1 }];
}

/** The three ether types of `vlan` (or near them) on `[12]`. */
function etherTypes3(random: _Random, packet: Uint8Array): _Draft[] {
  const own = valueAt(packet, 12, 2);
  const types = [0x8100, 0x88a8, 0x9100].map((t) =>
    random.chance(0.2) ? own : random.chance(0.1) ? constantOf(random, t) : t
  );
  const k = random.chance(0.8) ? 12 : offsetOf(random, packet, 2);
  const t = random.int(2);
  return [
    { code: LD_H, k },
    { code: JEQ, k: types[0], t: 4 + t, f: 2 },
    { code: JEQ, k: types[1], t: 4 + t, f: 3 },
    { code: JEQ, k: types[2], t: 4 + random.int(2), f: 6 },
    ...(random.chance(0.5)
      ? [{ code: LD_H, k: 16 }, { code: JEQ, k: valueAt(packet, 16, 2), t: 6, f: 7 }]
      : [retOf(random), retOf(random)]),
    retOf(random),
    retOf(random),
  ];
}

/** `A >= lo` then, on true, `A > hi` going where the first fails (portrange), with variants. */
function rangePair(random: _Random, packet: Uint8Array): _Draft[] {
  const size = random.pick([1, 2, 2, 4]);
  const k = offsetOf(random, packet, size);
  let value = valueAt(packet, k, size);
  const out: _Draft[] = [{ code: loadCode(size), k }];
  if (random.chance(0.2)) {
    const m = random.pick([0xff, 0x1fff, 0xfffe]);
    out.push({ code: 0x54, k: m });
    value = (value & m) >>> 0;
  }
  if (random.chance(0.1)) {
    const r = random.int(8);
    out.push({ code: 0x74, k: r });
    value >>>= r;
  }
  // Bounds at, just below and just above the value, so that each edge of the range runs.
  const near = () => (value + random.pick([-1, 0, 0, 1])) >>> 0;
  const a = random.chance(0.7) ? near() : constantOf(random, value);
  const b = random.chance(0.7)
    ? near()
    : random.chance(0.5)
    ? (a + random.int(3)) >>> 0
    : constantOf(random, value);
  const [lo, hi] = random.chance(0.8) ? [Math.min(a, b), Math.max(a, b)] : [a, b];
  const firstOp = random.pick([JGE, JGE, JGT]);
  const secondOp = random.pick([JGT, JGT, JGE]);
  const s = out.length;
  // s: first (true → s+1, false → s+3 reject); s+1: second (true → s+3, false → s+2 accept).
  const wiredRight = random.chance(0.85);
  out.push(
    { code: firstOp, k: lo, t: s + 1, f: s + 3 },
    { code: secondOp, k: hi, t: wiredRight ? s + 3 : s + 4, f: s + 2 },
    retOf(random),
    retOf(random),
    retOf(random),
  );
  if (random.chance(0.3)) {
    // A second way into the second test (its block stays).
    out.unshift({ code: LD_B, k: 0 }, { code: JSET, k: 1, t: 2, f: s + 3 });
    for (const d of out.slice(2)) {
      if (d.t !== undefined) d.t += 2;
      if (d.f !== undefined) d.f += 2;
    }
    out[1].f = s + 3; // into the second test with A = packet[0]
  }
  return out;
}

/** Straight ALU runs on constants, X and scratch cells, ending in tests and `ret a`. */
function aluRun(random: _Random, packet: Uint8Array): _Draft[] {
  const out: _Draft[] = [];
  const source = random.pick([0, 1, 2, 2, 2, 3, 4]);
  if (source === 0) {
    out.push({ code: 0x00, k: random.pick([0, 1, 0xffffffff, 0x80000000, random.uint32()]) });
  } else if (source === 1) out.push({ code: 0x80, k: 0 });
  else if (source === 2) {
    const size = random.pick([1, 2, 4]);
    out.push({ code: loadCode(size), k: offsetOf(random, packet, size) });
  } else if (source === 3) {
    out.push({ code: 0xb1, k: offsetOf(random, packet, 1) }, { code: 0x87, k: 0 });
  }
  // source 4: A as it starts (0)
  const ops = [0x04, 0x14, 0x24, 0x34, 0x44, 0x54, 0x64, 0x74, 0x84, 0x94, 0xa4];
  const steps = 1 + random.int(12);
  let x = false;
  for (let i = 0; i < steps; i++) {
    const r = random.int(20);
    if (r < 2) {
      out.push({
        code: 0x01,
        k: random.pick([0, 0, 1, 2, 31, 32, 33, 0xffffffff, random.uint32()]),
      });
      x = true;
    } else if (r < 3) {
      out.push({ code: 0x81, k: 0 });
      x = true;
    } else if (r < 4) {
      out.push({ code: 0x07, k: 0 }); // tax
      x = true;
    } else if (r < 5 && x) out.push({ code: 0x87, k: 0 }); // txa
    else if (r < 6) {
      const cell = random.int(16);
      out.push({ code: random.pick([0x02, 0x03]), k: cell }, {
        code: random.pick([0x60, 0x61]),
        k: cell,
      });
    } else if (r < 8 && x) {
      out.push({ code: random.pick(ops) | 0x08, k: 0 }); // op X (div/mod by 0, shift ≥ 32)
    } else if (r < 9) {
      const size = random.pick([1, 2, 4]);
      if (x && random.chance(0.5)) {
        out.push({
          code: LD_IND[size as 1 | 2 | 4],
          k: random.pick([0, 1, 0xfffffff0, 0x7fffffff, random.int(64)]),
        });
      } else out.push({ code: loadCode(size), k: offsetOf(random, packet, size) });
    } else {
      // A run of one operation on constants.
      const op = random.pick(ops);
      const run = 1 + random.int(4);
      for (let j = 0; j < run; j++) {
        const shift = op === 0x64 || op === 0x74;
        // Shifts whose sums land at, below and past 32; divisors whose products pass 2^32.
        const k = shift
          ? random.pick([0, 1, 15, 16, 16, 17, 31, random.int(32)])
          : op === 0x34 || op === 0x94
          ? random.pick([1, 2, 3, 0xffff, 0x10000, 0x10001, 0xffffffff, 1 + random.int(0xfffffffe)])
          : random.pick([0, 1, 2, 0xffffffff, 0x80000000, random.uint32(), random.int(100)]);
        out.push({ code: random.chance(0.1) ? random.pick(ops) : op, k });
      }
    }
  }
  if (random.chance(0.5)) return [...out, { code: RET_A, k: 0 }];
  const s = out.length;
  const jx = x && random.chance(0.3) ? 0x08 : 0;
  const [t, f] = random.pick([[1, 2], [2, 1], [1, 1], [2, 2], [1, 3]]);
  return [
    ...out,
    {
      code: jumpOf(random) | jx,
      k: random.pick([0, 1, 0xffffffff, random.uint32()]),
      t: s + t,
      f: s + f,
    },
    { code: RET_A, k: 0 },
    retOf(random),
    { code: RET_A, k: 0 },
  ];
}

/** Loads nobody reads after `ldx msh` (dead-load removal): `[x + k]` and `[k]` runs, then a use. */
function headerLoads(random: _Random, packet: Uint8Array): _Draft[] {
  const msh = random.chance(0.7) ? 14 : offsetOf(random, packet, 1);
  const out: _Draft[] = [{ code: 0xb1, k: msh }];
  const loads = 1 + random.int(5);
  for (let i = 0; i < loads; i++) {
    const size = random.pick([1, 2, 4]) as 1 | 2 | 4;
    if (random.chance(0.6)) {
      const k = random.pick([
        0,
        2,
        14,
        16,
        20,
        40,
        0x7fff0000,
        0x7fff0001,
        0x7ffffff0,
        random.int(80),
      ]);
      out.push({ code: LD_IND[size], k });
    } else {out.push({
        code: loadCode(size),
        k: random.pick([20, 60, 74, 80, 100, random.int(130)]),
      });}
    if (random.chance(0.15)) {
      out.push({ code: 0xb1, k: random.pick([msh, 15, offsetOf(random, packet, 1)]) });
    }
  }
  if (random.chance(0.2)) out.push({ code: 0x3c, k: 0 }); // div x (X = 0 at times)
  const s = out.length;
  if (random.chance(0.5)) return [...out, { code: RET_A, k: 0 }];
  return [
    ...out,
    { code: jumpOf(random), k: random.int(256), t: s + 1, f: s + 2 },
    { code: RET_A, k: 0 },
    retOf(random),
  ];
}

/** Resolves drafts (absolute targets; negative: counted from the end) into a program, or undefined. */
function resolve(drafts: _Draft[]): Instruction[] | undefined {
  const n = drafts.length;
  const program: Instruction[] = [];
  for (let pc = 0; pc < n; pc++) {
    const d = drafts[pc];
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
export const REVIEW_KINDS = {
  "one-operation": oneOperation,
  "equality list": equalityList,
  "word pair": wordPair,
  "ether types": etherTypes3,
  "range pair": rangePair,
  "alu run": aluRun,
  "header loads": headerLoads,
} as const;

/** A program of `kind` (random by default) drawn for `packet`, or undefined. */
export function reviewProgramOf(
  random: _Random,
  packet: Uint8Array,
  kind: keyof typeof REVIEW_KINDS = random.pick(
    Object.keys(REVIEW_KINDS),
  ) as keyof typeof REVIEW_KINDS,
): { kind: string; program: Instruction[] } | undefined {
  const drafts = REVIEW_KINDS[kind](random, packet);
  const program = resolve(drafts);
  return program && { kind, program };
}
