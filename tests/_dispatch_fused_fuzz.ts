/**
 * Differential fuzzing of the closure strategy's dispatch loop's fused
 * operations (session 16: `_FIELD_*`, `_FIELD_IND_*`, `_FIELD_*_M`,
 * `_T_X_MEM`, `_X_FROM_CELL`, checked loads with the block's bounds check
 * folded in, `[x + k]` tests returning on one edge) against interpret()
 * (private; shared by tests/dispatch_fused_fuzz_test.ts and
 * bench/fuzz_dispatch_fused.ts; rev16's review).
 *
 * Programs: forward-only pieces, each ending in a conditional jump (or
 * `ja`) to a later piece or to one of four returns (`ret #0`,
 * `ret #0x40000`, `ret a`, `txa; ret a`), so that fused tests often return
 * on one edge. Piece 0 stores fields into scratch cells (`ld [k]; rsh; and;
 * add; st M[c]`), which later pieces read (`ld M[c]; add x; add #k; tax`,
 * `ld M[c]; j<op> x`); at times an `ether proto`-like test and another
 * test come first (`_T_H_EQ retfalse` fused with the next operation).
 * Pieces: field runs on `[k]` (every subset of
 * `rsh`/`and`/`add`, `tax` or not, offsets up to past the packet's end,
 * blocks of several loads whose first takes the block's bounds check),
 * `[x + k]` fields and tests with X from `ldx 4*([k]&0xf)`, a constant
 * (0, small, the `SKF_NET_OFF`/`SKF_LL_OFF` windows, near 2^31 and 2^32),
 * `len`, a scratch cell or A; `_shortened`'s `tax; ld #c; add x; add #k;
 * tax`; ALU on K and X (division and modulo by an X that is 0 at times,
 * shifts by X); `ld len` / `ldx len`, ancillary loads. Constants are drawn
 * from edge values and mutated (±1, high bit). Packets: the template cut to
 * every length around the highest offset read, a few bytes changed.
 * Contexts per call: none, wire lengths below/at/above the captured length
 * (and 2^32 - 1), data offsets, network and link-layer offsets inside the
 * buffer (the windows), ancillary values.
 *
 * @module
 */
import { interpret } from "../src/bpf/interpret.ts";
import { validate } from "../src/bpf/validate.ts";
import type { Instruction } from "../src/bpf/instruction.ts";
import type { PacketContext } from "../src/bpf/packet_context.ts";
import { _lower } from "../src/bpf/_lower.ts";
import { _removeKnownTests } from "../src/bpf/_known_tests.ts";
import { _encodeDispatch } from "../src/bpf/_dispatch_code.ts";
import { _executor } from "../src/bpf/_execute.ts";
import { _ARITHMETIC_LEFT_OUT, _executorArithmetic } from "../src/bpf/_execute_arith.ts";
import { _fuseArithmetic, _withPlainTests } from "../src/bpf/_dispatch_fused.ts";
import { _executorFrames, _FRAMES_LEFT_OUT } from "../src/bpf/_execute_frames.ts";
import { _executorBatch } from "../src/bpf/_execute_batch.ts";
import { SKF_AD_OFF, SKF_LL_OFF, SKF_NET_OFF } from "../src/bpf/opcodes.ts";
import type { _Random } from "./_fuzz.ts";
import { type _ForwardShape, _linkedForward } from "./_backend_fuzz.ts";
import { compileFilter } from "../src/filter/compile_filter.ts";
import { _arithmeticFilterOf, _u32ProgramOf } from "./_step_tree_fuzz.ts";

