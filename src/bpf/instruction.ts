/**
 * One classic BPF instruction, as `struct sock_filter` holds it.
 *
 * `code` is a 16-bit opcode, `jt`/`jf` are 8-bit forward jump offsets and `k`
 * is the 32-bit constant, always stored unsigned (`0..2**32-1`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Instruction } from "./instruction.ts";
 * import { interpret } from "./interpret.ts";
 * const ret: Instruction = { code: 0x06, jt: 0, jf: 0, k: 0xffffffff };
 * assert.equal(interpret([ret], new Uint8Array(0)), 0xffffffff);
 * ```
 */
export interface Instruction {
  /** The 16-bit opcode (`BPF_LD | BPF_H | BPF_ABS` is 0x28). */
  code: number;
  /** Jump offset when the condition is true (0..255). */
  jt: number;
  /** Jump offset when the condition is false (0..255). */
  jf: number;
  /** The 32-bit constant operand, unsigned. */
  k: number;
}

/**
 * A classic BPF program: an ordered list of instructions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Program } from "./instruction.ts";
 * import { BPF_A, BPF_LD, BPF_LEN, BPF_RET, BPF_W } from "./opcodes.ts";
 * import { interpret } from "./interpret.ts";
 * const packetLength: Program = [
 *   { code: BPF_LD | BPF_W | BPF_LEN, jt: 0, jf: 0, k: 0 }, // ld #len
 *   { code: BPF_RET | BPF_A, jt: 0, jf: 0, k: 0 }, // ret a
 * ];
 * assert.equal(interpret(packetLength, new Uint8Array(42)), 42);
 * ```
 */
export type Program = readonly Instruction[];
