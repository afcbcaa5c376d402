/**
 * Random programs for the program optimiser's fuzz test: valid programs
 * dense in what it folds (constants, runs of one ALU operation, `tax`/`txa`,
 * scratch cells, dead loads covered or not by later ones, jumps to `ja`,
 * jumps on known values, dead code after `ret`), mixed with what it must
 * keep (packet loads that may fail, ancillary loads that may return A,
 * `div`/`mod` by X, `len`), and random contexts to run them in.
 *
 * @module
 */
import type { Instruction } from "../src/bpf/instruction.ts";
import type { PacketContext } from "../src/bpf/packet_context.ts";
import { SKF_AD_OFF, SKF_LL_OFF, SKF_NET_OFF } from "../src/bpf/opcodes.ts";
import type { _Random } from "./_fuzz.ts";

const op = (code: number, k = 0, jt = 0, jf = 0): Instruction => ({ code, jt, jf, k });
/** ALU operations (add … xor), by their operation bits. */
const ALU_OPS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0];
const SIZES = [0x00, 0x08, 0x10]; // W, H, B

function constantOf(random: _Random): number {
  return random.pick([
    0,
    1,
    2,
    3,
    7,
    8,
    14,
    31,
    0x800,
    0xffff,
    0x80000000,
    0xffffffff,
    random.uint32(),
  ]);
}

/** A constant operand valid for the ALU operation `aluOp`. */
function aluConstant(random: _Random, aluOp: number): number {
  if (aluOp === 0x60 || aluOp === 0x70) return random.int(32);
  const k = random.chance(0.5) ? random.int(9) : constantOf(random);
  return (aluOp === 0x30 || aluOp === 0x90) && k === 0 ? 3 : k;
}

/** A packet load: `[k]` (mostly small, some near the end, negative windows, ancillary), `[x + k]` or `ldx msh`. */
function loadOf(random: _Random, span: number): Instruction {
  const size = random.pick(SIZES);
  const kind = random.int(10);
  // Some [k] loads reach past any header length (60) beyond the [x + k] ones.
  if (kind <= 5) return op(0x20 | size, random.int(span + (random.chance(0.2) ? 80 : 4)));
  if (kind === 6) return op(0x40 | size, random.chance(0.8) ? random.int(span) : random.uint32());
  if (kind === 7) return op(0xb1, random.chance(0.9) ? random.int(span + 2) : SKF_NET_OFF >>> 0);
  if (kind === 8) {
    return op(
      0x20 | size,
      ((random.chance(0.5) ? SKF_NET_OFF : SKF_LL_OFF) + random.int(span)) >>> 0,
    );
  }
  return op(0x20, (SKF_AD_OFF + random.pick([0, 4, 8, 20, 28, 44, 48, 52, 56, 60])) >>> 0);
}

/** A straight run of loads after `ldx msh`: `[x + k]` ones, other `ldx msh`, `[k]` ones reaching far. */
function headerRunOf(random: _Random, span: number): Instruction[] {
  const run = [op(0xb1, random.int(span))];
  for (let n = 2 + random.int(6); n > 0; n--) {
    const choice = random.int(6);
    if (choice <= 2) run.push(op(0x40 | random.pick(SIZES), random.int(span)));
    else if (choice === 3) run.push(op(0xb1, random.int(span)));
    else run.push(op(0x20 | random.pick(SIZES), random.int(span + 80)));
  }
  return run;
}