const op = (code: number, k = 0, jt = 0, jf = 0): Instruction => ({ code, jt, jf, k: k >>> 0 });
const LOAD: Record<number, number> = { 1: 0x30, 2: 0x28, 4: 0x20 }; // ld{b,h,} [k]
const LOAD_X: Record<number, number> = { 1: 0x50, 2: 0x48, 4: 0x40 }; // ld{b,h,} [x + k]
const TAX = op(0x07);
const TXA = op(0x87);
const JUMPS = [0x15, 0x15, 0x25, 0x35, 0x45]; // jeq, jeq, jgt, jge, jset #k
const JUMPS_X = [0x1d, 0x2d, 0x3d, 0x4d]; // jeq, jgt, jge, jset x
// ALU on K (no div/mod by a constant 0: validate refuses it) and on X.
const ALU_K = [0x04, 0x14, 0x24, 0x34, 0x94, 0x54, 0x44, 0xa4, 0x64, 0x74];
const ALU_X = [0x0c, 0x1c, 0x2c, 0x3c, 0x9c, 0x5c, 0x4c, 0xac, 0x6c, 0x7c];
const ANCILLARY = [0, 4, 8, 20, 24, 28, 32, 36, 40, 44, 48, 52, 60];

/** Counts of the cases run, by path. */
export const _fusedCounts: Record<string, number> = {};

function count(path: string, n = 1): void {
  _fusedCounts[path] = (_fusedCounts[path] ?? 0) + n;
}

/** A constant near an edge, at times mutated. */
function constantOf(random: _Random, span: number): number {
  let k = random.pick([
    0,
    1,
    2,
    3,
    4,
    0xf,
    0x3c,
    0x45,
    0xff,
    0x800,
    0xffff,
    0x7fffffff,
    0x80000000,
    0xfffffffc,
    0xffffffff,
    random.int(span + 4),
    random.uint32(),
  ]);
  if (random.chance(0.2)) k = (k + random.pick([1, -1, 0x80000000])) >>> 0;
  return k >>> 0;
}

/** `rsh`, `and`, `add` after a load (each maybe, in the fused order, or at times out of order). */
function fieldTail(random: _Random, span: number): Instruction[] {
  const out: Instruction[] = [];
  const rsh = () => op(0x74, random.pick([0, 1, 2, 4, 6, 8, 16, 22, 24, 26, 28, 31]));
  const and = () =>
    op(
      0x54,
      random.pick([0x3c, 0xf, 0xff, 0xffff, 0x1fff, 0xfffffffe, 0, constantOf(random, span)]),
    );
  const add = () => op(0x04, random.pick([0, 4, 8, 14, 0xfffffffc, constantOf(random, span)]));
  // Out of the fused order at times (`and` before `rsh`, `add` before `and`): not one field.
  if (random.chance(0.06)) return random.chance(0.5) ? [and(), rsh()] : [add(), and()];
  if (random.chance(0.55)) out.push(rsh());
  if (random.chance(0.6)) out.push(and());
  if (random.chance(0.5)) out.push(add());
  if (random.chance(0.08)) out.push(random.pick([rsh, and, add])()); // past the fused form
  return out;
}

/** An offset for a `[k]` load of `size` bytes: in, at and just past the packet's end. */
function offsetOf(random: _Random, span: number, size: number): number {
  if (random.chance(0.04)) return random.pick([0x7fffffff, 0x80000000, 0xfffffff0]);
  if (random.chance(0.06)) {
    return (random.pick([SKF_NET_OFF, SKF_LL_OFF]) + random.int(span + 2)) >>> 0;
  }
  return random.int(Math.max(1, span - size + 4));
}

/** Instructions that set X (for `[x + k]`). */
function xOf(random: _Random, span: number, cells: readonly number[]): Instruction[] {
  switch (random.int(10)) {
    case 0:
    case 1:
      return [op(0xb1, random.int(Math.max(1, span)))]; // ldx 4*([k]&0xf)
    case 2:
      return [op(0x01, random.int(span + 2))]; // ldx #small
    case 9: // (the windows twice as often: `x + k` below 0 runs in _step)
    case 3:
      return [op(0x01, random.pick([SKF_NET_OFF, SKF_LL_OFF]) + random.int(span + 2))];
    case 4:
      return [op(0x01, random.pick([0xffffffff, 0xfffffff0, 0x7ffffff0, 0x80000000]))];
    case 5:
      return [op(0x81)]; // ldx len
    case 6:
      return cells.length > 0 ? [op(0x61, random.pick(cells))] : []; // ldx M[c]
    case 7:
      return [op(LOAD[1], random.int(Math.max(1, span))), TAX];
    default:
      return []; // X as it is
  }
}

