/**
 * Random classic BPF programs for the fuzz tests: valid ones over all 49
 * opcodes the kernel allows, and deliberately broken ones.
 *
 * @module
 */
import type { Instruction } from "../src/bpf/instruction.ts";
import { _ALLOWED_OPCODES } from "../src/bpf/_opcode_table.ts";
import { SKF_AD_OFF } from "../src/bpf/opcodes.ts";
import type { _Random } from "./_fuzz.ts";

const _ANCILLARY_FIELDS = [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60];

/** Every opcode the kernel accepts. */
export const _OPCODES: readonly number[] = [..._ALLOWED_OPCODES.keys()];

function _constant(random: _Random): number {
  return random.pick([0, 1, 4, 14, 0x800, 0xffff, 0x80000000, 0xffffffff, random.uint32()]);
}

/**
 * A random program that passes `validate()` with default options: jumps in
 * range, no division by a zero constant, shifts below 32, scratch cells
 * written (all 16 are stored first when any is read), a final `ret`.
 */
export function _validProgram(random: _Random, maxLength = 40): Instruction[] {
  const length = 2 + random.int(maxLength - 1);
  const program: Instruction[] = [];
  let usesScratch = false;
  for (let pc = 0; pc < length - 1; pc++) {
    const code = random.pick(_OPCODES);
    const room = length - pc - 2;
    const jump = () => Math.min(room, random.chance(0.1) ? random.int(256) : random.int(5));
    let k = _constant(random);
    let jt = 0;
    let jf = 0;
    const cls = code & 0x07;
    const op = code & 0xf0;
    if (cls === 0x05) {
      if (op === 0x00) k = Math.min(room, random.int(6));
      else {
        jt = jump();
        jf = jump();
      }
    } else if (cls === 0x04 && (code & 0x08) === 0) {
      if ((op === 0x30 || op === 0x90) && k === 0) k = 7;
      if (op === 0x60 || op === 0x70) k = random.int(32);
    } else if (code === 0x02 || code === 0x03 || code === 0x60 || code === 0x61) {
      k = random.int(16);
      if (code === 0x60 || code === 0x61) usesScratch = true;
    } else if (code === 0x20 || code === 0x28 || code === 0x30) {
      k = random.chance(0.3)
        ? (SKF_AD_OFF + random.pick(_ANCILLARY_FIELDS)) >>> 0
        : random.chance(0.5)
        ? random.int(100)
        : random.int(0x7fffffff);
    }
    if (random.chance(0.1) && cls !== 0x05) {
      // junk in fields the opcode ignores: the kernel does not look at them
      jt = random.int(256);
      jf = random.int(256);
    }
    program.push({ code, jt, jf, k: k >>> 0 });
  }
  program.push({ code: random.pick([0x06, 0x16]), jt: 0, jf: 0, k: _constant(random) });
  if (usesScratch) {
    // Store every cell first (shifting jumps is unnecessary: they are relative).
    const stores: Instruction[] = [];
    for (let i = 0; i < 16; i++) stores.push({ code: 0x02, jt: 0, jf: 0, k: i });
    return [...stores, ...program];
  }
  return program;
}
