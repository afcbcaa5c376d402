/**
 * The reference classic BPF interpreter.
 *
 * @module
 */
import type { Instruction, Program } from "./instruction.ts";
import type { PacketContext } from "./packet_context.ts";
import { validate } from "./validate.ts";
import {
  _BACKWARD_JUMP_BUDGET,
  _captureEnd,
  _dataStart,
  _EMPTY_CONTEXT,
  _load,
  _loadEnd,
  _loadSize,
  _macStart,
  _networkStart,
  _wireLength,
} from "./_packet_access.ts";
import { _ancillary, _ancillaryField } from "./_ancillary.ts";
import { _alu, _jumpTaken } from "./_alu.ts";
import {
  BPF_A,
  BPF_ABS,
  BPF_ALU,
  BPF_B,
  BPF_DIV,
  BPF_H,
  BPF_IMM,
  BPF_IND,
  BPF_JA,
  BPF_JMP,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_MEM,
  BPF_MEMWORDS,
  BPF_MISC,
  BPF_MOD,
  BPF_MSH,
  BPF_RET,
  BPF_ST,
  BPF_STX,
  BPF_TAX,
  BPF_TXA,
  BPF_W,
  BPF_X,
} from "./opcodes.ts";

/**
 * Why a run ended, as an {@linkcode InterpretStep} reports it on the last
 * instruction: `ret` (`"return"`), or the kernel's early exits: a packet
 * load out of bounds (`"out-of-bounds"`, returns 0), an `SKF_AD_IFINDEX` /
 * `SKF_AD_HATYPE` load without a device (`"no-device"`, returns A), `div` /
 * `mod` by X = 0 (`"division-by-zero"`, returns 0), or more backward jumps
 * than the budget (`"backward-jumps"`, returns 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { interpret, type InterpretEnd } from "./interpret.ts";
 * const ends: InterpretEnd[] = [];
 * // ldh [12] on a 4-byte packet: out of bounds.
 * interpret([{ code: 0x28, jt: 0, jf: 0, k: 12 }, { code: 0x06, jt: 0, jf: 0, k: 1 }],
 *   new Uint8Array(4), {}, (step) => { if (step.end) ends.push(step.end); });
 * assert.deepEqual(ends, ["out-of-bounds"]);
 * ```
 */
export type InterpretEnd =
  | "return"
  | "out-of-bounds"
  | "no-device"
  | "division-by-zero"
  | "backward-jumps";

/**
 * One executed instruction, as {@linkcode interpret} hands it to an
 * observer. One object is reused for every step of a run: copy what you
 * keep. A and X before the instruction are those of the previous step (0 and
 * 0 before the first).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { interpret, type InterpretStep } from "./interpret.ts";
 * const seen: string[] = [];
 * const record = (step: Readonly<InterpretStep>) =>
 *   seen.push(`${step.pc}: A=${step.a} next=${step.next} ${step.end ?? ""}`.trim());
 * // ld #7; jeq #7, 3, 2 → ret a
 * interpret([
 *   { code: 0x00, jt: 0, jf: 0, k: 7 },
 *   { code: 0x15, jt: 1, jf: 0, k: 7 },
 *   { code: 0x06, jt: 0, jf: 0, k: 0 },
 *   { code: 0x16, jt: 0, jf: 0, k: 0 },
 * ], new Uint8Array(0), {}, record);
 * assert.deepEqual(seen, ["0: A=7 next=1", "1: A=7 next=3", "3: A=7 next=-1 return"]);
 * ```
 */
export interface InterpretStep {
  /** Index of the executed instruction. */
  pc: number;
  /** The executed instruction. */
  instruction: Instruction;
  /** Accumulator after the instruction. */
  a: number;
  /** Index register after the instruction. */
  x: number;
  /** Index of the next instruction to run; -1 when the run ends here. */
  next: number;
  /** Why the run ended at this instruction; `undefined` while it goes on. */
  end: InterpretEnd | undefined;
  /** With `end`: what the program returns. */
  result: number;
  /** With `end: "out-of-bounds"`: the load's offset from `dataOffset` (int32). */
  loadOffset: number;
  /** With `end: "out-of-bounds"`: the load's size in bytes (1, 2 or 4). */
  loadSize: number;
}

/**
 * Called by {@linkcode interpret} after every executed instruction, the last
 * one included (its step has `end` set).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { interpret, type InterpretObserver } from "./interpret.ts";
 * let executed = 0;
 * const count: InterpretObserver = () => executed++;
 * interpret([{ code: 0x06, jt: 0, jf: 0, k: 1 }], new Uint8Array(0), {}, count);
 * assert.equal(executed, 1);
 * ```
 */