/** One piece's body (before its jump). */
function bodyOf(random: _Random, span: number, cells: readonly number[]): Instruction[] {
  const size = () => random.pick([1, 2, 4]);
  const out: Instruction[] = [];
  switch (random.int(12)) {
    case 0:
    case 1: { // field runs on [k], one to three, tax or not
      for (let n = 1 + random.int(3); n > 0; n--) {
        const s = size();
        out.push(op(LOAD[s], offsetOf(random, span, s)), ...fieldTail(random, span));
        if (random.chance(0.5)) out.push(TAX);
        // Into a cell (after `tax` too), then A changed so that the cell and X tell.
        if (random.chance(0.3)) out.push(op(0x02, random.pick([...cells, 15])), op(0x04, 1));
      }
      break;
    }
    case 2:
    case 3: { // [x + k] field, tax or not
      const s = size();
      const k = random.chance(0.8)
        ? random.int(span + 2)
        : random.pick([0xfffffff0, 0xffffffff, SKF_NET_OFF >>> 0, (SKF_LL_OFF + 2) >>> 0]);
      out.push(...xOf(random, span, cells), op(LOAD_X[s], k), ...fieldTail(random, span));
      if (random.chance(0.6)) out.push(TAX);
      break;
    }
    case 4: // the nested u32 offset from a cell
      if (cells.length === 0) break;
      out.push(...xOf(random, span, cells), op(0x60, random.pick(cells)), op(0x0c));
      if (random.chance(0.7)) {
        out.push(op(0x04, random.pick([0, 4, 8, 0xfffffffc, constantOf(random, span)])));
      }
      if (random.chance(0.9)) out.push(TAX);
      break;
    case 5: // _shortened's form: tax; ld #c; add x; (add #k)*; tax
      out.push(TAX, op(0x00, constantOf(random, span)), op(0x0c));
      for (let n = random.int(3); n > 0; n--) out.push(op(0x04, constantOf(random, span)));
      out.push(TAX);
      break;
    case 6: // ALU on X: division and modulo by an X that may be 0
      out.push(
        ...xOf(random, span, cells),
        random.chance(0.5) ? op(random.pick([0x3c, 0x9c])) : op(random.pick(ALU_X)),
      );
      break;
    case 7: { // ALU on K
      const code = random.pick(ALU_K);
      const k = code === 0x64 || code === 0x74
        ? random.int(32)
        : code === 0x34 || code === 0x94
        ? 1 + random.int(300)
        : constantOf(random, span);
      out.push(op(code, k));
      break;
    }
    case 8: // lengths, constants, negation
      out.push(
        random.pick([op(0x80), op(0x81), op(0x00, constantOf(random, span)), op(0x84), TXA]),
      );
      break;
    case 9: // ancillary loads
      out.push(op(0x20, (SKF_AD_OFF + random.pick(ANCILLARY)) >>> 0));
      break;
    case 10: // stores and reloads
      if (cells.length > 0 && random.chance(0.5)) out.push(op(0x60, random.pick(cells)));
      else {out.push(
          random.chance(0.5)
            ? op(0x02, random.pick([...cells, 15]))
            : op(0x03, random.pick([...cells, 14])),
        );}
      break;
    default: // X as a load at 4*([k]&0xf), then A from it
      out.push(...xOf(random, span, cells), TXA);
  }
  return out;
}

