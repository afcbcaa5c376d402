/**
 * The source strategy's code generator (private): a lowered program
 * ({@linkcode _lower}) as the body of a JavaScript function. Only numbers
 * from the validated program are written into it.
 *
 * Blocks become labelled statements (`L3: { … }` closed just before block 3,
 * so `break L3` jumps forward to it), or, for programs with backward jumps or
 * very many jump targets, cases of a `switch` in a loop.
 *
 * @module
 */
import type { _Exit, _LoweredBlock, _LoweredProgram, _Step } from "./_lower.ts";
import { _BACKWARD_JUMP_BUDGET } from "./_packet_access.ts";
import {
  BPF_ADD,
  BPF_AND,
  BPF_DIV,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_LSH,
  BPF_MOD,
  BPF_MUL,
  BPF_OR,
  BPF_RSH,
  BPF_SUB,
  BPF_XOR,
} from "./opcodes.ts";

/** Above this many jump targets, blocks are dispatched by a `switch` instead of nested labels. */
const MAX_NESTED_LABELS = 256;

/** The expression of `A op operand` for an ALU operation, as uint32. */
function _alu(op: number, operand: string): string {
  switch (op) {
    case BPF_ADD:
      return `(A + ${operand}) >>> 0`;
    case BPF_SUB:
      return `(A - ${operand}) >>> 0`;
    case BPF_MUL:
      return `Math.imul(A, ${operand}) >>> 0`;
    case BPF_DIV:
      return `(A / ${operand}) >>> 0`;
    case BPF_MOD:
      return `A % ${operand}`;
    case BPF_AND:
      return `(A & ${operand}) >>> 0`;
    case BPF_OR:
      return `(A | ${operand}) >>> 0`;
    case BPF_XOR:
      return `(A ^ ${operand}) >>> 0`;
    case BPF_LSH:
      return `(A << ${operand}) >>> 0`; // JS shifts by the low 5 bits, as the kernel
    case BPF_RSH:
      return `A >>> ${operand}`;
  }
  return "(-A) >>> 0"; // BPF_NEG
}

/** `size` bytes big-endian at the index expression `i`, as uint32. */
function _read(i: string, size: number): string {
  if (size === 1) return `P[${i}]`;
  if (size === 2) return `((P[${i}] << 8) | P[${i} + 1])`;
  return `(((P[${i}] << 24) | (P[${i} + 1] << 16) | (P[${i} + 2] << 8) | P[${i} + 3]) >>> 0)`;
}

/** The constant a block returns, if all it does is return one. */
function _returnOnly(block: _LoweredBlock): number | undefined {
  const exit = block.exit;
  if (block.steps.length > 0 || block.need > 0 || exit.kind !== "return") return undefined;
  return exit.value;
}

/**
 * An int32 expression that is -1 when the jump `A op operand` is taken, else
 * 0, without a branch (A and the operand uint32): for a test whose two
 * targets only return, the result is then picked with masks, as the closure
 * strategy's return pairs do (`_execute.ts`), since which target a packet
 * takes depends on its bytes and a mispredicted branch costs more than the
 * test. `x == 0` is `((x - 1) & ~x) >> 31`; `a < b` unsigned is the borrow
 * out of `a - b`, `((~a & b) | (~(a ^ b) & (a - b))) >> 31`.
 */
function _trueMask(op: number, operand: string): string {
  const zero = (x: string) => `((((${x}) - 1) & ~(${x})) >> 31)`;
  const below = (a: string, b: string) =>
    `(((~${a} & ${b}) | (~(${a} ^ ${b}) & (${a} - ${b}))) >> 31)`;
  if (op === BPF_JEQ) return zero(`A ^ ${operand}`);
  if (op === BPF_JGT) return below(operand, "A"); // operand < A
  if (op === BPF_JGE) return `~${below("A", operand)}`; // not A < operand
  return `~${zero(`A & ${operand}`)}`; // BPF_JSET
}

/** What the generated body uses, so the prologue declares only that. */
interface _Uses {
  memory: Set<number>;
  negative: boolean;
  context: boolean;
}

/**
 * The statements of one block's code and the body around the blocks. `ret`
 * writes the statement that ends the program with a result (an expression):
 * `return …;` in a function of one packet, a store and a jump to the next
 * frame in a batch loop.
 */
