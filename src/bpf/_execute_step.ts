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
import { _indexAt, _read } from "./_packet_read.ts";
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
    case 47: // _T_LEN
      A = (W32 >>> code[pc + 3]) & code[pc + 4];
      pc = (((A & code[pc + 5]) - code[pc + 6]) >>> 0) <= (code[pc + 7] >>> 0)
        ? code[pc + 8]
        : code[pc + 9];
      break;
    case 55: // _T_X
      pc = _testX(code[pc + 1], A, X) ? code[pc + 2] : code[pc + 3];
      break;
    case 51: // _T_NEG
    case 52: // _T_IND_B
    case 53: // _T_IND_H
    case 54: // _T_IND_W
    case 152: // _T_IND_B ret
    case 153: // _T_IND_H ret
    case 154: { // _T_IND_W ret
      const op = code[pc] % _RET_PAIR;
      const size = op === 51 ? code[pc + 2] : op === 52 ? 1 : op === 53 ? 2 : 4;
      const o = op === 51 ? code[pc + 1] : (X + code[pc + 1]) | 0;
      const i = _indexAt(B, LE, NET, MAC, o, size);
      if (i < 0) return _end(S, 0);
      A = (_read(P, i, size) >>> code[pc + 3]) & code[pc + 4];
      const taken = (((A & code[pc + 5]) - code[pc + 6]) >>> 0) <= (code[pc + 7] >>> 0);
      if (code[pc] > _RET_PAIR) return _end(S, taken ? code[pc + 8] : code[pc + 9]);
      pc = taken ? code[pc + 8] : code[pc + 9];
      break;
    }
    case 4: // _LD_NEG
    case 5: // _LD_IND_B
    case 6: // _LD_IND_H
    case 7: { // _LD_IND_W
      const op = code[pc];
      const size = op === 4 ? code[pc + 2] : op === 5 ? 1 : op === 6 ? 2 : 4;
      const o = op === 4 ? code[pc + 1] : (X + code[pc + 1]) | 0;
      const i = _indexAt(B, LE, NET, MAC, o, size);
      if (i < 0) return _end(S, 0);
      A = _read(P, i, size);
      pc += op === 4 ? 3 : 2;
      break;
    }
    case 9: { // _LDX_MSH_NEG
      const i = _indexAt(B, LE, NET, MAC, code[pc + 1], 1);
      if (i < 0) return _end(S, 0);
      X = (P[i] & 0xf) << 2;
      pc += 2;
      break;
    }
    case 10: { // _LD_ANC
      const v = _ancillary(code[pc + 1], A >>> 0, X >>> 0, P, B, LE, W, NET, C);
      if (v < 0) return _end(S, A >>> 0); // IFINDEX/HATYPE without a device
      A = v | 0;
      pc += 3;
      break;
    }
    case 11: // _LD_LEN
      A = W32;
      pc += 1;
      break;
    case 12: // _LDX_LEN
      X = W32;
      pc += 1;
      break;
    case 13: // _LD_IMM
      A = code[pc + 1];
      pc += 2;
      break;
    case 14: // _LDX_IMM
      X = code[pc + 1];
      pc += 2;
      break;
    case 15: // _LD_MEM
      A = S[code[pc + 1]];
      pc += 2;
      break;
    case 16: // _LDX_MEM
      X = S[code[pc + 1]];
      pc += 2;
      break;
    case 17: // _ST
      S[code[pc + 1]] = A;
      pc += 2;
      break;
    case 18: // _STX
      S[code[pc + 1]] = X;
      pc += 2;
      break;
    case 19: // _TAX
      X = A;
      pc += 1;
      break;
    case 20: // _TXA
      A = X;
      pc += 1;
      break;
    case 41: // _NEG
      A = -A | 0;
      pc += 1;
      break;
    case 21: // _ALU_K add
      A = (A + code[pc + 1]) | 0;
      pc += 2;
      break;
    case 22: // _ALU_K sub
      A = (A - code[pc + 1]) | 0;
      pc += 2;
      break;
    case 23: // _ALU_K mul
      A = Math.imul(A, code[pc + 1]);
      pc += 2;
      break;
    case 24: // _ALU_K div
      A = ((A >>> 0) / (code[pc + 1] >>> 0)) | 0;
      pc += 2;
      break;
    case 25: // _ALU_K mod
      A = ((A >>> 0) % (code[pc + 1] >>> 0)) | 0;
      pc += 2;
      break;
    case 26: // _ALU_K and
      A = A & code[pc + 1];
      pc += 2;
      break;
    case 27: // _ALU_K or
      A = A | code[pc + 1];
      pc += 2;
      break;
    case 28: // _ALU_K xor
      A = A ^ code[pc + 1];
      pc += 2;
      break;
    case 29: // _ALU_K lsh
      A = A << code[pc + 1];
      pc += 2;
      break;
    case 30: // _ALU_K rsh
      A = (A >>> code[pc + 1]) | 0;
      pc += 2;
      break;
    case 31: // _ALU_X add
      A = (A + X) | 0;
      pc += 1;
      break;
    case 32: // _ALU_X sub
      A = (A - X) | 0;
      pc += 1;
      break;
    case 33: // _ALU_X mul
      A = Math.imul(A, X);
      pc += 1;
      break;
    case 34: // _ALU_X div
      if (X === 0) return _end(S, 0);
      A = ((A >>> 0) / (X >>> 0)) | 0;
      pc += 1;
      break;
    case 35: // _ALU_X mod
      if (X === 0) return _end(S, 0);
      A = ((A >>> 0) % (X >>> 0)) | 0;
      pc += 1;
      break;
    case 36: // _ALU_X and
      A = A & X;
      pc += 1;
      break;
    case 37: // _ALU_X or
      A = A | X;
      pc += 1;
      break;
    case 38: // _ALU_X xor
      A = A ^ X;
      pc += 1;
      break;
    case 39: // _ALU_X lsh
      A = A << X; // the low 5 bits, as the kernel
      pc += 1;
      break;
    case 40: // _ALU_X rsh
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
