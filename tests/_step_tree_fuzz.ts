/**
 * Program generators for the closure trees with steps (private, shared by
 * tests/backend_transformations_fuzz_test.ts and bench/fuzz_backends.ts):
 * forward-only programs whose blocks hold straight-line steps (ALU on K and
 * X, scratch `st`/`stx`/`ld M[]`/`ldx M[]`, `tax`/`txa`, constants, the
 * length, field runs `ld; rsh; and; add; tax`, the filter compiler's `u32`
 * offset arithmetic `tax; ld #c; add x; add #k; tax`, `ldx msh`) before a
 * test on K or X, of a load (`[k]`, `[x + k]` of each size, `len`) or of A;
 * and `u32` matches lowered by src/u32. See `_compareBackends`' unbounded
 * tree path (tests/_backend_fuzz.ts).
 *
 * @module
 */
import type { Instruction } from "../src/bpf/instruction.ts";
import { parseU32 } from "../src/u32/parse_u32.ts";
import { u32ToBpf } from "../src/u32/u32_to_bpf.ts";
import { compileFilter } from "../src/filter/compile_filter.ts";
import type { _Random } from "./_fuzz.ts";
import { _linkedForward } from "./_backend_fuzz.ts";

const op = (code: number, k = 0, jt = 0, jf = 0): Instruction => ({ code, jt, jf, k: k >>> 0 });
const SIZE_CODE = [0, 0x10, 0x08, 0, 0x00]; // by size: B, H, -, W
const ALU_OPS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0];

/** One straight-line piece of steps (never a jump), over a packet of `span` bytes. */
function _stepsOf(random: _Random, span: number, written: Set<number>): Instruction[] {
  const out: Instruction[] = [];
  const offset = (size: number) => random.int(Math.max(1, span - size + 3)); // to past the end
  const size = () => random.pick([1, 2, 4]);
  for (let n = 1 + random.int(5); n > 0; n--) {
    switch (random.int(16)) {
      case 0: { // a field run: ld [k]; rsh; and; add; tax
        const s = size();
        out.push(op(0x20 | SIZE_CODE[s], offset(s)));
        if (random.chance(0.6)) out.push(op(0x74, random.pick([0, 1, 4, 8, 16, 22, 24, 31])));
        if (random.chance(0.7)) out.push(op(0x54, random.pick([0x3c, 0xf, 0xff, 0xffff, -1])));
        if (random.chance(0.6)) out.push(op(0x04, random.pick([0, 4, 8, 0xfffffffc, 0x7fffffff])));
        if (random.chance(0.7)) out.push(op(0x07)); // tax
        break;
      }
      case 1: // the u32 offset arithmetic
        out.push(op(0x07), op(0x00, random.pick([0, 14, 20, 0xfffffff0])), op(0x0c));
        for (let a = random.int(3); a > 0; a--) {
          out.push(op(0x04, random.pick([0, 4, 12, 0xffffffff, 0x80000000])));
        }
        out.push(op(0x07));
        break;
      case 2: { // ld [x + k] of each size, then maybe a field's rsh/and
        const s = size();
        const k = random.chance(0.9)
          ? random.int(span + 2)
          : random.pick([0xffffffff, 0xfffffff0, 0x7fffffff, 0x80000000, 0xfff00000]);
        out.push(op(0x40 | SIZE_CODE[s], k));
        if (random.chance(0.3)) out.push(op(0x74, random.int(32)));
        if (random.chance(0.3)) out.push(op(0x54, random.pick([0xff, 0x3c, 0xf0f0])));
        break;
      }
      case 3: // ldx 4*([k]&0xf)
        out.push(op(0xb1, random.int(span + 2)));
        break;
      case 4:
      case 5: { // ALU on K
        const aluOp = random.pick(ALU_OPS);
        let k = random.pick([0, 1, 2, 3, 7, 8, 31, 0xff, 0xffff, 0x80000000, 0xffffffff]);
        if (aluOp === 0x60 || aluOp === 0x70) k = random.int(32);
        if ((aluOp === 0x30 || aluOp === 0x90) && k === 0) k = random.pick([1, 3, 0xffffffff]);
        out.push(op(0x04 | aluOp, k));
        break;
      }
      case 6: // ALU on X (div/mod by 0, shifts by 32 and more)
        out.push(op(0x0c | random.pick(ALU_OPS.filter((o) => o !== 0x80))));
        break;
      case 7: { // X from somewhere
        const x = random.int(5);
        if (x === 0) out.push(op(0x01, random.pick([0, 1, 2, 14, 31, 32, 33, 0xffffffff])));
        else if (x === 1) out.push(op(0x81)); // ldx len
        else if (x === 2) out.push(op(0x07)); // tax
        else if (x === 3 && written.size > 0) out.push(op(0x61, random.pick([...written])));
        else out.push(op(0x87)); // txa
        break;
      }
      case 8: { // A from somewhere
        const a = random.int(4);
        if (a === 0) out.push(op(0x00, random.pick([0, 1, 0xff, 0x80000000, 0xffffffff])));
        else if (a === 1) out.push(op(0x80)); // ld len
        else if (a === 2 && written.size > 0) out.push(op(0x60, random.pick([...written])));
        else out.push(op(0x87));
        break;
      }
      case 9:
      case 10: { // st / stx
        const cell = random.int(16);
        out.push(op(random.chance(0.5) ? 0x02 : 0x03, cell));
        written.add(cell);
        break;
      }
      case 11: { // ld [k]
        const s = size();
        out.push(op(0x20 | SIZE_CODE[s], offset(s)));
        break;
      }
      case 12:
        out.push(op(0x80)); // ld len
        break;
      case 13: // a nested `u32` offset: ld M[c]; add x; add #k; tax
        if (written.size === 0) break;
        out.push(op(0x60, random.pick([...written])), op(0x0c));
        if (random.chance(0.6)) out.push(op(0x04, random.pick([0, 4, 0xfffffffc, 0x80000000])));
        out.push(op(0x07));
        break;
      case 14: { // a field on [x + k] into X: ld [x + k]; rsh; and; add; tax
        const s = size();
        const k = random.chance(0.85)
          ? random.int(span + 2)
          : random.pick([0xfffffff0, 0xffffffff]);
        out.push(op(0x40 | SIZE_CODE[s], k));
        if (random.chance(0.6)) out.push(op(0x74, random.pick([0, 4, 8, 26, 28])));
        if (random.chance(0.7)) out.push(op(0x54, random.pick([0x3c, 0xf, 0xff, -1])));
        if (random.chance(0.4)) out.push(op(0x04, random.pick([0, 4, 0xfffffff0])));
        out.push(op(0x07));
        break;
      }
      default:
        out.push(op(0x87)); // txa
    }
  }
  return out;
}