/** The jump that ends a piece: a test on K (on the field just loaded) or X, a cell test, `ja`. */
function jumpOf(random: _Random, span: number, cells: readonly number[]): Instruction[] {
  const r = random.int(10);
  if (r === 0) return [op(0x05)];
  if (r <= 2 && cells.length > 0) {
    // ld M[c]; (rsh; and;)? j<op> x
    const out = [op(0x60, random.pick(cells))];
    if (random.chance(0.15)) out.push(op(0x74, random.pick([0, 1, 4])));
    if (random.chance(0.35)) out.push(op(0x54, random.pick([0xff, 0xffffffff, 0x3c, 0xf])));
    return [...out, op(random.pick(JUMPS_X))];
  }
  if (r === 3) return [op(random.pick(JUMPS_X))];
  if (r <= 5) { // [x + k] test
    const s = random.pick([1, 2, 4]);
    const out = [...xOf(random, span, cells), op(LOAD_X[s], random.int(span + 2))];
    if (random.chance(0.3)) out.push(op(0x74, random.int(8)));
    if (random.chance(0.4)) out.push(op(0x54, random.pick([0xf, 0xff, 0x3c, 0x1fff])));
    out.push(op(random.pick(JUMPS), random.pick([0, 1, 2, 6, 0x45, constantOf(random, span)])));
    return out;
  }
  return [op(random.pick(JUMPS), random.pick([0, 1, 2, 3, 0x45, 0x800, constantOf(random, span)]))];
}

/**
 * A program of the fused forms over packets of about `span` bytes (see the
 * module comment); undefined when it is not valid.
 */
export function _fusedProgramOf(random: _Random, span: number): Instruction[] | undefined {
  const cells: number[] = [];
  const prologue: Instruction[] = [];
  for (let n = random.int(4); n > 0; n--) {
    const cell = random.int(16);
    const s = random.pick([1, 2, 4]);
    prologue.push(op(LOAD[s], offsetOf(random, span, s)), ...fieldTail(random, span));
    prologue.push(random.chance(0.85) ? op(0x02, cell) : op(0x03, cell));
    cells.push(cell);
  }
  if (random.chance(0.3)) prologue.push(op(0xb1, random.int(Math.max(1, span)))); // X for later
  const body: Instruction[][] = [[...prologue, ...jumpOf(random, span, cells)]];
  for (let n = 1 + random.int(random.chance(0.2) ? 30 : 8); n > 0; n--) {
    body.push([...bodyOf(random, span, cells), ...jumpOf(random, span, cells)]);
  }
  // tcpdump's `ether proto` check first (`ldh [12]; jeq #type`), whose edges the linking picks:
  // returning when false and going on to a test is `_T_H_EQ retfalse` fused with that test.
  if (random.chance(0.3)) {
    const at = random.chance(0.5) ? 12 : offsetOf(random, span, 2);
    const type = op(0x15, random.pick([0x800, 0x86dd, constantOf(random, span)]));
    // Then a test of its own (a piece that is only a jump), which the fused operation runs into.
    body.unshift([op(LOAD[2], at), type], jumpOf(random, span, []));
  }
  const program = _linkedForward(body, random, _FUSED_SHAPE);
  try {
    validate(program);
  } catch {
    return undefined;
  }
  return program;
}

/**
 * The pieces linked by forward jumps to later pieces (often the next) or to
 * the returns after them, `txa; ret a` among them.
 */
const _FUSED_SHAPE: _ForwardShape = {
  returns: [op(0x06, 0), op(0x06, 0x40000), op(0x16), TXA, op(0x16)],
  targets: [0, 1, 2, 3], // the returns' first instructions (3: txa; ret a)
  toLater: 0.65,
  toNext: 0.5,
};

