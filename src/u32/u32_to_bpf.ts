import type { Instruction } from "../bpf/instruction.ts";
import {
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_IND,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_LEN,
  BPF_LSH,
  BPF_MISC,
  BPF_RET,
  BPF_RSH,
  BPF_SUB,
  BPF_TAX,
  BPF_W,
  BPF_X,
} from "../bpf/opcodes.ts";
import type { U32Test } from "./types.ts";
import { _checkU32Tests } from "./_check_u32.ts";

/**
 * Options of {@linkcode u32ToBpf}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { u32ToBpf, type U32ToBpfOptions } from "./u32_to_bpf.ts";
 * import { parseU32 } from "./parse_u32.ts";
 * import { interpret } from "../bpf/interpret.ts";
 * const options: U32ToBpfOptions = { invert: true, acceptValue: 1 }; // ! --u32
 * const notTcp = u32ToBpf(parseU32("6 & 0xFF = 6"), options);
 * const udp = new Uint8Array(20);
 * udp.set([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17]);
 * assert.equal(interpret(notTcp, udp), 1);
 * ```
 */
export interface U32ToBpfOptions {
  /**
   * Build the program of `! --u32`: it accepts where the u32 match is false.
   *
   * @default {false}
   */
  invert?: boolean;
  /**
   * What the program returns on a match (must be non-zero).
   *
   * @default {0xffffffff}
   */
  acceptValue?: number;
}

/** Offsets at or past this would be negative `int` offsets (the SKF_* windows) in a load. */
const _MAX_LENGTH = 0x80000000;

/** A jump target: a label number, or `_NEXT` for the following instruction. */
const _NEXT = -1;

interface _Pending {
  code: number;
  k: number;
  jt: number;
  jf: number;
}

class _Assembler {
  readonly code: _Pending[] = [];
  readonly #labels: number[] = [];

  label(): number {
    this.#labels.push(-1);
    return this.#labels.length - 1;
  }
  bind(label: number): void {
    this.#labels[label] = this.code.length;
  }
  op(code: number, k = 0): void {
    this.code.push({ code, k: k >>> 0, jt: _NEXT, jf: _NEXT });
  }
  jump(code: number, k: number, jt: number, jf: number): void {
    this.code.push({ code, k: k >>> 0, jt, jf });
  }
  /** An unconditional `ja` to `label` (its 32-bit offset is resolved by {@linkcode resolve}). */
  always(label: number): void {
    this.code.push({ code: BPF_JMP | BPF_JA, k: 0, jt: label, jf: _NEXT });
  }

  /** The program, or `undefined` when a conditional jump is longer than 255. */
  resolve(): Instruction[] | undefined {
    const out: Instruction[] = [];
    for (let i = 0; i < this.code.length; i++) {
      const { code, k, jt, jf } = this.code[i];
      const target = (label: number) => label === _NEXT ? 0 : this.#labels[label] - (i + 1);
      if (code === (BPF_JMP | BPF_JA)) {
        out.push({ code, jt: 0, jf: 0, k: target(jt) });
        continue;
      }
      const t = target(jt);
      const f = target(jf);
      if (t > 255 || f > 255) return undefined;
      out.push({ code, jt: t, jf: f, k });
    }
    return out;
  }
}

/**
 * Translates u32 tests to an equivalent classic BPF program for xt_bpf
 * (offset 0 at the network header), so `-m u32` rules can be exported as
 * `-m bpf --bytecode`.
 *
 * The program returns `acceptValue` (default 0xffffffff) when the match
 * holds and 0 otherwise (the reverse with `invert`). It mirrors
 * {@linkcode compileU32} packet for packet: every read is checked against
 * `ld len` before it is made (a raw `ld [k]` past the packet could fall into
 * the ancillary or negative-offset windows), `@` chains load through X
 * (`ld [x + k]`) with the kernel's overflow checks, and a load that the
 * length allows but the captured bytes do not make the program return 0
 * either way, as {@linkcode compileU32} returns false.
 *
 * The program passes the kernel's checker (forward jumps within 255, no
 * scratch memory). xt_bpf itself accepts at most 64 instructions
 * (`XT_BPF_MAX_NUM_INSTR`); a long u32 match can exceed that.
 *
 * @param tests Tests from {@linkcode parseU32} (or built by hand; checked).
 * @param options See {@linkcode U32ToBpfOptions}.
 * @returns The instructions.
 * @throws {RangeError} If hand-built tests break the kernel's limits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseU32 } from "./parse_u32.ts";
 * import { u32ToBpf } from "./u32_to_bpf.ts";
 * const program = u32ToBpf(parseU32("6 & 0xFF = 6"));
 * // ld len; jge #10; ld [6]; and #0xff; jeq #6; ret #-1; ret #0
 * assert.equal(program.length, 7);
 * ```
 */
export function u32ToBpf(tests: readonly U32Test[], options: U32ToBpfOptions = {}): Instruction[] {
  _checkU32Tests(tests, "translate u32 match");
  const acceptValue = options.acceptValue ?? 0xffffffff;
  if (!Number.isInteger(acceptValue) || acceptValue < 1 || acceptValue > 0xffffffff) {
    throw new RangeError(
      `Cannot translate u32 match: acceptValue ${acceptValue} is not in 1..0xffffffff`,
    );
  }
  const matchValue = options.invert === true ? 0 : acceptValue;
  const failValue = options.invert === true ? acceptValue : 0;
  return _translate(tests, matchValue, failValue, false) ??
    _translate(tests, matchValue, failValue, true)!;
}