export type InterpretObserver = (step: Readonly<InterpretStep>) => void;

/** An observed run: reports each step to the observer through one reused step object. */
class _Observation {
  readonly #observer: InterpretObserver;
  readonly #program: Program;
  readonly #step: InterpretStep;

  constructor(observer: InterpretObserver, program: Program) {
    this.#observer = observer;
    this.#program = program;
    this.#step = {
      pc: 0,
      instruction: program[0],
      a: 0,
      x: 0,
      next: 0,
      end: undefined,
      result: 0,
      loadOffset: 0,
      loadSize: 0,
    };
  }

  /** Reports an executed instruction that the run goes on after. */
  report(at: number, a: number, x: number, next: number): void {
    const step = this.#step;
    step.pc = at;
    step.instruction = this.#program[at];
    step.a = a;
    step.x = x;
    step.next = next;
    this.#observer(step);
  }

  /** Reports the instruction the run ends at, and returns the run's result. */
  end(
    at: number,
    a: number,
    x: number,
    end: InterpretEnd,
    result: number,
    loadOffset = 0,
    loadSize = 0,
  ): number {
    const step = this.#step;
    step.end = end;
    step.result = result;
    step.loadOffset = loadOffset;
    step.loadSize = loadSize;
    this.report(at, a, x, -1);
    return result;
  }
}

/** Programs already checked by {@linkcode interpret}. */
const checked = new WeakSet<Program>();

/**
 * Runs a classic BPF program on one packet, instruction by instruction, with
 * the Linux kernel's semantics, and returns what the program returns (uint32;
 * 0 rejects). This is the readable reference the compiled strategies are
 * tested against; {@linkcode compile} is much faster.
 *
 * The program is checked with {@linkcode validate} (with `allowBackwardJumps`,
 * so libpcap's `protochain` loops run as `bpf_filter()` runs them) the first
 * time this function sees it (the array object is remembered; do not mutate
 * it afterwards). Semantics: A and X start at 0; arithmetic is uint32; loads
 * are big-endian and bounded by the shorter of `wireLength` and the bytes
 * present between `dataOffset` and `end`; an out-of-bounds load (also a
 * partial one) or `div`/`mod` by X = 0 returns 0; `[x + k]` offsets are
 * int32 with the negative `SKF_NET_OFF`/`SKF_LL_OFF` windows; shifts by X use
 * the low 5 bits; an `SKF_AD_IFINDEX`/`SKF_AD_HATYPE` load without a device
 * (`ifindex` 0) ends the program returning A, as the kernel's converted
 * program does.
 *
 * With an `observer`, every executed instruction is reported to it as an
 * {@linkcode InterpretStep} (this is how {@linkcode trace} records a run);
 * without one, nothing is reported and nothing is allocated for it.
 *
 * @param program The instructions.
 * @param packet The buffer holding the packet (see {@linkcode PacketContext}).
 * @param context Where the packet lies in the buffer and its `sk_buff` fields.
 * @param observer Called after every executed instruction. @default {none}
 * @returns The program's return value.
 * @throws {BpfValidationError} When the program is not valid.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { interpret } from "./interpret.ts";
 * // ldh [12]; jeq #0x800, accept, reject
 * const program = [
 *   { code: 0x28, jt: 0, jf: 0, k: 12 },
 *   { code: 0x15, jt: 0, jf: 1, k: 0x800 },
 *   { code: 0x06, jt: 0, jf: 0, k: 0xffffffff },
 *   { code: 0x06, jt: 0, jf: 0, k: 0 },
 * ];
 * const frame = new Uint8Array(60);
 * frame[12] = 0x08;
 * assert.equal(interpret(program, frame), 4294967295);
 * ```
 */
export function interpret(
  program: Program,
  packet: Uint8Array,
  context: PacketContext = _EMPTY_CONTEXT,
  observer?: InterpretObserver,
): number {
  if (!checked.has(program)) {
    validate(program, { allowBackwardJumps: true });
    checked.add(program);
  }
  return _interpretChecked(program, packet, context, observer);
}

/**
 * {@linkcode interpret} of a program the caller has already checked with
 * `validate` (by any limits: those of `interpret` are the loosest), without
 * checking or remembering it: for programs run once or a few times each (a
 * rule's test over the making budget, src/rules/_test_making_budget.ts).
 */