/** The highest offset a `[k]` or `ldx msh` load reads to (k ≥ 0), clamped. */
function highestOf(program: readonly Instruction[], limit: number): number {
  let high = 0;
  for (const { code, k } of program) {
    const cls = code & 0x07;
    if ((cls === 0x00 || cls === 0x01) && (code & 0xe0) === 0x20 && (k | 0) >= 0) {
      const size = (code & 0x18) === 0x10 ? 1 : (code & 0x18) === 0x08 ? 2 : 4;
      if (k < limit) high = Math.max(high, k + (cls === 0x01 ? 1 : size));
    }
  }
  return high;
}

/** A packet template: small values (so that compares and computed offsets often hit). */
export function _fusedTemplateOf(random: _Random, span: number): Uint8Array {
  const t = new Uint8Array(span);
  for (let i = 0; i < span; i++) {
    t[i] = random.chance(0.5)
      ? random.int(8)
      : random.pick([0x45, 0x4f, 0x40, 0x08, 0x06, 0x11, 0xff, 0x80, 0x86, 0xdd, random.int(256)]);
  }
  return t;
}

/** Packets: the template cut at every length around the highest offset read, some bytes changed. */
export function _fusedPacketsOf(
  random: _Random,
  template: Uint8Array,
  program: readonly Instruction[],
): Uint8Array[] {
  const high = highestOf(program, template.length + 64);
  const lengths = new Set<number>([0, 1, 2, 3, 4, template.length]);
  for (let d = -4; d <= 4; d++) lengths.add(high + d);
  for (let i = 0; i < 4; i++) lengths.add(random.int(template.length + 8));
  const packets: Uint8Array[] = [];
  for (const length of lengths) {
    if (length < 0) continue;
    const packet = new Uint8Array(length);
    packet.set(template.subarray(0, Math.min(length, template.length)));
    packets.push(packet);
    if (length > 0 && random.chance(0.5)) {
      const changed = packet.slice();
      for (let j = random.int(3); j >= 0; j--) changed[random.int(length)] = random.int(256);
      packets.push(changed);
    }
  }
  return packets;
}

/** Contexts for a per-call run on `packet` (the packet alone in its buffer). */
function callContextsOf(random: _Random, packet: Uint8Array): (PacketContext | undefined)[] {
  const n = packet.length;
  const inside = () => random.int(n + 1);
  const out: (PacketContext | undefined)[] = [
    undefined,
    {},
    { wireLength: Math.max(0, n - 1 - random.int(3)) },
    { wireLength: n + 1 + random.int(60) },
    { dataOffset: inside(), networkOffset: inside(), macOffset: inside() },
    {
      networkOffset: inside(),
      macOffset: random.chance(0.5) ? inside() : undefined,
      end: inside(),
    },
  ];
  if (random.chance(0.3)) out.push({ wireLength: random.pick([0, 0xffffffff, 0x80000000]) });
  if (random.chance(0.3)) {
    out.push({
      dataOffset: inside(),
      protocol: 0x0800,
      pktType: random.int(5),
      ifindex: random.pick([0, 3]),
      mark: random.uint32(),
      hatype: 1,
      vlanTci: random.int(0x10000),
      vlanPresent: random.chance(0.5),
      vlanTpid: 0x8100,
      queue: random.int(4),
      rxhash: random.uint32(),
      cpu: random.int(2),
    });
  }
  return out;
}

/** A mismatch: where, the program, the packet, the context, what each said. */
export interface _FusedMismatch {
  path: string;
  program: Instruction[];
  packet: number[];
  context: PacketContext | undefined;
  expected: number;
  actual: number;
}

const ARITHMETIC_LEFT_OUT = new Set(_ARITHMETIC_LEFT_OUT);

/**
 * Runs `program` through the dispatch loop per call (each packet alone,
 * every context of {@linkcode callContextsOf}; also through the arithmetic
 * copy when the program has fused pairs), per call in one shared
 * buffer, and by batch in four layouts (every option, none, wire lengths
 * alone, data offsets alone), against interpret(); the first mismatch.
 */
