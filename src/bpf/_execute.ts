/**
 * The dispatch loop of the closure strategy (private): runs dispatch code
 * ({@linkcode _encodeDispatch}) on one packet. One function for every
 * program, so the JIT compiles one loop with A, X and the packet bounds in
 * registers and no call per instruction.
 *
 * @module
 */
import type { PacketContext } from "./packet_context.ts";
import { _BACKWARD_JUMP_BUDGET, _loadIndex, _readBigEndian } from "./_packet_access.ts";
import { _ancillary } from "./_ancillary.ts";
import {
  _ALU_K,
  _ALU_X,
  _GOTO,
  _GOTO_BACK,
  _LD_ANC,
  _LD_B,
  _LD_H,
  _LD_IMM,
  _LD_IND_B,
  _LD_IND_H,
  _LD_IND_W,
  _LD_LEN,
  _LD_MEM,
  _LD_NEG,
  _LD_W,
  _LDX_IMM,
  _LDX_LEN,
  _LDX_MEM,
  _LDX_MSH,
  _LDX_MSH_NEG,
  _NEED,
  _NEG,
  _RET,
  _RET_A,
  _ST,
  _STX,
  _T_A,
  _T_B,
  _T_H,
  _T_IND_B,
  _T_IND_H,
  _T_IND_W,
  _T_LEN,
  _T_NEG,
  _T_W,
  _T_X,
  _TAX,
  _TXA,
} from "./_dispatch_code.ts";
import { BPF_JEQ, BPF_JGE, BPF_JGT } from "./opcodes.ts";

/**
 * The value of a load of `size` bytes at the signed offset `o`, or -1 when it
 * fails (past `LE`, or outside the negative windows).
 */
function _loadAt(
  P: Uint8Array,
  B: number,
  LE: number,
  NET: number,
  MAC: number,
  o: number,
  size: number,
): number {
  if (o >= 0) {
    const i = B + o;
    if (i + size > LE) return -1;
    if (size === 1) return P[i];
    if (size === 2) return (P[i] << 8) | P[i + 1];
    return ((P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3]) >>> 0;
  }
  const i = _loadIndex(B, LE, NET, MAC, o, size);
  return i < 0 ? -1 : _readBigEndian(P, i, size);
}

/** `A op X` for a conditional jump on X. */
function _testX(op: number, a: number, x: number): boolean {
  if (op === BPF_JEQ) return a === x;
  if (op === BPF_JGT) return a > x;
  if (op === BPF_JGE) return a >= x;
  return (a & x) !== 0;
}

/**
 * Runs dispatch code on the packet `P`: `B` is `dataOffset`, `LE` the absolute
 * end of loads, `W` the wire length, `NET`/`MAC` the header indices (-1: no
 * link-layer header). `M` is the scratch memory, `C` the context for
 * ancillary loads. Returns the program's result.
 */
