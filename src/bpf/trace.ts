/**
 * Step-by-step execution of a classic BPF program, for debugging (like the
 * kernel's `bpf_dbg`).
 *
 * @module
 */
import type { Program } from "./instruction.ts";
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
import { _ancillary, _ANCILLARY_NAMES, _ancillaryField } from "./_ancillary.ts";
import { _alu, _jumpTaken } from "./_alu.ts";
import {
  BPF_A,
  BPF_ALU,
  BPF_B,
  BPF_DIV,
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
  BPF_X,
} from "./opcodes.ts";

/**
 * One executed instruction.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trace, type TraceStep } from "./trace.ts";
 * // ld #7; st M[3]; ldx M[3]; ret a
 * const { steps } = trace([
 *   { code: 0x00, jt: 0, jf: 0, k: 7 },
 *   { code: 0x02, jt: 0, jf: 0, k: 3 },
 *   { code: 0x61, jt: 0, jf: 0, k: 3 },
 *   { code: 0x16, jt: 0, jf: 0, k: 0 },
 * ], new Uint8Array(0));
 * const describe = (step: TraceStep) =>
 *   `(${step.pc}) A=${step.a} X=${step.x}` +
 *   step.scratch.map((cell) => ` M[${cell.index}]${cell.write ? "<-" : "->"}${cell.value}`)
 *     .join("");
 * assert.deepEqual(steps.map(describe), [
 *   "(0) A=7 X=0",
 *   "(1) A=7 X=0 M[3]<-7",
 *   "(2) A=7 X=7 M[3]->7",
 *   "(3) A=7 X=7",
 * ]);
 * ```
 */
export interface TraceStep {
  /** Index of the executed instruction. */
  pc: number;
  /** Accumulator after the instruction. */
  a: number;
  /** Index register after the instruction. */
  x: number;
  /** Scratch cells read or written by the instruction. */
  scratch: { index: number; value: number; write: boolean }[];
  /** For a jump: the instruction it goes to. */
  next?: number;
}

/**
 * The steps of one run and what it returned.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Trace, trace } from "./trace.ts";
 * // ldb [0]; jeq #0x45, accept, reject
 * const run: Trace = trace([
 *   { code: 0x30, jt: 0, jf: 0, k: 0 },
 *   { code: 0x15, jt: 0, jf: 1, k: 0x45 },
 *   { code: 0x06, jt: 0, jf: 0, k: 0xffffffff },
 *   { code: 0x06, jt: 0, jf: 0, k: 0 },
 * ], new Uint8Array([0x45, 0, 0, 20]));
 * assert.equal(run.result, 4294967295);
 * assert.deepEqual(run.steps.map((step) => step.pc), [0, 1, 2]);
 * assert.equal(run.steps[1].next, 2);
 * assert.equal(run.abort, undefined);
 * assert.equal(run.truncated, undefined);
 * ```
 */
export interface Trace {
  /** Executed instructions in order (at most 100000 are recorded). */
  steps: TraceStep[];
  /** The program's return value (0 also for a failed load). */
  result: number;
  /** Why the run ended other than by `ret`, e.g. a load out of bounds. */
  abort?: string;
  /** Whether steps past the first 100000 were executed but not recorded. */
  truncated?: boolean;
}

const MAX_RECORDED_STEPS = 100000;

/**
 * Runs a program on one packet like {@linkcode interpret} (same checks, same
 * result) and records every executed instruction: its index, A and X after
 * it, the scratch cells it touched and where jumps went; and, when the run
 * ends without `ret`, why (`abort`): a load out of bounds, a division by
 * X = 0, an IFINDEX/HATYPE load without a device (the program returns A),
 * or the backward-jump budget.
 *
 * @param program The instructions.
 * @param packet The buffer holding the packet.
 * @param context Where the packet lies in the buffer and its `sk_buff` fields.
 * @returns The steps and the result.
 * @throws {BpfValidationError} When the program is not valid.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trace } from "./trace.ts";
 * const run = trace(
 *   [{ code: 0x28, jt: 0, jf: 0, k: 12 }, { code: 0x16, jt: 0, jf: 0, k: 0 }],
 *   new Uint8Array(10),
 * );
 * assert.equal(run.result, 0);
 * assert.equal(run.abort, "load of 2 bytes at offset 12 is out of bounds");
 * ```
 */