export function _compareFused(
  random: _Random,
  program: Instruction[],
  packets: readonly Uint8Array[],
): _FusedMismatch | undefined {
  const code = _encodeDispatch(_removeKnownTests(_lower(program)));
  const beyondInt32 = (packet: Uint8Array, context?: PacketContext) =>
    interpret(program, packet, context);
  const run = _executor(code, beyondInt32);
  // Batches through the loop's copy, as compileClosure() runs them.
  const runBatch = _executorBatch(
    _executorFrames(_withPlainTests(code, new Set(_FRAMES_LEFT_OUT)), beyondInt32),
  );
  // And the arithmetic copy on the fused code, where compileClosure() would run it.
  const fused = _fuseArithmetic(code, ARITHMETIC_LEFT_OUT);
  const runs = fused === undefined ? [["call", run] as const] : [
    ["call", run] as const,
    ["arithmetic call", _executorArithmetic(fused, beyondInt32)] as const,
  ];
  for (const packet of packets) {
    for (const context of callContextsOf(random, packet)) {
      const want = interpret(program, packet, context);
      for (const [path, f] of runs) {
        const got = context === undefined ? f(packet) : f(packet, context);
        count(path);
        if (got !== want) {
          return { path, program, packet: [...packet], context, expected: want, actual: got };
        }
      }
    }
  }
  // Side by side in one buffer, 3 bytes of 0xee apart, with wire lengths and data offsets.
  const frames = packets.map((packet) => ({
    packet,
    skip: random.chance(0.3) ? random.int(packet.length + 1) : 0,
    wire: random.chance(0.4) ? random.int(packet.length + 40) : undefined,
    at: 0,
  }));
  let total = random.int(4);
  for (const f of frames) f.at = total, total += f.packet.length + 3;
  const bytes = new Uint8Array(total).fill(0xee);
  for (const f of frames) bytes.set(f.packet, f.at);
  const contextOf = (f: typeof frames[number]): PacketContext => ({
    dataOffset: f.at + f.skip,
    end: f.at + f.packet.length,
    wireLength: f.wire ?? Math.max(0, f.packet.length - f.skip),
    networkOffset: f.at + f.skip,
    macOffset: f.at,
  });
  const expected = frames.map((f) => interpret(program, bytes, contextOf(f)));
  const fail = (path: string, i: number, actual: number): _FusedMismatch => ({
    path,
    program,
    packet: [...frames[i].packet],
    context: contextOf(frames[i]),
    expected: expected[i],
    actual,
  });
  for (let i = 0; i < frames.length; i++) {
    const got = run(bytes, contextOf(frames[i]));
    count("call in buffer");
    if (got !== expected[i]) return fail("call in buffer", i, got);
  }
  const all = frames.map((_, i) => i);
  const pick = (indices: number[], f: (i: number) => number) => Uint32Array.from(indices, f);
  const plain = all.filter((i) => frames[i].skip === 0 && frames[i].wire === undefined);
  const noSkip = all.filter((i) => frames[i].skip === 0);
  const noWire = all.filter((i) => frames[i].wire === undefined);
  const offsets = (ix: number[]) => pick(ix, (i) => frames[i].at);
  const lengths = (ix: number[]) => pick(ix, (i) => frames[i].packet.length);
  const wires = (ix: number[]) => pick(ix, (i) => contextOf(frames[i]).wireLength!);
  const skips = (ix: number[]) => pick(ix, (i) => frames[i].skip);
  const layouts = [
    {
      name: "all options",
      ix: all,
      batch: {
        bytes,
        offsets: offsets(all),
        capturedLengths: lengths(all),
        wireLengths: wires(all),
        dataOffsets: skips(all),
      },
    },
    {
      name: "plain",
      ix: plain,
      batch: { bytes, offsets: offsets(plain), capturedLengths: lengths(plain) },
    },
    {
      name: "wire lengths",
      ix: noSkip,
      batch: {
        bytes,
        offsets: offsets(noSkip),
        capturedLengths: lengths(noSkip),
        wireLengths: wires(noSkip),
      },
    },
    {
      name: "data offsets",
      ix: noWire,
      batch: {
        bytes,
        offsets: offsets(noWire),
        capturedLengths: lengths(noWire),
        dataOffsets: skips(noWire),
      },
    },
  ];
  for (const { name, ix, batch } of layouts) {
    const results = new Uint32Array(ix.length).fill(0xdeadbeef);
    runBatch(batch, results);
    count(`batch (${name})`, ix.length);
    for (let j = 0; j < ix.length; j++) {
      if (results[j] !== expected[ix[j]]) return fail(`batch (${name})`, ix[j], results[j]);
    }
  }
  return undefined;
}

