/**
 * The Linux classic BPF checker.
 *
 * @module
 */
import type { Instruction, Program } from "./instruction.ts";
import { type BpfValidationCode, BpfValidationError } from "./errors.ts";
import { _ALLOWED_OPCODES, _isConditionalJump } from "./_opcode_table.ts";
import { _KNOWN_ANCILLARY } from "./_ancillary.ts";
import { _fieldsFit } from "./_instruction_fields.ts";
import {
  BPF_A,
  BPF_ABS,
  BPF_ALU,
  BPF_B,
  BPF_DIV,
  BPF_H,
  BPF_JA,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LSH,
  BPF_MAXINSNS,
  BPF_MEM,
  BPF_MEMWORDS,
  BPF_MOD,
  BPF_RET,
  BPF_RSH,
  BPF_ST,
  BPF_STX,
  BPF_W,
  SKF_AD_OFF,
} from "./opcodes.ts";

/**
 * Options of {@linkcode validate}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validate, type ValidateOptions } from "./validate.ts";
 * import { BpfValidationError } from "./errors.ts";
 * const xtBpf: ValidateOptions = { maxInstructions: 64 };
 * const long = Array.from({ length: 65 }, () => ({ code: 0x06, jt: 0, jf: 0, k: 0 }));
 * validate(long); // within the kernel's 4096
 * assert.throws(() => validate(long, xtBpf), (error) =>
 *   error instanceof BpfValidationError && error.code === "TOO_LONG");
 * // ldb [0]; ja -2 (back to ldb); ret #0: a backward jump, as pcap_compile
 * // emits for protochain. Linux refuses it; libpcap runs it.
 * const loop = [
 *   { code: 0x30, jt: 0, jf: 0, k: 0 },
 *   { code: 0x05, jt: 0, jf: 0, k: 0xfffffffe },
 *   { code: 0x06, jt: 0, jf: 0, k: 0 },
 * ];
 * assert.throws(() => validate(loop), (error) =>
 *   error instanceof BpfValidationError && error.code === "JUMP_OUT_OF_RANGE");
 * validate(loop, { allowBackwardJumps: true }); // accepted
 * ```
 */
export interface ValidateOptions {
  /**
   * Largest accepted program, 1..4096 (xt_bpf accepts 64).
   *
   * @default {4096}
   */
  maxInstructions?: number;
  /**
   * Also accept `ja` with a negative (int32) `k`, as libpcap's `bpf_filter()`
   * runs it: `pcap_compile` emits such loops for `protochain`. Linux refuses
   * them (the default). The engines stop a run after 65536 backward jumps
   * and return 0, so a looping program cannot hang.
   * @default {false}
   */
  allowBackwardJumps?: boolean;
}

/**
 * Checks a program exactly as the Linux kernel does before it runs a classic
 * BPF program (`bpf_check_basics_ok`, `bpf_check_classic` and
 * `check_load_and_stores` in `net/core/filter.c`), and throws on the first
 * rule broken:
 *
 * - length 1..4096 (or `maxInstructions`): `EMPTY_PROGRAM`, `TOO_LONG`;
 * - fields of the right width (`code` 16 bits, `jt`/`jf` 8 bits, `k` unsigned
 *   32 bits; the kernel's struct cannot hold anything else): `BAD_FIELD`;
 * - one of the 49 opcodes the kernel allows: `BAD_OPCODE`;
 * - `div #0`, `mod #0`: `DIVISION_BY_ZERO`; `lsh`/`rsh` by a constant ≥ 32:
 *   `BAD_SHIFT`; scratch index ≥ 16: `BAD_SCRATCH_INDEX`;
 * - `ja` and both branches of conditional jumps inside the program:
 *   `JUMP_OUT_OF_RANGE` (`ja` backwards only with `allowBackwardJumps`);
 * - `ld`/`ldh`/`ldb [k]` with `k ≥ SKF_AD_OFF` must name a known ancillary
 *   field: `BAD_ANCILLARY`;
 * - the last instruction is `ret #k` or `ret a`: `NO_FINAL_RETURN`;
 * - no scratch cell read before it is written on some path, as the kernel's
 *   linear scan computes it: `UNINITIALIZED_SCRATCH`.
 *
 * Instructions are checked in order, so the error names the first bad one.
 *
 * @param program The instructions.
 * @param options Limits.
 * @throws {BpfValidationError} With the instruction index (or -1 for the
 *   whole program) and a stable `code`.
 * @throws {RangeError} When `maxInstructions` is not an integer in 1..4096.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validate } from "./validate.ts";
 * import { BpfValidationError } from "./errors.ts";
 * validate([{ code: 0x06, jt: 0, jf: 0, k: 0xffffffff }]); // fine
 * // ldh [12] without ret
 * assert.throws(() => validate([{ code: 0x28, jt: 0, jf: 0, k: 12 }]), (error) =>
 *   error instanceof BpfValidationError && error.code === "NO_FINAL_RETURN");
 * ```
 */
export function validate(program: Program, options: ValidateOptions = {}): void {
  const max = options.maxInstructions ?? BPF_MAXINSNS;
  if (!Number.isInteger(max) || max < 1 || max > BPF_MAXINSNS) {
    throw new RangeError(
      `Cannot validate program: maxInstructions must be an integer in 1..${BPF_MAXINSNS}, got "${max}"`,
    );
  }
  if (!Array.isArray(program)) {
    throw new TypeError("Cannot validate program: expected an array of instructions");
  }
  const length = program.length;
  if (length === 0) fail("EMPTY_PROGRAM", -1, "the program is empty");
  if (length > max) {
    fail("TOO_LONG", -1, `the program has ${length} instructions, more than ${max}`);
  }
  const backward = options.allowBackwardJumps === true;
  for (let pc = 0; pc < length; pc++) checkInstruction(program, pc, backward);
  checkFinalReturn(program);
  checkLoadAndStores(program);
}