export function _generateBody(
  lowered: _LoweredProgram,
  ret: (value: string) => string = (value) => `return ${value};`,
): {
  body: string[];
  uses: _Uses;
} {
  const { blocks } = lowered;
  const targeted = new Uint8Array(blocks.length);
  blocks.forEach((block, b) => {
    const exit = block.exit;
    if (exit.kind === "goto" && exit.to !== b + 1) targeted[exit.to] = 1;
    if (exit.kind === "test") {
      if (exit.whenTrue !== b + 1) targeted[exit.whenTrue] = 1;
      if (exit.whenFalse !== b + 1) targeted[exit.whenFalse] = 1;
    }
  });
  const switched = lowered.backward ||
    targeted.reduce((count, is) => count + is, 0) > MAX_NESTED_LABELS;
  const uses: _Uses = { memory: new Set(), negative: false, context: false };
  const lines: string[] = [];
  const emit = (line: string) => lines.push(line);

  const goto = (from: number, to: number): string => {
    if (!switched) return `break L${to};`;
    if (to <= from) return `if (--budget < 0) ${ret("0")} pc = ${to}; continue;`;
    return `pc = ${to}; continue;`;
  };
  /** Code that sets `i` to the absolute index of a load at `offset` (an expression), or returns 0. */
  const locate = (offset: string, size: number): string => {
    uses.negative = true;
    return `o = ${offset}; if (o >= 0) { i = B + o; if (i + ${size} > LE) ${ret("0")} } ` +
      `else { i = h.loadIndex(B, LE, NET, MAC, o, ${size}); if (i < 0) ${ret("0")} }`;
  };
  const step = (s: _Step): void => {
    switch (s.kind) {
      case "load":
        if (s.offset < 0) emit(`${locate(String(s.offset), s.size)} A = ${_read("i", s.size)};`);
        else {
          if (s.checked) emit(`if (B + ${s.offset + s.size} > LE) ${ret("0")}`);
          emit(`A = ${_read(`B + ${s.offset}`, s.size)};`);
        }
        return;
      case "load-indirect":
        emit(`${locate(`(X + ${s.offset >>> 0}) | 0`, s.size)} A = ${_read("i", s.size)};`);
        return;
      case "load-header-length":
        if (s.offset < 0) emit(`${locate(String(s.offset), 1)} X = (P[i] & 15) << 2;`);
        else {
          if (s.checked) emit(`if (B + ${s.offset + 1} > LE) ${ret("0")}`);
          emit(`X = (P[B + ${s.offset}] & 15) << 2;`);
        }
        return;
      case "load-ancillary": {
        uses.context = true;
        const call = `h.ancillary(${s.field}, A, X, P, B, LE, W, NET, C)`;
        if (s.endsWithoutDevice) emit(`v = ${call}; if (v < 0) ${ret("A")} A = v;`);
        else emit(`A = ${call};`);
        return;
      }
      case "load-length":
        emit(`${s.into === "a" ? "A" : "X"} = W;`);
        return;
      case "load-constant":
        emit(`${s.into === "a" ? "A" : "X"} = ${s.value};`);
        return;
      case "load-scratch":
        uses.memory.add(s.cell);
        emit(`${s.into === "a" ? "A" : "X"} = M${s.cell};`);
        return;
      case "store":
        uses.memory.add(s.cell);
        emit(`M${s.cell} = ${s.from === "a" ? "A" : "X"};`);
        return;
      case "alu":
        if (s.useX && (s.op === BPF_DIV || s.op === BPF_MOD)) emit(`if (X === 0) ${ret("0")}`);
        emit(`A = ${_alu(s.op, s.useX ? "X" : String(s.k))};`);
        return;
      case "tax":
        emit("X = A;");
        return;
      case "txa":
        emit("A = X;");
        return;
    }
  };
  const exit = (b: number, e: _Exit): void => {
    switch (e.kind) {
      case "return":
        emit(ret(String(e.value)));
        return;
      case "return-a":
        emit(ret("A"));
        return;
      case "goto":
        if (e.to !== b + 1 || switched) emit(goto(b, e.to));
        return;
      case "test": {
        if (e.producer !== undefined) step(e.producer);
        if (e.shift !== 0 || e.mask !== 0xffffffff) {
          emit(`A = ((A >>> ${e.shift}) & ${e.mask}) >>> 0;`);
        }
        const operand = e.useX ? "X" : String(e.k);
        const condition = e.op === BPF_JEQ
          ? `A === ${operand}`
          : e.op === BPF_JGT
          ? `A > ${operand}`
          : e.op === BPF_JGE
          ? `A >= ${operand}`
          : `(A & ${operand}) !== 0`;
        const t = e.whenTrue;
        const f = e.whenFalse;
        const tv = _returnOnly(blocks[t]);
        const fv = _returnOnly(blocks[f]);
        if (tv !== undefined && fv !== undefined) {
          emit(ret(`(${fv} ^ ((${tv} ^ ${fv}) & ${_trueMask(e.op, operand)})) >>> 0`));
          return;
        }
        if (!switched && t === b + 1) emit(`if (!(${condition})) { ${goto(b, f)} }`);
        else if (!switched && f === b + 1) emit(`if (${condition}) { ${goto(b, t)} }`);
        else emit(`if (${condition}) { ${goto(b, t)} } ${goto(b, f)}`);
        return;
      }
    }
  };

  const body: string[] = [];
  if (switched) {
    blocks.forEach((block, b) => {
      lines.push(`case ${b}:`);
      if (block.need > 0) emit(`if (B + ${block.need} > LE) ${ret("0")}`);
      block.steps.forEach(step);
      exit(b, block.exit);
    });
    body.push(`let pc = 0, budget = ${_BACKWARD_JUMP_BUDGET};`, "for (;;) switch (pc) {");
    body.push(...lines, `default: ${ret("0")}`, "}");
  } else {
    for (let b = blocks.length - 1; b > 0; b--) if (targeted[b]) lines.push(`L${b}: {`);
    blocks.forEach((block, b) => {
      if (targeted[b]) lines.push(`} // L${b}`);
      if (block.need > 0) emit(`if (B + ${block.need} > LE) ${ret("0")}`);
      block.steps.forEach(step);
      exit(b, block.exit);
    });
    body.push(...lines);
  }
  return { body, uses };
}