/**
 * The values in `program`'s dispatch code (operation numbers and operands
 * alike: an upper bound of the fused forms a run hit, for its report).
 */
export function _codeValuesOf(program: Instruction[]): Set<number> {
  return new Set(_encodeDispatch(_removeKnownTests(_lower(program))));
}

/** Filter expressions whose compiled programs hold the fused forms (`u32`-like offsets, `[x + k]`). */
const EXPRESSIONS = [
  "tcp port 80",
  "tcp dst port 443 and ip src host 10.0.0.1",
  "udp and ip[6:2] & 0x1fff = 0 and udp[8:2] = 53",
  "tcp[((tcp[12] & 0xf0) >> 2):4] = 0x47455420",
  "tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn",
  "icmp[icmptype] = icmp-echo",
  "ip[0] & 0xf > 5 and tcp[13] & 2 != 0",
  "vlan and tcp port 22",
  "vlan 100 and udp",
  "ip6 and tcp dst port 80",
  "ip and len > 100 and tcp[0:2] > 1024",
  "udp[((ip[0] & 0xf) << 2) - 20 + 8] = 1",
  "ip[ip[0] & 0xf] = 4 or ip[2:2] - ((ip[0] & 0xf) << 2) > 40",
  "tcp[(tcp[12] >> 4) * 4] = 0x16 and tcp[((tcp[12] >> 4) * 4) + 5] = 1",
  "ether[12:2] = 0x800 and ether[14] & 0xf0 = 0x40",
  "(tcp or udp) and (tcp[2:2] = 80 or udp[2:2] = 53)",
];

/**
 * A compiled program (a `u32` match, an arithmetic filter expression or one
 * of {@linkcode EXPRESSIONS}) with 1 to 3 of its constants changed (load
 * offsets, ALU operands, jump constants: ±1, ±4, an edge value, the
 * windows), when it stays valid; undefined when not.
 */
export function _mutatedProgramOf(random: _Random): Instruction[] | undefined {
  const source = random.int(3);
  let program: Instruction[] | undefined;
  try {
    program = source === 0
      ? _u32ProgramOf(random)
      : source === 1
      ? _arithmeticFilterOf(random)
      : compileFilter(random.pick(EXPRESSIONS), { optimize: random.chance(0.8) });
  } catch {
    return undefined;
  }
  if (program === undefined || program.length === 0) return undefined;
  const out = program.map((i) => ({ ...i }));
  for (let n = random.int(4); n > 0; n--) {
    const at = random.int(out.length);
    const { code, k } = out[at];
    const cls = code & 0x07;
    if (cls === 0x06 || (cls === 0x05 && (code & 0xf0) === 0x00)) continue; // ret, ja
    const delta = random.pick([1, -1, 4, -4, 14, -14]);
    const next = random.chance(0.7) ? k + delta : random.pick([
      0,
      0xffffffff,
      0x7fffffff,
      0x80000000,
      SKF_NET_OFF,
      SKF_LL_OFF + 14,
      k ^ 0x80000000,
    ]);
    out[at] = { ...out[at], k: next >>> 0 };
  }
  try {
    validate(out);
  } catch {
    return undefined;
  }
  return out;
}
