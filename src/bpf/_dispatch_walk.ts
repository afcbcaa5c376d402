/**
 * Walks the closure strategy's dispatch code ({@linkcode _encodeDispatch})
 * operation by operation (private): how many words each operation takes, so
 * that an operand is never taken for an operation.
 *
 * @module
 */
import * as dispatch from "./_dispatch_code.ts";

/** Words of the operation at `pc` (its number and its operands); an unknown number throws. */
export function _operationWidth(code: Int32Array, pc: number): number {
  const d = dispatch;
  let n = code[pc];
  // Equality lists: the load's operands (none, k, or m and k), n, n pairs, the false target.
  if (n >= d._T_A_EQN && n < d._T_A_EQN + 2 * d._EQN_RETFALSE) {
    const load = (n - d._T_A_EQN) % d._EQN_RETFALSE;
    if (load === d._T_W_PAIR - d._T_A_EQN) return 10;
    if (load === d._T_W_EQ_PAIR - d._T_A_EQN) return 8;
    if (load === d._T_H_EQ3 - d._T_A_EQN) return 10;
    const operands = load === 0 ? 0 : load <= 3 ? 1 : 2; // _T_A_EQN; [k]; ldx msh
    return operands + 3 + 2 * code[pc + operands + 1];
  }
  // `_T_H_EQ retfalse` fused with the next operation: its own five words.
  if (n >= d._T_H_EQ_THEN && n < d._T_H_EQ2_THEN) return 5;
  if (n >= d._T_H_EQ2_THEN && n < d._T_H_EQ2_THEN + 2 * d._CHAIN_FOLLOWERS.length) return 7;
  if (n >= d._FALSE_RETURNS && n < d._FALSE_RETURNS + 32) n -= d._FALSE_RETURNS;
  else if (n >= d._TRUE_RETURNS && n < d._TRUE_RETURNS + 32) n -= d._TRUE_RETURNS;
  else if (n >= d._RET_PAIR && n < 2 * d._RET_PAIR) n -= d._RET_PAIR;
  if (n >= d._T_A && n <= d._T_IND_W) return 10;
  if (n >= d._T_B_EQ && n <= d._T_W_EQ) return 5;
  if (n >= d._T_MSH_IND_B && n <= d._T_MSH_IND_W) return 10;
  if (n >= d._T_B_EQ2 && n <= d._T_W_EQ2) return 7;
  if (n >= d._ALU_K && n < d._ALU_X) return 2;
  if (n >= d._ALU_X && n < d._ALU_X + 10) return 1;
  if (n >= d._FIELD_B && n <= d._FIELD_IND_W_X) return 6;
  if (n >= d._FIELD_B_M && n <= d._FIELD_W_M) return 7;
  const widths: Record<number, number> = {
    [d._NEED]: 2,
    [d._LD_B]: 2,
    [d._LD_H]: 2,
    [d._LD_W]: 2,
    [d._LDX_MSH]: 2,
    [d._RET]: 2,
    [d._RET_A]: 1,
    [d._GOTO]: 2,
    [d._T_A_EQ]: 4,
    [d._T_A_EQ2]: 6,
    [d._GOTO_BACK]: 2,
    [d._T_LEN]: 10,
    [d._T_LEN_RET]: 10,
    [d._T_LEN_RETTRUE]: 10,
    [d._T_LEN_RETFALSE]: 10,
    [d._T_NEG]: 10,
    [d._T_X]: 4,
    [d._T_X_MEM]: 5,
    [d._X_FROM_CELL]: 3,
    [d._LD_NEG]: 3,
    [d._LD_IND_B]: 2,
    [d._LD_IND_H]: 2,
    [d._LD_IND_W]: 2,
    [d._LDX_MSH_NEG]: 2,
    [d._LD_ANC]: 2,
    [d._LD_LEN]: 1,
    [d._LDX_LEN]: 1,
    [d._LD_IMM]: 2,
    [d._LDX_IMM]: 2,
    [d._LD_MEM]: 2,
    [d._LDX_MEM]: 2,
    [d._ST]: 2,
    [d._STX]: 2,
    [d._TAX]: 1,
    [d._TXA]: 1,
    [d._NEG]: 1,
  };
  const w = widths[n];
  if (w === undefined) throw new Error(`unknown operation ${n} at ${pc}`);
  return w;
}
