/**
 * The dispatch loop of the closure strategy (private): runs dispatch code
 * ({@linkcode _encodeDispatch}) on one packet. One function for every
 * program, so the JIT compiles one loop with A, X and the packet bounds in
 * registers and no call per instruction. A and X are kept as int32 bits
 * (unsigned only where it matters: compares, division, `>>>`, the result), so
 * the JIT never boxes them. Only the fused tests, returns, jumps and plain
 * loads are here; {@linkcode _step} runs the rest.
 *
 * @module
 */
import type { PacketContext } from "./packet_context.ts";
import { _BACKWARD_JUMP_BUDGET } from "./_packet_access.ts";
import { _indexAt, _read } from "./_packet_read.ts";
import { BUDGET, REG_A, REG_X, RESULT } from "./_execute_state.ts";
import { _step } from "./_execute_step.ts";

// check-function-length: table (one case per operation in one loop, so the JIT keeps A, X and the bounds in registers)
/**
 * The case labels are the operation numbers of `_dispatch_code.ts` written as
 * literals (named in a comment), so the JIT builds one jump table; imported
 * constants would make each label a load and a compare.
 *
 * Runs dispatch code on the packet `P`: `B` is `dataOffset`, `LE` the absolute
 * end of loads, `W` the wire length, `NET`/`MAC` the header indices (-1: no
 * link-layer header). `S` is the state array (`_execute_state.ts`), `C`
 * the context for ancillary loads. Returns the program's result (uint32).
 */
export function _execute(
  code: Int32Array,
  S: Int32Array,
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
  S[BUDGET] = _BACKWARD_JUMP_BUDGET;
  for (;;) {
    switch (code[pc]) {
      case 57: { // _T_H_EQ
        const i = B + code[pc + 1];
        if (i + 2 > LE) return 0;
        A = (P[i] << 8) | P[i + 1];
        if (A === code[pc + 2]) {
          pc = code[pc + 3];
          continue;
        }
        pc = code[pc + 4];
        continue;
      }
      case 56: { // _T_B_EQ
        const i = B + code[pc + 1];
        if (i + 1 > LE) return 0;
        A = P[i];
        if (A === code[pc + 2]) {
          pc = code[pc + 3];
          continue;
        }
        pc = code[pc + 4];
        continue;
      }
      case 58: { // _T_W_EQ
        const i = B + code[pc + 1];
        if (i + 4 > LE) return 0;
        A = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
        if (A === code[pc + 2]) {
          pc = code[pc + 3];
          continue;
        }
        pc = code[pc + 4];
        continue;
      }
      case 59: // _T_A_EQ
        if (A === code[pc + 1]) {
          pc = code[pc + 2];
          continue;
        }
        pc = code[pc + 3];
        continue;
      case 49: { // _T_H
        const e = code[pc + 2] >>> 0;
        if (B + e > LE) return 0;
        const i = B + code[pc + 1];
        A = (((P[i] << 8) | P[i + 1]) >>> code[pc + 3]) & code[pc + 4];
        if ((((A & code[pc + 5]) - code[pc + 6]) >>> 0) <= (code[pc + 7] >>> 0)) {
          pc = code[pc + 8];
          continue;
        }
        pc = code[pc + 9];
        continue;
      }
      case 48: { // _T_B
        const e = code[pc + 2] >>> 0;
        if (B + e > LE) return 0;
        A = (P[B + code[pc + 1]] >>> code[pc + 3]) & code[pc + 4];
        if ((((A & code[pc + 5]) - code[pc + 6]) >>> 0) <= (code[pc + 7] >>> 0)) {
          pc = code[pc + 8];
          continue;
        }
        pc = code[pc + 9];
        continue;
      }
      case 50: { // _T_W
        const e = code[pc + 2] >>> 0;
        if (B + e > LE) return 0;
        const i = B + code[pc + 1];
        A = (((P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3]) >>> code[pc + 3]) &
          code[pc + 4];
        if ((((A & code[pc + 5]) - code[pc + 6]) >>> 0) <= (code[pc + 7] >>> 0)) {
          pc = code[pc + 8];
          continue;
        }
        pc = code[pc + 9];
        continue;
      }
      case 46: // _T_A
        A = (A >>> code[pc + 3]) & code[pc + 4];
        if ((((A & code[pc + 5]) - code[pc + 6]) >>> 0) <= (code[pc + 7] >>> 0)) {
          pc = code[pc + 8];
          continue;
        }
        pc = code[pc + 9];
        continue;
      case 51: // _T_NEG
      case 52: // _T_IND_B
      case 53: // _T_IND_H
      case 54: { // _T_IND_W
        const op = code[pc];
        const size = op === 51 ? code[pc + 2] : op === 52 ? 1 : op === 53 ? 2 : 4;
        const o = op === 51 ? code[pc + 1] : (X + code[pc + 1]) | 0;
        const i = _indexAt(B, LE, NET, MAC, o, size);
        if (i < 0) return 0;
        A = (_read(P, i, size) >>> code[pc + 3]) & code[pc + 4];
        if ((((A & code[pc + 5]) - code[pc + 6]) >>> 0) <= (code[pc + 7] >>> 0)) {
          pc = code[pc + 8];
          continue;
        }
        pc = code[pc + 9];
        continue;
      }
      case 42: // _RET
        return code[pc + 1] >>> 0;
      case 43: // _RET_A
        return A >>> 0;
      case 44: // _GOTO
        pc = code[pc + 1];
        continue;
      case 0: // _NEED
        if (B + (code[pc + 1] >>> 0) > LE) return 0;
        pc += 2;
        continue;
      case 1: // _LD_B
        A = P[B + code[pc + 1]];
        pc += 2;
        continue;
      case 2: { // _LD_H
        const i = B + code[pc + 1];
        A = (P[i] << 8) | P[i + 1];
        pc += 2;
        continue;
      }
      case 3: { // _LD_W
        const i = B + code[pc + 1];
        A = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
        pc += 2;
        continue;
      }
      case 8: // _LDX_MSH
        X = (P[B + code[pc + 1]] & 0xf) << 2;
        pc += 2;
        continue;
      default:
        // Everything else, in a separate function so this loop stays small.
        S[REG_A] = A;
        S[REG_X] = X;
        pc = _step(code, pc, S, P, C, B, LE, W, NET, MAC);
        if (pc < 0) return S[RESULT] >>> 0;
        A = S[REG_A];
        X = S[REG_X];
    }
  }
}
