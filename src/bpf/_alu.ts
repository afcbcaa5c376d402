/**
 * The ALU operations and jump comparisons of classic BPF on uint32 values
 * (private), shared by the interpreter and the tracer.
 *
 * @module
 */
import {
  BPF_ADD,
  BPF_AND,
  BPF_DIV,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JSET,
  BPF_LSH,
  BPF_MOD,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_RSH,
  BPF_SUB,
  BPF_XOR,
} from "./opcodes.ts";

/**
 * `A op operand` for the operation bits `op` of a `BPF_ALU` opcode, as uint32
 * (shifts use the low 5 bits), or -1 for an unknown operation. The caller
 * handles `div`/`mod` by 0, which end the program returning 0.
 */
export function _alu(op: number, a: number, operand: number): number {
  switch (op) {
    case BPF_ADD:
      return (a + operand) >>> 0;
    case BPF_SUB:
      return (a - operand) >>> 0;
    case BPF_MUL:
      return Math.imul(a, operand) >>> 0;
    case BPF_DIV:
      return (a / operand) >>> 0;
    case BPF_MOD:
      return a % operand;
    case BPF_AND:
      return (a & operand) >>> 0;
    case BPF_OR:
      return (a | operand) >>> 0;
    case BPF_XOR:
      return (a ^ operand) >>> 0;
    case BPF_LSH:
      return (a << (operand & 31)) >>> 0;
    case BPF_RSH:
      return a >>> (operand & 31);
    case BPF_NEG:
      return (-a) >>> 0;
  }
  return -1;
}

/**
 * Whether a conditional jump with the operation bits `op` (`BPF_JEQ`,
 * `BPF_JGT`, `BPF_JGE`, `BPF_JSET`) is taken: 1 taken, 0 not, -1 for an
 * unknown operation.
 */
export function _jumpTaken(op: number, a: number, operand: number): number {
  switch (op) {
    case BPF_JEQ:
      return a === operand ? 1 : 0;
    case BPF_JGT:
      return a > operand ? 1 : 0;
    case BPF_JGE:
      return a >= operand ? 1 : 0;
    case BPF_JSET:
      return (a & operand) !== 0 ? 1 : 0;
  }
  return -1;
}
