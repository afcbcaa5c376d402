/**
 * The less common operations of the closure strategy's dispatch loop
 * (private), one at a time, so that {@linkcode _execute}'s loop stays small
 * enough for the JIT to keep its state in registers. A, X, the backward-jump
 * budget and the result travel in the state array (`_execute_state.ts`).
 *
 * @module
 */
import type { PacketContext } from "./packet_context.ts";
import { _ancillary } from "./_ancillary.ts";
import { _loadIndex, _readBigEndian } from "./_packet_access.ts";
import { REG_A, REG_X, RESULT } from "./_execute_state.ts";
import { BPF_JEQ, BPF_JGE, BPF_JGT } from "./opcodes.ts";
import { _RET_PAIR } from "./_dispatch_code.ts";

/** `A op X` (int32 bits, compared unsigned) for a conditional jump on X. */
function _testX(op: number, a: number, x: number): boolean {
  if (op === BPF_JEQ) return a === x;
  if (op === BPF_JGT) return (a >>> 0) > (x >>> 0);
  if (op === BPF_JGE) return (a >>> 0) >= (x >>> 0);
  return (a & x) !== 0;
}

/** Ends the run with `value`: stored as the result, signalled by -1. */
function _end(S: Int32Array, value: number): number {
  S[RESULT] = value;
  return -1;
}

// check-function-length: table (one case per operation, like the kernel's ___bpf_prog_run jump table)
/**
 * Runs the operation at `pc` (one the hot loop leaves out; case labels as in
 * `_execute.ts`) and returns the next `pc`, or -1 when the program ends with
 * the result in `S[RESULT]`.
 */
