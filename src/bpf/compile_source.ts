/**
 * The "source" compile strategy: JavaScript source generated from the
 * validated numeric fields of a program, turned into a function with
 * `new Function`.
 *
 * @module
 */
import type { Program } from "./instruction.ts";
import type { PacketContext } from "./packet_context.ts";
import {
  _BACKWARD_JUMP_BUDGET,
  _captureEnd,
  _dataStart,
  _EMPTY_CONTEXT,
  _loadEnd,
  _loadIndex,
  _loadSize,
  _macStart,
  _networkStart,
  _wireLength,
} from "./_packet_access.ts";
import { _ancillary, _ancillaryField, _needsDevice } from "./_ancillary.ts";
import { _jumpTarget, _planBlocks } from "./_blocks.ts";
import {
  BPF_A,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_DIV,
  BPF_IMM,
  BPF_IND,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_LDX,
  BPF_LEN,
  BPF_LSH,
  BPF_MEM,
  BPF_MISC,
  BPF_MOD,
  BPF_MUL,
  BPF_OR,
  BPF_RET,
  BPF_RSH,
  BPF_ST,
  BPF_STX,
  BPF_SUB,
  BPF_TAX,
  BPF_X,
  BPF_XOR,
} from "./opcodes.ts";

/** Above this many jump targets, blocks are dispatched by a `switch` instead of nested labels. */
const MAX_NESTED_LABELS = 256;

/** The helpers the generated code calls, passed in as one argument. */
const HELPERS = {
  captureEnd: _captureEnd,
  dataStart: _dataStart,
  wireLength: _wireLength,
  loadEnd: _loadEnd,
  networkStart: _networkStart,
  macStart: _macStart,
  loadIndex: _loadIndex,
  ancillary: _ancillary,
  EMPTY: _EMPTY_CONTEXT,
};

/**
 * Generates the JavaScript source of a validated program's function: only
 * numbers taken from the validated fields (`>>> 0`-normalised) are written
 * into it, never text from the caller.
 *
 * @param program A program {@linkcode validate} accepted.
 * @returns The body for `new Function("h", body)`, which returns the program.
 *
 * @example
 * ```ts
 * import { generateSource } from "./compile_source.ts";
 * console.log(generateSource([{ code: 0x06, jt: 0, jf: 0, k: 1 }]).includes("return 1;")); // true
 * ```
 */