function fail(code: BpfValidationCode, index: number, reason: string): never {
  const where = index < 0 ? "" : ` at instruction ${index}`;
  throw new BpfValidationError(`Cannot validate program: ${reason}${where}`, code, index);
}

function isUint(value: unknown, bits: number): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 &&
    value < 2 ** bits;
}

function checkFields(insn: Instruction | undefined, pc: number): void {
  if (insn === null || typeof insn !== "object") fail("BAD_FIELD", pc, "not an instruction");
  if (_fieldsFit(insn.code, insn.jt, insn.jf, insn.k)) return;
  // Field by field, for the error.
  checkField(insn, "code", 16, pc);
  checkField(insn, "jt", 8, pc);
  checkField(insn, "jf", 8, pc);
  checkField(insn, "k", 32, pc);
}

function checkField(insn: Instruction, field: keyof Instruction, bits: number, pc: number): void {
  if (!isUint(insn[field], bits)) {
    fail("BAD_FIELD", pc, `${field} "${insn[field]}" is not an unsigned ${bits}-bit integer`);
  }
}

/** The per-instruction rules of `bpf_check_classic`, in the kernel's order. */
function checkInstruction(program: Program, pc: number, backward: boolean): void {
  const insn = program[pc];
  checkFields(insn, pc);
  const { code, jt, jf, k } = insn;
  const length = program.length;
  const opcode = _ALLOWED_OPCODES.get(code);
  if (opcode === undefined) {
    fail("BAD_OPCODE", pc, `opcode "0x${code.toString(16)}" is not allowed`);
  }
  switch (code) {
    case BPF_ALU | BPF_DIV | BPF_K:
    case BPF_ALU | BPF_MOD | BPF_K:
      if (k === 0) fail("DIVISION_BY_ZERO", pc, `${opcode.mnemonic} divides by zero`);
      break;
    case BPF_ALU | BPF_LSH | BPF_K:
    case BPF_ALU | BPF_RSH | BPF_K:
      if (k >= 32) fail("BAD_SHIFT", pc, `${opcode.mnemonic} shifts by "${k}" (at most 31)`);
      break;
    case BPF_LD | BPF_MEM:
    case BPF_LDX | BPF_MEM:
    case BPF_ST:
    case BPF_STX:
      if (k >= BPF_MEMWORDS) {
        fail("BAD_SCRATCH_INDEX", pc, `scratch index "${k}" is not below ${BPF_MEMWORDS}`);
      }
      break;
    case BPF_JMP | BPF_JA:
      if (backward && (k | 0) < 0) {
        if (pc + 1 + (k | 0) < 0) {
          fail("JUMP_OUT_OF_RANGE", pc, `ja goes before the start (k=${k | 0})`);
        }
      } else if (k >= length - pc - 1) {
        fail("JUMP_OUT_OF_RANGE", pc, `ja goes past the end (k=${k}, length ${length})`);
      }
      break;
    case BPF_LD | BPF_W | BPF_ABS:
    case BPF_LD | BPF_H | BPF_ABS:
    case BPF_LD | BPF_B | BPF_ABS:
      if (k >= (SKF_AD_OFF >>> 0) && !_KNOWN_ANCILLARY.has(k)) {
        fail(
          "BAD_ANCILLARY",
          pc,
          `offset "${k | 0}" is not a known ancillary field (SKF_AD_OFF + ${(k | 0) - SKF_AD_OFF})`,
        );
      }
      break;
    default:
      if (_isConditionalJump(code) && (pc + jt + 1 >= length || pc + jf + 1 >= length)) {
        fail(
          "JUMP_OUT_OF_RANGE",
          pc,
          `jump goes past the end (jt=${jt}, jf=${jf}, length ${length})`,
        );
      }
  }
}

function checkFinalReturn(program: Program): void {
  const last = program.length - 1;
  const code = program[last].code;
  if (code !== (BPF_RET | BPF_K) && code !== (BPF_RET | BPF_A)) {
    fail("NO_FINAL_RETURN", last, "the last instruction is not ret");
  }
}

/**
 * `check_load_and_stores`: one linear pass with a bit set of written cells;
 * a jump narrows the set at its targets and makes the set "everything" for
 * the instruction after it (reached only through some jump).
 */
function checkLoadAndStores(program: Program): void {
  const length = program.length;
  const masks = new Uint16Array(length).fill(0xffff);
  let valid = 0;
  for (let pc = 0; pc < length; pc++) {
    valid &= masks[pc];
    const { code, jt, jf, k } = program[pc];
    switch (code) {
      case BPF_ST:
      case BPF_STX:
        valid |= 1 << k;
        break;
      case BPF_LD | BPF_MEM:
      case BPF_LDX | BPF_MEM:
        if (!(valid & (1 << k))) {
          fail(
            "UNINITIALIZED_SCRATCH",
            pc,
            `scratch cell M[${k}] may be read before it is written`,
          );
        }
        break;
      case BPF_JMP | BPF_JA:
        // A backward target was scanned already; the cells written when the
        // jump is taken include those written on reaching the target first.
        if ((k | 0) >= 0) masks[pc + 1 + k] &= valid;
        valid = 0xffff;
        break;
      default:
        if (_isConditionalJump(code)) {
          masks[pc + 1 + jt] &= valid;
          masks[pc + 1 + jf] &= valid;
          valid = 0xffff;
        }
    }
  }
}