export function trace(
  program: Program,
  packet: Uint8Array,
  context: PacketContext = _EMPTY_CONTEXT,
): Trace {
  validate(program, { allowBackwardJumps: true });
  const captureEnd = _captureEnd(packet, context);
  const base = _dataStart(context);
  const wire = _wireLength(context, base, captureEnd);
  const loadEnd = _loadEnd(base, captureEnd, wire);
  const network = _networkStart(context, base);
  const mac = _macStart(context);
  const memory = new Uint32Array(BPF_MEMWORDS);
  const steps: TraceStep[] = [];
  let truncated = false;
  let a = 0;
  let x = 0;
  let budget = _BACKWARD_JUMP_BUDGET;
  let pc = 0;

  const finish = (result: number, abort?: string): Trace => {
    const run: Trace = { steps, result };
    if (abort !== undefined) run.abort = abort;
    if (truncated) run.truncated = true;
    return run;
  };

  for (;;) {
    const { code, jt, jf } = program[pc];
    const k = program[pc].k >>> 0; // validate() lets -0 through; results stay uint32
    const step: TraceStep = { pc, a, x, scratch: [] };
    if (steps.length < MAX_RECORDED_STEPS) steps.push(step);
    else truncated = true;
    let next = pc + 1;
    const cls = code & 0x07;
    if (cls === BPF_RET) return finish((code & 0x18) === BPF_A ? a : k);
    if (cls === BPF_LD || cls === BPF_LDX) {
      let value: number;
      const mode = code & 0xe0;
      if (mode === BPF_MEM) {
        value = memory[k];
        step.scratch.push({ index: k, value, write: false });
      } else if (mode === BPF_LEN) {
        value = wire;
      } else if (mode === 0) { // BPF_IMM
        value = k;
      } else if (code === (BPF_LDX | BPF_B | BPF_MSH)) {
        value = _load(packet, base, loadEnd, network, mac, k | 0, 1);
        if (value < 0) return finish(0, outOfBounds(k | 0, 1));
        value = (value & 0xf) << 2;
      } else {
        const field = mode === BPF_IND ? -1 : _ancillaryField(k);
        if (field >= 0) {
          value = _ancillary(field, a, x, packet, base, loadEnd, wire, network, context);
          if (value < 0) {
            return finish(
              a,
              `${_ANCILLARY_NAMES.get(field)} without a device (ifindex 0): returns A`,
            );
          }
        } else {
          const offset = mode === BPF_IND ? (x + k) | 0 : k | 0;
          const size = _loadSize(code);
          value = _load(packet, base, loadEnd, network, mac, offset, size);
          if (value < 0) return finish(0, outOfBounds(offset, size));
        }
      }
      if (cls === BPF_LD) a = value;
      else x = value;
    } else if (cls === BPF_ST || cls === BPF_STX) {
      const value = cls === BPF_ST ? a : x;
      memory[k] = value;
      step.scratch.push({ index: k, value, write: true });
    } else if (cls === BPF_MISC) {
      if ((code & 0xf8) === BPF_TAX) x = a;
      else a = x;
    } else if (cls === BPF_ALU) {
      const op = code & 0xf0;
      const operand = (code & BPF_X) ? x : k;
      if ((op === BPF_DIV || op === BPF_MOD) && operand === 0) {
        return finish(0, "division by zero (X = 0)");
      }
      a = _alu(op, a, operand);
    } else if (cls === BPF_JMP) {
      const op = code & 0xf0;
      if (op === BPF_JA) {
        next = pc + 1 + (k | 0);
        if (next <= pc && --budget < 0) {
          return finish(0, `more than ${_BACKWARD_JUMP_BUDGET} backward jumps`);
        }
      } else {
        const taken = _jumpTaken(op, a, (code & BPF_X) ? x : k);
        next = pc + 1 + (taken === 1 ? jt : jf);
      }
      step.next = next;
    }
    step.a = a;
    step.x = x;
    pc = next;
  }
}

function outOfBounds(offset: number, size: number): string {
  return `load of ${size} byte${size === 1 ? "" : "s"} at offset ${offset} is out of bounds`;
}