function _translate(
  tests: readonly U32Test[],
  matchValue: number,
  failValue: number,
  localExits: boolean,
): Instruction[] | undefined {
  const asm = new _Assembler();
  const globalFail = asm.label();
  let knownLength = 0; // len >= knownLength on every path that reaches here
  for (const test of tests) {
    const fail = localExits ? asm.label() : globalFail;
    const next = asm.label();
    const complete = _emitTest(asm, test, fail, next, knownLength);
    if (localExits) {
      asm.bind(fail);
      asm.op(BPF_RET | BPF_K, failValue);
    }
    asm.bind(next);
    if (!complete) break; // the test always fails: what follows is unreachable
    if (test.offset + 4 > knownLength) knownLength = test.offset + 4;
  }
  asm.op(BPF_RET | BPF_K, matchValue);
  asm.bind(globalFail);
  asm.op(BPF_RET | BPF_K, failValue);
  return asm.resolve();
}

/**
 * Emits one test: reads and operations leave the value in A, then the range
 * checks jump to `next` on a match and to `fail` otherwise. Returns false when
 * the test can never hold (it then ends in a jump to `fail`).
 */
function _emitTest(
  asm: _Assembler,
  test: U32Test,
  fail: number,
  next: number,
  knownLength: number,
): boolean {
  // skb->len < 4 || pos > skb->len - 4  <=>  len < pos + 4
  if (test.offset + 4 > _MAX_LENGTH) {
    asm.always(fail);
    return false;
  }
  if (test.offset + 4 > knownLength) {
    asm.op(BPF_LD | BPF_W | BPF_LEN);
    asm.jump(BPF_JMP | BPF_JGE | BPF_K, test.offset + 4, _NEXT, fail);
  }
  asm.op(BPF_LD | BPF_W | BPF_ABS, test.offset);
  let firstAt = true; // X holds the base ("at") after the first "@"
  for (const { operator, number } of test.operations) {
    switch (operator) {
      case "&":
        if (number !== 0xffffffff) asm.op(BPF_ALU | BPF_AND | BPF_K, number);
        break;
      case "<<":
        if (number !== 0) asm.op(BPF_ALU | BPF_LSH | BPF_K, number);
        break;
      case ">>":
        if (number !== 0) asm.op(BPF_ALU | BPF_RSH | BPF_K, number);
        break;
      case "@": {
        if (!firstAt) {
          // at += val, refused when it wraps (at + val < at)
          asm.op(BPF_ALU | BPF_ADD | BPF_X);
          asm.jump(BPF_JMP | BPF_JGE | BPF_X, 0, _NEXT, fail);
        }
        firstAt = false;
        if (number + 4 > _MAX_LENGTH) {
          asm.always(fail);
          return false;
        }
        // at + pos + 4 stays within 2**31: no wrap, and x + k is a plain offset
        asm.jump(BPF_JMP | BPF_JGT | BPF_K, _MAX_LENGTH - 4 - number, fail, _NEXT);
        asm.op(BPF_MISC | BPF_TAX);
        // skb->len >= at + 4 && pos <= skb->len - at - 4  <=>  len - at >= pos + 4
        asm.op(BPF_LD | BPF_W | BPF_LEN);
        asm.jump(BPF_JMP | BPF_JGE | BPF_X, 0, _NEXT, fail);
        asm.op(BPF_ALU | BPF_SUB | BPF_X);
        asm.jump(BPF_JMP | BPF_JGE | BPF_K, number + 4, _NEXT, fail);
        asm.op(BPF_LD | BPF_W | BPF_IND, number);
        break;
      }
    }
  }
  _emitRanges(asm, test, fail, next);
  return true;
}

/** A in any range → `next`; else → `fail`. */
function _emitRanges(asm: _Assembler, test: U32Test, fail: number, next: number): void {
  const ranges = test.ranges.filter((r) => r.min <= r.max);
  if (ranges.some((r) => r.min === 0 && r.max === 0xffffffff)) return; // always true
  if (ranges.length === 0) {
    asm.always(fail);
    return;
  }
  ranges.forEach(({ min, max }, index) => {
    const last = index === ranges.length - 1;
    const miss = last ? fail : _NEXT;
    if (min === max) {
      asm.jump(BPF_JMP | BPF_JEQ | BPF_K, min, next, miss);
    } else if (min === 0) {
      asm.jump(BPF_JMP | BPF_JGT | BPF_K, max, miss, next);
    } else if (max === 0xffffffff) {
      asm.jump(BPF_JMP | BPF_JGE | BPF_K, min, next, miss);
    } else {
      // A >= min, then A > max → miss; "miss" of the first jump skips the second.
      const skip = asm.label();
      asm.jump(BPF_JMP | BPF_JGE | BPF_K, min, _NEXT, last ? fail : skip);
      asm.jump(BPF_JMP | BPF_JGT | BPF_K, max, miss, next);
      asm.bind(skip);
    }
  });
}