/**
 * A forward-only program of 1–8 blocks, each steps (maybe none) then a
 * test (`jeq`/`jgt`/`jge`/`jset`, on K or X; maybe a load first) whose
 * edges go to later blocks or to the returns (`ret #k`, `ret a`). Scratch
 * cells read only after a write in an earlier block on every path (the
 * first block's), or in the same block.
 */
export function _stepTreeProgramOf(random: _Random, template: Uint8Array): Instruction[] {
  const span = template.length;
  const blocks = 1 + random.int(8);
  const body: Instruction[][] = [];
  const written = new Set<number>();
  for (let b = 0; b < blocks; b++) {
    // Cells written in block 0 are written on every path; later blocks' only in themselves.
    const mine = b === 0 ? written : new Set(written);
    const piece = random.chance(0.85) ? _stepsOf(random, span, mine) : [];
    const load = random.int(6);
    const s = random.pick([1, 2, 4]);
    if (load === 0) piece.push(op(0x20 | SIZE_CODE[s], random.int(Math.max(1, span - s + 3))));
    if (load === 1) piece.push(op(0x40 | SIZE_CODE[s], random.int(span + 2)));
    if (load === 2) piece.push(op(0x80));
    const useX = random.chance(0.3);
    // `ld M[c]; jge x`, as a `u32` offset's check that the field lies in the packet.
    if (useX && load > 2 && written.size > 0 && random.chance(0.5)) {
      piece.push(op(0x60, random.pick([...written])));
    } else {
      if (random.chance(0.15)) piece.push(op(0x74, random.int(32)));
      if (random.chance(0.2)) piece.push(op(0x54, random.pick([0xff, 0xf, 0xffff, 0x3c])));
    }
    const k = random.pick([0, 1, 4, 6, 0x11, 0x45, 0x800, 0x3c, 0xffff, 0x80000000, 0xffffffff]);
    piece.push(op(random.pick([0x15, 0x15, 0x25, 0x35, 0x45]) | (useX ? 0x08 : 0), useX ? 0 : k));
    body.push(piece);
  }
  return _linkedForward(body, random);
}