export function _interpretChecked(
  program: Program,
  packet: Uint8Array,
  context: PacketContext = _EMPTY_CONTEXT,
  observer?: InterpretObserver,
): number {
  const captureEnd = _captureEnd(packet, context);
  const base = _dataStart(context);
  const wire = _wireLength(context, base, captureEnd);
  const loadEnd = _loadEnd(base, captureEnd, wire);
  const network = _networkStart(context, base);
  const mac = _macStart(context);
  const seen = observer === undefined ? undefined : new _Observation(observer, program);
  let memory: Uint32Array | undefined;
  let a = 0;
  let x = 0;
  let budget = _BACKWARD_JUMP_BUDGET;

  for (let pc = 0; pc < program.length; pc++) {
    const at = pc;
    const { code, jt, jf } = program[pc];
    const k = program[pc].k >>> 0; // validate() lets -0 through; results stay uint32
    switch (code & 0x07) {
      case BPF_LD:
      case BPF_LDX: {
        let value: number;
        let offset = k | 0;
        switch (code) {
          case BPF_LD | BPF_W | BPF_ABS:
          case BPF_LD | BPF_H | BPF_ABS:
          case BPF_LD | BPF_B | BPF_ABS: {
            const field = _ancillaryField(k);
            value = field >= 0
              ? _ancillary(field, a, x, packet, base, loadEnd, wire, network, context)
              : _load(packet, base, loadEnd, network, mac, offset, _loadSize(code));
            if (value >= 0) break;
            if (seen === undefined) return field >= 0 ? a : 0;
            return field >= 0
              ? seen.end(at, a, x, "no-device", a)
              : seen.end(at, a, x, "out-of-bounds", 0, offset, _loadSize(code));
          }
          case BPF_LD | BPF_W | BPF_IND:
          case BPF_LD | BPF_H | BPF_IND:
          case BPF_LD | BPF_B | BPF_IND:
            offset = (x + k) | 0;
            value = _load(packet, base, loadEnd, network, mac, offset, _loadSize(code));
            if (value >= 0) break;
            if (seen === undefined) return 0;
            return seen.end(at, a, x, "out-of-bounds", 0, offset, _loadSize(code));
          case BPF_LDX | BPF_B | BPF_MSH:
            value = _load(packet, base, loadEnd, network, mac, offset, 1);
            if (value < 0) {
              return seen === undefined ? 0 : seen.end(at, a, x, "out-of-bounds", 0, offset, 1);
            }
            value = (value & 0xf) << 2;
            break;
          case BPF_LD | BPF_W | BPF_LEN:
          case BPF_LDX | BPF_W | BPF_LEN:
            value = wire;
            break;
          case BPF_LD | BPF_IMM:
          case BPF_LDX | BPF_IMM:
            value = k;
            break;
          case BPF_LD | BPF_MEM:
          case BPF_LDX | BPF_MEM:
            value = memory === undefined ? 0 : memory[k];
            break;
          default:
            return unknown(pc, code);
        }
        if ((code & 0x07) === BPF_LD) a = value;
        else x = value;
        break;
      }
      case BPF_ST:
      case BPF_STX:
        if (code !== BPF_ST && code !== BPF_STX) return unknown(pc, code);
        memory ??= new Uint32Array(BPF_MEMWORDS);
        memory[k] = code === BPF_ST ? a : x;
        break;
      case BPF_ALU: {
        const operand = (code & BPF_X) ? x : k;
        const op = code & 0xf0;
        if ((op === BPF_DIV || op === BPF_MOD) && operand === 0) {
          return seen === undefined ? 0 : seen.end(at, a, x, "division-by-zero", 0);
        }
        const result = _alu(op, a, operand);
        if (result < 0) return unknown(pc, code);
        a = result;
        break;
      }
      case BPF_JMP: {
        if ((code & 0xf0) === BPF_JA) {
          if ((k | 0) < 0 && --budget < 0) {
            return seen === undefined ? 0 : seen.end(at, a, x, "backward-jumps", 0);
          }
          pc += k | 0;
          break;
        }
        const taken = _jumpTaken(code & 0xf0, a, (code & BPF_X) ? x : k);
        if (taken < 0) return unknown(pc, code);
        pc += taken ? jt : jf;
        break;
      }
      case BPF_RET: {
        const result = (code & 0x18) === BPF_A ? a : k;
        return seen === undefined ? result : seen.end(at, a, x, "return", result);
      }
      case BPF_MISC:
        if (code === (BPF_MISC | BPF_TAX)) x = a;
        else if (code === (BPF_MISC | BPF_TXA)) a = x;
        else return unknown(pc, code);
        break;
    }
    if (seen !== undefined) seen.report(at, a, x, pc + 1);
  }
  throw new RangeError("Cannot interpret program: execution ran past the last instruction");
}

function unknown(pc: number, code: number): never {
  throw new RangeError(
    `Cannot interpret program: opcode "0x${
      code.toString(16)
    }" at instruction ${pc} changed after validation`,
  );
}