export function _execute(
  code: Int32Array,
  M: Uint32Array,
  P: Uint8Array,
  C: PacketContext,
  B: number,
  LE: number,
  W: number,
  NET: number,
  MAC: number,
): number {
  let A = 0;
  let X = 0;
  let pc = 0;
  let budget = _BACKWARD_JUMP_BUDGET;
  for (;;) {
    switch (code[pc]) {
      case _T_H: {
        const e = code[pc + 2] >>> 0;
        if (B + e > LE) return 0;
        const i = B + code[pc + 1];
        A = ((((P[i] << 8) | P[i + 1]) >>> code[pc + 3]) & code[pc + 4]) >>> 0;
        pc = (((A & code[pc + 5]) - code[pc + 6]) >>> 0) <= (code[pc + 7] >>> 0)
          ? code[pc + 8]
          : code[pc + 9];
        continue;
      }
      case _T_B: {
        const e = code[pc + 2] >>> 0;
        if (B + e > LE) return 0;
        A = ((P[B + code[pc + 1]] >>> code[pc + 3]) & code[pc + 4]) >>> 0;
        pc = (((A & code[pc + 5]) - code[pc + 6]) >>> 0) <= (code[pc + 7] >>> 0)
          ? code[pc + 8]
          : code[pc + 9];
        continue;
      }
      case _T_W: {
        const e = code[pc + 2] >>> 0;
        if (B + e > LE) return 0;
        const i = B + code[pc + 1];
        A = ((((P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3]) >>> code[pc + 3]) &
          code[pc + 4]) >>> 0;
        pc = (((A & code[pc + 5]) - code[pc + 6]) >>> 0) <= (code[pc + 7] >>> 0)
          ? code[pc + 8]
          : code[pc + 9];
        continue;
      }
      case _T_A:
        A = ((A >>> code[pc + 3]) & code[pc + 4]) >>> 0;
        pc = (((A & code[pc + 5]) - code[pc + 6]) >>> 0) <= (code[pc + 7] >>> 0)
          ? code[pc + 8]
          : code[pc + 9];
        continue;
      case _T_LEN:
        A = ((W >>> code[pc + 3]) & code[pc + 4]) >>> 0;
        pc = (((A & code[pc + 5]) - code[pc + 6]) >>> 0) <= (code[pc + 7] >>> 0)
          ? code[pc + 8]
          : code[pc + 9];
        continue;
      case _T_NEG:
      case _T_IND_B:
      case _T_IND_H:
      case _T_IND_W: {
        const op = code[pc];
        const size = op === _T_NEG ? code[pc + 2] : op === _T_IND_B ? 1 : op === _T_IND_H ? 2 : 4;
        const o = op === _T_NEG ? code[pc + 1] : (X + code[pc + 1]) | 0;
        const v = _loadAt(P, B, LE, NET, MAC, o, size);
        if (v < 0) return 0;
        A = ((v >>> code[pc + 3]) & code[pc + 4]) >>> 0;
        pc = (((A & code[pc + 5]) - code[pc + 6]) >>> 0) <= (code[pc + 7] >>> 0)
          ? code[pc + 8]
          : code[pc + 9];
        continue;
      }
      case _T_X:
        pc = _testX(code[pc + 1], A, X) ? code[pc + 2] : code[pc + 3];
        continue;
      case _RET:
        return code[pc + 1] >>> 0;
      case _RET_A:
        return A;
      case _GOTO:
        pc = code[pc + 1];
        continue;
      case _GOTO_BACK:
        if (--budget < 0) return 0;
        pc = code[pc + 1];
        continue;
      case _NEED:
        if (B + (code[pc + 1] >>> 0) > LE) return 0;
        pc += 2;
        continue;
      case _LD_B:
        A = P[B + code[pc + 1]];
        pc += 2;
        continue;
      case _LD_H: {
        const i = B + code[pc + 1];
        A = (P[i] << 8) | P[i + 1];
        pc += 2;
        continue;
      }
      case _LD_W: {
        const i = B + code[pc + 1];
        A = ((P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3]) >>> 0;
        pc += 2;
        continue;
      }
      case _LD_NEG:
      case _LD_IND_B:
      case _LD_IND_H:
      case _LD_IND_W: {
        const op = code[pc];
        const size = op === _LD_NEG
          ? code[pc + 2]
          : op === _LD_IND_B
          ? 1
          : op === _LD_IND_H
          ? 2
          : 4;
        const o = op === _LD_NEG ? code[pc + 1] : (X + code[pc + 1]) | 0;
        const v = _loadAt(P, B, LE, NET, MAC, o, size);
        if (v < 0) return 0;
        A = v;
        pc += op === _LD_NEG ? 3 : 2;
        continue;
      }
      case _LDX_MSH:
        X = (P[B + code[pc + 1]] & 0xf) << 2;
        pc += 2;
        continue;
      case _LDX_MSH_NEG: {
        const v = _loadAt(P, B, LE, NET, MAC, code[pc + 1], 1);
        if (v < 0) return 0;
        X = (v & 0xf) << 2;
        pc += 2;
        continue;
      }
      case _LD_ANC: {
        const v = _ancillary(code[pc + 1], A, X, P, B, LE, W, NET, C);
        if (v < 0) return A; // IFINDEX/HATYPE without a device
        A = v;
        pc += 3;
        continue;
      }
      case _LD_LEN:
        A = W;
        pc += 1;
        continue;
      case _LDX_LEN:
        X = W;
        pc += 1;
        continue;
      case _LD_IMM:
        A = code[pc + 1] >>> 0;
        pc += 2;
        continue;
      case _LDX_IMM:
        X = code[pc + 1] >>> 0;
        pc += 2;
        continue;
      case _LD_MEM:
        A = M[code[pc + 1]];
        pc += 2;
        continue;
      case _LDX_MEM:
        X = M[code[pc + 1]];
        pc += 2;
        continue;
      case _ST:
        M[code[pc + 1]] = A;
        pc += 2;
        continue;
      case _STX:
        M[code[pc + 1]] = X;
        pc += 2;
        continue;
      case _TAX:
        X = A;
        pc += 1;
        continue;
      case _TXA:
        A = X;
        pc += 1;
        continue;
      case _NEG:
        A = (-A) >>> 0;
        pc += 1;
        continue;
      default: {
        // ALU on K (k follows) or on X; `_ALU_K + i`, i in `_ALU_OPS` order.
        const op = code[pc];
        const onX = op >= _ALU_X;
        const operand = onX ? X : code[pc + 1] >>> 0;
        pc += onX ? 1 : 2;
        switch (onX ? op - _ALU_X : op - _ALU_K) {
          case 0:
            A = (A + operand) >>> 0;
            break;
          case 1:
            A = (A - operand) >>> 0;
            break;
          case 2:
            A = Math.imul(A, operand) >>> 0;
            break;
          case 3:
            if (operand === 0) return 0;
            A = (A / operand) >>> 0;
            break;
          case 4:
            if (operand === 0) return 0;
            A = A % operand;
            break;
          case 5:
            A = (A & operand) >>> 0;
            break;
          case 6:
            A = (A | operand) >>> 0;
            break;
          case 7:
            A = (A ^ operand) >>> 0;
            break;
          case 8:
            A = (A << operand) >>> 0; // the low 5 bits, as the kernel
            break;
          default:
            A = A >>> operand;
        }
      }
    }
  }
}
