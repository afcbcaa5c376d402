/**
 * Step-by-step execution of a classic BPF program, for debugging (like the
 * kernel's `bpf_dbg`).
 *
 * @module
 */
import type { Program } from "./instruction.ts";
import type { PacketContext } from "./packet_context.ts";
import { _BACKWARD_JUMP_BUDGET, _EMPTY_CONTEXT } from "./_packet_access.ts";
import { _ANCILLARY_NAMES, _ancillaryField } from "./_ancillary.ts";
import { interpret, type InterpretStep } from "./interpret.ts";
import { BPF_JMP, BPF_LD, BPF_LDX, BPF_MEM, BPF_ST, BPF_STX } from "./opcodes.ts";

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

/** The scratch cell an instruction reads (`ld`/`ldx M[k]`) or writes (`st`/`stx`), if any. */
function _scratch(step: Readonly<InterpretStep>): TraceStep["scratch"] {
  const { code, k } = step.instruction;
  const cls = code & 0x07;
  const index = k >>> 0;
  if (cls === BPF_ST || cls === BPF_STX) {
    return [{ index, value: cls === BPF_ST ? step.a : step.x, write: true }];
  }
  if ((cls === BPF_LD || cls === BPF_LDX) && (code & 0xe0) === BPF_MEM) {
    return [{ index, value: cls === BPF_LD ? step.a : step.x, write: false }];
  }
  return [];
}

/** Why a run that did not end with `ret` ended, in words. */
function _abortReason(step: Readonly<InterpretStep>): string | undefined {
  switch (step.end) {
    case "out-of-bounds": {
      const size = step.loadSize;
      return `load of ${size} byte${
        size === 1 ? "" : "s"
      } at offset ${step.loadOffset} is out of bounds`;
    }
    case "no-device": {
      const field = _ancillaryField(step.instruction.k >>> 0);
      return `${_ANCILLARY_NAMES.get(field)} without a device (ifindex 0): returns A`;
    }
    case "division-by-zero":
      return "division by zero (X = 0)";
    case "backward-jumps":
      return `more than ${_BACKWARD_JUMP_BUDGET} backward jumps`;
    default:
      return undefined;
  }
}

/**
 * Runs a program on one packet with {@linkcode interpret} (the same checks,
 * the same result: it is the interpreter, observed) and records every
 * executed instruction: its index, A and X after it, the scratch cells it
 * touched and where jumps went; and, when the run ends without `ret`, why
 * (`abort`): a load out of bounds, a division by X = 0, an IFINDEX/HATYPE
 * load without a device (the program returns A), or the backward-jump
 * budget.
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
  const steps: TraceStep[] = [];
  let truncated = false;
  let abort: string | undefined;
  const result = interpret(program, packet, context, (step) => {
    if (step.end !== undefined) abort = _abortReason(step);
    if (steps.length === MAX_RECORDED_STEPS) {
      truncated = true;
      return;
    }
    const recorded: TraceStep = { pc: step.pc, a: step.a, x: step.x, scratch: _scratch(step) };
    if ((step.instruction.code & 0x07) === BPF_JMP && step.end === undefined) {
      recorded.next = step.next;
    }
    steps.push(recorded);
  });
  const run: Trace = { steps, result };
  if (abort !== undefined) run.abort = abort;
  if (truncated) run.truncated = true;
  return run;
}