export function _step(
  code: Int32Array,
  pc: number,
  S: Int32Array,
  P: Uint8Array,
  C: PacketContext,
  B: number,
  LE: number,
  W: number,
  NET: number,
  MAC: number,
): number {
  let A = S[REG_A];
  let X = S[REG_X];
  const W32 = W | 0;
  switch (code[pc]) {
    case 131: // _T_X
      pc = _testX(code[pc + 1], A, X) ? code[pc + 2] : code[pc + 3];
      break;
    case 130: // _T_NEG
    case 12: // _T_IND_B
    case 13: // _T_IND_H
    case 14: // _T_IND_W
    case 44: // _T_IND_B ret
    case 45: // _T_IND_H ret
    case 46: { // _T_IND_W ret
      const returns = code[pc] >= _RET_PAIR && code[pc] < 2 * _RET_PAIR;
      const op = returns ? code[pc] - _RET_PAIR : code[pc];
      const size = op === 130 ? code[pc + 2] : op === 12 ? 1 : op === 13 ? 2 : 4;
      const o = op === 130 ? code[pc + 1] : (X + code[pc + 1]) | 0;
      const i = _loadIndex(B, LE, NET, MAC, o, size);
      if (i < 0) return _end(S, 0);
      A = (_readBigEndian(P, i, size) >>> code[pc + 3]) & code[pc + 4];
      const taken = (((A & code[pc + 5]) - code[pc + 6]) >>> 0) <= (code[pc + 7] >>> 0);
      if (returns) return _end(S, taken ? code[pc + 8] : code[pc + 9]);
      pc = taken ? code[pc + 8] : code[pc + 9];
      break;
    }
    case 132: // _LD_NEG
    case 133: // _LD_IND_B
    case 134: // _LD_IND_H
    case 135: { // _LD_IND_W
      const op = code[pc];
      const size = op === 132 ? code[pc + 2] : op === 133 ? 1 : op === 134 ? 2 : 4;
      const o = op === 132 ? code[pc + 1] : (X + code[pc + 1]) | 0;
      const i = _loadIndex(B, LE, NET, MAC, o, size);
      if (i < 0) return _end(S, 0);
      A = _readBigEndian(P, i, size) | 0;
      pc += op === 132 ? 3 : 2;
      break;
    }
    case 136: { // _LDX_MSH_NEG
      const i = _loadIndex(B, LE, NET, MAC, code[pc + 1], 1);
      if (i < 0) return _end(S, 0);
      X = (P[i] & 0xf) << 2;
      pc += 2;
      break;
    }
    case 137: { // _LD_ANC
      const v = _ancillary(code[pc + 1], A >>> 0, X >>> 0, P, B, LE, W, NET, C);
      if (v < 0) return _end(S, A >>> 0); // IFINDEX/HATYPE without a device
      A = v | 0;
      pc += 2;
      break;
    }
    case 138: // _LD_LEN
      A = W32;
      pc += 1;
      break;
    case 139: // _LDX_LEN
      X = W32;
      pc += 1;
      break;
    case 140: // _LD_IMM
      A = code[pc + 1];
      pc += 2;
      break;
    case 141: // _LDX_IMM
      X = code[pc + 1];
      pc += 2;
      break;
    case 142: // _LD_MEM
      A = S[code[pc + 1]];
      pc += 2;
      break;
    case 143: // _LDX_MEM
      X = S[code[pc + 1]];
      pc += 2;
      break;
    case 144: // _ST
      S[code[pc + 1]] = A;
      pc += 2;
      break;
    case 145: // _STX
      S[code[pc + 1]] = X;
      pc += 2;
      break;
    case 146: // _TAX
      X = A;
      pc += 1;
      break;
    case 147: // _TXA
      A = X;
      pc += 1;
      break;
    case 168: // _NEG
      A = -A | 0;
      pc += 1;
      break;
    case 148: // _ALU_K add
      A = (A + code[pc + 1]) | 0;
      pc += 2;
      break;
    case 149: // _ALU_K sub
      A = (A - code[pc + 1]) | 0;
      pc += 2;
      break;
    case 150: // _ALU_K mul
      A = Math.imul(A, code[pc + 1]);
      pc += 2;
      break;
    case 151: // _ALU_K div
      A = ((A >>> 0) / (code[pc + 1] >>> 0)) | 0;
      pc += 2;
      break;
    case 152: // _ALU_K mod
      A = ((A >>> 0) % (code[pc + 1] >>> 0)) | 0;
      pc += 2;
      break;
    case 153: // _ALU_K and
      A = A & code[pc + 1];
      pc += 2;
      break;
    case 154: // _ALU_K or
      A = A | code[pc + 1];
      pc += 2;
      break;
    case 155: // _ALU_K xor
      A = A ^ code[pc + 1];
      pc += 2;
      break;
    case 156: // _ALU_K lsh
      A = A << code[pc + 1];
      pc += 2;
      break;
    case 157: // _ALU_K rsh
      A = (A >>> code[pc + 1]) | 0;
      pc += 2;
      break;
    case 158: // _ALU_X add
      A = (A + X) | 0;
      pc += 1;
      break;
    case 159: // _ALU_X sub
      A = (A - X) | 0;
      pc += 1;
      break;
    case 160: // _ALU_X mul
      A = Math.imul(A, X);
      pc += 1;
      break;
    case 161: // _ALU_X div
      if (X === 0) return _end(S, 0);
      A = ((A >>> 0) / (X >>> 0)) | 0;
      pc += 1;
      break;
    case 162: // _ALU_X mod
      if (X === 0) return _end(S, 0);
      A = ((A >>> 0) % (X >>> 0)) | 0;
      pc += 1;
      break;
    case 163: // _ALU_X and
      A = A & X;
      pc += 1;
      break;
    case 164: // _ALU_X or
      A = A | X;
      pc += 1;
      break;
    case 165: // _ALU_X xor
      A = A ^ X;
      pc += 1;
      break;
    case 166: // _ALU_X lsh
      A = A << X; // the low 5 bits, as the kernel
      pc += 1;
      break;
    case 167: // _ALU_X rsh
      A = (A >>> X) | 0;
      pc += 1;
      break;

    default:
      throw new RangeError(`Cannot run program: unknown operation ${code[pc]} at ${pc}`);
  }
  S[REG_A] = A;
  S[REG_X] = X;
  return pc;
}