function _u32Number(random: _Random): string {
  return String(
    random.pick([0, 1, 2, 4, 6, 8, 12, 16, 20, 22, 0x3c, 0xff, 0xffff, random.uint32()]),
  );
}

/** A random `u32` match (with `@` chains) as src/u32 lowers it, or undefined when it does not parse. */
export function _u32ProgramOf(random: _Random): Instruction[] | undefined {
  const tests: string[] = [];
  for (let t = 0, n = 1 + random.int(3); t < n; t++) {
    let location = String(random.int(4) === 0 ? random.int(60) : random.pick([0, 4, 6, 8, 12]));
    for (let o = 0, m = random.int(5); o < m; o++) {
      const operator = random.pick(["&", "<<", ">>", "@", "@"]);
      const operand = operator === "<<" || operator === ">>"
        ? String(random.int(32))
        : operator === "@"
        ? String(random.pick([0, 4, 8, 12, 20]))
        : random.pick(["0x3c", "0xf", "0xff00", _u32Number(random)]);
      location += `${operator}${operand}`;
    }
    const ranges: string[] = [];
    for (let r = 0, m = 1 + random.int(3); r < m; r++) {
      ranges.push(
        random.chance(0.5) ? _u32Number(random) : `${_u32Number(random)}:${_u32Number(random)}`,
      );
    }
    tests.push(`${location}=${ranges.join(",")}`);
  }
  try {
    return u32ToBpf(parseU32(tests.join("&&")), { invert: random.chance(0.2) });
  } catch {
    return undefined;
  }
}

/** A random arithmetic operand of a filter expression (packet bytes at computed offsets, `len`). */
function _arithmeticOf(random: _Random, depth: number): string {
  const leaf = depth > 2 || random.chance(0.3);
  if (leaf) {
    return random.chance(0.35)
      ? String(
        random.pick([0, 1, 2, 3, 4, 6, 8, 14, 20, 31, 32, 0x45, 0xff, 0xffff, random.uint32()]),
      )
      : random.chance(0.2)
      ? "len"
      : `${random.pick(["ip", "tcp", "udp", "ether", "icmp"])}[${random.int(24)}${
        random.pick(["", ":1", ":2", ":4"])
      }]`;
  }
  if (random.chance(0.3)) {
    const proto = random.pick(["ip", "tcp", "udp", "ether"]);
    return `${proto}[${_arithmeticOf(random, depth + 1)}${random.pick(["", ":1", ":2", ":4"])}]`;
  }
  if (random.chance(0.1)) return `-${_arithmeticOf(random, depth + 1)}`;
  const operator = random.pick(["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>"]);
  return `(${_arithmeticOf(random, depth + 1)} ${operator} ${_arithmeticOf(random, depth + 1)})`;
}

/**
 * A random filter expression of relations between arithmetic on packet
 * bytes (computed offsets, scratch cells in the compiled program), as
 * `compileFilter` compiles it, or undefined when it does not compile.
 */
export function _arithmeticFilterOf(random: _Random): Instruction[] | undefined {
  const relations: string[] = [];
  for (let n = 1 + random.int(2); n > 0; n--) {
    const relation = random.pick([">", "<", ">=", "<=", "=", "!="]);
    relations.push(`${_arithmeticOf(random, 0)} ${relation} ${_arithmeticOf(random, 1)}`);
  }
  try {
    return compileFilter(relations.join(random.pick([" and ", " or "])), {
      optimize: random.chance(0.8),
    });
  } catch {
    return undefined;
  }
}

/**
 * A packet template for filter expressions and `u32` matches: mostly an
 * Ethernet frame carrying IPv4 (header lengths 5–15 words, TCP, UDP or ICMP),
 * small byte values after it (so that computed offsets land in the packet).
 */
export function _ipTemplateOf(random: _Random): Uint8Array {
  const t = new Uint8Array(20 + random.int(80));
  for (let i = 0; i < t.length; i++) t[i] = random.chance(0.6) ? random.int(24) : random.int(256);
  if (random.chance(0.8)) {
    t.set(random.chance(0.9) ? [0x08, 0x00] : [0x86, 0xdd], 12);
    if (t.length > 14) t[14] = 0x40 | random.pick([5, 5, 6, 8, 15, random.int(16)]);
    if (t.length > 23) t[23] = random.pick([6, 17, 1, random.int(256)]);
    if (t.length > 21 && random.chance(0.8)) t[20] = t[21] = 0; // not a fragment
  }
  return t;
}
