/**
 * The operations of the closure strategy's dispatch loop that call out
 * (private), one at a time, so that {@linkcode _execute}'s inner loop makes no
 * call: loads in the negative windows (`SKF_NET_OFF`, `SKF_LL_OFF`, also
 * `[x + k]` when `x + k` is negative) and ancillary loads. A, X and the result
 * travel in the state array (`_execute_state.ts`).
 *
 * @module
 */
import type { PacketContext } from "./packet_context.ts";
import { _ancillary } from "./_ancillary.ts";
import { _loadIndex, _readBigEndian } from "./_packet_access.ts";
import { REG_A, REG_X, RESULT } from "./_execute_state.ts";
import { _FALSE_RETURNS, _RET_PAIR, _TRUE_RETURNS } from "./_dispatch_code.ts";
import { _firstOperation } from "./_dispatch_fused.ts";

/** Ends the run with `value`: stored as the result, signalled by -1. */
function _end(S: Int32Array, value: number): number {
  S[RESULT] = value;
  return -1;
}

// check-function-length: table (one case per operation, like the kernel's ___bpf_prog_run jump table)
/**
 * Runs the operation at `pc` (one the hot loop leaves out; case labels as in
 * `_execute.ts`) and returns the next `pc`, or -1 when the program ends with
 * the result in `S[RESULT]`. A fused pair's number (`_dispatch_fused.ts`,
 * the arithmetic loop's) runs its first operation, whose place and operands
 * it has; the second then runs at its own place.
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
  const number = _firstOperation(code[pc]);
  switch (number) {
    case 130: // _T_NEG
    case 12: // _T_IND_B
    case 13: // _T_IND_H
    case 14: // _T_IND_W
    case 44: // _T_IND_B ret
    case 45: // _T_IND_H ret
    case 46: // _T_IND_W ret
    case 76: // _T_IND_B rettrue
    case 77: // _T_IND_H rettrue
    case 78: // _T_IND_W rettrue
    case 108: // _T_IND_B retfalse
    case 109: // _T_IND_H retfalse
    case 110: { // _T_IND_W retfalse
      // 0, _RET_PAIR, _TRUE_RETURNS or _FALSE_RETURNS (never added to _T_NEG).
      const variant = number === 130 ? 0 : number & ~31;
      const op = number - variant;
      const size = op === 130 ? code[pc + 2] : op === 12 ? 1 : op === 13 ? 2 : 4;
      const o = op === 130 ? code[pc + 1] : (X + code[pc + 1]) | 0;
      const i = _loadIndex(B, LE, NET, MAC, o, size);
      if (i < 0) return _end(S, 0);
      A = (_readBigEndian(P, i, size) >>> code[pc + 3]) & code[pc + 4];
      const taken = (((A & code[pc + 5]) - code[pc + 6]) >>> 0) <= (code[pc + 7] >>> 0);
      if (variant === _RET_PAIR) return _end(S, taken ? code[pc + 8] : code[pc + 9]);
      if (variant === _TRUE_RETURNS && taken) return _end(S, code[pc + 8]);
      if (variant === _FALSE_RETURNS && !taken) return _end(S, code[pc + 9]);
      pc = taken ? code[pc + 8] : code[pc + 9];
      break;
    }
    case 132: // _LD_NEG
    case 133: // _LD_IND_B
    case 134: // _LD_IND_H
    case 135: { // _LD_IND_W
      const op = number;
      const size = op === 132 ? code[pc + 2] : op === 133 ? 1 : op === 134 ? 2 : 4;
      const o = op === 132 ? code[pc + 1] : (X + code[pc + 1]) | 0;
      const i = _loadIndex(B, LE, NET, MAC, o, size);
      if (i < 0) return _end(S, 0);
      A = _readBigEndian(P, i, size) | 0;
      pc += op === 132 ? 3 : 2;
      break;
    }
    case 175: // _FIELD_IND_B
    case 176: // _FIELD_IND_H
    case 177: // _FIELD_IND_W
    case 178: // _FIELD_IND_B_X
    case 179: // _FIELD_IND_H_X
    case 180: { // _FIELD_IND_W_X
      const op = number;
      const size = op === 175 || op === 178 ? 1 : op === 176 || op === 179 ? 2 : 4;
      const i = _loadIndex(B, LE, NET, MAC, (X + code[pc + 1]) | 0, size);
      if (i < 0) return _end(S, 0);
      A = (((_readBigEndian(P, i, size) >>> code[pc + 3]) & code[pc + 4]) + code[pc + 5]) | 0;
      if (op >= 178) X = A;
      pc += 6;
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
    default:
      throw new RangeError(`Cannot run program: unknown operation ${code[pc]} at ${pc}`);
  }
  S[REG_A] = A;
  S[REG_X] = X;
  return pc;
}