/** One non-jump instruction; `scratch`: whether M[] may be read. */
function stepOf(random: _Random, span: number, scratch: boolean): Instruction[] {
  const kind = random.int(14);
  if (kind <= 1) return [op(random.chance(0.7) ? 0x00 : 0x01, constantOf(random))]; // ld/ldx #k
  if (kind <= 3) {
    // a run of one ALU operation on constants (or neg), sometimes of one length
    const aluOp = random.pick(ALU_OPS);
    const run: Instruction[] = [];
    for (let n = 1 + random.int(random.chance(0.2) ? 40 : 5); n > 0; n--) {
      run.push(op(0x04 | aluOp, aluOp === 0x80 ? 0 : aluConstant(random, aluOp)));
    }
    return run;
  }
  if (kind === 4) {
    const aluOp = random.pick(ALU_OPS.filter((o) => o !== 0x80));
    return [op(0x0c | aluOp)]; // ALU on X
  }
  if (kind <= 6) return [op(random.pick([0x07, 0x87]))]; // tax / txa
  if (kind === 7) return [op(random.pick([0x02, 0x03]), random.int(16))]; // st / stx
  if (kind === 8 && scratch) return [op(random.pick([0x60, 0x61]), random.int(16))]; // ld/ldx M[]
  if (kind === 9) return [op(random.pick([0x80, 0x81]))]; // ld/ldx len
  if (kind === 10) return headerRunOf(random, span);
  return [loadOf(random, span)];
}

/**
 * A valid program of up to about `maxLength` instructions over packets of
 * about `span` bytes (see the module).
 */
export function _foldableProgramOf(random: _Random, span: number, maxLength = 60): Instruction[] {
  const length = 2 + random.int(maxLength);
  const scratch = random.chance(0.3);
  const body: Instruction[] = [];
  if (scratch) { for (let i = 0; i < 16; i++) body.push(op(random.pick([0x02, 0x03]), i)); }
  while (body.length < length - 1) {
    const kind = random.int(10);
    if (kind <= 5) body.push(...stepOf(random, span, scratch));
    else if (kind <= 7) {
      const test = random.pick([0x15, 0x25, 0x35, 0x45, 0x1d, 0x2d, 0x3d, 0x4d]);
      const k = random.chance(0.5) ? random.int(9) : constantOf(random);
      const far = () => random.chance(0.1) ? random.int(256) : random.int(6);
      body.push(op(test, test & 0x08 ? 0 : k, far(), far()));
    } else if (kind === 8) {
      body.push(op(0x05, random.chance(0.1) ? random.int(400) : random.int(5)));
    } else body.push(random.chance(0.5) ? op(0x16) : op(0x06, constantOf(random)));
  }
  body.push(random.chance(0.5) ? op(0x16) : op(0x06, constantOf(random)));
  for (let pc = 0; pc < body.length; pc++) {
    const i = body[pc];
    const room = Math.max(body.length - pc - 2, 0);
    if (i.code === 0x05) i.k = Math.min(i.k, room);
    else if ((i.code & 0x07) === 0x05) {
      i.jt = Math.min(i.jt, room);
      i.jf = Math.min(i.jf, room);
    }
  }
  return body;
}

/**
 * Packets for `[x + k]` loads after `ldx msh`: random bytes (so header
 * lengths vary) and random lengths to `span` + 80.
 */
export function _indexedPacketsOf(random: _Random, span: number): Uint8Array[] {
  return Array.from({ length: 8 }, () => {
    const packet = new Uint8Array(random.int(span + 80));
    for (let i = 0; i < packet.length; i++) packet[i] = random.int(256);
    return packet;
  });
}

/** What `ld rand` loads in every context (the same for the runs compared). */
const fixedRandom = () => 0x5eed;

/**
 * A context to run a program in: mostly none, else offsets, a wire length,
 * device fields; `ld rand` always loads the same value.
 */
export function _contextOf(random: _Random, length: number): PacketContext {
  const kind = random.int(5);
  if (kind <= 1) return { random: fixedRandom };
  if (kind === 2) {
    return {
      random: fixedRandom,
      wireLength: random.pick([0, length, length + 100, random.int(length + 1)]),
    };
  }
  if (kind === 3) {
    return {
      random: fixedRandom,
      dataOffset: random.int(4),
      networkOffset: random.int(length + 2),
      macOffset: random.int(3),
    };
  }
  return {
    random: fixedRandom,
    ifindex: random.int(3),
    hatype: 1,
    mark: random.uint32(),
    vlanTci: random.int(0x10000),
    vlanPresent: random.chance(0.5),
  };
}