export function generateSource(program: Program): string {
  const length = program.length;
  const plan = _planBlocks(program);
  const switched = plan.backward ||
    plan.target.reduce((count, is) => count + is, 0) > MAX_NESTED_LABELS;
  const lines: string[] = [];
  const emit = (line: string) => lines.push(line);
  const usedMemory = new Set<number>();
  let usesNegative = false;
  let usesContext = false;

  const goto = (from: number, to: number): string => {
    if (switched) {
      if (to <= from) return `if (--budget < 0) return 0; pc = ${to}; continue;`;
      return `pc = ${to}; continue;`;
    }
    return `break L${to};`;
  };
  const read = (index: string, size: number): string => {
    if (size === 1) return `P[${index}]`;
    if (size === 2) return `((P[${index}] << 8) | P[${index} + 1])`;
    return `(((P[${index}] << 24) | (P[${index} + 1] << 16) | (P[${index} + 2] << 8) | P[${index} + 3]) >>> 0)`;
  };
  /** Code that sets `i` to the absolute index of a load at `offset` (an expression), or returns 0. */
  const locate = (offset: string, size: number, constant: number | undefined): string => {
    if (constant !== undefined && constant >= 0) {
      return `i = B + ${constant}; if (i + ${size} > LE) return 0;`;
    }
    usesNegative = true;
    return `o = ${offset}; if (o >= 0) { i = B + o; if (i + ${size} > LE) return 0; } ` +
      `else { i = h.loadIndex(B, LE, NET, MAC, o, ${size}); if (i < 0) return 0; }`;
  };

  const instruction = (pc: number): void => {
    const { code, jt, jf, k } = program[pc];
    const hoisted = plan.hoisted[pc] === 1;
    switch (code & 0x07) {
      case BPF_RET:
        emit((code & 0x18) === BPF_A ? "return A;" : `return ${k >>> 0};`);
        return;
      case BPF_JMP: {
        if ((code & 0xf0) === BPF_JA) {
          const to = _jumpTarget(pc, k | 0);
          if (to !== pc + 1) emit(goto(pc, to));
          return;
        }
        const operand = (code & BPF_X) ? "X" : String(k >>> 0);
        const op = code & 0xf0;
        const condition = op === BPF_JEQ
          ? `A === ${operand}`
          : op === BPF_JGT
          ? `A > ${operand}`
          : op === BPF_JGE
          ? `A >= ${operand}`
          : `(A & ${operand}) !== 0`;
        const t = pc + 1 + jt;
        const f = pc + 1 + jf;
        if (t === f) {
          if (t !== pc + 1) emit(goto(pc, t));
        } else if (t === pc + 1) emit(`if (!(${condition})) { ${goto(pc, f)} }`);
        else if (f === pc + 1) emit(`if (${condition}) { ${goto(pc, t)} }`);
        else emit(`if (${condition}) { ${goto(pc, t)} } ${goto(pc, f)}`);
        return;
      }
      case BPF_ALU: {
        const operand = (code & BPF_X) ? "X" : String(k >>> 0);
        switch (code & 0xf0) {
          case BPF_ADD:
            emit(`A = (A + ${operand}) >>> 0;`);
            break;
          case BPF_SUB:
            emit(`A = (A - ${operand}) >>> 0;`);
            break;
          case BPF_MUL:
            emit(`A = Math.imul(A, ${operand}) >>> 0;`);
            break;
          case BPF_DIV:
            if (code & BPF_X) emit("if (X === 0) return 0;");
            emit(`A = (A / ${operand}) >>> 0;`);
            break;
          case BPF_MOD:
            if (code & BPF_X) emit("if (X === 0) return 0;");
            emit(`A = A % ${operand};`);
            break;
          case BPF_AND:
            emit(`A = (A & ${operand}) >>> 0;`);
            break;
          case BPF_OR:
            emit(`A = (A | ${operand}) >>> 0;`);
            break;
          case BPF_XOR:
            emit(`A = (A ^ ${operand}) >>> 0;`);
            break;
          case BPF_LSH:
            emit(`A = (A << ${operand}) >>> 0;`);
            break;
          case BPF_RSH:
            emit(`A = A >>> ${operand};`);
            break;
          default:
            emit("A = (-A) >>> 0;");
        }
        return;
      }
      case BPF_MISC:
        emit((code & 0xf8) === BPF_TAX ? "X = A;" : "A = X;");
        return;
      case BPF_ST:
        usedMemory.add(k);
        emit(`M${k} = A;`);
        return;
      case BPF_STX:
        usedMemory.add(k);
        emit(`M${k} = X;`);
        return;
    }
    const register = (code & 0x07) === BPF_LDX ? "X" : "A";
    switch (code & 0xe0) {
      case BPF_IMM:
        emit(`${register} = ${k >>> 0};`);
        return;
      case BPF_MEM:
        usedMemory.add(k);
        emit(`${register} = M${k};`);
        return;
      case BPF_LEN:
        emit(`${register} = W;`);
        return;
      case BPF_IND: {
        const size = _loadSize(code);
        emit(`${locate(`(X + ${k >>> 0}) | 0`, size, undefined)} A = ${read("i", size)};`);
        return;
      }
    }
    if (register === "X") { // BPF_LDX | BPF_B | BPF_MSH
      if (hoisted) emit(`X = (P[B + ${k}] & 15) << 2;`);
      else emit(`${locate(String(k | 0), 1, k | 0)} X = (P[i] & 15) << 2;`);
      return;
    }
    const field = _ancillaryField(k);
    if (field >= 0) {
      usesContext = true;
      const call = `h.ancillary(${field}, A, X, P, B, LE, W, NET, C)`;
      if (_needsDevice(field)) emit(`v = ${call}; if (v < 0) return A; A = v;`);
      else emit(`A = ${call};`);
      return;
    }
    const size = _loadSize(code);
    if (hoisted) emit(`A = ${read(`B + ${k}`, size)};`);
    else emit(`${locate(String(k | 0), size, k | 0)} A = ${read("i", size)};`);
  };

  const body: string[] = [];
  if (switched) {
    for (let pc = 0; pc < length; pc++) {
      if (plan.leader[pc] && (plan.target[pc] || pc === 0)) lines.push(`case ${pc}:`);
      if (plan.need[pc] > 0) emit(`if (B + ${plan.need[pc]} > LE) return 0;`);
      instruction(pc);
    }
    body.push("let pc = 0, budget = " + _BACKWARD_JUMP_BUDGET + ";", "for (;;) switch (pc) {");
    body.push(...lines, "default: return 0;", "}");
  } else {
    const targets: number[] = [];
    for (let pc = length - 1; pc > 0; pc--) if (plan.target[pc]) targets.push(pc);
    for (const target of targets) lines.push(`L${target}: {`);
    for (let pc = 0; pc < length; pc++) {
      if (pc > 0 && plan.target[pc]) lines.push(`} // L${pc}`);
      if (plan.need[pc] > 0) emit(`if (B + ${plan.need[pc]} > LE) return 0;`);
      instruction(pc);
    }
    body.push(...lines);
  }
  const declarations = ["let A = 0, X = 0, i = 0, o = 0, v = 0;"];
  for (const cell of [...usedMemory].sort((a, b) => a - b)) declarations.push(`let M${cell} = 0;`);
  return [
    '"use strict";',
    "return function bpfProgram(P, C) {",
    "if (C === undefined) C = h.EMPTY;",
    "const end = h.captureEnd(P, C);",
    "const B = h.dataStart(C);",
    "const W = h.wireLength(C, B, end);",
    "const LE = h.loadEnd(B, end, W);",
    usesNegative || usesContext ? "const NET = h.networkStart(C, B);" : "",
    usesNegative ? "const MAC = h.macStart(C);" : "",
    ...declarations,
    ...body,
    "};",
  ].filter((line) => line !== "").join("\n");
}

/**
 * Compiles a validated program to a JavaScript function with `new Function`.
 * Throws whatever the runtime throws where code generation is forbidden
 * (`EvalError` under a content security policy); {@linkcode compile} catches
 * that and falls back to closures.
 *
 * @param program A program {@linkcode validate} accepted.
 * @returns The program as a function of (packet, context).
 *
 * @example
 * ```ts
 * import { compileSource } from "./compile_source.ts";
 * const accept = compileSource([{ code: 0x06, jt: 0, jf: 0, k: 1 }]);
 * console.log(accept(new Uint8Array(0))); // 1
 * ```
 */
export function compileSource(
  program: Program,
): (packet: Uint8Array, context?: PacketContext) => number {
  const factory = new Function("h", generateSource(program)) as (
    helpers: typeof HELPERS,
  ) => (packet: Uint8Array, context?: PacketContext) => number;
  return factory(HELPERS);
}
