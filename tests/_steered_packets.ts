/**
 * Packets steered down a program's paths (private, for the differential
 * fuzz of the closure strategy): the program runs on a packet through the
 * reference interpreter's observer; a test on a loaded field (`[k]`,
 * `[x + k]`, after `and`/`rsh`/`lsh`/`add`/`sub`/`xor` with K) or on the length
 * is picked on the path, and the field's bytes (or the packet's length) are
 * rewritten so that A lands on the test's constant, one above or one below
 * (a `jset`: its bits set or clear). Repeated, each packet from the last, so
 * later packets take paths deep inside trees, runs of tests that share a
 * target, and the arms of a range, which random bytes seldom reach. At
 * times a packet is cut at the end of a load met on the path (`[x + k]`
 * too, where X decides the end), or one byte before it.
 *
 * @module
 */
import type { Instruction } from "../src/bpf/instruction.ts";
import { interpret, type InterpretStep } from "../src/bpf/interpret.ts";
import type { _Random } from "./_fuzz.ts";

/** A test on K met on the path, and how its A came from a field of the packet. */
/** A packet load met on the path: where it read (bytes from the packet's start). */
interface _Load {
  offset: number;
  size: number;
}

interface _Met {
  /** Where the field was loaded (bytes from the packet's start); -1: the length. */
  offset: number;
  size: number;
  /** `and`/`rsh`/`lsh`/`add`/`sub`/`xor` with K between the load and the test, in order. */
  ops: { op: number; k: number }[];
  code: number;
  k: number;
}

const SIZE: Record<number, number> = { 0x00: 4, 0x08: 2, 0x10: 1 };

/** The tests on K of one run of `program` on `packet`, each with its field, and its loads. */
function testsMet(
  program: readonly Instruction[],
  packet: Uint8Array,
): { met: _Met[]; loads: _Load[] } {
  const met: _Met[] = [];
  const loads: _Load[] = [];
  let field: { offset: number; size: number; ops: { op: number; k: number }[] } | undefined;
  let x = 0;
  const observe = (step: Readonly<InterpretStep>) => {
    const { code, k } = step.instruction;
    const cls = code & 7, mode = code & 0xe0;
    if (cls === 0) {
      const offset = mode === 0x20 ? k : mode === 0x40 ? (x + k) >>> 0 : -2;
      if ((mode === 0x20 || mode === 0x40) && offset < 0x7fffffff) {
        field = { offset, size: SIZE[code & 0x18] ?? 4, ops: [] };
        loads.push({ offset, size: field.size });
      } else if (mode === 0x80) field = { offset: -1, size: 0, ops: [] };
      else field = undefined;
    } else if (cls === 1 && (mode === 0x20 || mode === 0x40 || mode === 0xa0)) {
      const offset = mode === 0x40 ? (x + k) >>> 0 : k; // ldx [k], ldx msh
      if (offset < 0x7fffffff) {
        loads.push({ offset, size: mode === 0xa0 ? 1 : SIZE[code & 0x18] ?? 4 });
      }
    } else if (cls === 4 && (code & 8) === 0 && field !== undefined) {
      const op = code & 0xf0;
      if ([0x00, 0x10, 0x50, 0x60, 0x70, 0xa0].includes(op)) field.ops.push({ op, k: k >>> 0 });
      else field = undefined;
    } else if (cls === 7 && code === 0x87) field = undefined; // txa
    else if (cls === 5 && code !== 0x05 && (code & 8) === 0 && field !== undefined) {
      met.push({ ...field, ops: [...field.ops], code, k: k >>> 0 });
    }
    x = step.x;
  };
  try {
    interpret(program, packet, {}, observe);
  } catch {
    return { met: [], loads: [] };
  }
  return { met, loads };
}

/** A value of A that lands on, just above or just below a test's constant (or flips a `jset`). */
function wantedOf(random: _Random, code: number, k: number): number {
  if ((code & 0xf0) === 0x40) {
    return random.chance(0.5) ? (k | random.uint32()) >>> 0 : (random.uint32() & ~k) >>> 0;
  }
  return (k + random.pick([0, 0, 1, -1])) >>> 0;
}

/** A raw field value whose `ops` give `want` (undefined when none is found). */
function rawOf(random: _Random, ops: { op: number; k: number }[], want: number) {
  let v = want >>> 0;
  for (let i = ops.length - 1; i >= 0; i--) {
    const { op, k } = ops[i];
    const noise = random.uint32();
    if (op === 0x50) v = (v & k) | (noise & ~k);
    else if (op === 0x70) v = k === 0 ? v : (v << k) | (noise & ((1 << k) - 1));
    else if (op === 0x60) v = k === 0 ? v : (v >>> k) | (noise & ~(0xffffffff >>> k));
    else if (op === 0x00) v = v - k;
    else if (op === 0x10) v = v + k;
    else if (op === 0xa0) v = v ^ k;
    v >>>= 0;
  }
  return v;
}

/**
 * Up to `count` packets steered from `base` down `program`'s paths (see the
 * module doc); each is a copy, `base` is not changed. Packets shorter than
 * a field are grown (random bytes) to hold it.
 */
export function _steeredPackets(
  random: _Random,
  program: readonly Instruction[],
  base: Uint8Array,
  count: number,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  let packet = base;
  for (let tries = 0; out.length < count && tries < count * 3; tries++) {
    const { met, loads } = testsMet(program, packet);
    if (loads.length > 0 && random.chance(0.25)) {
      // The packet cut at a load's end on the path, or one byte before it (the load fails).
      const { offset, size } = random.pick(loads);
      const end = offset + size - random.int(2);
      if (end <= packet.length) out.push(packet.slice(0, end));
      continue;
    }
    if (met.length === 0) break;
    // Later tests more often: they lie deeper on the path.
    const pick = met[Math.max(random.int(met.length), random.int(met.length))];
    const want = wantedOf(random, pick.code, pick.k);
    let next: Uint8Array;
    if (pick.offset === -1) {
      const length = rawOf(random, pick.ops, want);
      if (length > 2048) continue;
      next = new Uint8Array(length);
      next.set(packet.subarray(0, length));
      for (let i = packet.length; i < length; i++) next[i] = random.int(256);
    } else {
      const { offset, size } = pick;
      if (offset + size > 2048) continue;
      next = new Uint8Array(Math.max(packet.length, offset + size));
      next.set(packet);
      for (let i = packet.length; i < next.length; i++) next[i] = random.int(256);
      const raw = rawOf(random, pick.ops, want);
      for (let b = 0; b < size; b++) next[offset + b] = (raw >>> (8 * (size - 1 - b))) & 0xff;
    }
    out.push(next);
    // Go on from the new packet most of the time (deeper), else from the base again.
    packet = random.chance(0.8) ? next : base;
  }
  return out;
}
